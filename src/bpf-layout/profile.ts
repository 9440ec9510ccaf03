/**
 * A scheduler profile: the stats a sched_ext scheduler keeps in BPF maps, declared like any other stats, plus
 * what finds them on a running system (the sched_ext ops name, the name prefixes of its programs).
 */
import { DeclarationError } from '../declare/naming.js';
import type { StatSet } from '../declare/types.js';
import { planMaps } from './layout.js';

export interface SchedulerProfile {
  /** Short name, as `--scheduler` takes it (`rusty`). */
  readonly name: string;
  /** The name the scheduler gives sched_ext (`/sys/kernel/sched_ext/root/ops`), usually the same. */
  readonly ops: string;
  /** Name prefixes of its struct_ops programs (`BPF_STRUCT_OPS(rusty_enqueue, ...)` gives `rusty_`). */
  readonly programs: readonly string[];
  /** Which version of the scheduler's source the layout was taken from, for `describe` and the docs. */
  readonly layoutFrom: string;
  readonly stats: StatSet;
}

/** Checks a profile once: names present and every BPF reference plannable (indices, offsets, labels). */
export function defineProfile<P extends SchedulerProfile>(p: P): P {
  if (p.programs.length === 0 || p.programs.some((x) => x === '')) {
    throw new DeclarationError(`profile "${p.name}": needs non-empty program name prefixes`);
  }
  if (planMaps(p.stats).length === 0) throw new DeclarationError(`profile "${p.name}": no stat reads a BPF map`);
  return Object.freeze(p);
}
