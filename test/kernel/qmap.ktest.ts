/**
 * scx_qmap keeps its counters in a BPF arena (`struct qmap_arena qa`, __arena_global). bpftool cannot dump an
 * arena, so the truth is scx_qmap's own once-a-second print of the same variables: each exported counter lies
 * between a print received before the agent's scraped collection and one printed after the scrape.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, Scheduler } from './guest.js';

/** The counters of scx_qmap's last complete print in `out` (its `stats :` line and the `exp_` line after it). */
function lastPrint(out: string): Map<string, bigint> | undefined {
  const blocks = [...out.matchAll(/stats\s*: enq=(\d+) dsp=(\d+) delta=-?\d+ reenq\/cid0=(\d+)\/(\d+) deq=(\d+) core=(\d+) enq_ddsp=(\d+)\n\s*exp_local=(\d+) exp_remote=(\d+) exp_timer=(\d+) exp_lost=(\d+)\n/g)];
  const m = blocks.at(-1);
  if (m === undefined) return undefined;
  const names = ['enqueued_tasks', 'dispatched_tasks', 'reenqueued_tasks', 'reenqueued_cid0_tasks', 'dequeued_tasks', 'core_sched_executed_tasks', 'enqueue_direct_dispatches', 'expedited_local_tasks', 'expedited_remote_tasks', 'expedited_from_timer_tasks', 'expedited_lost_tasks'];
  return new Map(names.map((n, i) => [`scx_qmap_${n}_total`, BigInt(m[i + 1] as string)]));
}

const prints = (out: string): number => out.split('stats  : ').length - 1;

test('scx_qmap: auto-detected, its arena counters exact against its own prints', async () => {
  const s = await Scheduler.start('scx_qmap', 'qmap');
  const a = await Agent.start();
  try {
    await s.waitUntil(() => a.stderr().includes('reading BPF stats of the running sched_ext scheduler "qmap" with profile qmap'), 30_000, 'the agent to pick the profile');
    await s.waitUntil(() => lastPrint(s.output()) !== undefined, 30_000, 'a stats print of scx_qmap');
    const before = lastPrint(s.output()) as Map<string, bigint>;
    const seen = (await a.metrics()).get('scx_metrics_collections_total') ?? 0;
    let metrics = await a.metrics();
    while ((metrics.get('scx_metrics_collections_total') ?? 0) < seen + 2) {
      await new Promise((r) => setTimeout(r, 200));
      metrics = await a.metrics();
    }
    // The second print that arrives after the scrape was surely printed after it.
    const n = prints(s.output());
    await s.waitUntil(() => prints(s.output()) >= n + 2 && lastPrint(s.output()) !== undefined, 30_000, 'two prints after the scrape');
    const after = lastPrint(s.output()) as Map<string, bigint>;
    const wrong: string[] = [];
    for (const [series, lo] of before) {
      const v = metrics.get(series);
      const hi = after.get(series) as bigint;
      if (v === undefined || BigInt(v) < lo || BigInt(v) > hi) wrong.push(`${series} = ${v}, expected ${lo}..${hi}`);
    }
    assert.deepEqual(wrong, [], `${wrong.join('\n')}\nagent stderr:\n${a.stderr()}`);
    assert.ok((after.get('scx_qmap_enqueued_tasks_total') ?? 0n) > 0n, 'scx_qmap enqueued nothing');
    for (const g of ['cpuperf_current_avg', 'cpuperf_target_avg', 'highpri_queued_tasks']) assert.ok(Number.isFinite(metrics.get(`scx_qmap_${g}`)), `scx_qmap_${g} is not exported`);
    s.check();
  } finally {
    await a.stop();
    await s.stop();
  }
});
