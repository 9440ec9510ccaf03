/**
 * What `top` shows, as read at one moment: every stat with its series' cumulative values. Both feeds produce
 * it — the in-process agent (from the registry) and a scrape of a running agent's /metrics — so the model
 * computes rates the same way whichever one is watched.
 */

/** The kinds `top` tells apart. Untyped Prometheus samples are shown as gauges. */
export type StatKind = 'counter' | 'gauge' | 'histogram';

/** One series at the moment of the frame. */
export interface FrameSeries {
  /** Label name/value pairs in exposition order; empty for an unlabelled series. */
  readonly labels: readonly (readonly [string, string])[];
  /** Counter: the cumulative total. Gauge: the value. Histogram: the cumulative observation count. */
  readonly value: number;
  /** Histogram: the cumulative sum of observations. */
  readonly sum?: number;
}

export interface FrameStat {
  /** The family name (counters without `_total`). */
  readonly name: string;
  readonly kind: StatKind;
  readonly help: string;
  readonly series: readonly FrameSeries[];
}

export interface Frame {
  /** Monotonic time of the read (performance.now()), in milliseconds: rates divide by differences of it. */
  readonly atMs: number;
  readonly stats: readonly FrameStat[];
}
