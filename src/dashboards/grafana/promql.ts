/**
 * The PromQL each panel runs, derived from a declaration: exposed sample names, which labels a query keeps,
 * sums away or splits a share by. Every selector is filtered by the `$instance` variable and every rate uses
 * `$__rate_interval`, so a panel follows the dashboard's variables and Grafana's scrape-aware window.
 */
import { counterSampleName } from '../../declare/naming.js';
import type { StatDecl } from '../../declare/types.js';

/** The matcher every selector carries. */
export const INSTANCE_MATCHER = 'instance=~"$instance"';

/**
 * Labels summed away in rates, shares and quantiles: one series per CPU would bury the picture (gauges keep
 * them, as a per-CPU gauge has no meaningful sum).
 */
const SUMMED_AWAY: ReadonlySet<string> = new Set(['cpu']);

/** The labels a rate or quantile keeps: the declaration's, minus per-CPU ones. */
export function keptLabels(d: StatDecl): string[] {
  return Object.keys(d.labels).filter((l) => !SUMMED_AWAY.has(l));
}

/** Labels with a closed set of values (dispatch paths, CPU modes): the parts a share splits a whole into. */
export function closedLabels(d: StatDecl): string[] {
  return keptLabels(d).filter((l) => d.labels[l] !== String);
}

/** The series name Prometheus stores for a counter or gauge (`x_total` for counters). */
export function sampleName(d: StatDecl): string {
  return d.kind === 'counter' ? counterSampleName(d.name) : d.name;
}

function selector(name: string): string {
  return `${name}{${INSTANCE_MATCHER}}`;
}

function by(labels: readonly string[]): string {
  return `by (${['instance', ...labels].join(', ')})`;
}

function rate(name: string): string {
  return `rate(${selector(name)}[$__rate_interval])`;
}

/** Grafana's legend for a series with these labels besides `instance`. */
export function legend(labels: readonly string[], lead = ''): string {
  return [lead, ...['instance', ...labels].map((l) => `{{${l}}}`)].filter((s) => s !== '').join(' ');
}

/** Per-second rate of a counter, split by its kept labels. */
export function rateExpr(d: StatDecl): string {
  return `sum ${by(keptLabels(d))} (${rate(sampleName(d))})`;
}

/**
 * Each closed label value's share of the counter's rate within its instance (and open labels), 0 to 1.
 * Absent, not NaN, while the counter does not move (the denominator is filtered by `> 0`).
 */
export function shareExpr(d: StatDecl): string {
  const closed = closedLabels(d);
  const outer = keptLabels(d).filter((l) => !closed.includes(l));
  const r = rate(sampleName(d));
  return `sum ${by([...outer, ...closed])} (${r}) / on (${['instance', ...outer].join(', ')}) group_left () (sum ${by(outer)} (${r}) > 0)`;
}

/** A gauge as it is, every series. */
export function gaugeExpr(d: StatDecl): string {
  return selector(d.name);
}

/** The q-quantile of a histogram over the rate window, per instance and kept label. */
export function quantileExpr(d: StatDecl, q: number): string {
  return `histogram_quantile(${q}, sum ${by([...keptLabels(d), 'le'])} (${rate(`${d.name}_bucket`)}))`;
}

/** A histogram's mean over the rate window. */
export function meanExpr(d: StatDecl): string {
  const b = by(keptLabels(d));
  return `sum ${b} (${rate(`${d.name}_sum`)}) / (sum ${b} (${rate(`${d.name}_count`)}) > 0)`;
}

/** Observations per second in each bucket, summed over the selected instances: a heatmap's cells. */
export function heatmapExpr(d: StatDecl): string {
  return `sum by (le) (${rate(`${d.name}_bucket`)})`;
}
