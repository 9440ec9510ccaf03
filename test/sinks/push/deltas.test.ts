import { test } from 'node:test';
import assert from 'node:assert/strict';
import { counter, defineStats, histogram } from '../../../src/declare/index.js';
import { Registry } from '../../../src/registry/index.js';
import { CounterDeltas, HistogramDeltas } from '../../../src/sinks/push/deltas.js';

const set = defineStats({
  name: 'd',
  help: 'd',
  stats: {
    events: counter({ help: 'e', labels: { cpu: String } }),
    lat: histogram({ help: 'l', buckets: [1, 10] }),
    size: histogram({ help: 's', buckets: [1, 10], labels: { cpu: String } }),
  },
});

test('counter deltas: first flush is the baseline, later flushes the change; late series count from zero', () => {
  const fam = new Registry().register(set);
  const a = fam.events.with({ cpu: '0' });
  a.absolute(1_000_000); // counted since boot before the agent started
  const d = new CounterDeltas();
  assert.equal(d.delta(a), 0);
  d.endFlush();
  a.absolute(1_000_250);
  assert.equal(d.delta(a), 250);
  const b = fam.events.with({ cpu: '1' }); // appears after the first flush
  b.inc(7);
  assert.equal(d.delta(b), 7);
  assert.equal(d.delta(a), 0, 'no change, no delta');
  d.endFlush();
  // Two sinks keep separate baselines.
  const other = new CounterDeltas();
  assert.equal(other.delta(a), 0);
  // Ids beyond the initial arrays grow them.
  let far = b;
  for (let cpu = 2; far.id < 200; cpu++) far = fam.events.with({ cpu: String(cpu) });
  far.inc(5);
  assert.equal(d.delta(far), 5);
  far.inc(4);
  assert.equal(d.delta(far), 4);
});

test('histogram deltas: per-bucket, count and sum changes with the same first-flush rule', () => {
  const fam = new Registry().register(set);
  const h = fam.lat.with();
  h.observe(0.5);
  h.observe(50);
  const d = new HistogramDeltas();
  const first = d.delta(h);
  assert.deepEqual([...first.counts], [0, 0, 0]);
  assert.equal(first.count, 0);
  d.endFlush();
  h.observe(5);
  h.observe(5);
  h.observe(100);
  const second = d.delta(h);
  assert.deepEqual([...second.counts], [0, 2, 1]);
  assert.equal(second.count, 3);
  assert.equal(second.sum, 110);
  const late = fam.size.with({ cpu: '3' }); // appears after the first flush: counts from zero
  late.observe(2);
  const l = d.delta(late);
  assert.deepEqual([...l.counts], [0, 1, 0]);
  assert.equal(l.count, 1);
  assert.equal(l.sum, 2);
});
