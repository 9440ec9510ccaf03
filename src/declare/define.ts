/**
 * The declaration API. A stat is declared once, as a property of a `defineStats` call:
 *
 * ```ts
 * export const rusty = defineStats({
 *   name: 'rusty',
 *   help: 'scx_rusty BPF stats',
 *   stats: {
 *     dispatched_tasks: counter({ help: 'Tasks dispatched, by path', labels: { type: ['wsync', 'prev_idle'] } }),
 *     slice_length: gauge({ help: 'Time slice', unit: 'seconds' }),
 *   },
 * });
 * ```
 *
 * `const` type parameters keep closed label values as literal types, so `with({ type: 'wsycn' })` on a handle
 * is a compile error, and so is a misspelt label name.
 */
import { DeclarationError, checkLabelName, familyName } from './naming.js';
import type {
  CounterDecl,
  GaugeDecl,
  HistogramDecl,
  LabelSpec,
  MetricKind,
  SourceRef,
  StatDecl,
  StatSet,
  Unit,
} from './types.js';

/** No labels. */
export type NoLabels = Readonly<Record<never, never>>;

/** Options every kind takes. */
export interface StatOptions<L extends LabelSpec> {
  /** One line of help text: what is counted, in the words an operator would search for. */
  readonly help: string;
  /** Base unit; becomes the name suffix. Default: none (a plain count). */
  readonly unit?: Unit;
  /** Label names and their values (a closed list, or `String` for any value). Default: none. */
  readonly labels?: L;
  /** Where the number lives, for the source that reads it. */
  readonly from?: SourceRef;
}

/** Histogram options: explicit bucket bounds, or `log2Buckets(n)`. */
export interface HistogramOptions<L extends LabelSpec> extends StatOptions<L> {
  readonly buckets: readonly number[] | Log2Buckets;
}

/**
 * Bucket bounds 2^0 .. 2^maxExponent times `scale`: the shape a BPF log2 histogram (slot = ceil(log2(value)))
 * fills with integers.
 */
export interface Log2Buckets {
  readonly shape: 'log2';
  readonly bounds: readonly number[];
  /** The declared unit's value of one recorded integer (1e-9 for ns recorded into a `seconds` histogram). */
  readonly scale: number;
}

/**
 * Buckets with upper bounds 1, 2, 4, ... 2^maxExponent, each times `scale`. A producer that records integers
 * (a BPF program) counts value v in the first bucket i with 2^i >= v, and +Inf above 2^maxExponent; `scale`
 * converts its integers to the stat's unit, for the bounds and for the sum. A `seconds` histogram fed with
 * nanoseconds: `log2Buckets(35, { scale: 1e-9 })`; scx_layered's 1 µs .. 32 s run-queue latency buckets:
 * `log2Buckets(25, { scale: 1e-6 })`.
 */
export function log2Buckets(maxExponent: number, opts: { readonly scale?: number } = {}): Log2Buckets {
  if (!Number.isInteger(maxExponent) || maxExponent < 0 || maxExponent > 63) {
    throw new DeclarationError(`log2Buckets: maxExponent must be an integer 0..63, got ${maxExponent}`);
  }
  const scale = opts.scale ?? 1;
  if (!(scale > 0) || !Number.isFinite(scale)) throw new DeclarationError(`log2Buckets: scale must be a finite number > 0, got ${scale}`);
  const bounds: number[] = [];
  for (let i = 0; i <= maxExponent; i++) bounds.push(2 ** i * scale);
  return { shape: 'log2', bounds, scale };
}


/** Declares a monotonic counter. Exposed as `<name>_total`. */
export function counter<const L extends LabelSpec = NoLabels>(opts: StatOptions<L>): CounterDecl<NoInfer<L>> {
  return base('counter', opts);
}

/** Declares a gauge: a level that can go up and down. */
export function gauge<const L extends LabelSpec = NoLabels>(opts: StatOptions<L>): GaugeDecl<NoInfer<L>> {
  return base('gauge', opts);
}

/** Declares a histogram with explicit bucket bounds or log2 buckets. */
export function histogram<const L extends LabelSpec = NoLabels>(opts: HistogramOptions<L>): HistogramDecl<NoInfer<L>> {
  if (Array.isArray(opts.buckets)) {
    return { ...base('histogram', opts), buckets: [...(opts.buckets as readonly number[])], bucketShape: 'explicit', bucketScale: 1 };
  }
  const log2 = opts.buckets as Log2Buckets;
  return { ...base('histogram', opts), buckets: [...log2.bounds], bucketShape: 'log2', bucketScale: log2.scale };
}

function base<K extends MetricKind, L extends LabelSpec>(
  kind: K,
  opts: StatOptions<L>,
): { kind: K; name: string; key: string; help: string; unit: Unit; labels: L; from: SourceRef | undefined } {
  // name and key stay empty until defineStats names the stat.
  return { kind, name: '', key: '', help: opts.help, unit: opts.unit ?? '', labels: opts.labels ?? ({} as L), from: opts.from };
}

/** What `defineStats` takes. */
export interface StatSetOptions<S extends Readonly<Record<string, StatDecl>>> {
  /** Short name of the set (`rusty`, `host`). */
  readonly name: string;
  readonly help: string;
  /** Prepended to every stat name with `_`, e.g. `scx_host`. Default: none. */
  readonly prefix?: string;
  readonly stats: S;
}

/**
 * Names a set of declarations and checks every rule once: valid names, label names, closed label values,
 * strictly increasing buckets, no two stats exposing the same family.
 */
export function defineStats<const S extends Readonly<Record<string, StatDecl>>>(
  opts: StatSetOptions<S>,
): StatSet<S> {
  const stats: Record<string, StatDecl> = {};
  const seen = new Map<string, string>();
  for (const [key, draft] of Object.entries(opts.stats)) {
    const name = familyName(opts.prefix ?? '', key, draft.kind, draft.unit);
    const clash = seen.get(name);
    if (clash !== undefined) throw new DeclarationError(`stats "${clash}" and "${key}" both expose "${name}"`);
    seen.set(name, key);
    checkLabels(key, draft.labels);
    if (draft.kind === 'histogram') checkBuckets(key, draft.buckets);
    stats[key] = Object.freeze({ ...draft, key, name }) as StatDecl;
  }
  return Object.freeze({ name: opts.name, help: opts.help, stats: Object.freeze(stats) }) as unknown as StatSet<S>;
}

function checkLabels(key: string, labels: LabelSpec): void {
  for (const [label, values] of Object.entries(labels)) {
    checkLabelName(key, label);
    if (values === String) continue;
    if (!Array.isArray(values) || values.length === 0) {
      throw new DeclarationError(`stat "${key}": label "${label}" needs a non-empty list of values or String`);
    }
    if (new Set(values).size !== values.length) {
      throw new DeclarationError(`stat "${key}": label "${label}" lists a value twice`);
    }
  }
}

function checkBuckets(key: string, buckets: readonly number[]): void {
  if (buckets.length === 0) throw new DeclarationError(`stat "${key}": a histogram needs at least one bucket`);
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i] as number;
    if (!Number.isFinite(b)) throw new DeclarationError(`stat "${key}": bucket ${i} is ${b}, expected a finite number`);
    if (i > 0 && b <= (buckets[i - 1] as number)) {
      throw new DeclarationError(`stat "${key}": buckets must increase strictly (bucket ${i} is ${b})`);
    }
  }
}

/** The closed values of a label, or undefined when the label is open. */
export function closedValues(decl: StatDecl, label: string): readonly string[] | undefined {
  const spec = decl.labels[label];
  return spec === undefined || spec === String ? undefined : (spec as readonly string[]);
}
