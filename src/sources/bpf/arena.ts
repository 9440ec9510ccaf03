/**
 * Arena-resident globals (`__arena_global`, ELF section `.addr_space.1`): where they are and how another
 * process maps them. Three questions, each answered from what the kernel shows:
 *
 * 1. Where each variable sits in the arena's data: the `.addr_space.1` DATASEC of the program's BTF gives the
 *    variable's offset, its struct type the member's.
 * 2. Where the arena is in the scheduler's address space: the kernel lets a second process map an arena only
 *    at the address (and with the size) of the first mapping, or at `map_extra` when the loader fixed it at
 *    creation (kernel/bpf/arena.c, arena_map_mmap: "2nd user process must pass the same addr to
 *    mmap(addr, MAP_FIXED..)"), because BPF pointers into the arena are those user addresses. Without
 *    `map_extra`, the address is read from /proc/<pid>/maps of a process holding the map (found through
 *    /proc/<pid>/fdinfo `map_id:`); a wrong guess is refused by the kernel (EINVAL/EBUSY) without side effects.
 * 3. Where libbpf put the data inside the arena: at its base (offset 0), or at its end (the last
 *    roundup(data size, page) bytes of max_entries pages), which libbpf 1.8 does when the kernel accepts
 *    ld_imm64 map-value offsets of 1 GiB and more (tools/lib/bpf/libbpf.c, bpf_object__relocate: "place
 *    globals at the end of the arena (if supported)"; Linux 7.2 does, 6.18 does not; older libbpf always used
 *    the base). The reader cannot know the loader's libbpf, so it asks the programs: an instruction that
 *    loads a global's address keeps the raw user address after verification (arenas have no
 *    map_direct_value_meta), and those addresses fall inside one of the two placements. Without such
 *    evidence nothing is read: a guess that is wrong would read zeros and allocate a page.
 *
 * Reading then costs a memory load. The only pages touched are those holding the declared variables, which
 * libbpf wrote when loading (so they exist); the first read of each page is a minor fault that maps it. An
 * arena that cannot be mapped here because this process already has a mapping at its address (a second
 * arena fixed at the same map_extra) is read from its loader's memory instead (process-window.ts).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Btf, type Datasec } from './btf.js';
import { LocateError } from './discover.js';
import { type Entry, FIELD_BYTES } from '../../bpf-layout/layout.js';
import { ProcessWindow } from './process-window.js';
import { type BpfMap, type GlobalsReader, type MapInfo, type ProgInfo, BpfError, btfRawById, closeFd, pageSize, progFdById, progXlated } from './sys.js';

/** The ELF section (and BTF DATASEC) clang gives `__arena_global` variables. */
export const ARENA_SECTION = '.addr_space.1';

/** An arena mapped for reading its globals. */
export interface ArenaGlobals {
  /**
   * The declared members' span of the globals: this process's read-only mapping, or (when the arena cannot
   * be mapped here) a copy from its loader's memory each read.
   */
  readonly view: GlobalsReader;
  /** Byte offset of each entry in `view`, in the entries' order. */
  readonly offsets: number[];
  /** For the log line: where the arena is and where its data was found. */
  readonly how: string;
}

/** One user range the arena may occupy in the scheduler's process. */
export interface ArenaRange {
  readonly start: bigint;
  readonly size: number;
  readonly how: string;
}

const SZ_4G = 2 ** 32;

/**
 * Maps the arena's globals for `entries` (arena paths such as `qa.nr_enqueued`). `progs` are the programs
 * that use the arena (their BTF and instructions are read). Throws LocateError with one line when the data
 * cannot be placed or mapped.
 */
export function mapArenaGlobals(map: BpfMap, progs: readonly ProgInfo[], entries: readonly Entry[], procRoot = '/proc'): ArenaGlobals {
  const info = map.info;
  const users = progs.filter((p) => p.mapIds.includes(info.id));
  if (users.length === 0) throw new LocateError(`arena "${info.name}" (id ${info.id}): no loaded program uses it, so its globals' layout is unknown`);
  const sec = arenaDatasec(info, users);
  const inData = entries.map((e) => entryOffset(sec.btf, sec.datasec, e, info));
  // The window is the span of the declared members, not the whole section (qmap's is 24,984 bytes, its
  // counters a few hundred): a copy from another process (process_vm_readv) then moves only those bytes.
  const lo = Math.min(...inData);
  const hi = Math.max(...inData.map((off, i) => off + FIELD_BYTES[(entries[i] as Entry).field]));
  const offsets = inData.map((off) => off - lo);
  const page = pageSize();
  const addresses = users.flatMap((p) => directAddresses(p.id));
  const failures: string[] = [];
  for (const range of arenaRanges(info, page, procRoot)) {
    const at = globalsOffset({ range, pages: info.maxEntries, page, dataSize: sec.datasec.size, addresses });
    if (typeof at === 'string') {
      failures.push(`${range.how}: ${at}`);
      continue;
    }
    const where = `arena at 0x${range.start.toString(16)} (${range.how}), globals ${at.how}`;
    const window = { offset: at.offset + lo, length: hi - lo };
    try {
      const view = map.mmapArena({ addr: range.start, size: range.size, window });
      return { view, offsets, how: `${where}, mmapped` };
    } catch (err) {
      if (!(err instanceof BpfError)) throw err;
      const refused = mmapRefusal(err);
      // EINVAL/EBUSY: the kernel says this is not the arena's range, so no process's memory there is its.
      if (err.code === 'EINVAL' || err.code === 'EBUSY' || !(range.how === 'map_extra' || range.size === info.maxEntries * page)) {
        failures.push(`${range.how}: ${refused}`);
        continue;
      }
      const remote = readFromHolder(info.id, range, window, procRoot);
      if (typeof remote === 'string') {
        failures.push(`${range.how}: ${refused}; ${remote}`);
        continue;
      }
      return { view: remote, offsets, how: `${where}, read from process ${remote.pid}'s memory with process_vm_readv (it cannot be mapped here: ${refused})` };
    }
  }
  if (failures.length === 0) {
    throw new LocateError(
      `arena "${info.name}" (id ${info.id}) has no map_extra and no other process maps it, so its user address is unknown ` +
        '(the kernel lets a second process map an arena only where the first did)',
    );
  }
  throw new LocateError(`arena "${info.name}" (id ${info.id}) could not be mapped: ${failures.join('; ')}`);
}

/** The `.addr_space.1` DATASEC from the BTF of a program using the arena (libbpf loads the object's BTF). */
function arenaDatasec(info: MapInfo, users: readonly ProgInfo[]): { btf: Btf; datasec: Datasec } {
  const withBtf = users.find((p) => p.btfId !== 0);
  if (withBtf === undefined) throw new LocateError(`arena "${info.name}" (id ${info.id}): its programs carry no BTF, so the globals cannot be found by name`);
  const raw = btfRawById(withBtf.btfId);
  if (raw === undefined) throw new LocateError(`the BTF (id ${withBtf.btfId}) of program ${withBtf.name} is gone`);
  const btf = new Btf(raw, `the BTF of program ${withBtf.name} (id ${withBtf.id})`);
  const id = btf.findDatasec(ARENA_SECTION);
  if (id === undefined) throw new LocateError(`the BTF of program ${withBtf.name} (id ${withBtf.id}) has no ${ARENA_SECTION} section: the scheduler keeps no __arena_global variables`);
  return { btf, datasec: btf.datasec(id) };
}

/** Where an entry's path (`qa.nr_enqueued`) sits in the arena data, checked against its declared width. */
function entryOffset(btf: Btf, sec: Datasec, e: Entry, info: MapInfo): number {
  const path = e.variable ?? '';
  const dot = path.indexOf('.');
  const name = dot < 0 ? path : path.slice(0, dot);
  const member = dot < 0 ? '' : path.slice(dot + 1);
  const v = sec.vars.get(name);
  if (v === undefined) throw new LocateError(`arena "${info.name}" (id ${info.id}) has no variable "${name}" (its ${ARENA_SECTION} lists ${[...sec.vars.keys()].join(', ') || 'none'})`);
  let place;
  try {
    place = btf.placeIn(v.type, member, `variable ${name}`);
  } catch (err) {
    throw new LocateError(`arena "${info.name}": ${(err as Error).message}`);
  }
  const bytes = FIELD_BYTES[e.field];
  if (place.size !== bytes) throw new LocateError(`arena "${info.name}": ${path} is ${place.size} bytes, expected ${bytes} (${e.field})`);
  const off = v.offset + place.offset;
  if (off + bytes > sec.size) throw new LocateError(`arena "${info.name}": ${path} at ${off} lies outside the ${sec.size}-byte ${ARENA_SECTION}`);
  return off;
}

/**
 * The raw 64-bit immediates of a program's ld_imm64 instructions as the verifier left them: for a global in
 * an arena, the user address user_vm_start + data offset + variable offset. Empty when the program is gone or
 * the kernel withholds its instructions.
 */
export function directAddresses(progId: number): bigint[] {
  const fd = progFdById(progId);
  if (fd === undefined) return [];
  let insns: Buffer;
  try {
    insns = progXlated(fd);
  } finally {
    closeFd(fd);
  }
  return rawImmediates(insns);
}

/**
 * ld_imm64 values of raw instructions (8 bytes each) whose source register is 0. The kernel's dump
 * (bpf_insn_prepare_dump) gives a reference into an array map back as src_reg BPF_PSEUDO_MAP_VALUE with the
 * map id and offset as the two halves, which can land in an arena's range (offset 0x1000 of map 9 reads as
 * 0x1000_0000_0009, inside qmap's arena at 1 << 44): those are left out. An arena has no such translation,
 * so its addresses stay raw, like plain constants.
 */
export function rawImmediates(insns: Buffer): bigint[] {
  const n = Math.floor(insns.length / 8);
  const out: bigint[] = [];
  for (let i = 0; i + 1 < n; i++) {
    if (insns[i * 8] !== 0x18) continue; // BPF_LD | BPF_IMM | BPF_DW: two slots, the imm halves in each
    if ((insns[i * 8 + 1] as number) >> 4 === 0) out.push((BigInt(insns.readUInt32LE((i + 1) * 8 + 4)) << 32n) | BigInt(insns.readUInt32LE(i * 8 + 4)));
    i++;
  }
  return out;
}

/**
 * The user ranges the arena may occupy: `map_extra` when the loader fixed it (size: max_entries pages), or
 * else the `anon_inode:bpf-map` mappings of the processes holding the map, those of max_entries pages first
 * (what libbpf maps). The kernel checks the address and the size at mmap time, so a wrong one costs nothing.
 */
export function arenaRanges(info: MapInfo, page: number, procRoot = '/proc'): ArenaRange[] {
  const full = info.maxEntries * page;
  if (info.mapExtra !== 0n) return [{ start: info.mapExtra, size: full, how: 'map_extra' }];
  const out: ArenaRange[] = [];
  for (const pid of holders(info.id, procRoot)) {
    for (const r of bpfMapRanges(pid, procRoot)) if (r.size <= SZ_4G) out.push({ ...r, how: `process ${pid}'s mapping` });
  }
  return out.sort((a, b) => Number(b.size === full) - Number(a.size === full));
}

/** A process's `anon_inode:bpf-map` mappings from /proc/<pid>/maps (none when it exited meanwhile). */
function bpfMapRanges(pid: number, procRoot: string): { start: bigint; size: number }[] {
  let maps: string;
  try {
    maps = readFileSync(join(procRoot, String(pid), 'maps'), 'utf8');
  } catch {
    return [];
  }
  const out: { start: bigint; size: number }[] = [];
  for (const line of maps.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s+anon_inode:bpf-map$/.exec(line);
    if (m === null) continue;
    const start = BigInt(`0x${m[1] as string}`);
    out.push({ start, size: Number(BigInt(`0x${m[2] as string}`) - start) });
  }
  return out;
}

/**
 * The arena's globals window read from the memory of a process that holds the map and has it mapped at
 * `range` (its loader), for when this process cannot map it there: it already has another mapping at that
 * address (a second arena fixed at the same map_extra). A bpf-map mapping exactly at the arena's range of a
 * holder of the arena is the arena (the kernel allows the arena nowhere else in a process), so its bytes are
 * the arena's. A string says why no holder could be read.
 */
function readFromHolder(id: number, range: ArenaRange, window: { offset: number; length: number }, procRoot: string): ProcessWindow | string {
  const tried: string[] = [];
  for (const pid of holders(id, procRoot)) {
    if (!bpfMapRanges(pid, procRoot).some((r) => r.start === range.start && r.size === range.size)) continue;
    try {
      return new ProcessWindow(pid, range.start + BigInt(window.offset), window.length);
    } catch (err) {
      tried.push(`process ${pid}: ${(err as Error).message}`);
    }
  }
  if (tried.length === 0) return 'and no other process that holds it has it mapped there to read it from';
  return `reading it from the processes that have it mapped failed (${tried.join('; ')})`;
}

/** Processes other than this one with an fd of map `id` open (/proc/<pid>/fdinfo says `map_id:`). */
function holders(id: number, procRoot: string): number[] {
  const pids: number[] = [];
  const want = new RegExp(`^map_id:\\s*${id}$`, 'm');
  for (const name of safeReaddir(procRoot)) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const fdDir = join(procRoot, name, 'fd');
    for (const fd of safeReaddir(fdDir)) {
      try {
        // Only bpf objects' fds are worth reading fdinfo for; every bpf map shares this anon inode name.
        if (readlinkSync(join(fdDir, fd)) !== 'anon_inode:bpf-map') continue;
        if (want.test(readFileSync(join(procRoot, name, 'fdinfo', fd), 'utf8'))) {
          pids.push(Number(name));
          break;
        }
      } catch {
        // closed or exited meanwhile
      }
    }
  }
  return pids;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * Where the globals start in the arena, decided by the programs' addresses into it: libbpf's base placement
 * (offset 0) or its end placement (max_entries pages minus the data rounded up to pages). The placement that
 * holds more of the addresses wins: a plain 64-bit constant that happens to fall in the arena's range (a flag
 * equal to a round map_extra) must not outvote the globals' own addresses. A string says why neither wins.
 */
export function globalsOffset(a: {
  range: ArenaRange;
  pages: number;
  page: number;
  dataSize: number;
  addresses: readonly bigint[];
}): { offset: number; how: string } | string {
  const { range, dataSize } = a;
  const inArena = a.addresses.filter((x) => x >= range.start && x < range.start + BigInt(range.size)).map((x) => Number(x - range.start));
  if (inArena.length === 0) {
    return 'no program instruction addresses the arena, so where libbpf put its globals (base or end) is unknown; nothing is read rather than guessed';
  }
  const end = a.pages * a.page - Math.ceil(dataSize / a.page) * a.page;
  // `<=`: an address one past a variable (a loop bound) is still the data's.
  const count = (base: number): number => (base < 0 ? 0 : inArena.filter((x) => x >= base && x <= base + dataSize).length);
  const atBase = count(0);
  const atEnd = count(end);
  const of = `${inArena.length} address${inArena.length === 1 ? '' : 'es'}`;
  if (end === 0 && atBase > 0) return { offset: 0, how: `at the arena's start, which is also its end (${atBase} of ${of} in the programs)` };
  if (atEnd > atBase) return { offset: end, how: `at the arena's end, offset 0x${end.toString(16)} (${atEnd} of ${of} in the programs)` };
  if (atBase > atEnd) return { offset: 0, how: `at the arena's base (${atBase} of ${of} in the programs)` };
  const seen = `the programs address offsets 0x${Math.min(...inArena).toString(16)}..0x${Math.max(...inArena).toString(16)}`;
  if (atBase === 0) return `${seen}, outside both libbpf placements of ${dataSize} bytes (base, or end at 0x${end.toString(16)})`;
  return `${seen}, as many in libbpf's base placement as in its end placement (0x${end.toString(16)}); nothing is read rather than guessed`;
}

/** Why the kernel (or this process's address space) refused the mapping, in one phrase. */
function mmapRefusal(err: BpfError): string {
  if (err.code === 'EEXIST') return 'this process already has a mapping at that address';
  if (err.code === 'EBUSY' || err.code === 'EINVAL') return `not the arena's user range (mmap: ${err.code})`;
  if (err.code === 'EPERM' || err.code === 'EACCES') return `mmap: ${err.code}: mapping an arena needs a map fd opened for writing (root)`;
  return err.message;
}
