/**
 * Log2 histograms in a stats enum, read by the BPF source from real per-CPU maps: each series' run of bucket
 * slots and its sum slot, summed over CPUs or per CPU, the declared scale applied to the sum, the counter
 * rules kept per slot (a replaced map or a drop counts as new; --bpf-reset-on-read zeroes the whole run), u64
 * sums beyond 2^53 exact; and the Prometheus text of such a histogram passes promtool.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { counter, defineStats, histogram, log2Buckets } from '../../../src/declare/index.js';
import { memoryLogger } from '../../../src/support/log.js';
import { Registry, type HistogramSeries } from '../../../src/registry/index.js';
import { Text004Renderer } from '../../../src/sinks/prometheus/index.js';
import { statsIndex } from '../../../src/bpf-layout/ref.js';
import { BpfSource } from '../../../src/sources/bpf/source.js';
import { BpfMap, MapType, possibleCpus } from '../../../src/sources/bpf/sys.js';
import { hasCommand, needPeer, needRoot } from '../../helpers/peers.js';
import { mountBpffs } from './fixtures.js';

/** Slots: 0 a counter; 1..5 lat{layer=batch} (B0..B3 for le 1,2,4 µs and +Inf, then SUM); 6..10 layer=web. */
const set = defineStats({
  name: 'histtest',
  help: 'histogram layout test',
  prefix: 'tst',
  stats: {
    enq: counter({ help: 'enqueues', from: statsIndex() }),
    lat: histogram({ help: 'latency', unit: 'seconds', labels: { layer: ['batch', 'web'] }, buckets: log2Buckets(2, { scale: 1e-6 }), from: statsIndex() }),
  },
});
const ENTRIES = 11;
const BATCH = 1;
const WEB = 6;

function enumMap(): BpfMap {
  return BpfMap.create({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: ENTRIES, name: 'stats' });
}

/** Adds `perSlot[s]` to entry `index` on CPU slot s. */
function add(map: BpfMap, index: number, perSlot: readonly bigint[]): void {
  const v = map.lookup(index) ?? map.newValue();
  perSlot.forEach((x, s) => v.writeBigUInt64LE(v.readBigUInt64LE(s * 8) + x, s * 8));
  map.update(index, v);
}

/** Records raw values into a histogram run on one CPU slot, by the exported rule (first 2^i >= v). */
function record(map: BpfMap, first: number, cpuSlot: number, values: readonly number[]): void {
  for (const v of values) {
    const bucket = v <= 1 ? 0 : Math.min(3, Math.ceil(Math.log2(v)));
    const per = new Array<bigint>(cpuSlot + 1).fill(0n);
    per[cpuSlot] = 1n;
    add(map, first + bucket, per);
    per[cpuSlot] = BigInt(v);
    add(map, first + 4, per);
  }
}

function hist(reg: Registry, labels: readonly string[]): HistogramSeries {
  const fam = reg.get('tst_lat_seconds');
  assert.ok(fam !== undefined);
  return fam.withValues(labels) as HistogramSeries;
}

function view(h: HistogramSeries): { counts: number[]; sum: number; count: number } {
  return { counts: [...h.counts], sum: Math.round(h.sum * 1e9) / 1e9, count: h.count };
}

function withPinned(t: import('node:test').TestContext, fn: (map: BpfMap, path: string, dir: string) => void): void {
  const fs = mountBpffs();
  const map = enumMap();
  try {
    const path = join(fs.dir, 'stats');
    map.pin(path);
    fn(map, path, fs.dir);
  } finally {
    map.close();
    fs.cleanup();
  }
  void t;
}

function source(path: string, opts: { perCpu?: boolean; resetOnRead?: boolean } = {}): { src: BpfSource; reg: Registry } {
  const src = new BpfSource({ stats: set, maps: { stats: { pin: path } }, ...opts });
  const reg = new Registry();
  src.attach({ registry: reg, log: memoryLogger() });
  return { src, reg };
}

test('histogram slots summed over CPUs: bucket counts, count and the scaled sum per label combination', (t) => {
  if (!needRoot(t)) return;
  assert.ok(possibleCpus().slots >= 2, 'this test spreads values over two CPU slots');
  withPinned(t, (map, path) => {
    const { src, reg } = source(path);
    record(map, BATCH, 0, [0, 1, 2, 3, 4, 5, 1000]); // buckets 0,0,1,2,2,+Inf,+Inf
    record(map, BATCH, 1, [1, 4]);
    record(map, WEB, 1, [2]);
    add(map, 0, [5n, 6n]);
    src.collect();
    assert.deepEqual(view(hist(reg, ['batch'])), { counts: [3, 1, 3, 2], sum: 1020e-6, count: 9 });
    assert.deepEqual(view(hist(reg, ['web'])), { counts: [0, 1, 0, 0], sum: 2e-6, count: 1 });
    assert.equal((reg.get('tst_enq')?.withValues([]) as { value: number }).value, 11);
    // Later reads add what was recorded since.
    record(map, BATCH, 1, [3]);
    src.collect();
    assert.deepEqual(view(hist(reg, ['batch'])), { counts: [3, 1, 4, 2], sum: 1023e-6, count: 10 });
    src.close();
  });
});

test('--bpf-per-cpu: one histogram per possible CPU and label combination', (t) => {
  if (!needRoot(t)) return;
  withPinned(t, (map, path) => {
    const { src, reg } = source(path, { perCpu: true });
    record(map, BATCH, 0, [1, 8]);
    record(map, BATCH, 1, [2, 2]);
    src.collect();
    const cpus = possibleCpus().ids.map(String);
    assert.deepEqual(view(hist(reg, [cpus[0] as string, 'batch'])), { counts: [1, 0, 0, 1], sum: 9e-6, count: 2 });
    assert.deepEqual(view(hist(reg, [cpus[1] as string, 'batch'])), { counts: [0, 2, 0, 0], sum: 4e-6, count: 2 });
    assert.equal(reg.get('tst_lat_seconds')?.series.length, cpus.length * 2);
    src.close();
  });
});

test('a replaced map and values dropping on the same map both count as new: no bucket or sum goes backwards', (t) => {
  if (!needRoot(t)) return;
  withPinned(t, (map, path) => {
    const { src, reg } = source(path);
    record(map, BATCH, 0, [1, 2, 2, 4]);
    src.collect();
    assert.deepEqual(view(hist(reg, ['batch'])), { counts: [1, 2, 1, 0], sum: 9e-6, count: 4 });
    // The scheduler restarts: a new map at the pin, already holding more in one bucket than the old one did.
    const next = enumMap();
    try {
      record(next, BATCH, 0, [2, 2, 2, 5]);
      rmSync(path);
      next.pin(path);
      src.collect();
      assert.deepEqual(view(hist(reg, ['batch'])), { counts: [1, 5, 1, 1], sum: 20e-6, count: 8 });
      // Another reader zeroes the new map (reset-on-read elsewhere), then one more value lands.
      for (let i = 0; i < ENTRIES; i++) next.update(i, next.newValue());
      record(next, BATCH, 0, [1]);
      src.collect();
      assert.deepEqual(view(hist(reg, ['batch'])), { counts: [2, 5, 1, 1], sum: 21e-6, count: 9 });
      assert.equal(hist(reg, ['batch']).restarts, 0, 'the source rebases; the series never sees its totals drop');
    } finally {
      next.close();
    }
    src.close();
  });
});

test('--bpf-reset-on-read zeroes every slot of a histogram run and counts what it read', (t) => {
  if (!needRoot(t)) return;
  withPinned(t, (map, path) => {
    const { src, reg } = source(path, { resetOnRead: true });
    record(map, WEB, 0, [1, 3, 7]);
    src.collect();
    assert.deepEqual(view(hist(reg, ['web'])), { counts: [1, 0, 1, 1], sum: 11e-6, count: 3 });
    for (let i = WEB; i < WEB + 5; i++) assert.equal(map.sumU64(map.lookup(i) ?? Buffer.alloc(0)), 0n, `slot ${i} zeroed`);
    record(map, WEB, 0, [4]);
    src.collect();
    assert.deepEqual(view(hist(reg, ['web'])), { counts: [1, 0, 2, 1], sum: 15e-6, count: 4 });
    src.close();
  });
});

test('--bpf-reset-on-read: when zeroing fails partway through a histogram run, only the slots zeroed are counted', (t) => {
  if (!needRoot(t)) return;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- restored as the prototype method it was
  const update = BpfMap.prototype.update;
  try {
    withPinned(t, (map, path) => {
      const { src, reg } = source(path, { resetOnRead: true });
      record(map, BATCH, 0, [1, 2, 3, 1000]); // buckets 0, 1, 2, +Inf; sum 1006
      // A real fault at a chosen point: the map is frozen before the source's fourth zeroing (the counter,
      // then the batch run's B0 and B1 go through), so that update and every later one fail with EPERM.
      let calls = 0;
      BpfMap.prototype.update = function (this: BpfMap, ...args: Parameters<BpfMap['update']>): void {
        if (++calls === 4) map.freeze();
        update.apply(this, args);
      };
      assert.throws(() => src.collect(), /BPF_MAP_UPDATE_ELEM .*EPERM/);
      assert.deepEqual(view(hist(reg, ['batch'])), { counts: [1, 1, 0, 0], sum: 0, count: 2 }, 'the zeroed buckets are counted');
      const left = [0, 1, 2, 3, 4].map((j) => map.sumU64(map.lookup(BATCH + j) ?? Buffer.alloc(0)));
      assert.deepEqual(left, [0n, 0n, 1n, 1n, 1006n], 'the slots not zeroed keep what they held');
      // Still frozen: the next interval zeroes nothing, so it counts nothing (no event counted twice).
      assert.throws(() => src.collect(), /EPERM/);
      assert.deepEqual(view(hist(reg, ['batch'])), { counts: [1, 1, 0, 0], sum: 0, count: 2 });
      src.close();
    });
  } finally {
    BpfMap.prototype.update = update;
  }
});

test('a histogram sum beyond 2^53 recorded integers: the sum over CPUs and each later delta are exact', (t) => {
  if (!needRoot(t)) return;
  assert.ok(possibleCpus().slots >= 2, 'this test spreads a value over two CPU slots');
  // Scale 1, so the exported sum is the recorded integers themselves.
  const plain = defineStats({ name: 'big', help: '', prefix: 'tst', stats: { h: histogram({ help: 'h', buckets: log2Buckets(0), from: statsIndex() }) } });
  const fs = mountBpffs();
  const map = BpfMap.create({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 3, name: 'stats' });
  try {
    const path = join(fs.dir, 'stats');
    map.pin(path);
    const src = new BpfSource({ stats: plain, maps: { stats: { pin: path } } });
    const reg = new Registry();
    src.attach({ registry: reg, log: memoryLogger() });
    const h = (): HistogramSeries => reg.get('tst_h')?.withValues([]) as HistogramSeries;
    add(map, 1, [3n]); // three values above 1: the +Inf bucket
    add(map, 2, [2n ** 53n + 1n, 1n]); // summed as float64s this would be 2^53
    src.collect();
    assert.equal(h().sum, 2 ** 53 + 2);
    add(map, 2, [0n, 2n]);
    src.collect();
    assert.equal(h().sum, 2 ** 53 + 4, 'a small delta on top of 2^53 counted exactly');
    assert.deepEqual([...h().counts], [0, 3]);
    src.close();
  } finally {
    map.close();
    fs.cleanup();
  }
});

test('Prometheus text of a stats-enum histogram passes promtool check metrics', (t) => {
  if (!needRoot(t)) return;
  if (!needPeer(t, hasCommand('/usr/bin/promtool', ['--version']), 'promtool (Debian package prometheus)')) return;
  withPinned(t, (map, path) => {
    const { src, reg } = source(path);
    record(map, BATCH, 0, [1, 2, 3, 900]);
    src.collect();
    const text = new Text004Renderer().render(reg).toString();
    assert.match(text, /^tst_lat_seconds_bucket\{layer="batch",le="4e-06"\} 3$/m);
    assert.match(text, /^tst_lat_seconds_bucket\{layer="batch",le="\+Inf"\} 4$/m);
    assert.match(text, /^tst_lat_seconds_sum\{layer="batch"\} 0\.000906$/m);
    assert.match(text, /^tst_lat_seconds_count\{layer="batch"\} 4$/m);
    const check = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 20_000 });
    assert.equal(`${check.stdout}${check.stderr}`, '', 'promtool check metrics: no findings');
    assert.equal(check.status, 0);
    src.close();
  });
});
