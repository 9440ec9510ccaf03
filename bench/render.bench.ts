/**
 * Rendering 10,000 series (100 families x 100 series, half counters, half gauges, two labels each) as text
 * 0.0.4 and as OpenMetrics 1.0: scx-metrics' renderers against prom-client's `registry.metrics()` over the
 * same series and values. Target: ours at least 5x faster in both formats. Values change between renders
 * (untimed) so neither side renders the same numbers twice. Median of several timed renders after warm-up.
 */
import client from 'prom-client';
import { counter, defineStats, gauge, type StatDecl } from '../src/declare/index.js';
import { Registry, type CounterSeries, type GaugeSeries } from '../src/registry/index.js';
import { OpenMetricsRenderer } from '../src/sinks/prometheus/openmetrics.js';
import { Text004Renderer } from '../src/sinks/prometheus/text-004.js';

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

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

/** Median ms per render over RUNS timed renders, after WARMUP untimed ones; values updated before each. */
async function measure(render: () => string | Promise<string>): Promise<{ ms: number; bytes: number; samples: number }> {
  let text = '';
  for (let i = 0; i < WARMUP; i++) {
    update();
    text = await render();
  }
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    update();
    (globalThis as { gc?: () => void }).gc?.();
    const t0 = process.hrtime.bigint();
    text = await render();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const samples = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
  return { ms: median(times), bytes: Buffer.byteLength(text), samples };
}

const text004 = new Text004Renderer();
const om = new OpenMetricsRenderer();
console.log(`render ${SERIES} series (${FAMILIES} families x ${CPUS * LAYERS.length} series, counters and gauges); median of ${RUNS} after ${WARMUP} warm-up, node ${process.version}`);
let allMet = true;
for (const [label, oursRender, theirs] of [
  ['text 0.0.4', () => text004.render(registry), () => promText.reg.metrics()],
  ['OpenMetrics 1.0', () => om.render(registry), () => promOm.reg.metrics()],
] as const) {
  const a = await measure(oursRender);
  const b = await measure(theirs);
  const ratio = b.ms / a.ms;
  const met = ratio >= 5;
  allMet &&= met;
  const ns = (ms: number): string => ((ms * 1e6) / SERIES).toFixed(0);
  console.log(
    `${label}: scx-metrics ${ns(a.ms)} ns/series (${a.ms.toFixed(2)} ms, ${a.samples} samples, ${(a.bytes / 1024).toFixed(0)} KiB); ` +
      `prom-client ${ns(b.ms)} ns/series (${b.ms.toFixed(2)} ms, ${b.samples} samples, ${(b.bytes / 1024).toFixed(0)} KiB); ` +
      `ratio ${ratio.toFixed(1)}x; target >=5x: ${met ? 'met' : 'NOT met'}`,
  );
}
console.log(`render targets: ${allMet ? 'met' : 'NOT met'}`);
