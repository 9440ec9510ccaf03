/**
 * The declaration types: one object per stat says what it is (kind, help, unit, labels) and where its number
 * lives (`from`). Everything else — registration, handles, exposition names, report lines, C headers — is
 * derived from these objects, so they are the only place a stat is written down.
 */

/** The three metric kinds a stat can be. */
export type MetricKind = 'counter' | 'gauge' | 'histogram';

/**
 * Base units, per Prometheus naming practice. The unit becomes a name suffix (`_seconds`) and OpenMetrics
 * `# UNIT`. Use `''` (the default) for plain counts.
 */
export type Unit =
  | ''
  | 'seconds'
  | 'bytes'
  | 'ratio'
  | 'celsius'
  | 'joules'
  | 'volts'
  | 'amperes'
  | 'meters'
  | 'grams'
  | 'hertz';

/**
 * A label's values: a closed list (dispatch paths, CPU modes) checked at compile time, or `String` for an open
 * set (CPU numbers, node ids) where any string is accepted.
 */
export type LabelValuesSpec = readonly string[] | StringConstructor;

/** Label names to their value specs, in the order labels are rendered. */
export type LabelSpec = Readonly<Record<string, LabelValuesSpec>>;

/** The label object a handle is resolved with: each closed label takes one of its values, open ones any string. */
export type LabelValues<L extends LabelSpec> = {
  readonly [K in keyof L]: L[K] extends readonly (infer V extends string)[] ? V : string;
};

/**
 * Where a stat's number lives. Each source defines its own reference shape (`source` names the source kind);
 * the declaration carries it opaquely so adding a source changes no declaration type.
 */
export interface SourceRef {
  /** The source kind that knows how to read this reference, e.g. `proc`, `bpf`, `scx_stats`. */
  readonly source: string;
}

/** What every declaration has, whatever its kind. */
export interface StatDeclBase<K extends MetricKind, L extends LabelSpec> {
  readonly kind: K;
  /** Family name as exposed, without `_total` and with the unit suffix (derived by `defineStats`). */
  readonly name: string;
  /** The key the stat was declared under, as written (used by codegen and reports). */
  readonly key: string;
  readonly help: string;
  readonly unit: Unit;
  readonly labels: L;
  /** Where the number comes from; sources that do not recognise it ignore the stat. */
  readonly from: SourceRef | undefined;
}

export type CounterDecl<L extends LabelSpec = LabelSpec> = StatDeclBase<'counter', L>;
export type GaugeDecl<L extends LabelSpec = LabelSpec> = StatDeclBase<'gauge', L>;
export interface HistogramDecl<L extends LabelSpec = LabelSpec> extends StatDeclBase<'histogram', L> {
  /** Upper bounds (`le`), strictly increasing; `+Inf` is implied. */
  readonly buckets: readonly number[];
  /** `log2` when bucket i holds values up to 2^i, the shape BPF programs fill with a log2 slot index. */
  readonly bucketShape: 'explicit' | 'log2';
  /**
   * log2: the unit's value of one integer the producer records (bound i is 2^i × bucketScale; a recorded sum
   * is multiplied by it on export). 1 for explicit buckets.
   */
  readonly bucketScale: number;
}

/** Any declaration. */
export type StatDecl<L extends LabelSpec = LabelSpec> = CounterDecl<L> | GaugeDecl<L> | HistogramDecl<L>;

/** A named, ordered set of declarations: a scheduler profile, the host stats, the agent's own health. */
export interface StatSet<S extends Readonly<Record<string, StatDecl>> = Readonly<Record<string, StatDecl>>> {
  /** Short name of the set (`host`, `rusty`), used by `describe` and `--scheduler`. */
  readonly name: string;
  readonly help: string;
  /** The declarations by key, in declaration order. */
  readonly stats: S;
}
