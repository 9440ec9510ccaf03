/**
 * What the BPF source makes of the values it reads: u64s beyond 2^53 stay exact in the deltas it counts, and
 * --bpf-reset-on-read zeroes counters only and never counts an entry it did not zero. Real kernel maps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { counter, defineStats, gauge } from '../../../src/declare/index.js';
import { Registry, type CounterSeries, type GaugeSeries } from '../../../src/registry/index.js';
import { memoryLogger } from '../../../src/support/log.js';
import { BpfSource } from '../../../src/sources/bpf/source.js';
import { statsIndex } from '../../../src/bpf-layout/ref.js';
import { BpfMap, MapType, possibleCpus } from '../../../src/sources/bpf/sys.js';
import { needRoot } from '../../helpers/peers.js';
import { mountBpffs } from './fixtures.js';

const TWO53 = 2n ** 53n;

function value(reg: Registry, name: string, labels: readonly string[] = []): number {
  const fam = reg.get(name);
  assert.ok(fam !== undefined, `family ${name} registered`);
  return (fam.withValues(labels) as CounterSeries | GaugeSeries).value;
}

function enumMap(entries: number): BpfMap {
  return BpfMap.create({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: entries, name: 'stats' });
}

/** Writes one entry: `perSlot[s]` on CPU slot s, 0 on slots not given. */
function put(map: BpfMap, index: number, perSlot: readonly bigint[]): void {
  const v = map.newValue();
  perSlot.forEach((x, s) => v.writeBigUInt64LE(x, s * 8));
  map.update(index, v);
}

function sumAt(map: BpfMap, index: number): bigint {
  return map.sumU64(map.lookup(index) ?? Buffer.alloc(0));
}

function source(stats: Parameters<typeof defineStats>[0], path: string, extra: { resetOnRead?: boolean } = {}): { src: BpfSource; reg: Registry } {
  const src = new BpfSource({ stats: defineStats(stats), maps: { stats: { pin: path } }, ...extra });
  const reg = new Registry();
  src.attach({ registry: reg, log: memoryLogger() });
  return { src, reg };
}

const bigSet = { name: 'big', help: '', prefix: 'tst', stats: { events: counter({ help: 'events', from: statsIndex() }) } };

test('u64 sums beyond 2^53: the exported counter takes the exact sum and every later delta', (t) => {
  if (!needRoot(t)) return;
  assert.ok(possibleCpus().slots >= 2, 'this test spreads a value over two CPU slots');
  const fs = mountBpffs();
  const map = enumMap(1);
  try {
    const path = join(fs.dir, 'stats');
    map.pin(path);
    const { src, reg } = source(bigSet, path);
    put(map, 0, [TWO53 + 1n, 1n]);
    assert.equal(sumAt(map, 0), 9007199254740994n); // the bpf layer's exact sum
    src.collect();
    assert.equal(value(reg, 'tst_events'), 9007199254740994);
    // Small increments on top of a value past 2^53: each interval's delta is counted exactly.
    put(map, 0, [TWO53 + 1n, 3n]);
    src.collect();
    assert.equal(value(reg, 'tst_events'), 9007199254740996);
    put(map, 0, [TWO53 + 1n, 5n]);
    src.collect();
    assert.equal(value(reg, 'tst_events'), 9007199254740998);
    // Values drop on the same map (zeroed by someone): what it holds now is added.
    put(map, 0, [2n, 0n]);
    src.collect();
    assert.equal(value(reg, 'tst_events'), 9007199254741000);
    // Re-pinned to a new map (a restart) already past 2^53: all of it is new, counted exactly.
    const next = enumMap(1);
    try {
      put(next, 0, [TWO53 + 1n, 1n]);
      rmSync(path);
      next.pin(path);
      src.collect();
      assert.equal(value(reg, 'tst_events'), 2 ** 54 + 8);
    } finally {
      next.close();
    }
    src.close();
  } finally {
    map.close();
    fs.cleanup();
  }
});

test('--bpf-reset-on-read zeroes counter entries only: a gauge in the enum keeps its value', (t) => {
  if (!needRoot(t)) return;
  const fs = mountBpffs();
  const map = enumMap(2);
  try {
    const path = join(fs.dir, 'stats');
    map.pin(path);
    put(map, 0, [10n]);
    put(map, 1, [7n]);
    const { src, reg } = source(
      { name: 'mix', help: '', prefix: 'tst', stats: { events: counter({ help: 'e', from: statsIndex() }), level: gauge({ help: 'l', from: statsIndex() }) } },
      path,
      { resetOnRead: true },
    );
    src.collect();
    assert.equal(value(reg, 'tst_events'), 10);
    assert.equal(value(reg, 'tst_level'), 7);
    assert.equal(sumAt(map, 0), 0n, 'the counter entry is zeroed');
    assert.equal(sumAt(map, 1), 7n, 'the gauge entry is left alone');
    put(map, 0, [4n]);
    src.collect();
    assert.equal(value(reg, 'tst_events'), 14);
    assert.equal(value(reg, 'tst_level'), 7, 'the gauge still reads its level after an interval');
    src.close();
  } finally {
    map.close();
    fs.cleanup();
  }
});

test('--bpf-reset-on-read: when zeroing fails partway, only the entries zeroed are counted; the rest stay in the map', (t) => {
  if (!needRoot(t)) return;
  const fs = mountBpffs();
  const map = enumMap(4);
  // eslint-disable-next-line @typescript-eslint/unbound-method -- restored as the prototype method it was
  const update = BpfMap.prototype.update;
  try {
    const path = join(fs.dir, 'stats');
    map.pin(path);
    [100n, 200n, 300n, 400n].forEach((x, i) => put(map, i, [x]));
    const stats = { a: counter({ help: 'a', from: statsIndex() }), b: counter({ help: 'b', from: statsIndex() }), c: counter({ help: 'c', from: statsIndex() }), d: counter({ help: 'd', from: statsIndex() }) };
    const { src, reg } = source({ name: 'four', help: '', prefix: 'tst', stats }, path, { resetOnRead: true });
    // A real fault at a chosen point: the map is frozen just before the source's third zeroing, so that
    // update and every later one fail with EPERM from the kernel.
    let calls = 0;
    BpfMap.prototype.update = function (this: BpfMap, ...args: Parameters<BpfMap['update']>): void {
      if (++calls === 3) map.freeze();
      update.apply(this, args);
    };
    assert.throws(() => src.collect(), /BPF_MAP_UPDATE_ELEM .*EPERM/);
    assert.deepEqual(['a', 'b', 'c', 'd'].map((k) => value(reg, `tst_${k}`)), [100, 200, 0, 0]);
    assert.deepEqual([0, 1, 2, 3].map((i) => sumAt(map, i)), [0n, 0n, 300n, 400n]);
    // Still frozen: the next interval zeroes nothing, so it counts nothing (no event counted twice).
    assert.throws(() => src.collect(), /EPERM/);
    assert.deepEqual(['a', 'b', 'c', 'd'].map((k) => value(reg, `tst_${k}`)), [100, 200, 0, 0]);
    src.close();
  } finally {
    BpfMap.prototype.update = update;
    map.close();
    fs.cleanup();
  }
});
