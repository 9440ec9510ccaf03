/** Declarations the generated-header test compiles into a BPF program (sched-count.bpf.c). */
import { counter, defineStats, histogram, log2Buckets } from '../../src/declare/index.js';
import { statsIndex } from '../../src/bpf-layout/ref.js';

export const schedCountStats = defineStats({
  name: 'schedcount',
  help: 'Scheduler events counted by the generated-header test program',
  prefix: 'gentest',
  stats: {
    events: counter({ help: 'Scheduler tracepoint hits', labels: { event: ['switch', 'wakeup', 'wakeup_new'] }, from: statsIndex() }),
    fork_weight: counter({ help: 'Three per fork, added with stat_add', from: statsIndex() }),
    // Each sched_switch records its CPU's switch count so far (1, 2, 3, ... per CPU), so the buckets and the
    // sum follow from the per-CPU counts: bucket i holds 2^(i-1) values, +Inf all above 2^10.
    switch_seq: histogram({ help: 'The switch count of the switching CPU, recorded at each switch', buckets: log2Buckets(10), from: statsIndex() }),
    // Values the test hands to gentest_record by BPF_PROG_TEST_RUN, as nanoseconds of a seconds histogram.
    recorded: histogram({ help: 'Values recorded by test runs', unit: 'seconds', buckets: log2Buckets(20, { scale: 1e-9 }), from: statsIndex() }),
    // Not a map slot: the header lists it as left out.
    latency: histogram({ help: 'Not in the stats map', unit: 'seconds', buckets: log2Buckets(3) }),
  },
});

/** The declarations module `gen-header --stats` imports. */
export default schedCountStats;
