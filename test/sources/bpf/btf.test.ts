import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { Btf, BtfError, VMLINUX_BTF } from '../../../src/sources/bpf/btf.js';
import { hasCommand, needPeer } from '../../helpers/peers.js';
import { btfBlob, datasecBtf } from './fixtures.js';

/** A tiny BTF blob: int (id 1), struct outer { int a; union { int pid; } ; } (ids 2, 3), with names. */
function tinyBtf(): Buffer {
  const strs = Buffer.from('\0int\0outer\0a\0pid\0', 'latin1');
  const off = (s: string): number => strs.indexOf(Buffer.from(`\0${s}\0`, 'latin1')) + 1;
  const types: Buffer[] = [];
  const t = (name: number, kind: number, vlen: number, sizeOrType: number, extra: number[]): void => {
    const b = Buffer.alloc(12 + 4 * extra.length);
    b.writeUInt32LE(name, 0);
    b.writeUInt32LE(((kind & 0x1f) << 24) | vlen, 4);
    b.writeUInt32LE(sizeOrType, 8);
    extra.forEach((v, i) => b.writeUInt32LE(v, 12 + 4 * i));
    types.push(b);
  };
  t(off('int'), 1, 0, 4, [(1 << 24) | 32]); // 1: int, signed, 32 bits
  t(off('outer'), 4, 2, 16, [off('a'), 1, 0, 0, 3, 64]); // 2: struct outer { int a @0; <anon> @64 bits }
  t(0, 5, 1, 4, [off('pid'), 1, 0]); // 3: anonymous union { int pid @0 }
  return btfBlob(Buffer.concat(types), strs);
}

test('BTF reader: members inside anonymous unions add their offsets; missing things are named', () => {
  const btf = new Btf(tinyBtf(), "the kernel's BTF");
  assert.equal(btf.count, 3);
  assert.deepEqual(btf.memberPlace('outer', 'a'), { offset: 0, size: 4 });
  assert.deepEqual(btf.memberPlace('outer', 'pid'), { offset: 8, size: 4 });
  assert.throws(() => btf.memberPlace('outer', 'tgid'), /struct outer has no member "tgid"/);
  assert.throws(() => btf.memberPlace('inner', 'pid'), /struct inner is not in the kernel's BTF/);
  assert.throws(() => btf.rawTracepointArgs('sched_switch'), /no btf_trace_sched_switch typedef/);
  assert.throws(() => new Btf(Buffer.from('not btf at all, not at all')), (e: unknown) => e instanceof BtfError && /expected 0xeb9f/.test(e.message));
  const cut = tinyBtf().subarray(0, 40);
  assert.throws(() => new Btf(cut), /run past the end/);
});

test("BTF reader agrees with bpftool on the running kernel's task_struct.pid and tracepoint arities", (t) => {
  if (!needPeer(t, existsSync(VMLINUX_BTF), `${VMLINUX_BTF} (CONFIG_DEBUG_INFO_BTF)`)) return;
  if (!needPeer(t, hasCommand('bpftool', ['version']), 'bpftool (apt install bpftool)')) return;
  const btf = Btf.vmlinux();
  const dump = spawnSync('bpftool', ['btf', 'dump', 'file', VMLINUX_BTF, 'format', 'raw'], { encoding: 'utf8', maxBuffer: 256 << 20 });
  assert.equal(dump.status, 0, dump.stderr);
  const lines = dump.stdout.split('\n');
  const start = lines.findIndex((l) => /^\[\d+\] STRUCT 'task_struct' size=/.test(l));
  assert.ok(start >= 0, 'bpftool lists struct task_struct');
  let bits: number | undefined;
  for (let i = start + 1; i < lines.length && (lines[i] as string).startsWith('\t'); i++) {
    const m = /^\t'pid' type_id=\d+ bits_offset=(\d+)/.exec(lines[i] as string);
    if (m !== null) bits = Number(m[1]);
  }
  assert.ok(bits !== undefined, 'bpftool shows task_struct.pid');
  assert.deepEqual(btf.memberPlace('task_struct', 'pid'), { offset: bits / 8, size: 4 });
  // FUNC_PROTO of btf_trace_<tp>: its vlen is the context plus one per tracepoint argument.
  const protoParams = (tp: string): number => {
    const td = lines.find((l) => l.includes(`TYPEDEF 'btf_trace_${tp}' type_id=`));
    const ptrId = Number(/type_id=(\d+)/.exec(td ?? '')?.[1]);
    const ptr = lines.find((l) => l.startsWith(`[${ptrId}] PTR`));
    const protoId = Number(/type_id=(\d+)/.exec(ptr ?? '')?.[1]);
    const proto = lines.find((l) => l.startsWith(`[${protoId}] FUNC_PROTO`));
    return Number(/vlen=(\d+)/.exec(proto ?? '')?.[1]);
  };
  for (const tp of ['sched_switch', 'sched_wakeup', 'sched_wakeup_new', 'sched_migrate_task']) {
    assert.equal(btf.rawTracepointArgs(tp), protoParams(tp) - 1, tp);
  }
});

test('BTF reader: a DATASEC gives its size and each variable its offset, size and type; a wrong type id is named', () => {
  const { raw, datasecId } = datasecBtf('.bss', 24, [
    { name: 'nr_queued', offset: 16 },
    { name: 'nr_total', offset: 0 },
    { name: 'nr_cpus', offset: 8, size: 4 },
  ]);
  const sec = new Btf(raw, 'the test BTF').datasec(datasecId);
  assert.equal(sec.name, '.bss');
  assert.equal(sec.size, 24);
  // Types 1 and 2 are the blob's u64 and u32.
  assert.deepEqual([...sec.vars], [
    ['nr_total', { offset: 0, size: 8, type: 1 }],
    ['nr_cpus', { offset: 8, size: 4, type: 2 }],
    ['nr_queued', { offset: 16, size: 8, type: 1 }],
  ]);
  assert.throws(() => new Btf(raw, 'the test BTF').datasec(1), /type 1 in the test BTF is kind 1, expected a DATASEC/);
  assert.throws(() => new Btf(raw, 'the test BTF').datasec(datasecId + 1), /the test BTF has no type id 7 \(it has 6 types\)/);
});

test("BTF reader: a member path through a named nested struct agrees with bpftool (task_struct.sched_info.last_queued)", (t) => {
  if (!needPeer(t, existsSync(VMLINUX_BTF), `${VMLINUX_BTF} (CONFIG_DEBUG_INFO_BTF)`)) return;
  if (!needPeer(t, hasCommand('bpftool', ['version']), 'bpftool (apt install bpftool)')) return;
  const dump = spawnSync('bpftool', ['btf', 'dump', 'file', VMLINUX_BTF, 'format', 'raw'], { encoding: 'utf8', maxBuffer: 256 << 20 });
  assert.equal(dump.status, 0, dump.stderr);
  const lines = dump.stdout.split('\n');
  const memberBits = (struct: string, member: string): number | undefined => {
    const start = lines.findIndex((l) => l.startsWith('[') && l.includes(`] STRUCT '${struct}' size=`));
    for (let i = start + 1; start >= 0 && i < lines.length && (lines[i] as string).startsWith('\t'); i++) {
      const m = new RegExp(`^\\t'${member}' type_id=\\d+ bits_offset=(\\d+)`).exec(lines[i] as string);
      if (m !== null) return Number(m[1]);
    }
    return undefined;
  };
  const outer = memberBits('task_struct', 'sched_info');
  const inner = memberBits('sched_info', 'last_queued');
  if (!needPeer(t, outer !== undefined && inner !== undefined, 'a kernel with CONFIG_SCHED_INFO (task_struct.sched_info)')) return;
  assert.deepEqual(Btf.vmlinux().memberPlace('task_struct', 'sched_info.last_queued'), { offset: ((outer as number) + (inner as number)) / 8, size: 8 });
  assert.throws(() => Btf.vmlinux().memberPlace('task_struct', 'sched_info.nope'), /struct task_struct has no member "sched_info.nope"/);
});
