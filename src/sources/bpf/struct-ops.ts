/**
 * Which sched_ext scheduler owns which programs. With sub-schedulers (Linux 7.x) two schedulers can run the
 * same object, `scx_qmap` at the root and `scx_qmap -c DIR` below it: same ops name, same program names
 * (`qmap_*`), maps of the same names. Program names cannot tell them apart; their struct_ops maps can.
 *
 * Each attached scheduler has a BPF_MAP_TYPE_STRUCT_OPS map whose value (kernel BTF type
 * `struct bpf_struct_ops_sched_ext_ops`, or `..._cid`) is `{ common; struct sched_ext_ops data; }`. Looking up
 * key 0 copies out what the loader wrote, with each function pointer slot replaced by the id of the program
 * attached there (kernel/bpf/bpf_struct_ops.c:864 "put prog_id to udata", read back by
 * bpf_struct_ops_map_sys_lookup_elem, :493). `data.sub_cgroup_id` is 0 (or 1, the root cgroup) for the root
 * scheduler and the cgroup id (the inode of the cgroup's directory, the `sub-<id>` of sysfs) for a
 * sub-scheduler (kernel/sched/ext/ext.c: `if (cmd->ops->sub_cgroup_id > 1)` attaches below the root).
 *
 * So the chain is: struct_ops map → name, cgroup id, program ids → each program's map ids (bpf_prog_info).
 * Offsets come from the running kernel's BTF (btf.ts), never from a copy of the struct.
 */
import { Btf, BtfError } from './btf.js';
import { BpfMap, MapType, mapIds } from './sys.js';

/** Where a sched_ext struct_ops value keeps what we read, in bytes from the value's start. */
export interface OpsLayout {
  /** The value type's name, for messages (`bpf_struct_ops_sched_ext_ops`). */
  readonly type: string;
  readonly name: { readonly offset: number; readonly size: number };
  /** Undefined on kernels without sub-schedulers (before 7.x): every scheduler there is the root. */
  readonly cgroupIdOffset: number | undefined;
  /** The function pointer slots of `data`, each holding an attached program's id (0: none). */
  readonly progOffsets: readonly number[];
  /** The least value size holding all of the above. */
  readonly minSize: number;
}

/** What one struct_ops value says about its scheduler. */
export interface OpsValue {
  /** `ops.name` (the `root/ops` and `sub-<id>/ops` text). */
  readonly name: string;
  /** `ops.sub_cgroup_id`: 0 or 1 for the root scheduler, else the cgroup id it is attached to. */
  readonly cgroupId: bigint;
  /** The ids of its attached programs, ascending. */
  readonly progIds: readonly number[];
}

/** A sched_ext scheduler as its struct_ops map shows it. */
export interface SchedOps extends OpsValue {
  readonly mapId: number;
}

/** The value types of sched_ext's struct_ops (the cpu-based and the cid-based ops of 7.x). */
const OPS_VALUE = /^bpf_struct_ops_sched_ext_ops(_cid)?$/;

/** True for the root scheduler's cgroup id (0: not set; 1: the root cgroup's id). */
export function isRootCgroup(cgroupId: bigint): boolean {
  return cgroupId <= 1n;
}

/**
 * The layout of the struct_ops value type `valueTypeId` of `btf`, or undefined when it is not sched_ext's.
 * Throws BtfError when it is sched_ext's but lacks a member this needs. A kernel without sub-schedulers has no
 * `sub_cgroup_id`: every scheduler there is the root (cgroup id 0).
 */
export function opsLayout(btf: Btf, valueTypeId: number): OpsLayout | undefined {
  if (!(valueTypeId > 0 && valueTypeId <= btf.count)) return undefined;
  const type = btf.typeName(valueTypeId);
  if (!OPS_VALUE.test(type)) return undefined;
  const name = btf.placeIn(valueTypeId, 'data.name', `struct ${type}`);
  let cgroupId: { offset: number; size: number } | undefined;
  try {
    cgroupId = btf.placeIn(valueTypeId, 'data.sub_cgroup_id', `struct ${type}`);
  } catch (err) {
    if (!(err instanceof BtfError)) throw err;
  }
  if (cgroupId !== undefined && cgroupId.size !== 8) throw new BtfError(`struct ${type}: data.sub_cgroup_id is ${cgroupId.size} bytes, expected 8`);
  const progOffsets = btf.funcPointerMembers(valueTypeId, 'data');
  const minSize = Math.max(name.offset + name.size, cgroupId === undefined ? 0 : cgroupId.offset + 8, ...progOffsets.map((o) => o + 8));
  return { type, name, cgroupIdOffset: cgroupId?.offset, progOffsets, minSize };
}

/** Reads a struct_ops value (as MAP_LOOKUP_ELEM of key 0 returns it) through its layout. */
export function parseOpsValue(value: Buffer, layout: OpsLayout): OpsValue {
  if (value.length < layout.minSize) throw new RangeError(`struct ${layout.type} value of ${value.length} bytes, expected at least ${layout.minSize}`);
  const raw = value.subarray(layout.name.offset, layout.name.offset + layout.name.size);
  const end = raw.indexOf(0);
  const name = raw.subarray(0, end < 0 ? raw.length : end).toString('utf8');
  const ids = new Set<number>();
  for (const off of layout.progOffsets) {
    const v = value.readBigUInt64LE(off);
    // Program ids are u32; anything else in a slot is not an id (the kernel writes ids only).
    if (v > 0n && v <= 0xffffffffn) ids.add(Number(v));
  }
  return { name, cgroupId: layout.cgroupIdOffset === undefined ? 0n : value.readBigUInt64LE(layout.cgroupIdOffset), progIds: [...ids].sort((a, b) => a - b) };
}

let kernelBtf: Btf | undefined;
const layouts = new Map<number, OpsLayout | undefined>();

/** The layout for a value type id of the running kernel's BTF, read once per type. */
function kernelLayout(valueTypeId: number): OpsLayout | undefined {
  if (!layouts.has(valueTypeId)) {
    kernelBtf ??= Btf.vmlinux();
    layouts.set(valueTypeId, opsLayout(kernelBtf, valueTypeId));
  }
  return layouts.get(valueTypeId);
}

/**
 * Every loaded sched_ext struct_ops map, newest (highest map id) first. Costs one fd and one info per map in
 * the system, so callers ask when they look for maps (attach), not every interval. Throws what bpf(2) or the
 * kernel's BTF throws (EPERM without CAP_SYS_ADMIN; no /sys/kernel/btf/vmlinux).
 */
export function schedExtOps(): SchedOps[] {
  const out: SchedOps[] = [];
  for (const id of mapIds()) {
    const map = BpfMap.byId(id, { readOnly: true });
    if (map === undefined) continue;
    try {
      const info = map.info;
      if (info.type !== MapType.STRUCT_OPS || info.keySize !== 4) continue;
      const layout = kernelLayout(info.btfVmlinuxValueTypeId);
      if (layout === undefined) continue;
      const value = map.lookup(0);
      if (value === undefined) continue;
      const ops = parseOpsValue(value, layout);
      // A map not yet updated by its loader reads as zeros: no scheduler yet.
      if (ops.progIds.length > 0) out.push({ mapId: info.id, ...ops });
    } finally {
      map.close();
    }
  }
  return out.sort((a, b) => b.mapId - a.mapId);
}
