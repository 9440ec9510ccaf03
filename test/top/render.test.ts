/** The renderer: fits any width and height, truncates names, keeps the selection in view, prints no control characters from labels. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FrameStat } from '../../src/top/frame.js';
import { TopModel } from '../../src/top/model.js';
import { render } from '../../src/top/render.js';
import { flatten } from '../../src/top/rows.js';
import { textWidth } from '../../src/top/text-width.js';

function model(nStats: number, labelled = 3): TopModel {
  const m = new TopModel();
  const stats = (t: number): FrameStat[] =>
    Array.from({ length: nStats }, (_, i) => ({
      name: `scx_test_stat_number_${i}_with_a_rather_long_name`,
      kind: 'counter' as const,
      help: '',
      series: Array.from({ length: i === 0 ? labelled : 1 }, (_, j) => ({ labels: i === 0 ? [['type', `t${j}`] as const] : [], value: t * (i + j + 1) * 100 })),
    }));
  for (let t = 0; t < 30; t++) m.update({ atMs: t * 1000, stats: stats(t) });
  return m;
}

const plain = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, ''); // eslint-disable-line no-control-regex

test('every line fits the width and there are exactly `height` lines, for many sizes', () => {
  const m = model(40);
  const rows = flatten(m.view(), new Set([m.view()[0]?.key as string]));
  for (const width of [1, 5, 10, 20, 33, 40, 60, 80, 132, 250]) {
    for (const height of [1, 2, 3, 4, 10, 24, 60]) {
      const out = render({ title: 'title', status: 'a status', rows, selected: 5, scroll: 0, width, height });
      assert.equal(out.lines.length, height, `${width}x${height}`);
      for (const l of out.lines) assert.ok(textWidth(plain(l)) <= width, `${width}x${height}: ${JSON.stringify(plain(l))}`);
    }
  }
});

test('a wide terminal shows the full name, the rate and a sparkline; a narrow one truncates the name with …', () => {
  const m = model(3);
  const rows = flatten(m.view(), new Set());
  const wide = render({ title: 't', status: '', rows, selected: 0, scroll: 0, width: 140, height: 10, colour: false });
  const line = wide.lines.find((l) => l.includes('scx_test_stat_number_1_with_a_rather_long_name')) ?? '';
  assert.match(line, /200\/s/);
  assert.match(line, /[▁▂▃▄▅▆▇█]{20,}/);
  const narrow = render({ title: 't', status: '', rows, selected: 0, scroll: 0, width: 40, height: 10, colour: false });
  const nl = narrow.lines[3] ?? '';
  assert.match(nl, /^ {2}scx_test_\S*… +200\/s +[▁▂▃▄▅▆▇█]+$/);
  assert.match(nl, /200\/s/);
  assert.equal(textWidth(nl), 40);
});

test('expanded stat lists its series under it; collapsed shows the count', () => {
  const m = model(2, 3);
  const key = m.view()[0]?.key as string;
  const closed = render({ title: 't', status: '', rows: flatten(m.view(), new Set()), selected: 0, scroll: 0, width: 120, height: 10, colour: false });
  assert.match(closed.lines[2] ?? '', /^▸ scx_test_stat_number_0\S* \(3\)/);
  const open = render({ title: 't', status: '', rows: flatten(m.view(), new Set([key])), selected: 0, scroll: 0, width: 120, height: 10, colour: false });
  assert.match(open.lines[2] ?? '', /^▾ /);
  assert.deepEqual(open.lines.slice(3, 6).map((l) => /^ {4}(type=t\d)/.exec(l)?.[1]), ['type=t0', 'type=t1', 'type=t2']);
  // t0's rate is 100/s, t2's 300/s.
  assert.match(open.lines[3] ?? '', /100\/s/);
  assert.match(open.lines[5] ?? '', /300\/s/);
});

test('scrolls to keep the selected row in view, and the footer stays on the last line', () => {
  const m = model(50);
  const rows = flatten(m.view(), new Set());
  const out = render({ title: 't', status: 'problem here', rows, selected: 45, scroll: 0, width: 100, height: 12, colour: true });
  assert.equal(out.page, 9);
  assert.equal(out.scroll, 37);
  const sel = out.lines.find((l) => l.startsWith('\x1b[7m') && l.includes('number_45_'));
  assert.ok(sel !== undefined, 'selected row drawn in inverse video');
  assert.match(out.lines[11] ?? '', /^q quit.*│ problem here/);
  const up = render({ title: 't', status: '', rows, selected: 2, scroll: out.scroll, width: 100, height: 12 });
  assert.equal(up.scroll, 2);
});

test('label values cannot write escapes to the terminal', () => {
  const m = new TopModel();
  const stat = (v: number): FrameStat => ({ name: 'x', kind: 'gauge', help: '', series: [{ labels: [['name', 'evil\x1b[2J\x07\nzz']], value: v }, { labels: [['name', '宽字符']], value: v }] });
  m.update({ atMs: 0, stats: [stat(1)] });
  const rows = flatten(m.view(), new Set(['x']));
  const out = render({ title: 't\x1b]0;x\x07', status: 's\x1b[31m', rows, selected: 0, scroll: 0, width: 30, height: 8, colour: false });
  for (const l of out.lines) {
    assert.doesNotMatch(l, /[\x00-\x1f\x7f]/); // eslint-disable-line no-control-regex
    assert.ok(textWidth(l) <= 30, l);
  }
  assert.ok(out.lines.some((l) => l.includes('宽字符')));
});

test('before the first read it says it is waiting', () => {
  const out = render({ title: 't', status: '', rows: [], selected: 0, scroll: 0, width: 50, height: 6, colour: false });
  assert.match(out.lines[2] ?? '', /waiting for the first read/);
});
