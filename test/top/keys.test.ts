/** Keys in raw mode and what they do to the selection and expansion. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseKeys } from '../../src/top/keys.js';
import { Navigation } from '../../src/top/navigation.js';
import { TopModel } from '../../src/top/model.js';
import { flatten } from '../../src/top/rows.js';

test('parseKeys: arrows (both modes), j/k, enter, space, q and Ctrl-C; unknown sequences skipped', () => {
  assert.deepEqual(parseKeys('\x1b[A\x1bOB jk\r\n q\x03'), ['up', 'down', 'toggle', 'down', 'up', 'toggle', 'toggle', 'toggle', 'quit', 'quit']);
  assert.deepEqual(parseKeys('\x1b[1;5A\x1b[200~x'), []);
  assert.deepEqual(parseKeys('\x1b[5~\x1b[6~gG\x1b[C\x1b[D'), ['pageUp', 'pageDown', 'home', 'end', 'expand', 'collapse']);
});

test('navigation: move, expand, collapse from a series line, selection follows its key when lines move', () => {
  const m = new TopModel();
  m.update({
    atMs: 0,
    stats: [
      { name: 'a', kind: 'counter', help: '', series: [{ labels: [['t', '1']], value: 1 }, { labels: [['t', '2']], value: 1 }] },
      { name: 'b', kind: 'gauge', help: '', series: [{ labels: [], value: 1 }] },
    ],
  });
  const nav = new Navigation();
  const rows = (): ReturnType<typeof flatten> => flatten(m.view(), nav.expanded);
  assert.equal(nav.apply('down', rows(), 10), false);
  assert.equal(rows()[nav.index(rows())]?.key, 'b');
  nav.apply('toggle', rows(), 10); // b is not expandable
  assert.equal(rows().length, 2);
  nav.apply('up', rows(), 10);
  nav.apply('toggle', rows(), 10);
  assert.deepEqual(rows().map((r) => r.key), ['a', 'a{t=1}', 'a{t=2}', 'b']);
  nav.apply('end', rows(), 10);
  assert.equal(rows()[nav.index(rows())]?.key, 'b');
  nav.apply('up', rows(), 10);
  assert.equal(rows()[nav.index(rows())]?.key, 'a{t=2}');
  nav.apply('collapse', rows(), 10);
  assert.deepEqual(rows().map((r) => r.key), ['a', 'b']);
  assert.equal(rows()[nav.index(rows())]?.key, 'a');
  nav.apply('toggle', rows(), 10);
  nav.apply('toggle', rows(), 10);
  assert.equal(rows().length, 2);
  assert.equal(nav.apply('quit', rows(), 10), true);
});
