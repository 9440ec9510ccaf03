/**
 * The BPF probe's cost on context-switch-heavy workloads, timed with no probe, with empty programs on the
 * probe's four tracepoints (what attaching anything costs), with the counting-only probe and with the full
 * probe (counts plus run-queue latency), the four arms alternated run by run in one process, in an order that
 * rotates, so machine noise hits each alike; each arm's slowdown is the median of its per-round ratios to no probe. Target (issue 3): the full probe at most 3% slower on threads ping-ponging.
 *
 * Workloads (test/helpers/workload.ts), both pinned to one CPU so every switch is between the two sides:
 * - threads: two threads of one Node process passing a turn with Atomics.wait/notify (futexes): the issue's
 *   "threads ping-ponging", and the target's measure;
 * - processes: two Perl processes passing a byte over pipes (lat_ctx style): cheaper switches, so the worst
 *   case for a fixed cost per switch.
 * Printed for information: the threads ping-pong with another tool's programs already on the tracepoints,
 * and an unpinned process ping-pong (there cross-CPU wakeups and idle exits dominate).
 * Needs root; without it the bench says so and exits 0.
 */
import { cpus } from 'node:os';
import { closeFd, enableRunTimeStats, progLoad, ProgType, rawTracepointOpen } from '../src/sources/bpf/sys.js';
import { Asm, R0 } from '../src/sources/probe/asm.js';
import { SchedProbe } from '../src/sources/probe/probe.js';
import { EVENTS } from '../src/sources/probe/programs.js';
import { pingPong, procCtxt, threadPingPong, type LoopRun } from '../test/helpers/workload.js';
import { machineLine, median } from './harness.js';

type Arm = 'off' | 'empty' | 'counts' | 'full';
const ARMS: readonly Arm[] = ['off', 'empty', 'counts', 'full'];
const TARGET = 0.03;

/** Programs that return at once, on the probe's tracepoints: the cost of being attached at all. */
function attachEmpty(): { close(): void } {
  const fds: number[] = [];
  try {
    for (const tp of EVENTS) {
      const prog = progLoad({ type: ProgType.RAW_TRACEPOINT, insns: new Asm().movImm(R0, 0).exit().assemble(), name: 'scxp_bench' });
      fds.push(prog, rawTracepointOpen(tp, prog));
    }
  } catch (err) {
    for (const fd of fds.reverse()) closeFd(fd);
    throw err;
  }
  return { close: () => fds.reverse().forEach(closeFd) };
}

function attach(arm: Arm): { close(): void } | undefined {
  if (arm === 'off') return undefined;
  if (arm === 'empty') return attachEmpty();
  return SchedProbe.load({ latency: arm === 'full' });
}

/** The process ping-pong timed from outside (Perl's start-up is a few ms of the run). */
function processes(roundTrips: number, cpu: number | undefined): LoopRun {
  const c0 = procCtxt();
  const t0 = process.hrtime.bigint();
  pingPong(roundTrips, { cpu });
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, switches: Number(procCtxt() - c0) };
}

/** Blocks for `ms` without spinning, so what attaching or detaching left to the kernel (RCU frees) is done. */
function settle(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Per arm, the ms of each round's run; and the median context switches of a run without the probe. */
interface Measured {
  readonly ms: Record<Arm, number[]>;
  readonly switches: number;
}

/**
 * `rounds` rounds, each running every arm once. The order rotates round by round so no arm always follows
 * another (detaching frees programs through RCU, and whatever runs next would pay for it), and each attach
 * or detach is followed by a pause before the timed run starts.
 */
function measure(workload: () => LoopRun, rounds: number): Measured {
  const ms: Record<Arm, number[]> = { off: [], empty: [], counts: [], full: [] };
  const switches: number[] = [];
  workload(); // warm-up: page cache, start-up
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < ARMS.length; k++) {
      const arm = ARMS[(r + k) % ARMS.length] as Arm;
      const probe = attach(arm);
      try {
        settle(20);
        const run = workload();
        ms[arm].push(run.ms);
        if (arm === 'off') switches.push(run.switches);
      } finally {
        probe?.close();
      }
      settle(20);
    }
  }
  return { ms, switches: median(switches) };
}

/**
 * An arm's slowdown against no probe: the median over rounds of (arm / off - 1), each ratio taken within one
 * round so slow drifts of the machine cancel, with the quartiles of those ratios to show the spread.
 */
function slowdown(m: Measured, arm: Arm): { median: number; q1: number; q3: number } {
  const ratios = m.ms[arm].map((x, r) => x / (m.ms.off[r] as number) - 1).sort((a, b) => a - b);
  const at = (q: number): number => ratios[Math.min(ratios.length - 1, Math.floor(q * ratios.length))] as number;
  return { median: median(ratios), q1: at(0.25), q3: at(0.75) };
}

function report(shape: string, m: Measured, target?: number): void {
  const off = median(m.ms.off);
  const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
  const arm = (a: Arm, label: string): string => {
    const s = slowdown(m, a);
    return `${label} ${pct(s.median)} [${pct(s.q1)}..${pct(s.q3)}] (${((s.median * off * 1e6) / m.switches).toFixed(0)} ns/switch)`;
  };
  console.log(`${shape}: ${m.switches} switches per run, no probe ${off.toFixed(1)} ms; ${arm('empty', 'empty programs')}, ${arm('counts', 'counts only')}, ${arm('full', 'full')} (median over ${m.ms.off.length} rounds [quartiles])`);
  if (target !== undefined) {
    const full = slowdown(m, 'full').median;
    console.log(`${shape}: full probe slowdown ${pct(full)} (target <=${target * 100}%: ${full <= target ? 'met' : 'NOT met'}); empty programs alone ${pct(slowdown(m, 'empty').median)}`);
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
  const cpu = cpus().length - 1;
  report(`threads ping-pong (Atomics.wait/notify) pinned to CPU ${cpu}`, measure(() => threadPingPong(20000, { cpu }), 16), TARGET);
  report(`processes ping-pong (pipes) pinned to CPU ${cpu}`, measure(() => processes(20000, cpu), 12));
  // Another tool already on the tracepoints (perf, bpftrace, a second agent) turns each one's direct static
  // call into the iterator over its programs; what the probe adds then is a different figure.
  const other = attachEmpty();
  try {
    report(`threads ping-pong pinned, another tool's empty programs already attached (informational)`, measure(() => threadPingPong(20000, { cpu }), 8));
  } finally {
    other.close();
  }
  console.log(`kernel-timed program cost, full probe: ${kernelTimed(true, cpu)}`);
  console.log(`kernel-timed program cost, counts only: ${kernelTimed(false, cpu)}`);
  report('processes ping-pong unpinned (informational)', measure(() => processes(5000, undefined), 8));
}
