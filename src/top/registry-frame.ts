/** A frame from the agent's registry: the feed of `top` run with source flags. */
import type { CounterSeries, GaugeSeries, HistogramSeries, Registry } from '../registry/index.js';
import type { Frame, FrameSeries, FrameStat } from './frame.js';

export function registryFrame(registry: Registry, atMs: number): Frame {
  const stats: FrameStat[] = [];
  for (const fam of registry.families()) {
    // A family without series is not exported yet (its source has not read it): /metrics leaves it out too.
    if (fam.series.length === 0) continue;
    const kind = fam.decl.kind;
    const names = fam.labelNames;
    const series: FrameSeries[] = fam.series.map((s) => {
      const labels = names.map((n, i) => [n, s.labelValues[i] as string] as const);
      if (kind === 'histogram') return { labels, value: (s as HistogramSeries).count, sum: (s as HistogramSeries).sum };
      return { labels, value: (s as CounterSeries | GaugeSeries).value };
    });
    stats.push({ name: fam.decl.name, kind, help: fam.decl.help, series });
  }
  return { atMs, stats };
}
