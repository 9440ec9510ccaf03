import { test } from 'node:test';
import assert from 'node:assert/strict';
import { counter, defineStats, gauge, histogram, log2Buckets } from '../../src/declare/index.js';
import { LayoutError, enumLayout } from '../../src/codegen/enum-layout.js';

const PATHS = ['wsync', 'wsync_prev_idle', 'prev_idle'] as const;

test('slots follow declaration order; closed labels expand with the last label fastest', () => {
  const set = defineStats({
    name: 'x',
    help: 'x',
    stats: {
      dispatched: counter({ help: 'd', labels: { type: PATHS } }),
      grid: counter({ help: 'g', labels: { node: ['n0', 'n1'], kind: ['a', 'b'] } }),
      queued: gauge({ help: 'q' }),
    },
  });
  const l = enumLayout(set);
  assert.equal(l.map, 'stats');
  assert.deepEqual(
    l.slots.map((s) => `${s.index}:${s.cName}`),
    ['0:DISPATCHED_WSYNC', '1:DISPATCHED_WSYNC_PREV_IDLE', '2:DISPATCHED_PREV_IDLE', '3:GRID_N0_A', '4:GRID_N0_B', '5:GRID_N1_A', '6:GRID_N1_B', '7:QUEUED'],
  );
  assert.equal(l.entries, 8);
  assert.equal(l.indexOf(set.stats.grid, ['n1', 'a']), 5);
  assert.equal(l.indexOf(set.stats.queued), 7);
  assert.equal(l.indexOf(set.stats.dispatched, ['nope']), undefined);
});

test('histograms, open labels and other sources are left out with a reason', () => {
  const set = defineStats({
    name: 'x',
    help: 'x',
    stats: {
      a: counter({ help: 'a' }),
      lat: histogram({ help: 'l', buckets: log2Buckets(3) }),
      per_cpu: counter({ help: 'p', labels: { cpu: String } }),
      ctxt: counter({ help: 'c', from: { source: 'proc' } }),
      bss: counter({ help: 'b', from: { source: 'bpf', layout: 'global', map: '.bss', variable: 'nr' } as { source: string } }),
      b: counter({ help: 'b' }),
    },
  });
  const l = enumLayout(set);
  assert.deepEqual(l.slots.map((s) => s.stat.key), ['a', 'b']);
  assert.deepEqual(
    l.skipped.map((s) => `${s.stat.key}: ${s.reason}`),
    [
      'lat: a histogram needs a bucket array, not one u64 slot',
      'per_cpu: label "cpu" has open values, so the number of slots is not fixed',
      'ctxt: read by the proc source, not from a stats map',
      'bss: a global BPF reference, not a stats-map slot',
    ],
  );
});

test("explicit indices (the BPF source's statsIndex refs) place slots, leave holes, and set entries", () => {
  const at = (index?: number, entries?: number): { source: string } =>
    ({ source: 'bpf', layout: 'percpu_array', map: 'stats', ...(index !== undefined ? { index } : {}), ...(entries !== undefined ? { entries } : {}) }) as { source: string };
  const set = defineStats({
    name: 'x',
    help: 'x',
    stats: {
      local: counter({ help: 'l', from: at(0, 8) }),
      global: counter({ help: 'g', from: at(4) }),
      after: counter({ help: 'a', labels: { k: ['p', 'q'] }, from: at() }),
      other: counter({ help: 'o', from: { source: 'bpf', layout: 'percpu_array', map: 'other' } as { source: string } }),
    },
  });
  const l = enumLayout(set);
  assert.deepEqual(l.slots.map((s) => `${s.index}:${s.cName}`), ['0:LOCAL', '4:GLOBAL', '5:AFTER_P', '6:AFTER_Q']);
  assert.equal(l.entries, 8);
  assert.match(l.skipped[0]?.reason ?? '', /a slot of map "other", not "stats"/);
  assert.deepEqual(enumLayout(set, { map: 'other' }).slots.map((s) => s.stat.key), ['other']);

  const clash = defineStats({ name: 'x', help: 'x', stats: { a: counter({ help: 'a', from: at(1) }), b: counter({ help: 'b', from: at(1) }) } });
  assert.throws(() => enumLayout(clash), (e: unknown) => e instanceof LayoutError && /"a" and "b" both take slot 1 of map "stats"/.test(e.message));
  const small = defineStats({ name: 'x', help: 'x', stats: { a: counter({ help: 'a', from: at(3, 2) }) } });
  assert.throws(() => enumLayout(small), /declared with 2 entries but its stats use slots up to 3/);
});

test('two stats that become the same C name are an error naming both', () => {
  const set = defineStats({
    name: 'x',
    help: 'x',
    stats: { a_b: counter({ help: 'x' }), a: counter({ help: 'y', labels: { k: ['b'] } }) },
  });
  assert.throws(() => enumLayout(set), /stats "a_b" and "a\{k=b\}" both become the C name A_B/);
});
