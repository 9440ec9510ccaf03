/**
 * The bpf(2) system call layer: the only module that knows `union bpf_attr`, `bpf_map_info` and
 * `bpf_prog_info` byte offsets (checked with offsetof against linux/bpf.h, see docs/bpf.md). Everything above
 * it speaks in fds, ids, typed infos and Buffers whose sizes this module computes, so a caller cannot hand the
 * kernel a short per-CPU value buffer (the kernel would write past its end: heap corruption, not an error).
 *
 * x86_64 only: SYS_bpf is 321 and the fixed `syscall` prototype relies on the SysV integer/pointer ABI.
 */
import koffi from 'koffi';
import { readFileSync } from 'node:fs';
import { getSystemErrorName } from 'node:util';
import { MapType, mapTypeName } from '../../bpf-layout/map-type.js';

// The map types are plain uapi numbers the layout planner needs too, so they live below it; callers here keep
// importing them from sys.ts.
export { MapType, mapTypeName };

const SYS_BPF = 321;
/** process_vm_readv(2) on x86_64 (arch/x86/entry/syscalls/syscall_64.tbl). */
const SYS_PROCESS_VM_READV = 310;
/** sizeof(union bpf_attr) in the 6.1 uapi; bytes past the kernel's own struct must be zero, and are. */
const ATTR_SIZE = 144;

/** bpf(2) commands used here, by their uapi names. */
const Cmd = {
  MAP_CREATE: 0,
  MAP_LOOKUP_ELEM: 1,
  MAP_UPDATE_ELEM: 2,
  MAP_DELETE_ELEM: 3,
  PROG_LOAD: 5,
  OBJ_PIN: 6,
  OBJ_GET: 7,
  PROG_TEST_RUN: 10,
  PROG_GET_NEXT_ID: 11,
  MAP_GET_NEXT_ID: 12,
  PROG_GET_FD_BY_ID: 13,
  MAP_GET_FD_BY_ID: 14,
  OBJ_GET_INFO_BY_FD: 15,
  RAW_TRACEPOINT_OPEN: 17,
  BTF_LOAD: 18,
  BTF_GET_FD_BY_ID: 19,
  MAP_FREEZE: 22,
  MAP_LOOKUP_BATCH: 24,
} as const;
type CmdName = keyof typeof Cmd;

/**
 * What each command needs, said when it fails with EPERM (Linux 6.5+ rules: before 6.5, with
 * kernel.unprivileged_bpf_disabled set, every bpf() command needed CAP_BPF). A pin's file mode is checked
 * like any file's, so root passes through CAP_DAC_OVERRIDE, not CAP_BPF; a refused pin is EACCES.
 */
const PERMISSION: Record<CmdName, string> = {
  MAP_CREATE: 'needs CAP_BPF',
  MAP_LOOKUP_ELEM: 'needs a readable map fd (opened by id as root, or from a pin whose file mode allows reading)',
  MAP_UPDATE_ELEM: 'needs a writable map fd (this one was opened read-only, or the map is frozen)',
  MAP_DELETE_ELEM: 'needs a writable map fd (this one was opened read-only, or the map is frozen)',
  PROG_LOAD: 'needs CAP_BPF and CAP_PERFMON (tracing programs)',
  OBJ_PIN: 'needs write access to the bpffs directory',
  OBJ_GET: 'needs access to the pinned file by its mode and owner (root passes by CAP_DAC_OVERRIDE)',
  PROG_TEST_RUN: 'needs CAP_SYS_ADMIN (raw tracepoint programs)',
  PROG_GET_NEXT_ID: 'needs CAP_SYS_ADMIN',
  MAP_GET_NEXT_ID: 'needs CAP_SYS_ADMIN',
  PROG_GET_FD_BY_ID: 'needs CAP_SYS_ADMIN',
  MAP_GET_FD_BY_ID: 'needs CAP_SYS_ADMIN',
  OBJ_GET_INFO_BY_FD:
    'though this call needs no capability (it describes an fd already open): a security module refused it, or the kernel is older than 6.5 and kernel.unprivileged_bpf_disabled makes every bpf() call need CAP_BPF',
  RAW_TRACEPOINT_OPEN: 'needs CAP_BPF and CAP_PERFMON',
  BTF_LOAD: 'needs CAP_BPF',
  BTF_GET_FD_BY_ID: 'needs CAP_SYS_ADMIN',
  MAP_FREEZE: 'needs a writable map fd',
  MAP_LOOKUP_BATCH: 'needs a readable map fd (opened by id as root, or from a pin whose file mode allows reading)',
};

/** What a bpf(2) command (`BPF_OBJ_GET_INFO_BY_FD`) needs when it fails with EPERM, as BpfError says it. */
export function permissionHint(command: string): string | undefined {
  const name = command.replace(/^BPF_/, '');
  return name in PERMISSION ? PERMISSION[name as CmdName] : undefined;
}

/** Program types by uapi value (`enum bpf_prog_type`). */
export const ProgType = { SOCKET_FILTER: 1, TRACEPOINT: 5, RAW_TRACEPOINT: 17, TRACING: 26, STRUCT_OPS: 27, SYSCALL: 31 } as const;
/** Attach types by uapi value (`enum bpf_attach_type`). `TRACE_RAW_TP` with TRACING is a BTF-typed raw tracepoint (`tp_btf`). */
export const AttachType = { TRACE_RAW_TP: 23 } as const;

/** Map flag: the array can be mmapped (libbpf sets it on `.bss`/`.data`). */
export const BPF_F_MMAPABLE = 0x400;
/**
 * Arena flag: a user access to a page the BPF program has not allocated raises SIGSEGV instead of allocating
 * one (without it, any user read of an empty page allocates a zeroed page).
 */
export const BPF_F_SEGV_ON_FAULT = 0x20000;
const BPF_F_RDONLY = 0x8;
/** Update flag: create or overwrite. */
export const BPF_ANY = 0;

/** A failed bpf(2) (or mmap, or process_vm_readv) call: the command, the errno name, and for EPERM the capability it needs. */
export class BpfError extends Error {
  /** The command, e.g. `BPF_MAP_LOOKUP_ELEM`. */
  readonly command: string;
  /** errno name, e.g. `ENOENT`, `EPERM`. */
  readonly code: string;
  readonly errno: number;
  /** The verifier log, for a failed PROG_LOAD. */
  readonly log: string | undefined;
  constructor(command: string, errno: number, detail?: string, hint?: string, log?: string) {
    const code = errnoName(errno);
    const where = detail !== undefined ? ` (${detail})` : '';
    const why = code === 'EPERM' && hint !== undefined ? `: operation not permitted, ${hint}` : '';
    super(`${command}${where}: ${code}${why}`);
    this.name = 'BpfError';
    this.command = command;
    this.code = code;
    this.errno = errno;
    this.log = log;
  }
}

function errnoName(errno: number): string {
  try {
    return getSystemErrorName(-errno);
  } catch {
    return `errno ${errno}`;
  }
}

/** True when `err` is a BpfError with errno name `code`. */
export function isBpfError(err: unknown, code?: string): err is BpfError {
  return err instanceof BpfError && (code === undefined || err.code === code);
}

// ---- libc ----

interface Libc {
  syscall(nr: number, cmd: number, attr: Buffer, size: number): number;
  close(fd: number): number;
  mmap(addr: bigint | null, len: number, prot: number, flags: number, fd: number, off: number): unknown;
  munmap(addr: unknown, len: number): number;
  sysconf(name: number): number;
  processVmReadv(pid: number, local: Buffer, remote: Buffer): number;
}

let libcCache: Libc | undefined;
function libc(): Libc {
  if (libcCache !== undefined) return libcCache;
  const lib = koffi.load('libc.so.6');
  // A fixed prototype for variadic syscall(): ABI-identical on x86_64 for int/pointer args, and faster.
  const syscall = lib.func('long syscall(long nr, int cmd, void *attr, uint size)');
  const close = lib.func('int close(int fd)');
  const mmap = lib.func('void *mmap(void *addr, size_t len, int prot, int flags, int fd, intptr_t off)');
  const munmap = lib.func('int munmap(void *addr, size_t len)');
  const sysconf = lib.func('long sysconf(int name)');
  // process_vm_readv(pid, local_iov, liovcnt, remote_iov, riovcnt, flags) as its own fixed prototype.
  const pvr = lib.func('long syscall(long nr, int pid, void *local, ulong liovcnt, void *remote, ulong riovcnt, ulong flags)');
  libcCache = {
    syscall: (nr, cmd, attr, size) => syscall(nr, cmd, attr, size) as number,
    close: (fd) => close(fd) as number,
    mmap: (addr, len, prot, flags, fd, off) => mmap(addr, len, prot, flags, fd, off) as unknown,
    munmap: (addr, len) => munmap(addr, len) as number,
    sysconf: (name) => sysconf(name) as number,
    processVmReadv: (pid, local, remote) => pvr(SYS_PROCESS_VM_READV, pid, local, 1, remote, 1, 0) as number,
  };
  return libcCache;
}

/** Runs one bpf(2) command; throws BpfError on failure. */
function bpf(cmd: CmdName, attr: Buffer, detail?: string): number {
  const r = libc().syscall(SYS_BPF, Cmd[cmd], attr, attr.length);
  if (r < 0) {
    const e = koffi.errno();
    throw new BpfError(`BPF_${cmd}`, e, detail, PERMISSION[cmd]);
  }
  return r;
}

/** Like bpf() but returns -errno instead of throwing, for the expected ENOENT of iteration and lookups. */
function bpfTry(cmd: CmdName, attr: Buffer): number {
  const r = libc().syscall(SYS_BPF, Cmd[cmd], attr, attr.length);
  return r < 0 ? -koffi.errno() : r;
}

const ENOENT = 2;

function throwErrno(cmd: CmdName, neg: number, detail?: string): never {
  throw new BpfError(`BPF_${cmd}`, -neg, detail, PERMISSION[cmd]);
}

function ptr(buf: Buffer): bigint {
  return koffi.address(buf);
}

function cString(s: string): Buffer {
  return Buffer.from(`${s}\0`, 'utf8');
}

function readName(buf: Buffer, off: number): string {
  const raw = buf.subarray(off, off + 16);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? 16 : end).toString('utf8');
}

/** Closes an fd returned by this module. */
export function closeFd(fd: number): void {
  libc().close(fd);
}

// ---- CPUs ----

/** Parses a kernel CPU list such as `0-3,5` into the sorted CPU ids. Throws on malformed text. */
export function parseCpuList(text: string): number[] {
  const ids: number[] = [];
  const body = text.trim();
  if (body === '') return ids;
  for (const part of body.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (m === null) throw new Error(`bad CPU list "${text.trim()}": expected ranges like 0-3,5`);
    const lo = Number(m[1]);
    const hi = m[2] !== undefined ? Number(m[2]) : lo;
    if (hi < lo) throw new Error(`bad CPU list "${text.trim()}": range ${part} runs backwards`);
    for (let c = lo; c <= hi; c++) ids.push(c);
  }
  return [...new Set(ids)].sort((a, b) => a - b);
}

/** The possible CPUs: what per-CPU map values are sized by (never os.cpus(), which counts online ones). */
export interface PossibleCpus {
  /** CPU ids, ascending; slot k of a per-CPU value belongs to CPU ids[k]. */
  readonly ids: readonly number[];
  /**
   * Slots in a per-CPU value: the number of possible CPUs (the kernel's num_possible_cpus(), libbpf's
   * libbpf_num_possible_cpus()). The kernel packs one slot per possible CPU, so with holes (`0-3,5`) this is
   * 5, not 6, and batch reads lay values out at this pitch.
   */
  readonly slots: number;
}

let cpusCache: PossibleCpus | undefined;
/** Reads /sys/devices/system/cpu/possible once. */
export function possibleCpus(): PossibleCpus {
  if (cpusCache !== undefined) return cpusCache;
  const ids = parseCpuList(readFileSync('/sys/devices/system/cpu/possible', 'utf8'));
  if (ids.length === 0) throw new Error('/sys/devices/system/cpu/possible lists no CPUs');
  cpusCache = { ids, slots: ids.length };
  return cpusCache;
}

// ---- infos ----

/** What the kernel reports about a map (`struct bpf_map_info`). */
export interface MapInfo {
  readonly type: number;
  readonly id: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  /** Up to 15 chars; not unique. */
  readonly name: string;
  /** Id of the BTF object describing the map, 0 when none. */
  readonly btfId: number;
  /** BTF type id of the value (a DATASEC for libbpf's `.bss`/`.data`), 0 when none. */
  readonly btfValueTypeId: number;
  /** `map_extra`: for an arena, the user address every mapping must start at (0: the first mmap picks it). */
  readonly mapExtra: bigint;
  /**
   * For a struct_ops map: the kernel BTF type id of its value (`struct bpf_struct_ops_sched_ext_ops`), in the
   * BTF `btfVmlinuxId` names (0: vmlinux itself, else a module's); 0 for other maps.
   */
  readonly btfVmlinuxValueTypeId: number;
  readonly btfVmlinuxId: number;
}

/** What the kernel reports about a program (`struct bpf_prog_info`), with the ids of the maps it uses. */
export interface ProgInfo {
  readonly type: number;
  readonly id: number;
  /** Up to 15 chars; not unique. */
  readonly name: string;
  readonly mapIds: readonly number[];
  /** Id of the program's BTF (the object's, with its DATASECs, when libbpf loaded it), 0 when none. */
  readonly btfId: number;
}

const MAP_INFO_SIZE = 96; // 88 in 6.1 uapi; a larger zeroed buffer is accepted and truncated by the kernel
const PROG_INFO_SIZE = 256; // 232 in 6.1 uapi

function objInfo(fd: number, info: Buffer, detail: string): void {
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(fd, 0);
  attr.writeUInt32LE(info.length, 4);
  attr.writeBigUInt64LE(ptr(info), 8);
  bpf('OBJ_GET_INFO_BY_FD', attr, detail);
}

/** OBJ_GET_INFO_BY_FD on a map fd. */
export function mapInfo(fd: number): MapInfo {
  const b = Buffer.alloc(MAP_INFO_SIZE);
  objInfo(fd, b, `map fd ${fd}`);
  return {
    type: b.readUInt32LE(0),
    id: b.readUInt32LE(4),
    keySize: b.readUInt32LE(8),
    valueSize: b.readUInt32LE(12),
    maxEntries: b.readUInt32LE(16),
    flags: b.readUInt32LE(20),
    name: readName(b, 24),
    btfId: b.readUInt32LE(64),
    btfValueTypeId: b.readUInt32LE(72),
    mapExtra: b.readBigUInt64LE(80),
    btfVmlinuxValueTypeId: b.readUInt32LE(44),
    btfVmlinuxId: b.readUInt32LE(76),
  };
}

/** OBJ_GET_INFO_BY_FD on a program fd, including its map ids (a second call sized by the first). */
export function progInfo(fd: number): ProgInfo {
  const first = Buffer.alloc(PROG_INFO_SIZE);
  objInfo(fd, first, `prog fd ${fd}`);
  const nrMaps = first.readUInt32LE(52);
  let mapIds: number[] = [];
  if (nrMaps > 0) {
    const ids = Buffer.alloc(4 * nrMaps);
    const again = Buffer.alloc(PROG_INFO_SIZE);
    again.writeUInt32LE(nrMaps, 52);
    again.writeBigUInt64LE(ptr(ids), 56);
    objInfo(fd, again, `prog fd ${fd}`);
    // The program cannot gain maps after load, but take the smaller count to be safe.
    const n = Math.min(nrMaps, again.readUInt32LE(52));
    mapIds = Array.from({ length: n }, (_, i) => ids.readUInt32LE(4 * i));
  }
  return { type: first.readUInt32LE(0), id: first.readUInt32LE(4), name: readName(first, 64), mapIds, btfId: first.readUInt32LE(128) };
}

/**
 * The program as the verifier left it (`xlated_prog_insns`), 8 bytes per instruction; empty when the kernel
 * withholds it (no CAP_BPF, or constants blinded and raw dumps not allowed). A direct address into an arena
 * stays a raw user address there (arenas have no `map_direct_value_meta`, so the dump cannot turn it back
 * into a map id and offset).
 */
export function progXlated(fd: number): Buffer {
  const first = Buffer.alloc(PROG_INFO_SIZE);
  objInfo(fd, first, `prog fd ${fd}`);
  const len = first.readUInt32LE(20);
  if (len === 0) return Buffer.alloc(0);
  const insns = Buffer.alloc(len);
  const again = Buffer.alloc(PROG_INFO_SIZE);
  again.writeUInt32LE(len, 20);
  again.writeBigUInt64LE(ptr(insns), 32);
  objInfo(fd, again, `prog fd ${fd}`);
  return again.readBigUInt64LE(32) === 0n ? Buffer.alloc(0) : insns.subarray(0, Math.min(len, again.readUInt32LE(20)));
}

// ---- ids and fds ----

function* ids(cmd: 'MAP_GET_NEXT_ID' | 'PROG_GET_NEXT_ID'): Generator<number> {
  const attr = Buffer.alloc(ATTR_SIZE);
  let id = 0;
  for (;;) {
    attr.fill(0);
    attr.writeUInt32LE(id, 0);
    const r = bpfTry(cmd, attr);
    if (r === -ENOENT) return;
    if (r < 0) throwErrno(cmd, r);
    id = attr.readUInt32LE(4);
    yield id;
  }
}

/** All map ids in the system, ascending (MAP_GET_NEXT_ID until ENOENT). Needs CAP_SYS_ADMIN. */
export function mapIds(): Generator<number> {
  return ids('MAP_GET_NEXT_ID');
}

/** All program ids in the system, ascending. Needs CAP_SYS_ADMIN. */
export function progIds(): Generator<number> {
  return ids('PROG_GET_NEXT_ID');
}

function fdById(cmd: 'MAP_GET_FD_BY_ID' | 'PROG_GET_FD_BY_ID', id: number, flags: number): number | undefined {
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(id, 0);
  attr.writeUInt32LE(flags, 8);
  const r = bpfTry(cmd, attr);
  if (r === -ENOENT) return undefined;
  if (r < 0) throwErrno(cmd, r, `id ${id}`);
  return r;
}

/** Opens a map by id; undefined when no such map exists (any more). */
export function mapFdById(id: number, opts: { readOnly?: boolean } = {}): number | undefined {
  return fdById('MAP_GET_FD_BY_ID', id, opts.readOnly === true ? BPF_F_RDONLY : 0);
}

/** Opens a program by id; undefined when no such program exists (any more). */
export function progFdById(id: number): number | undefined {
  return fdById('PROG_GET_FD_BY_ID', id, 0);
}

const existsAttr = Buffer.alloc(ATTR_SIZE);
/** True while a program with this id exists: one PROG_GET_NEXT_ID from id - 1, no fd. Needs CAP_SYS_ADMIN. */
export function progExists(id: number): boolean {
  existsAttr.fill(0);
  existsAttr.writeUInt32LE(id - 1, 0);
  const r = bpfTry('PROG_GET_NEXT_ID', existsAttr);
  if (r === -ENOENT) return false;
  if (r < 0) throwErrno('PROG_GET_NEXT_ID', r, `id ${id}`);
  return existsAttr.readUInt32LE(4) === id;
}

/** Pins an fd at a path on a bpffs mount. */
export function objPin(fd: number, path: string): void {
  const p = cString(path);
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeBigUInt64LE(ptr(p), 0);
  attr.writeUInt32LE(fd, 8);
  bpf('OBJ_PIN', attr, path);
}

/** Opens a pinned object. Read-only by default: that works for non-root when the pin's file mode allows. */
export function objGet(path: string, opts: { readOnly?: boolean } = {}): number {
  const p = cString(path);
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeBigUInt64LE(ptr(p), 0);
  attr.writeUInt32LE(opts.readOnly === false ? 0 : BPF_F_RDONLY, 12);
  return bpf('OBJ_GET', attr, path);
}

// ---- BTF ----

/** Opens a BTF object by id; undefined when it no longer exists. */
export function btfFdById(id: number): number | undefined {
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(id, 0);
  const r = bpfTry('BTF_GET_FD_BY_ID', attr);
  if (r === -ENOENT) return undefined;
  if (r < 0) throwErrno('BTF_GET_FD_BY_ID', r, `btf id ${id}`);
  return r;
}

/** The raw BTF blob (header, types, strings) of a BTF object by id; undefined when it no longer exists. */
export function btfRawById(id: number): Buffer | undefined {
  const fd = btfFdById(id);
  if (fd === undefined) return undefined;
  try {
    const info = Buffer.alloc(32);
    objInfo(fd, info, `btf id ${id}`); // btf_size 0: the kernel only reports the size
    const size = info.readUInt32LE(8);
    const data = Buffer.alloc(size);
    info.fill(0);
    info.writeBigUInt64LE(ptr(data), 0);
    info.writeUInt32LE(size, 8);
    objInfo(fd, info, `btf id ${id}`);
    return data;
  } finally {
    closeFd(fd);
  }
}

/** BTF_LOAD: loads a raw BTF blob, returns its fd. Mostly for tests (libbpf loads a scheduler's BTF). */
export function btfLoad(raw: Buffer): number {
  const log = Buffer.alloc(64 * 1024);
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeBigUInt64LE(ptr(raw), 0);
  attr.writeBigUInt64LE(ptr(log), 8);
  attr.writeUInt32LE(raw.length, 16);
  attr.writeUInt32LE(log.length, 20);
  attr.writeUInt32LE(1, 24);
  const r = bpfTry('BTF_LOAD', attr);
  if (r >= 0) return r;
  const end = log.indexOf(0);
  const text = log.subarray(0, end < 0 ? log.length : end).toString('utf8').trimEnd();
  const e = new BpfError('BPF_BTF_LOAD', -r, undefined, PERMISSION.BTF_LOAD, text === '' ? undefined : text);
  if (text !== '') e.message += `\nBTF log:\n${text}`;
  throw e;
}

// ---- maps ----

/** What MAP_CREATE needs. Names allow [A-Za-z0-9_.], at most 15 chars. */
export interface MapSpec {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags?: number;
  readonly name?: string;
  /** BTF describing the value (e.g. a DATASEC for a `.bss`-style map): a BTF fd and the value type id. */
  readonly btf?: { readonly fd: number; readonly valueTypeId: number };
  /** `map_extra`: for an arena, the user address its mappings must start at (0 or absent: the first mmap picks). */
  readonly mapExtra?: bigint;
}

/** MAP_CREATE; returns the fd. Mostly for tests: schedulers create their own maps. */
export function createMap(spec: MapSpec): number {
  const name = spec.name ?? '';
  if (!/^[A-Za-z0-9_.]{0,15}$/.test(name)) {
    throw new Error(`bad map name "${name}": expected up to 15 of [A-Za-z0-9_.]`);
  }
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(spec.type, 0);
  attr.writeUInt32LE(spec.keySize, 4);
  attr.writeUInt32LE(spec.valueSize, 8);
  attr.writeUInt32LE(spec.maxEntries, 12);
  attr.writeUInt32LE(spec.flags ?? 0, 16);
  attr.write(name, 28, 'utf8');
  if (spec.btf !== undefined) {
    attr.writeUInt32LE(spec.btf.fd, 48);
    attr.writeUInt32LE(spec.btf.valueTypeId, 56);
  }
  attr.writeBigUInt64LE(spec.mapExtra ?? 0n, 64);
  return bpf('MAP_CREATE', attr, name === '' ? undefined : `map "${name}"`);
}

function isPerCpu(type: number): boolean {
  return type === MapType.PERCPU_ARRAY || type === MapType.PERCPU_HASH || type === 10 /* LRU_PERCPU_HASH */;
}

/** The result of one batch read: `count` keys and values, laid out back to back in the map's own buffers. */
export interface BatchRead {
  readonly count: number;
  /** count × keySize bytes. */
  readonly keys: Buffer;
  /** count × valueBytes bytes (per-CPU maps: each value is `slots × stride`). */
  readonly values: Buffer;
}

/**
 * An open map: its fd, its info, and preallocated attr/key/value buffers sized here from the info and the
 * possible-CPU count. Buffers returned by lookup/lookupBatch are reused by the next call on this map.
 */
export class BpfMap {
  readonly fd: number;
  readonly info: MapInfo;
  /** Per-CPU map: values hold one `stride`-byte slot per possible CPU. */
  readonly perCpu: boolean;
  /** Bytes between per-CPU slots: round_up(value_size, 8); equals valueSize for plain maps. */
  readonly stride: number;
  /** Slots in a value: possible-CPU slots for per-CPU maps, 1 otherwise. */
  readonly slots: number;
  /** Bytes of one value as the kernel copies it out (slots × stride for per-CPU maps). */
  readonly valueBytes: number;
  private readonly attr = Buffer.alloc(ATTR_SIZE);
  private readonly key: Buffer;
  private readonly value: Buffer;
  private batchKeys: Buffer | undefined;
  private batchValues: Buffer | undefined;
  private readonly batchCursor = Buffer.alloc(8);
  private closed = false;
  private readonly views = new Set<MmapView>();

  /** Wraps an fd this object now owns (closes it on close()). */
  constructor(fd: number) {
    this.fd = fd;
    this.info = mapInfo(fd);
    this.perCpu = isPerCpu(this.info.type);
    this.slots = this.perCpu ? possibleCpus().slots : 1;
    this.stride = this.perCpu ? Math.ceil(this.info.valueSize / 8) * 8 : this.info.valueSize;
    this.valueBytes = this.perCpu ? this.stride * this.slots : this.info.valueSize;
    this.key = Buffer.alloc(Math.max(this.info.keySize, 4));
    this.value = Buffer.alloc(this.valueBytes);
  }

  /** Creates a map (MAP_CREATE) and wraps it. */
  static create(spec: MapSpec): BpfMap {
    return new BpfMap(createMap(spec));
  }

  /** Opens a map by id; undefined when it no longer exists. */
  static byId(id: number, opts: { readOnly?: boolean } = {}): BpfMap | undefined {
    const fd = mapFdById(id, opts);
    return fd === undefined ? undefined : BpfMap.own(fd);
  }

  /** Opens a pinned map (read-only unless readOnly is false). */
  static fromPin(path: string, opts: { readOnly?: boolean } = {}): BpfMap {
    return BpfMap.own(objGet(path, opts));
  }

  private static own(fd: number): BpfMap {
    try {
      return new BpfMap(fd);
    } catch (err) {
      closeFd(fd);
      throw err;
    }
  }

  /** A fresh zeroed value buffer of exactly valueBytes, for update(). */
  newValue(): Buffer {
    return Buffer.alloc(this.valueBytes);
  }

  private setKey(key: number | Buffer): void {
    this.check();
    if (typeof key === 'number') {
      if (this.info.keySize !== 4) throw new Error(`map "${this.info.name}": numeric key needs key_size 4, found ${this.info.keySize}`);
      this.key.writeUInt32LE(key, 0);
    } else {
      if (key.length !== this.info.keySize) {
        throw new Error(`map "${this.info.name}": key of ${key.length} bytes, expected ${this.info.keySize}`);
      }
      key.copy(this.key, 0);
    }
  }

  private check(): void {
    if (this.closed) throw new Error(`map "${this.info.name}" (id ${this.info.id}) is closed`);
  }

  private detail(): string {
    return `map "${this.info.name}" id ${this.info.id}`;
  }

  /**
   * Looks a key up. Returns this map's value buffer (valueBytes long, reused by the next call), or undefined
   * when the key is absent (ENOENT).
   */
  lookup(key: number | Buffer): Buffer | undefined {
    this.setKey(key);
    const a = this.attr;
    a.fill(0);
    a.writeUInt32LE(this.fd, 0);
    a.writeBigUInt64LE(ptr(this.key), 8);
    a.writeBigUInt64LE(ptr(this.value), 16);
    const r = bpfTry('MAP_LOOKUP_ELEM', a);
    if (r === -ENOENT) return undefined;
    if (r < 0) throwErrno('MAP_LOOKUP_ELEM', r, this.detail());
    return this.value;
  }

  /** Writes a value; `value` must be exactly valueBytes (use newValue()). */
  update(key: number | Buffer, value: Buffer, flags: number = BPF_ANY): void {
    if (value.length !== this.valueBytes) {
      throw new Error(`${this.detail()}: value of ${value.length} bytes, expected ${this.valueBytes} (${this.slots} slot(s) × ${this.stride})`);
    }
    this.setKey(key);
    const a = this.attr;
    a.fill(0);
    a.writeUInt32LE(this.fd, 0);
    a.writeBigUInt64LE(ptr(this.key), 8);
    a.writeBigUInt64LE(ptr(value), 16);
    a.writeBigUInt64LE(BigInt(flags), 24);
    bpf('MAP_UPDATE_ELEM', a, this.detail());
  }

  /** Deletes a key (EINVAL on arrays, whose elements always exist). */
  delete(key: number | Buffer): void {
    this.setKey(key);
    const a = this.attr;
    a.fill(0);
    a.writeUInt32LE(this.fd, 0);
    a.writeBigUInt64LE(ptr(this.key), 8);
    bpf('MAP_DELETE_ELEM', a, this.detail());
  }

  /**
   * Reads up to max_entries elements with MAP_LOOKUP_BATCH, looping until the kernel says the map is done
   * (ENOENT with a valid count). The returned buffers belong to this map and are reused by the next call.
   */
  lookupBatch(): BatchRead {
    this.check();
    const max = this.info.maxEntries;
    this.batchKeys ??= Buffer.alloc(max * this.info.keySize);
    this.batchValues ??= Buffer.alloc(max * this.valueBytes);
    const keys = this.batchKeys;
    const values = this.batchValues;
    const cursor = this.batchCursor;
    const a = this.attr;
    let total = 0;
    let first = true;
    while (total < max) {
      a.fill(0);
      if (!first) a.writeBigUInt64LE(ptr(cursor), 0); // in_batch: NULL starts at the beginning
      a.writeBigUInt64LE(ptr(cursor), 8);
      a.writeBigUInt64LE(ptr(keys) + BigInt(total * this.info.keySize), 16);
      a.writeBigUInt64LE(ptr(values) + BigInt(total * this.valueBytes), 24);
      a.writeUInt32LE(max - total, 32);
      a.writeUInt32LE(this.fd, 36);
      const r = bpfTry('MAP_LOOKUP_BATCH', a);
      const got = a.readUInt32LE(32);
      if (r < 0 && r !== -ENOENT) throwErrno('MAP_LOOKUP_BATCH', r, this.detail());
      total += got;
      first = false;
      if (r === -ENOENT || got === 0) break;
    }
    return {
      count: total,
      keys: keys.subarray(0, total * this.info.keySize),
      values: values.subarray(0, total * this.valueBytes),
    };
  }

  /** The per-CPU u64 at `offset` of each slot of a value (or the one u64 of a plain map), as BigInts. */
  u64s(value: Buffer, offset = 0): bigint[] {
    const out: bigint[] = new Array<bigint>(this.slots);
    for (let s = 0; s < this.slots; s++) out[s] = value.readBigUInt64LE(s * this.stride + offset);
    return out;
  }

  /** The sum over CPU slots of the u64 at `offset`, wrapping at 2^64 like the kernel's counters. */
  sumU64(value: Buffer, offset = 0): bigint {
    let sum = 0n;
    for (let s = 0; s < this.slots; s++) sum += value.readBigUInt64LE(s * this.stride + offset);
    return BigInt.asUintN(64, sum);
  }

  /** MAP_FREEZE: from now on the map refuses writes from user space (EPERM); BPF programs still write. */
  freeze(): void {
    this.check();
    const a = Buffer.alloc(ATTR_SIZE);
    a.writeUInt32LE(this.fd, 0);
    bpf('MAP_FREEZE', a, this.detail());
  }

  /** Pins this map at a bpffs path. */
  pin(path: string): void {
    this.check();
    objPin(this.fd, path);
  }

  /**
   * Maps a BPF_F_MMAPABLE array read-only into memory: reads then cost no syscall. The view keeps the map
   * alive until it is closed (or this map is). The kernel maps only fds opened for writing (a read-only
   * file loses VM_SHARED, and bpf_map_mmap answers EINVAL), though the mapping itself is PROT_READ.
   */
  mmap(): MmapView {
    this.check();
    if (this.info.type !== MapType.ARRAY || (this.info.flags & BPF_F_MMAPABLE) === 0) {
      throw new Error(`${this.detail()}: not an mmapable array (type ${mapTypeName(this.info.type)}, flags 0x${this.info.flags.toString(16)})`);
    }
    const view = new MmapView(this.fd, this.info.maxEntries * Math.ceil(this.info.valueSize / 8) * 8, () => this.views.delete(view));
    this.views.add(view);
    return view;
  }

  /**
   * Maps an arena (BPF_MAP_TYPE_ARENA). The kernel lets every process map an arena only at the user address
   * its first mapping took (or `map_extra` fixed at creation), with the same size, because BPF programs see
   * arena pointers as that process address space's addresses: `at.addr` is that address, mapped with
   * MAP_FIXED_NOREPLACE so nothing of this process is ever replaced (EEXIST instead), and the kernel refuses
   * a wrong address or size (EINVAL from get_unmapped_area, EBUSY from arena_map_mmap) without side effects.
   * Without `at.addr` the kernel picks (the first mapping of a new arena). Reads see `at.window` only.
   * Touching a page no BPF program or mapping allocated allocates a zeroed one (or SIGSEGV with
   * BPF_F_SEGV_ON_FAULT), so readers keep to pages known to hold data. `writable` is for loaders (tests).
   */
  mmapArena(at: ArenaPlace): MmapView {
    this.check();
    if (this.info.type !== MapType.ARENA) throw new Error(`${this.detail()}: not an arena (type ${mapTypeName(this.info.type)})`);
    const view = new MmapView(this.fd, at.window.length, () => this.views.delete(view), at);
    this.views.add(view);
    return view;
  }

  /** Closes the fd and any mmapped views. Idempotent. */
  close(): void {
    if (this.closed) return;
    for (const v of [...this.views]) v.close();
    this.closed = true;
    closeFd(this.fd);
  }
}

const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 1;
const MAP_FIXED_NOREPLACE = 0x100000;
const SC_PAGESIZE = 30;
const MAP_FAILED = 0xffffffffffffffffn;

/** The system page size (arena sizes and libbpf's placements are in pages). */
export function pageSize(): number {
  return libc().sysconf(SC_PAGESIZE);
}

/** Where and how much of an arena to map (BpfMap.mmapArena). */
export interface ArenaPlace {
  /** The user address the mapping must start at; undefined lets the kernel pick (a new arena's first mapping). */
  readonly addr: bigint | undefined;
  /** Bytes to map: the arena's user range, which every mapping must match. */
  readonly size: number;
  /** The bytes reads (and writes) address: [offset, offset + length) of the mapping, offsets relative to it. */
  readonly window: { readonly offset: number; readonly length: number };
  /** PROT_WRITE too (a loader writing initial data); readers never set it. */
  readonly writable?: boolean;
}

/**
 * A read-only mmap of an array map or a window of an arena. Only read methods are exposed on the agent's
 * views: writing to a PROT_READ mapping would crash the process, and reads after close() throw instead of
 * touching unmapped memory.
 */
export class MmapView implements GlobalsReader {
  /** Bytes readable (array: max_entries × round_up(value_size, 8); arena: the window). */
  readonly length: number;
  /** The mapping's start address in this process. */
  readonly address: bigint;
  private addr: unknown;
  private readonly mapped: number;
  private buf: Buffer | undefined;
  private readonly writable: boolean;
  private readonly onClose: () => void;

  /** @internal Use BpfMap.mmap() or BpfMap.mmapArena(). */
  constructor(fd: number, length: number, onClose: () => void, arena?: ArenaPlace) {
    const page = libc().sysconf(SC_PAGESIZE);
    this.length = length;
    this.writable = arena?.writable === true;
    this.mapped = arena !== undefined ? arena.size : Math.max(page, Math.ceil(length / page) * page);
    const offset = arena?.window.offset ?? 0;
    if (offset < 0 || offset + length > this.mapped) throw new RangeError(`window of ${length} bytes at ${offset} outside the ${this.mapped}-byte mapping`);
    const prot = this.writable ? PROT_READ | PROT_WRITE : PROT_READ;
    const want = arena?.addr;
    const flags = want !== undefined ? MAP_SHARED | MAP_FIXED_NOREPLACE : MAP_SHARED;
    const addr = libc().mmap(want ?? null, this.mapped, prot, flags, fd, 0);
    const got = koffi.address(addr);
    if (got === MAP_FAILED) throw new BpfError('mmap', koffi.errno(), `map fd ${fd}${want !== undefined ? ` at 0x${want.toString(16)}` : ''}`);
    if (want !== undefined && got !== want) {
      // A kernel without MAP_FIXED_NOREPLACE (before 4.17) takes the address as a hint only.
      libc().munmap(addr, this.mapped);
      throw new Error(`mmap of map fd ${fd} landed at 0x${got.toString(16)}, not at 0x${want.toString(16)}`);
    }
    this.addr = addr;
    this.address = got;
    // Only the window is viewed: the rest of an arena (up to 4 GiB) is never touched through this buffer.
    this.buf = Buffer.from(koffi.view(got + BigInt(offset), length));
    this.onClose = onClose;
  }

  private b(off: number, n: number): Buffer {
    if (this.buf === undefined) throw new Error('mmap view is closed');
    if (off < 0 || off + n > this.length) throw new RangeError(`mmap read of ${n} bytes at ${off} outside ${this.length}`);
    return this.buf;
  }

  /** u64 at a byte offset. */
  u64(off: number): bigint {
    return this.b(off, 8).readBigUInt64LE(off);
  }
  /** u32 at a byte offset. */
  u32(off: number): number {
    return this.b(off, 4).readUInt32LE(off);
  }
  /** s64 at a byte offset. */
  s64(off: number): bigint {
    return this.b(off, 8).readBigInt64LE(off);
  }
  /**
   * The whole view as a Buffer over the mapping itself (no copy; GlobalsReader). Only for reading right
   * away: it must not be kept past close(), when its memory is unmapped.
   */
  read(): Buffer {
    return this.b(0, this.length);
  }
  /** A copy of `n` bytes at `off`. */
  copy(off: number, n: number): Buffer {
    return Buffer.from(this.b(off, n).subarray(off, off + n));
  }
  /** Writes bytes at `off`; only on a writable arena view (a loader's, in tests). */
  write(off: number, bytes: Buffer): void {
    if (!this.writable) throw new Error('mmap view is read-only');
    bytes.copy(this.b(off, bytes.length), off);
  }

  /** Unmaps. Idempotent. */
  close(): void {
    if (this.buf === undefined) return;
    this.buf = undefined;
    libc().munmap(this.addr, this.mapped);
    this.addr = undefined;
    this.onClose();
  }
}

/**
 * A window of bytes read as a whole each interval: an MmapView (this process's own mapping) or a
 * ProcessWindow (another process's memory, copied by process_vm_readv), so the source reads both alike.
 */
export interface GlobalsReader {
  /** Bytes read() returns. */
  readonly length: number;
  /** The window's bytes now. Throws when they cannot be read (the process exited, the view was closed). */
  read(): Buffer;
  /** Releases what the reader holds. Idempotent. */
  close(): void;
}

/**
 * process_vm_readv(2): copies `into.length` bytes at `addr` in process `pid` into `into`. Needs what a ptrace
 * read needs (root or CAP_SYS_PTRACE, or the same user under Yama's ptrace_scope 0). Throws BpfError
 * (ESRCH: the process is gone; EFAULT: nothing mapped there; EPERM: no right to read it), or an Error when
 * fewer bytes came back (the range ends inside it).
 */
export function processVmRead(pid: number, addr: bigint, into: Buffer): void {
  // One struct iovec { void *iov_base; size_t iov_len; } on each side.
  const local = Buffer.alloc(16);
  local.writeBigUInt64LE(ptr(into), 0);
  local.writeBigUInt64LE(BigInt(into.length), 8);
  const remote = Buffer.alloc(16);
  remote.writeBigUInt64LE(addr, 0);
  remote.writeBigUInt64LE(BigInt(into.length), 8);
  const r = libc().processVmReadv(pid, local, remote);
  const where = `process ${pid} at 0x${addr.toString(16)}`;
  if (r < 0) throw new BpfError('process_vm_readv', koffi.errno(), where, 'reading another process needs root or CAP_SYS_PTRACE');
  if (r !== into.length) throw new Error(`process_vm_readv (${where}): read ${r} of ${into.length} bytes`);
}

// ---- programs ----

/** What PROG_LOAD needs. `insns` is raw eBPF, 8 bytes per instruction. */
export interface ProgSpec {
  readonly type: number;
  readonly insns: Buffer;
  readonly license?: string;
  /** Up to 15 of [A-Za-z0-9_.]. */
  readonly name?: string;
  readonly expectedAttachType?: number;
  /** The kernel BTF type id the program attaches to (for `tp_btf`: the `btf_trace_<tracepoint>` typedef). */
  readonly attachBtfId?: number;
  /**
   * The program's own BTF (a BTF fd) and the FUNC type of its entry (func_info at instruction 0), as libbpf
   * passes them: the kernel keeps a program's BTF only with func_info, and prog info then reports its id.
   */
  readonly btf?: { readonly fd: number; readonly funcTypeId: number };
}

/**
 * PROG_LOAD; returns the program fd. On failure loads again with the verifier log on and throws a BpfError
 * whose `log` (and message tail) holds it.
 */
export function progLoad(spec: ProgSpec): number {
  if (spec.insns.length === 0 || spec.insns.length % 8 !== 0) {
    throw new Error(`program of ${spec.insns.length} bytes: expected a non-empty multiple of 8 (one eBPF instruction each)`);
  }
  const name = spec.name ?? '';
  if (!/^[A-Za-z0-9_.]{0,15}$/.test(name)) throw new Error(`bad program name "${name}": expected up to 15 of [A-Za-z0-9_.]`);
  const license = cString(spec.license ?? 'GPL');
  const funcInfo = Buffer.alloc(8); // struct bpf_func_info { insn_off, type_id }
  if (spec.btf !== undefined) funcInfo.writeUInt32LE(spec.btf.funcTypeId, 4);
  const fill = (a: Buffer, log?: Buffer): void => {
    a.writeUInt32LE(spec.type, 0);
    a.writeUInt32LE(spec.insns.length / 8, 4);
    a.writeBigUInt64LE(ptr(spec.insns), 8);
    a.writeBigUInt64LE(ptr(license), 16);
    if (log !== undefined) {
      a.writeUInt32LE(1, 24);
      a.writeUInt32LE(log.length, 28);
      a.writeBigUInt64LE(ptr(log), 32);
    }
    a.write(name, 48, 'utf8');
    a.writeUInt32LE(spec.expectedAttachType ?? 0, 68);
    a.writeUInt32LE(spec.attachBtfId ?? 0, 108);
    if (spec.btf !== undefined) {
      a.writeUInt32LE(spec.btf.fd, 72); // prog_btf_fd
      a.writeUInt32LE(funcInfo.length, 76); // func_info_rec_size
      a.writeBigUInt64LE(ptr(funcInfo), 80);
      a.writeUInt32LE(1, 88); // func_info_cnt
    }
  };
  const attr = Buffer.alloc(ATTR_SIZE);
  fill(attr);
  const r = bpfTry('PROG_LOAD', attr);
  if (r >= 0) return r;
  const log = Buffer.alloc(1 << 20);
  const again = Buffer.alloc(ATTR_SIZE);
  fill(again, log);
  const r2 = bpfTry('PROG_LOAD', again);
  if (r2 >= 0) return r2; // loaded the second time (a transient failure); keep it
  const end = log.indexOf(0);
  const text = log.subarray(0, end < 0 ? log.length : end).toString('utf8').trimEnd();
  const detail = name === '' ? undefined : `program "${name}"`;
  const e = new BpfError('BPF_PROG_LOAD', -r, detail, PERMISSION.PROG_LOAD, text === '' ? undefined : text);
  if (text !== '') e.message += `\nverifier log:\n${text}`;
  throw e;
}

/**
 * RAW_TRACEPOINT_OPEN: attaches a RAW_TRACEPOINT program to a tracepoint by name, or (name undefined) a
 * BTF-typed one (`tp_btf`) to the tracepoint its `attachBtfId` named; closing the fd detaches.
 */
export function rawTracepointOpen(name: string | undefined, progFd: number): number {
  const n = name === undefined ? undefined : cString(name);
  const attr = Buffer.alloc(ATTR_SIZE);
  if (n !== undefined) attr.writeBigUInt64LE(ptr(n), 0);
  attr.writeUInt32LE(progFd, 8);
  return bpf('RAW_TRACEPOINT_OPEN', attr, name ?? `prog fd ${progFd}`);
}

/**
 * PROG_TEST_RUN of a raw tracepoint program: runs it once in the calling thread with `args` as its context
 * (`struct bpf_raw_tracepoint_args`, one u64 per argument, at most 12) and returns its return value (u32).
 */
export function progTestRunRawTp(progFd: number, args: readonly bigint[]): number {
  if (args.length > 12) throw new Error(`a raw tracepoint program takes at most 12 arguments, got ${args.length}`);
  const ctx = Buffer.alloc(Math.max(8, args.length * 8));
  args.forEach((a, i) => ctx.writeBigUInt64LE(BigInt.asUintN(64, a), i * 8));
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(progFd, 0);
  attr.writeUInt32LE(args.length * 8, 40); // ctx_size_in
  attr.writeBigUInt64LE(ptr(ctx), 48); // ctx_in
  bpf('PROG_TEST_RUN', attr, `prog fd ${progFd}`);
  return attr.readUInt32LE(4); // retval
}

// ---- run-time statistics (added by the bpfgen branch for the probe bench; kept apart to merge cleanly) ----

const BPF_ENABLE_STATS = 32;
const BPF_STATS_RUN_TIME = 0;

/**
 * BPF_ENABLE_STATS(BPF_STATS_RUN_TIME): the kernel times every BPF program run while the returned fd is open
 * (close it to stop; the timing itself costs two clock reads per run). Needs CAP_SYS_ADMIN.
 */
export function enableRunTimeStats(): number {
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(BPF_STATS_RUN_TIME, 0);
  const r = libc().syscall(SYS_BPF, BPF_ENABLE_STATS, attr, attr.length);
  if (r < 0) throw new BpfError('BPF_ENABLE_STATS', koffi.errno(), undefined, 'needs CAP_SYS_ADMIN');
  return r;
}

/** A program's accumulated run time and run count (bpf_prog_info run_time_ns, run_cnt) while stats are on. */
export function progRunStats(fd: number): { readonly runTimeNs: bigint; readonly runCount: bigint } {
  const b = Buffer.alloc(PROG_INFO_SIZE);
  objInfo(fd, b, `prog fd ${fd}`);
  return { runTimeNs: b.readBigUInt64LE(192), runCount: b.readBigUInt64LE(200) };
}
