/**
 * The probe's stats: scheduler events counted in the kernel per CPU, and the run-queue latency histogram.
 * Names follow the tracepoints they count, under `scx_probe_`, beside the host source's /proc counters.
 */
import { counter, defineStats, histogram } from '../../declare/define.js';
import type { SourceRef } from '../../declare/types.js';
import { LATENCY_BOUNDS, latencyBoundSeconds, type ProbeEvent } from './programs.js';

/** Where a probe number lives: an event slot of the probe's own map, or its latency histogram. */
export interface ProbeRef extends SourceRef {
  readonly source: 'probe';
  readonly event?: ProbeEvent;
  readonly latency?: true;
}

const event = (e: ProbeEvent): ProbeRef => ({ source: 'probe', event: e });

/** Bucket bounds in seconds: 2^10 ns (1.024 µs) to 2^35 ns (34.4 s), doubling; the BPF side fills them exactly. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = Array.from({ length: LATENCY_BOUNDS }, (_, i) => latencyBoundSeconds(i));

export const probeStats = defineStats({
  name: 'probe',
  help: 'Scheduler events and run-queue latency counted in the kernel by the built-in BPF probe (needs root or CAP_BPF+CAP_PERFMON)',
  prefix: 'scx_probe',
  stats: {
    sched_switch: counter({
      help: 'Context switches (sched_switch tracepoint), by the CPU that switched',
      labels: { cpu: String },
      from: event('sched_switch'),
    }),
    sched_wakeup: counter({
      help: 'Tasks woken (sched_wakeup tracepoint), by the CPU that ran the tracepoint',
      labels: { cpu: String },
      from: event('sched_wakeup'),
    }),
    sched_wakeup_new: counter({
      help: 'New tasks made runnable for the first time (sched_wakeup_new tracepoint), by the CPU that ran the tracepoint',
      labels: { cpu: String },
      from: event('sched_wakeup_new'),
    }),
    sched_migrate_task: counter({
      help: 'Tasks moved to another CPU (sched_migrate_task tracepoint), by the CPU that moved them',
      labels: { cpu: String },
      from: event('sched_migrate_task'),
    }),
    runqueue_latency: histogram({
      help: 'Time a task waited in a run queue, from being queued (woken, new, or preempted while runnable) to being switched in, as the kernel counts it for schedstat run_delay',
      unit: 'seconds',
      buckets: LATENCY_BUCKETS_SECONDS,
      from: { source: 'probe', latency: true } as ProbeRef,
    }),
  },
});
