/**
 * Series: one labelled time series of a family, and the handle callers update. A handle is resolved once
 * (`family.with(labels)`) and then updated with plain arithmetic on its own fields: no label hashing, no
 * allocation on the hot path.
 */

/** What every series has. */
abstract class SeriesBase {
  /**
   * Registry-wide id, dense from 0; sinks keep per-series state in arrays indexed by it. Ids are reused: a
   * removed series' id goes to the next series created, so per-id arrays stay as long as the peak number of
   * live series (`registry.seriesCapacity`), however much label values churn. Per-id state is therefore
   * valid only while it belongs to the same series: see `serial`.
   */
  readonly id: number;
  /**
   * Registry-wide creation number, from 1, never reused. **The ownership rule for per-id state:** keep the
   * serial of the series a slot was filled for beside the slot (0 = empty) and treat the slot as empty when
   * `stored[s.id] !== s.serial`: the id now belongs to a series created later, whose label text must be built
   * anew and whose deltas start by the sink's rule for a series it has not seen. `PerSeries` (per-series.ts)
   * does this for cached values; `CounterDeltas` (sinks/push/deltas.ts) for numbers.
   */
  readonly serial: number;
  /** Label values in the family's label-name order. */
  readonly labelValues: readonly string[];
  /** When the series was created (Unix seconds), for OpenMetrics `_created` and OTLP start times. */
  readonly created: number;
  /**
   * Set by every update (and `touch`): the source reported this series since the last sweep. A family whose
   * series expire (`SeriesLifetime.track`) is swept after each successful collection of its source.
   */
  reported = false;
  /** Successful collections in a row that did not report this series (kept by `SeriesLifetime`). */
  missed = 0;
  /**
   * True once the series has left its family (removed, or swept as unreported). A handle kept across
   * intervals must be resolved again when this is set: updates to it are no longer exported.
   */
  removed = false;

  constructor(id: number, serial: number, labelValues: readonly string[], created: number) {
    this.id = id;
    this.serial = serial;
    this.labelValues = labelValues;
    this.created = created;
  }

  /** Says the source still reports this series without changing its value (an info gauge that stays 1). */
  touch(): void {
    this.reported = true;
  }
}

/**
 * A monotonic counter.
 *
 * Two ways in: `inc(delta)` for per-interval deltas (a map reset on read, an event seen), and
 * `absolute(cumulative)` for producers that keep their own running total (BPF maps read without reset, /proc,
 * scx_stats). The exported value never goes backwards. **Rule for a cumulative value that goes backwards**:
 * the producer restarted from zero, so the new cumulative value is added as a fresh delta (what was counted
 * since the restart). `rate()` stays right across the restart and `_created` does not move.
 */
export class CounterSeries extends SeriesBase {
  /** The exported monotonic total. */
  value = 0;
  /** The producer's last cumulative value seen by `absolute`. */
  private lastAbsolute = 0;
  /** How many times `absolute` saw the producer go backwards (a restart). */
  restarts = 0;

  /** Adds a non-negative delta. Throws RangeError on a negative or NaN delta: a counter cannot go down. */
  inc(delta = 1): void {
    if (!(delta >= 0)) throw new RangeError(`counter delta must be a non-negative number, got ${delta}`);
    this.value += delta;
    this.reported = true;
  }

  /** Takes the producer's cumulative value; see the class comment for what happens when it goes backwards. */
  absolute(cumulative: number): void {
    if (!(cumulative >= 0)) throw new RangeError(`cumulative counter value must be a non-negative number, got ${cumulative}`);
    this.reported = true;
    if (cumulative >= this.lastAbsolute) {
      this.value += cumulative - this.lastAbsolute;
    } else {
      this.value += cumulative;
      this.restarts++;
    }
    this.lastAbsolute = cumulative;
  }

  /**
   * Takes a cumulative value from a producer that never restarts but may dip slightly (the kernel's
   * per-CPU iowait and idle times in /proc/stat can go backwards): a lower value is ignored, as in the
   * Rust `metrics` crate's `absolute()`, and counting resumes once the producer passes its high-water mark.
   */
  absoluteMax(cumulative: number): void {
    if (!(cumulative >= 0)) throw new RangeError(`cumulative counter value must be a non-negative number, got ${cumulative}`);
    this.reported = true;
    if (cumulative > this.lastAbsolute) {
      this.value += cumulative - this.lastAbsolute;
      this.lastAbsolute = cumulative;
    }
  }
}

/** A gauge: a level that is set, or moved up and down. */
export class GaugeSeries extends SeriesBase {
  value = 0;

  set(value: number): void {
    this.value = value;
    this.reported = true;
  }

  inc(delta = 1): void {
    this.value += delta;
    this.reported = true;
  }

  dec(delta = 1): void {
    this.value -= delta;
    this.reported = true;
  }
}

/**
 * A histogram with fixed upper bounds. Bucket counts are kept per bucket (not cumulative); `+Inf` is the
 * last slot. `observe` records one value; `absolute` takes a producer's cumulative per-bucket counts (a BPF
 * log2 histogram map) with the counter restart rule applied to the whole histogram.
 */
export class HistogramSeries extends SeriesBase {
  readonly bounds: readonly number[];
  /** Per-bucket counts; index bounds.length is the +Inf overflow bucket. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  private readonly lastCounts: Float64Array;
  private lastSum = 0;
  restarts = 0;

  constructor(id: number, serial: number, labelValues: readonly string[], created: number, bounds: readonly number[]) {
    super(id, serial, labelValues, created);
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
    this.lastCounts = new Float64Array(bounds.length + 1);
  }

  /** Records one value. Throws RangeError on NaN, which has no bucket and would poison the sum. */
  observe(value: number): void {
    if (value !== value) throw new RangeError('histogram observation must be a number, got NaN');
    const b = this.bounds;
    // Binary search for the first bound >= value; BPF-sized histograms have few dozen buckets at most.
    let lo = 0;
    let hi = b.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((b[mid] as number) < value) lo = mid + 1;
      else hi = mid;
    }
    this.counts[lo] = (this.counts[lo] as number) + 1;
    this.sum += value;
    this.count++;
    this.reported = true;
  }

  /**
   * Takes cumulative per-bucket counts from a producer (index i for bound i, the last for +Inf; a shorter
   * array leaves the rest at zero) and its cumulative sum. Any bucket going backwards means a restart: the new
   * counts are then added as fresh deltas.
   */
  absolute(perBucket: ArrayLike<number>, cumulativeSum: number): void {
    const n = Math.min(perBucket.length, this.counts.length);
    if (cumulativeSum !== cumulativeSum) throw new RangeError('histogram sum must be a number, got NaN');
    for (let i = 0; i < n; i++) {
      if (!((perBucket[i] as number) >= 0)) throw new RangeError(`histogram bucket ${i} must be a non-negative count, got ${perBucket[i]}`);
    }
    let restarted = cumulativeSum < this.lastSum;
    for (let i = 0; i < n && !restarted; i++) if ((perBucket[i] as number) < (this.lastCounts[i] as number)) restarted = true;
    if (restarted) {
      this.restarts++;
      this.lastCounts.fill(0);
      this.lastSum = 0;
    }
    for (let i = 0; i < n; i++) {
      const v = perBucket[i] as number;
      const d = v - (this.lastCounts[i] as number);
      this.counts[i] = (this.counts[i] as number) + d;
      this.count += d;
      this.lastCounts[i] = v;
    }
    this.sum += cumulativeSum - this.lastSum;
    this.lastSum = cumulativeSum;
    this.reported = true;
  }
}

/** Any series. */
export type Series = CounterSeries | GaugeSeries | HistogramSeries;
