/**
 * The panels one declaration gets: a counter its per-second rate split by label and, when it has a closed
 * label, a stacked share; a gauge its values; a histogram its quantiles (and mean) and a heatmap. Panels
 * here have no id or position yet: the dashboard lays them out.
 */
import type { StatDecl } from '../../declare/types.js';
import { closedLabels, gaugeExpr, heatmapExpr, keptLabels, legend, meanExpr, quantileExpr, rateExpr, sampleName, shareExpr } from './promql.js';
import { rateUnit, valueUnit } from './units.js';

/** A query before it is given a refId and the data source. */
export interface QuerySpec {
  readonly expr: string;
  readonly legendFormat: string;
  readonly format: 'time_series' | 'heatmap';
}

/** A panel before it is placed. */
export interface PanelSpec {
  readonly type: 'timeseries' | 'heatmap';
  readonly title: string;
  readonly description: string;
  /** Columns of the 24-column grid. */
  readonly width: number;
  readonly queries: readonly QuerySpec[];
  readonly defaults: Readonly<Record<string, unknown>>;
  readonly options: Readonly<Record<string, unknown>>;
}

/** Quantiles drawn for each histogram. */
export const QUANTILES: readonly number[] = [0.5, 0.9, 0.99];

const NARROW = 8;
const WIDE = 12;

const timeseriesOptions = {
  legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
  tooltip: { mode: 'multi', sort: 'desc' },
};

/** Field defaults of a line chart: rates and shares start at 0 and shares stack; gauges may be negative. */
function lines(unit: string, opts: { floor?: boolean; stacked?: boolean } = {}): Readonly<Record<string, unknown>> {
  const custom = { drawStyle: 'line', lineWidth: 1, fillOpacity: opts.stacked === true ? 70 : 10, showPoints: 'never', spanNulls: false, stacking: { mode: opts.stacked === true ? 'normal' : 'none', group: 'A' } };
  const range = opts.stacked === true ? { min: 0, max: 1 } : opts.floor === false ? {} : { min: 0 };
  return { unit, ...range, custom };
}

function q(expr: string, legendFormat: string, format: QuerySpec['format'] = 'time_series'): QuerySpec {
  return { expr, legendFormat, format };
}

function counterPanels(d: StatDecl): PanelSpec[] {
  const name = sampleName(d);
  const kept = keptLabels(d);
  const perCpu = kept.length < Object.keys(d.labels).length ? ' (summed over CPUs)' : '';
  const out: PanelSpec[] = [
    {
      type: 'timeseries',
      title: `${name} per second${kept.length > 0 ? ` by ${kept.join(', ')}` : ''}`,
      description: `${d.help}. rate() of the counter${perCpu}.`,
      width: kept.length > 0 ? WIDE : NARROW,
      queries: [q(rateExpr(d), legend(kept))],
      defaults: lines(rateUnit(d.unit)),
      options: timeseriesOptions,
    },
  ];
  const closed = closedLabels(d);
  if (closed.length > 0) {
    out.push({
      type: 'timeseries',
      title: `${name} share by ${closed.join(', ')}`,
      description: `${d.help}. Each ${closed.join(', ')} value's share of the rate, stacked to 100%; empty while the counter does not move.`,
      width: WIDE,
      queries: [q(shareExpr(d), legend(kept))],
      defaults: lines('percentunit', { stacked: true }),
      options: timeseriesOptions,
    });
  }
  return out;
}

function gaugePanels(d: StatDecl): PanelSpec[] {
  const labels = Object.keys(d.labels);
  return [
    {
      type: 'timeseries',
      title: d.name,
      description: `${d.help}.`,
      width: labels.length > 0 ? WIDE : NARROW,
      queries: [q(gaugeExpr(d), legend(labels))],
      // Gauges can be negative (imbalances, deltas): no floor.
      defaults: lines(valueUnit(d.unit), { floor: false }),
      options: timeseriesOptions,
    },
  ];
}

function histogramPanels(d: StatDecl): PanelSpec[] {
  const kept = keptLabels(d);
  const unit = valueUnit(d.unit);
  return [
    {
      type: 'timeseries',
      title: `${d.name} quantiles`,
      description: `${d.help}. histogram_quantile() over the rate of the buckets (interpolated inside a bucket), and the mean.`,
      width: WIDE,
      queries: [...QUANTILES.map((x) => q(quantileExpr(d, x), legend(kept, `p${Math.round(x * 100)}`))), q(meanExpr(d), legend(kept, 'mean'))],
      defaults: lines(unit),
      options: timeseriesOptions,
    },
    {
      type: 'heatmap',
      title: `${d.name} distribution`,
      description: `${d.help}. Observations per second in each bucket, over the selected instances.`,
      width: WIDE,
      queries: [q(heatmapExpr(d), '{{le}}', 'heatmap')],
      defaults: { unit: 'short' },
      options: {
        calculate: false,
        cellGap: 1,
        color: { mode: 'scheme', scheme: 'Oranges', scale: 'exponential', exponent: 0.5, fill: 'dark-orange', steps: 64, reverse: false },
        yAxis: { axisPlacement: 'left', unit },
        rowsFrame: { layout: 'auto' },
        tooltip: { mode: 'single', yHistogram: false, showColorScale: false },
        legend: { show: true },
        exemplars: { color: 'rgba(255,0,255,0.7)' },
      },
    },
  ];
}

/** The panels of one declaration. */
export function panelsFor(d: StatDecl): PanelSpec[] {
  if (d.kind === 'counter') return counterPanels(d);
  if (d.kind === 'gauge') return gaugePanels(d);
  return histogramPanels(d);
}
