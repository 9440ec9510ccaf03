/**
 * Escaped label text per series (`cpu="0",mode="user"`), indexed by series id. Label values never change
 * for a series, so the text is built once; the cache is only walked again when the registry's generation
 * says a family or series was added or removed, and then only new series (a reused id included) are escaped
 * and removed ones let go.
 */
import { PerSeries, type Registry } from '../../registry/index.js';
import { labelPairs } from './escape.js';

export class SeriesLabels {
  private readonly text = new PerSeries<string>();
  private registry: Registry | undefined;
  private generation = -1;

  /** Label text by series id for this registry's current series ('' for a series without labels). */
  get(registry: Registry): readonly (string | undefined)[] {
    const text = this.text;
    if (registry !== this.registry || registry.generation !== this.generation) {
      text.sync(registry);
      for (const fam of registry.families()) {
        for (const s of fam.series) if (text.get(s) === undefined) text.set(s, labelPairs(fam.labelNames, s.labelValues));
      }
      this.registry = registry;
      this.generation = registry.generation;
    }
    return text.byId;
  }
}
