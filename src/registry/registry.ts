/**
 * The registry: every family the agent (or a library user) exports, in registration order. Sinks read it;
 * sources and user code update series handles resolved from it.
 */
import type { StatDecl, StatSet } from '../declare/types.js';
import { Family, type SeriesIds } from './family.js';

/** The families of a registered set, by the same keys as its declarations. */
export type Families<S extends Readonly<Record<string, StatDecl>>> = { readonly [K in keyof S]: Family<S[K]> };

/** OpenTelemetry's default cardinality limit: most series a family holds before new label sets fold. */
export const DEFAULT_CARDINALITY_LIMIT = 2000;

export interface RegistryOptions {
  /** Most series per family; label sets past it fold into one overflow series. 0 for no limit. Default 2000. */
  readonly cardinalityLimit?: number;
}

export class Registry {
  /**
   * Most series per family (0: no limit). Past it, `with()` of a new label set returns a handle whose updates
   * go to the family's overflow series, whose every label value is `__overflow__` (overflow.ts). Lowering it
   * removes nothing: it applies to series created afterwards.
   */
  cardinalityLimit: number;
  /** Called each time a new label set is folded into a family's overflow series (the agent counts and says it). */
  onFold: ((family: Family, labelValues: readonly string[]) => void) | undefined;
  private readonly list: Family[] = [];
  private readonly byName = new Map<string, Family>();
  private nextId = 0;
  /** Ids of removed series, taken before a new id is minted so ids stay dense. */
  private readonly freeIds: number[] = [];
  private lastSerial = 0;
  private gen = 0;
  private readonly ids: SeriesIds = {
    take: () => this.freeIds.pop() ?? this.nextId++,
    release: (id) => {
      this.freeIds.push(id);
    },
    serial: () => ++this.lastSerial,
    changed: () => {
      this.gen++;
    },
    limit: () => this.cardinalityLimit,
    folded: (family, values) => this.onFold?.(family, values),
  };

  constructor(opts: RegistryOptions = {}) {
    const limit = opts.cardinalityLimit ?? DEFAULT_CARDINALITY_LIMIT;
    if (!(Number.isInteger(limit) && limit >= 0)) throw new RangeError(`cardinality limit must be a whole number >= 0, got ${limit}`);
    this.cardinalityLimit = limit;
  }

  /**
   * Registers every declaration of a set and returns its families by key. Registering the same declaration
   * object again returns the existing family; a different declaration with the same name is an error.
   */
  register<S extends Readonly<Record<string, StatDecl>>>(set: StatSet<S>): Families<S> {
    const out: Record<string, Family> = {};
    for (const [key, decl] of Object.entries(set.stats)) out[key] = this.family(decl);
    return out as Families<S>;
  }

  /** Registers one declaration (idempotent for the same object) and returns its family. */
  family<D extends StatDecl>(decl: D): Family<D> {
    const existing = this.byName.get(decl.name);
    if (existing !== undefined) {
      if (existing.decl !== decl) throw new Error(`metric "${decl.name}" is already registered by another declaration`);
      return existing as unknown as Family<D>;
    }
    const fam = new Family(decl, this.ids);
    this.byName.set(decl.name, fam);
    this.list.push(fam);
    this.gen++;
    return fam;
  }

  /** All families in registration order. */
  families(): readonly Family[] {
    return this.list;
  }

  /** A family by exposed name. */
  get(name: string): Family | undefined {
    return this.byName.get(name);
  }

  /** Grows whenever a family or series is added or removed; renderers use it to refresh caches. */
  get generation(): number {
    return this.gen;
  }

  /**
   * One more than the highest series id handed out: the size for per-series arrays. Removed series' ids are
   * reused, so this is bounded by the peak number of live series, not by how many were ever created.
   */
  get seriesCapacity(): number {
    return this.nextId;
  }
}
