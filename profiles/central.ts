/**
 * scx_central (sched-ext/scx scheds/c, before d1810e621): no stats map; u64 globals in `.bss`, read through
 * libbpf's `<object>.bss` map. Offsets come from the map's BTF by variable name: clang lays `.bss` out in
 * order of first use, so the C declaration order does not give them.
 */
import { counter, defineStats, gauge } from '../src/declare/index.js';
import { defineProfile } from '../src/bpf-layout/profile.js';
import { bssVar, globalVar } from '../src/bpf-layout/ref.js';

export const centralStats = defineStats({
  name: 'central',
  help: 'scx_central BPF globals (.bss)',
  prefix: 'scx_central',
  stats: {
    enqueued_tasks: counter({ help: 'Tasks passed to ops.enqueue (nr_total)', from: bssVar('nr_total') }),
    local_tasks: counter({ help: 'Per-CPU kthreads queued straight to their local DSQ (nr_locals)', from: bssVar('nr_locals') }),
    queued_tasks: gauge({ help: 'Tasks waiting in the central queue now (nr_queued)', from: globalVar('nr_queued', { field: 's64' }) }),
    lost_pids: counter({ help: 'Queued pids whose task had exited by dispatch (nr_lost_pids)', from: bssVar('nr_lost_pids') }),
    timer_runs: counter({ help: 'Runs of the periodic preemption timer (nr_timers)', from: bssVar('nr_timers') }),
    central_dispatches: counter({ help: 'Dispatch rounds run on the central CPU (nr_dispatches)', from: bssVar('nr_dispatches') }),
    cpu_mismatches: counter({ help: 'Tasks bounced to the fallback DSQ because they cannot run on the target CPU (nr_mismatches)', from: bssVar('nr_mismatches') }),
    dispatch_retries: counter({ help: 'Dispatch rounds retried after running out of dispatch slots (nr_retries)', from: bssVar('nr_retries') }),
    queue_overflows: counter({ help: 'Tasks sent to the fallback DSQ because the central queue was full (nr_overflows)', from: bssVar('nr_overflows') }),
  },
});

export const central = defineProfile({
  name: 'central',
  ops: 'central',
  programs: ['central_'],
  layoutFrom: 'sched-ext/scx d1810e621^ scheds/c/scx_central.bpf.c globals',
  stats: centralStats,
});
