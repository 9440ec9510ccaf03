/**
 * The probe's BPF programs, hand-assembled (see asm.ts) so the agent needs no compiler at run time. Five raw
 * tracepoint programs share two maps:
 *
 * - `stats`: per-CPU array with one element, STATS_SLOTS u64s: the event counts (EVENT_SLOTS), then the
 *   run-queue latency's log2 buckets (from LATENCY_FIRST_SLOT), then the sum of all latencies in ns
 *   (LATENCY_SUM_SLOT). One element means one lookup per program run, however many slots it bumps; the slots
 *   are bumped without atomics (the element is this CPU's own, and the scheduler tracepoints run with
 *   interrupts off).
 * - `wakets`: hash of task (the `struct task_struct *` itself, u64) → {u64 ktime at which the task became
 *   runnable, 0 when it is not waiting; u32 pid, for readers}: stamped at sched_wakeup and sched_wakeup_new,
 *   and at sched_switch for a task switched out still runnable (preempted) when the kernel passes
 *   `prev_state` (4-argument sched_switch, Linux >= 5.18); consumed (set to 0) when the task is switched in;
 *   deleted at sched_process_free (after the task last ran: at sched_process_exit it can still be preempted
 *   or woken and would be stamped again), before the task's memory, and so the key, can be reused.
 *
 * Raw tracepoint programs get the tracepoint's arguments as an array of u64 in their context (`ctx[i]`), so a
 * `struct task_struct *` arrives as a plain number: keying by it needs no read of the task. Only a task's
 * first stamp (the map insert) copies its pid out with bpf_probe_read_kernel at `task_struct.pid`'s offset,
 * which the loader takes from the kernel's BTF (../bpf/btf.ts).
 */
import { Asm, BPF_ANY, Helper, R0, R1, R2, R3, R4, R6, R7, R8, R9, R10 } from './asm.js';

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
/** u64 slots in the `stats` element. */
export const STATS_SLOTS = LATENCY_SUM_SLOT + 1;

/**
 * The tasks `wakets` can hold at once. Entries live from a task's first wakeup until it is freed (the exit program
 * deletes them); when more tasks than this are alive, the newest are not timed.
 */
export const WAKETS_ENTRIES = 16384;
/** `wakets` key: the task pointer. */
export const WAKETS_KEY_SIZE = 8;
/** `wakets` value: u64 stamp, u32 pid, u32 zero. */
export const WAKETS_VALUE_SIZE = 16;
/** Offset of the pid in a `wakets` value. */
export const WAKETS_PID_OFFSET = 8;

/** What the program builders need from the loader. */
export interface ProgramParams {
  readonly statsFd: number;
  readonly waketsFd: number;
  /** Byte offset of `pid` in `struct task_struct`, from BTF. */
  readonly pidOffset: number;
  /** Whether sched_switch passes `prev_state` as its fourth argument (ctx[3]). */
  readonly switchHasPrevState: boolean;
}

// Stack slots (offsets from R10, the frame pointer).
const KEY = -4; // u32 0: the key of the one `stats` element
const TASK = -16; // u64: a task pointer, the key of `wakets`
const VALUE = -32; // 16 bytes: a `wakets` value being inserted

/** sched_switch(preempt, prev, next[, prev_state]): count, stamp a preempted prev, and record next's wait. */
export function switchProgram(p: ProgramParams): Buffer {
  const a = new Asm();
  a.mov(R6, R1); // ctx survives helper calls in R6
  statsInto(a, p.statsFd, R9, 'out'); // R9 = this CPU's stats, kept for the latency
  inc(a, R9, EVENT_SLOTS.sched_switch);
  if (p.switchHasPrevState) {
    // prev_state == TASK_RUNNING (0): prev was preempted and waits in the run queue from now. The idle task
    // also leaves "running" but never waits: prev is the current task here, and idle is the one with pid 0.
    a.ldxDw(R1, R6, 24).jneImm(R1, 0, 'next');
    a.call(Helper.getCurrentPidTgid).mov32(R0, R0).jeqImm(R0, 0, 'next');
    a.ldxDw(R1, R6, 8).stxDw(R10, TASK, R1);
    stamp(a, p, 'next');
  }
  a.label('next');
  a.ldxDw(R1, R6, 16).stxDw(R10, TASK, R1);
  a.ldMapFd(R1, p.waketsFd).mov(R2, R10).addImm(R2, TASK).call(Helper.mapLookupElem);
  a.jeqImm(R0, 0, 'out');
  a.ldxDw(R8, R0, 0); // when next became runnable; 0 when no wait is pending
  a.jeqImm(R8, 0, 'out');
  // Consume the stamp in place: cheaper than a delete (no bucket lock, no element freed and reallocated).
  a.stDw(R0, 0, 0);
  a.call(Helper.ktimeGetNs);
  a.jgt(R8, R0, 'out'); // a stamp from the future: skip rather than record a huge latency
  a.sub(R0, R8).mov(R8, R0); // R8 = latency in ns
  latencySlot(a); // R7 = bucket index, 0..LATENCY_BOUNDS
  a.lshImm(R7, 3).add(R7, R9);
  inc(a, R7, LATENCY_FIRST_SLOT);
  a.ldxDw(R1, R9, LATENCY_SUM_SLOT * 8).add(R1, R8).stxDw(R9, LATENCY_SUM_SLOT * 8, R1);
  a.label('out').movImm(R0, 0).exit();
  return a.assemble();
}

/** sched_wakeup(p) and sched_wakeup_new(p): count, and stamp p as runnable now. */
export function wakeupProgram(p: ProgramParams, event: 'sched_wakeup' | 'sched_wakeup_new'): Buffer {
  const a = new Asm();
  a.mov(R6, R1);
  statsInto(a, p.statsFd, R0, 'counted');
  inc(a, R0, EVENT_SLOTS[event]);
  a.label('counted');
  a.ldxDw(R1, R6, 0).stxDw(R10, TASK, R1);
  stamp(a, p, 'out');
  a.label('out').movImm(R0, 0).exit();
  return a.assemble();
}

/** sched_process_free(p): forget p's entry once p can never run again, so `wakets` holds live tasks only. */
export function exitProgram(p: ProgramParams): Buffer {
  const a = new Asm();
  a.ldxDw(R1, R1, 0).stxDw(R10, TASK, R1);
  a.ldMapFd(R1, p.waketsFd).mov(R2, R10).addImm(R2, TASK).call(Helper.mapDeleteElem);
  a.movImm(R0, 0).exit();
  return a.assemble();
}

/** Counts one event and nothing else: sched_migrate_task always, every event when latency is off. */
export function countProgram(statsFd: number, event: ProbeEvent): Buffer {
  const a = new Asm();
  statsInto(a, statsFd, R0, 'out');
  inc(a, R0, EVENT_SLOTS[event]);
  a.label('out').movImm(R0, 0).exit();
  return a.assemble();
}

/**
 * `into` = this CPU's `stats` element, or go to `fail` (the lookup of index 0 cannot fail, but the verifier
 * wants the check). A per-CPU array lookup is inlined by the verifier (Linux >= 6.10): no call is made.
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
 * wakets[task at TASK].stamp = now, then continue at `done`. An existing entry is overwritten in place
 * through the lookup's pointer; only a task seen for the first time costs an insert, and the one read of its
 * pid. Falls through to the caller's `done` label. Clobbers R0-R5 and R8.
 */
function stamp(a: Asm, p: ProgramParams, done: string): void {
  a.call(Helper.ktimeGetNs).mov(R8, R0);
  a.ldMapFd(R1, p.waketsFd).mov(R2, R10).addImm(R2, TASK).call(Helper.mapLookupElem);
  a.jeqImm(R0, 0, `${done}_insert`);
  a.stxDw(R0, 0, R8).ja(done);
  a.label(`${done}_insert`).stxDw(R10, VALUE, R8).stDw(R10, VALUE + WAKETS_PID_OFFSET, 0);
  // A failed read leaves the pid 0; the stamp is what matters.
  a.mov(R1, R10).addImm(R1, VALUE + WAKETS_PID_OFFSET).movImm(R2, 4).ldxDw(R3, R10, TASK).addImm(R3, p.pidOffset).call(Helper.probeReadKernel);
  a.ldMapFd(R1, p.waketsFd).mov(R2, R10).addImm(R2, TASK).mov(R3, R10).addImm(R3, VALUE).movImm(R4, BPF_ANY).call(Helper.mapUpdateElem);
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
