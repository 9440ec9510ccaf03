/**
 * Which of the running sched_ext schedulers a BPF source reads: the root one, or the sub-scheduler attached to
 * one cgroup. Maps are found through their programs (discover.ts), and programs are found by name prefix; with
 * a sub-scheduler running the same object as the root (`scx_qmap` and `scx_qmap -c DIR`) both have `qmap_*`
 * programs, so the prefix alone mixes them up. This narrows the programs to those one scheduler's struct_ops
 * map lists (struct-ops.ts).
 */
import type { SchedOps } from './struct-ops.js';
import { isRootCgroup } from './struct-ops.js';
import type { ProgInfo } from './sys.js';

/** The root scheduler, or the sub-scheduler on the cgroup with this id (as sysfs spells it, `sub-<id>`). */
export type SchedulerScope =
  | { readonly kind: 'root' }
  /** `cgroup`: the cgroup's path, for the `cgroup` label of its series ('' when unknown). */
  | { readonly kind: 'sub'; readonly cgroupId: string; readonly cgroup?: string };

/** The scheduler's programs, and which struct_ops map said so. */
export interface Scoped {
  readonly progs: ProgInfo[];
  readonly ops: SchedOps;
}

function inScope(ops: SchedOps, scope: SchedulerScope): boolean {
  return scope.kind === 'root' ? isRootCgroup(ops.cgroupId) : ops.cgroupId.toString() === scope.cgroupId;
}

/**
 * Among `all` programs, those of the scheduler in `scope` whose struct_ops map (in `ops`, newest first) lists
 * programs named with one of `prefixes`; the newest such map when several do (a restart overlapping its
 * predecessor's teardown). Undefined when no struct_ops map in scope lists such a program.
 */
export function scopePrograms(all: readonly ProgInfo[], prefixes: readonly string[], scope: SchedulerScope, ops: readonly SchedOps[]): Scoped | undefined {
  const named = new Set(all.filter((p) => prefixes.some((x) => p.name.startsWith(x))).map((p) => p.id));
  const pick = ops.find((o) => inScope(o, scope) && o.progIds.some((id) => named.has(id)));
  if (pick === undefined) return undefined;
  const ids = new Set(pick.progIds);
  return { progs: all.filter((p) => ids.has(p.id)), ops: pick };
}

/** `the root scheduler`, `the sub-scheduler on cgroup 28`, for messages. */
export function describeScope(scope: SchedulerScope): string {
  return scope.kind === 'root' ? 'the root scheduler' : `the sub-scheduler on cgroup ${scope.cgroupId}`;
}
