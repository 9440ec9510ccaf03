// End to end: declarations -> `scx-metrics gen-header` -> clang -target bpf -> libbpf load and attach to real
// scheduler tracepoints -> the BPF source reads the program's map -> the registry holds exactly what the
// program counted, compared with a direct read of the map after counting stopped. Histograms too: the
// sched_switch program records each CPU's switch count so far (so the buckets follow from the per-CPU counts),
// values handed to the header's stat_hist by BPF_PROG_TEST_RUN land where user space's `le` rule puts them,
// and the header's stat_log2_bucket agrees with the JS rule at every power of two and its neighbours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { arch, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent } from '../../src/agent.js';
import { memoryLogger } from '../../src/support/log.js';
import { HistogramSeries, type CounterSeries } from '../../src/registry/index.js';
import { log2Bucket } from '../../src/bpf-layout/layout.js';
import { BpfSource } from '../../src/sources/bpf/source.js';
import { BpfMap, mapInfo, progTestRunRawTp } from '../../src/sources/bpf/sys.js';
import { runCli } from '../helpers/cli.js';
import { hasCommand, needPeer, needRoot } from '../helpers/peers.js';
import { pingPong } from '../helpers/workload.js';
import { LoadedObject } from './libbpf.js';
import { schedCountStats } from './sched-count-stats.js';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
/** The C source stays in test/ (tsc does not copy it to dist/). */
const bpfSource = here('../../../test/codegen/sched-count.bpf.c');
const statsModule = here('./sched-count-stats.js');
const multiarch = `/usr/include/${arch() === 'x64' ? 'x86_64' : arch() === 'arm64' ? 'aarch64' : arch()}-linux-gnu`;

function libbpfLoads(): boolean {
  const r = spawnSync(process.execPath, ['-e', "require('koffi').load('libbpf.so.1')"], { cwd: here('../../..'), stdio: 'ignore' });
  return r.status === 0;
}

test('a BPF program built on the generated header counts real events; the agent exports exactly those counts', async (t) => {
  if (!needRoot(t)) return;
  if (!needPeer(t, hasCommand('clang'), 'clang (apt install clang)')) return;
  if (!needPeer(t, libbpfLoads(), 'libbpf.so.1 (apt install libbpf-dev)')) return;
  const dir = mkdtempSync(join(tmpdir(), 'scx-genhdr-'));
  let obj: LoadedObject | undefined;
  let agent: Agent | undefined;
  try {
    const header = join(dir, 'sched_count_stats.h');
    const gen = runCli(['gen-header', '--stats', statsModule, '-o', header]);
    assert.equal(gen.status, 0, gen.stderr);
    assert.match(gen.stderr, /latency is not in the stats map: no `from`/);
    // 3 events + fork_weight, then switch_seq (11 bounds, +Inf, sum) at 4..16 and recorded (21, +Inf, sum) at 17..39.
    assert.match(readFileSync(header, 'utf8'), /^#define SCHEDCOUNT_NR_STATS 40$/m);
    assert.match(readFileSync(header, 'utf8'), /^\tSCHEDCOUNT_STAT_SWITCH_SEQ_B0 = 4, /m);
    assert.match(readFileSync(header, 'utf8'), /^\tSCHEDCOUNT_STAT_RECORDED_SUM = 39, /m);
    const objPath = join(dir, 'sched_count.bpf.o');
    execFileSync('clang', ['-O2', '-g', '-Wall', '-Werror', '-target', 'bpf', `-I${multiarch}`, `-I${dir}`, '-c', bpfSource, '-o', objPath], { stdio: 'pipe' });

    obj = new LoadedObject(objPath, { noAttach: ['gentest_log2', 'gentest_record'] });
    assert.deepEqual(obj.programs, ['gentest_switch', 'gentest_wakeup', 'gentest_wakenew', 'gentest_fork']);
    checkBucketRule(obj.programFd('gentest_log2'));
    const log = memoryLogger();
    // The source finds the map the way it finds a scheduler's: through the programs that own it.
    agent = new Agent({ sources: [new BpfSource({ stats: schedCountStats, programs: ['gentest_'] })], sinks: [], intervalSeconds: 60, log });
    await agent.start();
    pingPong(2000);
    obj.detach(); // counting stops: the numbers below are final
    const recorded = recordValues(obj.programFd('gentest_record'));
    await agent.tick();
    assert.deepEqual(log.lines.filter((l) => !l.includes(': info: ')), [], 'no warnings or errors');
    assert.ok(log.lines.some((l) => /reading map "stats" .* used by program gentest_/.test(l)), 'found through its programs');

    const map = BpfMap.byId(mapInfo(obj.mapFd('stats')).id, { readOnly: true });
    assert.ok(map !== undefined);
    const direct = (slot: number): number => {
      const v = map.lookup(slot);
      assert.ok(v !== undefined);
      return Number(map.sumU64(v));
    };
    const counted = [0, 1, 2, 3].map(direct);
    const perCpu = (slot: number): bigint[] => {
      const v = map.lookup(slot);
      assert.ok(v !== undefined);
      return Array.from({ length: map.slots }, (_, s) => v.readBigUInt64LE(s * map.stride));
    };
    const switchesPerCpu = perCpu(0);
    const seqSlots = Array.from({ length: 13 }, (_, j) => direct(4 + j));
    const recordedSlots = Array.from({ length: 23 }, (_, j) => direct(17 + j));
    map.close();
    const reg = agent.registry;
    const series = (name: string, labels: readonly string[] = []): number =>
      (reg.get(name)?.series.find((s) => s.labelValues.join() === labels.join()) as CounterSeries | undefined)?.value ?? NaN;
    assert.deepEqual(
      [series('gentest_events', ['switch']), series('gentest_events', ['wakeup']), series('gentest_events', ['wakeup_new']), series('gentest_fork_weight')],
      counted,
    );
    assert.ok((counted[0] as number) >= 4000, `ping-pong switched ${counted[0]} times (expected >= 2 per round trip)`);
    assert.ok((counted[1] as number) >= 2000, 'wakeups counted');
    assert.ok((counted[3] as number) >= 3 && (counted[3] as number) % 3 === 0, 'stat_add(…, 3) per fork');

    // switch_seq: CPU with N switches recorded 1..N, so its buckets and sum follow from N alone.
    const want = new Array<number>(12).fill(0);
    let wantSum = 0;
    for (const n of switchesPerCpu) {
      for (let v = 1n; v <= n; v++) want[log2Bucket(v, 11)] = (want[log2Bucket(v, 11)] as number) + 1;
      wantSum += Number((n * (n + 1n)) / 2n);
    }
    assert.deepEqual(seqSlots, [...want, wantSum], 'the program recorded 1..N per CPU');
    const seq = reg.get('gentest_switch_seq')?.withValues([]) as HistogramSeries;
    assert.deepEqual([...seq.counts], want, 'exported buckets');
    assert.equal(seq.sum, wantSum);
    assert.equal(seq.count, Number(switchesPerCpu.reduce((a, b) => a + b, 0n)));
    assert.ok((want[11] as number) > 0, 'some CPU passed 2^10 switches: the +Inf bucket is used');

    // recorded: what the test runs handed in, where the JS rule puts it; the sum scaled to seconds.
    assert.deepEqual(recordedSlots, [...recorded.buckets, recorded.sum], 'the map holds what stat_hist recorded');
    const rec = reg.get('gentest_recorded_seconds')?.withValues([]) as HistogramSeries;
    assert.deepEqual([...rec.counts], recorded.buckets);
    assert.equal(rec.sum, recorded.sum * 1e-9);
    assert.deepEqual(rec.bounds.slice(0, 3), [1e-9, 2e-9, 4e-9]);
  } finally {
    await agent?.stop();
    obj?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Powers of two, one less and one more, from 2^0 to 2^63, and 0 and 2^64 - 1: every bound and its neighbours. */
function edgeValues(): bigint[] {
  const out = [0n, 2n ** 64n - 1n];
  for (let i = 0n; i < 64n; i++) out.push(2n ** i - 1n, 2n ** i, 2n ** i + 1n);
  return out;
}

/**
 * The header's stat_log2_bucket (run by BPF_PROG_TEST_RUN) against log2Bucket at every edge value for several
 * bucket counts, and log2Bucket against HistogramSeries.observe (the exported `le` rule) where a double is exact.
 */
function checkBucketRule(fd: number): void {
  for (const nr of [64, 21, 11, 1]) {
    const bounds = Array.from({ length: nr }, (_, i) => 2 ** i);
    for (const v of edgeValues()) {
      const c = progTestRunRawTp(fd, [v, BigInt(nr)]);
      assert.equal(c, log2Bucket(v, nr), `stat_log2_bucket(${v}, ${nr})`);
      if (v > 2n ** 53n) continue;
      const h = new HistogramSeries(0, 0, [], 0, bounds);
      h.observe(Number(v));
      assert.equal(h.counts.indexOf(1), c, `observe(${v}) on ${nr} bounds`);
    }
  }
}

/** Hands every edge value up to 2^21 + 1 to stat_hist_recorded by test run; returns the buckets and sum expected. */
function recordValues(fd: number): { buckets: number[]; sum: number } {
  const buckets = new Array<number>(22).fill(0);
  let sum = 0n;
  for (const v of edgeValues().filter((x) => x <= 2n ** 21n + 1n)) {
    const b = log2Bucket(v, 21);
    assert.equal(progTestRunRawTp(fd, [v]), b, `stat_hist_recorded(${v}) returned its bucket`);
    buckets[b] = (buckets[b] as number) + 1;
    sum += v;
  }
  assert.ok((buckets[21] as number) > 0 && (buckets[0] as number) > 0, 'first and +Inf buckets used');
  return { buckets, sum: Number(sum) };
}
