/**
 * Prometheus remote_write 1.0 `WriteRequest` protobuf (prometheus/prompb types.proto, remote.proto), written
 * from the registry. Each registry series becomes the time series a scrape would show: counters
 * `<name>_total`, gauges `<name>`, histograms `<name>_bucket{le}` (cumulative) plus `_sum` and `_count`.
 * Every series carries its full label set, `__name__` included, sorted by name; one sample per series,
 * stamped with the snapshot time in milliseconds.
 *
 * A series' label block never changes, so it is encoded once and copied each flush. When a series leaves
 * the registry its time series get one last sample, the staleness marker (NaN 0x7ff0000000000002), so a
 * querier stops showing it at once rather than after the lookback window.
 *
 * Requests hold at most `maxSamples` samples; a flush yields as many as it takes.
 */
import { counterSampleName } from '../../declare/naming.js';
import { PerSeries, type CounterSeries, type Family, type GaugeSeries, type HistogramSeries, type Registry, type Series } from '../../registry/index.js';
import { ProtoWriter, WIRE_LEN, encodeOnce } from '../protobuf/writer.js';
import type { PushItem } from '../push/http-sender.js';
import { formatGoFloat } from '../../support/go-float.js';

/** Prometheus' staleness marker, as its little-endian bytes (a NaN payload JS arithmetic would not keep). */
export const STALE_NAN_BYTES = Uint8Array.of(0x02, 0, 0, 0, 0, 0, 0xf0, 0x7f);

const K_TIMESERIES = 0x0a; // WriteRequest.timeseries = 1, LEN
const K_SAMPLE = 0x12; // TimeSeries.samples = 2, LEN
const K_VALUE = 0x09; // Sample.value = 1, I64 (double)
const K_TIMESTAMP = 0x10; // Sample.timestamp = 2, VARINT (int64 ms)

/**
 * How a family's time series are labelled: label names sorted (by bytes; these names are ASCII, so string
 * order is byte order) and where each value comes from: a series label index, or the metric name, or `le`.
 * The same for every series of a family, so it is worked out once.
 */
interface Layout {
  readonly names: readonly string[];
  readonly from: readonly number[];
}
const FROM_NAME = -1;
const FROM_LE = -2;

function layoutOf(labelNames: readonly string[], withLe: boolean): Layout {
  const all: [string, number][] = [['__name__', FROM_NAME], ...labelNames.map((n, i): [string, number] => [n, i])];
  if (withLe) all.push(['le', FROM_LE]);
  all.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { names: all.map((x) => x[0]), from: all.map((x) => x[1]) };
}

/** The labels of one time series, encoded as repeated `TimeSeries.labels` fields. */
function labelBlock(layout: Layout, name: string, values: readonly string[], le = ''): Uint8Array {
  return encodeOnce((w) => {
    for (let i = 0; i < layout.names.length; i++) {
      const from = layout.from[i] as number;
      w.key(1, WIRE_LEN);
      const l = w.begin();
      w.stringField(1, layout.names[i] as string);
      w.stringField(2, from === FROM_NAME ? name : from === FROM_LE ? le : (values[from] as string));
      w.end(l);
    }
  });
}

interface FamilyShape {
  readonly plain: Layout;
  readonly bucket: Layout;
  /** `le` of each bucket, +Inf last. */
  readonly les: readonly string[];
}

export class RemoteWriteEncoder {
  private readonly maxSamples: number;
  private readonly w = new ProtoWriter(256 * 1024);
  /** Each live series' label blocks (one per time series it yields). */
  private readonly blocks = new PerSeries<Uint8Array[]>();
  private readonly shapes = new WeakMap<Family, FamilyShape>();
  private out: PushItem[] = [];
  private samples = 0;
  /** Encoded timestamp varint of the current flush. */
  private ts: Uint8Array = new Uint8Array(0);

  constructor(maxSamples: number) {
    if (!(maxSamples >= 1)) throw new RangeError(`max samples per request must be >= 1, got ${maxSamples}`);
    this.maxSamples = maxSamples;
  }

  /** Encodes one sample per time series of every series, plus stale markers for series that left. */
  encode(registry: Registry, timeMs: number): PushItem[] {
    this.out = [];
    this.samples = 0;
    this.w.reset();
    this.ts = encodeOnce((w) => w.varint(Math.round(timeMs)));
    // Series that left (their id may already belong to a new series) get staleness markers after the live ones.
    const left: Uint8Array[][] = [];
    this.blocks.sync(registry, (b) => left.push(b));
    for (const fam of registry.families()) {
      const kind = fam.decl.kind;
      for (const s of fam.series as readonly Series[]) {
        const blocks = this.blocksOf(fam, s);
        if (kind === 'histogram') {
          const h = s as HistogramSeries;
          let cumulative = 0;
          const n = h.counts.length;
          for (let i = 0; i < n; i++) {
            cumulative += h.counts[i] as number;
            this.sample(blocks[i] as Uint8Array, cumulative);
          }
          this.sample(blocks[n] as Uint8Array, h.sum);
          this.sample(blocks[n + 1] as Uint8Array, h.count);
        } else {
          this.sample(blocks[0] as Uint8Array, (s as CounterSeries | GaugeSeries).value);
        }
      }
    }
    for (const blocks of left) for (const b of blocks) this.sample(b, undefined);
    this.cut();
    return this.out;
  }

  /** One TimeSeries with one sample; `undefined` writes the staleness marker. */
  private sample(labels: Uint8Array, value: number | undefined): void {
    const w = this.w;
    const ts = this.ts;
    const sampleLen = 10 + ts.length;
    const seriesLen = labels.length + 2 + sampleLen;
    w.varint(K_TIMESERIES);
    w.varint(seriesLen);
    w.raw(labels);
    w.varint(K_SAMPLE);
    w.varint(sampleLen);
    if (value === undefined) {
      w.varint(K_VALUE);
      w.raw(STALE_NAN_BYTES);
    } else w.doubleField(K_VALUE, value);
    w.varint(K_TIMESTAMP);
    w.raw(ts);
    if (++this.samples >= this.maxSamples) this.cut();
  }

  /** Ends the current request, if it holds anything. */
  private cut(): void {
    if (this.samples === 0) return;
    this.out.push({ body: this.w.finish(), points: this.samples });
    this.w.reset();
    this.samples = 0;
  }

  private blocksOf(fam: Family, s: Series): Uint8Array[] {
    let b = this.blocks.get(s);
    if (b !== undefined) return b;
    const d = fam.decl;
    let shape = this.shapes.get(fam);
    if (shape === undefined) {
      const les = d.kind === 'histogram' ? [...d.buckets, Infinity].map(formatGoFloat) : [];
      shape = { plain: layoutOf(fam.labelNames, false), bucket: layoutOf(fam.labelNames, true), les };
      this.shapes.set(fam, shape);
    }
    const v = s.labelValues;
    if (d.kind === 'counter') b = [labelBlock(shape.plain, counterSampleName(d.name), v)];
    else if (d.kind === 'gauge') b = [labelBlock(shape.plain, d.name, v)];
    else {
      b = [];
      const bucketName = `${d.name}_bucket`;
      for (const le of shape.les) b.push(labelBlock(shape.bucket, bucketName, v, le));
      b.push(labelBlock(shape.plain, `${d.name}_sum`, v));
      b.push(labelBlock(shape.plain, `${d.name}_count`, v));
    }
    return this.blocks.set(s, b);
  }
}
