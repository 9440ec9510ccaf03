/**
 * The built-in probe and the /proc/schedstat source on a sched_ext kernel (the host has no /proc/schedstat),
 * with scx_simple scheduling: switch counts against /proc/stat's ctxt, the run-queue latency histogram
 * filled, schedstat's per-CPU columns exact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Agent, Scheduler, bracket } from './guest.js';

const ctxt = (): number => Number(/^ctxt (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
const sum = (m: Map<string, number>, prefix: string): number => [...m].filter(([k]) => k.startsWith(prefix)).reduce((s, [, v]) => s + v, 0);

/** /proc/schedstat's `cpuN` lines: the columns after the name. */
function schedstat(): Map<string, bigint[]> {
  const out = new Map<string, bigint[]>();
  for (const line of readFileSync('/proc/schedstat', 'utf8').split('\n')) {
    const m = /^cpu(\d+) (.*)$/.exec(line);
    if (m !== null) out.set(m[1] as string, (m[2] as string).trim().split(/\s+/).map(BigInt));
  }
  return out;
}

test('probe: sched_switch counts follow /proc/stat ctxt, latency histogram filled, under scx_simple', async () => {
  const s = await Scheduler.start('scx_simple', 'simple');
  const a = await Agent.start();
  try {
    // m0 comes from a collection that started after c0 was read; m1 from one that ended before c1 was read.
    const { before: c0, metrics: m0 } = await bracket(a, ctxt);
    await a.reports(4);
    const m1 = await a.metrics();
    const c1 = ctxt();
    const probed = sum(m1, 'scx_probe_sched_switch_total') - sum(m0, 'scx_probe_sched_switch_total');
    assert.ok(probed > 0, 'the probe counted no switches');
    // The probe's window lies inside [c0, c1]: it may miss the switches just before and after the scrapes.
    assert.ok(probed <= c1 - c0, `probe ${probed} > ctxt delta ${c1 - c0}`);
    assert.ok(probed >= 0.9 * (c1 - c0), `probe ${probed} is under 90% of the ctxt delta ${c1 - c0}`);
    const count = m1.get('scx_probe_runqueue_latency_seconds_count') ?? 0;
    assert.ok(count > 0, 'the latency histogram is empty');
    assert.equal(m1.get('scx_probe_runqueue_latency_seconds_bucket{le="+Inf"}'), count);
    s.check();
  } finally {
    await a.stop();
    await s.stop();
  }
});

test('/proc/schedstat: running, waiting and timeslices per CPU, exact', async () => {
  const a = await Agent.start(['--no-probe']);
  try {
    const { before, metrics, after } = await bracket(a, schedstat);
    assert.ok(before.size >= 1, 'no cpu lines in /proc/schedstat');
    const wrong: string[] = [];
    for (const [cpu, cols] of before) {
      const hi = after.get(cpu) ?? cols;
      const check = (series: string, col: number, scale: number): void => {
        const v = metrics.get(`${series}{cpu="${cpu}"}`);
        const lo = Number(cols[col]) * scale;
        const up = Number(hi[col]) * scale;
        if (v === undefined || v < lo - 1e-9 * Math.max(1, lo) || v > up + 1e-9 * Math.max(1, up)) wrong.push(`${series}{cpu="${cpu}"} = ${v}, expected ${lo}..${up}`);
      };
      check('scx_host_schedstat_running_seconds_total', 6, 1e-9);
      check('scx_host_schedstat_waiting_seconds_total', 7, 1e-9);
      check('scx_host_schedstat_timeslices_total', 8, 1);
    }
    assert.deepEqual(wrong, [], wrong.join('\n'));
  } finally {
    await a.stop();
  }
});
