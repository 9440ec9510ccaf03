/**
 * scx_qmap (Linux 7.2 tools/sched_ext): its counters live in `struct qmap_arena qa`, a global in the BPF arena
 * (`__arena_global`), which scx_qmap.c prints every second as `stats : enq=… dsp=… reenq/cid0=… deq=… core=…
 * enq_ddsp=…`, `exp_local=… exp_remote=… exp_timer=… exp_lost=…` and `cpuperf: cur min/avg/max=…
 * target min/avg/max=…`. Offsets come from the program's BTF (`.addr_space.1` DATASEC, struct qmap_arena), so
 * member order changes between versions need no edit here. Its `delta` (enq - dsp) is left to queries.
 * `test_error_cnt` is a countdown the loader sets (-e), not a stat.
 */
import { counter, defineStats, gauge } from '../src/declare/index.js';
import { defineProfile } from '../src/bpf-layout/profile.js';
import { arenaVar } from '../src/bpf-layout/ref.js';

const u32 = { field: 'u32' } as const;

export const qmapStats = defineStats({
  name: 'qmap',
  help: 'scx_qmap counters in its BPF arena (struct qmap_arena qa)',
  prefix: 'scx_qmap',
  stats: {
    enqueued_tasks: counter({ help: 'Tasks queued on one of the five FIFOs by ops.enqueue (enq, qa.nr_enqueued)', from: arenaVar('qa.nr_enqueued') }),
    dispatched_tasks: counter({
      help: 'Tasks popped from the FIFOs by ops.dispatch and moved to the shared DSQ (dsp, qa.nr_dispatched)',
      from: arenaVar('qa.nr_dispatched'),
    }),
    reenqueued_tasks: counter({
      help: 'Enqueues the kernel flagged SCX_ENQ_REENQ, e.g. after a higher-priority class took the CPU (reenq, qa.nr_reenqueued)',
      from: arenaVar('qa.nr_reenqueued'),
    }),
    reenqueued_cid0_tasks: counter({
      help: 'Of the re-enqueues, those of tasks on cid 0 (reenq/cid0, qa.nr_reenqueued_cid0)',
      from: arenaVar('qa.nr_reenqueued_cid0'),
    }),
    dequeued_tasks: counter({ help: 'Calls of ops.dequeue (deq, qa.nr_dequeued)', from: arenaVar('qa.nr_dequeued') }),
    core_sched_executed_tasks: counter({
      help: 'Dequeues because core scheduling picked the task to run (SCX_DEQ_CORE_SCHED_EXEC) (core, qa.nr_core_sched_execed)',
      from: arenaVar('qa.nr_core_sched_execed'),
    }),
    enqueue_direct_dispatches: counter({
      help: "Tasks ops.enqueue sent straight to an idle CPU's local DSQ because select_cpu had not run (enq_ddsp, qa.nr_ddsp_from_enq)",
      from: arenaVar('qa.nr_ddsp_from_enq'),
    }),
    expedited_local_tasks: counter({
      help: "High-priority tasks (-H boosting) moved to the dispatching CPU's local DSQ (exp_local, qa.nr_expedited_local)",
      from: arenaVar('qa.nr_expedited_local'),
    }),
    expedited_remote_tasks: counter({
      help: "High-priority tasks moved to another allowed CPU's local DSQ (exp_remote, qa.nr_expedited_remote)",
      from: arenaVar('qa.nr_expedited_remote'),
    }),
    expedited_from_timer_tasks: counter({
      help: 'Of the expedited moves, those made by the monitor timer (exp_timer, qa.nr_expedited_from_timer)',
      from: arenaVar('qa.nr_expedited_from_timer'),
    }),
    expedited_lost_tasks: counter({
      help: 'High-priority moves that failed: the task had left HIGHPRI_DSQ meanwhile (exp_lost, qa.nr_expedited_lost)',
      from: arenaVar('qa.nr_expedited_lost'),
    }),
    // A level: incremented when a boosted task is queued, decremented when it leaves; s64 so a transient
    // underflow of the u64 shows as a small negative number rather than 1.8e19.
    highpri_queued_tasks: gauge({ help: 'High-priority (-H) tasks queued now (qa.nr_highpri_queued)', from: arenaVar('qa.nr_highpri_queued', { field: 's64' }) }),
    cpuperf_current_min: gauge({ help: 'Lowest current CPU performance level over online CPUs, of 1024 (cpuperf cur min, qa.cpuperf_min)', from: arenaVar('qa.cpuperf_min', u32) }),
    cpuperf_current_avg: gauge({ help: 'Capacity-weighted mean current CPU performance level, of 1024 (cpuperf cur avg, qa.cpuperf_avg)', from: arenaVar('qa.cpuperf_avg', u32) }),
    cpuperf_current_max: gauge({ help: 'Highest current CPU performance level, of 1024 (cpuperf cur max, qa.cpuperf_max)', from: arenaVar('qa.cpuperf_max', u32) }),
    cpuperf_target_min: gauge({ help: 'Lowest CPU performance target qmap set, of 1024 (cpuperf target min, qa.cpuperf_target_min)', from: arenaVar('qa.cpuperf_target_min', u32) }),
    cpuperf_target_avg: gauge({ help: 'Mean CPU performance target qmap set, of 1024 (cpuperf target avg, qa.cpuperf_target_avg)', from: arenaVar('qa.cpuperf_target_avg', u32) }),
    cpuperf_target_max: gauge({ help: 'Highest CPU performance target qmap set, of 1024 (cpuperf target max, qa.cpuperf_target_max)', from: arenaVar('qa.cpuperf_target_max', u32) }),
  },
});

export const qmap = defineProfile({
  name: 'qmap',
  ops: 'qmap',
  programs: ['qmap_'],
  layoutFrom: 'Linux 7.2 tools/sched_ext/scx_qmap.h struct qmap_arena (printed by scx_qmap.c)',
  stats: qmapStats,
});
