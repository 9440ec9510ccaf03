// The page's choice of which series get a colour of their own (src/sinks/web/client/panels.js `pick`), run in
// Node on the module the page loads (copied into dist by the build): slots stay put while their series stay
// near the top, so colours do not jump and the chart is not rebuilt when similar series trade places.
import { test } from 'node:test';
import assert from 'node:assert/strict';

interface Col {
  readonly key: string;
  readonly score: number;
}
type Pick = (cols: Col[], score: (c: Col) => number, prev: string[], n: number) => Col[];

const url = new URL('../../../src/sinks/web/client/panels.js', import.meta.url).href;
const { pick } = (await import(url)) as { pick: Pick };

const cols = (scores: Record<string, number>): Col[] => Object.entries(scores).map(([key, score]) => ({ key, score }));
const keys = (prev: string[], scores: Record<string, number>, n: number): string[] => pick(cols(scores), (c) => c.score, prev, n).map((c) => c.key);

test('first pick: the top n by score, highest first', () => {
  assert.deepEqual(keys([], { a: 1, b: 5, c: 3, d: 4 }, 2), ['b', 'd']);
  assert.deepEqual(keys([], { a: 1 }, 3), ['a']);
});

test('shown series keep their slots while they stay in the top 2n, whatever their order', () => {
  // n = 2: a and b are shown; c and d overtake them but a and b are still in the top 4.
  assert.deepEqual(keys(['a', 'b'], { a: 1, b: 2, c: 3, d: 4 }, 2), ['a', 'b']);
  assert.deepEqual(keys(['a', 'b'], { a: 9, b: 1, c: 3, d: 4 }, 2), ['a', 'b']);
});

test('a series that falls out of the top 2n, or leaves, gives its slot to the best series not shown', () => {
  // b is 5th of 5 (outside the top 4): e, the best one not shown, takes b's slot; a keeps slot 0.
  assert.deepEqual(keys(['a', 'b'], { a: 4, b: 0, c: 3, d: 2, e: 5 }, 2), ['a', 'e']);
  // a is gone from the family.
  assert.deepEqual(keys(['a', 'b'], { b: 1, c: 3 }, 2), ['c', 'b']);
});

test('slots picked before any volume (all scores 0) do not stick once volume arrives', () => {
  const first = keys([], { a: 0, b: 0, c: 0, d: 0 }, 2);
  assert.deepEqual(first, ['a', 'b'], 'ties keep the given order');
  assert.deepEqual(keys(first, { a: 0, b: 0, c: 1, d: 2 }, 2), ['d', 'c']);
  // A shown series at 0 gives way even inside the top 2n; the others keep their slots.
  assert.deepEqual(keys(['c', 'd'], { a: 0, b: 3, c: 0, d: 2 }, 2), ['b', 'd']);
});

test('fewer series than slots: the slots of series that left go; more: new slots are filled by rank', () => {
  assert.deepEqual(keys(['a', 'b', 'c'], { a: 1, c: 3 }, 3), ['a', 'c']);
  assert.deepEqual(keys(['a'], { a: 1, b: 2, c: 3 }, 3), ['a', 'c', 'b']);
});
