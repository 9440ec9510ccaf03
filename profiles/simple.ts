/** scx_simple (sched-ext/scx scheds/c, before d1810e621): the per-CPU `stats` array, `[local, global]`. */
import { counter, defineStats } from '../src/declare/index.js';
import { defineProfile } from '../src/bpf-layout/profile.js';
import { statsIndex } from '../src/bpf-layout/ref.js';

export const simpleStats = defineStats({
  name: 'simple',
  help: 'scx_simple BPF stats (per-CPU `stats` map, [local, global])',
  prefix: 'scx_simple',
  stats: {
    queued_tasks: counter({
      help: 'Tasks queued: local = an idle CPU was found in select_cpu and the task went to its local DSQ; global = enqueued to the shared DSQ',
      labels: { dsq: ['local', 'global'] },
      from: statsIndex(),
    }),
  },
});

export const simple = defineProfile({
  name: 'simple',
  ops: 'simple',
  programs: ['simple_'],
  layoutFrom: 'sched-ext/scx d1810e621^ scheds/c/scx_simple.bpf.c (stat_inc(0) local, stat_inc(1) global)',
  stats: simpleStats,
});
