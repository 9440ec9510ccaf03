/**
 * Per-series state for sinks that send what changed since their own last flush (StatsD counters, the JSON
 * lines `delta`, spectatord distribution samples). Kept in arrays indexed by `series.id`, so a flush does no
 * hashing; each sink owns its own, so two sinks never share a baseline.
 *
 * Rule for a series this sink has not seen before:
 * - at the sink's first flush, every series starts from its current value (delta 0): the first interval does
 *   not carry everything a BPF map or /proc counted since boot as one spike;
 * - a series that appears after the first flush counts from zero: everything in it is new since the last flush
 *   (a new CPU's counters that include earlier history are the exception, and show as one larger first delta).
 */
import type { HistogramSeries } from '../../registry/series.js';

export class CounterDeltas {
  private last = new Float64Array(64);
  private seen = new Uint8Array(64);
  private primed = false;

  /** The change since this sink's previous flush; records `value` as the new baseline. */
  delta(id: number, value: number): number {
    if (id >= this.seen.length) this.grow(id);
    let prev: number;
    if (this.seen[id] === 1) prev = this.last[id] as number;
    else {
      this.seen[id] = 1;
      prev = this.primed ? 0 : value;
    }
    this.last[id] = value;
    return value - prev;
  }

  /** Marks the end of a flush: series first seen after this count from zero. */
  endFlush(): void {
    this.primed = true;
  }

  private grow(id: number): void {
    const n = Math.max(id + 1, this.seen.length * 2);
    const last = new Float64Array(n);
    last.set(this.last);
    const seen = new Uint8Array(n);
    seen.set(this.seen);
    this.last = last;
    this.seen = seen;
  }
}

/** Changes of one histogram series since the previous flush: per-bucket counts (not cumulative), count, sum. */
export interface HistogramDelta {
  /** Index i for bound i, the last for +Inf. Valid until the next `delta` call. */
  readonly counts: Float64Array;
  readonly count: number;
  readonly sum: number;
}

/** The histogram counterpart of CounterDeltas, with the same first-flush rule. */
export class HistogramDeltas {
  private readonly prev: (Float64Array | undefined)[] = [];
  private scratch = new Float64Array(0);
  private primed = false;

  /** The change since this sink's previous flush of `s`. */
  delta(s: HistogramSeries): HistogramDelta {
    const n = s.counts.length;
    // Layout of a baseline: [sum, count, per-bucket counts...].
    let prev = this.prev[s.id];
    const first = prev === undefined;
    if (prev === undefined) {
      prev = new Float64Array(n + 2);
      this.prev[s.id] = prev;
    }
    if (this.scratch.length < n) this.scratch = new Float64Array(n);
    const counts = this.scratch.subarray(0, n);
    const fromZero = first && this.primed;
    for (let i = 0; i < n; i++) {
      const v = s.counts[i] as number;
      counts[i] = first && !fromZero ? 0 : v - (prev[i + 2] as number);
      prev[i + 2] = v;
    }
    const sum = first && !fromZero ? 0 : s.sum - (prev[0] as number);
    const count = first && !fromZero ? 0 : s.count - (prev[1] as number);
    prev[0] = s.sum;
    prev[1] = s.count;
    return { counts, count, sum };
  }

  endFlush(): void {
    this.primed = true;
  }
}
