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

test('probe: sched_switch counts between /proc/stat ctxt reads, latency histogram filled, under scx_simple', async () => {
  const s = await Scheduler.start('scx_simple', 'simple');
  const a = await Agent.beside([s]);
  try {
    // Two brackets: ctxt read before and after each scrape's collection. The probe's count between the two
    // collections lies between the inner reads' difference and the outer reads'.
    const { before: c0, metrics: m0, after: cA } = await bracket(a, ctxt);
    await a.reports(2);
    const { before: cB, metrics: m1, after: c1 } = await bracket(a, ctxt);
    const probed = sum(m1, 'scx_probe_sched_switch_total') - sum(m0, 'scx_probe_sched_switch_total');
    assert.ok(cB - cA > 0, 'no context switches between the inner reads');
    assert.ok(probed >= cB - cA && probed <= c1 - c0, `probe counted ${probed} switches; /proc/stat ctxt moved ${cB - cA} (inner) to ${c1 - c0} (outer)`);
    const count = m1.get('scx_probe_runqueue_latency_seconds_count') ?? 0;
    assert.ok(count > 0, 'the latency histogram is empty');
    assert.equal(m1.get('scx_probe_runqueue_latency_seconds_bucket{le="+Inf"}'), count);
    s.check();
  } finally {
    await a.stop().finally(() => s.stop());
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
