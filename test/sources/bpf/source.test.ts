import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { counter, defineStats, gauge } from '../../../src/declare/index.js';
import type { StatSet } from '../../../src/declare/types.js';
import { Registry, type CounterSeries, type GaugeSeries } from '../../../src/registry/index.js';
import { memoryLogger } from '../../../src/support/log.js';
import { BpfSource } from '../../../src/sources/bpf/source.js';
import { enumEntries, planMaps } from '../../../src/bpf-layout/layout.js';
import { statsIndex, structField, globalVar } from '../../../src/bpf-layout/ref.js';
import { BPF_F_MMAPABLE, BpfMap, MapType, btfLoad, closeFd, possibleCpus, progExists, progInfo } from '../../../src/sources/bpf/sys.js';
import { bpfPlugin, profileForOps } from '../../../src/sources/bpf/plugin.js';
import { UsageError } from '../../../src/plugin/flags.js';
import type { PluginEnv } from '../../../src/plugin/plugin.js';
import { profiles, rusty, central } from '../../../profiles/index.js';
import { needRoot } from '../../helpers/peers.js';
import { datasecBtf, loadOwner, mountBpffs, waitProgGone } from './fixtures.js';

// Program names unique to this process, so parallel test runs never find each other's maps.
const PREFIX = `t${process.pid % 100000}_`;
const CPUS = possibleCpus();

/** A series' value by exposed family name and label values (in the family's label order). */
function value(reg: Registry, name: string, labels: readonly string[] = []): number {
  const fam = reg.get(name);
  assert.ok(fam !== undefined, `family ${name} registered`);
  return (fam.withValues(labels) as CounterSeries | GaugeSeries).value;
}

/** Per-CPU value for (index, cpu slot) the tests write: distinct everywhere so a wrong index or slot shows. */
const cell = (index: number, slot: number, scale = 1): bigint => BigInt((index + 1) * 1000 * scale + slot * 7 + 1);
const cellSum = (index: number, scale = 1): number => CPUS.ids.reduce((a, _, s) => a + Number(cell(index, s, scale)), 0);

function writeEnum(map: BpfMap, entries: number, scale = 1): void {
  for (let i = 0; i < entries; i++) {
    const v = map.newValue();
    for (let s = 0; s < map.slots; s++) v.writeBigUInt64LE(cell(i, s, scale), s * 8);
    map.update(i, v);
  }
}

/** A scheduler stand-in: maps plus a program named `<PREFIX><suffix>` that uses them. */
interface FakeSched {
  maps: BpfMap[];
  prog: number;
  progId: number;
  close(): void;
}

function fakeSched(suffix: string, maps: BpfMap[]): FakeSched {
  const prog = loadOwner(`${PREFIX}${suffix}`, maps.map((m) => m.fd), { bump: false });
  const progId = progInfo(prog).id;
  return {
    maps,
    prog,
    progId,
    close: () => {
      closeFd(prog);
      for (const m of maps) m.close();
    },
  };
}

function enumMap(entries: number, name = 'stats'): BpfMap {
  return BpfMap.create({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: entries, name });
}

function attach(src: BpfSource): { reg: Registry; log: ReturnType<typeof memoryLogger> } {
  const reg = new Registry();
  const log = memoryLogger();
  src.attach({ registry: reg, log });
  return { reg, log };
}

test('stats enum: declaration order, closed label values expanded, explicit index, errors', () => {
  const e = enumEntries(rusty.stats);
  assert.equal(e.length, 17);
  assert.deepEqual(e.slice(0, 3).map((x) => [x.index, x.decl.key, x.labelValues[0]]), [
    [0, 'dispatched_tasks', 'wsync'],
    [1, 'dispatched_tasks', 'wsync_prev_idle'],
    [2, 'dispatched_tasks', 'prev_idle'],
  ]);
  assert.deepEqual(e.slice(10).map((x) => x.decl.key + (x.labelValues[0] ?? '')), [
    'dispatched_tasksgreedy_xnuma', 'repatriate', 'kick_greedy', 'load_balance', 'task_errors', 'dl_clamped', 'dl_preset',
  ]);
  const gap = defineStats({ name: 'g', help: '', stats: { a: counter({ help: '', from: statsIndex() }), b: counter({ help: '', from: statsIndex({ index: 5 }) }), c: counter({ help: '', from: statsIndex() }) } });
  assert.deepEqual(enumEntries(gap).map((x) => x.index), [0, 5, 6]);
  assert.equal(planMaps(gap)[0]?.shape.maxEntries, 7);
  const open = defineStats({ name: 'o', help: '', stats: { a: counter({ help: '', labels: { cpu: String }, from: statsIndex() }) } });
  assert.throws(() => enumEntries(open), /label "cpu" is open/);
  const dup = defineStats({ name: 'd', help: '', stats: { a: counter({ help: '', from: statsIndex() }), b: counter({ help: '', from: statsIndex({ index: 0 }) }) } });
  assert.throws(() => enumEntries(dup), /enum index 0 is used by both "a" and "b"/);
  assert.equal(planMaps(central.stats)[0]?.shape.valueSizeIsMinimum, true);
});

for (const name of ['rusty', 'simple', 'nest', 'flatcg'] as const) {
  test(`profile ${name}: a map with its exact layout reads back as the declared series, summed over possible CPUs`, (t) => {
    if (!needRoot(t)) return;
    const profile = profiles[name];
    assert.ok(profile !== undefined);
    const plan = planMaps(profile.stats)[0];
    assert.ok(plan !== undefined);
    const n = plan.shape.maxEntries ?? 0;
    const sched = fakeSched(`${name.slice(0, 3)}_enq`, [enumMap(n)]);
    try {
      writeEnum(sched.maps[0] as BpfMap, n);
      const src = new BpfSource({ stats: profile.stats, programs: [PREFIX] });
      const { reg } = attach(src);
      src.collect();
      for (const e of plan.entries) assert.equal(value(reg, e.decl.name, e.labelValues), cellSum(e.index), `${e.decl.key}${JSON.stringify(e.labelValues)}`);
      src.close();
    } finally {
      sched.close();
    }
  });
}

test('rusty: dispatched_tasks{type=...} carries the metrics-era names', (t) => {
  if (!needRoot(t)) return;
  const sched = fakeSched('rus_sel', [enumMap(17)]);
  try {
    writeEnum(sched.maps[0] as BpfMap, 17);
    const src = new BpfSource({ stats: rusty.stats, programs: [PREFIX] });
    const { reg } = attach(src);
    src.collect();
    assert.equal(value(reg, 'dispatched_tasks', ['greedy_xnuma']), cellSum(10));
    assert.equal(value(reg, 'dispatched_tasks', ['wsync']), cellSum(0));
    assert.equal(value(reg, 'kick_greedy', []), cellSum(12));
    assert.equal(value(reg, 'dl_preset', []), cellSum(16));
    src.close();
  } finally {
    sched.close();
  }
});

test('--bpf-per-cpu keeps a cpu label per possible CPU', (t) => {
  if (!needRoot(t)) return;
  const sched = fakeSched('pcpu', [enumMap(2)]);
  try {
    writeEnum(sched.maps[0] as BpfMap, 2);
    const src = new BpfSource({ stats: profiles.simple!.stats, programs: [PREFIX], perCpu: true });
    const { reg } = attach(src);
    src.collect();
    const fam = reg.get('scx_simple_queued_tasks');
    assert.deepEqual(fam?.labelNames, ['cpu', 'dsq']);
    CPUS.ids.forEach((cpu, s) => {
      assert.equal(value(reg, 'scx_simple_queued_tasks', [String(cpu), 'local']), Number(cell(0, s)));
      assert.equal(value(reg, 'scx_simple_queued_tasks', [String(cpu), 'global']), Number(cell(1, s)));
    });
    src.close();
  } finally {
    sched.close();
  }
});

test('per-CPU struct layout: fields at declared offsets, counter and gauge, summed or per CPU', (t) => {
  if (!needRoot(t)) return;
  const set = defineStats({
    name: 'ctx',
    help: '',
    prefix: 'tst',
    stats: {
      runs: counter({ help: 'runs', from: structField('cpu_ctxs', 24, 8) }),
      level: gauge({ help: 'level', from: structField('cpu_ctxs', 24, 16, 'u32') }),
    },
  });
  const map = BpfMap.create({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 24, maxEntries: 1, name: 'cpu_ctxs' });
  const sched = fakeSched('ctx', [map]);
  try {
    const v = map.newValue();
    for (let s = 0; s < map.slots; s++) {
      v.writeBigUInt64LE(999n, s * 24); // not read
      v.writeBigUInt64LE(BigInt(100 + s), s * 24 + 8);
      v.writeUInt32LE(3 + s, s * 24 + 16);
    }
    map.update(0, v);
    const sum = new BpfSource({ stats: set, programs: [PREFIX] });
    const a = attach(sum);
    sum.collect();
    assert.equal(value(a.reg, 'tst_runs'), CPUS.ids.reduce((x, _, s) => x + 100 + s, 0));
    assert.equal(value(a.reg, 'tst_level'), CPUS.ids.reduce((x, _, s) => x + 3 + s, 0));
    const per = new BpfSource({ stats: set, programs: [PREFIX], perCpu: true });
    const b = attach(per);
    per.collect();
    CPUS.ids.forEach((cpu, s) => assert.equal(value(b.reg, 'tst_runs', [String(cpu)]), 100 + s));
    sum.close();
    per.close();
  } finally {
    sched.close();
  }
});

/** A `.bss`-style map with BTF placing central's variables in first-use order, as clang does. */
function centralBss(opts: { mmapable: boolean; withBtf: boolean }): { map: BpfMap; offsets: Record<string, number>; btfFd: number | undefined } {
  const order = ['nr_total', 'nr_overflows', 'nr_queued', 'nr_locals', 'nr_lost_pids', 'nr_timers', 'nr_dispatches', 'nr_mismatches', 'nr_retries'];
  const offsets = Object.fromEntries(order.map((n, i) => [n, i * 8]));
  const size = order.length * 8 + 8; // one more variable the profile does not read
  let btfFd: number | undefined;
  let btf: { fd: number; valueTypeId: number } | undefined;
  if (opts.withBtf) {
    const b = datasecBtf('.bss', size, [...order.map((name) => ({ name, offset: offsets[name] as number })), { name: 'other', offset: size - 8 }]);
    btfFd = btfLoad(b.raw);
    btf = { fd: btfFd, valueTypeId: b.datasecId };
  }
  const map = BpfMap.create({
    type: MapType.ARRAY, keySize: 4, valueSize: size, maxEntries: 1, name: 'scx_cent.bss',
    flags: opts.mmapable ? BPF_F_MMAPABLE : 0, ...(btf !== undefined ? { btf } : {}),
  });
  return { map, offsets, btfFd };
}

test('central: .bss globals found by name through the map BTF, read via mmap', (t) => {
  if (!needRoot(t)) return;
  const { map, offsets, btfFd } = centralBss({ mmapable: true, withBtf: true });
  const sched = fakeSched('cen_enq', [map]);
  try {
    const v = map.newValue();
    Object.entries(offsets).forEach(([_name, off], i) => v.writeBigUInt64LE(BigInt(1000 + i), off));
    v.writeBigInt64LE(-2n, offsets.nr_queued); // a gauge that raced below zero stays signed
    map.update(0, v);
    const src = new BpfSource({ stats: central.stats, programs: [PREFIX] });
    const { reg, log } = attach(src);
    src.collect();
    assert.equal(value(reg, 'scx_central_enqueued_tasks'), 1000);
    assert.equal(value(reg, 'scx_central_queue_overflows'), 1001);
    assert.equal(value(reg, 'scx_central_queued_tasks'), -2);
    assert.equal(value(reg, 'scx_central_dispatch_retries'), 1008);
    assert.ok(log.lines.some((l) => /mmapped/.test(l)), log.lines.join('\n'));
    // mmap sees new values with no syscall
    v.writeBigUInt64LE(5000n, offsets.nr_total);
    map.update(0, v);
    src.collect();
    assert.equal(value(reg, 'scx_central_enqueued_tasks'), 5000);
    src.close();
  } finally {
    sched.close();
    if (btfFd !== undefined) closeFd(btfFd);
  }
});

test('globals without BTF: declared offsets via lookup; no offset and no BTF is a clear error', (t) => {
  if (!needRoot(t)) return;
  const { map } = centralBss({ mmapable: false, withBtf: false });
  const sched = fakeSched('glob', [map]);
  try {
    const v = map.newValue();
    v.writeBigUInt64LE(77n, 16);
    map.update(0, v);
    const withOffset = defineStats({ name: 'g', help: '', prefix: 'tst', stats: { q: counter({ help: 'q', from: globalVar('nr_queued', { offset: 16 }) }) } });
    const ok = new BpfSource({ stats: withOffset, programs: [PREFIX] });
    const a = attach(ok);
    ok.collect();
    assert.equal(value(a.reg, 'tst_q'), 77);
    ok.close();
    const bad = new BpfSource({ stats: central.stats, programs: [PREFIX] });
    attach(bad);
    assert.throws(() => bad.collect(), /carries no BTF and stat "enqueued_tasks" gives no offset for "nr_total"/);
    bad.close();
  } finally {
    sched.close();
  }
});

test('two sources reading one map at once both see every increment', (t) => {
  if (!needRoot(t)) return;
  const sched = fakeSched('two', [enumMap(17)]);
  try {
    const map = sched.maps[0] as BpfMap;
    writeEnum(map, 17);
    const s1 = new BpfSource({ stats: rusty.stats, programs: [PREFIX] });
    const s2 = new BpfSource({ stats: rusty.stats, programs: [PREFIX] });
    const r1 = attach(s1).reg;
    const r2 = attach(s2).reg;
    s1.collect();
    s2.collect();
    writeEnum(map, 17, 3);
    s2.collect();
    s1.collect();
    s1.collect();
    for (const r of [r1, r2]) {
      assert.equal(value(r, 'dispatched_tasks', ['pinned']), cellSum(4, 3));
      assert.equal(value(r, 'dl_clamped'), cellSum(15, 3));
    }
    s1.close();
    s2.close();
  } finally {
    sched.close();
  }
});

test('scheduler restart: re-attached in the same interval, counters continue from where they were', async (t) => {
  if (!needRoot(t)) return;
  const first = fakeSched('rst', [enumMap(17)]);
  const src = new BpfSource({ stats: rusty.stats, programs: [PREFIX] });
  const { reg, log } = attach(src);
  let second: FakeSched | undefined;
  let third: FakeSched | undefined;
  try {
    writeEnum(first.maps[0] as BpfMap, 17, 5);
    src.collect();
    const before = value(reg, 'dispatched_tasks', ['dsq']);
    assert.equal(before, cellSum(8, 5));
    const oldId = (first.maps[0] as BpfMap).info.id;
    // The scheduler exits: its program goes; our fd still holds the old map, which must not be read any more.
    first.close();
    await waitProgGone(first.progId, progExists);
    assert.throws(() => src.collect(), /no BPF programs named t\d+_\* are loaded/);
    assert.throws(() => src.collect(), /no BPF programs named/);
    assert.equal(log.lines.filter((l) => /went away/.test(l)).length, 1, 'the loss is said once');
    assert.equal(value(reg, 'dispatched_tasks', ['dsq']), before, 'nothing exported while it is gone');
    // It comes back with a new map starting lower: the counter adds the new values to what it had.
    second = fakeSched('rst', [enumMap(17)]);
    assert.notEqual((second.maps[0] as BpfMap).info.id, oldId);
    writeEnum(second.maps[0] as BpfMap, 17, 1);
    src.collect();
    assert.equal(value(reg, 'dispatched_tasks', ['dsq']), before + cellSum(8, 1));
    assert.ok(log.lines.some((l) => new RegExp(`reading map "stats" \\(id ${(second?.maps[0] as BpfMap).info.id}`).test(l)));
    // Restarted again, noticed only once the new map already holds more than the old one did.
    const mid = value(reg, 'dispatched_tasks', ['dsq']);
    second.close();
    await waitProgGone(second.progId, progExists);
    third = fakeSched('rst', [enumMap(17)]);
    writeEnum(third.maps[0] as BpfMap, 17, 9);
    src.collect();
    assert.equal(value(reg, 'dispatched_tasks', ['dsq']), mid + cellSum(8, 9));
    for (const s of reg.get('dispatched_tasks')?.series ?? []) assert.ok((s as CounterSeries).value >= 0);
  } finally {
    src.close();
    second?.close();
    third?.close();
  }
});

test('values dropping on the same map (another reader resets it) never take a counter backwards', (t) => {
  if (!needRoot(t)) return;
  const sched = fakeSched('drop', [enumMap(2)]);
  try {
    const map = sched.maps[0] as BpfMap;
    writeEnum(map, 2, 4);
    const snap = new BpfSource({ stats: profiles.simple!.stats, programs: [PREFIX] });
    const resetter = new BpfSource({ stats: profiles.simple!.stats, programs: [PREFIX], resetOnRead: true });
    const a = attach(snap).reg;
    attach(resetter);
    snap.collect();
    const v0 = value(a, 'scx_simple_queued_tasks', ['global']);
    resetter.collect(); // zeroes the map
    writeEnum(map, 2, 1);
    snap.collect();
    assert.equal(value(a, 'scx_simple_queued_tasks', ['global']), v0 + cellSum(1, 1));
    snap.close();
    resetter.close();
  } finally {
    sched.close();
  }
});

test('--bpf-reset-on-read: reads, zeroes the map, counts deltas', (t) => {
  if (!needRoot(t)) return;
  const sched = fakeSched('rst_rd', [enumMap(17)]);
  try {
    const map = sched.maps[0] as BpfMap;
    writeEnum(map, 17, 2);
    const src = new BpfSource({ stats: rusty.stats, programs: [PREFIX], resetOnRead: true });
    const { reg } = attach(src);
    src.collect();
    assert.equal(value(reg, 'repatriate'), cellSum(11, 2));
    for (let i = 0; i < 17; i++) assert.equal(map.sumU64(map.lookup(i) ?? Buffer.alloc(0)), 0n, `key ${i} zeroed`);
    writeEnum(map, 17, 1);
    src.collect();
    assert.equal(value(reg, 'repatriate'), cellSum(11, 2) + cellSum(11, 1));
    src.close();
  } finally {
    sched.close();
  }
});

test('layout mismatch names expected and found', (t) => {
  if (!needRoot(t)) return;
  const cases: [BpfMap, string][] = [
    [enumMap(16), 'expected max_entries 17, found max_entries 16'],
    [BpfMap.create({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 4, maxEntries: 17, name: 'stats' }), 'expected value size 8, found value size 4'],
    [BpfMap.create({ type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 17, name: 'stats' }), 'expected type percpu_array, found type array'],
  ];
  for (const [map, what] of cases) {
    const sched = fakeSched('bad', [map]);
    try {
      const src = new BpfSource({ stats: rusty.stats, programs: [PREFIX] });
      attach(src);
      // One line: the map once, the profile, expected and found.
      assert.throws(() => src.collect(), { message: `map "stats" (id ${map.info.id}) does not fit profile rusty (percpu_array layout): ${what}` });
      src.close();
    } finally {
      sched.close();
    }
  }
});

function env(log = memoryLogger()): PluginEnv {
  return { log, intervalSeconds: 1, out: process.stdout, env: {} };
}

test('plugin: --scheduler rusty --bpf-pin PATH reads a pinned map on a private bpffs', async (t) => {
  if (!needRoot(t)) return;
  const fs = mountBpffs();
  const map = enumMap(17);
  try {
    writeEnum(map, 17);
    const path = join(fs.dir, 'rusty_stats');
    map.pin(path);
    const [src] = await bpfPlugin.create({ scheduler: 'rusty', 'bpf-pin': [path] }, env());
    assert.ok(src !== undefined);
    const reg = new Registry();
    await src.attach({ registry: reg, log: memoryLogger() });
    await src.collect();
    assert.equal(value(reg, 'dispatched_tasks', ['direct_greedy_far']), cellSum(7));
    // Re-pinned to a new map (a restart that pins again): noticed through the pin's inode.
    const next = enumMap(17);
    writeEnum(next, 17, 2);
    rmSync(path);
    next.pin(path);
    await src.collect();
    assert.equal(value(reg, 'dispatched_tasks', ['direct_greedy_far']), cellSum(7) + cellSum(7, 2));
    next.close();
    await src.close?.();
    const [byName] = await bpfPlugin.create({ scheduler: 'scx_rusty', 'bpf-pin': [`stats=${path}`] }, env());
    assert.ok(byName !== undefined);
  } finally {
    map.close();
    fs.cleanup();
  }
});

test('plugin: --bpf-map-id reads the map with that id', async (t) => {
  if (!needRoot(t)) return;
  const map = enumMap(2);
  try {
    writeEnum(map, 2);
    const [src] = await bpfPlugin.create({ scheduler: 'simple', 'bpf-map-id': [String(map.info.id)] }, env());
    assert.ok(src !== undefined);
    const reg = new Registry();
    await src.attach({ registry: reg, log: memoryLogger() });
    await src.collect();
    assert.equal(value(reg, 'scx_simple_queued_tasks', ['global']), cellSum(1));
    await src.close?.();
  } finally {
    map.close();
  }
});

test('plugin: picks the profile of the running scheduler from <sched-ext-root>/root/ops; usage errors', async () => {
  const root = mkdtempSync(join(tmpdir(), 'scx-root-'));
  try {
    mkdirSync(join(root, 'root'));
    writeFileSync(join(root, 'root', 'ops'), 'rusty_1.0.12_g0123abcd_x86_64-unknown-linux-gnu\n');
    const srcs = await bpfPlugin.create({ 'sched-ext-root': root }, env());
    assert.deepEqual(srcs.map((s) => s.name), ['bpf', 'bpf:sub'], 'the running scheduler, and its sub-schedulers');
    assert.deepEqual(srcs[1]?.stats(), [], 'no sub-scheduler, no stats');
    assert.deepEqual(srcs[0]?.stats().map((s) => s.name), ['rusty'], 'describe lists the running scheduler\'s stats');
    const log = memoryLogger();
    await srcs[0]?.attach({ registry: new Registry(), log });
    try {
      await srcs[0]?.collect(); // reads rusty's maps if another run has rusty_ programs loaded; fails if none
    } catch (err) {
      assert.match((err as Error).message, /rusty_/);
    }
    assert.ok(log.lines.some((l) => /with profile rusty/.test(l)));
    await srcs[0]?.close?.();
    writeFileSync(join(root, 'root', 'ops'), 'lavd_1.0.0\n');
    const [lavd] = await bpfPlugin.create({ 'sched-ext-root': root }, env());
    assert.deepEqual(lavd?.stats(), []);
    const log2 = memoryLogger();
    await lavd?.attach({ registry: new Registry(), log: log2 });
    await lavd?.collect();
    assert.ok(log2.lines.some((l) => /"lavd_1.0.0" is running but has no profile/.test(l)));
    rmSync(join(root, 'root', 'ops'));
    assert.deepEqual((await bpfPlugin.create({ 'sched-ext-root': root }, env()))[0]?.stats(), []);
    await assert.rejects(async () => bpfPlugin.create({ 'sched-ext-root': root, 'bpf-pin': ['/x'] }, env()), UsageError);
    await assert.rejects(async () => bpfPlugin.create({ scheduler: 'nope' }, env()), /--scheduler: no profile "nope" \(profiles: rusty, simple, nest, flatcg, central, qmap\)/);
    await assert.rejects(async () => bpfPlugin.create({ scheduler: 'rusty', 'bpf-map-id': ['x'] }, env()), /--bpf-map-id: "x" is not an integer/);
    await assert.rejects(async () => bpfPlugin.create({ scheduler: 'rusty', 'bpf-pin': ['/a', '/b'] }, env()), /map "stats" is given twice/);
    assert.equal(profileForOps('simple')?.name, 'simple');
    assert.equal(profileForOps('simplex'), undefined);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('BpfSource refuses options that cannot find a map', () => {
  const s: StatSet = rusty.stats;
  assert.throws(() => new BpfSource({ stats: s }), /map "stats": give its pinned path or id, or the programs that own it/);
  assert.throws(() => new BpfSource({ stats: s, maps: { nope: { id: 1 } } }), /no stat of "rusty" reads a map named "nope"/);
});
