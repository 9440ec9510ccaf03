/**
 * Serving the web view's data for 200 series against rendering /metrics for the same 200 series, same run:
 * per update, the web view encodes one frame (rates, gauges, histogram buckets as JSON), updates the header
 * status, and turns the frame into the bytes written to a page; a scrape renders text 0.0.4 into the sink's
 * reused buffer. Target: the web view's cost at most /metrics' (ratio <= 1). Values change before every run
 * (untimed); median of interleaved runs after warm-up.
 */
import { counter, defineStats, gauge, histogram, log2Buckets } from '../src/declare/index.js';
import { Registry } from '../src/registry/index.js';
import { Text004Renderer } from '../src/sinks/prometheus/text-004.js';
import { FrameEncoder } from '../src/sinks/web/frames.js';
import { StatusTracker } from '../src/sinks/web/status.js';
import { machineLine, median, verdict } from './harness.js';

const set = defineStats({
  name: 'bench',
  help: 'web view bench',
  prefix: 'scx_bench',
  stats: {
    dispatched: counter({ help: 'Tasks dispatched, by CPU', labels: { cpu: String } }),
    kicks: counter({ help: 'Kicks, by CPU', labels: { cpu: String } }),
    load: gauge({ help: 'Load, by CPU', labels: { cpu: String } }),
    types: counter({ help: 'Dispatches by type', labels: { type: ['wsync', 'prev_idle', 'greedy_idle', 'pinned', 'direct', 'dsq', 'greedy'] } }),
    latency: histogram({ help: 'Run-queue latency', unit: 'seconds', buckets: log2Buckets(35, { scale: 1e-9 }) }),
  },
});
const registry = new Registry();
const f = registry.register(set);
const CPUS = 64;
const cpuSeries = Array.from({ length: CPUS }, (_, i) => ({ d: f.dispatched.with({ cpu: String(i) }), k: f.kicks.with({ cpu: String(i) }), l: f.load.with({ cpu: String(i) }) }));
const typeSeries = set.stats.types.labels.type.map((type) => f.types.with({ type }));
const hist = f.latency.with();
let series = 0;
for (const fam of registry.families()) series += fam.series.length;

let seed = 7;
const rnd = (): number => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
function update(): void {
  for (const s of cpuSeries) {
    s.d.inc(Math.floor(rnd() * 10000));
    s.k.inc(Math.floor(rnd() * 100));
    s.l.set(rnd() * 4);
  }
  for (const s of typeSeries) s.inc(Math.floor(rnd() * 5000));
  for (let i = 0; i < 20; i++) hist.observe(rnd() * 1e-3);
}

const encoder = new FrameEncoder();
const status = new StatusTracker();
const text004 = new Text004Renderer();
let scratch = Buffer.alloc(0);
let t = Date.now();
let webBytes = 0;
let metricsBytes = 0;
encoder.encode(registry, t, 1); // the baseline

const RUNS = 41;
const WARMUP = 10;
const web: number[] = [];
const prom: number[] = [];
for (let r = 0; r < WARMUP + RUNS; r++) {
  update();
  let t0 = process.hrtime.bigint();
  const out = encoder.encode(registry, (t += 1000), 1);
  status.update(registry, t);
  webBytes = Buffer.from(out.frame ?? '', 'utf8').length;
  const tw = Number(process.hrtime.bigint() - t0);
  update();
  t0 = process.hrtime.bigint();
  const need = text004.maxBytes(registry);
  if (scratch.length < need) scratch = Buffer.allocUnsafeSlow(need + (need >> 3));
  metricsBytes = text004.renderInto(registry, scratch).length;
  const tm = Number(process.hrtime.bigint() - t0);
  if (r >= WARMUP) {
    web.push(tw / series);
    prom.push(tm / series);
  }
}
console.log(`web view data vs /metrics for ${series} series, median of ${RUNS} interleaved updates after ${WARMUP} warm-up (${machineLine()})`);
const met = verdict('web view frame (encode + status + bytes) vs /metrics text 0.0.4 render', median(web), median(prom), 1, { unit: 'ns/series', atMost: true });
console.log(`  (bytes per update: web frame ${webBytes}, /metrics ${metricsBytes})`);
console.log(`web view target (serving its data costs no more than /metrics): ${met ? 'met' : 'NOT met'}`);
