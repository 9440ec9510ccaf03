/**
 * scx_flatcg (sched-ext/scx scheds/c, before d1810e621): the per-CPU `stats` array indexed by
 * `enum fcg_stat_idx` (21 entries). Each FCG_STAT_<GROUP>_* group becomes one counter labelled by outcome,
 * in enum order.
 */
import { counter, defineStats } from '../src/declare/index.js';
import { defineProfile } from '../src/bpf-layout/profile.js';
import { statsIndex } from '../src/bpf-layout/ref.js';

export const flatcgStats = defineStats({
  name: 'flatcg',
  help: 'scx_flatcg BPF stats (per-CPU `stats` map, enum fcg_stat_idx)',
  prefix: 'scx_flatcg',
  stats: {
    cgroup_activations: counter({ help: 'Cgroups that became active (FCG_STAT_ACT)', from: statsIndex() }),
    cgroup_deactivations: counter({ help: 'Cgroups that became inactive (FCG_STAT_DEACT)', from: statsIndex() }),
    queued_tasks: counter({
      help: 'Tasks queued directly to a local DSQ, or to the global fallback DSQ (FCG_STAT_LOCAL, FCG_STAT_GLOBAL)',
      labels: { dsq: ['local', 'global'] },
      from: statsIndex(),
    }),
    hweight_calcs: counter({
      help: 'Hierarchical weight lookups: update = recomputed, cache = cached value used, skip, race (FCG_STAT_HWT_*)',
      labels: { result: ['update', 'cache', 'skip', 'race'] },
      from: statsIndex(),
    }),
    enqueue_abandoned: counter({
      help: 'Cgroup enqueues given up: skip, race (FCG_STAT_ENQ_*)',
      labels: { result: ['skip', 'race'] },
      from: statsIndex(),
    }),
    cgroup_consumes: counter({
      help: 'Dispatch attempts on the current cgroup: keep, expire, empty, gone (FCG_STAT_CNS_*)',
      labels: { result: ['keep', 'expire', 'empty', 'gone'] },
      from: statsIndex(),
    }),
    cgroup_picks: counter({
      help: 'Picks of the next cgroup to run: no_cgrp, next, empty, gone, race, fail (FCG_STAT_PNC_*)',
      labels: { result: ['no_cgrp', 'next', 'empty', 'gone', 'race', 'fail'] },
      from: statsIndex(),
    }),
    bad_removals: counter({ help: 'Cgroup removals from the tree that found it in an unexpected state (FCG_STAT_BAD_REMOVAL)', from: statsIndex() }),
  },
});

export const flatcg = defineProfile({
  name: 'flatcg',
  ops: 'flatcg',
  programs: ['fcg_'],
  layoutFrom: 'sched-ext/scx d1810e621^ scheds/c/scx_flatcg.h enum fcg_stat_idx',
  stats: flatcgStats,
});
