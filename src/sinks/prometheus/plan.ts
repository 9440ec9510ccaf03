/**
 * The render machinery both Prometheus text formats share: a plan of pre-encoded line starts built once per
 * registry generation, its size bound, and the loop that copies those bytes and writes only the numbers
 * (counter and gauge families through ScalarLines: one joined segment and one number per series).
 * A format subclasses PlannedRenderer and spells its own lines (metadata, sample names, trailers, a
 * closing line); this module writes what the plan holds and knows no format's spelling.
 */
import type { CounterSeries, GaugeSeries, HistogramSeries, Registry } from '../../registry/index.js';
import { MAX_NUMBER_BYTES, putBytes, putNumber, utf8 } from './bytes.js';
import type { ExpositionFormat } from './format.js';
import type { SeriesLabels } from './series-labels.js';
import { ScalarLines } from './scalar-lines.js';
import { ValueTextCache } from './value-cache.js';

/** A family whose series have one value each (counters, gauges). */
export interface ScalarPlan {
  readonly histogram: false;
  /** The family's metadata lines. */
  readonly header: Buffer;
  readonly series: readonly (CounterSeries | GaugeSeries)[];
  /** Per series, the line start before its value (`name{labels} ` in both formats). */
  readonly prefix: readonly Buffer[];
  /** Per series, whole constant lines written after its value line, if the format has any. */
  readonly trailer: readonly Buffer[] | undefined;
}

/** A histogram family: cumulative bucket lines, then sum and count lines in the format's order. */
export interface HistogramPlan {
  readonly histogram: true;
  readonly header: Buffer;
  readonly series: readonly HistogramSeries[];
  /** Per series, one line start per bucket in increasing bound order, the `+Inf` bucket last. */
  readonly buckets: readonly (readonly Buffer[])[];
  /** Per series, the line starts of the sum and count samples; undefined when the format leaves them out. */
  readonly sum: readonly Buffer[] | undefined;
  readonly count: readonly Buffer[] | undefined;
  /** Whether the sum line comes before the count line. */
  readonly sumFirst: boolean;
  /**
   * OpenMetrics: a sum is a counter and may not be negative, so a series whose observations summed below 0
   * (or to NaN) is written without its sum and count, as a histogram with negative bounds always is.
   */
  readonly sumNonNegative?: boolean;
  readonly trailer: readonly Buffer[] | undefined;
}

export type FamilyPlan = ScalarPlan | HistogramPlan;

/** `{labels}` or '' when there are none. */
const braces = (labels: string): string => (labels === '' ? '' : `{${labels}}`);

/** The start of a sample line, before its value: `name{labels} `. */
export const sampleStart = (name: string, labels: string): string => `${name}${braces(labels)} `;

/** The start of a bucket line: `name{labels,le="bound"} `, the `le` label last. */
export const bucketStart = (name: string, labels: string, le: string): string =>
  labels === '' ? `${name}{le="${le}"} ` : `${name}{${labels},le="${le}"} `;

/** Encodes a plan's text once and keeps the size bound: constant bytes, and values written per render. */
export class PlanSizer {
  /** Bytes of constant text, newlines included. */
  constant = 0;
  /** Numbers written per render, each at most MAX_NUMBER_BYTES. */
  values = 0;

  /** Constant text written as is (metadata, whole lines), counted. */
  fixed(s: string): Buffer {
    const b = utf8(s);
    this.constant += b.length;
    return b;
  }

  /** A line start: counted with the newline that ends its line, and one value. */
  line(s: string): Buffer {
    this.values++;
    this.constant++;
    return this.fixed(s);
  }
}

const NL = 0x0a;

/**
 * An ExpositionFormat that renders from a cached plan. Subclasses build the plan (`plan`) and may pass a
 * closing line (`footer`) written after all families.
 */
export abstract class PlannedRenderer implements ExpositionFormat {
  abstract readonly contentType: string;
  protected readonly labels: SeriesLabels;
  private readonly footer: Buffer;
  private families: readonly FamilyPlan[] = [];
  /** Per family, rebuilt with the plan: a scalar family's joined lines, a histogram's sums' last text. */
  private writers: readonly (ScalarLines | ValueTextCache)[] = [];
  private registry: Registry | undefined;
  private generation = -1;
  private bound = 0;

  /** `labels` may be shared with the other format's renderer so each series is escaped once. */
  protected constructor(labels: SeriesLabels, footer: Buffer = Buffer.alloc(0)) {
    this.labels = labels;
    this.footer = footer;
  }

  /**
   * The families of the registry as the format writes them, in order, with their text encoded through
   * `size` so the output bound is known. `text` is the escaped label text by series id.
   */
  protected abstract plan(registry: Registry, text: readonly (string | undefined)[], size: PlanSizer): FamilyPlan[];

  render(registry: Registry): Buffer {
    return this.renderInto(registry, Buffer.allocUnsafe(this.maxBytes(registry)));
  }

  maxBytes(registry: Registry): number {
    if (registry !== this.registry || registry.generation !== this.generation) {
      const size = new PlanSizer();
      size.constant = this.footer.length;
      this.families = this.plan(registry, this.labels.get(registry), size);
      this.writers = this.families.map((f) => (f.histogram ? new ValueTextCache(f.series.length) : new ScalarLines(f.header, f.series, f.prefix, f.trailer)));
      this.bound = size.constant + size.values * MAX_NUMBER_BYTES;
      this.registry = registry;
      this.generation = registry.generation;
    }
    return this.bound;
  }

  renderInto(registry: Registry, buf: Buffer): Buffer {
    const need = this.maxBytes(registry);
    if (buf.length < need) throw new RangeError(`renderInto: the buffer has ${buf.length} bytes, the exposition may need ${need}`);
    let off = 0;
    const families = this.families;
    for (let i = 0; i < families.length; i++) {
      const f = families[i] as FamilyPlan;
      const w = this.writers[i] as ScalarLines | ValueTextCache;
      off = f.histogram ? putHistograms(buf, putBytes(buf, off, f.header), f, w as ValueTextCache) : (w as ScalarLines).put(buf, off);
    }
    off = putBytes(buf, off, this.footer);
    return buf.subarray(0, off);
  }
}

function putHistograms(buf: Buffer, off: number, f: HistogramPlan, cache: ValueTextCache): number {
  const { series, buckets, sumFirst, trailer } = f;
  for (let i = 0; i < series.length; i++) {
    const s = series[i] as HistogramSeries;
    const lines = buckets[i] as readonly Buffer[];
    const counts = s.counts;
    let cumulative = 0;
    for (let b = 0; b < counts.length; b++) {
      cumulative += counts[b] as number;
      off = putBytes(buf, off, lines[b] as Buffer);
      off = putNumber(buf, off, cumulative);
      buf[off++] = NL;
    }
    const withSum = f.sumNonNegative !== true || s.sum >= 0;
    const sum = withSum ? f.sum : undefined;
    const count = withSum ? f.count : undefined;
    // The +Inf bucket and _count come from the same sum, so they agree even if a producer's own count drifts.
    if (sumFirst && sum !== undefined) off = putSum(buf, off, sum[i] as Buffer, cache, i, s.sum);
    if (count !== undefined) off = putLine(buf, off, count[i] as Buffer, cumulative);
    if (!sumFirst && sum !== undefined) off = putSum(buf, off, sum[i] as Buffer, cache, i, s.sum);
    if (trailer !== undefined) off = putBytes(buf, off, trailer[i] as Buffer);
  }
  return off;
}

function putLine(buf: Buffer, off: number, start: Buffer, value: number): number {
  off = putBytes(buf, off, start);
  off = putNumber(buf, off, value);
  buf[off++] = NL;
  return off;
}

/** A sum line: bucket counts are integers and cheap to write, the sum is the fractional value worth caching. */
function putSum(buf: Buffer, off: number, start: Buffer, cache: ValueTextCache, slot: number, value: number): number {
  off = putBytes(buf, off, start);
  off = cache.put(buf, off, slot, value);
  buf[off++] = NL;
  return off;
}
