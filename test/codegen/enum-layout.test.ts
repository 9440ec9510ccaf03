import { test } from 'node:test';
import assert from 'node:assert/strict';
import { counter, defineStats, gauge, histogram, log2Buckets } from '../../src/declare/index.js';
import { LayoutError, enumLayout } from '../../src/codegen/enum-layout.js';
import { enumEntries } from '../../src/bpf-layout/layout.js';
import { bssVar, statsIndex } from '../../src/bpf-layout/ref.js';

const PATHS = ['wsync', 'wsync_prev_idle', 'prev_idle'] as const;

test('slots follow declaration order; closed labels expand, first label outermost; same slots as the BPF source', () => {
  const set = defineStats({
    name: 'x',
    help: 'x',
    stats: {
      dispatched: counter({ help: 'd', labels: { type: PATHS }, from: statsIndex() }),
      grid: counter({ help: 'g', labels: { node: ['n0', 'n1'], kind: ['a', 'b'] }, from: statsIndex() }),
      queued: gauge({ help: 'q', from: statsIndex() }),
    },
  });
  const l = enumLayout(set);
  assert.equal(l.map, 'stats');
  assert.deepEqual(
    l.slots.map((s) => `${s.index}:${s.cName}`),
    ['0:DISPATCHED_WSYNC', '1:DISPATCHED_WSYNC_PREV_IDLE', '2:DISPATCHED_PREV_IDLE', '3:GRID_N0_A', '4:GRID_N0_B', '5:GRID_N1_A', '6:GRID_N1_B', '7:QUEUED'],
  );
  assert.equal(l.entries, 8);
  // The reader's entries are the header's slots, one for one.
  assert.deepEqual(
    enumEntries(set).map((e) => [e.index, e.decl.key, ...e.labelValues]),
    l.slots.map((s) => [s.index, s.stat.key, ...s.labelValues]),
  );
});

test('stats that are not slots of the map are listed with the reason', () => {
  const set = defineStats({
    name: 'x',
    help: 'x',
    stats: {
      a: counter({ help: 'a', from: statsIndex() }),
      lat: histogram({ help: 'l', buckets: log2Buckets(3) }),
      ctxt: counter({ help: 'c', from: { source: 'proc' } }),
      nr: counter({ help: 'n', from: bssVar('nr') }),
      other: counter({ help: 'o', from: statsIndex({ map: 'other' }) }),
      b: counter({ help: 'b', from: statsIndex() }),
    },
  });
  const l = enumLayout(set);
  assert.deepEqual(l.slots.map((s) => s.stat.key), ['a', 'b']);
  assert.deepEqual(
    l.skipped.map((s) => `${s.stat.key}: ${s.reason}`),
    [
      'lat: no `from`; give it `from: statsIndex()` to make it a slot of the stats map',
      'ctxt: read by the proc source, not from a BPF map',
      'nr: a global BPF reference (map ".bss"), not a stats-enum slot',
      'other: a slot of map "other", not "stats"',
    ],
  );
  assert.deepEqual(enumLayout(set, { map: 'other' }).slots.map((s) => s.stat.key), ['other']);
});

test('explicit indices place slots, leave holes and set entries; the BPF layout errors become LayoutErrors', () => {
  const set = defineStats({
    name: 'x',
    help: 'x',
    stats: {
      local: counter({ help: 'l', from: statsIndex({ index: 0, entries: 8 }) }),
      global: counter({ help: 'g', from: statsIndex({ index: 4 }) }),
      after: counter({ help: 'a', labels: { k: ['p', 'q'] }, from: statsIndex() }),
    },
  });
  const l = enumLayout(set);
  assert.deepEqual(l.slots.map((s) => `${s.index}:${s.cName}`), ['0:LOCAL', '4:GLOBAL', '5:AFTER_P', '6:AFTER_Q']);
  assert.equal(l.entries, 8);

  const clash = defineStats({ name: 'x', help: 'x', stats: { a: counter({ help: 'a', from: statsIndex({ index: 1 }) }), b: counter({ help: 'b', from: statsIndex({ index: 1 }) }) } });
  assert.throws(() => enumLayout(clash), (e: unknown) => e instanceof LayoutError && /enum index 1 is used by both "a" and "b"/.test(e.message));
  const open = defineStats({ name: 'x', help: 'x', stats: { a: counter({ help: 'a', labels: { cpu: String }, from: statsIndex() }) } });
  assert.throws(() => enumLayout(open), /label "cpu" is open/);
  const hist = defineStats({ name: 'x', help: 'x', stats: { h: histogram({ help: 'h', buckets: [1, 2], from: statsIndex() }) } });
  assert.throws(
    () => enumLayout(hist),
    (e: unknown) =>
      e instanceof LayoutError &&
      e.message === 'stat "h": a BPF stats enum holds log2 histograms only (buckets: log2Buckets(maxExponent, { scale }), which the generated stat_hist helper fills); explicit bucket bounds cannot be computed in BPF',
  );
  // Explicit bounds that happen to be powers of two are still explicit: only log2Buckets() declares the rule.
  const pow2 = defineStats({ name: 'x', help: 'x', stats: { h: histogram({ help: 'h', buckets: [1, 2, 4], from: statsIndex() }) } });
  assert.throws(() => enumLayout(pow2), /holds log2 histograms only/);
});

test('a log2 histogram takes a run of slots per label combination: buckets, +Inf, sum', () => {
  const set = defineStats({
    name: 'x',
    help: 'x',
    stats: {
      a: counter({ help: 'a', from: statsIndex() }),
      lat: histogram({ help: 'l', unit: 'seconds', labels: { layer: ['batch', 'web'] }, buckets: log2Buckets(2, { scale: 1e-6 }), from: statsIndex() }),
      b: counter({ help: 'b', from: statsIndex() }),
    },
  });
  const l = enumLayout(set);
  assert.deepEqual(
    l.slots.map((s) => `${s.index}:${s.cName}:${String(s.part)}`),
    [
      '0:A:undefined',
      '1:LAT_BATCH_B0:0',
      '2:LAT_BATCH_B1:1',
      '3:LAT_BATCH_B2:2',
      '4:LAT_BATCH_B3:3',
      '5:LAT_BATCH_SUM:sum',
      '6:LAT_WEB_B0:0',
      '7:LAT_WEB_B1:1',
      '8:LAT_WEB_B2:2',
      '9:LAT_WEB_B3:3',
      '10:LAT_WEB_SUM:sum',
      '11:B:undefined',
    ],
  );
  assert.equal(l.entries, 12);
  assert.deepEqual(
    l.histograms.map((h) => `${h.cName}@${h.first.index}/${h.bounds}`),
    ['LAT_BATCH@1/3', 'LAT_WEB@6/3'],
  );
  assert.deepEqual(set.stats.lat.buckets, [1e-6, 2e-6, 4e-6]);
  assert.equal(set.stats.lat.bucketScale, 1e-6);
  // An explicit index inside a histogram's run is caught like any other overlap.
  const overlap = defineStats({
    name: 'x',
    help: 'x',
    stats: { h: histogram({ help: 'h', buckets: log2Buckets(3), from: statsIndex() }), c: counter({ help: 'c', from: statsIndex({ index: 5 }) }) },
  });
  assert.throws(() => enumLayout(overlap), /enum index 5 is used by both "h" and "c"/);
  // A slot name from a histogram run and a counter's name collide like any two slots.
  const clash = defineStats({
    name: 'x',
    help: 'x',
    stats: { h: histogram({ help: 'h', buckets: log2Buckets(0), from: statsIndex() }), h_b0: counter({ help: 'c', from: statsIndex() }) },
  });
  assert.throws(() => enumLayout(clash), /stats "h bucket 0" and "h_b0" both become the C name H_B0/);
  assert.throws(() => log2Buckets(3, { scale: 0 }), /scale must be a finite number > 0, got 0/);
});

test('two stats that become the same C name are an error naming both', () => {
  const set = defineStats({
    name: 'x',
    help: 'x',
    stats: { a_b: counter({ help: 'x', from: statsIndex() }), a: counter({ help: 'y', labels: { k: ['b'] }, from: statsIndex() }) },
  });
  assert.throws(() => enumLayout(set), /stats "a_b" and "a\{k=b\}" both become the C name A_B/);
});
