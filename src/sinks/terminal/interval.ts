/**
 * The report model: what changed over one interval, computed from the registry and the values seen at the
 * previous flush. Text and JSON reports both render this, so they always agree.
 */
import type { CounterSeries, GaugeSeries, HistogramSeries, Registry, Series } from '../../registry/index.js';
import { counterSampleName } from '../../declare/naming.js';
import { CounterDeltas, HistogramDeltas } from '../push/deltas.js';

export interface SeriesReport {
  /** `k=v` pairs in label order; empty for an unlabelled series. */
  readonly labels: Readonly<Record<string, string>>;
  readonly delta: number;
  readonly rate: number;
  /** This series' part of the family's interval count, in percent (labelled counters only). */
  readonly share: number | undefined;
}

export interface CounterReport {
  readonly name: string;
  readonly delta: number;
  readonly rate: number;
  readonly total: number;
  readonly series: readonly SeriesReport[];
}

export interface GaugeReport {
  readonly name: string;
  readonly unit: string;
  readonly series: readonly { labels: Readonly<Record<string, string>>; value: number }[];
}

export interface HistogramReport {
  readonly name: string;
  readonly series: readonly {
    labels: Readonly<Record<string, string>>;
    count: number;
    mean: number;
    p50: number;
    p99: number;
  }[];
}

export interface IntervalReport {
  readonly timeMs: number;
  readonly intervalSeconds: number;
  readonly counters: readonly CounterReport[];
  readonly gauges: readonly GaugeReport[];
  readonly histograms: readonly HistogramReport[];
}

/**
 * Turns the registry into interval reports, with the same first-flush rule as every delta sink (the
 * per-series state is push/deltas.ts's): series that exist at the baseline are measured from it; series
 * that appear later count from zero.
 */
export class IntervalTracker {
  private readonly counters = new CounterDeltas();
  private readonly histograms = new HistogramDeltas();

  /** Records the current values without reporting. */
  baseline(registry: Registry): void {
    this.report(registry, 0, 0);
  }

  report(registry: Registry, timeMs: number, intervalSeconds: number): IntervalReport {
    const counters: CounterReport[] = [];
    const gauges: GaugeReport[] = [];
    const histograms: HistogramReport[] = [];
    const perSecond = intervalSeconds > 0 ? 1 / intervalSeconds : 0;
    for (const fam of registry.families()) {
      const names = fam.labelNames;
      const labelsOf = (s: Series): Record<string, string> => Object.fromEntries(names.map((n, i) => [n, s.labelValues[i] as string]));
      if (fam.decl.kind === 'counter') {
        const rows: { s: Series; delta: number }[] = [];
        let delta = 0;
        let total = 0;
        for (const s of fam.series) {
          const v = (s as CounterSeries).value;
          const d = this.counters.delta(s as CounterSeries);
          rows.push({ s, delta: d });
          delta += d;
          total += v;
        }
        if (rows.length === 0) continue;
        const series = names.length === 0 ? [] : rows
          .map(({ s, delta: d }) => ({ labels: labelsOf(s), delta: d, rate: d * perSecond, share: delta > 0 ? (100 * d) / delta : 0 }))
          .sort((a, b) => b.delta - a.delta);
        counters.push({ name: counterSampleName(fam.decl.name), delta, rate: delta * perSecond, total, series });
      } else if (fam.decl.kind === 'gauge') {
        if (fam.series.length === 0) continue;
        gauges.push({
          name: fam.decl.name,
          unit: fam.decl.unit,
          series: fam.series.map((s) => ({ labels: labelsOf(s), value: (s as GaugeSeries).value })),
        });
      } else {
        const rows: HistogramReport['series'][number][] = [];
        for (const s of fam.series) {
          const h = s as HistogramSeries;
          const d = this.histograms.delta(h);
          rows.push({
            labels: labelsOf(s),
            count: d.count,
            mean: d.count > 0 ? d.sum / d.count : 0,
            p50: quantile(0.5, h.bounds, d.counts),
            p99: quantile(0.99, h.bounds, d.counts),
          });
        }
        if (rows.length > 0) histograms.push({ name: fam.decl.name, series: rows });
      }
    }
    this.counters.endFlush();
    this.histograms.endFlush();
    return { timeMs, intervalSeconds, counters, gauges, histograms };
  }
}

/**
 * The q-quantile of one interval's bucket counts, interpolated linearly inside the bucket as PromQL's
 * histogram_quantile does; a rank in the +Inf bucket gives the highest finite bound. NaN when empty.
 */
export function quantile(q: number, bounds: readonly number[], counts: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i] as number;
  if (total === 0) return NaN;
  const rank = q * total;
  let cum = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i] as number;
    if (cum + c >= rank && c > 0) {
      if (i >= bounds.length) return bounds[bounds.length - 1] as number;
      const lower = i === 0 ? Math.min(0, bounds[0] as number) : (bounds[i - 1] as number);
      const upper = bounds[i] as number;
      return lower + ((upper - lower) * (rank - cum)) / c;
    }
    cum += c;
  }
  return bounds[bounds.length - 1] as number;
}
