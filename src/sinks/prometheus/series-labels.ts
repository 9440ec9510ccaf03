/**
 * Escaped label text per series (`cpu="0",mode="user"`), indexed by series id. Label values never change
 * for a series, so the text is built once; the cache is only walked again when the registry's generation
 * says a family or series was added or removed, and then only new series are escaped.
 */
import type { Registry } from '../../registry/index.js';
import { labelPairs } from './escape.js';

export class SeriesLabels {
  private text: string[] = [];
  private registry: Registry | undefined;
  private generation = -1;

  /** Label text by series id for this registry's current series ('' for a series without labels). */
  get(registry: Registry): readonly string[] {
    if (registry === this.registry && registry.generation === this.generation) return this.text;
    const old = registry === this.registry ? this.text : [];
    // A fresh array drops the text of removed series; live ones keep theirs.
    const next: string[] = new Array<string>(registry.seriesCapacity);
    for (const fam of registry.families()) {
      for (const s of fam.series) next[s.id] = old[s.id] ?? labelPairs(fam.labelNames, s.labelValues);
    }
    this.text = next;
    this.registry = registry;
    this.generation = registry.generation;
    return next;
  }
}
