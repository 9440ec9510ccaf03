/**
 * The registry every Prometheus test renders: counters with and without labels, gauges with NaN and the
 * infinities, explicit and log2 histograms, label values and help text that need escaping, and a family
 * with no series. The golden texts in golden.test.ts are this registry's exact expositions.
 */
import { counter, defineStats, gauge, histogram, log2Buckets } from '../../../src/declare/index.js';
import { Registry, type Families } from '../../../src/registry/index.js';

export const fixtureStats = defineStats({
  name: 'fixture',
  help: 'Golden fixture',
  prefix: 'fx',
  stats: {
    dispatched_tasks: counter({ help: 'Tasks dispatched, by path', labels: { type: ['wsync', 'prev_idle', 'pinned'] } }),
    wakeups: counter({ help: 'Wakeups seen' }),
    busy: counter({ help: 'CPU busy time', unit: 'seconds', labels: { cpu: String, mode: ['user', 'system'] } }),
    odd_labels: counter({ help: 'Help with a backslash \\ a "quote" and a\nnewline', labels: { value: String } }),
    queue_depth: gauge({ help: 'Tasks queued now' }),
    special: gauge({ help: 'Values that need care', labels: { kind: String } }),
    latency: histogram({ help: 'Wakeup latency', unit: 'seconds', buckets: [0.00001, 0.001, 0.5, 1, 2.5, 1000000] }),
    slice: histogram({ help: 'Slice length, log2 slots of ns', buckets: log2Buckets(3), labels: { layer: String } }),
    never_set: gauge({ help: 'A family with no series', labels: { x: String } }),
  },
});

/** Label values that need escaping or are non-ASCII, in the order they are created. */
export const ODD_VALUES = ['a "quoted" value', 'back\\slash', 'new\nline', 'ünïcödé ✓ 日本', ''] as const;

export function fixtureRegistry(): { registry: Registry; fam: Families<typeof fixtureStats.stats> } {
  const registry = new Registry();
  const fam = registry.register(fixtureStats);
  fam.dispatched_tasks.with({ type: 'wsync' }).inc(20596);
  fam.dispatched_tasks.with({ type: 'prev_idle' }).absolute(44963);
  fam.wakeups.with().inc(7);
  fam.busy.with({ cpu: '0', mode: 'user' }).inc(12.5);
  fam.busy.with({ cpu: '0', mode: 'system' }).inc(0.25);
  ODD_VALUES.forEach((value, i) => fam.odd_labels.with({ value }).inc(i + 1));
  fam.queue_depth.with().set(3);
  fam.special.with({ kind: 'nan' }).set(Number.NaN);
  fam.special.with({ kind: 'pos_inf' }).set(Number.POSITIVE_INFINITY);
  fam.special.with({ kind: 'neg_inf' }).set(Number.NEGATIVE_INFINITY);
  fam.special.with({ kind: 'tiny' }).set(1.5e-7);
  fam.special.with({ kind: 'huge' }).set(1e21);
  fam.special.with({ kind: 'negative' }).set(-3.25);
  const lat = fam.latency.with();
  // One value per bucket but 1e6 (empty), the last above every bound; exact binary fractions keep the sum short.
  for (const v of [0, 0.0009765625, 0.25, 0.75, 2, 4194304]) lat.observe(v);
  fam.slice.with({ layer: 'batch' }).absolute([1, 0, 2, 3, 1], 40);
  fam.slice.with({ layer: 'interactive' });
  return { registry, fam };
}
