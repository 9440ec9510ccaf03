/**
 * The human report, in the shape scheduler operators know from scx_rusty's log_recorder: per counter the
 * interval count and rate, then each label value's share (`prev_idle 44963 (68.6%) [966.5/s]`), gauges'
 * values, histograms' count, mean and p50/p99. Colour only when asked (a TTY).
 */
import type { IntervalReport } from './interval.js';

export interface TextOptions {
  readonly colour: boolean;
  /** Label values shown per family, largest first; the rest are summed into one line. */
  readonly top: number;
}

const paint = (on: boolean, code: string, s: string): string => (on ? `\u001b[${code}m${s}\u001b[0m` : s);

/** Integers as integers; fractions with 4 significant digits (no exponent for everyday magnitudes). */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1000) return v.toFixed(1);
  if (a >= 0.001) return String(Number(v.toPrecision(4)));
  return v.toExponential(3);
}

const rate = (r: number): string => `[${formatNumber(r)}/s]`;

function labelText(labels: Readonly<Record<string, string>>): string {
  const entries = Object.entries(labels);
  // One label: its value alone, as scx_rusty printed dispatch paths; several: k=v pairs.
  return entries.length === 1 ? (entries[0]?.[1] ?? '') : entries.map(([k, v]) => `${k}=${v}`).join(',');
}

export function formatText(r: IntervalReport, opts: TextOptions): string {
  const c = opts.colour;
  const time = new Date(r.timeMs).toISOString().replace('T', ' ').slice(0, 19);
  const out: string[] = [paint(c, '1', `scx-metrics ${time}  interval ${r.intervalSeconds.toFixed(2)}s`)];
  if (r.counters.length > 0) out.push('Counters:');
  for (const ctr of r.counters) {
    out.push(`  ${paint(c, '36', ctr.name)}: ${formatNumber(ctr.delta)} ${paint(c, '2', rate(ctr.rate))}`);
    const shown = ctr.series.slice(0, opts.top);
    for (const s of shown) {
      out.push(`    ${labelText(s.labels)}: ${formatNumber(s.delta)} (${(s.share ?? 0).toFixed(1)}%) ${paint(c, '2', rate(s.rate))}`);
    }
    const rest = ctr.series.slice(opts.top);
    if (rest.length > 0) {
      const d = rest.reduce((a, s) => a + s.delta, 0);
      const share = ctr.delta > 0 ? (100 * d) / ctr.delta : 0;
      out.push(`    (${rest.length} more): ${formatNumber(d)} (${share.toFixed(1)}%) ${paint(c, '2', rate(d / (r.intervalSeconds || 1)))}`);
    }
  }
  if (r.gauges.length > 0) out.push('Gauges:');
  for (const g of r.gauges) {
    if (g.series.length === 1 && Object.keys(g.series[0]?.labels ?? {}).length === 0) {
      out.push(`  ${paint(c, '36', g.name)}: ${formatNumber(g.series[0]?.value ?? 0)}`);
      continue;
    }
    out.push(`  ${paint(c, '36', g.name)}:`);
    for (const s of g.series.slice(0, opts.top)) out.push(`    ${labelText(s.labels)}: ${formatNumber(s.value)}`);
    if (g.series.length > opts.top) out.push(`    (${g.series.length - opts.top} more)`);
  }
  if (r.histograms.length > 0) out.push('Histograms:');
  for (const h of r.histograms) {
    for (const s of h.series.slice(0, opts.top)) {
      const l = labelText(s.labels);
      out.push(
        `  ${paint(c, '36', h.name)}${l === '' ? '' : ` ${l}`}: count=${formatNumber(s.count)} mean=${formatNumber(s.mean)} p50=${formatNumber(s.p50)} p99=${formatNumber(s.p99)}`,
      );
    }
  }
  return `${out.join('\n')}\n`;
}
