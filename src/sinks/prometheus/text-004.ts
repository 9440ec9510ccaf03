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
import { escapeBackslashNewline } from './escape.js';
import { formatGoFloat } from '../../support/go-float.js';
import { bucketStart, type FamilyPlan, PlannedRenderer, type PlanSizer, sampleStart } from './plan.js';
import { SeriesLabels } from './series-labels.js';

export const TEXT_004_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export class Text004Renderer extends PlannedRenderer {
  readonly contentType = TEXT_004_CONTENT_TYPE;

  /** `labels` may be shared with the other format's renderer so each series is escaped once. */
  constructor(labels: SeriesLabels = new SeriesLabels()) {
    super(labels);
  }

  protected plan(registry: Registry, text: readonly (string | undefined)[], size: PlanSizer): FamilyPlan[] {
    const plan: FamilyPlan[] = [];
    for (const fam of registry.families()) {
      if (fam.series.length === 0) continue;
      const d = fam.decl;
      const name = d.kind === 'counter' ? counterSampleName(d.name) : d.name;
      const help = d.help === '' ? '' : `# HELP ${name} ${escapeBackslashNewline(d.help)}\n`;
      const header = size.fixed(`${help}# TYPE ${name} ${d.kind}\n`);
      if (d.kind !== 'histogram') {
        const series = [...(fam.series as (CounterSeries | GaugeSeries)[])];
        plan.push({ histogram: false, header, series, prefix: series.map((s) => size.line(sampleStart(name, text[s.id] ?? ''))), trailer: undefined });
        continue;
      }
      const les = [...d.buckets.map(formatGoFloat), '+Inf'];
      const series = [...(fam.series as HistogramSeries[])];
      plan.push({
        histogram: true,
        header,
        series,
        buckets: series.map((s) => les.map((le) => size.line(bucketStart(`${name}_bucket`, text[s.id] ?? '', le)))),
        sum: series.map((s) => size.line(sampleStart(`${name}_sum`, text[s.id] ?? ''))),
        count: series.map((s) => size.line(sampleStart(`${name}_count`, text[s.id] ?? ''))),
        sumFirst: true,
        trailer: undefined,
      });
    }
    return plan;
  }
}
