/**
 * The report as one JSON object per line (`--report json`): the same numbers as the text report, for
 * scripts. NaN quantiles (no samples in the interval) become null, since JSON has no NaN.
 */
import type { IntervalReport } from './interval.js';

export function formatJson(r: IntervalReport): string {
  return `${JSON.stringify({ time: new Date(r.timeMs).toISOString(), interval_seconds: r.intervalSeconds, counters: r.counters, gauges: r.gauges, histograms: r.histograms }, (_k, v: unknown) =>
    typeof v === 'number' && !Number.isFinite(v) ? null : v,
  )}\n`;
}
