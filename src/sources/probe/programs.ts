/**
 * The probe's BPF programs, hand-assembled (see asm.ts) so the agent needs no compiler at run time. Four
 * programs, one per scheduler tracepoint, share one map, `stats`: a per-CPU array with one element of
 * STATS_SLOTS u64s, the event counts (EVENT_SLOTS), then the run-queue latency's log2 buckets (from
 * LATENCY_FIRST_SLOT), the sum of all latencies in ns (LATENCY_SUM_SLOT), and two slots the switch program
 * carries from one switch to the next (CARRY_TASK_SLOT, CARRY_DELAY_SLOT). One element means one lookup per
 * program run however many slots it touches; slots are bumped without atomics (the element is this CPU's
 * own, and the scheduler tracepoints run with interrupts off).
 *
 * Run-queue latency needs no timestamps of its own: the kernel already measures it (CONFIG_SCHED_INFO, behind
 * /proc/<pid>/schedstat). `task->sched_info.last_queued` is the run-queue clock at which the task was first
 * queued (woken, new, or switched out while still runnable), 0 when it is not waiting; right *after* the
 * sched_switch tracepoint, `sched_info_arrive()` adds `now - last_queued` to next's `run_delay`. So:
 *
 * 1. at a switch, if next is waiting (`last_queued != 0`), carry next's `task_struct` address and `run_delay`
 *    in this CPU's element;
 * 2. at the following switch on this CPU, prev is that task (what runs on a CPU is what last switched in, so
 *    comparing addresses suffices and no pid is read), and `prev->sched_info.run_delay - carried` is exactly
 *    the wait the kernel added when it arrived.
 *
 * A wait is thus recorded when the task next leaves the CPU, and the only cost is a few loads: no clock read,
 * no hash map, nothing to stamp at wakeup and nothing to clean at exit. The loads are plain memory reads in a
 * BTF-typed raw tracepoint program (`tp_btf`), whose `prev` and `next` are typed pointers; the offsets come
 * from the kernel's BTF (../bpf/btf.ts) and the verifier checks them against it.
 *
 * Counting alone needs no BTF: those programs are plain raw tracepoint programs.
 */
import { Asm, Helper, R0, R1, R2, R3, R6, R7, R8, R9, R10 } from './asm.js';

/** Event slots of the `stats` element. */
export const EVENT_SLOTS = {
  sched_switch: 0,
  sched_wakeup: 1,
  sched_wakeup_new: 2,
  sched_migrate_task: 3,
} as const;
export type ProbeEvent = keyof typeof EVENT_SLOTS;
export const EVENTS = Object.keys(EVENT_SLOTS) as ProbeEvent[];

/**
 * Latency buckets: bucket i holds latencies <= 2^(LATENCY_MIN_EXP + i) ns, for i in 0..LATENCY_BOUNDS-1
 * (1.024 µs .. 34.4 s), and bucket LATENCY_BOUNDS holds everything longer (+Inf). A latency v lands in the
 * first bucket whose bound is >= v, computed as ceil(log2(v)) - LATENCY_MIN_EXP clamped to the buckets, so
 * the exported cumulative `le` counts are exact, not shifted by one bucket.
 */
export const LATENCY_MIN_EXP = 10;
export const LATENCY_BOUNDS = 26;
/** The `stats` slot of latency bucket 0. */
export const LATENCY_FIRST_SLOT = EVENTS.length;
/** The `stats` slot after the buckets: sum of latencies in ns. */
export const LATENCY_SUM_SLOT = LATENCY_FIRST_SLOT + LATENCY_BOUNDS + 1;
/** Carried from a switch to the next on this CPU: the address of the waiting task switched in, 0 for none. */
export const CARRY_TASK_SLOT = LATENCY_SUM_SLOT + 1;
/** Carried with it: that task's run_delay before the kernel added its wait. */
export const CARRY_DELAY_SLOT = CARRY_TASK_SLOT + 1;
/** u64 slots in the `stats` element. */
export const STATS_SLOTS = CARRY_DELAY_SLOT + 1;

/** What the latency program needs from the loader: the map, and offsets in `struct task_struct` from BTF. */
export interface ProgramParams {
  readonly statsFd: number;
  /** `sched_info.run_delay`. */
  readonly runDelayOffset: number;
  /** `sched_info.last_queued`. */
  readonly lastQueuedOffset: number;
}

// Stack slot (offset from R10, the frame pointer): the u32 key 0 of the one `stats` element.
const KEY = -4;

/**
 * sched_switch(preempt, prev, next, prev_state) as a `tp_btf` program: count; record the wait that ended
 * when prev was switched in; carry next's run_delay if next is waiting (see the top of this file).
 */
export function switchProgram(p: ProgramParams): Buffer {
  const a = new Asm();
  a.mov(R6, R1); // ctx survives helper calls in R6
  statsInto(a, p.statsFd, R9, 'out'); // R9 = this CPU's element
  inc(a, R9, EVENT_SLOTS.sched_switch);
  a.ldxDw(R7, R6, 8); // prev
  a.ldxDw(R1, R9, CARRY_TASK_SLOT * 8).jne(R1, R7, 'carry'); // not the task whose switch-in was carried (or none)
  a.ldxDw(R8, R7, p.runDelayOffset).ldxDw(R1, R9, CARRY_DELAY_SLOT * 8);
  a.jgt(R1, R8, 'carry'); // run_delay never shrinks; skip rather than record a huge wait
  a.sub(R8, R1); // R8 = the wait in ns
  latencySlot(a); // R7 = bucket index, 0..LATENCY_BOUNDS
  a.lshImm(R7, 3).add(R7, R9);
  inc(a, R7, LATENCY_FIRST_SLOT);
  a.ldxDw(R1, R9, LATENCY_SUM_SLOT * 8).add(R1, R8).stxDw(R9, LATENCY_SUM_SLOT * 8, R1);
  a.label('carry');
  a.ldxDw(R7, R6, 16); // next
  a.movImm(R1, 0);
  a.ldxDw(R2, R7, p.lastQueuedOffset).jeqImm(R2, 0, 'carried'); // not waiting (the idle task never is)
  a.ldxDw(R2, R7, p.runDelayOffset).stxDw(R9, CARRY_DELAY_SLOT * 8, R2);
  a.mov(R1, R7);
  a.label('carried').stxDw(R9, CARRY_TASK_SLOT * 8, R1);
  a.label('out').movImm(R0, 0).exit();
  return a.assemble();
}

/** Counts one event and nothing else (a plain raw tracepoint program): every event but a timed sched_switch. */
export function countProgram(statsFd: number, event: ProbeEvent): Buffer {
  const a = new Asm();
  statsInto(a, statsFd, R0, 'out');
  inc(a, R0, EVENT_SLOTS[event]);
  a.label('out').movImm(R0, 0).exit();
  return a.assemble();
}

/**
 * `into` = this CPU's `stats` element, or go to `fail` (the lookup of index 0 cannot fail, but the verifier
 * wants the check). The verifier inlines a per-CPU array lookup (Linux >= 6.10): no call is made.
 * Clobbers R0-R5.
 */
function statsInto(a: Asm, fd: number, into: number, fail: string): void {
  a.stW(R10, KEY, 0).ldMapFd(R1, fd).mov(R2, R10).addImm(R2, KEY).call(Helper.mapLookupElem);
  a.jeqImm(R0, 0, fail);
  if (into !== R0) a.mov(into, R0);
}

/** (*(u64 *)(ptr + slot * 8))++. Clobbers R1. */
function inc(a: Asm, ptr: number, slot: number): void {
  a.ldxDw(R1, ptr, slot * 8).addImm(R1, 1).stxDw(ptr, slot * 8, R1);
}

/**
 * R7 = the latency bucket of R8 (ns): ceil(log2(R8)) - LATENCY_MIN_EXP, clamped to 0..LATENCY_BOUNDS.
 * ceil(log2(v)) is floor(log2(v - 1)) + 1 for v >= 2 (0 for v <= 1); floor(log2) is a branchy binary search
 * over shifts of 32, 16, 8, 4, 2, 1. Uses R1-R3.
 */
function latencySlot(a: Asm): void {
  a.movImm(R7, 0);
  a.jgtImm(R8, 1, 'log2');
  a.ja('clamp'); // v <= 1: ceil(log2 v) = 0
  a.label('log2').mov(R1, R8).addImm(R1, -1).movImm(R2, 0);
  for (const s of [32, 16, 8, 4, 2, 1]) {
    a.mov(R3, R1).rshImm(R3, s).jeqImm(R3, 0, `s${s}`);
    a.mov(R1, R3).addImm(R2, s);
    a.label(`s${s}`);
  }
  // R2 = floor(log2(v - 1)), so ceil(log2 v) = R2 + 1 and the bucket is R2 + 1 - MIN when that is > 0.
  a.addImm(R2, 1);
  a.jgtImm(R2, LATENCY_MIN_EXP, 'above');
  a.ja('clamp'); // v <= 2^MIN: the first bucket
  a.label('above').mov(R7, R2).addImm(R7, -LATENCY_MIN_EXP);
  a.jgtImm(R7, LATENCY_BOUNDS, 'overflow');
  a.ja('clamp');
  a.label('overflow').movImm(R7, LATENCY_BOUNDS);
  a.label('clamp');
}

/** The latency bucket index for a latency in ns, as the BPF program computes it (for tests and readers). */
export function latencyBucket(ns: bigint): number {
  if (ns <= 1n) return 0;
  const ceil = (ns - 1n).toString(2).length; // floor(log2(v - 1)) + 1
  return Math.min(LATENCY_BOUNDS, Math.max(0, ceil - LATENCY_MIN_EXP));
}

/** The upper bound in seconds of bucket i (i < LATENCY_BOUNDS). */
export function latencyBoundSeconds(i: number): number {
  return 2 ** (LATENCY_MIN_EXP + i) / 1e9;
}
