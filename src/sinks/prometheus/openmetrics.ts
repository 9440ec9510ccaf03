/**
 * OpenMetrics 1.0 text (`application/openmetrics-text; version=1.0.0`).
 *
 * Per family, metadata names the family (`x`, not `x_total`) in the recommended order `# TYPE`, `# UNIT`
 * (when the declaration has a unit), `# HELP` (when it has help text; `"` is escaped here too). Counters give
 * `x_total` and `x_created` per series; gauges their value; histograms cumulative `_bucket{le}` lines with
 * canonical `le` (Go `%g`, `.0` added to integers: `1.0`, `1e-05`, `+Inf`), then `_count`, `_sum` and
 * `_created`. A histogram with a negative bound has no `_count`/`_sum` (the spec forbids a sum there), nor
 * has a series whose sum is negative (observations below 0): a sum is a counter.
 * The exposition ends with `# EOF`. Families without series are left out. Every line but the values is
 * built and UTF-8 encoded once per registry generation (`_created` lines, being constant, whole); a render
 * copies those bytes and writes only the numbers.
 */
import type { CounterSeries, GaugeSeries, HistogramSeries, Registry } from '../../registry/index.js';
import { utf8 } from './bytes.js';
import { escapeQuoted } from './escape.js';
import { formatGoFloat } from '../../support/go-float.js';
import { formatValue } from './numbers.js';
import { bucketStart, type FamilyPlan, PlannedRenderer, type PlanSizer, sampleStart } from './plan.js';
import { SeriesLabels } from './series-labels.js';

export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** The canonical OpenMetrics text of a bucket bound: Go `%g`, with `.0` when it has neither `.` nor `e`. */
export function canonicalBound(v: number): string {
  const g = formatGoFloat(v);
  return /[.eIN]/.test(g) ? g : `${g}.0`;
}

export class OpenMetricsRenderer extends PlannedRenderer {
  readonly contentType = OPENMETRICS_CONTENT_TYPE;

  /** `labels` may be shared with the other format's renderer so each series is escaped once. */
  constructor(labels: SeriesLabels = new SeriesLabels()) {
    super(labels, utf8('# EOF\n'));
  }

  protected plan(registry: Registry, text: readonly (string | undefined)[], size: PlanSizer): FamilyPlan[] {
    const plan: FamilyPlan[] = [];
    for (const fam of registry.families()) {
      if (fam.series.length === 0) continue;
      const d = fam.decl;
      const name = d.name;
      const header = size.fixed(
        `# TYPE ${name} ${d.kind}\n` +
          (d.unit === '' ? '' : `# UNIT ${name} ${d.unit}\n`) +
          (d.help === '' ? '' : `# HELP ${name} ${escapeQuoted(d.help)}\n`),
      );
      /** `x_created{labels} <seconds>\n`, constant, so written whole. */
      const created = (s: { id: number; created: number }): Buffer => size.fixed(`${sampleStart(`${name}_created`, text[s.id] ?? '')}${formatValue(s.created)}\n`);
      if (d.kind === 'counter') {
        const series = [...(fam.series as CounterSeries[])];
        plan.push({ histogram: false, header, series, prefix: series.map((s) => size.line(sampleStart(`${name}_total`, text[s.id] ?? ''))), trailer: series.map(created) });
      } else if (d.kind === 'gauge') {
        const series = [...(fam.series as GaugeSeries[])];
        plan.push({ histogram: false, header, series, prefix: series.map((s) => size.line(sampleStart(name, text[s.id] ?? ''))), trailer: undefined });
      } else {
        const bounds = d.buckets;
        const les = [...bounds.map(canonicalBound), '+Inf'];
        const series = [...(fam.series as HistogramSeries[])];
        // The spec forbids a sum when a bound is negative; without _sum there is no _count either.
        const withSum = !bounds.some((b) => b < 0);
        plan.push({
          histogram: true,
          header,
          series,
          buckets: series.map((s) => les.map((le) => size.line(bucketStart(`${name}_bucket`, text[s.id] ?? '', le)))),
          count: withSum ? series.map((s) => size.line(sampleStart(`${name}_count`, text[s.id] ?? ''))) : undefined,
          sum: withSum ? series.map((s) => size.line(sampleStart(`${name}_sum`, text[s.id] ?? ''))) : undefined,
          sumFirst: false,
          sumNonNegative: true,
          trailer: series.map(created),
        });
      }
    }
    return plan;
  }
}
