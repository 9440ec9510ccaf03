/**
 * Meta-driven export: turns a planned `stats_meta` (meta.ts) and an optional typing overlay into
 * declarations built at run time with `defineStats`, registers them, and applies each `stats` response.
 *
 * Names: every number keeps the gauge name scxstats_to_openmetrics.py gives it (`_om_prefix` + field, labels
 * from `_om_label`s, dict keys as values), so existing queries keep working. An overlay adds counters under
 * `scx_<scheduler>_…_total` (per-interval counts accumulated with `inc`, running totals with `absolute`,
 * percentages turned back into counts). A response is checked completely before anything is applied, so a
 * malformed one changes nothing.
 */
import { counter, defineStats, gauge } from '../../declare/define.js';
import { DeclarationError, familyName } from '../../declare/naming.js';
import type { LabelSpec, StatDecl, StatSet, Unit } from '../../declare/types.js';
import type { CounterSeries, Family, GaugeSeries, Registry } from '../../registry/index.js';
import type { MetaPlan, PlannedStruct } from './meta.js';
import type { ScxOverlay, StructOverlay } from './overlays/types.js';
import { ScxStatsProtocolError, typeName } from './protocol.js';

export interface ExportOptions {
  readonly overlay?: ScxOverlay | undefined;
  /** Leave out the gauges of fields the overlay turns into counters (counts and shares). Default false. */
  readonly typedOnly?: boolean;
  /** Where the stats come from, for help texts (the socket path). */
  readonly origin?: string;
}

/** One declaration: which table it is built in and under what key; `decl` is set once defineStats has named it. */
interface Slot<D extends StatDecl> {
  readonly table: 'gauges' | 'counters';
  readonly key: string;
  decl: D | undefined;
  family: Family | undefined;
}

interface CountBinding {
  readonly slot: Slot<StatDecl>;
  readonly index: number;
  readonly scale: number;
  readonly cumulative: boolean;
}

interface NumberNode {
  readonly kind: 'number';
  readonly gauge: Slot<StatDecl> | undefined;
  readonly gaugeIndex: number;
  readonly count: CountBinding | undefined;
  /** Counts and shares cannot be negative. */
  readonly nonNegative: boolean;
}

interface StringNode {
  readonly kind: 'string';
  readonly slot: Slot<StatDecl>;
  readonly index: number;
}

interface DictNode {
  readonly kind: 'dict';
  readonly index: number;
  readonly child: StructNode;
}

type Node = NumberNode | StringNode | DictNode;

interface ShareEntry {
  readonly field: string;
  readonly slot: Slot<StatDecl>;
  readonly index: number;
  /** Label value under a group counter; undefined for a counter of its own. */
  readonly labelValue: string | undefined;
}

interface ShareNode {
  readonly of: string;
  readonly scale: number;
  readonly entries: readonly ShareEntry[];
}

interface StructNode {
  readonly name: string;
  readonly fields: ReadonlyMap<string, Node>;
  readonly shares: readonly ShareNode[];
  nGauges: number;
  nCounters: number;
  nStrings: number;
  nDicts: number;
}

/** The series of one struct instance (the top, or one dict entry), resolved on first use. */
class Instance {
  readonly gauges: (GaugeSeries | undefined)[];
  readonly counters: (CounterSeries | undefined)[];
  readonly infos: (GaugeSeries | undefined)[];
  readonly infoValues: (string | undefined)[];
  readonly dicts: (Map<string, Instance> | undefined)[];
  constructor(
    node: StructNode,
    readonly labels: readonly string[],
  ) {
    this.gauges = new Array<GaugeSeries | undefined>(node.nGauges);
    this.counters = new Array<CounterSeries | undefined>(node.nCounters);
    this.infos = new Array<GaugeSeries | undefined>(node.nStrings);
    this.infoValues = new Array<string | undefined>(node.nStrings);
    this.dicts = new Array<Map<string, Instance> | undefined>(node.nDicts);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class MetaExport {
  /** The declarations, for registration and `describe`. */
  readonly sets: readonly StatSet[];
  /** What is not exported, renamed or untyped, one line each, for `describe` and the log. */
  readonly notes: readonly string[];
  /** Numbers the overlay does not type (exported as gauges). */
  readonly untyped: readonly string[];
  readonly top: string;
  private readonly root: StructNode;
  private readonly slots: Slot<StatDecl>[] = [];
  private instance: Instance | undefined;

  constructor(plan: MetaPlan, opts: ExportOptions = {}) {
    this.top = plan.top;
    const overlay = opts.overlay;
    const origin = opts.origin ?? 'the scx_stats server';
    const gauges: Record<string, StatDecl> = {};
    const counters: Record<string, StatDecl> = {};
    const taken = new Set<string>();
    const notes: string[] = plan.skipped.map((s) => `${s.path}: not exported: ${s.reason}`);
    const untyped: string[] = [];
    const counterPrefix = overlay === undefined ? '' : `scx_${overlay.scheduler}`;

    const addGauge = (omName: string, path: string, help: string, labels: LabelSpec): Slot<StatDecl> | undefined => {
      let key = omName;
      const name = tryName('', key, 'gauge', '') ?? tryName('', (key = `${omName}_value`), 'gauge', '');
      if (name === undefined) {
        notes.push(`${path}: not exported: "${omName}" is not a usable metric name`);
        return undefined;
      }
      if (key !== omName) notes.push(`${path}: exported as "${key}": "${omName}" ends in a suffix OpenMetrics reserves`);
      if (taken.has(name)) {
        notes.push(`${path}: not exported: name "${name}" is already taken`);
        return undefined;
      }
      taken.add(name);
      gauges[key] = gauge({ help, labels });
      return this.slot('gauges', key);
    };

    const addCounter = (key: string, path: string, help: string, labels: LabelSpec, unit: Unit): Slot<StatDecl> | undefined => {
      const name = tryName(counterPrefix, key, 'counter', unit);
      if (name === undefined || taken.has(name)) {
        notes.push(`${path}: no counter: "${counterPrefix}_${key}" ${name === undefined ? 'is not a usable metric name' : 'is already taken'}`);
        return undefined;
      }
      taken.add(name);
      counters[key] = counter({ help, labels, unit });
      return this.slot('counters', key);
    };

    const build = (ps: PlannedStruct): StructNode => {
      const ov: StructOverlay | undefined = overlay?.structs[ps.name];
      const counts = new Map<string, { name: string; help?: string; unit: Unit; scale: number; cumulative: boolean }>();
      for (const c of ov?.counts ?? []) {
        const spec = typeof c === 'string' ? { field: c } : c;
        const f = ps.fields.get(spec.field);
        if (f?.kind !== 'number') continue;
        counts.set(spec.field, { name: spec.name ?? f.omName, help: spec.help, unit: spec.unit ?? '', scale: spec.scale ?? 1, cumulative: spec.cumulative ?? false });
      }
      const shareFields = new Set<string>();
      for (const s of ov?.shares ?? []) for (const f of Object.keys(s.fields)) if (ps.fields.get(f)?.kind === 'number') shareFields.add(f);
      const levels = new Set(ov?.levels ?? []);
      const node: StructNode = { name: ps.name, fields: new Map(), shares: [], nGauges: 0, nCounters: 0, nStrings: 0, nDicts: 0 };
      const fields = node.fields as Map<string, Node>;
      const labelSpec: LabelSpec = Object.fromEntries(ps.labels.map((l) => [l, String]));

      for (const [fname, f] of ps.fields) {
        if (f.kind === 'skipped') continue;
        if (f.kind === 'dict') {
          fields.set(fname, { kind: 'dict', index: node.nDicts++, child: build(f.child) });
          continue;
        }
        const help = f.desc !== undefined && f.desc !== '' ? f.desc : `${f.struct}.${f.field} (no description in stats_meta)`;
        if (f.kind === 'string') {
          const slot = addGauge(f.omName, f.path, `${help} (info: the value is in label ${f.labelName})`, { ...labelSpec, [f.labelName]: String });
          if (slot !== undefined) fields.set(fname, { kind: 'string', slot, index: node.nStrings++ });
          continue;
        }
        const cspec = counts.get(fname);
        const typed = cspec !== undefined || shareFields.has(fname);
        if (overlay !== undefined && !typed && !levels.has(fname)) untyped.push(f.path);
        const gaugeSlot = opts.typedOnly === true && typed ? undefined : addGauge(f.omName, f.path, help, labelSpec);
        let count: CountBinding | undefined;
        if (cspec !== undefined) {
          const kind = cspec.cumulative ? 'running total' : 'per-interval count';
          const slot = addCounter(cspec.name, f.path, `${cspec.help ?? help} (from ${f.struct}.${f.field}, a ${kind})`, labelSpec, cspec.unit);
          if (slot !== undefined) count = { slot, index: node.nCounters++, scale: cspec.scale, cumulative: cspec.cumulative };
        }
        if (gaugeSlot === undefined && count === undefined && !shareFields.has(fname)) continue;
        fields.set(fname, { kind: 'number', gauge: gaugeSlot, gaugeIndex: gaugeSlot === undefined ? -1 : node.nGauges++, count, nonNegative: typed });
      }

      for (const s of ov?.shares ?? []) {
        const of = ps.fields.get(s.of);
        if (of?.kind !== 'number') continue;
        const entries: ShareEntry[] = [];
        const present = Object.entries(s.fields).filter(([f]) => ps.fields.get(f)?.kind === 'number');
        if (present.length === 0) continue;
        if (s.group !== undefined) {
          const g = s.group;
          if (ps.labels.includes(g.label)) {
            notes.push(`${ps.name}: no ${g.name} counter: label "${g.label}" is already used`);
            continue;
          }
          const values = present.map(([, v]) => v);
          const slot = addCounter(g.name, `${ps.name}.{${present.map(([f]) => f).join(',')}}`, `${g.help} (rebuilt from percentages of ${s.of})`, { ...labelSpec, [g.label]: values }, '');
          if (slot === undefined) continue;
          for (const [field, value] of present) entries.push({ field, slot, index: node.nCounters++, labelValue: value });
        } else {
          for (const [field, name] of present) {
            const f = ps.fields.get(field);
            if (f?.kind !== 'number') continue;
            const what = s.scale === 100 ? 'percentage' : 'fraction';
            const help = `${f.desc ?? field} (count rebuilt from the ${what} of ${s.of})`;
            const slot = addCounter(name === '' ? f.omName : name, f.path, help, labelSpec, '');
            if (slot !== undefined) entries.push({ field, slot, index: node.nCounters++, labelValue: undefined });
          }
        }
        if (entries.length > 0) (node.shares as ShareNode[]).push({ of: s.of, scale: s.scale, entries });
      }
      return node;
    };

    this.root = build(plan.root);
    if (untyped.length > 0) notes.push(`not typed by the ${overlay?.scheduler} overlay (exported as gauges): ${untyped.join(', ')}`);
    const sets: StatSet[] = [];
    const gset = defineStats({ name: 'scx_stats', help: `stats of ${plan.top} served at ${origin} (scxstats_to_openmetrics names)`, stats: gauges });
    sets.push(gset);
    const cset =
      Object.keys(counters).length === 0
        ? undefined
        : defineStats({ name: `scx_stats_${overlay?.scheduler}`, help: `counters the ${overlay?.scheduler} overlay derives from ${plan.top}`, prefix: counterPrefix, stats: counters });
    if (cset !== undefined) sets.push(cset);
    // defineStats names and freezes each declaration as a new object; point the slots at those.
    for (const slot of this.slots) slot.decl = (slot.table === 'gauges' ? gset : cset)?.stats[slot.key];
    if (notes.length > 0) sets.push(defineStats({ name: 'scx_stats_not_exported', help: notes.join('; '), stats: {} }));
    this.sets = sets;
    this.notes = notes;
    this.untyped = untyped;
  }

  private slot(table: 'gauges' | 'counters', key: string): Slot<StatDecl> {
    const s: Slot<StatDecl> = { table, key, decl: undefined, family: undefined };
    this.slots.push(s);
    return s;
  }

  /**
   * Registers the declarations. A name already registered by this source (an earlier meta) with the same kind
   * and labels is reused, so series survive a scheduler restart; any other clash leaves that stat out and is
   * returned as a problem.
   */
  bind(registry: Registry, owned: Map<string, Family>): string[] {
    const problems: string[] = [];
    for (const slot of this.slots) {
      const d = slot.decl;
      if (d === undefined) continue;
      const existing = registry.get(d.name);
      if (existing === undefined) {
        slot.family = registry.family(d);
        owned.set(d.name, slot.family);
      } else if (owned.get(d.name) === existing && existing.decl.kind === d.kind && sameLabels(existing.labelNames, Object.keys(d.labels))) {
        slot.family = existing;
      } else {
        problems.push(`"${d.name}" is already registered with another kind or labels; not exported`);
      }
    }
    this.instance = new Instance(this.root, []);
    return problems;
  }

  /** Checks a `stats` response against the meta. Throws ScxStatsProtocolError naming the first problem. */
  validate(resp: unknown): void {
    validateStruct(resp, this.root, '');
  }

  /** Applies a validated response to the registered series. */
  apply(resp: unknown): void {
    if (this.instance === undefined) throw new Error('MetaExport.apply before bind');
    applyStruct(resp as Record<string, unknown>, this.root, this.instance);
  }
}

function tryName(prefix: string, key: string, kind: 'gauge' | 'counter', unit: Unit): string | undefined {
  try {
    return familyName(prefix, key, kind, unit);
  } catch (err) {
    if (err instanceof DeclarationError) return undefined;
    throw err;
  }
}

function sameLabels(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function validateStruct(obj: unknown, node: StructNode, path: string): void {
  if (!isObject(obj)) throw new ScxStatsProtocolError(`stats response ${path || 'top'}: expected an object (struct ${node.name}), got ${typeName(obj)}`);
  for (const key in obj) {
    const f = node.fields.get(key);
    if (f === undefined) continue;
    const v = obj[key];
    const where = `${path}.${key}`;
    if (f.kind === 'number') {
      if (v === null) continue;
      if (typeof v !== 'number') throw new ScxStatsProtocolError(`stats response ${where}: expected a number, got ${typeName(v)}`);
      if (f.nonNegative && v < 0) throw new ScxStatsProtocolError(`stats response ${where}: a count cannot be negative, got ${v}`);
    } else if (f.kind === 'string') {
      if (typeof v !== 'string') throw new ScxStatsProtocolError(`stats response ${where}: expected a string, got ${typeName(v)}`);
    } else {
      if (!isObject(v)) throw new ScxStatsProtocolError(`stats response ${where}: expected a dict (object), got ${typeName(v)}`);
      for (const k in v) validateStruct(v[k], f.child, `${where}.${k}`);
    }
  }
}

function applyStruct(obj: Record<string, unknown>, node: StructNode, inst: Instance): void {
  for (const key in obj) {
    const f = node.fields.get(key);
    if (f === undefined) continue;
    const v = obj[key];
    if (f.kind === 'number') {
      // serde_json sends NaN (e.g. a percentage of an empty interval) as null: no value this interval.
      const n = v === null ? NaN : (v as number);
      if (f.gauge?.family !== undefined) {
        let g = inst.gauges[f.gaugeIndex];
        if (g === undefined) g = inst.gauges[f.gaugeIndex] = f.gauge.family.withValues(inst.labels) as GaugeSeries;
        g.set(n);
      }
      const c = f.count;
      if (c?.slot.family !== undefined && n === n) {
        let s = inst.counters[c.index];
        if (s === undefined) s = inst.counters[c.index] = c.slot.family.withValues(inst.labels) as CounterSeries;
        if (c.cumulative) s.absolute(n * c.scale);
        else s.inc(n * c.scale);
      }
    } else if (f.kind === 'string') {
      applyInfo(f, v as string, inst);
    } else {
      let m = inst.dicts[f.index];
      if (m === undefined) m = inst.dicts[f.index] = new Map();
      const d = v as Record<string, Record<string, unknown>>;
      for (const k in d) {
        let child = m.get(k);
        if (child === undefined) {
          child = new Instance(f.child, [...inst.labels, k]);
          m.set(k, child);
        }
        applyStruct(d[k] as Record<string, unknown>, f.child, child);
      }
    }
  }
  for (const s of node.shares) {
    const of = obj[s.of];
    if (typeof of !== 'number') continue;
    for (const e of s.entries) {
      if (e.slot.family === undefined || !(e.field in obj)) continue;
      const pct = obj[e.field];
      const n = typeof pct === 'number' ? Math.round((pct * of) / s.scale) : 0;
      let series = inst.counters[e.index];
      if (series === undefined) {
        const values = e.labelValue === undefined ? inst.labels : [...inst.labels, e.labelValue];
        series = inst.counters[e.index] = e.slot.family.withValues(values) as CounterSeries;
      }
      if (n > 0) series.inc(n);
    }
  }
}

function applyInfo(f: StringNode, value: string, inst: Instance): void {
  const fam = f.slot.family;
  if (fam === undefined || inst.infoValues[f.index] === value) return;
  const old = inst.infoValues[f.index];
  if (old !== undefined) fam.remove([...inst.labels, old]);
  const s = fam.withValues([...inst.labels, value]) as GaugeSeries;
  s.set(1);
  inst.infos[f.index] = s;
  inst.infoValues[f.index] = value;
}
