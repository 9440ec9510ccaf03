/**
 * scx_qmap keeps its counters in a BPF arena (`struct qmap_arena qa`, __arena_global). bpftool cannot dump an
 * arena, so the truth is scx_qmap's own once-a-second print of the same variables: each exported counter lies
 * between a print received before the agent's scraped collection and one printed after the scrape.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, Scheduler, collectedAfter } from './guest.js';
import { lastPrint, prints } from './qmap-prints.js';

test('scx_qmap: auto-detected, its arena counters exact against its own prints', async () => {
  const s = await Scheduler.start('scx_qmap', 'qmap');
  const a = await Agent.beside([s]);
  try {
    await s.waitUntil(() => a.stderr().includes('reading BPF stats of the running sched_ext scheduler "qmap" with profile qmap'), 30_000, 'the agent to pick the profile');
    await s.waitUntil(() => lastPrint(s.output()) !== undefined, 30_000, 'a stats print of scx_qmap');
    const before = lastPrint(s.output()) as Map<string, bigint>;
    const metrics = await collectedAfter(a);
    // The second print that arrives after the scrape was surely printed after it.
    const n = prints(s.output());
    await s.waitUntil(() => prints(s.output()) >= n + 2 && lastPrint(s.output()) !== undefined, 30_000, 'two prints after the scrape');
    const after = lastPrint(s.output()) as Map<string, bigint>;
    const wrong: string[] = [];
    for (const [name, lo] of before) {
      const series = `scx_qmap_${name}_total`;
      const v = metrics.get(series);
      const hi = after.get(name) as bigint;
      if (v === undefined || BigInt(v) < lo || BigInt(v) > hi) wrong.push(`${series} = ${v}, expected ${lo}..${hi}`);
    }
    assert.deepEqual(wrong, [], `${wrong.join('\n')}\nagent stderr:\n${a.stderr()}`);
    assert.ok((after.get('enqueued_tasks') ?? 0n) > 0n, 'scx_qmap enqueued nothing');
    for (const g of ['cpuperf_current_avg', 'cpuperf_target_avg', 'highpri_queued_tasks']) assert.ok(Number.isFinite(metrics.get(`scx_qmap_${g}`)), `scx_qmap_${g} is not exported`);
    s.check();
  } finally {
    await a.stop().finally(() => s.stop());
  }
});
