/**
 * The host's scheduler counters, declared like any scheduler's stats. Names follow node_exporter where it
 * has the same number (schedstat, pressure), under the `scx_host_` prefix so both can run side by side.
 */
import { counter, defineStats, gauge } from '../../declare/define.js';
import type { SourceRef } from '../../declare/types.js';

/** Where a host number lives: a /proc file, the field (line key) and the factor to base units. */
export interface ProcRef extends SourceRef {
  readonly source: 'proc';
  readonly file: 'stat' | 'pressure/cpu' | 'schedstat';
  /** The line's first word (`ctxt`, `procs_running`, `some`), or `cpu` for per-CPU lines. */
  readonly field: string;
  /** For per-CPU schedstat lines: the 0-based column after the CPU name. */
  readonly column?: number;
  /** Multiplier to base units (ticks or µs or ns to seconds). Default 1. */
  readonly scale?: number;
}

const proc = (file: ProcRef['file'], field: string, extra: Partial<Pick<ProcRef, 'column' | 'scale'>> = {}): ProcRef => ({
  source: 'proc',
  file,
  field,
  ...extra,
});

/** /proc/stat columns of a `cpuN` line, in order. guest and guest_nice are already inside user and nice. */
export const CPU_MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;

/** USER_HZ: the unit of /proc/stat CPU times. Fixed at 100 on every architecture Linux exports it for. */
export const USER_HZ = 100;

export const procStatStats = defineStats({
  name: 'host_stat',
  help: 'Scheduler counters from /proc/stat (any Linux, no root)',
  prefix: 'scx_host',
  stats: {
    context_switches: counter({ help: 'Context switches on all CPUs since boot', from: proc('stat', 'ctxt') }),
    forks: counter({ help: 'Processes and threads created (forks) since boot', from: proc('stat', 'processes') }),
    runnable_tasks: gauge({ help: 'Tasks runnable (running or waiting for a CPU) now', from: proc('stat', 'procs_running') }),
    blocked_tasks: gauge({ help: 'Tasks blocked on I/O now', from: proc('stat', 'procs_blocked') }),
    cpu: counter({
      help: 'Time each CPU spent in each mode; busy time is every mode but idle and iowait',
      unit: 'seconds',
      labels: { cpu: String, mode: CPU_MODES },
      from: proc('stat', 'cpu', { scale: 1 / USER_HZ }),
    }),
  },
});

export const pressureStats = defineStats({
  name: 'host_pressure',
  help: 'CPU pressure stall information from /proc/pressure/cpu (Linux >= 4.20 with PSI)',
  prefix: 'scx_host',
  stats: {
    cpu_pressure_waiting: counter({
      help: 'Time at least one task waited for a CPU (PSI "some")',
      unit: 'seconds',
      from: proc('pressure/cpu', 'some', { scale: 1e-6 }),
    }),
    cpu_pressure_stalled: counter({
      help: 'Time all non-idle tasks waited for a CPU at once (PSI "full"; 0 on kernels that do not track it)',
      unit: 'seconds',
      from: proc('pressure/cpu', 'full', { scale: 1e-6 }),
    }),
  },
});

export const schedstatStats = defineStats({
  name: 'host_schedstat',
  help: 'Per-CPU run and wait times from /proc/schedstat (kernels with CONFIG_SCHED_INFO)',
  prefix: 'scx_host',
  stats: {
    schedstat_running: counter({
      help: 'Time tasks spent running on this CPU',
      unit: 'seconds',
      labels: { cpu: String },
      from: proc('schedstat', 'cpu', { column: 6, scale: 1e-9 }),
    }),
    schedstat_waiting: counter({
      help: "Time tasks spent waiting in this CPU's run queue",
      unit: 'seconds',
      labels: { cpu: String },
      from: proc('schedstat', 'cpu', { column: 7, scale: 1e-9 }),
    }),
    schedstat_timeslices: counter({
      help: 'Time slices run on this CPU',
      labels: { cpu: String },
      from: proc('schedstat', 'cpu', { column: 8 }),
    }),
  },
});
