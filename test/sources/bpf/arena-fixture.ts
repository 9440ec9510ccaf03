/**
 * A stand-in for an arena scheduler, built with the project's own bpf(2) layer (no libbpf, no compiler), as
 * libbpf would lay it out: an arena map, the `.addr_space.1` globals written into it at its base or its end,
 * BTF describing them (`u64 pad; struct qmap_arena qa;`, the head of scx_qmap's struct), and a raw
 * tracepoint program that updates them through a direct address into the arena, the instruction a compiler
 * emits for an `__arena_global`.
 *
 * It runs in its own process (arena-loader.ts) because the agent must map the arena from another process,
 * at the address the loader's mapping took: the case the source has to solve for a real scheduler.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { btfBuilder } from './fixtures.js';
import { BPF_F_MMAPABLE, BpfMap, MapType, ProgType, btfLoad, closeFd, pageSize, progInfo, progLoad } from '../../../src/sources/bpf/sys.js';

/**
 * The fixture's `qa` is the head of Linux 7.2's `struct qmap_arena` (tools/sched_ext/scx_qmap.h): the members
 * scx_qmap prints, in its order and widths, so the qmap profile reads it as it reads the real scheduler.
 */
export const QMAP_MEMBERS: readonly { readonly name: string; readonly type: 'u64' | 'u32' }[] = [
  ...['nr_enqueued', 'nr_dispatched', 'nr_reenqueued', 'nr_reenqueued_cid0', 'nr_dequeued', 'nr_ddsp_from_enq', 'nr_core_sched_execed',
    'nr_expedited_local', 'nr_expedited_remote', 'nr_expedited_lost', 'nr_expedited_from_timer', 'nr_highpri_queued'].map((name) => ({ name, type: 'u64' as const })),
  ...['test_error_cnt', 'cpuperf_min', 'cpuperf_avg', 'cpuperf_max', 'cpuperf_target_min', 'cpuperf_target_avg', 'cpuperf_target_max'].map((name) => ({ name, type: 'u32' as const })),
];

/** Byte offset of each member in the struct (u64s first, then u32s, as in the header). */
export const MEMBER: Readonly<Record<string, number>> = (() => {
  const out: Record<string, number> = {};
  let at = 0;
  for (const m of QMAP_MEMBERS) {
    out[m.name] = at;
    at += m.type === 'u64' ? 8 : 4;
  }
  return out;
})();
const STRUCT_SIZE = 128; // 12 × 8 + 7 × 4 = 124, padded to the struct's 8-byte alignment

/** `.addr_space.1` holds `u64 pad` then `struct qmap_arena qa`: the variable's own offset must be added. */
export const QA_OFFSET = 8;
export const DATA_SIZE = QA_OFFSET + STRUCT_SIZE;

/** The byte offset of a `qa` member in the arena's data. */
export function qaOffset(member: string): number {
  const m = MEMBER[member];
  if (m === undefined) throw new Error(`no member ${member}`);
  return QA_OFFSET + m;
}

export interface ArenaFixtureOptions {
  /** Program name (the source finds the arena through it); up to 15 characters. */
  readonly name: string;
  /** Arena size in pages. */
  readonly pages: number;
  /** libbpf's two placements of the globals. */
  readonly placement: 'base' | 'end';
  /** A fixed user address (map_extra, as qmap sets); undefined: the loader's first mmap picks one. */
  readonly mapExtra?: string;
  /** Initial member values (decimal strings, u64s may pass 2^53), as libbpf copies the section's data in. */
  readonly initial: Readonly<Record<string, string>>;
  /** The program only names the arena (as qmap's QMAP_TOUCH_ARENA) and addresses none of its data. */
  readonly touchOnly?: boolean;
}

/** What the loader reports once loaded. */
export interface ArenaFixtureInfo {
  readonly pid: number;
  readonly mapId: number;
  readonly progId: number;
  /** The arena's user address in the loader, hex. */
  readonly address: string;
  /** Where the globals start in the arena. */
  readonly dataOffset: number;
}

// ---- BTF: the types a compiler would emit for the fixture's globals and program ----

const KIND = { INT: 1, PTR: 2, STRUCT: 4, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15 } as const;

/** The fixture's BTF blob, the FUNC id of its program, and the id of the `.addr_space.1` DATASEC. */
export function fixtureBtf(funcName: string): { raw: Buffer; funcTypeId: number; datasecId: number } {
  const { str, u32s, blob } = btfBuilder();
  const info = (kind: number, vlen: number): number => ((kind << 24) | vlen) >>> 0;
  // [1] u64, [2] u32, [3] s64, [4] int
  u32s.push(str('unsigned long long'), info(KIND.INT, 0), 8, 64);
  u32s.push(str('unsigned int'), info(KIND.INT, 0), 4, 32);
  u32s.push(str('long long'), info(KIND.INT, 0), 8, (1 << 24) | 64);
  u32s.push(str('int'), info(KIND.INT, 0), 4, (1 << 24) | 32);
  // [5] struct qmap_arena (member offsets in bits)
  u32s.push(str('qmap_arena'), info(KIND.STRUCT, QMAP_MEMBERS.length), STRUCT_SIZE);
  for (const m of QMAP_MEMBERS) u32s.push(str(m.name), m.type === 'u64' ? 1 : 2, (MEMBER[m.name] as number) * 8);
  // [6] VAR pad, [7] VAR qa (global, allocated)
  u32s.push(str('pad'), info(KIND.VAR, 0), 1, 1);
  u32s.push(str('qa'), info(KIND.VAR, 0), 5, 1);
  // [8] DATASEC .addr_space.1
  const datasecId = 8;
  u32s.push(str('.addr_space.1'), info(KIND.DATASEC, 2), DATA_SIZE, 6, 0, 8, 7, QA_OFFSET, STRUCT_SIZE);
  // [9] void *, [10] int (void *ctx), [11] FUNC (static linkage: no global-function argument checks)
  u32s.push(0, info(KIND.PTR, 0), 0);
  u32s.push(0, info(KIND.FUNC_PROTO, 1), 4, str('ctx'), 9);
  const funcTypeId = 11;
  u32s.push(str(funcName), info(KIND.FUNC, 0), 10);
  return { raw: blob(), funcTypeId, datasecId };
}

// ---- the program ----

function insn(code: number, dst: number, src: number, off: number, imm: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(code, 0);
  b.writeUInt8((src << 4) | dst, 1);
  b.writeInt16LE(off, 2);
  b.writeInt32LE(imm | 0, 4);
  return b;
}

const BPF_PSEUDO_MAP_FD = 1;
const BPF_PSEUDO_MAP_VALUE = 2;

/**
 * With ctx = (add, highpri, perf): qa.nr_enqueued += add; qa.nr_dispatched += 1; qa.nr_highpri_queued =
 * highpri; qa.cpuperf_avg = perf. `r1 = &qa` is an ld_imm64 of the arena's value at dataOffset + QA_OFFSET
 * (what libbpf's RELO_DATA makes of the compiler's relocation), cast to an arena pointer as clang's
 * addr_space_cast does.
 */
function programInsns(arenaFd: number, dataOffset: number, touchOnly: boolean): Buffer {
  const exit = [insn(0xb7, 0, 0, 0, 0), insn(0x95, 0, 0, 0, 0)];
  if (touchOnly) return Buffer.concat([insn(0x18, 1, BPF_PSEUDO_MAP_FD, 0, arenaFd), insn(0, 0, 0, 0, 0), ...exit]);
  const at = (m: string): number => MEMBER[m] as number;
  return Buffer.concat([
    insn(0x79, 6, 1, 0, 0), // r6 = ctx->args[0]
    insn(0x79, 7, 1, 8, 0), // r7 = ctx->args[1]
    insn(0x79, 8, 1, 16, 0), // r8 = ctx->args[2]
    insn(0x18, 1, BPF_PSEUDO_MAP_VALUE, 0, arenaFd), // r1 = arena + dataOffset + QA_OFFSET
    insn(0, 0, 0, 0, dataOffset + QA_OFFSET),
    insn(0xbf, 1, 1, 1, 1), // r1 = addr_space_cast(r1, 0, 1): an arena pointer
    insn(0xdb, 1, 6, at('nr_enqueued'), 0), // lock *(u64 *)(r1 + nr_enqueued) += r6
    insn(0xb7, 2, 0, 0, 1), // r2 = 1
    insn(0xdb, 1, 2, at('nr_dispatched'), 0), // lock *(u64 *)(r1 + nr_dispatched) += r2
    insn(0x7b, 1, 7, at('nr_highpri_queued'), 0), // *(u64 *)(r1 + nr_highpri_queued) = r7
    insn(0x63, 1, 8, at('cpuperf_avg'), 0), // *(u32 *)(r1 + cpuperf_avg) = r8
    ...exit,
  ]);
}

/** Where libbpf puts `.addr_space.1` in an arena of `pages` pages (tools/lib/bpf/libbpf.c, bpf_object__relocate). */
export function dataOffsetFor(placement: 'base' | 'end', pages: number): number {
  const page = pageSize();
  return placement === 'base' ? 0 : pages * page - Math.ceil(DATA_SIZE / page) * page;
}

/** Loads the fixture in this process (the loader's side). Everything stays open until the process exits. */
export function loadArenaFixture(o: ArenaFixtureOptions): ArenaFixtureInfo {
  const page = pageSize();
  const mapExtra = o.mapExtra === undefined ? 0n : BigInt(o.mapExtra);
  const arena = BpfMap.create({ type: MapType.ARENA, keySize: 0, valueSize: 0, maxEntries: o.pages, flags: BPF_F_MMAPABLE, name: 'arena', mapExtra });
  const dataOffset = dataOffsetFor(o.placement, o.pages);
  // As libbpf: map the whole arena read-write (fixing user_vm_start when map_extra is 0), copy the data in.
  const view = arena.mmapArena({ addr: mapExtra === 0n ? undefined : mapExtra, size: o.pages * page, window: { offset: dataOffset, length: DATA_SIZE }, writable: true });
  const data = Buffer.alloc(DATA_SIZE);
  data.writeBigUInt64LE(0xdeadbeefn, 0); // pad
  for (const m of QMAP_MEMBERS) {
    const v = BigInt(o.initial[m.name] ?? '0');
    if (m.type === 'u64') data.writeBigUInt64LE(BigInt.asUintN(64, v), qaOffset(m.name));
    else data.writeUInt32LE(Number(BigInt.asUintN(32, v)), qaOffset(m.name));
  }
  view.write(0, data);
  const btf = fixtureBtf(o.name);
  const btfFd = btfLoad(btf.raw);
  const progFd = progLoad({
    type: ProgType.RAW_TRACEPOINT,
    name: o.name,
    insns: programInsns(arena.fd, dataOffset, o.touchOnly === true),
    btf: { fd: btfFd, funcTypeId: btf.funcTypeId },
  });
  closeFd(btfFd); // the program holds its BTF; progFd stays open for the process's life
  return { pid: process.pid, mapId: arena.info.id, progId: progInfo(progFd).id, address: `0x${view.address.toString(16)}`, dataOffset };
}

/** A loader process holding a fixture arena; `stop()` ends it (its objects go with it). */
export interface ArenaLoader extends ArenaFixtureInfo {
  stop(): Promise<void>;
}

const loaderScript = fileURLToPath(new URL('./arena-loader.js', import.meta.url));

/** Starts a loader process with these options and waits for its report. */
export async function startArenaLoader(o: ArenaFixtureOptions): Promise<ArenaLoader> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [loaderScript, JSON.stringify(o)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.once('line', (l) => resolve(l));
    child.once('exit', (code) => reject(new Error(`arena loader exited with ${code}: ${stderr.trim()}`)));
  });
  const info = JSON.parse(line) as ArenaFixtureInfo;
  return {
    ...info,
    stop: async () => {
      child.stdin.end(); // the loader exits when its stdin closes
      await exited;
    },
  };
}
