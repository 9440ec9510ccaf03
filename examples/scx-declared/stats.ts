/**
 * scx_declared's stats, declared once. This module is all there is to them:
 * - `scx-metrics gen-header --stats stats.js -o scx_declared_stats.h` writes the enum, the per-CPU `stats`
 *   map and the stat_inc()/stat_hist_*() helpers that scx_declared.bpf.c includes;
 * - `scx-metrics run --profile stats.js` reads that map from the running scheduler and exports every
 *   series below under these names (auto-detected by the ops name `declared`).
 * Outside this repository, import from 'scx-metrics' instead of the relative paths.
 */
import { counter, defineStats, histogram, log2Buckets } from '../../src/declare/index.js';
import { defineProfile } from '../../src/bpf-layout/profile.js';
import { statsIndex } from '../../src/bpf-layout/ref.js';

export const stats = defineStats({
  name: 'declared',
  help: 'scx_declared: a global FIFO sched_ext scheduler whose stats are declared in TypeScript',
  prefix: 'scx_declared',
  stats: {
    enqueued_tasks: counter({
      help: 'Tasks queued: local = an idle CPU was found in select_cpu and the task went to its local DSQ; global = enqueued to the shared DSQ',
      labels: { dsq: ['local', 'global'] },
      from: statsIndex(),
    }),
    dispatches: counter({ help: 'ops.dispatch() calls that moved a task from the shared DSQ to the local one', from: statsIndex() }),
    // The part of its slice a task used before it stopped: SCX_SLICE_DFL - p->scx.slice, recorded in µs.
    slice_used: histogram({
      help: 'Time a task ran before it stopped running (slice consumed)',
      unit: 'seconds',
      buckets: log2Buckets(16, { scale: 1e-6 }),
      from: statsIndex(),
    }),
  },
});

/** What finds the running scheduler: its ops name and its programs' name prefix (BPF_STRUCT_OPS(declared_...)). */
export default defineProfile({
  name: 'declared',
  ops: 'declared',
  programs: ['declared_'],
  layoutFrom: 'examples/scx-declared/stats.ts',
  stats,
});
