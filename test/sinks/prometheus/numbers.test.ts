// Number text: Go's %g (shortest) for bucket bounds, checked against a table of Go's own outputs and against
// the Go-compatible formatter of python3-prometheus-client (a real peer) over many values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { formatGoFloat } from '../../../src/support/go-float.js';
import { formatValue } from '../../../src/sinks/prometheus/numbers.js';
import { MAX_NUMBER_BYTES, putNumber } from '../../../src/sinks/prometheus/bytes.js';
import { canonicalBound } from '../../../src/sinks/prometheus/openmetrics.js';
import { escapeBackslashNewline, escapeQuoted, labelPairs } from '../../../src/sinks/prometheus/escape.js';
import { hasCommand, needPeer } from '../../helpers/peers.js';

test("formatGoFloat matches Go's strconv.FormatFloat(v, 'g', -1, 64)", () => {
  const cases: [number, string][] = [
    [0, '0'],
    [1, '1'],
    [0.1, '0.1'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1.5e-7, '1.5e-07'],
    [123456, '123456'],
    [999999, '999999'],
    [1e6, '1e+06'],
    [1048576, '1.048576e+06'],
    [2 ** 63, '9.223372036854776e+18'],
    [1e100, '1e+100'],
    [5e-324, '5e-324'],
    [-2.5e6, '-2.5e+06'],
    [-0.25, '-0.25'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, '+Inf'],
    [Number.NEGATIVE_INFINITY, '-Inf'],
  ];
  for (const [v, want] of cases) assert.equal(formatGoFloat(v), want, String(v));
});

test('formatValue: shortest round-trip digits and the Prometheus spellings of NaN and the infinities', () => {
  assert.equal(formatValue(42), '42');
  assert.equal(formatValue(0.1 + 0.2), '0.30000000000000004');
  assert.equal(formatValue(Number.NaN), 'NaN');
  assert.equal(formatValue(Number.POSITIVE_INFINITY), '+Inf');
  assert.equal(formatValue(Number.NEGATIVE_INFINITY), '-Inf');
  assert.equal(formatValue(Number.MAX_VALUE), '1.7976931348623157e+308');
  for (const v of [1e21, 1.5e-7, 123.456, -7]) assert.equal(Number(formatValue(v)), v);
});

test('escaping: label values and OpenMetrics HELP escape \\ " and LF; 0.0.4 HELP only \\ and LF; UTF-8 passes', () => {
  assert.equal(escapeQuoted('a"b\\c\nd é✓'), 'a\\"b\\\\c\\nd é✓');
  assert.equal(escapeBackslashNewline('a"b\\c\nd é✓'), 'a"b\\\\c\\nd é✓');
  assert.equal(escapeQuoted('\\"'), '\\\\\\"');
  assert.equal(escapeQuoted('plain'), 'plain');
  assert.equal(labelPairs(['a', 'b'], ['x"', '']), 'a="x\\"",b=""');
  assert.equal(labelPairs([], []), '');
});

test("canonical OpenMetrics bounds agree with python3-prometheus-client's floatToGoString", (t) => {
  if (!needPeer(t, hasCommand('/usr/bin/python3', ['-c', 'import prometheus_client.utils']), 'python3-prometheus-client (/usr/bin/python3)')) return;
  // The Python helper writes OpenMetrics le/quantile text (Go %g, `.0` on integers). It handles positive values
  // below 1e10 only (above, it pads the exponent wrongly), so the comparison stays in that range.
  const values: number[] = [];
  for (let e = -12; e <= 9; e++) for (const m of [1, 1.5, 2.5, 3.0517578125, 9.99]) values.push(m * 10 ** e);
  for (let i = 0; i <= 33; i++) values.push(2 ** i);
  const py = spawnSync(
    '/usr/bin/python3',
    ['-c', 'import sys\nfrom prometheus_client.utils import floatToGoString as g\nfor l in sys.stdin: print(g(float(l)))'],
    { input: values.map((v) => v.toExponential()).join('\n') + '\n', encoding: 'utf8' },
  );
  assert.equal(py.status, 0, py.stderr);
  const theirs = py.stdout.trimEnd().split('\n');
  assert.equal(theirs.length, values.length);
  values.forEach((v, i) => assert.equal(canonicalBound(v), theirs[i], `${v}`));
});

test('putNumber writes what formatValue spells, with and without its integer fast paths', () => {
  const values = [0, 7, 9, 10, 99, 100, 2147483647, 2147483648, 1e9, 1e9 + 1, 12345678901234, 2 ** 53 - 1, 2 ** 53, 2 ** 60, 1e21, -1, -2147483648, 0.5, 1.5e-7, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -2.2250738585072014e-308, -0.0000012345678901234567, -1.2345678901234568e21, -123456789012345680000];
  const buf = Buffer.alloc(64);
  for (const v of values) {
    const end = putNumber(buf, 3, v);
    assert.equal(buf.toString('latin1', 3, end), formatValue(v), String(v));
    assert.ok(end - 3 <= MAX_NUMBER_BYTES);
  }
});
