/**
 * scx_nest (sched-ext/scx scheds/c, before d1810e621): the per-CPU `stats` array indexed by the X-macro table
 * scx_nest_stats_table.h (18 entries in three groups). The wakeup and consume groups are outcomes of one
 * decision each, so they become one counter with a label; the nest group's events stay separate counters.
 */
import { counter, defineStats } from '../src/declare/index.js';
import { defineProfile } from '../src/bpf-layout/profile.js';
import { statsIndex } from '../src/bpf-layout/ref.js';

/** STAT_GRP_WAKEUP, in table order (WAKEUP_ATTACHED .. WAKEUP_IDLE_OTHER). */
export const NEST_WAKEUP_OUTCOMES = [
  'attached',
  'prev_primary',
  'fully_idle_primary',
  'any_idle_primary',
  'fully_idle_reserve',
  'any_idle_reserve',
  'idle_other',
] as const;

export const nestStats = defineStats({
  name: 'nest',
  help: 'scx_nest BPF stats (per-CPU `stats` map, scx_nest_stats_table.h)',
  prefix: 'scx_nest',
  stats: {
    wakeups: counter({
      help: 'Task wakeups by CPU chosen: attached/prev idle in the primary nest, (fully) idle core in the primary or reserve nest, any other idle CPU',
      labels: { outcome: NEST_WAKEUP_OUTCOMES },
      from: statsIndex(),
    }),
    task_impatient: counter({ help: 'A task was found to be impatient', from: statsIndex() }),
    promoted_to_primary: counter({ help: 'A core was promoted into the primary nest', from: statsIndex() }),
    promoted_to_reserved: counter({ help: 'A core was promoted into the reserve nest', from: statsIndex() }),
    demoted_to_reserved: counter({ help: 'A core was demoted into the reserve nest', from: statsIndex() }),
    reserved_at_capacity: counter({ help: 'Reserved nest was at capacity', from: statsIndex() }),
    scheduled_compaction: counter({ help: 'Scheduled a primary core to be compacted', from: statsIndex() }),
    cancelled_compaction: counter({ help: 'Cancelled a primary core from being compacted at task wakeup time', from: statsIndex() }),
    eagerly_compacted: counter({ help: 'A core was compacted in ops.dispatch()', from: statsIndex() }),
    callback_compacted: counter({ help: 'A core was compacted in the scheduled timer callback', from: statsIndex() }),
    global_dsq_consumes: counter({
      help: 'Attempts to consume from the global DSQ: consumed = a task was there, not_consumed = it was empty',
      labels: { result: ['consumed', 'not_consumed'] },
      from: statsIndex(),
    }),
  },
});

export const nest = defineProfile({
  name: 'nest',
  ops: 'nest',
  programs: ['nest_'],
  layoutFrom: 'sched-ext/scx d1810e621^ scheds/c/scx_nest_stats_table.h',
  stats: nestStats,
});
