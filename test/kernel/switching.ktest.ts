/**
 * One agent across several real schedulers: the scheduler label follows root/ops, a scheduler's series leave
 * with it, and its counters stay monotonic when the same scheduler stops and starts again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, Scheduler } from './guest.js';

const seriesOf = (m: Map<string, number>, prefix: string): Map<string, number> => new Map([...m].filter(([k]) => k.startsWith(prefix)));
const schedulerLabels = (m: Map<string, number>): string[] => [...seriesOf(m, 'scx_sched_ext_scheduler{')].filter(([, v]) => v === 1).map(([k]) => k);

/** Starts a scheduler and waits until the agent reads it (a said line, then two more collections). */
async function run(a: Agent, binary: string, ops: string, times: number): Promise<Scheduler> {
  const s = await Scheduler.start(binary, ops);
  const said = `reading BPF stats of the running sched_ext scheduler "${ops}"`;
  const already = a.stderr().split(said).length - 1;
  await s.waitUntil(() => a.stderr().split(said).length - 1 >= times || (times > 1 && a.stderr().includes(`"${ops}" runs again`)), 30_000, `the agent to follow ${ops}`);
  await a.reports(2);
  s.check();
  void already;
  return s;
}

test('one agent follows simple → (restart) simple → central → flatcg: labels, series leaving, monotonic counters', async () => {
  const a = await Agent.start();
  try {
    let s = await run(a, 'scx_simple', 'simple', 1);
    const m1 = await a.metrics();
    assert.deepEqual(schedulerLabels(m1), ['scx_sched_ext_scheduler{name="simple",ops="simple"}']);
    const simple1 = seriesOf(m1, 'scx_simple_queued_tasks_total');
    assert.equal(simple1.size, 2, `scx_simple's series: ${[...simple1.keys()].join(', ')}`);
    await s.stop();
    await a.reports(2);

    s = await run(a, 'scx_simple', 'simple', 2);
    await a.reports(1);
    const m2 = await a.metrics();
    for (const [k, v] of simple1) {
      const now = m2.get(k);
      assert.ok(now !== undefined && now >= v, `${k} went from ${v} to ${now} across a restart of scx_simple`);
    }
    const moved = [...simple1].some(([k, v]) => (m2.get(k) ?? 0) > v);
    assert.ok(moved, 'no scx_simple counter moved after the restart: the new instance is not being read');
    await s.stop();

    s = await run(a, 'scx_central', 'central', 1);
    const m3 = await a.metrics();
    assert.deepEqual(schedulerLabels(m3), ['scx_sched_ext_scheduler{name="central",ops="central"}']);
    assert.equal(seriesOf(m3, 'scx_simple_').size, 0, 'scx_simple series stayed after central took over');
    assert.ok(seriesOf(m3, 'scx_central_enqueued_tasks_total').size === 1, 'scx_central is not read');
    await s.stop();

    s = await run(a, 'scx_flatcg', 'flatcg', 1);
    const m4 = await a.metrics();
    assert.deepEqual(schedulerLabels(m4), ['scx_sched_ext_scheduler{name="flatcg",ops="flatcg"}']);
    assert.equal(seriesOf(m4, 'scx_central_').size, 0, 'scx_central series stayed after flatcg took over');
    assert.ok(seriesOf(m4, 'scx_flatcg_').size >= 21, 'scx_flatcg is not read');
    await s.stop();
  } finally {
    await a.stop();
  }
});
