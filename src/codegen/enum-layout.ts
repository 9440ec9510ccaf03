/**
 * The enum layout as the C header prints it: the slots of one per-CPU u64 stats map, taken from the BPF
 * source's own `enumEntries`/`planMaps` (src/sources/bpf/layout.ts: the ONE rule for which slot a stat and
 * label value occupies), plus what only C needs: an identifier per slot, checked for collisions, and the list
 * of declared stats that are not slots of the map, with the reason.
 *
 * The rule (layout.ts): stats whose `from` is a `statsIndex()` reference of the map, in declaration order,
 * each taking the next index unless it names one; closed labels expand to one slot per combination, first
 * label outermost; max_entries is the refs' `entries` or one past the highest slot. A log2 histogram series
 * takes a run of slots: `<series>_B0` .. `_B<n>` (bucket i holds values v with 2^(i-1) < v <= 2^i, the last
 * everything above the highest bound) and then `<series>_SUM`.
 */
import { DeclarationError } from '../declare/naming.js';
import type { StatDecl, StatSet } from '../declare/types.js';
import { enumEntries, planMaps } from '../bpf-layout/layout.js';
import { isBpfRef } from '../bpf-layout/ref.js';

/** One slot of the enum. */
export interface EnumSlot {
  /** The slot index: the enum value and the map key. */
  readonly index: number;
  readonly stat: StatDecl;
  /** Label values in the stat's label order (empty for an unlabelled stat). */
  readonly labelValues: readonly string[];
  /**
   * Upper-case C identifier suffix: the stat key, then each label value (`DISPATCHED_TASKS_WSYNC`); for a
   * histogram's slots, then `_B<bucket>` or `_SUM`.
   */
  readonly cName: string;
  /** For a histogram's slots: which bucket (0 .. bounds; `bounds` is +Inf), or `sum`. */
  readonly part: number | 'sum' | undefined;
}

/** One histogram series of the enum: its run of slots, for the header's per-series helper. */
export interface EnumHistogram {
  readonly stat: StatDecl & { readonly kind: 'histogram' };
  readonly labelValues: readonly string[];
  /** The series' C name suffix without the slot part (`RUNQ_LAT_BATCH`). */
  readonly cName: string;
  /** The slot of bucket 0; buckets follow, then the sum. */
  readonly first: EnumSlot;
  /** Declared bounds; bucket `bounds` is +Inf and the sum slot is first.index + bounds + 1. */
  readonly bounds: number;
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
  /** The histogram series among the slots, in slot order. */
  readonly histograms: readonly EnumHistogram[];
  /** max_entries of the map. */
  readonly entries: number;
  readonly skipped: readonly SkippedStat[];
}

/** Thrown when the set cannot be laid out (also wraps the BPF layout's DeclarationErrors). */
export class LayoutError extends Error {
  override name = 'LayoutError';
}

const DEFAULT_MAP = 'stats';

/** Upper-case C identifier part: letters, digits and `_`. */
export function cIdent(text: string): string {
  return text.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}

/** Why a stat is not a slot of `map`, or undefined when it is one. */
function notASlot(d: StatDecl, map: string): string | undefined {
  const ref = d.from;
  if (ref === undefined) return 'no `from`; give it `from: statsIndex()` to make it a slot of the stats map';
  if (!isBpfRef(ref)) return `read by the ${ref.source} source, not from a BPF map`;
  if (ref.layout !== 'percpu_array') return `a ${ref.layout} BPF reference (map "${ref.map}"), not a stats-enum slot`;
  if (ref.map !== map) return `a slot of map "${ref.map}", not "${map}"`;
  return undefined;
}

/** The per-CPU array maps a set's stats name, in order of first mention. */
export function enumMaps(set: StatSet): string[] {
  const out: string[] = [];
  for (const d of Object.values(set.stats)) {
    if (isBpfRef(d.from) && d.from.layout === 'percpu_array' && !out.includes(d.from.map)) out.push(d.from.map);
  }
  return out;
}

/**
 * Lays out the stats-enum map `map` of a set (default: the first per-CPU array map its stats name, else
 * `stats`). Throws LayoutError for declarations the BPF layout rejects and for colliding C names.
 */
export function enumLayout(set: StatSet, opts: { map?: string } = {}): EnumLayout {
  const map = opts.map ?? enumMaps(set)[0] ?? DEFAULT_MAP;
  let entries;
  let maxEntries = 0;
  try {
    entries = enumEntries(set, map);
    maxEntries = planMaps(set).find((p) => p.name === map && p.layout === 'percpu_array')?.shape.maxEntries ?? 0;
  } catch (err) {
    if (err instanceof DeclarationError) throw new LayoutError(err.message);
    throw err;
  }
  const slots: EnumSlot[] = [];
  const histograms: EnumHistogram[] = [];
  const byName = new Map<string, EnumSlot>();
  const add = (slot: EnumSlot): EnumSlot => {
    const clash = byName.get(slot.cName);
    if (clash !== undefined) throw new LayoutError(`stats "${describe(clash)}" and "${describe(slot)}" both become the C name ${slot.cName}`);
    byName.set(slot.cName, slot);
    slots.push(slot);
    return slot;
  };
  for (const e of entries) {
    const cName = [cIdent(e.decl.key), ...e.labelValues.map(cIdent)].join('_');
    const base = { stat: e.decl, labelValues: e.labelValues };
    if (e.decl.kind !== 'histogram') {
      add({ ...base, index: e.index, cName, part: undefined });
      continue;
    }
    const bounds = e.decl.buckets.length;
    const first = add({ ...base, index: e.index, cName: `${cName}_B0`, part: 0 });
    for (let b = 1; b <= bounds; b++) add({ ...base, index: e.index + b, cName: `${cName}_B${b}`, part: b });
    add({ ...base, index: e.index + bounds + 1, cName: `${cName}_SUM`, part: 'sum' });
    histograms.push({ stat: e.decl, labelValues: e.labelValues, cName, first, bounds });
  }
  const skipped: SkippedStat[] = [];
  for (const stat of Object.values(set.stats)) {
    const reason = notASlot(stat, map);
    if (reason !== undefined) skipped.push({ stat, reason });
  }
  return { set, map, slots, histograms, entries: maxEntries, skipped };
}

function describe(s: EnumSlot): string {
  const labels = Object.keys(s.stat.labels);
  const series = s.labelValues.length === 0 ? s.stat.key : `${s.stat.key}{${s.labelValues.map((v, i) => `${labels[i]}=${v}`).join(',')}}`;
  return s.part === undefined ? series : `${series} ${s.part === 'sum' ? 'sum' : `bucket ${s.part}`}`;
}
