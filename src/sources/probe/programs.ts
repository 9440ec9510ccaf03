/**
 * The probe's BPF programs, hand-assembled (see asm.ts) so the agent needs no compiler at run time. Five raw
 * tracepoint programs share three maps:
 *
 * - `events`: per-CPU array of u64, one slot per event (EVENT_SLOTS), bumped without atomics (the slot is this
 *   CPU's own, and the scheduler tracepoints run with interrupts off).
 * - `wakets`: hash of pid (u32) → the ktime (ns) at which the task became runnable, 0 when it is not waiting:
 *   stamped at sched_wakeup and sched_wakeup_new, and at sched_switch for a task switched out still runnable
 *   (preempted) when the kernel passes `prev_state` (4-argument sched_switch, Linux >= 5.18); consumed (set
 *   to 0) when the task is switched in; deleted at sched_process_free (after the task
 *   last ran: at sched_process_exit it can still be preempted or woken and would be stamped again).
 * - `runqlat`: per-CPU array of u64: log2 buckets of the run-queue latency (the time from becoming runnable
 *   to being switched in), then the sum of all latencies in ns (LATENCY_SUM_SLOT).
 *
 * Raw tracepoint programs get the tracepoint's arguments as an array of u64 in their context (`ctx[i]`), so a
 * `struct task_struct *` arrives as a plain number; its pid is copied out with bpf_probe_read_kernel at
 * `task_struct.pid`'s offset, which the loader takes from the kernel's BTF (../bpf/btf.ts).
 */
import { Asm, BPF_ANY, Helper, R0, R1, R2, R3, R4, R6, R7, R8, R9, R10 } from './asm.js';

/** Slots of the `events` map. */
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
 * (1.024 µs .. 34.4 s), and slot LATENCY_BOUNDS holds everything longer (+Inf). A latency v lands in the
 * first bucket whose bound is >= v, computed as ceil(log2(v)) - LATENCY_MIN_EXP clamped to the slots, so the
 * exported cumulative `le` counts are exact, not shifted by one bucket.
 */
export const LATENCY_MIN_EXP = 10;
export const LATENCY_BOUNDS = 26;
/** The slot after the buckets: sum of latencies in ns. */
export const LATENCY_SUM_SLOT = LATENCY_BOUNDS + 1;
/** Entries of the `runqlat` map. */
export const LATENCY_SLOTS = LATENCY_BOUNDS + 2;

/**
 * The tasks `wakets` can hold at once. Entries live from a task's first wakeup until it is freed (the exit program
 * deletes them); when more tasks than this are alive, the newest are not timed.
 */
export const WAKETS_ENTRIES = 16384;

/** What the program builders need from the loader. */
export interface ProgramParams {
  readonly eventsFd: number;
  readonly waketsFd: number;
  readonly runqlatFd: number;
  /** Byte offset of `pid` in `struct task_struct`, from BTF. */
  readonly pidOffset: number;
  /** Whether sched_switch passes `prev_state` as its fourth argument (ctx[3]). */
  readonly switchHasPrevState: boolean;
}

// Stack slots (offsets from R10, the frame pointer).
const PID = -4; // u32: a pid, the key of `wakets`
const SLOT = -8; // u32: the key of a per-CPU array
const STAMP = -16; // u64: a timestamp, the value written to `wakets`

/** sched_switch(preempt, prev, next[, prev_state]): count, stamp a preempted prev, and record next's wait. */
export function switchProgram(p: ProgramParams): Buffer {
  const a = new Asm();
  a.mov(R6, R1); // ctx survives helper calls in R6
  bump(a, p.eventsFd, EVENT_SLOTS.sched_switch, 'counted');
  if (p.switchHasPrevState) {
    // prev_state == TASK_RUNNING (0): prev was preempted and waits in the run queue from now.
    a.ldxDw(R7, R6, 24).jneImm(R7, 0, 'next');
    a.ldxDw(R7, R6, 8);
    readPid(a, R7, p.pidOffset).jeqImm(R1, 0, 'next');
    stampPid(a, p.waketsFd, 'next');
  }
  a.label('next');
  a.ldxDw(R7, R6, 16);
  readPid(a, R7, p.pidOffset).jeqImm(R1, 0, 'out');
  a.ldMapFd(R1, p.waketsFd).mov(R2, R10).addImm(R2, PID).call(Helper.mapLookupElem);
  a.jeqImm(R0, 0, 'out');
  a.ldxDw(R8, R0, 0); // when next became runnable; 0 when no wait is pending
  a.jeqImm(R8, 0, 'out');
  // Consume the stamp in place: cheaper than a delete (no bucket lock, no element freed and reallocated).
  a.stDw(R0, 0, 0);
  a.call(Helper.ktimeGetNs);
  a.jgt(R8, R0, 'out'); // a stamp from the future: skip rather than record a huge latency
  a.mov(R9, R0).sub(R9, R8); // R9 = latency in ns
  latencySlot(a); // R7 = bucket index
  a.stxW(R10, SLOT, R7);
  bumpAt(a, p.runqlatFd, null, 'bucketed');
  a.stW(R10, SLOT, LATENCY_SUM_SLOT);
  bumpAt(a, p.runqlatFd, R9, 'summed');
  a.label('out').movImm(R0, 0).exit();
  return a.assemble();
}

/** sched_wakeup(p) and sched_wakeup_new(p): count, and stamp p as runnable now. */
export function wakeupProgram(p: ProgramParams, event: 'sched_wakeup' | 'sched_wakeup_new'): Buffer {
  const a = new Asm();
  a.mov(R6, R1);
  bump(a, p.eventsFd, EVENT_SLOTS[event], 'counted');
  a.ldxDw(R7, R6, 0);
  readPid(a, R7, p.pidOffset).jeqImm(R1, 0, 'out');
  stampPid(a, p.waketsFd, 'out');
  a.label('out').movImm(R0, 0).exit();
  return a.assemble();
}

/** sched_process_free(p): forget p's entry once p can never run again, so `wakets` holds live tasks only. */
export function exitProgram(p: ProgramParams): Buffer {
  const a = new Asm();
  a.ldxDw(R7, R1, 0);
  readPid(a, R7, p.pidOffset).jeqImm(R1, 0, 'out');
  a.ldMapFd(R1, p.waketsFd).mov(R2, R10).addImm(R2, PID).call(Helper.mapDeleteElem);
  a.label('out').movImm(R0, 0).exit();
  return a.assemble();
}

/** Counts one event and nothing else: sched_migrate_task always, every event when latency is off. */
export function countProgram(eventsFd: number, event: ProbeEvent): Buffer {
  const a = new Asm();
  bump(a, eventsFd, EVENT_SLOTS[event], 'counted');
  a.movImm(R0, 0).exit();
  return a.assemble();
}

/** events[slot] += 1 on this CPU. Clobbers R0-R5. */
function bump(a: Asm, fd: number, slot: number, done: string): void {
  a.stW(R10, SLOT, slot);
  bumpAt(a, fd, null, done);
}

/** map[*(u32 *)(R10 + SLOT)] += (by ?? 1) on this CPU, then continue at `done`. Clobbers R0-R5. */
function bumpAt(a: Asm, fd: number, by: number | null, done: string): void {
  a.ldMapFd(R1, fd).mov(R2, R10).addImm(R2, SLOT).call(Helper.mapLookupElem);
  a.jeqImm(R0, 0, done);
  a.ldxDw(R1, R0, 0);
  if (by === null) a.addImm(R1, 1);
  else a.add(R1, by);
  a.stxDw(R0, 0, R1);
  a.label(done);
}

/** R1 = task->pid for the task pointer in `task`, via bpf_probe_read_kernel into the PID stack slot. */
function readPid(a: Asm, task: number, pidOffset: number): Asm {
  a.mov(R1, R10).addImm(R1, PID).movImm(R2, 4).mov(R3, task).addImm(R3, pidOffset).call(Helper.probeReadKernel);
  // On a failed read the kernel zeroes the destination, so a bad pointer reads as pid 0 and is skipped.
  return a.ldxW(R1, R10, PID);
}

/**
 * wakets[pid at PID] = now, then continue at `done`. An existing entry is overwritten in place through the
 * lookup's pointer; only a task seen for the first time costs an update (which allocates its element).
 * Clobbers R0-R5 and R8.
 */
function stampPid(a: Asm, fd: number, done: string): void {
  a.call(Helper.ktimeGetNs).mov(R8, R0);
  a.ldMapFd(R1, fd).mov(R2, R10).addImm(R2, PID).call(Helper.mapLookupElem);
  a.jeqImm(R0, 0, `${done}_insert`);
  a.stxDw(R0, 0, R8).ja(done);
  a.label(`${done}_insert`).stxDw(R10, STAMP, R8);
  a.ldMapFd(R1, fd).mov(R2, R10).addImm(R2, PID).mov(R3, R10).addImm(R3, STAMP).movImm(R4, BPF_ANY).call(Helper.mapUpdateElem);
}

/**
 * R7 = the latency bucket of R9 (ns): ceil(log2(R9)) - LATENCY_MIN_EXP, clamped to 0..LATENCY_BOUNDS.
 * ceil(log2(v)) is floor(log2(v - 1)) + 1 for v >= 2 (0 for v <= 1); floor(log2) is a branchy binary search
 * over shifts of 32, 16, 8, 4, 2, 1. Uses R1-R3.
 */
function latencySlot(a: Asm): void {
  a.movImm(R7, 0);
  a.jgtImm(R9, 1, 'log2');
  a.ja('clamp'); // v <= 1: ceil(log2 v) = 0
  a.label('log2').mov(R1, R9).addImm(R1, -1).movImm(R2, 0);
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
