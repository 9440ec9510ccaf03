/**
 * OpenMetrics 1.0 text (`application/openmetrics-text; version=1.0.0`).
 *
 * Per family, metadata names the family (`x`, not `x_total`) in the recommended order `# TYPE`, `# UNIT`
 * (when the declaration has a unit), `# HELP` (when it has help text; `"` is escaped here too). Counters give
 * `x_total` and `x_created` per series; gauges their value; histograms cumulative `_bucket{le}` lines with
 * canonical `le` (Go `%g`, `.0` added to integers: `1.0`, `1e-05`, `+Inf`), then `_count`, `_sum` and
 * `_created`. A histogram with a negative bound has no `_count`/`_sum` (the spec forbids a sum there).
 * The exposition ends with `# EOF`. Families without series are left out. Every line but the values is
 * built once per registry generation; `_created` lines are constant and kept whole.
 */
import type { CounterSeries, GaugeSeries, HistogramSeries, Registry } from '../../registry/index.js';
import { escapeQuoted } from './escape.js';
import type { ExpositionFormat } from './format.js';
import { formatGoFloat, formatValue } from './numbers.js';
import { SeriesLabels } from './series-labels.js';

export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** The canonical OpenMetrics text of a bucket bound: Go `%g`, with `.0` when it has neither `.` nor `e`. */
export function canonicalBound(v: number): string {
  const g = formatGoFloat(v);
  return /[.eIN]/.test(g) ? g : `${g}.0`;
}

interface CounterPlan {
  readonly kind: 'counter';
  readonly header: string;
  readonly series: readonly CounterSeries[];
  /** `x_total{labels} ` per series. */
  readonly prefix: readonly string[];
  /** `x_created{labels} <seconds>\n` per series, whole. */
  readonly created: readonly string[];
}

interface GaugePlan {
  readonly kind: 'gauge';
  readonly header: string;
  readonly series: readonly GaugeSeries[];
  readonly prefix: readonly string[];
}

interface HistogramPlan {
  readonly kind: 'histogram';
  readonly header: string;
  readonly series: readonly HistogramSeries[];
  readonly buckets: readonly (readonly string[])[];
  /** False when a bound is negative: no `_count` and `_sum` then. */
  readonly withSum: boolean;
  readonly count: readonly string[];
  readonly sum: readonly string[];
  readonly created: readonly string[];
}

type FamilyPlan = CounterPlan | GaugePlan | HistogramPlan;

const braces = (labels: string): string => (labels === '' ? '' : `{${labels}}`);

export class OpenMetricsRenderer implements ExpositionFormat {
  readonly contentType = OPENMETRICS_CONTENT_TYPE;
  private readonly labels: SeriesLabels;
  private plan: readonly FamilyPlan[] = [];
  private registry: Registry | undefined;
  private generation = -1;

  /** `labels` may be shared with the other format's renderer so each series is escaped once. */
  constructor(labels: SeriesLabels = new SeriesLabels()) {
    this.labels = labels;
  }

  render(registry: Registry): string {
    if (registry !== this.registry || registry.generation !== this.generation) {
      this.plan = this.build(registry);
      this.registry = registry;
      this.generation = registry.generation;
    }
    let out = '';
    for (const f of this.plan) {
      out += f.header;
      if (f.kind === 'counter') {
        const { series, prefix, created } = f;
        for (let i = 0; i < series.length; i++) {
          out += `${prefix[i] as string}${formatValue((series[i] as CounterSeries).value)}\n${created[i] as string}`;
        }
      } else if (f.kind === 'gauge') {
        const { series, prefix } = f;
        for (let i = 0; i < series.length; i++) out += `${prefix[i] as string}${formatValue((series[i] as GaugeSeries).value)}\n`;
      } else {
        for (let i = 0; i < f.series.length; i++) {
          const s = f.series[i] as HistogramSeries;
          const lines = f.buckets[i] as readonly string[];
          const counts = s.counts;
          let cumulative = 0;
          for (let b = 0; b < counts.length; b++) {
            cumulative += counts[b] as number;
            out += `${lines[b] as string}${formatValue(cumulative)}\n`;
          }
          if (f.withSum) out += `${f.count[i] as string}${formatValue(cumulative)}\n${f.sum[i] as string}${formatValue(s.sum)}\n`;
          out += f.created[i] as string;
        }
      }
    }
    return `${out}# EOF\n`;
  }

  private build(registry: Registry): FamilyPlan[] {
    const text = this.labels.get(registry);
    const plan: FamilyPlan[] = [];
    for (const fam of registry.families()) {
      if (fam.series.length === 0) continue;
      const d = fam.decl;
      const name = d.name;
      const header =
        `# TYPE ${name} ${d.kind}\n` +
        (d.unit === '' ? '' : `# UNIT ${name} ${d.unit}\n`) +
        (d.help === '' ? '' : `# HELP ${name} ${escapeQuoted(d.help)}\n`);
      const created = (s: { id: number; created: number }): string => `${name}_created${braces(text[s.id] ?? '')} ${formatValue(s.created)}\n`;
      if (d.kind === 'counter') {
        const series = [...(fam.series as CounterSeries[])];
        plan.push({ kind: 'counter', header, series, prefix: series.map((s) => `${name}_total${braces(text[s.id] ?? '')} `), created: series.map(created) });
      } else if (d.kind === 'gauge') {
        const series = [...(fam.series as GaugeSeries[])];
        plan.push({ kind: 'gauge', header, series, prefix: series.map((s) => `${name}${braces(text[s.id] ?? '')} `) });
      } else {
        const bounds = d.buckets;
        const les = [...bounds.map(canonicalBound), '+Inf'];
        const series = [...(fam.series as HistogramSeries[])];
        plan.push({
          kind: 'histogram',
          header,
          series,
          buckets: series.map((s) => {
            const l = text[s.id] ?? '';
            const head = l === '' ? `${name}_bucket{le="` : `${name}_bucket{${l},le="`;
            return les.map((le) => `${head}${le}"} `);
          }),
          withSum: !bounds.some((b) => b < 0),
          count: series.map((s) => `${name}_count${braces(text[s.id] ?? '')} `),
          sum: series.map((s) => `${name}_sum${braces(text[s.id] ?? '')} `),
          created: series.map(created),
        });
      }
    }
    return plan;
  }
}
