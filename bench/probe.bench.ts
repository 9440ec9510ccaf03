/**
 * The BPF probe's cost on a context-switch-heavy workload: two processes ping-ponging one byte over pipes
 * (test/helpers/workload.ts), timed with no probe, with the counting-only probe and with the full probe
 * (counts plus run-queue latency), the three alternated run by run in one process so machine noise hits each
 * alike. Two shapes: both processes pinned to one CPU (every switch is between them: the worst case, a
 * switch every ~1.2 µs here; the target's measure) and unpinned (wakeups cross CPUs; informational). Target:
 * the full probe at most 3% slower.
 * Needs root; without it the bench says so and exits 0.
 */
import { cpus } from 'node:os';
import { closeFd, enableRunTimeStats } from '../src/sources/bpf/sys.js';
import { SchedProbe } from '../src/sources/probe/probe.js';
import { pingPong, procCtxt } from '../test/helpers/workload.js';
import { machineLine, median } from './harness.js';

type Arm = 'off' | 'counts' | 'full';
const ARMS: readonly Arm[] = ['off', 'counts', 'full'];

function attach(arm: Arm): SchedProbe | undefined {
  if (arm === 'off') return undefined;
  return SchedProbe.load({ latency: arm === 'full' });
}

/** Median ms per run of each arm, and the context switches one run makes. */
function measure(roundTrips: number, runs: number, cpu: number | undefined): { ms: Record<Arm, number>; switches: number } {
  const samples: Record<Arm, number[]> = { off: [], counts: [], full: [] };
  let switches = 0;
  pingPong(roundTrips, { cpu }); // warm-up: page cache, perl start-up
  for (let r = 0; r < runs; r++) {
    for (const arm of ARMS) {
      const probe = attach(arm);
      const c0 = procCtxt();
      const t0 = process.hrtime.bigint();
      pingPong(roundTrips, { cpu });
      samples[arm].push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (arm === 'off') switches = Math.max(switches, Number(procCtxt() - c0));
      probe?.close();
    }
  }
  return { ms: { off: median(samples.off), counts: median(samples.counts), full: median(samples.full) }, switches };
}

function report(shape: string, m: { ms: Record<Arm, number>; switches: number }, target?: number): void {
  const { off, counts, full } = m.ms;
  const pct = (x: number): string => `${x >= off ? '+' : ''}${((x / off - 1) * 100).toFixed(1)}%`;
  const perSwitch = (x: number): string => `${(((x - off) * 1e6) / m.switches).toFixed(0)} ns/switch`;
  console.log(`${shape}: ${m.switches} switches per run; no probe ${off.toFixed(1)} ms, counts only ${counts.toFixed(1)} ms (${pct(counts)}, ${perSwitch(counts)}), full ${full.toFixed(1)} ms (${pct(full)}, ${perSwitch(full)})`);
  if (target !== undefined) {
    const slowdown = full / off - 1;
    console.log(`${shape}: full probe slowdown ${(slowdown * 100).toFixed(1)}% (target <=${target * 100}%: ${slowdown <= target ? 'met' : 'NOT met'})`);
  }
}

/**
 * The kernel's own timing of each program (BPF_ENABLE_STATS) over one pinned run: ns per run, immune to the
 * noise of other processes on a shared machine. Includes part of the timing's own two clock reads.
 */
function kernelTimed(latency: boolean, cpu: number): string {
  const stats = enableRunTimeStats();
  const probe = SchedProbe.load({ latency });
  try {
    pingPong(20000, { cpu });
    return probe
      .runStats()
      .filter((r) => r.runCount > 100n)
      .map((r) => `${r.tracepoint} ${(Number(r.runTimeNs) / Number(r.runCount)).toFixed(0)} ns/run`)
      .join(', ');
  } finally {
    probe.close();
    closeFd(stats);
  }
}

if (process.getuid?.() !== 0) {
  console.log('probe bench: skipped, needs root to load BPF programs');
} else {
  console.log(machineLine(), `${cpus().length} CPUs`);
  const last = cpus().length - 1;
  report(`ping-pong pinned to CPU ${last}`, measure(20000, 11, last), 0.03);
  console.log(`kernel-timed program cost, full probe: ${kernelTimed(true, last)}`);
  console.log(`kernel-timed program cost, counts only: ${kernelTimed(false, last)}`);
  // Informational: across CPUs each round trip waits on a wakeup IPI and an idle exit, which dominate (and
  // which the probe's extra work can even shorten), so it is not the target's measure.
  report('ping-pong unpinned (informational)', measure(5000, 9, undefined));
}
