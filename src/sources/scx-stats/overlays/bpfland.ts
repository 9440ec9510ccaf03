/**
 * scx_bpfland (scheds/rust/scx_bpfland/src/stats.rs). One struct, `Metrics`, filled from BPF `.bss`
 * counters. Each client's reader keeps its previous snapshot and returns `cur.delta(&prev)`, which subtracts
 * every counter and keeps `nr_running` and `nr_cpus` as they are: those two are levels, the rest are
 * per-interval counts. Counter names drop the `nr_` prefix (`scx_bpfland_kthread_dispatches_total`).
 */
import type { ScxOverlay } from './types.js';

const counted = [
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
];

export const bpflandOverlay: ScxOverlay = {
  scheduler: 'bpfland',
  top: 'Metrics',
  signature: ['nr_running', 'nr_kthread_dispatches', 'nr_shared_dispatches'],
  structs: {
    Metrics: {
      counts: counted.map((field) => ({ field, name: field.replace(/^nr_/, '') })),
      levels: ['nr_running', 'nr_cpus'],
    },
  },
  monitorLines: [['nr_running', 'nr_cpus'], ['nr_kthread_dispatches', 'nr_direct_dispatches', 'nr_shared_dispatches']],
};
