/**
 * The sched_ext source: the kernel's view of sched_ext (state, switch_all, counters) and of the loaded BPF
 * scheduler (its name, its core event counters). Event counters are read by name, so a counter a newer
 * kernel adds is exported with no code change: it gets a declaration built at run time.
 *
 * nr_rejected and the event counters restart from zero whenever a scheduler is enabled; a change of
 * enable_seq between two reads says so, and the counters then take the new values as fresh counts.
 */
import { join } from 'node:path';
import { counter, defineStats } from '../../declare/define.js';
import type { CounterDecl, StatSet } from '../../declare/types.js';
import type { Logger } from '../../log.js';
import type { CounterSeries, Families, GaugeSeries, Registry } from '../../registry/index.js';
import type { Source, SourceContext } from '../source.js';
import { knownEvents, schedExtStats } from './stats.js';
import {
  DEFAULT_SCHED_EXT_ROOT,
  SCHED_EXT_STATES,
  eventKey,
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
}

const EVENT_PREFIX = 'scx_sched_ext_event';

/** Declarations of the event counters this version knows (registered when the kernel shows them). */
export const schedExtEventStats = defineStats({
  name: 'sched_ext_events',
  help: "sched_ext core event counters of the loaded scheduler (root/events, kernel v6.15+), since it was enabled",
  prefix: EVENT_PREFIX,
  stats: Object.fromEntries(
    Object.entries(knownEvents).map(([name, e]) => [eventKey(name), counter({ help: `${e.help} (SCX_EV_${name})`, unit: e.unit ?? '' })]),
  ),
});

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
  /** Event declarations made at run time for names this version does not know. */
  private readonly discovered: StatSet[] = [];
  private readonly events = new Map<string, EventBinding>();
  private enableSeq: number | undefined;
  private scheduler: { name: string; ops: string; series: GaugeSeries } | undefined;

  constructor(opts: SchedExtSourceOptions = {}) {
    this.root = opts.root ?? DEFAULT_SCHED_EXT_ROOT;
  }

  stats(): readonly StatSet[] {
    return [schedExtStats, schedExtEventStats, ...this.discovered];
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
  }

  async collect(): Promise<void> {
    const fam = this.fam;
    const scalars = this.scalars;
    if (fam === undefined || scalars === undefined) throw new Error('collect before attach');
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
    const key = eventKey(name);
    const bare = name.replace(/^SCX_EV_/, '');
    let decl: CounterDecl | undefined = schedExtEventStats.stats[key];
    if (decl === undefined) {
      try {
        const set = defineStats({
          name: `sched_ext_event_${key}`,
          help: `sched_ext event counter ${name}, new to this version of scx-metrics`,
          prefix: EVENT_PREFIX,
          stats: { [key]: counter({ help: `Kernel event counter ${name} (not yet described by scx-metrics)` }) },
        });
        decl = set.stats[key];
        this.discovered.push(set);
        this.log?.info(`sched_ext: new kernel event counter ${name}, exported as ${EVENT_PREFIX}_${key}_total`);
      } catch (err) {
        this.log?.once(`sched_ext:bad-event:${name}`, `sched_ext: event ${name} cannot be exported: ${(err as Error).message}`);
        return undefined;
      }
    }
    if (decl === undefined) return undefined;
    const b: EventBinding = { series: registry.family(decl).withValues([]), scale: knownEvents[bare]?.scale ?? 1 };
    this.events.set(name, b);
    return b;
  }
}

/** A running total; when the producer restarted since the last read, its value is all new counts. */
function absolute(s: CounterSeries, v: number, restarted: boolean): void {
  if (restarted) s.absolute(0);
  s.absolute(v);
}
