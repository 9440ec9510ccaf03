/**
 * The Prometheus text exposition format 0.0.4 (`text/plain; version=0.0.4`).
 *
 * Per family: `# HELP` (when the declaration has help text) and `# TYPE`, both naming the sample name
 * (`x_total` for counters), then the samples. Histograms give cumulative `_bucket{le}` lines in increasing
 * `le` order ending with `+Inf`, then `_sum` and `_count`. No timestamps, no `_created`, no `# EOF`.
 * Families without series are left out. Every line but the samples' values is built and UTF-8 encoded once
 * per registry generation and reused until a family or series is added or removed; a render copies those
 * bytes and writes only the numbers.
 */
import { counterSampleName } from '../../declare/naming.js';
import type { CounterSeries, GaugeSeries, HistogramSeries, Registry } from '../../registry/index.js';
import { MAX_NUMBER_BYTES, putBytes, putNumber, utf8 } from './bytes.js';
import { escapeBackslashNewline } from './escape.js';
import type { ExpositionFormat } from './format.js';
import { formatGoFloat } from '../go-float.js';
import { SeriesLabels } from './series-labels.js';

export const TEXT_004_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

interface ScalarPlan {
  readonly histogram: false;
  readonly header: Buffer;
  readonly series: readonly (CounterSeries | GaugeSeries)[];
  /** `name{labels} ` per series. */
  readonly prefix: readonly Buffer[];
}

interface HistogramPlan {
  readonly histogram: true;
  readonly header: Buffer;
  readonly series: readonly HistogramSeries[];
  /** Per series: `name_bucket{labels,le="b"} ` per bound, `+Inf` last. */
  readonly buckets: readonly (readonly Buffer[])[];
  readonly sum: readonly Buffer[];
  readonly count: readonly Buffer[];
}

type FamilyPlan = ScalarPlan | HistogramPlan;

/** `{labels}` or '' when there are none. */
const braces = (labels: string): string => (labels === '' ? '' : `{${labels}}`);
const NL = 0x0a;

export class Text004Renderer implements ExpositionFormat {
  readonly contentType = TEXT_004_CONTENT_TYPE;
  private readonly labels: SeriesLabels;
  private plan: readonly FamilyPlan[] = [];
  private registry: Registry | undefined;
  private generation = -1;
  /** Bytes of constant text (newlines included) and values per render: a bound for the output buffer. */
  private constantBytes = 0;
  private values = 0;

  /** `labels` may be shared with the other format's renderer so each series is escaped once. */
  constructor(labels: SeriesLabels = new SeriesLabels()) {
    this.labels = labels;
  }

  render(registry: Registry): Buffer {
    return this.renderInto(registry, Buffer.allocUnsafe(this.maxBytes(registry)));
  }

  maxBytes(registry: Registry): number {
    if (registry !== this.registry || registry.generation !== this.generation) {
      this.plan = this.build(registry);
      this.registry = registry;
      this.generation = registry.generation;
    }
    return this.constantBytes + this.values * MAX_NUMBER_BYTES;
  }

  renderInto(registry: Registry, buf: Buffer): Buffer {
    const need = this.maxBytes(registry);
    if (buf.length < need) throw new RangeError(`renderInto: the buffer has ${buf.length} bytes, the exposition may need ${need}`);
    let off = 0;
    for (const f of this.plan) {
      off = putBytes(buf, off, f.header);
      if (!f.histogram) {
        const { series, prefix } = f;
        for (let i = 0; i < series.length; i++) {
          off = putBytes(buf, off, prefix[i] as Buffer);
          off = putNumber(buf, off, (series[i] as CounterSeries).value);
          buf[off++] = NL;
        }
        continue;
      }
      for (let i = 0; i < f.series.length; i++) {
        const s = f.series[i] as HistogramSeries;
        const lines = f.buckets[i] as readonly Buffer[];
        const counts = s.counts;
        let cumulative = 0;
        for (let b = 0; b < counts.length; b++) {
          cumulative += counts[b] as number;
          off = putBytes(buf, off, lines[b] as Buffer);
          off = putNumber(buf, off, cumulative);
          buf[off++] = NL;
        }
        off = putBytes(buf, off, f.sum[i] as Buffer);
        off = putNumber(buf, off, s.sum);
        buf[off++] = NL;
        // The +Inf bucket and _count come from the same sum, so they agree even if a producer's own count drifts.
        off = putBytes(buf, off, f.count[i] as Buffer);
        off = putNumber(buf, off, cumulative);
        buf[off++] = NL;
      }
    }
    return buf.subarray(0, off);
  }

  private build(registry: Registry): FamilyPlan[] {
    const text = this.labels.get(registry);
    const plan: FamilyPlan[] = [];
    let constant = 0;
    let values = 0;
    const sized = (b: Buffer): Buffer => {
      constant += b.length;
      return b;
    };
    /** A line start: counted with the newline that ends its line, and one value. */
    const line = (s: string): Buffer => {
      values++;
      constant++;
      return sized(utf8(s));
    };
    for (const fam of registry.families()) {
      if (fam.series.length === 0) continue;
      const d = fam.decl;
      const name = d.kind === 'counter' ? counterSampleName(d.name) : d.name;
      const help = d.help === '' ? '' : `# HELP ${name} ${escapeBackslashNewline(d.help)}\n`;
      const header = sized(utf8(`${help}# TYPE ${name} ${d.kind}\n`));
      if (d.kind !== 'histogram') {
        const series = [...(fam.series as (CounterSeries | GaugeSeries)[])];
        plan.push({ histogram: false, header, series, prefix: series.map((s) => line(`${name}${braces(text[s.id] ?? '')} `)) });
        continue;
      }
      const les = [...d.buckets.map(formatGoFloat), '+Inf'];
      const series = [...(fam.series as HistogramSeries[])];
      plan.push({
        histogram: true,
        header,
        series,
        buckets: series.map((s) => {
          const l = text[s.id] ?? '';
          const head = l === '' ? `${name}_bucket{le="` : `${name}_bucket{${l},le="`;
          return les.map((le) => line(`${head}${le}"} `));
        }),
        sum: series.map((s) => line(`${name}_sum${braces(text[s.id] ?? '')} `)),
        count: series.map((s) => line(`${name}_count${braces(text[s.id] ?? '')} `)),
      });
    }
    this.constantBytes = constant;
    this.values = values;
    return plan;
  }
}
