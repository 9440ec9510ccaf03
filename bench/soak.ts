/**
 * `npm run soak`: the agent loop run for many intervals with no sleeping, to show memory is flat after
 * warm-up. Real parts throughout: `Agent.tick()` (collect every source under its timeout, record health,
 * flush every sink), the host source reading the real /proc/stat (every 20th interval), a scx_stats export (MetaExport, the
 * code the scx_stats source runs, its families handed to the agent's series lifetime as the source hands them)
 * fed responses whose per-layer dict keys churn and which itself fails for stretches, a source that fails for
 * stretches and recovers, and every encoder with per-series state (text 0.0.4 and OpenMetrics renders as a
 * scrape every 10 intervals, StatsD, spectatord, OTLP protobuf, remote_write, JSON lines). Only the clock
 * is compressed: intervals run back to back.
 *
 *   npm run soak -- [--intervals N] [--layers N] [--churn N] [--series-grace N] [--cardinality-limit N]
 *                   [--sample-every N] [--max-series N]
 *
 * --churn is how many of the --layers live dict keys are replaced by new names each interval (0: none).
 * The series of names that left are removed by the agent's sweep after --series-grace successful
 * collections (the agent's default unless given). Heap (after a forced GC) and RSS are sampled every
 * --sample-every intervals; the first 10% (at most 20,000 intervals) is warm-up. Should series still pile up,
 * the run stops once the registry's series slots pass --max-series and says so (NOT FLAT). The verdict
 * "flat" needs the heap after warm-up to grow less than 1 MB per 100,000 intervals (linear fit).
 */
import { parseArgs } from 'node:util';
import { Agent } from '../src/agent.js';
import { createLogger } from '../src/support/log.js';
import { DEFAULT_SERIES_GRACE, Registry, type Family } from '../src/registry/index.js';
import { CounterDeltas, HistogramDeltas } from '../src/sinks/push/deltas.js';
import { JsonlEncoder } from '../src/sinks/jsonl/format.js';
import { OtlpProtobufEncoder } from '../src/sinks/otlp/encode-protobuf.js';
import { PointValues } from '../src/sinks/otlp/points.js';
import { OpenMetricsRenderer } from '../src/sinks/prometheus/openmetrics.js';
import { SeriesLabels } from '../src/sinks/prometheus/series-labels.js';
import { Text004Renderer } from '../src/sinks/prometheus/text-004.js';
import { RemoteWriteEncoder } from '../src/sinks/remote-write/encode.js';
import type { Sink, Snapshot } from '../src/plugin/sink.js';
import { SpectatordEncoder } from '../src/sinks/spectatord/format.js';
import { StatsdEncoder } from '../src/sinks/statsd/format.js';
import { ProcFileSource } from '../src/sources/host/source.js';
import { procStatStats } from '../src/sources/host/stats.js';
import type { Source, SourceContext } from '../src/plugin/source.js';
import { MetaExport } from '../src/sources/scx-stats/export.js';
import { planMeta } from '../src/sources/scx-stats/meta.js';
import { checkMeta } from '../src/sources/scx-stats/protocol.js';

const { values: flags } = parseArgs({
  options: {
    intervals: { type: 'string', default: '200000' },
    layers: { type: 'string', default: '32' },
    churn: { type: 'string', default: '2' },
    'series-grace': { type: 'string' },
    'cardinality-limit': { type: 'string' },
    'sample-every': { type: 'string', default: '2000' },
    'max-series': { type: 'string', default: '20000' },
  },
});
const INTERVALS = Number(flags.intervals);
const LAYERS = Number(flags.layers);
const CHURN = Number(flags.churn);
const SAMPLE_EVERY = Number(flags['sample-every']);
const MAX_SERIES = Number(flags['max-series']);
const GRACE = flags['series-grace'] === undefined ? undefined : Number(flags['series-grace']);
const CARDINALITY_LIMIT = flags['cardinality-limit'] === undefined ? undefined : Number(flags['cardinality-limit']);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc (npm run soak does)');

/** A layered-like scx_stats meta: top numbers, a string, and a dict of per-layer structs labelled `layer`. */
const meta = checkMeta({
  Metrics: {
    name: 'Metrics',
    top: 'true',
    fields: {
      busy: { datum: 'float', desc: 'CPU busy %' },
      nr_tasks: { datum: 'u64', desc: 'Tasks' },
      mode: { datum: 'string', desc: 'Scheduling mode' },
      layers: { dict: { key: 'string', datum: { struct: 'LayerStats' } }, desc: 'Per-layer stats' },
    },
  },
  LayerStats: {
    name: 'LayerStats',
    user: { _om_prefix: 'l_', _om_label: 'layer_name' },
    fields: { util: { datum: 'float', desc: 'Utilization' }, tasks: { datum: 'u64', desc: 'Tasks' }, kind: { datum: 'string', desc: 'Layer kind' } },
  },
});

/**
 * The scx_stats export driven by a response whose layer names churn: CHURN new names per interval. Like the
 * scx_stats source (source.ts), it hands its families to the agent's series lifetime, so names that left are
 * swept after the grace period; and it fails 20 intervals in every 1000 (the socket gone), which ages nothing.
 */
class ChurningScxStats implements Source {
  readonly name = 'scx_stats';
  private readonly exp = new MetaExport(planMeta(meta), {});
  private next = LAYERS;
  private live: number[] = Array.from({ length: LAYERS }, (_, i) => i);
  private n = 0;
  stats() {
    return this.exp.sets;
  }
  attach(ctx: SourceContext): void {
    const owned = new Map<string, Family>();
    this.exp.bind(ctx.registry, owned);
    for (const fam of owned.values()) ctx.lifetime?.track(fam);
  }
  collect(): void {
    this.n++;
    if (this.n % 1000 >= 980) throw new Error(`scx_stats socket gone (interval ${this.n})`);
    for (let i = 0; i < CHURN; i++) {
      this.live.shift();
      this.live.push(this.next++);
    }
    const layers: Record<string, unknown> = {};
    for (const id of this.live) layers[`layer${id}`] = { util: (id * 7 + this.n) % 100, tasks: (id + this.n) % 50, kind: id % 3 === 0 ? 'confined' : 'open' };
    // The info string flips every 1000 intervals: an info series comes and goes.
    this.exp.apply({ busy: this.n % 100, nr_tasks: this.n, mode: this.n % 2000 < 1000 ? 'normal' : 'saturated', layers });
  }
  get layerNames(): number {
    return this.next;
  }
}

/**
 * The host source, read every `every` intervals: a /proc read is four thread-pool round trips (open, fstat,
 * read, close), three quarters of the wall time when done every interval, and its memory does not depend on
 * how often it runs.
 */
class Every implements Source {
  readonly name: string;
  private n = 0;
  constructor(
    private readonly inner: Source,
    private readonly every: number,
  ) {
    this.name = inner.name;
  }
  stats() {
    return this.inner.stats();
  }
  attach(ctx: SourceContext): void | Promise<void> {
    return this.inner.attach(ctx);
  }
  collect(): void | Promise<void> {
    return this.n++ % this.every === 0 ? this.inner.collect() : undefined;
  }
}

/** A source that fails for 50 intervals out of every 500 (a scheduler restarting), then reads again. */
class Flaky implements Source {
  readonly name = 'flaky';
  private n = 0;
  stats() {
    return [];
  }
  attach(): void {}
  async collect(): Promise<void> {
    this.n++;
    if (this.n % 500 < 50) throw new Error(`read failed (interval ${this.n})`);
    await Promise.resolve();
  }
}

/** Every encoder with per-series state, run as its sink would run it; scrapes every 10 intervals. */
class Encoders implements Sink {
  readonly name = 'encoders';
  private readonly labels = new SeriesLabels();
  private readonly text = new Text004Renderer(this.labels);
  private readonly om = new OpenMetricsRenderer(this.labels);
  private readonly statsd = new StatsdEncoder('dogstatsd');
  private readonly statsdDeltas = [new CounterDeltas(), new HistogramDeltas()] as const;
  private readonly spectatord = new SpectatordEncoder({ histograms: 'distribution' });
  private readonly spectatordDeltas = new HistogramDeltas();
  private readonly otlp = new OtlpProtobufEncoder({ resource: [['service.name', 'soak']], scopeName: 'scx-metrics', scopeVersion: 'soak', temporality: 'delta' }, new PointValues('delta'));
  private readonly rw = new RemoteWriteEncoder(2000);
  private readonly jsonl = new JsonlEncoder();
  private readonly jsonlDeltas = new CounterDeltas();
  private n = 0;
  bytes = 0;
  flush(s: Snapshot): void {
    this.n++;
    if (this.n % 10 === 0) this.bytes += this.text.render(s.registry).length + this.om.render(s.registry).length;
    this.statsd.encode(s.registry, this.statsdDeltas[0], this.statsdDeltas[1], (unit) => (this.bytes += unit.length));
    this.spectatord.encode(s.registry, this.spectatordDeltas, { line: (l) => (this.bytes += l.length), problem: () => undefined, capped: () => undefined });
    this.bytes += this.otlp.encode(s.registry, s.timeMs).points;
    for (const item of this.rw.encode(s.registry, s.timeMs)) this.bytes += item.body.length;
    this.bytes += this.jsonl.encode(s, this.jsonlDeltas).text.length;
  }
}

function mb(bytes: number): string {
  return (bytes / 1048576).toFixed(1);
}

/** Least-squares slope of y over x. */
function slope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

async function main(): Promise<void> {
  const registry = new Registry();
  let logLines = 0;
  const log = createLogger(() => void logLines++);
  const scx = new ChurningScxStats();
  const encoders = new Encoders();
  const agent = new Agent({ sources: [new Every(new ProcFileSource(procStatStats, 'stat'), 20), scx, new Flaky()], sinks: [encoders], intervalSeconds: 1, registry, log, seriesGrace: GRACE, cardinalityLimit: CARDINALITY_LIMIT });
  await agent.start();
  const warmup = Math.min(Math.floor(INTERVALS / 10), 20_000);
  const samples: [number, number, number, number][] = []; // interval, heap, rss, series
  const seriesCount = (): number => registry.families().reduce((a, f) => a + f.series.length, 0);
  const t0 = performance.now();
  console.log(`soak: ${INTERVALS} intervals, ${LAYERS} live layers, ${CHURN} replaced per interval, series grace ${GRACE ?? DEFAULT_SERIES_GRACE}, sampling every ${SAMPLE_EVERY}`);
  let stoppedAt: number | undefined;
  for (let i = 1; i <= INTERVALS; i++) {
    await agent.tick();
    // The peak number of live series (ids are reused): cheap enough to check often.
    if (i % 100 === 0 && registry.seriesCapacity > MAX_SERIES) {
      stoppedAt = i;
      gc?.();
      const m = process.memoryUsage();
      samples.push([i, m.heapUsed, m.rss, seriesCount()]);
      break;
    }
    if (i % SAMPLE_EVERY === 0) {
      gc?.();
      const m = process.memoryUsage();
      samples.push([i, m.heapUsed, m.rss, seriesCount()]);
      if (i % (SAMPLE_EVERY * 10) === 0) console.log(`  ${String(i).padStart(7)}  heap ${mb(m.heapUsed)} MB  rss ${mb(m.rss)} MB  series ${seriesCount()}  seriesCapacity ${registry.seriesCapacity}`);
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  await agent.stop();
  // A run stopped before the end of warm-up is fitted over all its samples.
  const past = samples.filter(([i]) => i >= warmup);
  const after = past.length >= 2 ? past : samples;
  const first = after[0] ?? samples[0];
  const last = samples[samples.length - 1];
  if (first === undefined || last === undefined) throw new Error('no samples: --intervals below --sample-every');
  const heapSlope = slope(after.map(([i, h]) => [i, h])) * 100_000;
  const rssSlope = slope(after.map(([i, , r]) => [i, r])) * 100_000;
  const flat = heapSlope < 1048576 && stoppedAt === undefined;
  if (stoppedAt !== undefined) console.log(`soak: STOPPED at interval ${stoppedAt} of ${INTERVALS}: ${seriesCount()} series > --max-series ${MAX_SERIES}`);
  const ran = stoppedAt ?? INTERVALS;
  console.log(`soak: ${ran} intervals in ${seconds.toFixed(1)} s (${((seconds * 1e6) / ran).toFixed(0)} µs per interval); ${scx.layerNames} layer names seen, ${logLines} log lines`);
  console.log(`soak: warm-up (interval ${first[0]}): heap ${mb(first[1])} MB, rss ${mb(first[2])} MB, ${first[3]} series`);
  console.log(`soak: end (interval ${last[0]}): heap ${mb(last[1])} MB, rss ${mb(last[2])} MB, ${last[3]} series`);
  console.log(`soak: slope after warm-up: heap ${(heapSlope / 1024).toFixed(1)} KB, rss ${(rssSlope / 1024).toFixed(1)} KB per 100,000 intervals`);
  console.log(
    `soak: memory ${flat ? 'FLAT' : 'NOT FLAT'} after warm-up (heap ${heapSlope < 1048576 ? 'grows less' : 'grows more'} than 1 MB per 100,000 intervals)` +
      (last[3] > first[3] + LAYERS ? `; series grew ${first[3]} -> ${last[3]}: series of dict keys that left were not all removed` : ''),
  );
  process.exitCode = flat ? 0 : 1;
}

await main();
