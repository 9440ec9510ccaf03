/**
 * Where a stat lives in a scheduler's BPF maps: the `from` of a declaration read by the BPF source. Four
 * layouts cover the sched_ext schedulers:
 *
 * - `percpu_array`: a per-CPU array of u64 indexed by a stats enum (scx_rusty, scx_simple, scx_nest,
 *   scx_flatcg). The enum is the declaration order: each stat takes the next index, a stat with closed labels
 *   takes one index per label combination (first label outermost), unless it names an explicit `index`.
 * - `percpu_struct`: a per-CPU array whose single element is a struct of counters (scx_layered's cpu_ctxs);
 *   the field's byte offset comes from the declaration.
 * - `global`: a variable in libbpf's `.bss`/`.data` map (scx_central, scx_bpfland); its offset comes from the
 *   map's BTF by variable name (clang orders `.bss` by first use, so the C source cannot tell it), or from an
 *   explicit offset when the map carries no BTF.
 * - `arena`: a global in a BPF arena (`__arena_global`, section `.addr_space.1`; Linux 7.2's scx_qmap keeps
 *   its counters in `struct qmap_arena qa`), named by a path (`qa.nr_enqueued`): the variable's offset
 *   comes from the program's BTF, the member's from its struct type; read through the arena's mapping.
 *
 * ```ts
 * dispatched: counter({ help: '...', labels: { type: PATHS }, from: statsIndex() }),
 * queued: gauge({ help: '...', from: bssVar('nr_queued') }),
 * ```
 */
import type { SourceRef } from '../declare/types.js';

/** The four map layouts the source reads. */
export type BpfLayout = 'percpu_array' | 'percpu_struct' | 'global' | 'arena';

/** Width and signedness of a field (the enum layout is always u64). */
export type BpfField = 'u64' | 's64' | 'u32';

/** A declaration's BPF reference. Plain data: profiles stay readable and `describe --format json` can print it. */
export interface BpfRef extends SourceRef {
  readonly source: 'bpf';
  /**
   * The map's name as the BPF object defines it (`stats`, `cpu_ctxs`), cut to 15 characters by the kernel.
   * For globals, the section: `.bss` or `.data` (libbpf names the map `<object8>.bss`). For arena globals,
   * the arena map (`arena`).
   */
  readonly map: string;
  readonly layout: BpfLayout;
  /** percpu_array: the enum index of this stat's first entry. Default: the next index in declaration order. */
  readonly index?: number;
  /** percpu_array: max_entries the map must have. Default: one past the highest index the set uses. */
  readonly entries?: number;
  /** percpu_struct: the struct's size in bytes (the map's value_size). */
  readonly valueSize?: number;
  /** percpu_struct: the field's byte offset. global: fallback offset when the map has no BTF. */
  readonly offset?: number;
  /** global: the variable's name in the BPF program. arena: the variable and member path (`qa.nr_enqueued`). */
  readonly variable?: string;
  /** Field width; default u64. */
  readonly field?: BpfField;
}

/** True when a declaration's `from` is a BPF reference. */
export function isBpfRef(ref: SourceRef | undefined): ref is BpfRef {
  return ref !== undefined && ref.source === 'bpf';
}

/** Layout 1: the next entry (or entries, for closed labels) of a per-CPU u64 stats array. */
export function statsIndex(opts: { map?: string; index?: number; entries?: number } = {}): BpfRef {
  return {
    source: 'bpf',
    map: opts.map ?? 'stats',
    layout: 'percpu_array',
    ...(opts.index !== undefined ? { index: opts.index } : {}),
    ...(opts.entries !== undefined ? { entries: opts.entries } : {}),
  };
}

/** Layout 2: a field of the struct held in a one-element per-CPU array. */
export function structField(map: string, valueSize: number, offset: number, field: BpfField = 'u64'): BpfRef {
  return { source: 'bpf', map, layout: 'percpu_struct', valueSize, offset, field };
}

/** Layout 3: a global variable in `.bss` (default) or `.data`, found by name through the map's BTF. */
export function globalVar(variable: string, opts: { section?: '.bss' | '.data'; offset?: number; field?: BpfField } = {}): BpfRef {
  return {
    source: 'bpf',
    map: opts.section ?? '.bss',
    layout: 'global',
    variable,
    field: opts.field ?? 'u64',
    ...(opts.offset !== undefined ? { offset: opts.offset } : {}),
  };
}

/** Layout 3 shorthand: a u64 in `.bss`. */
export function bssVar(variable: string, offset?: number): BpfRef {
  return globalVar(variable, offset !== undefined ? { offset } : {});
}

/**
 * Layout 4: a global in a BPF arena (`__arena_global`), by variable and member path: `qa.nr_enqueued` is
 * member `nr_enqueued` of the variable `qa`. `map` is the arena map's name in the object (default `arena`).
 */
export function arenaVar(path: string, opts: { field?: BpfField; map?: string } = {}): BpfRef {
  return { source: 'bpf', map: opts.map ?? 'arena', layout: 'arena', variable: path, field: opts.field ?? 'u64' };
}
