import { test } from 'node:test';
import assert from 'node:assert/strict';
import { counter, defineStats, gauge, histogram, log2Buckets } from '../../../src/declare/index.js';
import { Registry } from '../../../src/registry/index.js';
import { RemoteWriteEncoder } from '../../../src/sinks/remote-write/encode.js';
import { formatGoFloat } from '../../../src/support/go-float.js';
import { snappyCompress, snappyUncompress } from '../../../src/sinks/remote-write/snappy.js';
import { decodeWriteRequest, seriesKey } from '../../helpers/prompb.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const ascii = (s: string): string => Buffer.from(s).toString('hex');

const stats = defineStats({
  name: 't',
  help: 't',
  prefix: 'scx',
  stats: {
    dispatched: counter({ help: 'd', labels: { path: ['local', 'global'], cpu: String } }),
    queued: gauge({ help: 'q' }),
    latency: histogram({ help: 'l', unit: 'seconds', buckets: [0.5, 1e6] }),
  },
});

test('remote_write: golden bytes of a one-sample WriteRequest', () => {
  const reg = new Registry();
  reg.register(defineStats({ name: 'g', help: '', stats: { n: counter({ help: 'h', labels: { cpu: String } }) } })).n.with({ cpu: '0' }).inc(5);
  const [req, ...rest] = new RemoteWriteEncoder(2000).encode(reg, 2000);
  assert.equal(rest.length, 0);
  assert.ok(req);
  const expected = [
    '0a2d', // WriteRequest.timeseries, 45 bytes
    '0a13' + '0a08' + ascii('__name__') + '1207' + ascii('n_total'), // TimeSeries.labels: Label{name, value}
    '0a08' + '0a03' + ascii('cpu') + '1201' + ascii('0'), // labels sorted by name: __name__ < cpu
    '120c', // TimeSeries.samples: Sample, 12 bytes
    '09' + '0000000000001440', // Sample.value 5.0 (double, little-endian)
    '10' + 'd00f', // Sample.timestamp 2000 ms (varint)
  ].join('');
  assert.equal(hex(req.body), expected);
  assert.equal(req.points, 1);
});

test('remote_write: series as a scrape shows them, labels sorted with __name__, read back by prompb', () => {
  const reg = new Registry();
  const f = reg.register(stats);
  f.dispatched.with({ path: 'local', cpu: '3' }).inc(7);
  f.queued.with().set(-1.5);
  const h = f.latency.with();
  for (const v of [0.1, 0.7, 2e6]) h.observe(v);
  const [req] = new RemoteWriteEncoder(2000).encode(reg, 1_700_000_000_123);
  assert.ok(req);
  const series = decodeWriteRequest(req.body);
  assert.deepEqual(
    series.map((s) => [seriesKey(s), s.samples.map((x) => [x.value, x.timestamp])]),
    [
      ['scx_dispatched_total{cpu="3",path="local"}', [[7, 1_700_000_000_123]]],
      ['scx_queued', [[-1.5, 1_700_000_000_123]]],
      ['scx_latency_seconds_bucket{le="0.5"}', [[1, 1_700_000_000_123]]],
      ['scx_latency_seconds_bucket{le="1e+06"}', [[2, 1_700_000_000_123]]],
      ['scx_latency_seconds_bucket{le="+Inf"}', [[3, 1_700_000_000_123]]],
      ['scx_latency_seconds_sum', [[0.1 + 0.7 + 2e6, 1_700_000_000_123]]],
      ['scx_latency_seconds_count', [[3, 1_700_000_000_123]]],
    ],
  );
  for (const s of series) {
    const names = s.labels.map((l) => l.name);
    assert.deepEqual(names, [...names].sort(), `labels sorted in ${seriesKey(s)}`);
  }
  assert.equal(req.points, 7);
});

test('remote_write: a series that leaves gets the staleness marker NaN 0x7ff0000000000002, once', () => {
  const reg = new Registry();
  const f = reg.register(stats);
  f.dispatched.with({ path: 'local', cpu: '0' }).inc(1);
  f.dispatched.with({ path: 'global', cpu: '1' }).inc(2);
  const enc = new RemoteWriteEncoder(2000);
  enc.encode(reg, 1000);
  f.dispatched.remove(['global', '1']);
  const [req] = enc.encode(reg, 2000);
  assert.ok(req);
  const series = decodeWriteRequest(req.body);
  assert.deepEqual(series.map(seriesKey), ['scx_dispatched_total{cpu="0",path="local"}', 'scx_dispatched_total{cpu="1",path="global"}']);
  const stale = series[1]?.samples[0];
  assert.ok(stale !== undefined && Number.isNaN(stale.value) && stale.timestamp === 2000);
  // The exact NaN payload: find the stale sample's value bytes after its labels.
  assert.ok(hex(req.body).endsWith('09' + '02000000' + '0000f07f' + '10' + 'd00f'), 'value bytes 0x7ff0000000000002, little-endian');
  // Next flush: the series is gone and not marked again.
  const [next] = enc.encode(reg, 3000);
  assert.deepEqual(decodeWriteRequest(next?.body ?? new Uint8Array()).map(seriesKey), ['scx_dispatched_total{cpu="0",path="local"}']);
});

test('remote_write: a series that takes the id of a removed one gets its own labels; the removed one is marked stale', () => {
  const reg = new Registry();
  const f = reg.register(stats);
  const old = f.dispatched.with({ path: 'global', cpu: '1' });
  old.inc(50);
  const enc = new RemoteWriteEncoder(2000);
  enc.encode(reg, 1000);
  f.dispatched.remove(['global', '1']);
  const h = f.latency.with(); // a histogram now: three time series on the id the counter had
  h.observe(0.25);
  assert.equal(h.id, old.id, 'the new series took the removed one\'s id');
  const [req] = enc.encode(reg, 2000);
  const series = decodeWriteRequest(req?.body ?? new Uint8Array());
  assert.deepEqual(
    series.map((x) => [seriesKey(x), x.samples.map((v) => [Number.isNaN(v.value) ? 'stale' : v.value, v.timestamp])]),
    [
      ['scx_latency_seconds_bucket{le="0.5"}', [[1, 2000]]],
      ['scx_latency_seconds_bucket{le="1e+06"}', [[1, 2000]]],
      ['scx_latency_seconds_bucket{le="+Inf"}', [[1, 2000]]],
      ['scx_latency_seconds_sum', [[0.25, 2000]]],
      ['scx_latency_seconds_count', [[1, 2000]]],
      ['scx_dispatched_total{cpu="1",path="global"}', [['stale', 2000]]],
    ],
  );
  const [next] = enc.encode(reg, 3000);
  assert.equal(decodeWriteRequest(next?.body ?? new Uint8Array()).length, 5, 'marked stale once');
});

test('remote_write: requests hold at most max-samples samples', () => {
  const reg = new Registry();
  const f = reg.register(stats);
  for (let i = 0; i < 10; i++) f.dispatched.with({ path: 'local', cpu: String(i) }).inc(i);
  const reqs = new RemoteWriteEncoder(3).encode(reg, 1000);
  assert.deepEqual(reqs.map((r) => r.points), [3, 3, 3, 1]);
  const all = reqs.flatMap((r) => decodeWriteRequest(r.body));
  assert.deepEqual(all.map((s) => s.samples[0]?.value), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('remote_write: snappy block format round-trips a large body', () => {
  const reg = new Registry({ cardinalityLimit: 0 }); // more series than the default limit
  const f = reg.register(stats);
  for (let i = 0; i < 5000; i++) f.dispatched.with({ path: i % 2 === 0 ? 'local' : 'global', cpu: String(i) }).inc(i);
  const [req] = new RemoteWriteEncoder(100_000).encode(reg, Date.now());
  assert.ok(req && req.body.length > 200_000);
  const packed = snappyCompress(req.body);
  assert.ok(packed.length < req.body.length / 3, `compressed to ${packed.length} of ${req.body.length}`);
  assert.equal(hex(snappyUncompress(packed)), hex(req.body));
  // Block format starts with the uncompressed length as a varint, no stream identifier chunk.
  assert.notEqual(packed[0], 0xff);
});

test('le values are formatted as Go clients format them', () => {
  const cases: [number, string][] = [
    [0.5, '0.5'],
    [1, '1'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [123456.5, '123456.5'],
    [1e6, '1e+06'],
    [2 ** 20, '1.048576e+06'],
    [2 ** 63, '9.223372036854776e+18'],
    [1e21, '1e+21'],
    [Infinity, '+Inf'],
  ];
  for (const [x, s] of cases) assert.equal(formatGoFloat(x), s, String(x));
  assert.equal(log2Buckets(3).bounds.map(formatGoFloat).join(','), '1,2,4,8');
});
