/**
 * The `stats_meta` of real schedulers, written out from their stats.rs at sched-ext/scx 7a58a3a1a (field
 * names, Rust types mapped the way scx_stats maps them, struct attributes). Used to check that each typing
 * overlay classifies every number its scheduler sends.
 */

type FieldSpec = readonly [name: string, type: string, user?: Record<string, string>];

const datum = (t: string): Record<string, unknown> => {
  if (t.startsWith('Vec<')) return { array: datum(t.slice(4, -1)).datum };
  if (t.startsWith('BTreeMap<')) {
    const [k, v] = t.slice(9, -1).split(',').map((x) => x.trim());
    return { dict: { key: datum(k as string).datum, datum: datum(v as string).datum } };
  }
  if (['u8', 'u16', 'u32', 'u64', 'usize'].includes(t)) return { datum: 'u64' };
  if (['i8', 'i16', 'i32', 'i64', 'isize'].includes(t)) return { datum: 'i64' };
  if (t === 'f64' || t === 'f32') return { datum: 'float' };
  if (t === 'String') return { datum: 'string' };
  return { datum: { struct: t } };
};

function struct(name: string, attrs: { top?: boolean; user?: Record<string, string> }, fields: readonly FieldSpec[]): Record<string, unknown> {
  return {
    name,
    ...(attrs.top === true ? { top: 'true' } : {}),
    ...(attrs.user === undefined ? {} : { user: attrs.user }),
    fields: Object.fromEntries(fields.map(([f, t, user]) => [f, { ...datum(t), desc: `${f} desc`, ...(user === undefined ? {} : { user }) }])),
  };
}

const skip = { _om_skip: 'true' };

export const bpflandMeta = {
  Metrics: struct(
    'Metrics',
    { top: true },
    [
      'nr_running',
      'nr_cpus',
      'nr_kthread_dispatches',
      'nr_direct_dispatches',
      'nr_shared_dispatches',
      'nr_delay_recovery_dispatches',
      'nr_delay_middle_add_dispatches',
      'nr_delay_fast_recovery_dispatches',
      'nr_delay_rate_limited_dispatches',
      'nr_gain_floor_dispatches',
      'nr_gain_ceiling_dispatches',
      'nr_delay_low_region_samples',
      'nr_delay_mid_region_samples',
      'nr_delay_high_region_samples',
      'nr_gain_floor_resident_samples',
      'nr_gain_mid_resident_samples',
      'nr_gain_ceiling_resident_samples',
      'nr_idle_select_path_picks',
      'nr_idle_enqueue_path_picks',
      'nr_idle_prev_cpu_picks',
      'nr_idle_primary_picks',
      'nr_idle_spill_picks',
      'nr_idle_pick_failures',
      'nr_idle_primary_domain_misses',
      'nr_idle_global_misses',
      'nr_waker_cpu_biases',
      'nr_keep_running_reuses',
      'nr_keep_running_queue_empty',
      'nr_keep_running_smt_blocked',
      'nr_keep_running_queued_work',
      'nr_dispatch_cpu_dsq_consumes',
      'nr_dispatch_node_dsq_consumes',
      'nr_cpu_release_reenqueue',
    ].map((f) => [f, 'u64'] as const),
  ),
};

export const lavdMeta = {
  // Sorted by name, as scx_stats' BTreeMap sends them: both are `top`, and the last one wins.
  SchedSample: struct('SchedSample', { top: true, user: { _om_prefix: 's_', _om_label: 'sched_sample' } }, [
    ['mseq', 'u64'],
    ['pid', 'i32'],
    ['comm', 'String'],
    ['stat', 'String'],
    ['cpu_id', 'u32'],
    ['slice_wall', 'u64'],
    ['lat_cri', 'u32'],
    ['cpu_heat', 'u16'],
  ]),
  SysStats: struct('SysStats', { top: true }, [
    ['mseq', 'u64'],
    ['nr_queued_task', 'u64'],
    ['nr_active', 'u32'],
    ['nr_sched', 'u64'],
    ['nr_preempt', 'u64'],
    ['pc_pc', 'f64'],
    ['pc_lc', 'f64'],
    ['pc_x_migration', 'f64'],
    ['nr_stealee', 'u32'],
    ['pc_big', 'f64'],
    ['pc_pc_on_big', 'f64'],
    ['pc_lc_on_big', 'f64'],
    ['power_mode', 'String'],
    ['pc_performance', 'f64'],
    ['pc_balanced', 'f64'],
    ['pc_powersave', 'f64'],
  ]),
};

export const layeredMeta = {
  LayerStats: struct('LayerStats', { user: { _om_prefix: 'l_', _om_label: 'layer_name' } }, [
    ['index', 'usize', skip],
    ['util', 'f64'],
    ['util_compensated', 'f64'],
    ['util_protected_frac', 'f64'],
    ['util_protected_preempt_frac', 'f64'],
    ['util_open_frac', 'f64'],
    ['util_frac', 'f64'],
    ['tasks', 'u32'],
    ['total', 'u64'],
    ['sel_local', 'f64'],
    ['enq_local', 'f64'],
    ['enq_wakeup', 'f64'],
    ['enq_expire', 'f64'],
    ['enq_reenq', 'f64'],
    ['enq_dsq', 'f64'],
    ['min_exec', 'f64'],
    ['min_exec_us', 'u64'],
    ['open_idle', 'f64'],
    ['preempt', 'f64'],
    ['preempt_xllc', 'f64'],
    ['preempt_xnuma', 'f64'],
    ['preempt_first', 'f64'],
    ['preempt_idle', 'f64'],
    ['preempt_fail', 'f64'],
    ['affn_viol', 'f64'],
    ['keep', 'f64'],
    ['keep_fail_max_exec', 'f64'],
    ['keep_fail_busy', 'f64'],
    ['is_excl', 'u32', skip],
    ['excl_collision', 'f64'],
    ['excl_preempt', 'f64'],
    ['yielded', 'f64'],
    ['yield_ignore', 'u64'],
    ['migration', 'f64'],
    ['xnuma_migration', 'f64'],
    ['xllc_migration', 'f64'],
    ['xllc_migration_skip', 'f64'],
    ['xlayer_wake', 'f64'],
    ['xlayer_rewake', 'f64'],
    ['llc_drain_try', 'f64'],
    ['llc_drain', 'f64'],
    ['skip_remote_node', 'f64'],
    ['cpus', 'Vec<u64>', skip],
    ['cur_nr_cpus', 'u32'],
    ['min_nr_cpus', 'u32'],
    ['max_nr_cpus', 'u32'],
    ['nr_llc_cpus', 'Vec<u32>'],
    ['slice_us', 'u64'],
    ['llc_fracs', 'Vec<f64>'],
    ['llc_lats', 'Vec<f64>'],
    ['membw_pct', 'f64'],
    ['dsq_insert_ewma', 'f64'],
    ['node_utils', 'Vec<f64>'],
    ['node_pinned_utils', 'Vec<f64>'],
    ['node_pinned_tasks', 'Vec<u64>'],
    ['node_loads', 'Vec<f64>'],
    ['xnuma_active', 'u32'],
    ['l_runq_lat_hist', 'Vec<u64>'],
  ]),
  SysStats: struct('SysStats', { top: true }, [
    ['at', 'f64', skip],
    ['nr_nodes', 'usize'],
    ['total', 'u64'],
    ['local_sel', 'f64'],
    ['local_enq', 'f64'],
    ['open_idle', 'f64'],
    ['affn_viol', 'f64'],
    ['hi_fb', 'f64'],
    ['lo_fb', 'f64'],
    ['excl_collision', 'f64'],
    ['excl_preempt', 'f64'],
    ['excl_idle', 'f64'],
    ['excl_wakeup', 'f64'],
    ['proc_ms', 'u64'],
    ['busy', 'f64'],
    ['util', 'f64'],
    ['hi_fb_util', 'f64'],
    ['lo_fb_util', 'f64'],
    ['antistall', 'u64'],
    ['skip_preempt', 'u64'],
    ['fixup_vtime', 'u64'],
    ['preempting_mismatch', 'u64'],
    ['fallback_cpus', 'BTreeMap<u32, u32>'],
    ['fallback_cpu_util', 'f64'],
    ['layers', 'BTreeMap<String, LayerStats>'],
    ['gpu_tasks_affinitized', 'u64'],
    ['gpu_task_affinitization_ms', 'u64'],
    ['system_cpu_util_ewma', 'f64'],
  ]),
};
