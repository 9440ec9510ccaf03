/**
 * Rendering 10,000 series (100 families x 100 series, half counters, half gauges, two labels each) as text
 * 0.0.4 and as OpenMetrics 1.0: scx-metrics' renderers against prom-client's `registry.metrics()` over the
 * same series and values. Target: ours at least 5x faster in both formats. Values change between renders
 * (untimed) so neither side renders the same numbers twice. Median of interleaved timed renders after warm-up.
 */
import { cpus } from 'node:os';
import client from 'prom-client';
import { counter, defineStats, gauge, type StatDecl } from '../src/declare/index.js';
import { Registry, type CounterSeries, type GaugeSeries } from '../src/registry/index.js';
import { OpenMetricsRenderer } from '../src/sinks/prometheus/openmetrics.js';
import { Text004Renderer } from '../src/sinks/prometheus/text-004.js';
import { machineLine, median, verdict } from './harness.js';

const FAMILIES = 100;
const CPUS = 10;
const LAYERS = ['batch', 'interactive', 'latency-critical', 'background', 'kworker', 'system.slice', 'user.slice/session-3.scope', 'game', 'audio', 'default'];
const SERIES = FAMILIES * CPUS * LAYERS.length;
const WARMUP = 15;
const RUNS = 25;

const help = (i: number): string => `Tasks the scheduler handled on path ${i}, by CPU and layer`;

// Our side: one declaration per family, labels cpu (open) and layer (closed).
const stats: Record<string, StatDecl> = {};
for (let f = 0; f < FAMILIES; f++) {
  const opts = { help: help(f), labels: { cpu: String, layer: LAYERS } };
  stats[`path_${f}_events`] = f % 2 === 0 ? counter(opts) : gauge(opts);
}
const set = defineStats({ name: 'bench', help: 'render bench', prefix: 'scx_bench', stats });
const registry = new Registry();
const families = registry.register(set);
const ours: (CounterSeries | GaugeSeries)[] = [];
for (const fam of Object.values(families)) {
  for (let c = 0; c < CPUS; c++) for (const layer of LAYERS) ours.push(fam.withValues([String(c), layer]) as CounterSeries | GaugeSeries);
}

// prom-client's side: the same names, help, labels and values, once per format (its format is per registry).
type PromMetric = client.Counter | client.Gauge;
function promRegistry(openMetrics: boolean): { reg: client.Registry; metrics: PromMetric[] } {
  const reg = new client.Registry();
  if (openMetrics) reg.setContentType(client.Registry.OPENMETRICS_CONTENT_TYPE as typeof client.Registry.PROMETHEUS_CONTENT_TYPE);
  const metrics: PromMetric[] = [];
  for (let f = 0; f < FAMILIES; f++) {
    const base = { help: help(f), labelNames: ['cpu', 'layer'], registers: [reg] };
    metrics.push(f % 2 === 0 ? new client.Counter({ name: `scx_bench_path_${f}_events_total`, ...base }) : new client.Gauge({ name: `scx_bench_path_${f}_events`, ...base }));
  }
  return { reg, metrics };
}
const promText = promRegistry(false);
const promOm = promRegistry(true);

let seed = 42;
const rnd = (): number => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};

/** New values on both sides: counters grow by a random amount, gauges take a random level. */
function update(): void {
  let i = 0;
  for (let f = 0; f < FAMILIES; f++) {
    const isCounter = f % 2 === 0;
    for (let c = 0; c < CPUS; c++) {
      for (const layer of LAYERS) {
        const v = isCounter ? Math.floor(rnd() * 100000) : rnd() * 1000;
        const s = ours[i++] as CounterSeries | GaugeSeries;
        const labels = { cpu: String(c), layer };
        if (isCounter) {
          (s as CounterSeries).inc(v);
          (promText.metrics[f] as client.Counter).inc(labels, v);
          (promOm.metrics[f] as client.Counter).inc(labels, v);
        } else {
          (s as GaugeSeries).set(v);
          (promText.metrics[f] as client.Gauge).set(labels, v);
          (promOm.metrics[f] as client.Gauge).set(labels, v);
        }
      }
    }
  }
}

/**
 * Median ns per series of each side over RUNS timed renders after WARMUP, interleaved; values change (untimed)
 * before every render. Ours renders UTF-8 bytes (what the sink sends); prom-client a string, which `toBytes`
 * also encodes as any HTTP server must.
 */
async function compareRenders(ours: () => Buffer, peer: () => Promise<string>, toBytes: boolean): Promise<{ ours: number; peer: number; oursText: string; peerText: string }> {
  let oursBytes: Buffer = Buffer.alloc(0);
  let peerText = '';
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < WARMUP + RUNS; r++) {
    update();
    let t0 = process.hrtime.bigint();
    oursBytes = ours();
    const ta = Number(process.hrtime.bigint() - t0) / SERIES;
    update();
    t0 = process.hrtime.bigint();
    peerText = await peer();
    if (toBytes) Buffer.from(peerText, 'utf8');
    const tb = Number(process.hrtime.bigint() - t0) / SERIES;
    if (r >= WARMUP) {
      a.push(ta);
      b.push(tb);
    }
  }
  return { ours: median(a), peer: median(b), oursText: oursBytes.toString('utf8'), peerText };
}

const samples = (text: string): number => text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;

const text004 = new Text004Renderer();
const om = new OpenMetricsRenderer();
console.log(
  `render ${SERIES} series (${FAMILIES} families x ${CPUS * LAYERS.length} series, counters and gauges), median of ${RUNS} interleaved runs after ${WARMUP} warm-up (${machineLine()}, ${cpus()[0]?.model ?? 'cpu'})`,
);
let allMet = true;
// As the sink serves: into an output buffer reused from one scrape to the next.
let scratch = Buffer.alloc(0);
const into = (r: Text004Renderer | OpenMetricsRenderer): Buffer => {
  const need = r.maxBytes(registry);
  if (scratch.length < need) scratch = Buffer.allocUnsafeSlow(need + (need >> 3));
  return r.renderInto(registry, scratch);
};
for (const [label, ours, fresh, peer, extra] of [
  ['text 0.0.4', () => into(text004), () => text004.render(registry), () => promText.reg.metrics(), 0],
  // Ours writes a _created line per counter series too (prom-client writes none): 15,000 samples to its 10,000.
  ['OpenMetrics 1.0', () => into(om), () => om.render(registry), () => promOm.reg.metrics(), (FAMILIES / 2) * CPUS * LAYERS.length],
] as const) {
  const r = await compareRenders(ours, peer, false);
  // Both sides must have rendered every series, or the ratio means nothing.
  if (samples(r.oursText) !== SERIES + extra || samples(r.peerText) !== SERIES) {
    throw new Error(`${label}: rendered ${samples(r.oursText)} and ${samples(r.peerText)} samples, expected ${SERIES + extra} and ${SERIES}`);
  }
  allMet = verdict(`${label}: our bytes vs prom-client registry.metrics() string`, r.ours, r.peer, 5, { unit: 'ns/series' }) && allMet;
  const bytes = await compareRenders(ours, peer, true);
  allMet = verdict(`${label}: both up to UTF-8 bytes, as sent`, bytes.ours, bytes.peer, 5, { unit: 'ns/series' }) && allMet;
  const alloc = await compareRenders(fresh, peer, true);
  console.log(
    `  (render() allocating its output each time instead: ${alloc.ours.toFixed(0)} ns/series, ${(alloc.peer / alloc.ours).toFixed(2)}x; ` +
      `${(Buffer.byteLength(r.oursText) / 1024).toFixed(0)} KiB vs ${(Buffer.byteLength(r.peerText) / 1024).toFixed(0)} KiB)`,
  );
}
console.log(`render targets (>= 5x in both formats): ${allMet ? 'met' : 'NOT met'}`);
