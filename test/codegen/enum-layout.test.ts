import { test } from 'node:test';
import assert from 'node:assert/strict';
import { counter, defineStats, gauge, histogram, log2Buckets } from '../../src/declare/index.js';
import { LayoutError, enumLayout } from '../../src/codegen/enum-layout.js';
import { enumEntries } from '../../src/sources/bpf/layout.js';
import { bssVar, statsIndex } from '../../src/sources/bpf/ref.js';

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
  assert.throws(() => enumLayout(hist), /histograms are not read from a BPF stats enum/);
});

test('two stats that become the same C name are an error naming both', () => {
  const set = defineStats({
    name: 'x',
    help: 'x',
    stats: { a_b: counter({ help: 'x', from: statsIndex() }), a: counter({ help: 'y', labels: { k: ['b'] }, from: statsIndex() }) },
  });
  assert.throws(() => enumLayout(set), /stats "a_b" and "a\{k=b\}" both become the C name A_B/);
});
