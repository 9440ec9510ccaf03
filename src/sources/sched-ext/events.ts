/**
 * Declarations of the `events` counters, one family per counter, for the root scheduler (no labels, the names
 * exported since v6.15) and for sub-schedulers (their own prefix, labelled by cgroup). Counters this version
 * knows are declared up front with their meaning and unit; a name a newer kernel adds gets a declaration at
 * run time, so it is exported with no code change.
 */
import { counter, defineStats } from '../../declare/define.js';
import type { CounterDecl, LabelSpec, StatSet } from '../../declare/types.js';
import type { Logger } from '../../support/log.js';
import type { CounterSeries } from '../../registry/index.js';
import { knownEvents } from './stats.js';
import { eventKey } from './sysfs.js';

export const EVENT_PREFIX = 'scx_sched_ext_event';
export const SUB_EVENT_PREFIX = 'scx_sched_ext_sub_event';

/** The labels of every sub-scheduler series: the cgroup it is attached to, by id and by path. */
export const SUB_LABELS = { cgroup_id: String, cgroup: String } as const;

/** One counter per known event, under `prefix`, with `labels`. */
function knownEventStats<L extends LabelSpec>(name: string, help: string, prefix: string, labels: L): StatSet<Record<string, CounterDecl<L>>> {
  return defineStats({
    name,
    help,
    prefix,
    stats: Object.fromEntries(
      Object.entries(knownEvents).map(([event, e]) => [eventKey(event), counter({ help: `${e.help} (SCX_EV_${event})`, unit: e.unit ?? '', labels })]),
    ),
  });
}

/** Declarations of the event counters this version knows (registered when the kernel shows them). */
export const schedExtEventStats = knownEventStats(
  'sched_ext_events',
  'sched_ext core event counters of the loaded scheduler (root/events, kernel v6.15+), since it was enabled',
  EVENT_PREFIX,
  {},
);

/** The same counters for each sub-scheduler, labelled by its cgroup. */
export const schedExtSubEventStats = knownEventStats(
  'sched_ext_sub_events',
  'sched_ext core event counters of each sub-scheduler (root/sub/.../sub-<cgroup id>/events, Linux 7.x), since it attached',
  SUB_EVENT_PREFIX,
  SUB_LABELS,
);

/** An event's declaration and the factor from the kernel's unit to the declared one. */
export interface EventDecl {
  readonly decl: CounterDecl;
  readonly scale: number;
}

/**
 * The declaration of each event name under one prefix: the known one, or one made at run time (kept, and
 * listed by `discovered` for `describe`). Undefined, said once, for a name no metric can be made of.
 */
export class EventDecls {
  readonly discovered: StatSet[] = [];
  private readonly known: StatSet<Record<string, CounterDecl>>;
  private readonly prefix: string;
  private readonly labels: LabelSpec;
  private readonly made = new Map<string, EventDecl | undefined>();

  constructor(known: StatSet<Record<string, CounterDecl>>, prefix: string, labels: LabelSpec) {
    this.known = known;
    this.prefix = prefix;
    this.labels = labels;
  }

  get(name: string, log: Logger | undefined): EventDecl | undefined {
    if (this.made.has(name)) return this.made.get(name);
    const key = eventKey(name);
    const scale = knownEvents[name.replace(/^SCX_EV_/, '')]?.scale ?? 1;
    let decl: CounterDecl | undefined = this.known.stats[key];
    if (decl === undefined) {
      try {
        const set = defineStats({
          name: `${this.prefix.replace(/^scx_/, '')}_${key}`,
          help: `sched_ext event counter ${name}, new to this version of scx-metrics`,
          prefix: this.prefix,
          stats: { [key]: counter({ help: `Kernel event counter ${name} (not yet described by scx-metrics)`, labels: this.labels }) },
        });
        decl = set.stats[key];
        this.discovered.push(set);
        log?.info(`sched_ext: new kernel event counter ${name}, exported as ${this.prefix}_${key}_total`);
      } catch (err) {
        log?.once(`sched_ext:bad-event:${this.prefix}:${name}`, `sched_ext: event ${name} cannot be exported: ${(err as Error).message}`);
      }
    }
    const out = decl === undefined ? undefined : { decl, scale };
    this.made.set(name, out);
    return out;
  }
}

/**
 * A running total of a counter that restarts from zero with its scheduler: when the scheduler restarted since
 * the last read, the value is all new counts (added in full, though it may be above the last one read).
 */
export function absolute(s: CounterSeries, v: number, restarted: boolean): void {
  if (restarted) s.absolute(0);
  s.absolute(v);
}
