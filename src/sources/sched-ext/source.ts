/**
 * The sched_ext source: the kernel's view of sched_ext (state, switch_all, counters) and of the loaded BPF
 * scheduler (its name, its core event counters). Event counters are read by name, so a counter a newer
 * kernel adds is exported with no code change: it gets a declaration built at run time.
 *
 * nr_rejected and the event counters restart from zero whenever a scheduler is enabled; a change of
 * enable_seq between two reads says so, and the counters then take the new values as fresh counts.
 *
 * Sub-schedulers (Linux 7.x) below the root scheduler have series of their own (sub-schedulers.ts); the root
 * scheduler's series are the same with or without them.
 */
import { join } from 'node:path';
import type { StatSet } from '../../declare/types.js';
import type { Logger } from '../../support/log.js';
import type { CounterSeries, Families, GaugeSeries, Registry } from '../../registry/index.js';
import type { Source, SourceContext } from '../../plugin/source.js';
import { CgroupPaths } from './cgroup-paths.js';
import { EVENT_PREFIX, EventDecls, SUB_EVENT_PREFIX, SUB_LABELS, absolute, schedExtEventStats, schedExtSubEventStats } from './events.js';
import { schedExtStats, schedExtSubStats } from './stats.js';
import { SubSchedulers } from './sub-schedulers.js';
import {
  DEFAULT_SCHED_EXT_ROOT,
  SCHED_EXT_STATES,
  parseEvents,
  parseIntFile,
  parseState,
  readOptional,
  loadedScheduler,
  type LoadedScheduler,
} from './sysfs.js';

export interface SchedExtSourceOptions {
  /** Where sched_ext's sysfs directory is. Default /sys/kernel/sched_ext. */
  readonly root?: string;
  /**
   * Where the cgroup2 hierarchy is mounted, to name sub-schedulers' cgroups. Default: the cgroup2 mount in
   * /proc/self/mountinfo, else /sys/fs/cgroup.
   */
  readonly cgroupRoot?: string;
}

export { schedExtEventStats } from './events.js';

interface EventBinding {
  readonly series: CounterSeries;
  readonly scale: number;
}

/** Resolves a series on first use and keeps it: a series appears when its file is first read, as before. */
function lazy<S>(resolve: () => S): () => S {
  let s: S | undefined;
  return () => (s ??= resolve());
}

/** The unlabelled series of the sched_ext files, each resolved once. */
interface ScalarHandles {
  readonly enables: () => CounterSeries;
  readonly switchAll: () => GaugeSeries;
  readonly rejected: () => CounterSeries;
  readonly hotplugs: () => CounterSeries;
}

export class SchedExtSource implements Source {
  readonly name = 'sched_ext';
  readonly root: string;
  private log: Logger | undefined;
  private registry: Registry | undefined;
  private fam: Families<typeof schedExtStats.stats> | undefined;
  private scalars: ScalarHandles | undefined;
  /** The state gauge's series by state name, in the order they were created. */
  private readonly states = new Map<string, GaugeSeries>();
  private readonly eventDecls = new EventDecls(schedExtEventStats, EVENT_PREFIX, {});
  private readonly subEventDecls = new EventDecls(schedExtSubEventStats, SUB_EVENT_PREFIX, SUB_LABELS);
  private readonly cgroups: CgroupPaths;
  private subs: SubSchedulers | undefined;
  private readonly events = new Map<string, EventBinding>();
  private enableSeq: number | undefined;
  private scheduler: { name: string; ops: string; series: GaugeSeries } | undefined;

  constructor(opts: SchedExtSourceOptions = {}) {
    this.root = opts.root ?? DEFAULT_SCHED_EXT_ROOT;
    this.cgroups = new CgroupPaths(opts.cgroupRoot);
  }

  stats(): readonly StatSet[] {
    return [schedExtStats, schedExtEventStats, ...this.eventDecls.discovered, schedExtSubStats, schedExtSubEventStats, ...this.subEventDecls.discovered];
  }

  attach(ctx: SourceContext): void {
    this.log = ctx.log;
    this.registry = ctx.registry;
    const fam = ctx.registry.register(schedExtStats);
    this.fam = fam;
    this.scalars = {
      enables: lazy(() => fam.enables.with()),
      switchAll: lazy(() => fam.switch_all.with()),
      rejected: lazy(() => fam.rejected_tasks.with()),
      hotplugs: lazy(() => fam.cpu_hotplugs.with()),
    };
    this.subs = new SubSchedulers({ registry: ctx.registry, paths: this.cgroups, decls: this.subEventDecls, log: ctx.log, base: this.root });
  }

  async collect(): Promise<void> {
    const fam = this.fam;
    const scalars = this.scalars;
    const subs = this.subs;
    if (fam === undefined || scalars === undefined || subs === undefined) throw new Error('collect before attach');
    const stateText = await readOptional(join(this.root, 'state'));
    if (stateText === undefined) {
      this.log?.once(`sched_ext:absent`, `sched_ext: ${this.root}/state not found: this kernel has no sched_ext (or it is elsewhere: --sched-ext-root); its stats are not exported`);
      return;
    }
    this.log?.clear('sched_ext:absent', `sched_ext: ${this.root} found`);
    const problems: string[] = [];
    const attempt = (f: () => void): void => {
      try {
        f();
      } catch (err) {
        problems.push((err as Error).message);
      }
    };

    attempt(() => {
      const state = parseState(stateText);
      // The known states first (exported as 0 from the first read), then any state a newer kernel names.
      if (this.states.size === 0) for (const s of SCHED_EXT_STATES) this.states.set(s, fam.state.with({ state: s }));
      if (!this.states.has(state)) this.states.set(state, fam.state.with({ state }));
      for (const [s, series] of this.states) series.set(s === state ? 1 : 0);
    });
    const int = async (file: string, use: (v: number) => void): Promise<void> => {
      const text = await readOptional(join(this.root, file));
      if (text === undefined) {
        this.log?.once(`sched_ext:missing:${file}`, `sched_ext: ${this.root}/${file} is not present on this kernel; not exported`);
        return;
      }
      attempt(() => use(parseIntFile(file, text)));
    };
    let restarted = false;
    await int('enable_seq', (v) => {
      restarted = this.enableSeq !== undefined && v !== this.enableSeq;
      this.enableSeq = v;
      scalars.enables().absolute(v);
    });
    await int('switch_all', (v) => scalars.switchAll().set(v));
    await int('nr_rejected', (v) => absolute(scalars.rejected(), v, restarted));
    await int('hotplug_seq', (v) => scalars.hotplugs().absolute(v));

    const sched = await loadedScheduler(this.root);
    this.setScheduler(sched);
    if (sched !== undefined) {
      const text = await readOptional(join(sched.dir, 'events'));
      if (text === undefined) {
        this.log?.once('sched_ext:no-events', `sched_ext: ${sched.dir}/events is not present (kernels before v6.15); event counters are not exported`);
      } else {
        const { events, problems: bad } = parseEvents(text);
        problems.push(...bad);
        for (const e of events) {
          const b = this.binding(e.name);
          if (b !== undefined) absolute(b.series, e.value * b.scale, restarted);
        }
      }
    }
    await subs.collect(sched?.dir, problems);
    if (problems.length > 0) throw new Error(`${this.root} is malformed: ${problems.join('; ')}`);
  }

  private setScheduler(sched: LoadedScheduler | undefined): void {
    const fam = this.fam;
    if (fam === undefined) return;
    const cur = this.scheduler;
    if (cur !== undefined && (sched === undefined || cur.ops !== sched.ops)) {
      fam.scheduler.remove([cur.name, cur.ops]);
      this.scheduler = undefined;
    }
    if (sched !== undefined && this.scheduler === undefined) {
      const series = fam.scheduler.with({ name: sched.name, ops: sched.ops });
      series.set(1);
      this.scheduler = { name: sched.name, ops: sched.ops, series };
    }
  }

  /** The counter for an event name, declared at run time when this version does not know the name. */
  private binding(name: string): EventBinding | undefined {
    const found = this.events.get(name);
    if (found !== undefined) return found;
    const registry = this.registry;
    if (registry === undefined) return undefined;
    const ed = this.eventDecls.get(name, this.log);
    if (ed === undefined) return undefined;
    const b: EventBinding = { series: registry.family(ed.decl).withValues([]), scale: ed.scale };
    this.events.set(name, b);
    return b;
  }
}
