/**
 * A value kept per series by a sink (escaped label text, encoded attributes, a delta baseline), stored by
 * `series.id` with no hashing and checked by `series.serial`: ids are reused after a series is removed, so a
 * slot filled for an earlier series reads as empty for the series that took its id (the ownership rule in
 * series.ts).
 */
import type { Registry } from './registry.js';
import type { Series } from './series.js';

export class PerSeries<T> {
  /** Serial of the series each slot was filled for; 0 = empty. */
  private serials = new Float64Array(0);
  private values: (T | undefined)[] = [];
  private registry: Registry | undefined;
  private generation = -1;

  /** The value stored for `s`, or undefined when none is (or the slot belongs to another series). */
  get(s: Series): T | undefined {
    // Past the end a typed array reads undefined, which no serial equals.
    return this.serials[s.id] === s.serial ? this.values[s.id] : undefined;
  }

  /** Stores `value` for `s` and returns it. */
  set(s: Series, value: T): T {
    const id = s.id;
    if (id >= this.serials.length) this.grow(id);
    this.serials[id] = s.serial;
    this.values[id] = value;
    return value;
  }

  /**
   * Lets go of the values of series no longer in `registry` (each passed to `gone` first), so a cache holds
   * nothing of a series that left. Does nothing while the registry's generation is unchanged; call it at the
   * start of a flush or render.
   */
  sync(registry: Registry, gone?: (value: T) => void): void {
    if (registry === this.registry && registry.generation === this.generation) return;
    if (this.registry !== undefined && registry !== this.registry) {
      // Another registry's ids say nothing about this one's.
      this.serials = new Float64Array(0);
      this.values = [];
    } else {
      const live = new Float64Array(registry.seriesCapacity);
      for (const fam of registry.families()) for (const s of fam.series) live[s.id] = s.serial;
      const serials = this.serials;
      for (let id = 0; id < serials.length; id++) {
        const have = serials[id] as number;
        if (have === 0 || have === live[id]) continue;
        if (gone !== undefined) gone(this.values[id] as T);
        serials[id] = 0;
        this.values[id] = undefined;
      }
    }
    this.registry = registry;
    this.generation = registry.generation;
  }

  /**
   * The values by id. After `sync` and a `set` for every live series, slot `s.id` holds the value of `s`;
   * other slots are undefined.
   */
  get byId(): readonly (T | undefined)[] {
    return this.values;
  }

  private grow(id: number): void {
    const serials = new Float64Array(Math.max(id + 1, this.serials.length * 2, 16));
    serials.set(this.serials);
    this.serials = serials;
  }
}
