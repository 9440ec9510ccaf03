/**
 * scx_lavd (scheds/rust/scx_lavd/src/stats.rs; main.rs `stats_req_to_res`; bpf/sys_stat.bpf.c). `SysStats`
 * is read straight from the BPF `sys_stat`: `nr_sched`, `nr_preempt` and the counts behind the `pc_*`
 * percentages are running sums the BPF timer halves every two seconds (LAVD_SYS_STAT_DECAY_TIMES), so they
 * are decaying levels, not per-interval counts, and no counter can be rebuilt from them honestly. Every
 * field is therefore a level. `power_mode` is a string (exported info-style).
 */
import type { ScxOverlay } from './types.js';

const decayed = 'running sum the BPF side halves every 2 s: a decaying level, not a count';

export const lavdOverlay: ScxOverlay = {
  scheduler: 'lavd',
  top: 'SysStats',
  signature: ['mseq', 'nr_sched', 'pc_pc', 'power_mode'],
  structs: {
    SysStats: {
      levels: [
        'mseq',
        'nr_queued_task',
        'nr_active',
        'nr_sched',
        'nr_preempt',
        'pc_pc',
        'pc_lc',
        'pc_x_migration',
        'nr_stealee',
        'pc_big',
        'pc_pc_on_big',
        'pc_lc_on_big',
        'pc_performance',
        'pc_balanced',
        'pc_powersave',
      ],
      notes: {
        mseq: 'sequence number of stats messages, shared by all clients',
        nr_sched: decayed,
        nr_preempt: decayed,
        pc_pc: `percentage of a ${decayed}`,
        pc_lc: `percentage of a ${decayed}`,
        pc_x_migration: `percentage of a ${decayed}`,
        pc_big: `percentage of a ${decayed}`,
      },
    },
  },
  monitorLines: [
    ['mseq', 'nr_queued_task', 'nr_active', 'nr_sched', 'nr_preempt'],
    ['pc_pc', 'pc_lc', 'pc_x_migration', 'nr_stealee'],
    ['pc_big', 'pc_pc_on_big', 'pc_lc_on_big'],
    ['power_mode', 'pc_performance', 'pc_balanced', 'pc_powersave'],
  ],
};
