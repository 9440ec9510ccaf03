import { test } from 'node:test';
import assert from 'node:assert/strict';
import { counter, defineStats, gauge, histogram } from '../../src/declare/index.js';
import { PerSeries, Registry, type Series } from '../../src/registry/index.js';

const set = defineStats({
  name: 'churn',
  help: 'churn',
  stats: {
    layer_load: gauge({ help: 'per-layer load', labels: { layer: String } }),
    layer_dispatched: counter({ help: 'per-layer dispatches', labels: { layer: String } }),
    info: gauge({ help: 'an info string as a label', labels: { text: String } }),
    lat: histogram({ help: 'per-cpu latency', buckets: [1, 10], labels: { cpu: String } }),
  },
});

/** Every live series of the registry. */
function live(reg: Registry): Series[] {
  return reg.families().flatMap((f) => [...f.series]);
}

test('churn: thousands of add/remove cycles keep seriesCapacity at the peak of live series, ids dense and unique', () => {
  const reg = new Registry();
  const f = reg.register(set);
  let peak = 0;
  let seq = 0;
  const serials = new Set<number>();
  // A scheduler's layers and info strings come and go: each cycle adds a few series under never-seen
  // label values and removes the oldest, across families of every kind.
  const alive: { remove(): void }[] = [];
  for (let cycle = 0; cycle < 5000; cycle++) {
    const adds = 1 + (cycle % 4);
    for (let i = 0; i < adds; i++) {
      const v = `v${seq++}`;
      const k = seq % 4;
      const s =
        k === 0 ? f.layer_load.with({ layer: v }) : k === 1 ? f.layer_dispatched.with({ layer: v }) : k === 2 ? f.info.with({ text: v }) : f.lat.with({ cpu: v });
      assert.ok(!serials.has(s.serial), 'serials are never reused');
      serials.add(s.serial);
      const fam = k === 0 ? f.layer_load : k === 1 ? f.layer_dispatched : k === 2 ? f.info : f.lat;
      alive.push({ remove: () => assert.ok(fam.remove([v])) });
    }
    peak = Math.max(peak, live(reg).length);
    // Keep between 20 and 40 live: remove the oldest down to 20.
    while (alive.length > 20 + (cycle % 21)) alive.shift()?.remove();
  }
  assert.ok(seq > 12_000, `${seq} series created`);
  assert.equal(reg.seriesCapacity, peak, 'capacity is the live peak, not the number ever created');
  assert.ok(peak <= 45);
  const ids = live(reg).map((s) => s.id);
  assert.equal(new Set(ids).size, ids.length, 'live ids are unique');
  assert.ok(ids.every((id) => id >= 0 && id < reg.seriesCapacity));
  // Remove everything, then grow back to the peak: only the freed ids are used.
  while (alive.length > 0) alive.shift()?.remove();
  assert.equal(live(reg).length, 0);
  for (let i = 0; i < peak; i++) f.info.with({ text: `again${i}` });
  assert.equal(reg.seriesCapacity, peak);
  assert.deepEqual(live(reg).map((s) => s.id).sort((a, b) => a - b), Array.from({ length: peak }, (_, i) => i), 'dense: 0..peak-1');
  f.info.with({ text: 'one more' });
  assert.equal(reg.seriesCapacity, peak + 1, 'past the peak, a new id');
});

test('a removed series\' id goes to the next new series, which starts from zero with a new serial', () => {
  const reg = new Registry();
  const f = reg.register(set);
  const a = f.layer_dispatched.with({ layer: 'batch' });
  a.inc(100);
  const b = f.layer_dispatched.with({ layer: 'interactive' });
  assert.equal(reg.seriesCapacity, 2);
  const gen = reg.generation;
  assert.ok(f.layer_dispatched.remove(['batch']));
  assert.ok(reg.generation > gen, 'a removal moves the generation');
  assert.equal(f.layer_dispatched.remove(['batch']), false, 'only once');
  const c = f.lat.with({ cpu: '3' }); // any family takes the freed id
  assert.equal(c.id, a.id);
  assert.notEqual(c.serial, a.serial);
  assert.equal(c.count, 0);
  assert.equal(reg.seriesCapacity, 2);
  // A handle kept for the removed series still works, but is not exported; the same labels make a new series.
  a.inc(1);
  assert.equal(a.value, 101);
  const again = f.layer_dispatched.with({ layer: 'batch' });
  assert.notEqual(again, a);
  assert.equal(again.value, 0);
  assert.equal(again.id, 2);
  assert.deepEqual(f.layer_dispatched.series, [b, again]);
});

test('PerSeries: a value belongs to the series that set it, not to the id; sync lets go of series that left', () => {
  const reg = new Registry();
  const f = reg.register(set);
  const cache = new PerSeries<string>();
  const a = f.info.with({ text: 'old' });
  const keep = f.info.with({ text: 'kept' });
  cache.sync(reg);
  cache.set(a, 'text of old');
  cache.set(keep, 'text of kept');
  assert.equal(cache.get(a), 'text of old');
  f.info.remove(['old']);
  const b = f.info.with({ text: 'new' });
  assert.equal(b.id, a.id);
  assert.equal(cache.get(b), undefined, 'the id now belongs to another series');
  const gone: string[] = [];
  cache.sync(reg, (v) => gone.push(v));
  assert.deepEqual(gone, ['text of old']);
  assert.equal(cache.byId[a.id], undefined, 'nothing of the removed series is kept');
  assert.equal(cache.get(keep), 'text of kept', 'live series keep their values');
  cache.sync(reg, (v) => gone.push(v));
  assert.equal(gone.length, 1, 'no generation change, no work');
  // Far ids grow the slots.
  let far = b;
  for (let i = 0; far.id < 100; i++) far = f.info.with({ text: `far${i}` });
  assert.equal(cache.get(far), undefined);
  cache.set(far, 'far');
  assert.equal(cache.get(far), 'far');
  // Another registry's series share ids but not serials' meaning: switching registries starts empty.
  const other = new Registry();
  const o = other.register(set).info.with({ text: 'other' });
  cache.sync(other);
  assert.equal(cache.get(keep), undefined);
  assert.equal(cache.get(o), undefined);
});
