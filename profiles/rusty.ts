/**
 * scx_rusty as of its metrics-crate change (sched-ext/scx 83373b1f4, PR #377, plus e5984ed01's extra
 * counters): the per-CPU `stats` array indexed by `enum stat_idx` (17 entries), exported under the names that
 * change used (`dispatched_tasks_total{type=...}`, no prefix) so its dashboards keep working.
 */
import { counter, defineStats } from '../src/declare/index.js';
import { defineProfile } from '../src/bpf-layout/profile.js';
import { statsIndex } from '../src/bpf-layout/ref.js';

/** The 11 dispatch paths, in `enum stat_idx` order (RUSTY_STAT_WAKE_SYNC .. RUSTY_STAT_GREEDY_XNUMA); they add up to all dispatched tasks. */
export const RUSTY_DISPATCH_PATHS = [
  'wsync',
  'wsync_prev_idle',
  'prev_idle',
  'greedy_idle',
  'pinned',
  'direct_dispatch',
  'direct_greedy',
  'direct_greedy_far',
  'dsq',
  'greedy_local',
  'greedy_xnuma',
] as const;

export const rustyStats = defineStats({
  name: 'rusty',
  help: 'scx_rusty BPF stats (per-CPU `stats` map, enum stat_idx)',
  stats: {
    dispatched_tasks: counter({
      help: 'Tasks dispatched, by dispatch path; the paths add up to all dispatched tasks',
      labels: { type: RUSTY_DISPATCH_PATHS },
      from: statsIndex(),
    }),
    repatriate: counter({ help: 'Tasks repatriated to their local domain on enqueue', from: statsIndex() }),
    kick_greedy: counter({ help: 'Foreign-domain CPUs kicked on enqueue', from: statsIndex() }),
    load_balance: counter({ help: 'Task migrations done by load balancing', from: statsIndex() }),
    task_errors: counter({ help: 'Failed lookups of per-task context in BPF (RUSTY_STAT_TASK_GET_ERR)', from: statsIndex() }),
    dl_clamped: counter({ help: 'Times the accumulated vtime budget was clamped (RUSTY_STAT_DL_CLAMP)', from: statsIndex() }),
    dl_preset: counter({ help: 'Times the accumulated vtime budget was used as-is (RUSTY_STAT_DL_PRESET)', from: statsIndex() }),
  },
});

export const rusty = defineProfile({
  name: 'rusty',
  ops: 'rusty',
  programs: ['rusty_'],
  layoutFrom: 'sched-ext/scx 83373b1f4 (metrics-rs era), scheds/rust/scx_rusty/src/bpf/intf.h enum stat_idx',
  stats: rustyStats,
});
