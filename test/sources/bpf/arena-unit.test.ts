// The arena layout's decisions without a kernel arena (the host may refuse them; arena.test.ts runs them for
// real): the libbpf placement chosen from the programs' addresses, the raw-address filter on dumped
// instructions, finding the loader's mapping through a /proc tree, the BTF paths, and the layout's plan.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { qmap } from '../../../profiles/qmap.js';
import { counter, defineStats } from '../../../src/declare/index.js';
import { arenaRanges, globalsOffset, rawImmediates } from '../../../src/sources/bpf/arena.js';
import { Btf } from '../../../src/sources/bpf/btf.js';
import { planMaps } from '../../../src/bpf-layout/layout.js';
import { shapeMismatch } from '../../../src/sources/bpf/shape.js';
import { arenaVar } from '../../../src/bpf-layout/ref.js';
import { MapType, type MapInfo } from '../../../src/sources/bpf/sys.js';
import { DATA_SIZE, QA_OFFSET, fixtureBtf, qaOffset } from './arena-fixture.js';

const PAGE = 4096;
const range = { start: 1n << 44n, size: 64 * PAGE, how: 'map_extra' };
const END = 63 * PAGE;

test('placement: the programs addresses choose base or end; a stray constant is outvoted; no evidence or a tie reads nothing', () => {
  const at = (...offs: number[]): bigint[] => offs.map((o) => range.start + BigInt(o));
  const decide = (addresses: bigint[]) => globalsOffset({ range, pages: 64, page: PAGE, dataSize: DATA_SIZE, addresses });
  assert.deepEqual(decide(at(8, 8, 16)), { offset: 0, how: "at the arena's base (3 of 3 addresses in the programs)" });
  assert.equal((decide(at(END + 8, END + 8)) as { offset: number }).offset, END);
  // A flag constant equal to the round map_extra (offset 0) next to the globals' own addresses at the end.
  assert.equal((decide([...at(END + 8, END + 8, 0), 5n, 2n ** 63n]) as { offset: number }).offset, END);
  assert.match(decide([5n]) as string, /no program instruction addresses the arena.*nothing is read rather than guessed/);
  assert.match(decide(at(8, END + 8)) as string, /as many in libbpf's base placement as in its end placement/);
  assert.match(decide(at(PAGE * 10)) as string, /outside both libbpf placements of 136 bytes \(base, or end at 0x3f000\)/);
  // One page arena: base and end are one place.
  assert.equal((globalsOffset({ range: { ...range, size: PAGE }, pages: 1, page: PAGE, dataSize: DATA_SIZE, addresses: at(8) }) as { offset: number }).offset, 0);
});

test('raw immediates: map-value references the dump gives back as (offset << 32 | map id) are left out', () => {
  const ld = (src: number, value: bigint): Buffer => {
    const b = Buffer.alloc(16);
    b.writeUInt8(0x18, 0);
    b.writeUInt8((src << 4) | 1, 1);
    b.writeUInt32LE(Number(value & 0xffffffffn), 4);
    b.writeUInt32LE(Number(value >> 32n), 12);
    return b;
  };
  const exit = Buffer.from([0x95, 0, 0, 0, 0, 0, 0, 0]);
  const insns = Buffer.concat([ld(0, (1n << 44n) + 0xfff9000n), exit, ld(2, (0x1000n << 32n) | 9n), ld(1, 9n), ld(0, 42n)]);
  assert.deepEqual(rawImmediates(insns), [(1n << 44n) + 0xfff9000n, 42n]);
});

test("arena ranges: map_extra when set, else the bpf-map mappings of the processes holding the map (libbpf's size first)", () => {
  const info = (mapExtra: bigint): MapInfo => ({ type: MapType.ARENA, id: 77, keySize: 0, valueSize: 0, maxEntries: 4, flags: 0x400, name: 'arena', btfId: 0, btfValueTypeId: 0, mapExtra, btfVmlinuxValueTypeId: 0, btfVmlinuxId: 0 });
  assert.deepEqual(arenaRanges(info(1n << 44n), PAGE), [{ start: 1n << 44n, size: 4 * PAGE, how: 'map_extra' }]);
  const proc = mkdtempSync(join(tmpdir(), 'scx-proc-'));
  try {
    const fake = (pid: number, fds: Record<string, string>, maps: string[]): void => {
      mkdirSync(join(proc, String(pid), 'fd'), { recursive: true });
      mkdirSync(join(proc, String(pid), 'fdinfo'));
      for (const [fd, text] of Object.entries(fds)) {
        symlinkSync('anon_inode:bpf-map', join(proc, String(pid), 'fd', fd));
        writeFileSync(join(proc, String(pid), 'fdinfo', fd), text);
      }
      writeFileSync(join(proc, String(pid), 'maps'), `${maps.join('\n')}\n`);
    };
    fake(4242, { 3: 'pos:\t0\nmap_type:\t33\nmap_id:\t77\n' }, [
      '7f0000000000-7f0000001000 rw-s 00000000 00:0f 1060 anon_inode:bpf-map',
      '7f0000100000-7f0000104000 rw-s 00000000 00:0f 1060 anon_inode:bpf-map',
      '7f0000200000-7f0000201000 r--p 00000000 08:01 12 /usr/lib/libc.so.6',
    ]);
    fake(4343, { 3: 'map_id:\t777\n' }, ['7e0000000000-7e0000004000 rw-s 00000000 00:0f 1060 anon_inode:bpf-map']);
    assert.deepEqual(arenaRanges(info(0n), PAGE, proc), [
      { start: 0x7f0000100000n, size: 4 * PAGE, how: "process 4242's mapping" },
      { start: 0x7f0000000000n, size: PAGE, how: "process 4242's mapping" },
    ]);
  } finally {
    rmSync(proc, { recursive: true, force: true });
  }
});

test('BTF: the .addr_space.1 DATASEC and a member path inside a struct variable', () => {
  const { raw, datasecId } = fixtureBtf('qmap_x');
  const btf = new Btf(raw);
  assert.equal(btf.findDatasec('.addr_space.1'), datasecId);
  assert.equal(btf.findDatasec('.bss'), undefined);
  const sec = btf.datasec(datasecId);
  assert.equal(sec.size, DATA_SIZE);
  const qa = sec.vars.get('qa');
  assert.ok(qa !== undefined);
  assert.equal(qa.offset, QA_OFFSET);
  assert.deepEqual(btf.placeIn(qa.type, 'nr_highpri_queued', 'variable qa'), { offset: qaOffset('nr_highpri_queued') - QA_OFFSET, size: 8 });
  assert.deepEqual(btf.placeIn(qa.type, 'cpuperf_avg', 'variable qa'), { offset: qaOffset('cpuperf_avg') - QA_OFFSET, size: 4 });
  assert.throws(() => btf.placeIn(qa.type, 'nr_missing', 'variable qa'), /variable qa has no member "nr_missing"/);
});

test('layout: arena refs plan one map of any size; paths must be C names', () => {
  const [plan] = planMaps(qmap.stats);
  assert.ok(plan !== undefined);
  assert.equal(plan.layout, 'arena');
  assert.equal(plan.name, 'arena');
  assert.equal(plan.entries.length, 18);
  const info: MapInfo = { type: MapType.ARENA, id: 1, keySize: 0, valueSize: 0, maxEntries: 65536, flags: 0x400, name: 'arena', btfId: 0, btfValueTypeId: 0, mapExtra: 0n, btfVmlinuxValueTypeId: 0, btfVmlinuxId: 0 };
  assert.equal(shapeMismatch(plan, info), undefined);
  assert.deepEqual(shapeMismatch(plan, { ...info, type: MapType.ARRAY }), { expected: 'type arena', found: 'type array' });
  const bad = defineStats({ name: 'bad', help: 'x', stats: { n: counter({ help: 'n', from: arenaVar('qa.nr-enqueued') }) } });
  assert.throws(() => planMaps(bad), /arena path "qa.nr-enqueued" is not a C variable and member path/);
});
