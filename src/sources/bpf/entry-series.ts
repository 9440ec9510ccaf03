/**
 * One map entry's series, created when the entry is first read rather than when the source attaches.
 *
 * Every series the registry holds is exported, and a counter or histogram made before anything was read
 * renders as 0: a scheduler whose maps cannot be found (not loaded, or of another shape than its profile)
 * would then look like an idle one on a dashboard. Created on the first read, a series means a value came
 * from a map. Once created it stays: a map that goes away later (a restart) keeps its series at their last
 * values, and the counter rules carry them on when the map comes back.
 */
import type { CounterSeries, Family, GaugeSeries, HistogramSeries } from '../../registry/index.js';

export type Handle = CounterSeries | GaugeSeries | HistogramSeries;

export class EntrySeries {
  private readonly family: Family;
  private readonly labelSets: readonly (readonly string[])[];
  private handles: Handle[] | undefined;

  /** `labelSets`: one per handle, in the family's label order (one, or one per possible CPU). */
  constructor(family: Family, labelSets: readonly (readonly string[])[]) {
    this.family = family;
    this.labelSets = labelSets;
  }

  /** How many handles the entry has, known before any is created (the source lays out its slots by it). */
  get count(): number {
    return this.labelSets.length;
  }

  /** Whether the entry has been read, so its series exist. */
  get created(): boolean {
    return this.handles !== undefined;
  }

  /** Removes the series, if created (their scheduler is gone); a later read creates them afresh. */
  remove(): void {
    if (this.handles === undefined) return;
    for (const l of this.labelSets) this.family.remove(l);
    this.handles = undefined;
  }

  /** The handles, created now if this is the entry's first read. Call only with a value read in hand. */
  get(): Handle[] {
    return (this.handles ??= this.labelSets.map((l) => this.family.withValues(l)));
  }
}
