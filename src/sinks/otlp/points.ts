/**
 * Point values in the chosen temporality, shared by the protobuf and JSON encoders.
 *
 * Cumulative (default): a counter's point is its exported total since `series.created`, the start time that
 * tells a backend where the count began (the registry's counters never go backwards, so it never moves).
 * Delta: the change since this sink's previous flush, starting at that flush; a series' first point is all it
 * counted since `series.created` and starts there (also when it took the id of a removed series). The per-series
 * state is push/deltas.ts's, with its zero first-flush baseline turned off. Delta state advances when a
 * request is encoded: a request later dropped by a dead peer loses its deltas, which is what delta
 * temporality means.
 */
import { PerSeries, type CounterSeries, type HistogramSeries, type Registry, type Series } from '../../registry/index.js';
import { CounterDeltas, HistogramDeltas } from '../push/deltas.js';
import { type NanoTime, type Temporality, nanoTime } from './model.js';

/** A histogram point: per-bucket counts (not cumulative) with the +Inf bucket last. */
export interface HistogramPoint {
  readonly counts: Float64Array;
  readonly count: number;
  readonly sum: number;
}

export class PointValues {
  readonly temporality: Temporality;
  /** The snapshot's time, set by `begin`. */
  now: NanoTime = nanoTime(0);
  /** The start time of the point last computed by `counter` or `histogram`. */
  start: NanoTime = nanoTime(0);
  private prev: NanoTime | undefined;
  private readonly created = new PerSeries<NanoTime>();
  private readonly counters = new CounterDeltas({ baselineAtFirstFlush: false });
  private readonly histograms = new HistogramDeltas({ baselineAtFirstFlush: false });

  constructor(temporality: Temporality) {
    this.temporality = temporality;
  }

  /** Starts a request for `registry` at snapshot time `timeMs`. */
  begin(registry: Registry, timeMs: number): void {
    this.now = nanoTime(timeMs);
    this.created.sync(registry);
  }

  /** Ends a request: the next delta starts here. */
  end(): void {
    this.prev = this.now;
    this.counters.endFlush();
    this.histograms.endFlush();
  }

  /** The value of a counter point; sets `start`. */
  counter(s: CounterSeries): number {
    if (this.temporality === 'cumulative') {
      this.start = this.createdOf(s);
      return s.value;
    }
    const v = this.counters.delta(s);
    this.start = this.counters.first || this.prev === undefined ? this.createdOf(s) : this.prev;
    return v;
  }

  /** A histogram point (valid until the next call); sets `start`. */
  histogram(s: HistogramSeries): HistogramPoint {
    if (this.temporality === 'cumulative') {
      this.start = this.createdOf(s);
      return s;
    }
    const d = this.histograms.delta(s);
    this.start = d.first || this.prev === undefined ? this.createdOf(s) : this.prev;
    return d;
  }

  private createdOf(s: Series): NanoTime {
    return this.created.get(s) ?? this.created.set(s, nanoTime(s.created * 1000));
  }
}
