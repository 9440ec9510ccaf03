import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync, execFileSync } from 'node:child_process';
import {
  BPF_F_MMAPABLE, BpfError, BpfMap, MapType, ProgType, closeFd, mapIds, parseCpuList, possibleCpus, progFdById,
  progIds, progInfo, progLoad, rawTracepointOpen, objGet, isBpfError,
} from '../../../src/sources/bpf/sys.js';
import { needRoot } from '../../helpers/peers.js';
import { NOBODY, nobodyPath } from '../../helpers/unprivileged.js';
import { loadOwner, mountBpffs } from './fixtures.js';

test('parseCpuList: ranges, singles, holes, bad text', () => {
  assert.deepEqual(parseCpuList('0-3,5\n'), [0, 1, 2, 3, 5]);
  assert.deepEqual(parseCpuList('0'), [0]);
  assert.deepEqual(parseCpuList('0-1,4-5,8'), [0, 1, 4, 5, 8]);
  assert.throws(() => parseCpuList('0-x'), /bad CPU list "0-x": expected ranges/);
  assert.throws(() => parseCpuList('3-1'), /runs backwards/);
});

test('possibleCpus follows /sys/devices/system/cpu/possible', () => {
  const ids = parseCpuList(readFileSync('/sys/devices/system/cpu/possible', 'utf8'));
  assert.deepEqual(possibleCpus().ids, ids);
  assert.equal(possibleCpus().slots, ids.length);
});

test('per-CPU array: create, update, lookup, BigInt sums above 2^53, batch, info, find by id', (t) => {
  if (!needRoot(t)) return;
  const m = BpfMap.create({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 16, name: 'sys_t_pcpu' });
  try {
    const n = possibleCpus().slots;
    assert.equal(m.valueBytes, 8 * n);
    assert.equal(m.info.name, 'sys_t_pcpu');
    assert.equal(m.info.type, MapType.PERCPU_ARRAY);
    assert.equal(m.info.maxEntries, 16);
    const big = (1n << 62n) + 7n;
    for (let k = 0; k < 16; k++) {
      const v = m.newValue();
      for (let s = 0; s < n; s++) v.writeBigUInt64LE((k === 15 ? big : BigInt(k * 1000)) + BigInt(s), 8 * s);
      m.update(k, v);
    }
    const v3 = m.lookup(3);
    assert.ok(v3 !== undefined);
    assert.deepEqual(m.u64s(v3), Array.from({ length: n }, (_, s) => 3000n + BigInt(s)));
    const v15 = m.lookup(15);
    assert.ok(v15 !== undefined);
    const expect15 = BigInt.asUintN(64, Array.from({ length: n }, (_, s) => big + BigInt(s)).reduce((a, b) => a + b, 0n));
    assert.equal(m.sumU64(v15), expect15);
    assert.equal(m.lookup(16), undefined, 'key past max_entries is absent');

    const b = m.lookupBatch();
    assert.equal(b.count, 16);
    for (let k = 0; k < 16; k++) {
      assert.equal(b.keys.readUInt32LE(4 * k), k);
      assert.equal(b.values.readBigUInt64LE(k * m.valueBytes), k === 15 ? big : BigInt(k * 1000));
    }

    assert.throws(() => m.update(1, Buffer.alloc(8 * n - 8)), /value of \d+ bytes, expected \d+/);
    assert.throws(() => m.update(1, Buffer.alloc(8 * n + 8)), /expected/);

    assert.ok([...mapIds()].includes(m.info.id));
    const again = BpfMap.byId(m.info.id, { readOnly: true });
    assert.ok(again !== undefined);
    try {
      assert.equal(again.info.name, 'sys_t_pcpu');
      const v = again.lookup(3);
      assert.ok(v !== undefined);
      assert.equal(again.sumU64(v), m.sumU64(m.lookup(3) ?? Buffer.alloc(0)));
      assert.throws(() => again.update(3, again.newValue()), (e: unknown) => isBpfError(e, 'EPERM') && /writable map fd/.test(e.message));
    } finally {
      again.close();
    }
  } finally {
    m.close();
  }
  assert.equal(BpfMap.byId(0x7ffffff0), undefined, 'unknown id');
});

test('struct values: stride is round_up(value_size, 8), fields read per slot', (t) => {
  if (!needRoot(t)) return;
  const m = BpfMap.create({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 20, maxEntries: 1, name: 'sys_t_struct' });
  try {
    assert.equal(m.stride, 24);
    const v = m.newValue();
    for (let s = 0; s < m.slots; s++) {
      v.writeBigUInt64LE(BigInt(10 + s), s * 24);
      v.writeBigUInt64LE(BigInt(100 + s), s * 24 + 8);
      v.writeUInt32LE(7, s * 24 + 16);
    }
    m.update(0, v);
    const got = m.lookup(0);
    assert.ok(got !== undefined);
    assert.deepEqual(m.u64s(got, 8), Array.from({ length: m.slots }, (_, s) => BigInt(100 + s)));
  } finally {
    m.close();
  }
});

test('plain array: hash-style delete fails with EINVAL, error names command and errno', (t) => {
  if (!needRoot(t)) return;
  const m = BpfMap.create({ type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, name: 'sys_t_arr' });
  try {
    assert.throws(() => m.delete(0), (e: unknown) => e instanceof BpfError && e.command === 'BPF_MAP_DELETE_ELEM' && e.code === 'EINVAL');
  } finally {
    m.close();
  }
  assert.throws(
    () => BpfMap.create({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 0 }),
    (e: unknown) => e instanceof BpfError && e.code === 'EINVAL' && /BPF_MAP_CREATE/.test(e.message),
  );
  assert.throws(() => BpfMap.create({ type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, name: 'my-stats' }), /bad map name/);
});

test('mmap of a BPF_F_MMAPABLE array reads what the syscall wrote, and refuses after close', (t) => {
  if (!needRoot(t)) return;
  const m = BpfMap.create({ type: MapType.ARRAY, keySize: 4, valueSize: 24, maxEntries: 1, flags: BPF_F_MMAPABLE, name: 'sys_t.bss' });
  try {
    const view = m.mmap();
    assert.equal(view.length, 24);
    assert.equal(view.u64(8), 0n);
    const v = m.newValue();
    v.writeBigUInt64LE(123456789012345678n, 8);
    v.writeUInt32LE(42, 16);
    m.update(0, v);
    assert.equal(view.u64(8), 123456789012345678n);
    assert.equal(view.u32(16), 42);
    assert.throws(() => view.u64(20), RangeError);
    view.close();
    assert.throws(() => view.u64(0), /closed/);
  } finally {
    m.close();
  }
  const pc = BpfMap.create({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
  try {
    assert.throws(() => pc.mmap(), /not an mmapable array \(type percpu_array/);
  } finally {
    pc.close();
  }
});

test('pin and OBJ_GET on a private bpffs; read-only fd refuses updates; missing pin is ENOENT', (t) => {
  if (!needRoot(t)) return;
  const fs = mountBpffs();
  const m = BpfMap.create({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 2, name: 'sys_t_pin' });
  try {
    const v = m.newValue();
    v.writeBigUInt64LE(77n, 0);
    m.update(1, v);
    const path = join(fs.dir, 'stats');
    m.pin(path);
    const ro = BpfMap.fromPin(path);
    try {
      assert.equal(ro.info.id, m.info.id);
      assert.equal(ro.u64s(ro.lookup(1) ?? Buffer.alloc(0))[0], 77n);
      assert.throws(() => ro.update(1, ro.newValue()), (e: unknown) => isBpfError(e, 'EPERM'));
    } finally {
      ro.close();
    }
    assert.throws(() => objGet(join(fs.dir, 'nope')), (e: unknown) => isBpfError(e, 'ENOENT') && /BPF_OBJ_GET \(.*nope\): ENOENT/.test(e.message));
  } finally {
    m.close();
    fs.cleanup();
  }
});

test('PROG_LOAD: program owning maps lists their ids; raw tracepoint counts real sched_switch events', (t) => {
  if (!needRoot(t)) return;
  const counts = BpfMap.create({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 2, name: 'sys_t_cnt' });
  const other = BpfMap.create({ type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, name: 'sys_t_other' });
  const prog = loadOwner('sys_t_owner', [counts.fd, other.fd]);
  try {
    const info = progInfo(prog);
    assert.equal(info.name, 'sys_t_owner');
    assert.equal(info.type, ProgType.RAW_TRACEPOINT);
    assert.deepEqual([...info.mapIds].sort((a, b) => a - b), [counts.info.id, other.info.id].sort((a, b) => a - b));
    assert.ok([...progIds()].includes(info.id));
    const byId = progFdById(info.id);
    assert.ok(byId !== undefined);
    assert.equal(progInfo(byId).name, 'sys_t_owner');
    closeFd(byId);

    const link = rawTracepointOpen('sched_switch', prog);
    try {
      for (let i = 0; i < 20; i++) execFileSync('true'); // context switches
    } finally {
      closeFd(link);
    }
    const v = counts.lookup(0);
    assert.ok(v !== undefined);
    assert.ok(counts.sumU64(v) > 0n, 'sched_switch bumped slot 0');
  } finally {
    closeFd(prog);
    counts.close();
    other.close();
  }
});

test('PROG_LOAD failure carries the verifier log', (t) => {
  if (!needRoot(t)) return;
  const bad = Buffer.alloc(8); // a single `ld` with opcode 0: not a valid program (no exit)
  assert.throws(
    () => progLoad({ type: ProgType.RAW_TRACEPOINT, insns: bad, name: 'bad_prog' }),
    (e: unknown) => e instanceof BpfError && e.command === 'BPF_PROG_LOAD' && e.code === 'EINVAL' && typeof e.log === 'string' && e.log.length > 0,
  );
});

test('without privileges: EPERM names the missing capability', (t) => {
  if (!needRoot(t)) return;
  const here = nobodyPath('dist/src/sources/bpf/sys.js');
  const script = `import('${here}').then((s) => { try { [...s.mapIds()]; console.log('no error'); } catch (e) { console.log(e.message); } })`;
  const r = spawnSync(process.execPath, ['-e', script], { uid: NOBODY, gid: NOBODY, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /BPF_MAP_GET_NEXT_ID: EPERM: operation not permitted, needs CAP_SYS_ADMIN/);
  const create = `import('${here}').then((s) => { try { s.createMap({ type: 6, keySize: 4, valueSize: 8, maxEntries: 1 }); console.log('no error'); } catch (e) { console.log(e.message); } })`;
  const r2 = spawnSync(process.execPath, ['-e', create], { uid: NOBODY, gid: NOBODY, encoding: 'utf8' });
  assert.match(r2.stdout, /BPF_MAP_CREATE: EPERM: operation not permitted, needs CAP_BPF/);
});
