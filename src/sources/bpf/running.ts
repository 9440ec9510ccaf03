/**
 * Follows whichever sched_ext scheduler is running, for an agent started without `--scheduler`: each interval
 * it reads `<sched-ext-root>/root/ops` (one small sysfs read), and when that names a scheduler with a profile
 * it reads that profile's maps through a BpfSource. The usual boot order starts the agent as a service before
 * any scheduler, and scx_loader switches schedulers at run time, so the choice cannot be made once at startup.
 *
 * A scheduler that stops (ops empty) keeps its map source and series, unread, until another takes over: a
 * restart usually spans an interval or two, and the issue's rule is that no counter goes backwards across it.
 * When the same profile runs again (a restart, or an upgrade under a new ops name) the map source re-attaches
 * to the new maps and its counters continue. Another scheduler taking over closes the old map source and
 * removes its series (that scheduler is gone; removed series' ids are reused); a later return builds fresh
 * series. Each change is said once.
 *
 * The source is present (`Source.present`, so the agent exports its `scx_metrics_source_*` series) only while
 * it has something to read or to keep: a scheduler with a profile runs (read or failing), or a stopped one's
 * series are kept (one never read has none). On a host without sched_ext, with no scheduler running, or with
 * one that has no profile there is no input, and `source_up{source="bpf"} 1` would claim a read that never
 * happened.
 */
import type { StatSet } from '../../declare/types.js';
import type { Registry } from '../../registry/index.js';
import type { Source, SourceContext } from '../../plugin/source.js';
import { runningScheduler } from '../../plugin/sched-ext-root.js';
import type { SchedulerProfile } from '../../bpf-layout/profile.js';
import type { BpfSource } from './source.js';

export interface RunningSchedulerOptions {
  /** The sched_ext sysfs directory (`/sys/kernel/sched_ext`). */
  readonly root: string;
  /** The profile of a running scheduler's ops name, if it has one. */
  readonly profileFor: (ops: string) => SchedulerProfile | undefined;
  /** Builds the map source for a profile (called once per profile; the source is re-attached on a return). */
  readonly build: (profile: SchedulerProfile) => BpfSource;
}

export class RunningSchedulerSource implements Source {
  readonly name = 'bpf';
  private readonly opts: RunningSchedulerOptions;
  private ctx: SourceContext | undefined;
  /** The ops name last read (undefined: none running), so a change is noticed and said once. */
  private ops: string | undefined;
  /** The map source being read, with the profile and ops name it was built or last resumed for. */
  private current: { readonly profile: SchedulerProfile; readonly source: BpfSource; ops: string } | undefined;
  /** The current scheduler stopped and nothing has replaced it: its series stay, nothing is read. */
  private stopped = false;
  /** At the last look at `root/ops`: a scheduler with a profile runs (even if its map source failed to build). */
  private profileRuns = false;
  private readonly built = new Map<string, BpfSource>();

  constructor(opts: RunningSchedulerOptions) {
    this.opts = opts;
  }

  /** The running scheduler's stats: those being read, or (before attach, for `describe`) those of its profile. */
  stats(): readonly StatSet[] {
    if (this.current !== undefined) return this.current.source.stats();
    const profile = this.profileOf(runningScheduler(this.opts.root));
    return profile === undefined ? [] : [profile.stats];
  }

  attach(ctx: SourceContext): void {
    this.ctx = ctx;
    // Known before the first collection, so a host with nothing to read never exports health series for it.
    this.profileRuns = this.profileOf(runningScheduler(this.opts.root)) !== undefined;
  }

  present(): boolean {
    return this.profileRuns || (this.current?.source.hasSeries() ?? false);
  }

  collect(): void | Promise<void> {
    const ctx = this.ctx;
    if (ctx === undefined) throw new Error('bpf: collect() before attach()');
    this.follow(ctx);
    return this.stopped ? undefined : this.current?.source.collect();
  }

  close(): void {
    this.current?.source.close();
    this.current = undefined;
  }

  private profileOf(ops: string | undefined): SchedulerProfile | undefined {
    return ops === undefined ? undefined : this.opts.profileFor(ops);
  }

  private follow(ctx: SourceContext): void {
    const ops = runningScheduler(this.opts.root);
    const profile = this.profileOf(ops);
    this.profileRuns = profile !== undefined;
    if (ops === this.ops) return;
    this.ops = ops;
    const log = ctx.log;
    const cur = this.current;
    if (cur !== undefined && ops === undefined) {
      this.stopped = true;
      log.info(`sched_ext scheduler "${cur.ops}" stopped; its series stay until another scheduler runs`);
      return;
    }
    if (cur !== undefined && ops !== undefined && profile?.name === cur.profile.name) {
      const how = this.stopped && cur.ops === ops ? 'runs again' : `runs (was "${cur.ops}")`;
      this.stopped = false;
      cur.ops = ops;
      log.info(`sched_ext scheduler "${ops}" ${how}; still reading it with profile ${profile.name}`);
      return;
    }
    this.stopped = false;
    if (cur !== undefined) {
      cur.source.close();
      removeSeries(ctx.registry, cur.source.stats());
      this.current = undefined;
      const now = ops === undefined ? 'no sched_ext scheduler is running' : `"${ops}" runs now`;
      log.info(`sched_ext scheduler "${cur.ops}" is gone (${now}); stopped reading its BPF stats and removed their series`);
    }
    if (ops === undefined) return;
    if (profile === undefined) {
      log.info(`sched_ext scheduler "${ops}" is running but has no profile; pass --scheduler to read a compatible one`);
      return;
    }
    let source = this.built.get(profile.name);
    try {
      if (source === undefined) {
        source = this.opts.build(profile);
        this.built.set(profile.name, source);
      }
      source.attach(ctx);
    } catch (err) {
      // Not taken: the next interval tries again rather than seeing the same ops name and doing nothing.
      this.ops = undefined;
      throw err;
    }
    this.current = { profile, source, ops };
    log.info(`reading BPF stats of the running sched_ext scheduler "${ops}" with profile ${profile.name}`);
  }
}

/** Removes every series of the sets' families; the families stay registered (empty) for a later return. */
function removeSeries(registry: Registry, sets: readonly StatSet[]): void {
  for (const set of sets) {
    for (const decl of Object.values(set.stats)) {
      const fam = registry.get(decl.name);
      if (fam === undefined) continue;
      for (const s of [...fam.series]) fam.remove(s.labelValues);
    }
  }
}
