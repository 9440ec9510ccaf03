// Arena-resident globals (the fourth layout) against a real arena, mapped by a loader in another process as
// a scheduler's loader maps it: the qmap profile reads exact values, both of libbpf's placements (base and
// end of the arena) are found from the program's own instructions, the arena's address is taken from
// map_extra or from the loader's mapping (/proc), only the page holding the counters is touched, and nothing
// is read when the program gives no evidence of the placement.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { qmap } from '../../../profiles/qmap.js';
import { memoryLogger } from '../../../src/support/log.js';
import { Registry, type CounterSeries, type GaugeSeries } from '../../../src/registry/index.js';
import { BpfSource } from '../../../src/sources/bpf/source.js';
import { BPF_F_MMAPABLE, BpfError, BpfMap, MapType, closeFd, pageSize, progFdById, progTestRunRawTp } from '../../../src/sources/bpf/sys.js';
import { needKernelFeature, needRoot } from '../../helpers/peers.js';
import { type ArenaFixtureOptions, type ArenaLoader, startArenaLoader } from './arena-fixture.js';

/** Why this kernel cannot create an arena, or undefined when it can. */
function arenaRefused(): string | undefined {
  try {
    BpfMap.create({ type: MapType.ARENA, keySize: 0, valueSize: 0, maxEntries: 1, flags: BPF_F_MMAPABLE }).close();
    return undefined;
  } catch (err) {
    return err instanceof BpfError ? `BPF_MAP_CREATE answers ${err.code}` : (err as Error).message;
  }
}

function gate(t: TestContext): boolean {
  if (!needRoot(t)) return false;
  const why = arenaRefused();
  return needKernelFeature(t, why === undefined, `this kernel refuses BPF_MAP_TYPE_ARENA (${why ?? ''}, as root): arenas need Linux >= 6.9 built with them and a JIT that supports them`);
}

/** Every member scx_qmap prints, with distinct initial values; nr_highpri_queued is -3 as an s64. */
const INITIAL: Record<string, string> = {
  nr_enqueued: '1000', nr_dispatched: '900', nr_reenqueued: '11', nr_reenqueued_cid0: '12', nr_dequeued: '13', nr_ddsp_from_enq: '14',
  nr_core_sched_execed: '15', nr_expedited_local: '16', nr_expedited_remote: '17', nr_expedited_lost: '18', nr_expedited_from_timer: '19',
  nr_highpri_queued: String(2n ** 64n - 3n), test_error_cnt: '7',
  cpuperf_min: '256', cpuperf_avg: '512', cpuperf_max: '1024', cpuperf_target_min: '100', cpuperf_target_avg: '200', cpuperf_target_max: '300',
};

/** The qmap series and the member each one reads. */
const SERIES: readonly [string, string][] = [
  ['scx_qmap_enqueued_tasks', 'nr_enqueued'], ['scx_qmap_dispatched_tasks', 'nr_dispatched'],
  ['scx_qmap_reenqueued_tasks', 'nr_reenqueued'], ['scx_qmap_reenqueued_cid0_tasks', 'nr_reenqueued_cid0'],
  ['scx_qmap_dequeued_tasks', 'nr_dequeued'], ['scx_qmap_core_sched_executed_tasks', 'nr_core_sched_execed'],
  ['scx_qmap_enqueue_direct_dispatches', 'nr_ddsp_from_enq'], ['scx_qmap_expedited_local_tasks', 'nr_expedited_local'],
  ['scx_qmap_expedited_remote_tasks', 'nr_expedited_remote'], ['scx_qmap_expedited_lost_tasks', 'nr_expedited_lost'],
  ['scx_qmap_expedited_from_timer_tasks', 'nr_expedited_from_timer'], ['scx_qmap_highpri_queued_tasks', 'nr_highpri_queued'],
  ['scx_qmap_cpuperf_current_min', 'cpuperf_min'], ['scx_qmap_cpuperf_current_avg', 'cpuperf_avg'], ['scx_qmap_cpuperf_current_max', 'cpuperf_max'],
  ['scx_qmap_cpuperf_target_min', 'cpuperf_target_min'], ['scx_qmap_cpuperf_target_avg', 'cpuperf_target_avg'], ['scx_qmap_cpuperf_target_max', 'cpuperf_target_max'],
];

function value(reg: Registry, name: string): number {
  const fam = reg.get(name);
  assert.ok(fam !== undefined, `family ${name} registered`);
  return (fam.withValues([]) as CounterSeries | GaugeSeries).value;
}

/** Each test's program name: qmap's prefix (the profile finds it) and this process's id (parallel runs). */
let nth = 0;
const progName = (): string => `qmap_t${process.pid % 100000}_${nth++}`;

async function withLoader(o: Omit<ArenaFixtureOptions, 'name' | 'initial'>, body: (l: ArenaLoader, src: BpfSource, reg: Registry, log: ReturnType<typeof memoryLogger>) => void): Promise<void> {
  const loader = await startArenaLoader({ ...o, name: progName(), initial: INITIAL });
  const reg = new Registry();
  const log = memoryLogger();
  // The loader's program name is unique, so the source looks only for it.
  const src = new BpfSource({ stats: qmap.stats, programs: [`qmap_t${process.pid % 100000}_${nth - 1}`] });
  try {
    src.attach({ registry: reg, log });
    body(loader, src, reg, log);
  } finally {
    src.close();
    await loader.stop();
  }
}

/** Runs the loader's program once with (add, highpri, perf), as the scheduler's own events would. */
function run(l: ArenaLoader, add: bigint, highpri: bigint, perf: bigint): void {
  const fd = progFdById(l.progId);
  assert.ok(fd !== undefined, 'the loader program exists');
  try {
    progTestRunRawTp(fd, [add, BigInt.asUintN(64, highpri), perf]);
  } finally {
    closeFd(fd);
  }
}

function checkAll(reg: Registry, moved: Record<string, number>): void {
  for (const [name, member] of SERIES) {
    const initial = member === 'nr_highpri_queued' ? -3 : Number(INITIAL[member]);
    assert.equal(value(reg, name), moved[member] ?? initial, `${name} (qa.${member})`);
  }
}

test('arena globals at the base, address from map_extra: every qmap series exact, then moved exactly by the program', async (t) => {
  if (!gate(t)) return;
  // A fixed address as qmap's map_extra (1 << 44), moved per process so parallel runs never meet.
  const mapExtra = `0x${((1n << 44n) + (BigInt(process.pid % 4096) << 32n)).toString(16)}`;
  await withLoader({ pages: 4, placement: 'base', mapExtra }, (l, src, reg, log) => {
    assert.equal(l.address, mapExtra);
    src.collect();
    checkAll(reg, {});
    assert.ok(log.lines.some((x) => x.includes('map_extra') && x.includes("at the arena's base")), log.lines.join('\n'));
    run(l, 5n, 2n, 700n);
    run(l, 7n, 4n, 800n);
    src.collect();
    checkAll(reg, { nr_enqueued: 1012, nr_dispatched: 902, nr_highpri_queued: 4, cpuperf_avg: 800 });
  });
});

test("arena globals at the end, no map_extra: mapped at the loader's address (from /proc), only the counters' page touched", async (t) => {
  if (!gate(t)) return;
  await withLoader({ pages: 64, placement: 'end' }, (l, src, reg, log) => {
    assert.equal(l.dataOffset, 63 * pageSize());
    src.collect();
    checkAll(reg, {});
    assert.ok(log.lines.some((x) => x.includes(`process ${l.pid}'s mapping`) && x.includes("at the arena's end")), log.lines.join('\n'));
    run(l, 1n, -1n, 1n);
    src.collect();
    checkAll(reg, { nr_enqueued: 1001, nr_dispatched: 901, nr_highpri_queued: -1, cpuperf_avg: 1 });
    // This process mapped all 64 pages at the loader's address; reading faulted in one page: the counters'.
    assert.equal(mappingRssKb(BigInt(l.address)), pageSize() / 1024);
  });
});

test('a program that addresses no arena data leaves the placement unknown: nothing is read, one line says why', async (t) => {
  if (!gate(t)) return;
  await withLoader({ pages: 4, placement: 'end', touchOnly: true }, (_l, src, reg) => {
    assert.throws(() => src.collect(), /no program instruction addresses the arena, so where libbpf put its globals \(base or end\) is unknown/);
    assert.equal(value(reg, 'scx_qmap_enqueued_tasks'), 0, 'nothing read');
  });
});

test("two arenas fixed at one map_extra: the second is read from its loader's memory (process_vm_readv), exactly, until the loader exits", async (t) => {
  if (!gate(t)) return;
  // As scx_qmap at the root and as a sub-scheduler: two loaders, two arenas, both at the same map_extra.
  const mapExtra = `0x${((1n << 44n) + (BigInt((process.pid + 2048) % 4096) << 32n)).toString(16)}`;
  const names = [progName(), progName()];
  const loaders: ArenaLoader[] = [];
  const srcs = names.map((n) => new BpfSource({ stats: qmap.stats, programs: [n] }));
  try {
    for (const [i, name] of names.entries()) {
      loaders.push(await startArenaLoader({ name, pages: 4, placement: 'end', mapExtra, initial: { ...INITIAL, nr_enqueued: String(100 * (i + 1)) } }));
    }
    const [first, second] = loaders as [ArenaLoader, ArenaLoader];
    const regs = [new Registry(), new Registry()];
    const logs = [memoryLogger(), memoryLogger()];
    srcs.forEach((s, i) => s.attach({ registry: regs[i] as Registry, log: logs[i] as ReturnType<typeof memoryLogger> }));
    for (const s of srcs) s.collect();
    const [one, two] = regs as [Registry, Registry];
    assert.equal(value(one, 'scx_qmap_enqueued_tasks'), 100);
    assert.equal(value(two, 'scx_qmap_enqueued_tasks'), 200);
    const lines = (logs[1] as ReturnType<typeof memoryLogger>).lines;
    assert.ok((logs[0] as ReturnType<typeof memoryLogger>).lines.some((x) => x.includes(', mmapped')), 'the first arena is mapped here');
    assert.ok(lines.some((x) => x.includes(`read from process ${second.pid}'s memory with process_vm_readv`) && x.includes('already has a mapping at that address')), lines.join('\n'));
    run(second, 5n, 0n, 0n);
    run(first, 1n, 0n, 0n);
    for (const s of srcs) s.collect();
    assert.equal(value(one, 'scx_qmap_enqueued_tasks'), 101);
    assert.equal(value(two, 'scx_qmap_enqueued_tasks'), 205);
    await second.stop();
    // Its program goes with it ("went away", then not found) or, before the kernel freed it, the read fails.
    let why = '';
    assert.throws(() => (srcs[1] as BpfSource).collect(), (e: unknown) => ((why = (e as Error).message), true));
    assert.ok(/ESRCH/.test(why) || lines.some((x) => x.includes('went away')), `${why}\n${lines.join('\n')}`);
    assert.equal(value(two, 'scx_qmap_enqueued_tasks'), 205, 'the last value stays');
  } finally {
    for (const s of srcs) s.close();
    for (const l of loaders) await l.stop();
  }
});

/** Rss of this process's mapping that starts at `start` (/proc/self/smaps). */
function mappingRssKb(start: bigint): number {
  const smaps = readFileSync('/proc/self/smaps', 'utf8');
  const at = smaps.indexOf(`${start.toString(16)}-`);
  assert.ok(at >= 0, 'the arena is mapped in this process');
  const m = /\nRss:\s+(\d+) kB/.exec(smaps.slice(at));
  return Number(m?.[1]);
}
