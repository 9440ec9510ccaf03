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
  /** The same fields as a list, walked in order when a response is staged. */
  readonly list: { readonly name: string; readonly node: Node }[];
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
  private readonly stager = new Stager();

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
      const node: StructNode = { name: ps.name, fields: new Map(), list: [], shares: [], nGauges: 0, nCounters: 0, nStrings: 0, nDicts: 0 };
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
      for (const [name, n] of fields) node.list.push({ name, node: n });
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

  /** Checks a `stats` response against the meta without applying it. Throws ScxStatsProtocolError naming the first problem. */
  validate(resp: unknown): void {
    this.stager.stage(resp, this.root, this.instance ?? new Instance(this.root, []));
  }

  /**
   * Applies a `stats` response. It is checked completely first: on any problem this throws
   * ScxStatsProtocolError naming it, and nothing is applied.
   */
  apply(resp: unknown): void {
    if (this.instance === undefined) throw new Error('MetaExport.apply before bind');
    this.stager.stage(resp, this.root, this.instance);
    this.stager.commit();
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

const OP_GAUGE = 0;
const OP_COUNT = 1;
const OP_SHARE = 2;
const OP_INFO = 3;

/**
 * Walks a response against the meta and records what to do (series slot and value) in flat arrays reused
 * from interval to interval; `commit` then applies them. Checking and applying in one walk, with nothing
 * touched until the whole response has passed, keeps a bad response from changing anything.
 */
class Stager {
  private n = 0;
  private ops = new Uint8Array(256);
  private nums = new Float64Array(256);
  private readonly insts: Instance[] = [];
  private readonly refs: (NumberNode | ShareEntry | StringNode)[] = [];
  private readonly strs: string[] = [];

  stage(resp: unknown, root: StructNode, inst: Instance): void {
    this.n = 0;
    this.struct(resp, root, inst);
  }

  commit(): void {
    const { ops, insts, refs, nums, strs } = this;
    // A cached handle whose series was swept (its field went unreported for the grace period) is resolved
    // again: `removed` says its updates would no longer be exported.
    for (let i = 0; i < this.n; i++) {
      const inst = insts[i] as Instance;
      const op = ops[i];
      if (op === OP_GAUGE) {
        const f = refs[i] as NumberNode;
        let g = inst.gauges[f.gaugeIndex];
        if (g === undefined || g.removed) g = inst.gauges[f.gaugeIndex] = (f.gauge?.family as Family).withValues(inst.labels) as GaugeSeries;
        g.set(nums[i] as number);
      } else if (op === OP_COUNT) {
        const c = (refs[i] as NumberNode).count as CountBinding;
        let s = inst.counters[c.index];
        if (s === undefined || s.removed) s = inst.counters[c.index] = (c.slot.family as Family).withValues(inst.labels) as CounterSeries;
        if (c.cumulative) s.absolute(nums[i] as number);
        else s.inc(nums[i]);
      } else if (op === OP_SHARE) {
        const e = refs[i] as ShareEntry;
        let s = inst.counters[e.index];
        if (s === undefined || s.removed) {
          const values = e.labelValue === undefined ? inst.labels : [...inst.labels, e.labelValue];
          s = inst.counters[e.index] = (e.slot.family as Family).withValues(values) as CounterSeries;
        }
        s.inc(nums[i]);
      } else {
        applyInfo(refs[i] as StringNode, strs[i] as string, inst);
      }
    }
  }

  private push(op: number, inst: Instance, ref: NumberNode | ShareEntry | StringNode, num: number): void {
    const i = this.n++;
    if (i === this.ops.length) {
      const ops = new Uint8Array(i * 2);
      ops.set(this.ops);
      this.ops = ops;
      const nums = new Float64Array(i * 2);
      nums.set(this.nums);
      this.nums = nums;
    }
    this.ops[i] = op;
    this.nums[i] = num;
    this.insts[i] = inst;
    this.refs[i] = ref;
  }

  private struct(obj: unknown, node: StructNode, inst: Instance): void {
    if (!isObject(obj)) throw new ShapeError('', `expected an object (struct ${node.name}), got ${typeName(obj)}`);
    const list = node.list;
    for (let i = 0; i < list.length; i++) {
      const { name, node: f } = list[i] as { name: string; node: Node };
      const v = obj[name];
      if (v === undefined) continue;
      if (f.kind === 'number') {
        // serde_json sends NaN (e.g. a percentage of an empty interval) as null: no value this interval.
        if (v === null) {
          if (f.gauge?.family !== undefined) this.push(OP_GAUGE, inst, f, NaN);
          continue;
        }
        if (typeof v !== 'number') throw new ShapeError(`.${name}`, `expected a number, got ${typeName(v)}`);
        if (f.nonNegative && v < 0) throw new ShapeError(`.${name}`, `a count cannot be negative, got ${v}`);
        if (f.gauge?.family !== undefined) this.push(OP_GAUGE, inst, f, v);
        if (f.count?.slot.family !== undefined) this.push(OP_COUNT, inst, f, v * f.count.scale);
      } else if (f.kind === 'string') {
        if (typeof v !== 'string') throw new ShapeError(`.${name}`, `expected a string, got ${typeName(v)}`);
        // The value becomes a label value, which cannot hold NUL; checked here so commit cannot fail halfway.
        if (v !== inst.infoValues[f.index] && v.includes('\u0000')) throw new ShapeError(`.${name}`, 'a string with a NUL character cannot be a label value');
        // Staged every interval, changed or not: an unchanged info series is still reported (touched).
        if (f.slot.family !== undefined) {
          this.strs[this.n] = v;
          this.push(OP_INFO, inst, f, 0);
        }
      } else {
        if (!isObject(v)) throw new ShapeError(`.${name}`, `expected a dict (object), got ${typeName(v)}`);
        let m = inst.dicts[f.index];
        if (m === undefined) m = inst.dicts[f.index] = new Map();
        let keys = 0;
        for (const k in v) {
          keys++;
          let child = m.get(k);
          if (child === undefined) {
            // The key becomes a label value, which cannot hold NUL (checked once, when the key is new).
            if (k.includes('\u0000')) throw new ShapeError(`.${name}`, `dict key ${JSON.stringify(k)} has a NUL character and cannot be a label value`);
            // Creating an instance touches no registry: series are resolved at commit.
            child = new Instance(f.child, [...inst.labels, k]);
            m.set(k, child);
          }
          try {
            this.struct(v[k], f.child, child);
          } catch (err) {
            // The path is built only when something is wrong: `.nodes.0.load`.
            if (err instanceof ShapeError) throw err.under(`.${name}.${k}`);
            throw err;
          }
        }
        // A key the server no longer sends lets go of its instance; its series stay until the grace
        // period removes them, and a key that comes back in time finds them again through its family.
        // Every key of `v` is in `m` now, so `m` holds a gone key exactly when it is larger.
        if (m.size > keys) for (const k of m.keys()) if (!Object.hasOwn(v, k)) m.delete(k);
      }
    }
    for (const s of node.shares) {
      const of = obj[s.of];
      if (typeof of !== 'number') continue;
      for (const e of s.entries) {
        const pct = obj[e.field];
        if (e.slot.family === undefined || pct === undefined) continue;
        const n = typeof pct === 'number' ? Math.round((pct * of) / s.scale) : 0;
        if (!(n >= 0)) throw new ShapeError(`.${e.field}`, `a share of ${s.of} cannot be negative, got ${typeName(pct)}`);
        this.push(OP_SHARE, inst, e, n);
      }
    }
  }
}

/** A response that does not match the meta: where (`.nodes.0.load`, empty for the top) and what. */
class ShapeError extends ScxStatsProtocolError {
  constructor(
    readonly where: string,
    readonly what: string,
  ) {
    super(`stats response ${where || 'top'}: ${what}`);
  }

  under(parent: string): ShapeError {
    return new ShapeError(parent + this.where, this.what);
  }
}

function applyInfo(f: StringNode, value: string, inst: Instance): void {
  const fam = f.slot.family;
  if (fam === undefined) return;
  const cur = inst.infos[f.index];
  if (inst.infoValues[f.index] === value && cur !== undefined && !cur.removed) {
    cur.touch();
    return;
  }
  const old = inst.infoValues[f.index];
  if (old !== undefined && old !== value) fam.remove([...inst.labels, old]);
  const s = fam.withValues([...inst.labels, value]) as GaugeSeries;
  s.set(1);
  inst.infos[f.index] = s;
  inst.infoValues[f.index] = value;
}
