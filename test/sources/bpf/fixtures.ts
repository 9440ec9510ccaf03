/**
 * Test fixtures for the BPF source: a hand-assembled program that references given maps (so it owns them, as a
 * scheduler's struct_ops programs own its maps) and a private bpffs mount. Real kernel objects, no mocks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { progLoad, ProgType } from '../../../src/sources/bpf/sys.js';

const R0 = 0, R1 = 1, R2 = 2, R10 = 10;

function insn(code: number, dst: number, src: number, off: number, imm: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(code, 0);
  b.writeUInt8((src << 4) | dst, 1);
  b.writeInt16LE(off, 2);
  b.writeInt32LE(imm, 4);
  return b;
}

/** r1 = map fd (ld_imm64 with BPF_PSEUDO_MAP_FD). */
function ldMap(fd: number): Buffer[] {
  return [insn(0x18, R1, 1, 0, fd), insn(0, 0, 0, 0, 0)];
}

/** Instructions: `counts[slot] += 1` on the current CPU's value (per-CPU array of u64, key u32). */
export function bumpInsns(mapFd: number, slot: number): Buffer[] {
  return [
    insn(0x62, R10, 0, -4, slot), // *(u32 *)(r10 - 4) = slot
    insn(0xbf, R2, R10, 0, 0), // r2 = r10
    insn(0x07, R2, 0, 0, -4), // r2 += -4
    ...ldMap(mapFd),
    insn(0x85, 0, 0, 0, 1), // call bpf_map_lookup_elem
    insn(0x15, R0, 0, 3, 0), // if r0 == 0 goto +3
    insn(0x79, R1, R0, 0, 0), // r1 = *(u64 *)(r0 + 0)
    insn(0x07, R1, 0, 0, 1), // r1 += 1
    insn(0x7b, R0, R1, 0, 0), // *(u64 *)(r0 + 0) = r1
  ];
}

const exit0 = [insn(0xb7, R0, 0, 0, 0), insn(0x95, 0, 0, 0, 0)];

/**
 * Loads a RAW_TRACEPOINT program named `name` that references every map in `mapFds` (so its prog info lists
 * them) and, unless `bump` is false, bumps slot 0 of the first one (a per-CPU u64 array). Returns the fd.
 */
export function loadOwner(name: string, mapFds: readonly number[], opts: { bump?: boolean } = {}): number {
  const body: Buffer[] = [];
  const [first, ...rest] = mapFds;
  if (first !== undefined) body.push(...(opts.bump === false ? ldMap(first) : bumpInsns(first, 0)));
  // Mention the other maps too (r1 = map; dead use) so the verifier records them as used by this program.
  for (const fd of rest) body.push(...ldMap(fd));
  return progLoad({ type: ProgType.RAW_TRACEPOINT, name, insns: Buffer.concat([...body, ...exit0]) });
}

/** A fresh bpffs mount in a temp dir; call the returned cleanup to unmount and remove it. */
export function mountBpffs(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'scx-bpffs-'));
  const r = spawnSync('mount', ['-t', 'bpf', 'bpf', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`mount -t bpf failed: ${r.stderr.trim()}`);
  }
  return {
    dir,
    cleanup: () => {
      spawnSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A raw BTF blob holding one u64 INT, a VAR per variable and a DATASEC named `section` that places them at
 * the given offsets: what libbpf loads for a `.bss` map. Returns the blob and the DATASEC's type id.
 */
export function datasecBtf(section: string, size: number, vars: readonly { name: string; offset: number; size?: number }[]): { raw: Buffer; datasecId: number } {
  const { str, u32s, blob } = btfBuilder();
  // [1] INT "unsigned long long", 8 bytes, 64 bits; [2] INT "unsigned int", 4 bytes.
  u32s.push(str('unsigned long long'), 1 << 24, 8, 64);
  u32s.push(str('unsigned int'), 1 << 24, 4, 32);
  const varIds: number[] = [];
  vars.forEach((v, i) => {
    varIds.push(3 + i);
    u32s.push(str(v.name), 14 << 24, (v.size ?? 8) === 4 ? 2 : 1, 1);
  });
  const datasecId = 3 + vars.length;
  const sorted = vars.map((v, i) => ({ ...v, id: varIds[i] as number })).sort((a, b) => a.offset - b.offset);
  u32s.push(str(section), (15 << 24) | sorted.length, size);
  for (const v of sorted) u32s.push(v.id, v.offset, v.size ?? 8);
  return { raw: blob(), datasecId };
}

/** A BTF blob being written: `str` adds a name to the string table, `u32s` takes the type section's words. */
export function btfBuilder(): { readonly str: (s: string) => number; readonly u32s: number[]; readonly blob: () => Buffer } {
  const strings: string[] = [''];
  let strLen = 1;
  const u32s: number[] = [];
  return {
    str: (s) => {
      const off = strLen;
      strings.push(s);
      strLen += Buffer.byteLength(s) + 1;
      return off;
    },
    u32s,
    blob: () => {
      const types = Buffer.alloc(u32s.length * 4);
      u32s.forEach((x, i) => types.writeUInt32LE(x >>> 0, i * 4));
      return btfBlob(types, Buffer.from(strings.map((x) => `${x}\0`).join(''), 'utf8'));
    },
  };
}

/** A raw BTF blob: the 24-byte header (version 1, no flags), then the type section, then the strings. */
export function btfBlob(types: Buffer, strings: Buffer): Buffer {
  const hdr = Buffer.alloc(24);
  hdr.writeUInt16LE(0xeb9f, 0);
  hdr.writeUInt8(1, 2);
  hdr.writeUInt32LE(24, 4);
  hdr.writeUInt32LE(0, 8);
  hdr.writeUInt32LE(types.length, 12);
  hdr.writeUInt32LE(types.length, 16);
  hdr.writeUInt32LE(strings.length, 20);
  return Buffer.concat([hdr, types, strings]);
}

/** Waits until a program id no longer resolves (the kernel frees programs shortly after the last fd closes). */
export async function waitProgGone(id: number, exists: (id: number) => boolean): Promise<void> {
  for (let i = 0; i < 500 && exists(id); i++) await new Promise((r) => setTimeout(r, 10));
  if (exists(id)) throw new Error(`program ${id} still exists 5 s after its last fd closed`);
}
