/** The Prometheus text reader of `top --from`: families, escapes, histograms, and one clear error for a bad line. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PromTextError, parsePromText } from '../../src/top/prom-text.js';

test('counters, gauges, histograms, summaries and untyped samples', () => {
  const text = [
    '# HELP scx_x_total Things done, by \\\\ path\\nsecond line',
    '# TYPE scx_x_total counter',
    'scx_x_total{type="a b",path="q\\"x\\\\y\\nz"} 12',
    'scx_x_total{type="c"} 1e3 1700000000000',
    'scx_x_created{type="c"} 1700000000',
    '# TYPE y counter',
    'y_total 5',
    '# TYPE g gauge',
    'g{cpu="0",} -1.5',
    '# TYPE lat_seconds histogram',
    'lat_seconds_bucket{le="0.1"} 3',
    'lat_seconds_bucket{le="+Inf"} 4',
    'lat_seconds_sum 0.5',
    'lat_seconds_count 4',
    '# TYPE s summary',
    's{quantile="0.5"} 1',
    's_sum 10',
    's_count 2',
    'plain NaN',
    'up +Inf',
    '',
  ].join('\n');
  const stats = parsePromText(text);
  assert.deepEqual(
    stats.map((s) => [s.name, s.kind]),
    [['scx_x', 'counter'], ['y', 'counter'], ['g', 'gauge'], ['lat_seconds', 'histogram'], ['s', 'histogram'], ['plain', 'gauge'], ['up', 'gauge']],
  );
  assert.equal(stats[0]?.help, 'Things done, by \\ path\nsecond line');
  assert.deepEqual(stats[0]?.series, [
    { labels: [['type', 'a b'], ['path', 'q"x\\y\nz']], value: 12 },
    { labels: [['type', 'c']], value: 1000 },
  ]);
  assert.deepEqual(stats[1]?.series, [{ labels: [], value: 5 }]);
  assert.deepEqual(stats[2]?.series, [{ labels: [['cpu', '0']], value: -1.5 }]);
  assert.deepEqual(stats[3]?.series, [{ labels: [], value: 4, sum: 0.5 }]);
  assert.deepEqual(stats[4]?.series, [{ labels: [], value: 2, sum: 10 }]);
  assert.ok(Number.isNaN(stats[5]?.series[0]?.value));
  assert.equal(stats[6]?.series[0]?.value, Infinity);
});

test('a malformed line is one error naming its line and what was expected', () => {
  const cases: [string, RegExp][] = [
    ['ok 1\nbad{x="1} 2', /line 2: unterminated value of label x/],
    ['m{x=1} 2', /line 1: expected ="value" after label x/],
    ['m 12abc', /line 1: "12abc" is not a sample value/],
    ['m{x="\\t"} 1', /line 1: bad escape \\t in label x/],
    ['# TYPE m thing', /line 1: TYPE must be counter, gauge, histogram, summary or untyped, got "thing"/],
    ['m 1 2 3', /line 1: expected at most a timestamp/],
    ['{x="1"} 1', /line 1: expected a metric name/],
  ];
  for (const [text, re] of cases) assert.throws(() => parsePromText(text), (e: unknown) => e instanceof PromTextError && re.test(e.message), text);
});
