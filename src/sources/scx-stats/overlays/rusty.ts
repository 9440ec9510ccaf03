/**
 * scx_rusty (scheds/rust/scx_rusty/src/stats.rs, main.rs `cluster_stats`). Every request returns the delta
 * since the same client's previous one (`StatsCtx::delta`). `total` is the sum of the 11 dispatch-path
 * counters of the BPF `stats` map; each path is sent as `stat / total * 100`, and so are kick_greedy,
 * repatriate, dl_clamp and dl_preset. The per-path counts are rebuilt here into
 * `scx_rusty_dispatched_tasks_total{type}` with the label values of the original metrics change (PR #377).
 */
import type { ScxOverlay } from './types.js';

export const rustyOverlay: ScxOverlay = {
  scheduler: 'rusty',
  top: 'ClusterStats',
  signature: ['total', 'wake_sync', 'greedy_xnuma', 'nodes'],
  structs: {
    ClusterStats: {
      counts: [
        { field: 'total', name: 'sched_events', help: 'Scheduling events (tasks dispatched on any path)' },
        { field: 'nr_migrations', name: 'load_balance_migrations', help: 'Tasks migrated by load balancing' },
        { field: 'task_get_err', name: 'task_get_errors', help: 'BPF task context lookups that failed' },
        { field: 'time_used', name: 'userspace_cpu', unit: 'seconds', help: 'Time the scheduler spent in its userspace part' },
      ],
      shares: [
        {
          of: 'total',
          scale: 100,
          group: { name: 'dispatched_tasks', help: 'Tasks dispatched, by path (the paths add up to sched_events)', label: 'type' },
          fields: {
            wake_sync: 'wsync',
            sync_prev_idle: 'wsync_prev_idle',
            prev_idle: 'prev_idle',
            greedy_idle: 'greedy_idle',
            pinned: 'pinned',
            direct: 'direct_dispatch',
            greedy: 'direct_greedy',
            greedy_far: 'direct_greedy_far',
            dsq_dispatch: 'dsq',
            greedy_local: 'greedy_local',
            greedy_xnuma: 'greedy_xnuma',
          },
        },
        { of: 'total', scale: 100, fields: { kick_greedy: 'greedy_kicks', repatriate: 'repatriations', dl_clamp: 'dl_clamped', dl_preset: 'dl_preset' } },
      ],
      levels: ['at_us', 'lb_at_us', 'slice_us', 'cpu_busy', 'load'],
      notes: { at_us: 'wall-clock timestamp (µs)', lb_at_us: 'time of the last load balancing (µs)' },
    },
    NodeStats: { levels: ['load', 'imbal', 'delta'] },
    DomainStats: { levels: ['load', 'imbal', 'delta'] },
  },
  // scx_rusty's own --monitor lines (stats.rs ClusterStats::format), with its short labels.
  monitorLines: [
    [['cpu_busy', 'cpu'], 'load', ['nr_migrations', 'mig'], ['task_get_err', 'task_err'], 'time_used'],
    [['total', 'tot'], 'sync_prev_idle', ['wake_sync', 'wsync']],
    ['prev_idle', 'greedy_idle', ['pinned', 'pin']],
    [['direct', 'dir'], ['greedy', 'dir_greedy'], ['greedy_far', 'dir_greedy_far']],
    [['dsq_dispatch', 'dsq'], 'greedy_local', 'greedy_xnuma'],
    ['kick_greedy', ['repatriate', 'rep']],
    ['dl_clamp', 'dl_preset'],
    [['slice_us', 'slice_us']],
    ['direct_greedy_cpus'],
    ['kick_greedy_cpus'],
  ],
};
