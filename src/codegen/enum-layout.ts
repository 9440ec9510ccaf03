/**
 * The enum layout: how a set of declarations maps onto a per-CPU array of u64 indexed by a C enum (the layout
 * of scx_rusty's, scx_nest's and scx_flatcg's `stats` maps). This is the ONE place that decides which slot a
 * stat and label value occupies: the C header generator prints it, and a reader of the map must use it too,
 * so the BPF side and user space cannot drift.
 *
 * Rules (the same the BPF source's `statsIndex()` references document): declaration order; counters and
 * gauges only; a stat with closed labels takes one slot per combination of values, labels in declaration
 * order and the last label varying fastest (first label outermost); a ref's explicit `index` places the
 * stat's first slot there and the next stat continues after it; the map has `entries` slots when a ref says
 * so, else one past the highest slot. A stat without `from` is a slot of whichever map is laid out (default
 * `stats`): a new scheduler's declarations need not say where the number lives, this layout decides it.
 *
 * Left out, with a reason: histograms (a histogram needs a bucket array, not one u64), stats with an open
 * label (no fixed number of slots), other BPF layouts (globals, struct fields), other maps, other sources.
 */
import type { StatDecl, StatSet } from '../declare/types.js';

/** One slot of the enum. */
export interface EnumSlot {
  /** The slot index: the enum value and the map key. */
  readonly index: number;
  readonly stat: StatDecl;
  /** Label values in the stat's label order (empty for an unlabelled stat). */
  readonly labelValues: readonly string[];
  /** Upper-case C identifier suffix: the stat key, then each label value (`DISPATCHED_TASKS_WSYNC`). */
  readonly cName: string;
}

/** A stat the layout leaves out, and why (printed in the header's comment and by the CLI). */
export interface SkippedStat {
  readonly stat: StatDecl;
  readonly reason: string;
}

export interface EnumLayout {
  readonly set: StatSet;
  /** The map these slots belong to (`stats`). */
  readonly map: string;
  /** Slots in index order (an explicit `index` may leave holes). */
  readonly slots: readonly EnumSlot[];
  /** max_entries of the map: a ref's `entries`, else one past the highest slot. */
  readonly entries: number;
  readonly skipped: readonly SkippedStat[];
  /** The slot of a stat and its label values (in label order); undefined when it has none. */
  indexOf(stat: StatDecl, labelValues?: readonly string[]): number | undefined;
}

/** Thrown when two slots would get the same index or C name, or `entries` is too small. */
export class LayoutError extends Error {
  override name = 'LayoutError';
}

/** The fields of the BPF source's `statsIndex()` reference this layout reads (see src/sources/bpf/ref.ts). */
interface StatsIndexRef {
  readonly source: 'bpf';
  readonly layout?: string;
  readonly map?: string;
  readonly index?: number;
  readonly entries?: number;
}

const DEFAULT_MAP = 'stats';

/**
 * Where a stat is, as far as this layout cares: a slot of `map` (undefined: no `from`, so a slot of whichever
 * map is laid out), or why it is not a slot at all.
 */
function placement(d: StatDecl): { map: string | undefined; ref: StatsIndexRef | undefined } | string {
  if (d.from === undefined) return { map: undefined, ref: undefined };
  if (d.from.source !== 'bpf') return `read by the ${d.from.source} source, not from a stats map`;
  const ref = d.from as StatsIndexRef;
  if (ref.layout !== 'percpu_array') return `a ${ref.layout ?? 'non-array'} BPF reference, not a stats-map slot`;
  return { map: ref.map ?? DEFAULT_MAP, ref };
}

/** Upper-case C identifier part: letters, digits and `_`. */
export function cIdent(text: string): string {
  return text.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}

/**
 * Lays a set out as an enum-indexed per-CPU u64 array: the stats of `map` (default: the first stats-map
 * slot's map, else `stats`). Throws LayoutError on overlapping indices, colliding C names or too few entries.
 */
export function enumLayout(set: StatSet, opts: { map?: string } = {}): EnumLayout {
  const decls = Object.values(set.stats);
  const map = opts.map ?? firstMap(decls) ?? DEFAULT_MAP;
  const slots: EnumSlot[] = [];
  const skipped: SkippedStat[] = [];
  const byName = new Map<string, EnumSlot>();
  const byIndex = new Map<number, EnumSlot>();
  const byKey = new Map<string, number>();
  let next = 0;
  let entries: number | undefined;
  for (const stat of decls) {
    const place = placement(stat);
    if (typeof place === 'string') {
      skipped.push({ stat, reason: place });
      continue;
    }
    if (place.map !== undefined && place.map !== map) {
      skipped.push({ stat, reason: `a slot of map "${place.map}", not "${map}"` });
      continue;
    }
    if (stat.kind === 'histogram') {
      skipped.push({ stat, reason: 'a histogram needs a bucket array, not one u64 slot' });
      continue;
    }
    const labels = Object.entries(stat.labels);
    const open = labels.find(([, v]) => v === String);
    if (open !== undefined) {
      skipped.push({ stat, reason: `label "${open[0]}" has open values, so the number of slots is not fixed` });
      continue;
    }
    if (place.ref?.entries !== undefined) entries = Math.max(entries ?? 0, place.ref.entries);
    let index = place.ref?.index ?? next;
    for (const values of combinations(labels.map(([, v]) => v as readonly string[]))) {
      const cName = [cIdent(stat.key), ...values.map(cIdent)].join('_');
      const slot: EnumSlot = { index, stat, labelValues: values, cName };
      const taken = byIndex.get(index);
      if (taken !== undefined) throw new LayoutError(`stats "${describe(taken.stat, taken.labelValues)}" and "${describe(stat, values)}" both take slot ${index} of map "${map}"`);
      const clash = byName.get(cName);
      if (clash !== undefined) throw new LayoutError(`stats "${describe(clash.stat, clash.labelValues)}" and "${describe(stat, values)}" both become the C name ${cName}`);
      byIndex.set(index, slot);
      byName.set(cName, slot);
      byKey.set(slotKey(stat, values), index);
      slots.push(slot);
      index++;
    }
    next = index;
  }
  slots.sort((a, b) => a.index - b.index);
  const needed = slots.length === 0 ? 0 : (slots[slots.length - 1] as EnumSlot).index + 1;
  if (entries !== undefined && entries < needed) throw new LayoutError(`map "${map}" is declared with ${entries} entries but its stats use slots up to ${needed - 1}`);
  return {
    set,
    map,
    slots,
    entries: entries ?? needed,
    skipped,
    indexOf: (stat, labelValues = []) => byKey.get(slotKey(stat, labelValues)),
  };
}

/** The map named by the first stat that names one. */
function firstMap(decls: readonly StatDecl[]): string | undefined {
  for (const d of decls) {
    const p = placement(d);
    if (typeof p !== 'string' && p.map !== undefined) return p.map;
  }
  return undefined;
}

function slotKey(stat: StatDecl, values: readonly string[]): string {
  return [stat.key, ...values].join('\u0000');
}

function describe(stat: StatDecl, values: readonly string[]): string {
  const labels = Object.keys(stat.labels);
  return values.length === 0 ? stat.key : `${stat.key}{${values.map((v, i) => `${labels[i]}=${v}`).join(',')}}`;
}

/** Every combination of one value per list, the last list varying fastest. One empty combination for none. */
function combinations(lists: readonly (readonly string[])[]): string[][] {
  let out: string[][] = [[]];
  for (const list of lists) out = out.flatMap((prefix) => list.map((v) => [...prefix, v]));
  return out;
}
