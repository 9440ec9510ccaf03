/**
 * The 10,000 series the push-encoding benchmarks share: 7 counter families, 2 gauge families and 1
 * histogram family (8 buckets), 1,000 series each, labelled {cpu, dsq}; every value distinct. Each
 * comparison feeds its peer library the same names, labels and values.
 */
import { counter, defineStats, gauge, histogram } from '../src/declare/index.js';
import { Registry } from '../src/registry/index.js';

export const PER_FAMILY = 1000;
export const BUCKETS = [0.00001, 0.0001, 0.001, 0.005, 0.01, 0.05, 0.1, 1];

const labels = { cpu: String, dsq: String } as const;
export const benchStats = defineStats({
  name: 'bench',
  help: 'push encoding benchmark',
  prefix: 'scx',
  stats: {
    dispatched_local: counter({ help: 'Tasks dispatched to the local DSQ', labels }),
    dispatched_global: counter({ help: 'Tasks dispatched to the global DSQ', labels }),
    enqueued: counter({ help: 'Tasks enqueued', labels }),
    kicked: counter({ help: 'CPUs kicked', labels }),
    migrated: counter({ help: 'Tasks migrated', labels }),
    preempted: counter({ help: 'Tasks preempted', labels }),
    busy: counter({ help: 'Busy time', unit: 'seconds', labels }),
    queued: gauge({ help: 'Tasks queued', labels }),
    load: gauge({ help: 'Load average', labels }),
    wakeup_latency: histogram({ help: 'Wake-up latency', unit: 'seconds', buckets: BUCKETS, labels }),
  },
});

export interface BenchSeries {
  readonly family: string;
  readonly kind: 'counter' | 'gauge' | 'histogram';
  readonly labels: { cpu: string; dsq: string };
  /** Counter/gauge value, or the observations of a histogram series. */
  readonly value: number;
  readonly observations: readonly number[];
}

/** The series as plain data, in registry order. */
export function benchData(): BenchSeries[] {
  const out: BenchSeries[] = [];
  let k = 1;
  for (const decl of Object.values(benchStats.stats)) {
    for (let i = 0; i < PER_FAMILY; i++) {
      const l = { cpu: String(i % 128), dsq: `dsq${Math.floor(i / 128)}` };
      const obs = decl.kind === 'histogram' ? [0.000005 * (i + 1), 0.0007 * ((i % 7) + 1), 0.02 * ((i % 5) + 1)] : [];
      out.push({ family: decl.name, kind: decl.kind, labels: l, value: k++ * 3 + (decl.kind === 'gauge' ? 0.5 : 0), observations: obs });
    }
  }
  return out;
}

/** A registry holding the bench data. */
export function benchRegistry(data: readonly BenchSeries[]): Registry {
  const reg = new Registry();
  reg.register(benchStats);
  for (const d of data) {
    const fam = reg.get(d.family);
    if (fam === undefined) throw new Error(`no family ${d.family}`);
    const s = fam.with(d.labels as never);
    if (d.kind === 'histogram') for (const o of d.observations) (s as unknown as { observe(v: number): void }).observe(o);
    else if (d.kind === 'counter') (s as unknown as { inc(v: number): void }).inc(d.value);
    else (s as unknown as { set(v: number): void }).set(d.value);
  }
  return reg;
}
