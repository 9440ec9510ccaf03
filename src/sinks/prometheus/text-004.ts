/**
 * The Prometheus text exposition format 0.0.4 (`text/plain; version=0.0.4`).
 *
 * Per family: `# HELP` (when the declaration has help text) and `# TYPE`, both naming the sample name
 * (`x_total` for counters), then the samples. Histograms give cumulative `_bucket{le}` lines in increasing
 * `le` order ending with `+Inf`, then `_sum` and `_count`. No timestamps, no `_created`, no `# EOF`.
 * Families without series are left out. Every line but the samples' values is built once per registry
 * generation and reused until a family or series is added or removed.
 */
import { counterSampleName } from '../../declare/naming.js';
import type { CounterSeries, GaugeSeries, HistogramSeries, Registry } from '../../registry/index.js';
import { escapeBackslashNewline } from './escape.js';
import type { ExpositionFormat } from './format.js';
import { formatGoFloat, formatValue } from './numbers.js';
import { SeriesLabels } from './series-labels.js';

export const TEXT_004_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

interface ScalarPlan {
  readonly histogram: false;
  readonly header: string;
  readonly series: readonly (CounterSeries | GaugeSeries)[];
  /** `name{labels} ` per series. */
  readonly prefix: readonly string[];
}

interface HistogramPlan {
  readonly histogram: true;
  readonly header: string;
  readonly series: readonly HistogramSeries[];
  /** Per series: `name_bucket{labels,le="b"} ` per bound, `+Inf` last. */
  readonly buckets: readonly (readonly string[])[];
  readonly sum: readonly string[];
  readonly count: readonly string[];
}

type FamilyPlan = ScalarPlan | HistogramPlan;

/** `{labels}` or '' when there are none. */
const braces = (labels: string): string => (labels === '' ? '' : `{${labels}}`);

export class Text004Renderer implements ExpositionFormat {
  readonly contentType = TEXT_004_CONTENT_TYPE;
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
      if (!f.histogram) {
        const { series, prefix } = f;
        for (let i = 0; i < series.length; i++) out += `${prefix[i] as string}${formatValue((series[i] as CounterSeries).value)}\n`;
        continue;
      }
      for (let i = 0; i < f.series.length; i++) {
        const s = f.series[i] as HistogramSeries;
        const lines = f.buckets[i] as readonly string[];
        const counts = s.counts;
        let cumulative = 0;
        for (let b = 0; b < counts.length; b++) {
          cumulative += counts[b] as number;
          out += `${lines[b] as string}${formatValue(cumulative)}\n`;
        }
        // The +Inf bucket and _count come from the same sum, so they agree even if a producer's own count drifts.
        out += `${f.sum[i] as string}${formatValue(s.sum)}\n${f.count[i] as string}${formatValue(cumulative)}\n`;
      }
    }
    return out;
  }

  private build(registry: Registry): FamilyPlan[] {
    const text = this.labels.get(registry);
    const plan: FamilyPlan[] = [];
    for (const fam of registry.families()) {
      if (fam.series.length === 0) continue;
      const d = fam.decl;
      const name = d.kind === 'counter' ? counterSampleName(d.name) : d.name;
      const help = d.help === '' ? '' : `# HELP ${name} ${escapeBackslashNewline(d.help)}\n`;
      const header = `${help}# TYPE ${name} ${d.kind}\n`;
      if (d.kind !== 'histogram') {
        const series = fam.series as (CounterSeries | GaugeSeries)[];
        plan.push({ histogram: false, header, series: [...series], prefix: series.map((s) => `${name}${braces(text[s.id] ?? '')} `) });
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
          return les.map((le) => `${head}${le}"} `);
        }),
        sum: series.map((s) => `${name}_sum${braces(text[s.id] ?? '')} `),
        count: series.map((s) => `${name}_count${braces(text[s.id] ?? '')} `),
      });
    }
    return plan;
  }
}
