/**
 * A metric family: one declaration and its series. `with(labels)` resolves a series handle once; the typed
 * label object makes a misspelt label name or closed value a compile error, and the same check runs at
 * runtime for callers that come through untyped paths (sources reading names from a scheduler).
 */
import type { CounterDecl, GaugeDecl, LabelSpec, LabelValues, StatDecl } from '../declare/types.js';
import { FoldedCounter, FoldedGauge, FoldedHistogram, OVERFLOW_LABEL_VALUE } from './overflow.js';
import { CounterSeries, GaugeSeries, HistogramSeries, type Series } from './series.js';

/** The series type a declaration's kind yields. */
export type SeriesOf<D extends StatDecl> = D extends CounterDecl
  ? CounterSeries
  : D extends GaugeDecl
    ? GaugeSeries
    : HistogramSeries;

/** The label argument of `with()`: optional when the family has no labels. */
export type LabelArgs<L extends LabelSpec> = keyof L extends never ? [labels?: LabelValues<L>] : [labels: LabelValues<L>];

/** Thrown for a label set a family does not accept; the message names the family, the label and what was expected. */
export class LabelError extends Error {
  override name = 'LabelError';
}

/** Allocates registry-wide series ids (reused after `release`) and serials (never reused). */
export interface SeriesIds {
  take(): number;
  release(id: number): void;
  serial(): number;
  /** Tells the registry its series set changed (renderers re-sort or re-cache). */
  changed(): void;
  /** Most series a family holds before new label sets fold into its overflow series; 0 for no limit. */
  limit(): number;
  /** Tells the registry a label set was folded into `family`'s overflow series. */
  folded(family: Family, values: readonly string[]): void;
}

export class Family<D extends StatDecl = StatDecl> {
  readonly decl: D;
  readonly labelNames: readonly string[];
  /** Series in creation order. */
  readonly series: SeriesOf<D>[] = [];
  private readonly byKey = new Map<string, SeriesOf<D>>();
  private readonly closed: (ReadonlySet<string> | undefined)[];
  private readonly ids: SeriesIds;
  /** The series label sets past the cardinality limit fold into (in `series` too); undefined until needed. */
  private overflowSeries: SeriesOf<D> | undefined;

  constructor(decl: D, ids: SeriesIds) {
    this.decl = decl;
    this.ids = ids;
    this.labelNames = Object.keys(decl.labels);
    this.closed = this.labelNames.map((n) => {
      const spec = decl.labels[n];
      return spec === String || spec === undefined ? undefined : new Set(spec as readonly string[]);
    });
  }

  /** The series for these labels, created on first use. Resolve once and keep the handle. */
  with(...args: LabelArgs<D['labels']>): SeriesOf<D> {
    const labels = (args[0] ?? {}) as Readonly<Record<string, string>>;
    const values: string[] = [];
    for (const name of this.labelNames) {
      const v = labels[name];
      if (typeof v !== 'string') throw new LabelError(`${this.decl.name}: label "${name}" is missing (labels: ${this.labelNames.join(', ')})`);
      values.push(v);
    }
    for (const name of Object.keys(labels)) {
      if (!this.labelNames.includes(name)) {
        throw new LabelError(`${this.decl.name}: unknown label "${name}" (labels: ${this.labelNames.join(', ') || 'none'})`);
      }
    }
    return this.withValues(values);
  }

  /** The series for label values given in label-name order; checked at runtime. */
  withValues(values: readonly string[]): SeriesOf<D> {
    if (values.length !== this.labelNames.length) {
      throw new LabelError(`${this.decl.name}: expected ${this.labelNames.length} label values, got ${values.length}`);
    }
    // NUL joins the key, and no value may hold one (checked below before a series is created), so two
    // different label sets never share a key.
    const key = values.length === 0 ? '' : values.length === 1 ? (values[0] as string) : values.join('\u0000');
    const found = this.byKey.get(key);
    if (found !== undefined) return found;
    for (let i = 0; i < values.length; i++) {
      const allowed = this.closed[i];
      const v = values[i] as string;
      if (v.includes('\u0000')) throw new LabelError(`${this.decl.name}: label "${this.labelNames[i]}" value contains a NUL character`);
      if (allowed !== undefined && !allowed.has(v)) {
        throw new LabelError(`${this.decl.name}: label "${this.labelNames[i]}" has no value "${v}" (expected one of ${[...allowed].join(', ')})`);
      }
    }
    const limit = this.ids.limit();
    if (limit > 0 && this.series.length - (this.overflowSeries === undefined ? 0 : 1) >= limit) return this.fold(values);
    return this.add(key, Object.freeze([...values]));
  }

  /**
   * A handle for `values` that is never exported and never expires: what a source updates for an input it
   * reads but does not report (an offline CPU's slot of a per-CPU map). Its id is -1.
   */
  detached(values: readonly string[]): SeriesOf<D> {
    return this.create(Object.freeze([...values]), -1);
  }

  /** The overflow series, if label sets have been folded into it and it has not been swept since. */
  get overflow(): SeriesOf<D> | undefined {
    return this.overflowSeries;
  }

  private add(key: string, values: readonly string[]): SeriesOf<D> {
    const series = this.create(values);
    this.byKey.set(key, series);
    this.series.push(series);
    this.ids.changed();
    return series;
  }

  /** A folded handle for `values`, which passes its updates on to the overflow series (overflow.ts). */
  private fold(values: readonly string[]): SeriesOf<D> {
    this.ids.folded(this, values);
    const labels = Object.freeze([...values]);
    const d: StatDecl = this.decl;
    let s: Series;
    if (d.kind === 'counter') s = new FoldedCounter(labels, () => this.overflowTarget() as CounterSeries);
    else if (d.kind === 'gauge') s = new FoldedGauge(labels, () => this.overflowTarget() as GaugeSeries);
    else s = new FoldedHistogram(labels, d.buckets, () => this.overflowTarget() as HistogramSeries);
    return s as SeriesOf<D>;
  }

  private overflowTarget(): SeriesOf<D> {
    if (this.overflowSeries === undefined) {
      const values = Object.freeze(this.labelNames.map(() => OVERFLOW_LABEL_VALUE));
      // Created past the limit on purpose: the cap is the family's own series plus this one.
      this.overflowSeries = this.byKey.get(values.join('\u0000')) ?? this.add(values.join('\u0000'), values);
    }
    return this.overflowSeries;
  }

  /**
   * Removes a series (a CPU went offline, a layer was deleted). Returns whether it existed. Its id goes to
   * the next series created; a handle still held for it keeps working but is no longer exported.
   */
  remove(values: readonly string[]): boolean {
    const key = values.join('\u0000');
    const found = this.byKey.get(key);
    if (found === undefined) return false;
    this.byKey.delete(key);
    this.series.splice(this.series.indexOf(found), 1);
    this.forget(found);
    this.ids.changed();
    return true;
  }

  /**
   * Ages the series by one successful collection of their source: a series updated (or touched) since the
   * last sweep starts over; one not reported for `grace` sweeps in a row is removed, as by `remove`. Returns
   * how many were removed. Called by `SeriesLifetime` (lifetime.ts), not by sources.
   */
  sweep(grace: number): number {
    const list = this.series;
    let kept = 0;
    for (let i = 0; i < list.length; i++) {
      const s = list[i] as SeriesOf<D>;
      if (s.reported) {
        s.reported = false;
        s.missed = 0;
      } else if (++s.missed >= grace) {
        this.byKey.delete(s.labelValues.join('\u0000'));
        this.forget(s);
        continue;
      }
      list[kept++] = s;
    }
    const removed = list.length - kept;
    if (removed === 0) return 0;
    list.length = kept;
    this.ids.changed();
    return removed;
  }

  private forget(s: SeriesOf<D>): void {
    s.removed = true;
    if (s === this.overflowSeries) this.overflowSeries = undefined;
    this.ids.release(s.id);
  }

  private create(values: readonly string[], detachedId?: number): SeriesOf<D> {
    const id = detachedId ?? this.ids.take();
    const serial = detachedId === undefined ? this.ids.serial() : 0;
    const created = Date.now() / 1000;
    const d: StatDecl = this.decl;
    let s: Series;
    if (d.kind === 'counter') s = new CounterSeries(id, serial, values, created);
    else if (d.kind === 'gauge') s = new GaugeSeries(id, serial, values, created);
    else s = new HistogramSeries(id, serial, values, created, (d).buckets);
    return s as SeriesOf<D>;
  }
}
