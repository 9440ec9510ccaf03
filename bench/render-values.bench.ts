/**
 * Rendering by kind of value, against prom-client `registry.metrics()` over the same series and values:
 * - 10,000 counters with integer values (target >= 20x);
 * - 10,000 counters with fractional values as the host source makes them (cumulative ticks x 0.01 and
 *   microseconds x 1e-6 through `absoluteMax`, so they carry the float sums' long digits too) (>= 10x).
 *   src/sources/host multiplies each raw cumulative reading by its `scale` (1 / USER_HZ, which is 0.01
 *   exactly, 1e-6, 1e-9) and the counter adds the difference to the last reading, so its values are short
 *   decimals (1234.56) about four times in five and 16-17 digits (1234.5600000000002) otherwise; the share
 *   is printed;
 * - 1,000 histograms, 12 buckets, observations in seconds (ns / 1e9), so fractional sums (>= 10x).
 * Each in text 0.0.4 and OpenMetrics 1.0. Before every render (untimed) a share of the series move, the same
 * ones on both sides with the same arithmetic, so both render the same numbers: 10% (an idle machine: most
 * per-CPU counters keep their value between scrapes; the targets are judged here) and 100% (every series
 * moves every scrape, the worst case, printed with its own verdict). Ours renders into a reused buffer as
 * the sink does; prom-client's string is encoded to UTF-8 as any server must send it. Median CPU time per
 * series (process.cpuUsage: on a shared 2-core machine wall time mostly measures the other processes) of
 * interleaved runs after warm-up, each side after a full GC; the wall-clock medians are printed beside.
 */
import { cpus } from 'node:os';
import client from 'prom-client';
import { counter, defineStats, histogram, type StatDecl } from '../src/declare/index.js';
import { Registry, type CounterSeries, type HistogramSeries } from '../src/registry/index.js';
import { OpenMetricsRenderer } from '../src/sinks/prometheus/openmetrics.js';
import { Text004Renderer } from '../src/sinks/prometheus/text-004.js';
import { machineLine, median, verdict } from './harness.js';

const WARMUP = 10;
const RUNS = 21;
const SHARES = [0.1, 1] as const;
const BUCKETS = [1e-6, 4e-6, 1.6e-5, 6.4e-5, 2.56e-4, 1.024e-3, 4.096e-3, 1.6384e-2, 6.5536e-2, 0.262144, 1.048576, 4.194304];

let seed = 42;
const rnd = (): number => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};

type Kind = 'integer' | 'fractional' | 'histogram';
type PromMetric = client.Counter | client.Histogram;

/** One scenario: our registry and prom-client's two (its format is per registry), fed alike. */
interface Scenario {
  readonly title: string;
  readonly series: number;
  readonly target: number;
  readonly registry: Registry;
  /** Moves a share of the series on all three sides. */
  move(share: number): void;
  readonly prom: { text: client.Registry; om: client.Registry };
}

function scenario(kind: Kind, families: number, perFamily: number): Scenario {
  const stats: Record<string, StatDecl> = {};
  const help = (f: number): string => `Time the scheduler spent on path ${f}, by CPU`;
  for (let f = 0; f < families; f++) {
    const labels = { cpu: String };
    stats[`path_${f}`] =
      kind === 'histogram' ? histogram({ help: help(f), unit: 'seconds', buckets: BUCKETS, labels }) : counter({ help: help(f), unit: kind === 'fractional' ? 'seconds' : '', labels });
  }
  const registry = new Registry();
  const fams = Object.values(registry.register(defineStats({ name: 'bench', help: 'bench', prefix: 'scx_bench', stats })));
  const name = (f: number): string => `scx_bench_path_${f}${kind === 'integer' ? '' : '_seconds'}`;
  const promSide = (openMetrics: boolean): { reg: client.Registry; metrics: PromMetric[] } => {
    const reg = new client.Registry();
    if (openMetrics) reg.setContentType(client.Registry.OPENMETRICS_CONTENT_TYPE as typeof client.Registry.PROMETHEUS_CONTENT_TYPE);
    const metrics: PromMetric[] = [];
    for (let f = 0; f < families; f++) {
      const base = { help: help(f), labelNames: ['cpu'], registers: [reg] };
      metrics.push(kind === 'histogram' ? new client.Histogram({ name: name(f), buckets: BUCKETS, ...base }) : new client.Counter({ name: `${name(f)}_total`, ...base }));
    }
    return { reg, metrics };
  };
  const text = promSide(false);
  const om = promSide(true);
  const ours = fams.flatMap((fam) => Array.from({ length: perFamily }, (_, c) => fam.withValues([String(c)])));
  const labels = Array.from({ length: perFamily }, (_, c) => ({ cpu: String(c) }));
  // The producer's cumulative raw count per series (ticks, microseconds) for the fractional counters.
  const raw = new Float64Array(ours.length);
  const last = new Float64Array(ours.length);

  const move = (share: number): void => {
    for (let i = 0; i < ours.length; i++) {
      if (share < 1 && rnd() >= share) continue;
      const f = Math.floor(i / perFamily);
      const l = labels[i % perFamily] as { cpu: string };
      const pt = text.metrics[f] as PromMetric;
      const po = om.metrics[f] as PromMetric;
      if (kind === 'histogram') {
        const h = ours[i] as HistogramSeries;
        for (let k = 0; k < 3; k++) {
          const v = Math.floor(rnd() ** 4 * 5e9) / 1e9;
          h.observe(v);
          (pt as client.Histogram).observe(l, v);
          (po as client.Histogram).observe(l, v);
        }
        continue;
      }
      const c = ours[i] as CounterSeries;
      let delta: number;
      if (kind === 'integer') {
        delta = Math.floor(rnd() * 100000);
        c.inc(delta);
      } else {
        // As the host source: raw cumulative ticks (or microseconds) times the scale, the high-water rule.
        raw[i] = (raw[i] as number) + Math.floor(rnd() * (f % 2 === 0 ? 200 : 2e6));
        const cumulative = (raw[i] as number) * (f % 2 === 0 ? 0.01 : 1e-6);
        delta = cumulative - (last[i] as number);
        last[i] = cumulative;
        const before = c.value;
        c.absoluteMax(cumulative);
        // absoluteMax adds exactly this delta; prom-client's inc does the same addition.
        if (c.value !== before + delta) throw new Error('bench: our counter took another delta than prom-client');
      }
      (pt as client.Counter).inc(l, delta);
      (po as client.Counter).inc(l, delta);
    }
  };
  const title =
    kind === 'integer'
      ? `${ours.length} counters, integer values`
      : kind === 'fractional'
        ? `${ours.length} counters, fractional values (ticks x 0.01, us x 1e-6)`
        : `${ours.length} histograms, ${BUCKETS.length} buckets, fractional sums`;
  // Every series starts with a value on both sides (prom-client leaves out a label set it never saw).
  move(1);
  return { title, series: ours.length, target: kind === 'integer' ? 20 : 10, registry, move, prom: { text: text.reg, om: om.reg } };
}

const values = (text: string): string[] =>
  text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#') && !l.includes('_created'))
    .map((l) => l.slice(l.lastIndexOf(' ') + 1))
    .sort();

/** The share of counter values whose shortest text has 16 or 17 significant digits, as a percentage. */
function longShare(registry: Registry): string {
  let long = 0;
  let all = 0;
  for (const fam of registry.families()) {
    for (const c of fam.series as CounterSeries[]) {
      all++;
      if (String(c.value).replace(/^0\.0*|\.|e.*$/g, '').length >= 16) long++;
    }
  }
  return `${((100 * long) / all).toFixed(0)}%`;
}

/** CPU time (user + system) of this process since `from`, in ns: a render descheduled on a shared machine is not charged for the wait. */
const cpuNs = (from: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) * 1000;
};
/** `global.gc` when run with --expose-gc (scripts/run-bench.mjs passes it). */
const gc = (globalThis as { gc?: () => void }).gc;

let scratch = Buffer.alloc(0);
function into(r: Text004Renderer | OpenMetricsRenderer, registry: Registry): Buffer {
  const need = r.maxBytes(registry);
  if (scratch.length < need) scratch = Buffer.allocUnsafeSlow(need + (need >> 3));
  return r.renderInto(registry, scratch);
}

console.log(`render by kind of value, median of ${RUNS} interleaved runs after ${WARMUP} warm-up (${machineLine()}, ${cpus()[0]?.model ?? 'cpu'})`);
let allMet = true;
const worst: string[] = [];
for (const [kind, families, perFamily] of [
  ['integer', 100, 100],
  ['fractional', 100, 100],
  ['histogram', 10, 100],
] as const) {
  const s = scenario(kind, families, perFamily);
  for (const [format, ours, peer] of [
    ['text 0.0.4', new Text004Renderer(), s.prom.text],
    ['OpenMetrics 1.0', new OpenMetricsRenderer(), s.prom.om],
  ] as const) {
    // The same numbers on both sides, or the ratio compares different work.
    const a = values(into(ours, s.registry).toString('utf8'));
    const b = values(await peer.metrics());
    if (a.length !== b.length || a.some((v, i) => v !== b[i])) throw new Error(`${s.title}, ${format}: the two sides render different values`);
    for (const share of SHARES) {
      const t: number[] = [];
      const p: number[] = [];
      const tw: number[] = [];
      const pw: number[] = [];
      for (let r = 0; r < WARMUP + RUNS; r++) {
        s.move(share);
        // Each side starts on a collected heap, so neither pays for the other's garbage.
        gc?.();
        let w0 = process.hrtime.bigint();
        let c0 = process.cpuUsage();
        into(ours, s.registry);
        const ta = cpuNs(c0) / s.series;
        const twa = Number(process.hrtime.bigint() - w0) / s.series;
        gc?.();
        w0 = process.hrtime.bigint();
        c0 = process.cpuUsage();
        Buffer.from(await peer.metrics(), 'utf8');
        const tb = cpuNs(c0) / s.series;
        const twb = Number(process.hrtime.bigint() - w0) / s.series;
        if (r >= WARMUP) {
          t.push(ta);
          p.push(tb);
          tw.push(twa);
          pw.push(twb);
        }
      }
      const label = `${s.title}, ${format}, ${share * 100}% moving${share === 1 ? ' (worst case)' : ''}`;
      const met = verdict(label, median(t), median(p), s.target, { unit: 'CPU ns/series' });
      console.log(`  (wall clock: ours ${median(tw).toFixed(0)} ns/series, peer ${median(pw).toFixed(0)}, ratio ${(median(pw) / median(tw)).toFixed(2)}x)`);
      if (share === 1) {
        if (!met) worst.push(`${s.title}, ${format}`);
      } else allMet = met && allMet;
    }
  }
  if (kind === 'fractional') console.log(`  (after these renders, ${longShare(s.registry)} of the fractional values have 16 or 17 significant digits)`);
}
console.log(`render-values targets (integer >= 20x, fractional and histograms >= 10x, 10% moving): ${allMet ? 'met' : 'NOT met'}`);
if (worst.length > 0) console.log(`with every series moving every render, not met: ${worst.join('; ')}`);
