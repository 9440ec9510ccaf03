/**
 * A scalar family's render (counters, gauges: one value per series) as constant segments between values.
 * Segment k is everything constant between value k-1 and value k: the newline, the previous series' trailer
 * (OpenMetrics' whole `_created` line) and series k's line start; the first also carries the family's
 * metadata, the last is the newline and trailer after the last value. Joined once per plan, a series costs
 * one copy and its number instead of three copies (a copy's fixed cost outweighs its bytes at this size).
 */
import type { CounterSeries, GaugeSeries } from '../../registry/index.js';
import { ValueTextCache } from './value-cache.js';

const NL = Buffer.from([0x0a]);

export class ScalarLines {
  private readonly series: readonly (CounterSeries | GaugeSeries)[];
  /** n + 1 segments: the one before each value, then the one after the last. */
  private readonly segments: readonly Buffer[];
  /** Each series' last value text, reused while the value does not move. */
  private readonly values: ValueTextCache;

  /** `prefix[i]` is series i's line start; `trailer[i]`, if any, constant lines after its value line. */
  constructor(header: Buffer, series: readonly (CounterSeries | GaugeSeries)[], prefix: readonly Buffer[], trailer: readonly Buffer[] | undefined) {
    const n = series.length;
    const segments: Buffer[] = [];
    for (let k = 0; k <= n; k++) {
      const parts: Buffer[] = k === 0 ? [header] : [NL];
      if (k > 0 && trailer !== undefined) parts.push(trailer[k - 1] as Buffer);
      if (k < n) parts.push(prefix[k] as Buffer);
      segments.push(Buffer.concat(parts));
    }
    this.series = series;
    this.segments = segments;
    this.values = new ValueTextCache(n);
  }

  /** Writes the family (metadata included) into `buf` at `off`; returns the offset after it. */
  put(buf: Buffer, off: number): number {
    const { series, segments, values } = this;
    const n = series.length;
    for (let k = 0; k < n; k++) {
      const seg = segments[k] as Buffer;
      buf.set(seg, off);
      off = values.put(buf, off + seg.length, k, (series[k] as CounterSeries).value);
    }
    const end = segments[n] as Buffer;
    buf.set(end, off);
    return off + end.length;
  }
}
