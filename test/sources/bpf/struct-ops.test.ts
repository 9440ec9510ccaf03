/**
 * Telling schedulers apart by their struct_ops maps, without a sched_ext kernel: the host (6.18) has no
 * sched_ext struct_ops, so values are built on the layout of Linux 7.2's own BTF (the harness's cached
 * vmlinux.btf, the bytes the guest serves as /sys/kernel/btf/vmlinux) and parsed back. The real maps are read in
 * test/kernel/qmap-sub.ktest.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { defineStats, counter, gauge } from '../../../src/declare/index.js';
import { Btf } from '../../../src/sources/bpf/btf.js';
import { scopePrograms } from '../../../src/sources/bpf/scope.js';
import { type SchedOps, isRootCgroup, opsLayout, parseOpsValue } from '../../../src/sources/bpf/struct-ops.js';
import { subFamilyName, subStatSet } from '../../../src/sources/bpf/sub-stats.js';
import { statsIndex } from '../../../src/bpf-layout/ref.js';
import type { ProgInfo } from '../../../src/sources/bpf/sys.js';

const CACHE = process.env.SCX_KERNEL_CACHE ?? '/var/cache/scx-metrics-kernel';

/** The newest cached 7.x kernel's BTF, if the real-kernel harness has run on this machine. */
function kernelBtf(): string | undefined {
  if (!existsSync(CACHE)) return undefined;
  const versions = readdirSync(CACHE).filter((v) => /^\d+\.\d+/.test(v) && existsSync(join(CACHE, v, 'vmlinux.btf'))).sort();
  const v = versions.at(-1);
  return v === undefined ? undefined : join(CACHE, v, 'vmlinux.btf');
}

const btfPath = kernelBtf();
const skip = btfPath === undefined ? `no cached sched_ext kernel BTF under ${CACHE} (npm run test:kernel fetches one)` : false;

test('struct_ops layout from the 7.2 BTF: name, sub_cgroup_id and the program slots of both ops value types', { skip }, () => {
  const btf = Btf.vmlinux(btfPath);
  for (const type of ['bpf_struct_ops_sched_ext_ops', 'bpf_struct_ops_sched_ext_ops_cid']) {
    const id = btf.find(type, 'struct');
    assert.ok(id !== undefined, `${type} is in the BTF`);
    const l = opsLayout(btf, id);
    assert.ok(l !== undefined);
    // What the brief read off 7.2: data at 64, sub_cgroup_id at 64 + 312, name at 64 + 320, 128 bytes.
    assert.equal(btf.placeIn(id, 'data', type).offset, 64);
    assert.equal(l.cgroupIdOffset, 376);
    assert.deepEqual(l.name, { offset: 384, size: 128 });
    // enqueue is the second callback (select_cpu first), at data + 8.
    assert.ok(l.progOffsets.includes(64 + 8), `${type}: enqueue's slot`);
    assert.ok(!l.progOffsets.some((o) => o >= 344 && o <= 512), 'data fields (dispatch_max_batch .. name) and priv are not program slots');
    assert.ok(l.progOffsets.length > 20, `${type}: ${l.progOffsets.length} callbacks`);
    assert.ok(l.progOffsets.includes(336), 'exit, the last callback before the data fields');
    if (type === 'bpf_struct_ops_sched_ext_ops') assert.ok(l.progOffsets.includes(528), 'cpu_release, after priv (the cid ops have no cpu_acquire/release)');
    assert.ok(l.progOffsets.every((o) => o >= 64 && o % 8 === 0));
  }
  // Another struct_ops value type (TCP congestion control) is not sched_ext's.
  const tcp = btf.find('bpf_struct_ops_tcp_congestion_ops', 'struct');
  if (tcp !== undefined) assert.equal(opsLayout(btf, tcp), undefined);
  assert.equal(opsLayout(btf, btf.count + 5), undefined, 'a type id past vmlinux (a module BTF) is not taken');
});

test('struct_ops value: a root and a sub-scheduler value parsed back (name, cgroup id, program ids)', { skip }, () => {
  const btf = Btf.vmlinux(btfPath);
  const l = opsLayout(btf, btf.find('bpf_struct_ops_sched_ext_ops', 'struct') as number);
  assert.ok(l !== undefined);
  const value = (cgroupId: bigint, progs: readonly number[]): Buffer => {
    const b = Buffer.alloc(576);
    b.writeUInt32LE(1, 0); // common.refcnt
    b.writeUInt32LE(3, 4); // common.state READY
    b.write('qmap', l.name.offset, 'utf8');
    b.writeBigUInt64LE(cgroupId, l.cgroupIdOffset);
    progs.forEach((p, i) => b.writeBigUInt64LE(BigInt(p), l.progOffsets[i * 2])); // every other slot, the rest unset
    b.writeBigUInt64LE(0xffff888812345678n, 64 + 320 + 128); // `priv`, a data pointer after name: not a callback slot
    b.writeUInt32LE(5000, 360); // timeout_ms: not a slot either
    return b;
  };
  const root = parseOpsValue(value(0n, [41, 40, 42]), l);
  assert.deepEqual(root, { name: 'qmap', cgroupId: 0n, progIds: [40, 41, 42] });
  assert.ok(isRootCgroup(root.cgroupId) && isRootCgroup(1n) && !isRootCgroup(28n));
  const sub = parseOpsValue(value(28n, [90, 91]), l);
  assert.deepEqual(sub, { name: 'qmap', cgroupId: 28n, progIds: [90, 91] });
  assert.throws(() => parseOpsValue(Buffer.alloc(100), l), /value of 100 bytes, expected at least/);
});

const prog = (id: number, name: string, mapIds: number[]): ProgInfo => ({ type: 27, id, name, mapIds, btfId: 0 });

test('scopePrograms: the root and a sub-scheduler of the same object get their own programs; none when unlisted', () => {
  const all = [prog(40, 'qmap_enqueue', [9, 10]), prog(41, 'qmap_dispatch', [9]), prog(90, 'qmap_enqueue', [19, 20]), prog(91, 'qmap_dispatch', [19]), prog(7, 'other', [3])];
  const ops: SchedOps[] = [
    { mapId: 21, name: 'qmap', cgroupId: 28n, progIds: [90, 91] },
    { mapId: 11, name: 'qmap', cgroupId: 0n, progIds: [40, 41] },
  ];
  const root = scopePrograms(all, ['qmap_'], { kind: 'root' }, ops);
  assert.deepEqual(root?.progs.map((p) => p.id), [40, 41]);
  assert.equal(root?.ops.mapId, 11);
  const sub = scopePrograms(all, ['qmap_'], { kind: 'sub', cgroupId: '28' }, ops);
  assert.deepEqual(sub?.progs.map((p) => p.id), [90, 91]);
  assert.equal(scopePrograms(all, ['qmap_'], { kind: 'sub', cgroupId: '29' }, ops), undefined);
  assert.equal(scopePrograms(all, ['rusty_'], { kind: 'root' }, ops), undefined, 'no struct_ops map lists rusty_ programs');
  // A root restarted while its predecessor's map lingers: the newest map with the profile's programs wins.
  const again = scopePrograms([...all, prog(60, 'qmap_enqueue', [30])], ['qmap_'], { kind: 'root' }, [{ mapId: 31, name: 'qmap', cgroupId: 1n, progIds: [60] }, ...ops]);
  assert.deepEqual(again?.progs.map((p) => p.id), [60]);
});

test('sub-scheduler families: _sub after the prefix, cgroup_id and cgroup first, built once per set', () => {
  const set = defineStats({
    name: 'demo',
    help: 'demo',
    prefix: 'scx_demo',
    stats: {
      enqueued_tasks: counter({ help: 'e', from: statsIndex() }),
      queued: gauge({ help: 'q', labels: { dsq: ['local', 'global'] }, from: statsIndex() }),
    },
  });
  const sub = subStatSet(set);
  assert.equal(subStatSet(set), sub, 'the same declarations for every sub-scheduler of the profile');
  assert.equal(sub.stats.enqueued_tasks?.name, 'scx_demo_sub_enqueued_tasks');
  assert.deepEqual(Object.keys(sub.stats.queued?.labels ?? {}), ['cgroup_id', 'cgroup', 'dsq']);
  assert.equal(subFamilyName({ name: 'dispatched_tasks', key: 'dispatched_tasks' }), 'sub_dispatched_tasks', 'no prefix (rusty)');
  assert.equal(subFamilyName({ name: 'scx_x_wait_seconds', key: 'wait' }), 'scx_x_sub_wait_seconds');
  assert.equal(subFamilyName({ name: 'scx_x_events', key: 'events_total' }), 'scx_x_sub_events');
});
