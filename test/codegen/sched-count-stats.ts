/** Declarations the generated-header test compiles into a BPF program (sched-count.bpf.c). */
import { counter, defineStats, histogram, log2Buckets } from '../../src/declare/index.js';
import { statsIndex } from '../../src/sources/bpf/ref.js';

export const schedCountStats = defineStats({
  name: 'schedcount',
  help: 'Scheduler events counted by the generated-header test program',
  prefix: 'gentest',
  stats: {
    events: counter({ help: 'Scheduler tracepoint hits', labels: { event: ['switch', 'wakeup', 'wakeup_new'] }, from: statsIndex() }),
    fork_weight: counter({ help: 'Three per fork, added with stat_add', from: statsIndex() }),
    // Not a map slot: the header lists it as left out, and the enum stays 4 long.
    latency: histogram({ help: 'Not in the stats map', unit: 'seconds', buckets: log2Buckets(3) }),
  },
});

/** The declarations module `gen-header --stats` imports. */
export default schedCountStats;
