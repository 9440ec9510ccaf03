/**
 * The BPF source: reads a scheduler's stats from its BPF maps each interval, in the four layouts of ref.ts.
 *
 * Default mode never writes to the maps: counters take the cumulative sum over possible CPUs, so any number
 * of readers stay correct. `resetOnRead` reproduces scx_rusty's metrics-era loop (read, sum, zero the key,
 * add the sum as a delta); it breaks every other reader of the map and loses events that land between the
 * read and the zeroing, which is why scx_rusty dropped it. It zeroes counter entries only (a gauge is a
 * level, not events to count).
 *
 * u64s are exact: the sum over CPUs and the previous sum per series are BigInts, the per-interval delta is
 * taken in BigInt, and only the delta becomes a Number for the counter (exact below 2^53 per interval).
 *
 * Counters never go backwards: when a map is replaced (scheduler restart, new map id) or its values drop (a
 * reset-on-read reader elsewhere), everything the map holds now is counted as new on top of what was
 * exported. The source does this itself rather than leaning on the registry's restart rule, because a new
 * map found late may already be above the old map's last value, which that rule would take for no restart.
 *
 * A log2 histogram in a stats enum is a run of slots (layout.ts): per bucket, the count of values in that
 * bucket alone, then the sum of the recorded integers. Each slot is a counter under the rules above (exact
 * BigInt delta, a replaced or dropped map counts as new); the deltas build the series' running totals, the
 * sum times the declared `bucketScale`, which go to HistogramSeries.absolute. The totals never go backwards,
 * so its own restart rule never fires.
 *
 * Only what was read is exported: an entry's series are created by its first read (entry-series.ts), so a
 * scheduler whose maps cannot be found or do not fit its profile exports none of its stats, rather than
 * zeros that look like an idle scheduler. Health (`scx_metrics_source_up` 0, the error count and line)
 * says why. A map read before and gone now keeps its series at their last values.
 */
import type { StatDecl, StatSet } from '../../declare/types.js';
import { DeclarationError } from '../../declare/naming.js';
import { errorMessage, type Logger } from '../../support/log.js';
import type { CounterSeries, GaugeSeries, HistogramSeries } from '../../registry/index.js';
import type { Source, SourceContext } from '../../plugin/source.js';
import { mapArenaGlobals } from './arena.js';
import { Btf } from './btf.js';
import { EntrySeries, type Handle } from './entry-series.js';
import { OnlineCpus } from '../online-cpus.js';
import { type Located, type Locator, LocateError, type Writable, locate, scanPrograms, stillThere } from './discover.js';
import { type SchedulerScope, describeScope, scopePrograms } from './scope.js';
import { schedExtOps } from './struct-ops.js';
import { subStatSet } from './sub-stats.js';
import { type Entry, FIELD_BYTES, type MapPlan, planMaps } from '../../bpf-layout/layout.js';
import type { BpfField, BpfLayout } from '../../bpf-layout/ref.js';
import { BPF_F_MMAPABLE, type BpfMap, BpfError, type GlobalsReader, type MmapView, type ProgInfo, btfRawById, possibleCpus } from './sys.js';

/** Where to find one map instead of through the scheduler's programs. */
export type MapLocation = { readonly pin: string } | { readonly id: number };

export interface BpfSourceOptions {
  /** The declarations to fill; every stat whose `from` is a BpfRef is read. */
  readonly stats: StatSet;
  /** Name prefixes of the programs owning the maps (`rusty_`), for finding maps by program. */
  readonly programs?: readonly string[];
  /** Per map name (`stats`, `.bss`): a pinned path or map id to use instead of the programs. */
  readonly maps?: Readonly<Record<string, MapLocation>>;
  /** Keep a `cpu` label on per-CPU stats instead of summing over CPUs. */
  readonly perCpu?: boolean;
  /** Zero each stats-enum entry after reading it and count the read value as a delta (scx_rusty's old way). */
  readonly resetOnRead?: boolean;
  /** Source name for diagnostics; default `bpf:<set name>`. */
  readonly name?: string;
  /**
   * Which sched_ext scheduler's programs own the maps found through programs: the root one, or a
   * sub-scheduler's (whose series go to the sub families of sub-stats.ts, labelled with its cgroup id and
   * `cgroup` path). Unset: every program with the prefixes, newest map first (stand-ins, pins, ids).
   */
  readonly scope?: SchedulerScope;
}

/** A histogram series' exported running totals, built from its slots' deltas and handed to `absolute`. */
interface HistTotals {
  /** Per bucket, +Inf last. */
  readonly counts: Float64Array;
  /** In the stat's unit: the recorded integers times `scale`. */
  sum: number;
  readonly scale: number;
}

interface MapState {
  readonly plan: MapPlan;
  readonly locator: Locator;
  /**
   * Per entry: its series (one, or one per possible CPU; created on the entry's first read) and the index of
   * the first one's first slot in `prev`; handle k's slot j (histograms take entry.width slots) is at
   * firstHandle + k × width + j.
   */
  readonly series: EntrySeries[];
  readonly firstHandle: number[];
  /** Per entry: for a histogram, the running totals of each handle; undefined otherwise. */
  readonly hists: (HistTotals[] | undefined)[];
  /** Byte offset per entry once attached (globals: from BTF). */
  offsets: number[];
  loc: Located | undefined;
  /** The globals' bytes, for mmapped globals and arenas (mapped here, or copied from their loader). */
  view: GlobalsReader | undefined;
  /** Map id last read, to tell a replaced map from the same one found again. */
  lastMapId: number | undefined;
  zero: Buffer | undefined;
}

/** Adds what slot j of a histogram's run counted (a bucket, or the sum when last) to its totals. */
function addSlot(t: HistTotals, j: number, width: number, added: bigint): void {
  if (added === 0n) return;
  if (j < width - 1) t.counts[j] = (t.counts[j] as number) + Number(added);
  else t.sum += Number(added) * t.scale;
}

/** Hands each histogram handle its running totals. */
function publish(hists: readonly HistTotals[], hs: readonly Handle[]): void {
  for (let k = 0; k < hists.length; k++) {
    const t = hists[k] as HistTotals;
    (hs[k] as HistogramSeries).absolute(t.counts, t.sum);
  }
}

function readField(buf: Buffer, off: number, field: BpfField): bigint {
  if (field === 'u32') return BigInt(buf.readUInt32LE(off));
  if (field === 's64') return buf.readBigInt64LE(off);
  return buf.readBigUInt64LE(off);
}

/** A field summed over CPU slots; u64 sums wrap at 2^64 like the kernel's counters. */
function sumField(buf: Buffer, off: number, stride: number, slots: number, field: BpfField): bigint {
  let sum = 0n;
  for (let s = 0; s < slots; s++) sum += readField(buf, off + s * stride, field);
  return field === 'u64' ? BigInt.asUintN(64, sum) : sum;
}

/**
 * The u64 whose 32-bit halves summed over CPUs are `hi` and `lo` (each exact: a sum of at most a few thousand
 * u32s), wrapped at 2^64. Through one Number when that is exact, the common case: no shifts.
 */
function fromWords(hi: number, lo: number): bigint {
  const n = hi * 4294967296 + lo;
  return n <= Number.MAX_SAFE_INTEGER ? BigInt(n) : BigInt.asUintN(64, (BigInt(hi) << 32n) + BigInt(lo));
}

/** Layouts whose maps hold one value per CPU (globals, in a `.bss` map or an arena, are one number). */
function isPerCpuLayout(layout: BpfLayout): boolean {
  return layout === 'percpu_array' || layout === 'percpu_struct';
}

const cpuSets = new WeakMap<StatSet, StatSet>();

/**
 * withCpuLabel, built once per set: several sources of one profile (sub-schedulers) must register the same
 * declaration objects to share families.
 */
function cpuLabelled(set: StatSet, plans: readonly MapPlan[]): StatSet {
  let out = cpuSets.get(set);
  if (out === undefined) {
    out = withCpuLabel(set, plans);
    cpuSets.set(set, out);
  }
  return out;
}

/** The set with a `cpu` label added to stats of per-CPU layouts (the source reports each CPU's slot). */
function withCpuLabel(set: StatSet, plans: readonly MapPlan[]): StatSet {
  const perCpuKeys = new Set(plans.filter((p) => isPerCpuLayout(p.layout)).flatMap((p) => p.entries.map((e) => e.decl.key)));
  const stats: Record<string, StatDecl> = {};
  for (const [key, decl] of Object.entries(set.stats)) {
    if (!perCpuKeys.has(key)) {
      stats[key] = decl;
      continue;
    }
    if ('cpu' in decl.labels) throw new DeclarationError(`stat "${key}": already has a "cpu" label; cannot report it per CPU`);
    stats[key] = Object.freeze({ ...decl, labels: Object.freeze({ cpu: String, ...decl.labels }) });
  }
  return Object.freeze({ name: set.name, help: set.help, stats: Object.freeze(stats) });
}

export class BpfSource implements Source {
  readonly name: string;
  private readonly opts: BpfSourceOptions;
  private readonly plans: MapPlan[];
  private readonly exported: StatSet;
  private states: MapState[] = [];
  private log: Logger | undefined;
  /** The online CPUs, read each collection when series are per CPU (offline CPUs' series expire). */
  private readonly online = new OnlineCpus();
  /** Label values every series starts with (a sub-scheduler's cgroup id and path), before the entry's own. */
  private readonly labelHead: readonly string[];
  /** How the scope picked the programs, for the attach line. */
  private scopeHow = '';
  /** Per handle: the map's value at the last read (the sum over CPUs, or one CPU's), exact. */
  private prev: bigint[] = [];

  constructor(opts: BpfSourceOptions) {
    this.opts = opts;
    this.name = opts.name ?? `bpf:${opts.stats.name}`;
    this.plans = planMaps(opts.stats);
    if (this.plans.length === 0) throw new DeclarationError(`stat set "${opts.stats.name}" has no stat read from a BPF map`);
    for (const mapName of Object.keys(opts.maps ?? {})) {
      if (!this.plans.some((p) => p.name === mapName)) {
        throw new DeclarationError(`no stat of "${opts.stats.name}" reads a map named "${mapName}" (maps: ${this.plans.map((p) => p.name).join(', ')})`);
      }
    }
    for (const p of this.plans) {
      if (opts.maps?.[p.name] === undefined && (opts.programs === undefined || opts.programs.length === 0)) {
        throw new DeclarationError(`map "${p.name}": give its pinned path or id, or the programs that own it`);
      }
    }
    const base = opts.scope?.kind === 'sub' ? subStatSet(opts.stats) : opts.stats;
    this.exported = opts.perCpu === true ? cpuLabelled(base, this.plans) : base;
    this.labelHead = opts.scope?.kind === 'sub' ? [opts.scope.cgroupId, opts.scope.cgroup ?? ''] : [];
  }

  stats(): readonly StatSet[] {
    return [this.exported];
  }

  attach(ctx: SourceContext): void {
    this.log = ctx.log;
    const families = ctx.registry.register(this.exported);
    const cpus = possibleCpus().ids.map(String);
    let n = 0;
    this.states = this.plans.map((plan) => {
      const perCpu = this.opts.perCpu === true && isPerCpuLayout(plan.layout);
      const series: EntrySeries[] = [];
      const firstHandle: number[] = [];
      const hists: (HistTotals[] | undefined)[] = [];
      for (const e of plan.entries) {
        const family = families[e.decl.key];
        if (family === undefined) throw new Error(`stat "${e.decl.key}" is not registered`);
        // Only the label sets now: the series themselves are created by the entry's first read.
        const head = this.labelHead;
        const es = perCpu
          ? new EntrySeries(
              ctx.lifetime?.track(family) ?? family,
              cpus.map((c) => [c, ...head, ...e.labelValues]),
              { labels: cpus, online: this.online },
            )
          : new EntrySeries(family, [[...head, ...e.labelValues]]);
        firstHandle.push(n);
        n += es.count * e.width;
        series.push(es);
        const d = e.decl;
        hists.push(
          d.kind === 'histogram'
            ? Array.from({ length: es.count }, () => ({ counts: new Float64Array(d.buckets.length + 1), sum: 0, scale: d.bucketScale }))
            : undefined,
        );
      }
      const where = this.opts.maps?.[plan.name];
      const locator: Locator =
        where === undefined
          ? { kind: 'programs', prefixes: this.opts.programs ?? [] }
          : 'pin' in where
            ? { kind: 'pin', path: where.pin }
            : { kind: 'id', id: where.id };
      return { plan, locator, series, firstHandle, hists, offsets: [], loc: undefined, view: undefined, lastMapId: undefined, zero: undefined };
    });
    this.prev = new Array<bigint>(n).fill(0n);
    if (this.opts.resetOnRead === true) {
      for (const p of this.plans.filter((x) => x.layout !== 'percpu_array')) {
        ctx.log.warn(`${this.name}: --bpf-reset-on-read applies to stats-enum arrays only; map "${p.name}" (${p.layout}) is read without writing`);
      }
    }
  }

  collect(): void {
    if (this.opts.perCpu === true) this.online.read();
    const problems: string[] = [];
    // One scan of all programs per interval at most, shared by every map that needs finding.
    let progs: ProgInfo[] | undefined;
    let scoped: ProgInfo[] | undefined;
    const scan = (): ProgInfo[] => (progs ??= scanPrograms(['']));
    const scanScoped = (): ProgInfo[] => (scoped ??= this.scoped(scan()));
    for (const st of this.states) {
      try {
        if (st.loc !== undefined && !stillThere(st.loc)) {
          const what = st.loc.owner !== undefined ? `its program ${st.loc.owner.name} (id ${st.loc.owner.id}) is gone` : 'its pin was removed or replaced';
          this.log?.once(`${this.name}:gone:${st.plan.name}`, `${this.name}: map "${st.plan.name}" (id ${st.loc.map.info.id}) went away (${what}); looking for it again`);
          this.detach(st);
        }
        if (st.loc === undefined) this.attachMap(st, scan, scanScoped);
        this.read(st);
      } catch (err) {
        if (!(err instanceof LocateError)) this.detach(st);
        problems.push(this.explain(st, err));
      }
    }
    if (problems.length > 0) throw new Error(problems.join('; '));
  }

  close(): void {
    for (const st of this.states) this.detach(st);
  }

  /** Removes every series this source created (a sub-scheduler that detached); the families stay. */
  removeSeries(): void {
    for (const st of this.states) for (const es of st.series) es.remove();
  }

  /**
   * The programs of the scheduler in scope, told apart by its struct_ops map (struct-ops.ts). When struct_ops
   * values cannot be read, the root falls back to every program with the prefixes (the newest map wins,
   * which is a sub-scheduler's when one runs the same object), said once; a sub-scheduler cannot be read
   * then. When no sched_ext struct_ops map lists a program with the prefixes (stand-in programs, a kernel
   * without sched_ext), the root takes them all, and the attach line says so.
   */
  private scoped(all: ProgInfo[]): ProgInfo[] {
    const scope = this.opts.scope;
    if (scope === undefined) return all;
    const prefixes = this.opts.programs ?? [];
    const names = prefixes.map((p) => `${p}*`).join(', ');
    let ops;
    try {
      ops = schedExtOps();
    } catch (err) {
      if (scope.kind === 'sub') throw new LocateError(`cannot read the sched_ext struct_ops maps that tell ${describeScope(scope)}'s programs from the others': ${errorMessage(err)}`);
      this.log?.once(
        `${this.name}:struct_ops`,
        `${this.name}: cannot read the sched_ext struct_ops maps (${errorMessage(err)}); reading the newest maps of programs ${names}, which are a sub-scheduler's when one runs the same scheduler`,
      );
      this.scopeHow = ' (newest by program name: struct_ops maps unreadable)';
      return all;
    }
    this.log?.clear(`${this.name}:struct_ops`);
    const found = scopePrograms(all, prefixes, scope, ops);
    if (found === undefined) {
      if (scope.kind === 'sub') throw new LocateError(`no sched_ext struct_ops map of ${describeScope(scope)} lists programs ${names}`);
      this.scopeHow = ' (newest by program name: no sched_ext struct_ops map lists these programs)';
      return all;
    }
    this.scopeHow = ` of ${describeScope(scope)} "${found.ops.name}" (struct_ops map id ${found.ops.mapId})`;
    return found.progs;
  }

  /** Whether any of its series exist: something was read since the last attach. */
  hasSeries(): boolean {
    return this.states.some((st) => st.series.some((s) => s.created));
  }

  private explain(st: MapState, err: unknown): string {
    let msg = err instanceof LocateError && err.namesMap ? err.message : `map "${st.plan.name}": ${errorMessage(err)}`;
    if (err instanceof BpfError && err.code === 'EPERM' && st.locator.kind === 'programs') {
      msg += " (to find a scheduler's maps through its programs; run as root, or pin the maps readable and pass --bpf-pin)";
    }
    return msg;
  }

  private attachMap(st: MapState, scan: () => ProgInfo[], scanScoped: () => ProgInfo[]): void {
    // Globals are mmapped, and the kernel only maps a bpf map fd opened for writing (a read-only file loses
    // VM_SHARED, which bpf_map_mmap requires); the mapping itself is PROT_READ, so nothing is ever written.
    const layout = st.plan.layout;
    const resets = this.opts.resetOnRead === true && layout === 'percpu_array';
    const writable: Writable = resets ? 'yes' : layout === 'arena' ? 'arena' : layout === 'global' ? 'if-allowed' : 'no';
    const progs = st.locator.kind === 'pin' ? undefined : st.locator.kind === 'programs' ? scanScoped() : scan();
    const profile = this.opts.stats.name;
    const loc = locate(st.plan, st.locator, progs !== undefined ? { writable, profile, progs } : { writable, profile });
    let arenaHow = '';
    try {
      if (layout === 'arena') {
        // An arena's globals are found through the programs using it (their BTF and instructions), even for a pin.
        const g = mapArenaGlobals(loc.map, progs ?? scan(), st.plan.entries);
        st.view = g.view;
        st.offsets = g.offsets;
        arenaHow = `; ${g.how}`;
      } else {
        st.offsets = this.resolveOffsets(st.plan, loc.map);
        if (layout === 'global' && (loc.map.info.flags & BPF_F_MMAPABLE) !== 0) st.view = this.tryMmap(loc);
      }
    } catch (err) {
      st.view?.close();
      st.view = undefined;
      loc.map.close();
      throw err;
    }
    st.loc = loc;
    st.zero = resets ? loc.map.newValue() : undefined;
    const id = loc.map.info.id;
    if (st.lastMapId !== undefined && st.lastMapId !== id) this.rebase(st);
    st.lastMapId = id;
    this.log?.clear(`${this.name}:gone:${st.plan.name}`);
    const mapped = layout === 'global' && st.view !== undefined ? ', mmapped' : '';
    const scope = st.locator.kind === 'programs' ? this.scopeHow : '';
    this.log?.info(`${this.name}: reading map "${loc.map.info.name}" (id ${id}, ${layout}) ${loc.how}${scope}${mapped}${arenaHow}`);
  }

  /** An mmap of a globals map, or undefined (read by lookups) when the fd is read-only. */
  private tryMmap(loc: Located): MmapView | undefined {
    try {
      return loc.map.mmap();
    } catch (err) {
      if (!(err instanceof BpfError && (err.code === 'EINVAL' || err.code === 'EACCES' || err.code === 'EPERM'))) throw err;
      this.log?.info(`${this.name}: map "${loc.map.info.name}" is open read-only, so it is read by lookups instead of mmap`);
      return undefined;
    }
  }

  /** A replaced map: all its successor holds is new, counted on top of what the old one reached. */
  private rebase(st: MapState): void {
    for (let i = 0; i < st.series.length; i++) {
      const first = st.firstHandle[i] as number;
      const end = first + (st.series[i] as EntrySeries).count * (st.plan.entries[i] as Entry).width;
      for (let h = first; h < end; h++) this.prev[h] = 0n;
    }
  }

  /** Byte offsets of each entry: enum index × value size, declared struct offsets, or BTF for globals. */
  private resolveOffsets(plan: MapPlan, map: BpfMap): number[] {
    if (plan.layout === 'percpu_array') return plan.entries.map((e) => e.index * map.valueBytes);
    if (plan.layout === 'percpu_struct') return plan.entries.map((e) => e.offset);
    const info = map.info;
    const raw = info.btfId !== 0 && info.btfValueTypeId !== 0 ? btfRawById(info.btfId) : undefined;
    const btf = raw !== undefined ? new Btf(raw, `the BTF of map "${info.name}" (id ${info.id})`) : undefined;
    const vars = btf?.datasec(info.btfValueTypeId).vars;
    return plan.entries.map((e: Entry) => {
      const bytes = FIELD_BYTES[e.field];
      let off = e.offset;
      if (vars !== undefined) {
        const place = vars.get(e.variable ?? '');
        if (place === undefined) {
          throw new LocateError(`map "${info.name}" (id ${info.id}) has no variable "${e.variable}" (its BTF lists ${[...vars.keys()].join(', ') || 'none'})`);
        }
        if (place.size !== bytes) {
          throw new LocateError(`variable "${e.variable}" in map "${info.name}" is ${place.size} bytes, expected ${bytes} (${e.field})`);
        }
        off = place.offset;
      } else if (off < 0) {
        throw new LocateError(`map "${info.name}" (id ${info.id}) carries no BTF and stat "${e.decl.key}" gives no offset for "${e.variable}"`);
      }
      if (off + bytes > info.valueSize) {
        throw new LocateError(`variable "${e.variable}" at offset ${off} lies outside map "${info.name}" (${info.valueSize} bytes)`);
      }
      return off;
    });
  }

  private detach(st: MapState): void {
    st.view?.close();
    st.view = undefined;
    st.loc?.map.close();
    st.loc = undefined;
  }

  private read(st: MapState): void {
    const loc = st.loc;
    if (loc === undefined) return;
    const map = loc.map;
    const entries = st.plan.entries;
    let buf: Buffer;
    if (st.plan.layout === 'percpu_array') {
      const b = map.lookupBatch();
      if (b.count !== map.info.maxEntries) throw new Error(`batch read returned ${b.count} of ${map.info.maxEntries} entries`);
      buf = b.values;
    } else if (st.view !== undefined) {
      this.readGlobalsMapped(st, st.view);
      return;
    } else if (st.plan.layout === 'arena') {
      throw new Error('the arena is not mapped'); // attachMap maps it or fails; never read by lookups
    } else {
      const v = map.lookup(0);
      if (v === undefined) throw new Error('element 0 is missing');
      buf = v;
    }
    const stride = map.stride;
    const slots = map.slots;
    if (st.zero !== undefined) {
      this.readResetting(st, map, buf, st.zero);
      return;
    }
    if (st.plan.layout === 'percpu_array' && (buf.byteOffset & 3) === 0) {
      this.readEnumWords(st, new Uint32Array(buf.buffer, buf.byteOffset, buf.length >>> 2), stride >>> 2, slots, map.valueBytes >>> 2);
      return;
    }
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as Entry;
      const hs = (st.series[i] as EntrySeries).get();
      const off = st.offsets[i] as number;
      const first = st.firstHandle[i] as number;
      const hists = st.hists[i];
      if (hists !== undefined) {
        const vb = map.valueBytes;
        this.readHistogram(hists, hs, first, e.width, (j, s) =>
          s < 0 ? sumField(buf, off + j * vb, stride, slots, 'u64') : readField(buf, off + j * vb + s * stride, 'u64'),
        );
        continue;
      }
      if (hs.length === 1) this.apply(hs[0] as Handle, first, sumField(buf, off, stride, slots, e.field));
      else for (let s = 0; s < slots; s++) this.apply(hs[s] as Handle, first + s, readField(buf, off + s * stride, e.field));
    }
  }

  /**
   * Reset-on-read, entry by entry: a counter entry (or histogram slot) is zeroed first and only then is what
   * was read counted, so an update that throws partway leaves the entries not yet zeroed uncounted: their
   * values stay in the map and the next interval counts them once. Gauges are set and never zeroed.
   */
  private readResetting(st: MapState, map: BpfMap, buf: Buffer, zero: Buffer): void {
    const entries = st.plan.entries;
    const stride = map.stride;
    const slots = map.slots;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as Entry;
      const series = st.series[i] as EntrySeries;
      const off = st.offsets[i] as number;
      const hists = st.hists[i];
      if (hists !== undefined) {
        // Slot by slot, like counters: a failing update leaves this slot and the later ones in the map. The
        // slots counted so far are published even then (a sum still in the map lags its buckets by an interval).
        // The series are created once a slot was zeroed, i.e. counted: not when the first zeroing failed.
        try {
          for (let j = 0; j < e.width; j++) {
            map.update(e.index + j, zero);
            series.get();
            const at = off + j * map.valueBytes; // the next enum entry of the batch buffer
            for (let k = 0; k < hists.length; k++) {
              const v = hists.length === 1 ? sumField(buf, at, stride, slots, 'u64') : readField(buf, at + k * stride, 'u64');
              addSlot(hists[k] as HistTotals, j, e.width, v);
            }
          }
        } finally {
          if (series.created) publish(hists, series.get());
        }
        continue;
      }
      if (e.decl.kind === 'gauge') {
        const hs = series.get();
        if (hs.length === 1) (hs[0] as GaugeSeries).set(Number(sumField(buf, off, stride, slots, e.field)));
        else for (let s = 0; s < slots; s++) (hs[s] as GaugeSeries).set(Number(readField(buf, off + s * stride, e.field)));
        continue;
      }
      map.update(e.index, zero);
      const hs = series.get();
      if (hs.length === 1) (hs[0] as CounterSeries).inc(Number(sumField(buf, off, stride, slots, e.field)));
      else for (let s = 0; s < slots; s++) (hs[s] as CounterSeries).inc(Number(readField(buf, off + s * stride, e.field)));
    }
  }

  /** The stats-enum hot path: u64s read as two 32-bit words of a typed view, no per-value bounds checks. */
  private readEnumWords(st: MapState, w: Uint32Array, strideW: number, slots: number, entryW: number): void {
    const n = st.series.length;
    for (let i = 0; i < n; i++) {
      const hs = (st.series[i] as EntrySeries).get();
      const at = (st.offsets[i] as number) >>> 2;
      const first = st.firstHandle[i] as number;
      const hists = st.hists[i];
      if (hists !== undefined) {
        this.readHistogram(hists, hs, first, (st.plan.entries[i] as Entry).width, (j, s) => {
          const k0 = at + j * entryW;
          if (s >= 0) return fromWords(w[k0 + s * strideW + 1] as number, w[k0 + s * strideW] as number);
          let lo = 0;
          let hi = 0;
          for (let c = 0, k = k0; c < slots; c++, k += strideW) {
            lo += w[k] as number;
            hi += w[k + 1] as number;
          }
          return fromWords(hi, lo);
        });
        continue;
      }
      if (hs.length === 1) {
        let lo = 0;
        let hi = 0;
        for (let s = 0, k = at; s < slots; s++, k += strideW) {
          lo += w[k] as number;
          hi += w[k + 1] as number;
        }
        this.apply(hs[0] as Handle, first, fromWords(hi, lo));
      } else {
        for (let s = 0, k = at; s < slots; s++, k += strideW) this.apply(hs[s] as Handle, first + s, fromWords(w[k + 1] as number, w[k] as number));
      }
    }
  }

  private readGlobalsMapped(st: MapState, view: GlobalsReader): void {
    const entries = st.plan.entries;
    const buf = view.read();
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as Entry;
      const raw = readField(buf, st.offsets[i] as number, e.field);
      this.apply((st.series[i] as EntrySeries).get()[0] as Handle, st.firstHandle[i] as number, raw);
    }
  }

  /**
   * One series' new map value. Gauges take it as a Number: float64 is what every exposition format carries.
   * Counters add the exact delta since the last read; a value below the last one on the same map means it
   * was zeroed (a reset-on-read reader elsewhere), so all it holds now is new.
   */
  private apply(handle: Handle, h: number, raw: bigint): void {
    // Histograms never come here (readHistogram), so `absolute` tells a counter from a gauge.
    if (!('absolute' in handle)) {
      handle.set(Number(raw));
      return;
    }
    const delta = this.delta(h, raw);
    if (delta !== 0n) (handle as CounterSeries).inc(Number(delta));
  }

  /** The counter rule for one slot: the exact delta since the last read; a drop means all it holds is new. */
  private delta(h: number, raw: bigint): bigint {
    const prev = this.prev[h] as bigint;
    this.prev[h] = raw;
    return raw >= prev ? raw - prev : raw;
  }

  /**
   * One histogram entry: `slot(j, s)` reads its slot j summed over CPUs (s = -1) or on CPU slot s. Each
   * slot's delta (the counter rule) is added to the handle's totals, which `absolute` then takes.
   */
  private readHistogram(hists: readonly HistTotals[], hs: readonly Handle[], first: number, width: number, slot: (j: number, s: number) => bigint): void {
    for (let k = 0; k < hists.length; k++) {
      const t = hists[k] as HistTotals;
      const base = first + k * width;
      for (let j = 0; j < width; j++) addSlot(t, j, width, this.delta(base + j, slot(j, hists.length === 1 ? -1 : k)));
    }
    publish(hists, hs);
  }
}
