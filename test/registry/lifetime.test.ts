// Series lifetime (unreported series expire after the grace period) and the cardinality cap (label sets past
// the limit fold into one overflow series), on the registry alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { counter, defineStats, gauge, histogram } from '../../src/declare/index.js';
import { OVERFLOW_LABEL_VALUE, PerSeries, Registry, SeriesLifetime, type CounterSeries } from '../../src/registry/index.js';

const set = defineStats({
  name: 't',
  help: 't',
  prefix: 'x',
  stats: {
    load: gauge({ help: 'load', labels: { layer: String } }),
    busy: counter({ help: 'busy', labels: { cpu: String, mode: ['user', 'system'] } }),
    lat: histogram({ help: 'latency', unit: 'seconds', buckets: [1, 10], labels: { cpu: String } }),
    other: gauge({ help: 'not tracked', labels: { k: String } }),
  },
});

test('lifetime: a series unreported for `grace` successful collections is removed; reported or untracked ones stay', () => {
  const reg = new Registry();
  const f = reg.register(set);
  const life = new SeriesLifetime(3);
  life.track(f.load);
  const a = f.load.with({ layer: 'a' });
  const b = f.load.with({ layer: 'b' });
  const untracked = f.other.with({ k: 'x' });
  const cache = new PerSeries<string>();
  cache.sync(reg);
  cache.set(b, 'b text');
  const freed: string[] = [];
  for (let i = 1; i <= 3; i++) {
    a.set(i); // reported every collection
    assert.equal(life.sweep(), i === 3 ? 1 : 0, `sweep ${i}`);
    assert.equal(b.removed, i === 3, `b is removed at the third unreported sweep, not before (sweep ${i})`);
  }
  assert.deepEqual(f.load.series.map((s) => s.labelValues[0]), ['a']);
  assert.equal(a.removed, false);
  assert.equal(untracked.removed, false, 'a family not tracked keeps its series');
  cache.sync(reg, (v) => freed.push(v));
  assert.deepEqual(freed, ['b text'], "a sink's per-series state for the swept series is let go");
  // Coming back after removal is a new series (new serial), found again by with().
  const b2 = f.load.with({ layer: 'b' });
  assert.notEqual(b2, b);
  assert.ok(b2.serial > b.serial);
});

test('lifetime: touch() keeps a series whose value did not change; a failed collection (no sweep) ages nothing', () => {
  const reg = new Registry();
  const f = reg.register(set);
  const life = new SeriesLifetime(2);
  life.track(f.load);
  const info = f.load.with({ layer: 'info' });
  const quiet = f.load.with({ layer: 'quiet' });
  for (let i = 0; i < 5; i++) {
    info.touch();
    life.sweep();
  }
  assert.equal(info.removed, false);
  assert.equal(quiet.removed, true);
  // No sweep happens for a failed collection: however many fail, a series still reported before stays.
  const kept = f.load.with({ layer: 'kept' });
  kept.set(1);
  life.sweep();
  assert.equal(kept.removed, false);
});

test('lifetime: the grace must be a whole number of intervals >= 1', () => {
  assert.throws(() => new SeriesLifetime(0), /series grace must be a whole number of intervals >= 1, got 0/);
  assert.throws(() => new SeriesLifetime(1.5), /got 1.5/);
});

test('lifetime: 20 000 churning keys over 200 sweeps keep the family at live + grace keys, and ids stay dense', () => {
  const reg = new Registry();
  const f = reg.register(set);
  const life = new SeriesLifetime(3);
  life.track(f.load);
  const live = 32;
  let peak = 0;
  for (let round = 0; round < 200; round++) {
    for (let k = 0; k < live; k++) f.load.with({ layer: `r${round}-k${k}` }).set(k);
    life.sweep();
    peak = Math.max(peak, f.load.series.length);
  }
  // Reported this round (32) plus two earlier rounds still in their grace (64): removed at the third miss.
  assert.equal(peak, live * 3);
  assert.equal(f.load.series.length, live * 3);
  assert.ok(reg.seriesCapacity <= live * 4, `series ids stay bounded (capacity ${reg.seriesCapacity})`);
});

test('cap: past the limit new label sets fold into one series whose labels are all __overflow__, counted by onFold', () => {
  const reg = new Registry({ cardinalityLimit: 5 });
  const f = reg.register(set);
  const folded: string[] = [];
  reg.onFold = (fam, values) => folded.push(`${fam.decl.name}{${values.join(',')}}`);
  for (let i = 0; i < 10; i++) f.load.with({ layer: `l${i}` }).set(i);
  assert.equal(f.load.series.length, 6, 'the limit plus the overflow series');
  const over = f.load.overflow;
  assert.ok(over);
  assert.deepEqual(over.labelValues, [OVERFLOW_LABEL_VALUE]);
  assert.equal(over.value, 9, 'a folded gauge holds the last value set');
  assert.deepEqual(folded, ['x_load{l5}', 'x_load{l6}', 'x_load{l7}', 'x_load{l8}', 'x_load{l9}']);
  // Label sets that already have a series keep it.
  assert.equal(f.load.with({ layer: 'l0' }).value, 0);
  assert.equal(f.load.series.length, 6);
});

test('cap: folded counters from several cumulative producers sum their deltas, each with its own restart rule', () => {
  const reg = new Registry({ cardinalityLimit: 2 });
  const f = reg.register(set);
  f.busy.with({ cpu: '0', mode: 'user' }).inc(1);
  f.busy.with({ cpu: '0', mode: 'system' }).inc(1);
  const p: CounterSeries[] = [1, 2, 3].map((c) => f.busy.with({ cpu: String(c), mode: 'user' }));
  p[0]?.absolute(100);
  p[1]?.absolute(1000);
  p[2]?.absolute(7);
  p[0]?.absolute(150); // +50
  p[1]?.absolute(1010); // +10
  p[2]?.absolute(2); // restarted: +2
  const over = f.busy.overflow;
  assert.ok(over);
  assert.deepEqual(over.labelValues, [OVERFLOW_LABEL_VALUE, OVERFLOW_LABEL_VALUE], 'closed labels read __overflow__ too');
  assert.equal(over.value, 100 + 1000 + 7 + 50 + 10 + 2);
  assert.equal(f.busy.series.length, 3);
});

test('cap: folded histograms add their bucket deltas to the overflow series', () => {
  const reg = new Registry({ cardinalityLimit: 1 });
  const f = reg.register(set);
  f.lat.with({ cpu: '0' }).observe(0.5);
  const h1 = f.lat.with({ cpu: '1' });
  const h2 = f.lat.with({ cpu: '2' });
  h1.absolute([1, 2, 3], 30);
  h2.observe(5);
  h1.absolute([2, 2, 3], 31);
  const over = f.lat.overflow;
  assert.ok(over);
  assert.deepEqual([...over.counts], [2, 3, 3]);
  assert.equal(over.count, 8);
  assert.equal(over.sum, 36);
});

test('cap: the overflow series expires like any other once nothing folds into it, and the limit frees up', () => {
  const reg = new Registry({ cardinalityLimit: 2 });
  const f = reg.register(set);
  const life = new SeriesLifetime(1);
  life.track(f.load);
  f.load.with({ layer: 'a' }).set(1);
  f.load.with({ layer: 'b' }).set(1);
  f.load.with({ layer: 'c' }).set(1);
  assert.equal(f.load.series.length, 3);
  life.sweep();
  life.sweep();
  assert.equal(f.load.series.length, 0);
  assert.equal(f.load.overflow, undefined);
  f.load.with({ layer: 'c' }).set(1);
  assert.deepEqual(f.load.series.map((s) => s.labelValues[0]), ['c'], 'a new label set gets its own series again');
});

test('cap: 0 means no limit; the default is OpenTelemetry\'s 2000', () => {
  assert.equal(new Registry().cardinalityLimit, 2000);
  const reg = new Registry({ cardinalityLimit: 0 });
  const f = reg.register(set);
  for (let i = 0; i < 2500; i++) f.load.with({ layer: String(i) });
  assert.equal(f.load.series.length, 2500);
  assert.throws(() => new Registry({ cardinalityLimit: -1 }), /cardinality limit must be a whole number >= 0, got -1/);
});
