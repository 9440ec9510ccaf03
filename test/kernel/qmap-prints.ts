/**
 * scx_qmap's own once-a-second print of its arena counters, the truth its exported counters are checked
 * against (bpftool cannot dump an arena).
 */

/** The counter families of scx_qmap's print, in the order of its `stats :` and `exp_` lines. */
export const QMAP_COUNTERS = [
  'enqueued_tasks', 'dispatched_tasks', 'reenqueued_tasks', 'reenqueued_cid0_tasks', 'dequeued_tasks', 'core_sched_executed_tasks',
  'enqueue_direct_dispatches', 'expedited_local_tasks', 'expedited_remote_tasks', 'expedited_from_timer_tasks', 'expedited_lost_tasks',
] as const;

/** The counters of scx_qmap's last complete print in `out` (its `stats :` line and the `exp_` line after it), by family. */
export function lastPrint(out: string): Map<string, bigint> | undefined {
  const blocks = [...out.matchAll(/stats\s*: enq=(\d+) dsp=(\d+) delta=-?\d+ reenq\/cid0=(\d+)\/(\d+) deq=(\d+) core=(\d+) enq_ddsp=(\d+)\n\s*exp_local=(\d+) exp_remote=(\d+) exp_timer=(\d+) exp_lost=(\d+)\n/g)];
  const m = blocks.at(-1);
  if (m === undefined) return undefined;
  return new Map(QMAP_COUNTERS.map((n, i) => [n, BigInt(m[i + 1] as string)]));
}

/** How many prints `out` holds (its kept tail). */
export const prints = (out: string): number => out.split('stats  : ').length - 1;
