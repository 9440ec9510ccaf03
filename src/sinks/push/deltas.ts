/**
 * Per-series state for sinks that send what changed since their own last flush (StatsD counters, the JSON
 * lines `delta`, spectatord distribution samples, the terminal report, OTLP delta points). Kept in arrays
 * indexed by `series.id`, so a flush does no hashing; each sink owns its own, so two sinks never share a
 * baseline. Ids are reused after a series is removed, so each slot also records the serial of the series it
 * belongs to (the ownership rule in registry/series.ts): a series that takes a removed series' id is a
 * series this sink has not seen, never a continuation of the old one.
 *
 * Rule for a series this sink has not seen before (the default, `baselineAtFirstFlush`):
 * - at the sink's first flush, every series starts from its current value (delta 0): the first interval does
 *   not carry everything a BPF map or /proc counted since boot as one spike;
 * - a series that appears after the first flush counts from zero: everything in it is new since the last flush
 *   (a new CPU's counters that include earlier history are the exception, and show as one larger first delta).
 * With `baselineAtFirstFlush: false` every series counts from zero, first flush included: its first delta is
 * all it counted since `series.created` (OTLP delta temporality, whose first point starts there).
 */
import { PerSeries } from '../../registry/per-series.js';
import type { CounterSeries, HistogramSeries } from '../../registry/series.js';

export interface DeltaOptions {
  /** True (default): the sink's first flush is a zero baseline. False: every series counts from zero. */
  readonly baselineAtFirstFlush?: boolean;
}

export class CounterDeltas {
  private last = new Float64Array(64);
  /** Serial of the series each slot's baseline belongs to; 0 = none. */
  private owner = new Float64Array(64);
  private primed: boolean;
  /** Whether the last `delta` was this sink's first for its series (its baseline was not there before). */
  first = false;

  constructor(opts: DeltaOptions = {}) {
    this.primed = opts.baselineAtFirstFlush === false;
  }

  /** The change of `s.value` since this sink's previous flush; records it as the new baseline. */
  delta(s: CounterSeries): number {
    const id = s.id;
    const value = s.value;
    if (id >= this.owner.length) this.grow(id);
    let prev: number;
    if (this.owner[id] === s.serial) {
      prev = this.last[id] as number;
      this.first = false;
    } else {
      this.owner[id] = s.serial;
      prev = this.primed ? 0 : value;
      this.first = true;
    }
    this.last[id] = value;
    return value - prev;
  }

  /** Marks the end of a flush: series first seen after this count from zero. */
  endFlush(): void {
    this.primed = true;
  }

  private grow(id: number): void {
    const n = Math.max(id + 1, this.owner.length * 2);
    const last = new Float64Array(n);
    last.set(this.last);
    const owner = new Float64Array(n);
    owner.set(this.owner);
    this.last = last;
    this.owner = owner;
  }
}

/** Changes of one histogram series since the previous flush: per-bucket counts (not cumulative), count, sum. */
export interface HistogramDelta {
  /** Index i for bound i, the last for +Inf. Valid until the next `delta` call. */
  readonly counts: Float64Array;
  readonly count: number;
  readonly sum: number;
  /** Whether this was the sink's first delta for the series. */
  readonly first: boolean;
}

/** The histogram counterpart of CounterDeltas, with the same first-flush rule and options. */
export class HistogramDeltas {
  /** Baselines, laid out [sum, count, per-bucket counts...]. */
  private readonly prev = new PerSeries<Float64Array>();
  private scratch = new Float64Array(0);
  private primed: boolean;

  constructor(opts: DeltaOptions = {}) {
    this.primed = opts.baselineAtFirstFlush === false;
  }

  /** The change since this sink's previous flush of `s`. */
  delta(s: HistogramSeries): HistogramDelta {
    const n = s.counts.length;
    let prev = this.prev.get(s);
    const first = prev === undefined;
    if (prev === undefined) prev = this.prev.set(s, new Float64Array(n + 2));
    if (this.scratch.length < n) this.scratch = new Float64Array(n);
    const counts = this.scratch.subarray(0, n);
    // A new series' baseline is zeros (counting from zero) unless this is the first flush's zero baseline.
    const baseline = first && !this.primed;
    for (let i = 0; i < n; i++) {
      const v = s.counts[i] as number;
      counts[i] = baseline ? 0 : v - (prev[i + 2] as number);
      prev[i + 2] = v;
    }
    const sum = baseline ? 0 : s.sum - (prev[0] as number);
    const count = baseline ? 0 : s.count - (prev[1] as number);
    prev[0] = s.sum;
    prev[1] = s.count;
    return { counts, count, sum, first };
  }

  endFlush(): void {
    this.primed = true;
  }
}
