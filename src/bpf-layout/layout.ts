/**
 * From declarations to a read plan: which maps a stat set reads, the shape each map must have, and where each
 * series' number sits (enum index, struct offset, global variable). Pure: no syscalls, so declaration
 * mistakes surface when a profile is loaded, before any map is opened.
 */
import { DeclarationError } from '../declare/naming.js';
import type { HistogramDecl, StatDecl, StatSet } from '../declare/types.js';
import { MapType } from './map-type.js';
import { type BpfField, type BpfLayout, type BpfRef, isBpfRef } from './ref.js';

/** One number the source reads: a stat with one combination of its label values. */
export interface Entry {
  readonly decl: StatDecl;
  /** Label values in the declaration's label order (without the `cpu` label the source may add). */
  readonly labelValues: readonly string[];
  /** percpu_array: the enum index (a histogram's first bucket slot). */
  readonly index: number;
  /**
   * percpu_array: consecutive u64 slots from `index`. 1, except a histogram: one slot per bucket (the declared
   * bounds, then +Inf; each holds the count of values in that bucket alone) and then one for the sum, in the
   * integers the BPF program recorded (see histogramSlots).
   */
  readonly width: number;
  /** percpu_struct/global: the byte offset (global: a fallback until BTF resolves it; arena: -1, BTF only). */
  readonly offset: number;
  /** global: the variable name; arena: the variable and member path (`qa.nr_enqueued`). */
  readonly variable: string | undefined;
  readonly field: BpfField;
}

/** The shape a map must have; `valueSize` is a minimum for globals (other variables share the section). */
export interface MapShape {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  /** Undefined: any (an arena's size in pages is the scheduler's choice). */
  readonly maxEntries: number | undefined;
  readonly valueSizeIsMinimum: boolean;
}

/** One map a stat set reads. */
export interface MapPlan {
  /** Name as the BPF object defines it; for globals the section (`.bss`). */
  readonly name: string;
  readonly layout: BpfLayout;
  readonly shape: MapShape;
  readonly entries: readonly Entry[];
}

export const FIELD_BYTES: Readonly<Record<BpfField, number>> = { u64: 8, s64: 8, u32: 4 };

/** Every combination of a stat's closed label values, first label outermost (the enum order). */
export function labelCombinations(decl: StatDecl, allowOpen = false): string[][] {
  let combos: string[][] = [[]];
  for (const [label, spec] of Object.entries(decl.labels)) {
    if (spec === String) {
      if (allowOpen) continue;
      throw new DeclarationError(`stat "${decl.key}": label "${label}" is open (String); a BPF stats enum needs closed label values`);
    }
    const values = spec as readonly string[];
    combos = combos.flatMap((c) => values.map((v) => [...c, v]));
  }
  return combos;
}

/** Slots a stats-enum histogram series takes: its bounds, +Inf, and the sum. */
export function histogramSlots(decl: HistogramDecl): number {
  return decl.buckets.length + 2;
}

/**
 * The bucket the generated header's stat_log2_bucket gives a recorded integer, for readers and tests: the
 * first i with 2^i >= value (0 for 0 and 1), or `nrBounds` (+Inf) above 2^(nrBounds - 1). The same rule as
 * HistogramSeries.observe on the bounds 2^i: value v counts in the first bucket whose bound is >= v.
 */
export function log2Bucket(value: bigint, nrBounds: number): number {
  if (value <= 1n) return 0;
  const ceil = (value - 1n).toString(2).length; // floor(log2(value - 1)) + 1
  return Math.min(ceil, nrBounds);
}

/** Slots one series of a stat takes in a stats enum; throws for histograms the enum cannot hold. */
function slotWidth(decl: StatDecl): number {
  if (decl.kind !== 'histogram') return 1;
  if (decl.bucketShape !== 'log2') {
    throw new DeclarationError(
      `stat "${decl.key}": a BPF stats enum holds log2 histograms only (buckets: log2Buckets(maxExponent, { scale }), ` +
        'which the generated stat_hist helper fills); explicit bucket bounds cannot be computed in BPF',
    );
  }
  return histogramSlots(decl);
}

/**
 * The stats enum of one per-CPU array map in a set, in index order: what the BPF side's `enum` must list.
 * Header generation and the source both use this, so the two cannot disagree. A histogram series takes a
 * run of `width` slots (histogramSlots); closed labels expand it as they do a counter.
 */
export function enumEntries(set: StatSet, map = 'stats'): Entry[] {
  const out: Entry[] = [];
  let next = 0;
  for (const decl of Object.values(set.stats)) {
    const ref = decl.from;
    if (!isBpfRef(ref) || ref.layout !== 'percpu_array' || ref.map !== map) continue;
    const width = slotWidth(decl);
    const start = ref.index ?? next;
    if (!Number.isInteger(start) || start < 0) throw new DeclarationError(`stat "${decl.key}": enum index ${start} is not an integer >= 0`);
    const combos = labelCombinations(decl);
    combos.forEach((labelValues, i) => out.push({ decl, labelValues, index: start + i * width, width, offset: 0, variable: undefined, field: 'u64' }));
    next = start + combos.length * width;
  }
  const seen = new Map<number, string>();
  for (const e of out) {
    for (let k = e.index; k < e.index + e.width; k++) {
      const other = seen.get(k);
      if (other !== undefined) throw new DeclarationError(`map "${map}": enum index ${k} is used by both "${other}" and "${e.decl.key}"`);
      seen.set(k, e.decl.key);
    }
  }
  return out.sort((a, b) => a.index - b.index);
}

/** The maps a set reads and where each number sits. Throws DeclarationError for refs that cannot work. */
export function planMaps(set: StatSet): MapPlan[] {
  const byMap = new Map<string, { layout: BpfLayout; refs: { decl: StatDecl; ref: BpfRef }[] }>();
  for (const decl of Object.values(set.stats)) {
    const ref = decl.from;
    if (!isBpfRef(ref)) continue;
    const group = byMap.get(ref.map);
    if (group === undefined) byMap.set(ref.map, { layout: ref.layout, refs: [{ decl, ref }] });
    else if (group.layout !== ref.layout) {
      throw new DeclarationError(`stat "${decl.key}": map "${ref.map}" is read as ${group.layout} by other stats, not ${ref.layout}`);
    } else group.refs.push({ decl, ref });
  }
  const plans: MapPlan[] = [];
  for (const [name, { layout, refs }] of byMap) {
    if (layout === 'percpu_array') plans.push(planEnum(set, name, refs.map((r) => r.ref)));
    else plans.push(planFields(name, layout, refs));
  }
  return plans;
}

function planEnum(set: StatSet, name: string, refs: readonly BpfRef[]): MapPlan {
  const entries = enumEntries(set, name);
  const used = entries.length === 0 ? 0 : Math.max(...entries.map((e) => e.index + e.width));
  const declared = refs.map((r) => r.entries).filter((n): n is number => n !== undefined);
  const maxEntries = declared.length > 0 ? Math.max(...declared) : used;
  if (maxEntries < used) throw new DeclarationError(`map "${name}": entries ${maxEntries} is fewer than the ${used} the stats use`);
  return {
    name,
    layout: 'percpu_array',
    shape: { type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries, valueSizeIsMinimum: false },
    entries,
  };
}

function planFields(name: string, layout: BpfLayout, refs: readonly { decl: StatDecl; ref: BpfRef }[]): MapPlan {
  const entries: Entry[] = [];
  let valueSize: number | undefined;
  let end = 0;
  for (const { decl, ref } of refs) {
    if (decl.kind === 'histogram') throw new DeclarationError(`stat "${decl.key}": histograms are not read from ${layout} maps`);
    if (Object.keys(decl.labels).length > 0) {
      throw new DeclarationError(`stat "${decl.key}": a ${layout} field is one number; labels are not supported there`);
    }
    const field = ref.field ?? 'u64';
    if (layout === 'percpu_struct') {
      if (ref.valueSize === undefined || ref.offset === undefined) {
        throw new DeclarationError(`stat "${decl.key}": a percpu_struct reference needs valueSize and offset`);
      }
      if (valueSize !== undefined && valueSize !== ref.valueSize) {
        throw new DeclarationError(`stat "${decl.key}": map "${name}" value size ${ref.valueSize} differs from ${valueSize} given by another stat`);
      }
      valueSize = ref.valueSize;
      if (ref.offset < 0 || ref.offset + FIELD_BYTES[field] > ref.valueSize) {
        throw new DeclarationError(`stat "${decl.key}": offset ${ref.offset} (${field}) lies outside the ${ref.valueSize}-byte value`);
      }
    } else if (ref.variable === undefined || ref.variable === '') {
      throw new DeclarationError(`stat "${decl.key}": a ${layout} reference needs the variable name`);
    } else if (layout === 'arena' && ref.variable.split('.').some((part) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(part))) {
      throw new DeclarationError(`stat "${decl.key}": arena path "${ref.variable}" is not a C variable and member path like qa.nr_enqueued`);
    }
    const offset = ref.offset ?? -1;
    if (offset >= 0) end = Math.max(end, offset + FIELD_BYTES[field]);
    entries.push({ decl, labelValues: [], index: 0, width: 1, offset, variable: ref.variable, field });
  }
  const shape: MapShape =
    layout === 'percpu_struct'
      ? { type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: valueSize ?? 0, maxEntries: 1, valueSizeIsMinimum: false }
      : layout === 'arena'
        ? { type: MapType.ARENA, keySize: 0, valueSize: 0, maxEntries: undefined, valueSizeIsMinimum: false }
        : { type: MapType.ARRAY, keySize: 4, valueSize: end, maxEntries: 1, valueSizeIsMinimum: true };
  return { name, layout, shape, entries };
}

/** Whether a map's name is the one a plan reads: exact, or `<object>.bss` for a `.bss` section. */
export function nameMatches(plan: MapPlan, mapName: string): boolean {
  if (plan.layout === 'global') return mapName === plan.name || mapName.endsWith(plan.name);
  return mapName === plan.name;
}
