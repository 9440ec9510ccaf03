/**
 * The sched_ext source on the real sysfs: state transitions, enable_seq, nr_rejected, and every line of
 * root/events by name (including names newer than the ones this version describes).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, Scheduler, bracket, sysfs } from './guest.js';

const stateOf = (m: Map<string, number>): string[] => [...m].filter(([k, v]) => k.startsWith('scx_sched_ext_state{') && v === 1).map(([k]) => k);

function events(): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const line of (sysfs('root/events') ?? '').split('\n')) {
    const [name, value] = line.trim().split(/\s+/);
    if (name !== undefined && name !== '' && value !== undefined) out.set(name, BigInt(value));
  }
  return out;
}

/** The exported series of an event line (BYPASS_DURATION is in ns, exported in seconds). */
function eventSeries(name: string): { series: string; scale: number } {
  const key = name.replace(/^SCX_EV_/, '').toLowerCase();
  return key === 'bypass_duration' ? { series: `scx_sched_ext_event_${key}_seconds_total`, scale: 1e-9 } : { series: `scx_sched_ext_event_${key}_total`, scale: 1 };
}

test('state, enable_seq, nr_rejected and every root/events line, while scx_simple runs and after', async () => {
  const a = await Agent.start();
  let s: Scheduler | undefined;
  try {
    const m0 = await a.metrics();
    assert.deepEqual(stateOf(m0), ['scx_sched_ext_state{state="disabled"}']);
    const seq0 = Number(sysfs('enable_seq'));
    assert.equal(m0.get('scx_sched_ext_enables_total'), seq0, 'enables_total is not enable_seq');

    s = await Scheduler.start('scx_simple', 'simple');
    const { before, metrics: m1, after } = await bracket(a, events);
    assert.deepEqual(stateOf(m1), ['scx_sched_ext_state{state="enabled"}']);
    assert.equal(Number(sysfs('enable_seq')), seq0 + 1);
    assert.equal(m1.get('scx_sched_ext_enables_total'), seq0 + 1);
    assert.equal(m1.get('scx_sched_ext_rejected_tasks_total'), Number(sysfs('nr_rejected')));
    assert.equal(m1.get('scx_sched_ext_switch_all'), Number(sysfs('switch_all')));
    assert.ok(before.size >= 13, `root/events has ${before.size} lines`);
    const wrong: string[] = [];
    for (const [name, lo] of before) {
      const { series, scale } = eventSeries(name);
      const v = m1.get(series);
      const hi = after.get(name) ?? lo;
      if (v === undefined || v < Number(lo) * scale - 1e-9 || v > Number(hi) * scale + 1e-9) wrong.push(`${name}: ${series} = ${v}, expected ${lo}..${hi} × ${scale}`);
    }
    assert.deepEqual(wrong, [], wrong.join('\n'));
    s.check();
    await s.stop();
    s = undefined;
    await a.reports(2);
    const m2 = await a.metrics();
    assert.deepEqual(stateOf(m2), ['scx_sched_ext_state{state="disabled"}']);
    assert.equal(m2.get('scx_sched_ext_enables_total'), seq0 + 1);
    assert.equal([...m2.keys()].filter((k) => k.startsWith('scx_sched_ext_scheduler{')).length, 0, 'the scheduler series stayed after it stopped');
  } finally {
    await s?.stop();
    await a.stop();
  }
});
