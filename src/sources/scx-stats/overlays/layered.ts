/**
 * scx_layered (scheds/rust/scx_layered/src/stats.rs, main.rs `Stats::refresh`). BPF stats are diffed
 * against the previous refresh, so counts are per interval. `total` (system and per layer) is the sum of
 * the select/enqueue/keep events; most other fields are `stat / total * 100` (calc_frac), `excl_idle` and
 * `excl_wakeup` are `stat / total` (no *100). `gpu_tasks_affinitized` counts since the scheduler started.
 * Per-layer counters are labelled `layer_name` (LayerStats' `_om_label`) and named `layer_<field>`.
 */
import type { ScxOverlay } from './types.js';

const layerShares = [
  'sel_local',
  'enq_local',
  'enq_wakeup',
  'enq_expire',
  'enq_reenq',
  'enq_dsq',
  'min_exec',
  'open_idle',
  'preempt',
  'preempt_xllc',
  'preempt_xnuma',
  'preempt_first',
  'preempt_idle',
  'preempt_fail',
  'affn_viol',
  'keep',
  'keep_fail_max_exec',
  'keep_fail_busy',
  'excl_collision',
  'excl_preempt',
  'yielded',
  'migration',
  'xnuma_migration',
  'xllc_migration',
  'xllc_migration_skip',
  'xlayer_wake',
  'xlayer_rewake',
  'llc_drain_try',
  'llc_drain',
  'skip_remote_node',
];

export const layeredOverlay: ScxOverlay = {
  scheduler: 'layered',
  top: 'SysStats',
  signature: ['total', 'layers', 'local_sel', 'busy'],
  structs: {
    SysStats: {
      counts: [
        { field: 'total', name: 'sched_events', help: 'Scheduling events (select, enqueue and keep) in all layers' },
        { field: 'proc_ms', name: 'userspace_cpu', unit: 'seconds', scale: 1e-3, help: 'CPU time the scheduler binary consumed' },
        'antistall',
        'skip_preempt',
        'fixup_vtime',
        'preempting_mismatch',
        { field: 'gpu_tasks_affinitized', cumulative: true, help: 'GPU tasks affinitized since the scheduler started' },
      ],
      shares: [
        {
          of: 'total',
          scale: 100,
          fields: { local_sel: '', local_enq: '', open_idle: '', affn_viol: '', hi_fb: '', lo_fb: '', excl_collision: '', excl_preempt: '' },
        },
        { of: 'total', scale: 1, fields: { excl_idle: '', excl_wakeup: '' } },
      ],
      levels: ['nr_nodes', 'busy', 'util', 'hi_fb_util', 'lo_fb_util', 'fallback_cpu_util', 'gpu_task_affinitization_ms', 'system_cpu_util_ewma'],
      notes: { excl_idle: 'a fraction of total, not a percentage', excl_wakeup: 'a fraction of total, not a percentage' },
    },
    LayerStats: {
      counts: [
        { field: 'total', name: 'layer_sched_events', help: "Scheduling events (select, enqueue and keep) in the layer" },
        { field: 'min_exec_us', name: 'layer_min_exec_extension', unit: 'seconds', scale: 1e-6, help: 'Exec time added to reach min_exec_us' },
        { field: 'yield_ignore', name: 'layer_yield_ignore', help: 'Yields that were ignored' },
      ],
      shares: [{ of: 'total', scale: 100, fields: Object.fromEntries(layerShares.map((f) => [f, `layer_${f}`])) }],
      levels: [
        'util',
        'util_compensated',
        'util_protected_frac',
        'util_protected_preempt_frac',
        'util_open_frac',
        'util_frac',
        'tasks',
        'cur_nr_cpus',
        'min_nr_cpus',
        'max_nr_cpus',
        'slice_us',
        'membw_pct',
        'dsq_insert_ewma',
        'xnuma_active',
      ],
    },
  },
  monitorLines: [
    ['total', 'local_sel', 'local_enq', 'open_idle', 'affn_viol', 'hi_fb', 'lo_fb'],
    ['busy', 'util', 'hi_fb_util', 'lo_fb_util', 'fallback_cpu_util', 'proc_ms', 'system_cpu_util_ewma'],
    ['excl_collision', 'excl_preempt', 'excl_idle', 'excl_wakeup'],
  ],
};
