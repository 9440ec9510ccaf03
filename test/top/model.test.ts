/** The rate/sparkline model: rates from cumulative reads, restarts, gauges, histograms, series coming and going. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Frame, FrameStat } from '../../src/top/frame.js';
import { HISTORY, TopModel } from '../../src/top/model.js';
import { BLOCKS, sparkline } from '../../src/top/sparkline.js';
import { formatSeconds, formatValue } from '../../src/top/format.js';

const frame = (atMs: number, stats: FrameStat[]): Frame => ({ atMs, stats });
const counter = (name: string, series: [Record<string, string>, number][]): FrameStat => ({
  name,
  kind: 'counter',
  help: '',
  series: series.map(([l, value]) => ({ labels: Object.entries(l), value })),
});

test('counter rate: increase over the interval, per second; none on the first read', () => {
  const m = new TopModel();
  m.update(frame(0, [counter('ctx', [[{}, 1000]])]));
  assert.equal(m.view()[0]?.value, undefined);
  m.update(frame(2000, [counter('ctx', [[{}, 1600]])]));
  assert.equal(m.view()[0]?.value, 300);
  m.update(frame(2500, [counter('ctx', [[{}, 1700]])]));
  assert.equal(m.view()[0]?.value, 200);
  const h = m.view()[0]?.history ?? [];
  assert.equal(h.length, 3);
  assert.ok(Number.isNaN(h[0]));
  assert.deepEqual(h.slice(1), [300, 200]);
});

test('counter that goes back restarted from zero: its new value is the increase', () => {
  const m = new TopModel();
  m.update(frame(0, [counter('c', [[{}, 500]])]));
  m.update(frame(1000, [counter('c', [[{}, 40]])]));
  assert.equal(m.view()[0]?.value, 40);
});

test('labelled counter: the stat is the sum of its series; series come and go', () => {
  const m = new TopModel();
  m.update(frame(0, [counter('d', [[{ type: 'a' }, 10], [{ type: 'b' }, 20]])]));
  m.update(frame(1000, [counter('d', [[{ type: 'a' }, 15], [{ type: 'b' }, 40]])]));
  let v = m.view()[0];
  assert.equal(v?.value, 25);
  assert.deepEqual(v?.series.map((s) => [s.labelText, s.value]), [['type=a', 5], ['type=b', 20]]);
  // b leaves, c arrives (no rate yet): the stat is a's rate alone.
  m.update(frame(2000, [counter('d', [[{ type: 'a' }, 18], [{ type: 'c' }, 7]])]));
  v = m.view()[0];
  assert.equal(v?.value, 3);
  assert.deepEqual(v?.series.map((s) => [s.labelText, s.value]), [['type=a', 3], ['type=c', undefined]]);
});

test('gauge: the value as read, summed over series; a stat that leaves is dropped', () => {
  const m = new TopModel();
  const g = (v: number): FrameStat => ({ name: 'tasks', kind: 'gauge', help: 'h', series: [{ labels: [['cpu', '0']], value: v }, { labels: [['cpu', '1']], value: 1 }] });
  m.update(frame(0, [g(3), counter('x', [[{}, 1]])]));
  assert.equal(m.view()[0]?.value, 4);
  m.update(frame(1000, [g(5)]));
  assert.deepEqual(m.view().map((s) => s.name), ['tasks']);
  assert.deepEqual(m.view()[0]?.history, [4, 6]);
});

test('histogram: rate of observations and the mean of the interval', () => {
  const m = new TopModel();
  const h = (count: number, sum: number): FrameStat => ({ name: 'lat_seconds', kind: 'histogram', help: '', series: [{ labels: [], value: count, sum }] });
  m.update(frame(0, [h(10, 1)]));
  m.update(frame(1000, [h(30, 5)]));
  const v = m.view()[0];
  assert.equal(v?.value, 20);
  assert.equal(v?.mean, 0.2);
});

test('history is bounded', () => {
  const m = new TopModel();
  for (let i = 0; i <= HISTORY + 50; i++) m.update(frame(i * 1000, [counter('c', [[{}, i * i]])]));
  const h = m.view()[0]?.history ?? [];
  assert.equal(h.length, HISTORY);
  assert.equal(h[h.length - 1], 2 * (HISTORY + 50) - 1);
});

test('sparkline: scaled from zero to the peak in view, newest right, padded left, gaps blank', () => {
  assert.equal(sparkline([0, 7, 14], 3), `${BLOCKS[0]}${BLOCKS[4]}${BLOCKS[7]}`);
  assert.equal(sparkline([1, 2], 5), `   ${BLOCKS[4]}${BLOCKS[7]}`);
  assert.equal(sparkline([NaN, 5], 2), ` ${BLOCKS[7]}`);
  // Only the last `width` points count for the scale: the early spike is out of view.
  assert.equal(sparkline([1000, 1, 2], 2), `${BLOCKS[4]}${BLOCKS[7]}`);
  assert.equal(sparkline([0, 0], 2), `${BLOCKS[0]}${BLOCKS[0]}`);
  assert.equal(sparkline([1, 2, 3], 0), '');
});

test('numbers fit in a few columns', () => {
  assert.equal(formatValue(0), '0');
  assert.equal(formatValue(12), '12');
  assert.equal(formatValue(1.5), '1.50');
  assert.equal(formatValue(1234), '1.23k');
  assert.equal(formatValue(999_960), '1.00M');
  assert.equal(formatValue(0.5), '0.500');
  assert.equal(formatValue(0.0000123), '12.3µ');
  assert.equal(formatValue(-2500), '-2.50k');
  assert.equal(formatValue(undefined), '–');
  assert.equal(formatValue(NaN), '–');
  assert.equal(formatSeconds(0.00946), '9.46ms');
  assert.equal(formatSeconds(2), '2s');
  for (const n of [1e-12, 3.3e-7, 0.999, 999.9, 1e5, 7.77e14, 1e300]) assert.ok(formatValue(n).length <= 8, `${n} → ${formatValue(n)}`);
});
