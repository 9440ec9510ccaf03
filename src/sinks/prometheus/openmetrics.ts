/**
 * OpenMetrics 1.0 text (`application/openmetrics-text; version=1.0.0`).
 *
 * Per family, metadata names the family (`x`, not `x_total`) in the recommended order `# TYPE`, `# UNIT`
 * (when the declaration has a unit), `# HELP` (when it has help text; `"` is escaped here too). Counters give
 * `x_total` and `x_created` per series; gauges their value; histograms cumulative `_bucket{le}` lines with
 * canonical `le` (Go `%g`, `.0` added to integers: `1.0`, `1e-05`, `+Inf`), then `_count`, `_sum` and
 * `_created`. A histogram with a negative bound has no `_count`/`_sum` (the spec forbids a sum there).
 * The exposition ends with `# EOF`. Families without series are left out. Every line but the values is
 * built and UTF-8 encoded once per registry generation (`_created` lines, being constant, whole); a render
 * copies those bytes and writes only the numbers.
 */
import type { CounterSeries, GaugeSeries, HistogramSeries, Registry } from '../../registry/index.js';
import { MAX_NUMBER_BYTES, putBytes, putNumber, utf8 } from './bytes.js';
import { escapeQuoted } from './escape.js';
import type { ExpositionFormat } from './format.js';
import { formatGoFloat } from '../go-float.js';
import { formatValue } from './numbers.js';
import { SeriesLabels } from './series-labels.js';

export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** The canonical OpenMetrics text of a bucket bound: Go `%g`, with `.0` when it has neither `.` nor `e`. */
export function canonicalBound(v: number): string {
  const g = formatGoFloat(v);
  return /[.eIN]/.test(g) ? g : `${g}.0`;
}

interface CounterPlan {
  readonly kind: 'counter';
  readonly header: Buffer;
  readonly series: readonly CounterSeries[];
  /** `x_total{labels} ` per series. */
  readonly prefix: readonly Buffer[];
  /** `x_created{labels} <seconds>\n` per series, whole. */
  readonly created: readonly Buffer[];
}

interface GaugePlan {
  readonly kind: 'gauge';
  readonly header: Buffer;
  readonly series: readonly GaugeSeries[];
  readonly prefix: readonly Buffer[];
}

interface HistogramPlan {
  readonly kind: 'histogram';
  readonly header: Buffer;
  readonly series: readonly HistogramSeries[];
  readonly buckets: readonly (readonly Buffer[])[];
  /** False when a bound is negative: no `_count` and `_sum` then. */
  readonly withSum: boolean;
  readonly count: readonly Buffer[];
  readonly sum: readonly Buffer[];
  readonly created: readonly Buffer[];
}

type FamilyPlan = CounterPlan | GaugePlan | HistogramPlan;

const braces = (labels: string): string => (labels === '' ? '' : `{${labels}}`);
const EOF = utf8('# EOF\n');
const NL = 0x0a;

export class OpenMetricsRenderer implements ExpositionFormat {
  readonly contentType = OPENMETRICS_CONTENT_TYPE;
  private readonly labels: SeriesLabels;
  private plan: readonly FamilyPlan[] = [];
  private registry: Registry | undefined;
  private generation = -1;
  /** Bytes of constant text (newlines and `# EOF` included) and values per render: a bound for the output. */
  private constantBytes = EOF.length;
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
      if (f.kind === 'counter') {
        const { series, prefix, created } = f;
        for (let i = 0; i < series.length; i++) {
          off = putBytes(buf, off, prefix[i] as Buffer);
          off = putNumber(buf, off, (series[i] as CounterSeries).value);
          buf[off++] = NL;
          off = putBytes(buf, off, created[i] as Buffer);
        }
      } else if (f.kind === 'gauge') {
        const { series, prefix } = f;
        for (let i = 0; i < series.length; i++) {
          off = putBytes(buf, off, prefix[i] as Buffer);
          off = putNumber(buf, off, (series[i] as GaugeSeries).value);
          buf[off++] = NL;
        }
      } else {
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
          if (f.withSum) {
            off = putBytes(buf, off, f.count[i] as Buffer);
            off = putNumber(buf, off, cumulative);
            buf[off++] = NL;
            off = putBytes(buf, off, f.sum[i] as Buffer);
            off = putNumber(buf, off, s.sum);
            buf[off++] = NL;
          }
          off = putBytes(buf, off, f.created[i] as Buffer);
        }
      }
    }
    off = putBytes(buf, off, EOF);
    return buf.subarray(0, off);
  }

  private build(registry: Registry): FamilyPlan[] {
    const text = this.labels.get(registry);
    const plan: FamilyPlan[] = [];
    let constant = EOF.length;
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
      const name = d.name;
      const header = sized(
        utf8(
          `# TYPE ${name} ${d.kind}\n` +
            (d.unit === '' ? '' : `# UNIT ${name} ${d.unit}\n`) +
            (d.help === '' ? '' : `# HELP ${name} ${escapeQuoted(d.help)}\n`),
        ),
      );
      const created = (s: { id: number; created: number }): Buffer => sized(utf8(`${name}_created${braces(text[s.id] ?? '')} ${formatValue(s.created)}\n`));
      if (d.kind === 'counter') {
        const series = [...(fam.series as CounterSeries[])];
        plan.push({ kind: 'counter', header, series, prefix: series.map((s) => line(`${name}_total${braces(text[s.id] ?? '')} `)), created: series.map(created) });
      } else if (d.kind === 'gauge') {
        const series = [...(fam.series as GaugeSeries[])];
        plan.push({ kind: 'gauge', header, series, prefix: series.map((s) => line(`${name}${braces(text[s.id] ?? '')} `)) });
      } else {
        const bounds = d.buckets;
        const les = [...bounds.map(canonicalBound), '+Inf'];
        const series = [...(fam.series as HistogramSeries[])];
        const withSum = !bounds.some((b) => b < 0);
        plan.push({
          kind: 'histogram',
          header,
          series,
          buckets: series.map((s) => {
            const l = text[s.id] ?? '';
            const head = l === '' ? `${name}_bucket{le="` : `${name}_bucket{${l},le="`;
            return les.map((le) => line(`${head}${le}"} `));
          }),
          withSum,
          // Unused lines are not counted: no _count/_sum is written when withSum is false.
          count: series.map((s) => (withSum ? line : utf8)(`${name}_count${braces(text[s.id] ?? '')} `)),
          sum: series.map((s) => (withSum ? line : utf8)(`${name}_sum${braces(text[s.id] ?? '')} `)),
          created: series.map(created),
        });
      }
    }
    this.constantBytes = constant;
    this.values = values;
    return plan;
  }
}
