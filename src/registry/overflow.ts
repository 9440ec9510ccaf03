/**
 * The cardinality cap's fold: once a family holds its limit of series, a new label set gets a folded handle
 * instead of a series of its own. The handle keeps the bookkeeping a series has (the counter restart rule,
 * histogram baselines), so one producer's running total does not disturb another's, and passes what it adds
 * on to the family's one overflow series, whose every label value is `OVERFLOW_LABEL_VALUE`. Counters and
 * histograms in the overflow series are the sums of what was folded; a gauge holds the last value set, as
 * OpenTelemetry's overflow attribute set does. Folded handles are never exported themselves.
 */
import { CounterSeries, GaugeSeries, HistogramSeries } from './series.js';

/** The value of every label of a family's overflow series. */
export const OVERFLOW_LABEL_VALUE = '__overflow__';

/** Folded handles have no id of their own: sinks never see them, and no per-series slot is kept for them. */
const NO_ID = -1;

export class FoldedCounter extends CounterSeries {
  constructor(
    labelValues: readonly string[],
    private readonly target: () => CounterSeries,
  ) {
    super(NO_ID, 0, labelValues, Date.now() / 1000);
  }

  override inc(delta = 1): void {
    super.inc(delta);
    this.target().inc(delta);
  }

  override absolute(cumulative: number): void {
    const before = this.value;
    super.absolute(cumulative);
    this.target().inc(this.value - before);
  }

  override absoluteMax(cumulative: number): void {
    const before = this.value;
    super.absoluteMax(cumulative);
    this.target().inc(this.value - before);
  }

  override touch(): void {
    super.touch();
    this.target().touch();
  }
}

export class FoldedGauge extends GaugeSeries {
  constructor(
    labelValues: readonly string[],
    private readonly target: () => GaugeSeries,
  ) {
    super(NO_ID, 0, labelValues, Date.now() / 1000);
  }

  override set(value: number): void {
    super.set(value);
    this.target().set(value);
  }

  override inc(delta = 1): void {
    super.inc(delta);
    this.target().inc(delta);
  }

  override dec(delta = 1): void {
    super.dec(delta);
    this.target().dec(delta);
  }

  override touch(): void {
    super.touch();
    this.target().touch();
  }
}

export class FoldedHistogram extends HistogramSeries {
  private readonly before: Float64Array;

  constructor(
    labelValues: readonly string[],
    bounds: readonly number[],
    private readonly target: () => HistogramSeries,
  ) {
    super(NO_ID, 0, labelValues, Date.now() / 1000, bounds);
    this.before = new Float64Array(bounds.length + 1);
  }

  override observe(value: number): void {
    super.observe(value);
    this.target().observe(value);
  }

  override absolute(perBucket: ArrayLike<number>, cumulativeSum: number): void {
    this.before.set(this.counts);
    const sum = this.sum;
    const count = this.count;
    super.absolute(perBucket, cumulativeSum);
    const t = this.target();
    for (let i = 0; i < this.counts.length; i++) t.counts[i] = (t.counts[i] as number) + (this.counts[i] as number) - (this.before[i] as number);
    t.sum += this.sum - sum;
    t.count += this.count - count;
    t.touch();
  }

  override touch(): void {
    super.touch();
    this.target().touch();
  }
}
