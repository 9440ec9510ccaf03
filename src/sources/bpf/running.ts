/**
 * Follows whichever sched_ext scheduler is running, for an agent started without `--scheduler`: each interval
 * it reads `<sched-ext-root>/root/ops` (one small sysfs read), and when that names a scheduler with a profile
 * it reads that profile's maps through a BpfSource. The usual boot order starts the agent as a service before
 * any scheduler, and scx_loader switches schedulers at run time, so the choice cannot be made once at startup.
 *
 * A change of ops name to another profile closes the old map source and removes its series (that scheduler
 * is gone, and removed series' ids are reused); a later return builds fresh series. An ops name that changes
 * within one profile (a scheduler upgraded or restarted) keeps the same map source, whose counters continue
 * monotonic across the restart. Each change is said once.
 */
import type { StatSet } from '../../declare/types.js';
import type { Registry } from '../../registry/index.js';
import type { Source, SourceContext } from '../source.js';
import { runningScheduler } from '../sched-ext-root.js';
import type { SchedulerProfile } from './profile.js';
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
  private current: { readonly profile: SchedulerProfile; readonly source: BpfSource } | undefined;
  private readonly built = new Map<string, BpfSource>();

  constructor(opts: RunningSchedulerOptions) {
    this.opts = opts;
  }

  /** The running scheduler's stats: those being read, or (before attach, for `describe`) those of its profile. */
  stats(): readonly StatSet[] {
    if (this.current !== undefined) return this.current.source.stats();
    const ops = runningScheduler(this.opts.root);
    const profile = ops === undefined ? undefined : this.opts.profileFor(ops);
    return profile === undefined ? [] : [profile.stats];
  }

  attach(ctx: SourceContext): void {
    this.ctx = ctx;
  }

  collect(): void | Promise<void> {
    const ctx = this.ctx;
    if (ctx === undefined) throw new Error('bpf: collect() before attach()');
    this.follow(ctx);
    return this.current?.source.collect();
  }

  close(): void {
    this.current?.source.close();
    this.current = undefined;
  }

  private follow(ctx: SourceContext): void {
    const ops = runningScheduler(this.opts.root);
    if (ops === this.ops) return;
    const was = this.ops;
    this.ops = ops;
    const log = ctx.log;
    const profile = ops === undefined ? undefined : this.opts.profileFor(ops);
    const cur = this.current;
    if (cur !== undefined && profile?.name === cur.profile.name) {
      log.info(`sched_ext scheduler "${was ?? ''}" is now "${ops ?? ''}"; still reading it with profile ${profile.name}`);
      return;
    }
    if (cur !== undefined) {
      cur.source.close();
      removeSeries(ctx.registry, cur.source.stats());
      this.current = undefined;
      const now = ops === undefined ? 'no sched_ext scheduler is running' : `"${ops}" runs now`;
      log.info(`sched_ext scheduler "${was ?? ''}" is gone (${now}); stopped reading its BPF stats and removed their series`);
    }
    if (ops === undefined) return;
    if (profile === undefined) {
      log.info(`sched_ext scheduler "${ops}" is running but has no profile; pass --scheduler to read a compatible one`);
      return;
    }
    let source = this.built.get(profile.name);
    if (source === undefined) {
      source = this.opts.build(profile);
      this.built.set(profile.name, source);
    }
    source.attach(ctx);
    this.current = { profile, source };
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
