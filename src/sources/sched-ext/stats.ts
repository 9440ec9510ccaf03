/**
 * sched_ext's own state and event counters, from /sys/kernel/sched_ext. Event counters the kernel adds
 * later get declarations built at run time (source.ts); the ones known today are declared here with their
 * meaning (kernel doc and sched-ext/scx issue #859) and units.
 */
import { counter, defineStats, gauge } from '../../declare/define.js';
import type { Unit } from '../../declare/types.js';

export const schedExtStats = defineStats({
  name: 'sched_ext',
  help: 'sched_ext state from /sys/kernel/sched_ext',
  prefix: 'scx_sched_ext',
  stats: {
    state: gauge({ help: 'sched_ext state: 1 for the current one of enabling, enabled, disabling, disabled', labels: { state: String } }),
    switch_all: gauge({ help: '1 when every SCHED_NORMAL task runs on the BPF scheduler, 0 when only SCHED_EXT tasks do' }),
    rejected_tasks: counter({ help: 'Tasks refused SCHED_EXT because ops.init_task() set disallow (nr_rejected)' }),
    cpu_hotplugs: counter({ help: 'CPU hotplug events since boot (hotplug_seq)' }),
    enables: counter({ help: 'BPF schedulers enabled since boot (enable_seq)' }),
    scheduler: gauge({ help: 'The loaded BPF scheduler: 1, with its name and its ops string as labels', labels: { name: String, ops: String } }),
  },
});

/**
 * Sub-schedulers (Linux 7.x): a family of their own rather than more labels on `scheduler`, so the root's
 * series keep the label set dashboards already use. The event counters of sub-schedulers are in events.ts.
 */
export const schedExtSubStats = defineStats({
  name: 'sched_ext_sub',
  help: 'sched_ext sub-schedulers attached to cgroups (root/sub/.../sub-<cgroup id>, Linux 7.x)',
  prefix: 'scx_sched_ext',
  stats: {
    sub_scheduler: gauge({
      help: 'An attached sub-scheduler: 1, with its cgroup id, its cgroup path (empty when not found under the cgroup2 mount), its name and its ops string',
      labels: { cgroup_id: String, cgroup: String, name: String, ops: String },
    }),
  },
});

/** What is known about an event counter of the `events` file. */
export interface KnownEvent {
  readonly help: string;
  readonly unit?: Unit;
  /** From the kernel's unit to the base unit. */
  readonly scale?: number;
}

/** Event counters known to this version, by name without `SCX_EV_`. */
export const knownEvents: Readonly<Record<string, KnownEvent>> = {
  SELECT_CPU_FALLBACK: { help: 'ops.select_cpu() returned a CPU the task cannot run on; the core picked a fallback' },
  DISPATCH_LOCAL_DSQ_OFFLINE: { help: 'Dispatches to a local DSQ of an offline CPU, redirected to the global DSQ' },
  DISPATCH_KEEP_LAST: { help: 'Tasks kept running because nothing else was runnable (without SCX_OPS_ENQ_LAST)' },
  ENQ_SKIP_EXITING: { help: 'Enqueues of exiting tasks that bypassed ops.enqueue()' },
  ENQ_SKIP_MIGRATION_DISABLED: { help: 'Enqueues of migration-disabled tasks that bypassed ops.enqueue()' },
  REFILL_SLICE_DFL: { help: 'Time slices refilled with SCX_SLICE_DFL' },
  BYPASS_DURATION: { help: 'Time spent in bypass mode', unit: 'seconds', scale: 1e-9 },
  BYPASS_DISPATCH: { help: 'Tasks dispatched while in bypass mode' },
  BYPASS_ACTIVATE: { help: 'Times bypass mode was activated' },
  INSERT_NOT_OWNED: { help: 'Tasks the scheduler inserted after it no longer owned them' },
  SUB_BYPASS_DISPATCH: { help: 'Tasks dispatched while a sub-scheduler was in bypass mode' },
  REENQ_IMMED: { help: 'Immediate re-enqueues (SCX_EV_REENQ_IMMED)' },
  REENQ_LOCAL_REPEAT: { help: 'Repeated local re-enqueues (SCX_EV_REENQ_LOCAL_REPEAT)' },
};
