/**
 * Point values in the chosen temporality, shared by the protobuf and JSON encoders.
 *
 * Cumulative (default): a counter's point is its exported total since `series.created`, the start time that
 * tells a backend where the count began (the registry's counters never go backwards, so it never moves).
 * Delta: the change since this sink's previous flush, starting at that flush (or at `series.created` for a
 * series' first point). Delta state advances when a request is encoded: a request later dropped by a dead
 * peer loses its deltas, which is what delta temporality means.
 */
import type { CounterSeries, HistogramSeries, Series } from '../../registry/index.js';
import { type NanoTime, type Temporality, nanoTime } from './model.js';

/** A histogram point: per-bucket counts (not cumulative) with the +Inf bucket last. */
export interface HistogramPoint {
  counts: Float64Array;
  count: number;
  sum: number;
}

export class PointValues {
  readonly temporality: Temporality;
  /** The snapshot's time, set by `begin`. */
  now: NanoTime = nanoTime(0);
  /** The start time of the point last computed by `counter` or `histogram`. */
  start: NanoTime = nanoTime(0);
  private prev: NanoTime | undefined;
  private created: (NanoTime | undefined)[] = [];
  private lastValue = new Float64Array(0);
  private seen = new Uint8Array(0);
  private lastHist: (HistogramPoint | undefined)[] = [];
  private readonly scratch: HistogramPoint = { counts: new Float64Array(0), count: 0, sum: 0 };

  constructor(temporality: Temporality) {
    this.temporality = temporality;
  }

  /** Starts a request at snapshot time `timeMs`; `capacity` is the registry's series capacity. */
  begin(timeMs: number, capacity: number): void {
    this.now = nanoTime(timeMs);
    if (this.temporality === 'delta' && this.seen.length < capacity) {
      const size = Math.max(capacity, this.seen.length * 2);
      const seen = new Uint8Array(size);
      seen.set(this.seen);
      this.seen = seen;
      const last = new Float64Array(size);
      last.set(this.lastValue);
      this.lastValue = last;
    }
  }

  /** Ends a request: the next delta starts here. */
  end(): void {
    this.prev = this.now;
  }

  /** The value of a counter point; sets `start`. */
  counter(s: CounterSeries): number {
    if (this.temporality === 'cumulative') {
      this.start = this.createdOf(s);
      return s.value;
    }
    const first = this.seen[s.id] === 0;
    this.start = first || this.prev === undefined ? this.createdOf(s) : this.prev;
    const v = s.value - (this.lastValue[s.id] as number);
    this.lastValue[s.id] = s.value;
    this.seen[s.id] = 1;
    return v;
  }

  /** A histogram point (a scratch object, valid until the next call); sets `start`. */
  histogram(s: HistogramSeries): HistogramPoint {
    if (this.temporality === 'cumulative') {
      this.start = this.createdOf(s);
      this.scratch.counts = s.counts;
      this.scratch.count = s.count;
      this.scratch.sum = s.sum;
      return this.scratch;
    }
    let last = this.lastHist[s.id];
    this.start = last === undefined || this.prev === undefined ? this.createdOf(s) : this.prev;
    if (last === undefined) {
      last = { counts: new Float64Array(s.counts.length), count: 0, sum: 0 };
      this.lastHist[s.id] = last;
    }
    const n = s.counts.length;
    if (this.scratch.counts.length !== n) this.scratch.counts = new Float64Array(n);
    const out = this.scratch.counts;
    for (let i = 0; i < n; i++) {
      out[i] = (s.counts[i] as number) - (last.counts[i] as number);
      last.counts[i] = s.counts[i] as number;
    }
    this.scratch.count = s.count - last.count;
    this.scratch.sum = s.sum - last.sum;
    last.count = s.count;
    last.sum = s.sum;
    return this.scratch;
  }

  private createdOf(s: Series): NanoTime {
    let t = this.created[s.id];
    if (t === undefined) {
      t = nanoTime(s.created * 1000);
      this.created[s.id] = t;
    }
    return t;
  }
}
