/**
 * Series lifetime: the series a source no longer reports are removed after a grace period. A source hands
 * the families whose label values come and go (scx_stats dict keys and info strings, per-CPU labels) to its
 * `SeriesLifetime`; every update of a series marks it reported, and after each successful collection of the
 * source the agent calls `sweep()`, which removes the series of those families that went `grace` successful
 * collections in a row without a report. A failed collection says nothing about what exists, so it neither
 * ages nor removes anything. Removal is the registry's ordinary `remove`: the Prometheus endpoint and the
 * report stop showing the series, remote_write sends its staleness marker, OTLP stops sending it, and every
 * sink's per-series state for it is let go (PerSeries.sync).
 */
import type { Family } from './family.js';

/** Successful collections a series may go unreported before it is removed, unless set (`--series-grace`). */
export const DEFAULT_SERIES_GRACE = 3;

export class SeriesLifetime {
  readonly grace: number;
  private readonly families = new Set<Family>();

  constructor(grace = DEFAULT_SERIES_GRACE) {
    if (!(Number.isInteger(grace) && grace >= 1)) throw new RangeError(`series grace must be a whole number of intervals >= 1, got ${grace}`);
    this.grace = grace;
  }

  /** Makes `family`'s series expire when unreported. Idempotent; returns the family. */
  track<F extends Family>(family: F): F {
    this.families.add(family);
    return family;
  }

  /** Whether `family` is tracked here. */
  tracks(family: Family): boolean {
    return this.families.has(family);
  }

  /** After a successful collection: ages the tracked families' series and removes the expired. Returns how many. */
  sweep(): number {
    let removed = 0;
    for (const f of this.families) removed += f.sweep(this.grace);
    return removed;
  }
}
