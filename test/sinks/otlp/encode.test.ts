import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { counter, defineStats, gauge, histogram } from '../../../src/declare/index.js';
import { Registry } from '../../../src/registry/index.js';
import { OtlpProtobufEncoder } from '../../../src/sinks/otlp/encode-protobuf.js';
import { OtlpJsonEncoder } from '../../../src/sinks/otlp/encode-json.js';
import { PointValues } from '../../../src/sinks/otlp/points.js';
import type { OtlpRequestShape, Temporality } from '../../../src/sinks/otlp/model.js';
import { ExportMetricsServiceRequest as Req, toJsonView } from '../../helpers/otlp-proto.js';

const stats = defineStats({
  name: 't',
  help: 't',
  prefix: 'scx',
  stats: {
    dispatched: counter({ help: 'Tasks dispatched', labels: { cpu: String, path: ['local', 'global'] } }),
    queued: gauge({ help: 'Tasks queued', unit: 'bytes' }),
    latency: histogram({ help: 'Wake-up latency', unit: 'seconds', buckets: [0.001, 0.01, 0.1] }),
    unused: counter({ help: 'never touched' }),
  },
});

function shape(temporality: Temporality = 'cumulative'): OtlpRequestShape {
  return { resource: [['service.name', 'scx-metrics'], ['host.name', 'box']], scopeName: 'scx-metrics', scopeVersion: '9.9.9', temporality };
}

function encoders(temporality: Temporality = 'cumulative'): { pb: OtlpProtobufEncoder; json: OtlpJsonEncoder } {
  return {
    pb: new OtlpProtobufEncoder(shape(temporality), new PointValues(temporality)),
    json: new OtlpJsonEncoder(shape(temporality), new PointValues(temporality)),
  };
}

/** A registry whose series were all created at `createdMs`. */
function filled(t: TestContext, createdMs: number) {
  t.mock.timers.enable({ apis: ['Date'], now: createdMs });
  const reg = new Registry();
  const fams = reg.register(stats);
  fams.dispatched.with({ cpu: '0', path: 'local' }).inc(7);
  fams.dispatched.with({ cpu: '1', path: 'global' }).inc(0);
  fams.queued.with().set(-2.5);
  const h = fams.latency.with();
  for (const v of [0.0005, 0.005, 0.005, 0.5]) h.observe(v);
  t.mock.timers.reset();
  return { reg, fams };
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('otlp protobuf: golden bytes of a one-counter request', (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 1000 });
  const reg = new Registry();
  reg.register(defineStats({ name: 'g', help: '', stats: { n: counter({ help: 'h' }) } })).n.with().inc(5);
  t.mock.timers.reset();
  const enc = new OtlpProtobufEncoder({ resource: [['service.name', 's']], scopeName: 'sc', scopeVersion: '1', temporality: 'cumulative' }, new PointValues('cumulative'));
  const { body, points } = enc.encode(reg, 2000);
  const expected = [
    '0a4d', // ExportMetricsServiceRequest.resource_metrics, 77 bytes
    '0a15', // ResourceMetrics.resource, 21 bytes
    '0a13', // Resource.attributes: KeyValue, 19 bytes
    '0a0c' + Buffer.from('service.name').toString('hex'), // KeyValue.key
    '1203' + '0a0173', // KeyValue.value: AnyValue{string_value: "s"}
    '1234', // ResourceMetrics.scope_metrics, 52 bytes
    '0a07' + '0a027363' + '120131', // ScopeMetrics.scope: {name: "sc", version: "1"}
    '1229', // ScopeMetrics.metrics: Metric, 41 bytes
    '0a016e', // Metric.name "n"
    '120168', // Metric.description "h" (no unit: empty strings are left out)
    '3a21', // Metric.sum, 33 bytes
    '0a1b', // Sum.data_points: NumberDataPoint, 27 bytes
    '11' + '00ca9a3b00000000', // start_time_unix_nano 1e9 (series created at 1000 ms), fixed64 LE
    '19' + '0094357700000000', // time_unix_nano 2e9
    '21' + '0000000000001440', // as_double 5.0
    '1002', // Sum.aggregation_temporality CUMULATIVE = 2
    '1801', // Sum.is_monotonic true
  ].join('');
  assert.equal(hex(body), expected);
  assert.equal(points, 1);
  // And the official definitions read it back as that.
  const view = toJsonView(Req, Req.decode(body));
  assert.deepEqual(view, {
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 's' } }] },
        scopeMetrics: [
          {
            scope: { name: 'sc', version: '1' },
            metrics: [
              {
                name: 'n',
                description: 'h',
                sum: {
                  dataPoints: [{ startTimeUnixNano: '1000000000', timeUnixNano: '2000000000', asDouble: 5 }],
                  aggregationTemporality: 2,
                  isMonotonic: true,
                },
              },
            ],
          },
        ],
      },
    ],
  });
});

test('otlp protobuf: counters, gauges and histograms decode with the official definitions', (t) => {
  const { reg } = filled(t, 1_700_000_000_123);
  const { body, points } = encoders().pb.encode(reg, 1_700_000_005_000);
  assert.equal(points, 4); // 2 dispatched + queued + latency; `unused` has no series and is left out
  const view = toJsonView(Req, Req.decode(body)) as { resourceMetrics: { resource: unknown; scopeMetrics: { scope: unknown; metrics: Record<string, unknown>[] }[] }[] };
  const rm = view.resourceMetrics[0];
  assert.ok(rm);
  assert.deepEqual(rm.resource, {
    attributes: [
      { key: 'service.name', value: { stringValue: 'scx-metrics' } },
      { key: 'host.name', value: { stringValue: 'box' } },
    ],
  });
  const sm = rm.scopeMetrics[0];
  assert.ok(sm);
  assert.deepEqual(sm.scope, { name: 'scx-metrics', version: '9.9.9' });
  const byName = new Map(sm.metrics.map((m) => [m.name, m]));
  assert.deepEqual([...byName.keys()], ['scx_dispatched', 'scx_queued_bytes', 'scx_latency_seconds']); // no empty families
  const attrs = (cpu: string, path: string): unknown[] => [
    { key: 'cpu', value: { stringValue: cpu } },
    { key: 'path', value: { stringValue: path } },
  ];
  assert.deepEqual(byName.get('scx_dispatched'), {
    name: 'scx_dispatched',
    description: 'Tasks dispatched',
    sum: {
      dataPoints: [
        { attributes: attrs('0', 'local'), startTimeUnixNano: '1700000000123000000', timeUnixNano: '1700000005000000000', asDouble: 7 },
        { attributes: attrs('1', 'global'), startTimeUnixNano: '1700000000123000000', timeUnixNano: '1700000005000000000', asDouble: 0 },
      ],
      aggregationTemporality: 2,
      isMonotonic: true,
    },
  });
  assert.deepEqual(byName.get('scx_queued_bytes'), {
    name: 'scx_queued_bytes',
    description: 'Tasks queued',
    unit: 'By',
    gauge: { dataPoints: [{ timeUnixNano: '1700000005000000000', asDouble: -2.5 }] },
  });
  assert.deepEqual(byName.get('scx_latency_seconds'), {
    name: 'scx_latency_seconds',
    description: 'Wake-up latency',
    unit: 's',
    histogram: {
      dataPoints: [
        {
          startTimeUnixNano: '1700000000123000000',
          timeUnixNano: '1700000005000000000',
          count: '4',
          sum: 0.5105,
          bucketCounts: ['1', '2', '0', '1'],
          explicitBounds: [0.001, 0.01, 0.1],
        },
      ],
      aggregationTemporality: 2,
    },
  });
});

test('otlp json: same message as the protobuf body, in the OTLP JSON mapping, valid for the official definitions', (t) => {
  const { reg } = filled(t, 1_700_000_000_000);
  const e = encoders();
  const pb = e.pb.encode(reg, 1_700_000_010_000);
  const js = e.json.encode(reg, 1_700_000_010_000);
  const doc = JSON.parse(Buffer.from(js.body).toString('utf8')) as Record<string, unknown>;
  // Canonical OTLP JSON of the protobuf body: lowerCamelCase keys, int64 as strings, enums as numbers.
  assert.deepEqual(doc, toJsonView(Req, Req.decode(pb.body)));
  const text = Buffer.from(js.body).toString('utf8');
  assert.match(text, /"timeUnixNano":"1700000010000000000"/);
  assert.match(text, /"aggregationTemporality":2,"isMonotonic":true/);
  assert.doesNotMatch(text, /_unix_nano|is_monotonic|AGGREGATION_TEMPORALITY/);
  // The official definitions accept the JSON and re-encode it to exactly our protobuf bytes.
  const msg = Req.fromObject(doc);
  assert.equal(Req.verify(msg), null);
  assert.equal(hex(Req.encode(msg).finish()), hex(pb.body));
  assert.equal(js.points, pb.points);
});

test('otlp json: non-finite doubles are the proto3 JSON strings', (t) => {
  const { reg, fams } = filled(t, 1_700_000_000_000);
  fams.queued.with().set(Number.NaN);
  const js = new OtlpJsonEncoder(shape(), new PointValues('cumulative')).encode(reg, 1_700_000_001_000);
  assert.match(Buffer.from(js.body).toString('utf8'), /"gauge":\{"dataPoints":\[\{"timeUnixNano":"1700000001000000000","asDouble":"NaN"\}\]\}/);
  const pb = new OtlpProtobufEncoder(shape(), new PointValues('cumulative')).encode(reg, 1_700_000_001_000);
  assert.deepEqual(JSON.parse(Buffer.from(js.body).toString('utf8')), toJsonView(Req, Req.decode(pb.body)));
});

test('otlp delta temporality: changes since the last flush, starting at it; temporality 1 on the wire', (t) => {
  for (const encoding of ['pb', 'json'] as const) {
    const { reg, fams } = filled(t, 1_700_000_000_000);
    const enc = encoders('delta')[encoding];
    const decode = (b: Uint8Array): Record<string, unknown> =>
      encoding === 'pb' ? toJsonView(Req, Req.decode(b)) : (JSON.parse(Buffer.from(b).toString('utf8')) as Record<string, unknown>);
    type M = { name: string; sum?: { dataPoints: { asDouble: number; startTimeUnixNano: string; timeUnixNano: string }[]; aggregationTemporality: number }; histogram?: { dataPoints: { count?: string; bucketCounts: string[]; sum: number; startTimeUnixNano: string }[] } };
    const metrics = (b: Uint8Array): Map<string, M> => {
      const v = decode(b) as { resourceMetrics: { scopeMetrics: { metrics: M[] }[] }[] };
      return new Map((v.resourceMetrics[0]?.scopeMetrics[0]?.metrics ?? []).map((m) => [m.name, m]));
    };
    const first = metrics(enc.encode(reg, 1_700_000_001_000).body);
    const d1 = first.get('scx_dispatched')?.sum;
    assert.equal(d1?.aggregationTemporality, 1);
    assert.equal(d1?.dataPoints[0]?.asDouble, 7, 'first delta: everything since the series was created');
    assert.equal(d1?.dataPoints[0]?.startTimeUnixNano, '1700000000000000000');

    fams.dispatched.with({ cpu: '0', path: 'local' }).inc(3);
    fams.latency.with().observe(0.05);
    const second = metrics(enc.encode(reg, 1_700_000_002_000).body);
    const d2 = second.get('scx_dispatched')?.sum?.dataPoints;
    assert.equal(d2?.[0]?.asDouble, 3);
    assert.equal(d2?.[1]?.asDouble, 0);
    assert.equal(d2?.[0]?.startTimeUnixNano, '1700000001000000000', 'a delta starts at the previous flush');
    const h2 = second.get('scx_latency_seconds')?.histogram?.dataPoints[0];
    assert.deepEqual(h2?.bucketCounts, ['0', '0', '1', '0']);
    assert.equal(h2?.count, '1');
    assert.ok(Math.abs((h2?.sum ?? 0) - 0.05) < 1e-12);
  }
});

test('otlp protobuf: long labels and many series (multi-byte lengths) round-trip through the official decoder', () => {
  const reg = new Registry({ cardinalityLimit: 0 }); // more series than the default limit
  const fams = reg.register(stats);
  const long = 'x'.repeat(300) + 'é✓';
  for (let i = 0; i < 3000; i++) fams.dispatched.with({ cpu: `${i}${i === 7 ? long : ''}`, path: i % 2 === 0 ? 'local' : 'global' }).inc(i);
  const { body, points } = encoders().pb.encode(reg, Date.now());
  assert.ok(body.length > 128 * 1024, 'the outer messages need 3-byte lengths');
  assert.equal(points, 3000);
  const v = toJsonView(Req, Req.decode(body)) as { resourceMetrics: { scopeMetrics: { metrics: { sum: { dataPoints: { asDouble: number; attributes: { value: { stringValue: string } }[] }[] } }[] }[] }[] };
  const dps = v.resourceMetrics[0]?.scopeMetrics[0]?.metrics[0]?.sum.dataPoints ?? [];
  assert.equal(dps.length, 3000);
  assert.equal(dps[2999]?.asDouble, 2999);
  assert.equal(dps[7]?.attributes[0]?.value.stringValue, `7${long}`);
});

test('otlp: a series removed and re-added starts a new count from its new creation time', (t) => {
  const { reg, fams } = filled(t, 1_700_000_000_000);
  const enc = encoders().pb;
  enc.encode(reg, 1_700_000_001_000);
  fams.dispatched.remove(['0', 'local']);
  t.mock.timers.enable({ apis: ['Date'], now: 1_700_000_002_000 });
  fams.dispatched.with({ cpu: '0', path: 'local' }).inc(1);
  t.mock.timers.reset();
  const v = toJsonView(Req, Req.decode(enc.encode(reg, 1_700_000_003_000).body)) as { resourceMetrics: { scopeMetrics: { metrics: { name: string; sum?: { dataPoints: { asDouble: number; startTimeUnixNano: string; attributes: unknown[] }[] } }[] }[] }[] };
  const dps = v.resourceMetrics[0]?.scopeMetrics[0]?.metrics.find((m) => m.name === 'scx_dispatched')?.sum?.dataPoints ?? [];
  assert.equal(dps.length, 2);
  const readded = dps[1];
  assert.equal(readded?.asDouble, 1);
  assert.equal(readded?.startTimeUnixNano, '1700000002000000000');
});

test('otlp: a series that takes the id of a removed one has its own attributes; its first point starts at its creation', (t) => {
  type Dp = { asDouble?: number; count?: string; sum?: number; bucketCounts?: string[]; startTimeUnixNano: string; attributes?: { key: string; value: { stringValue: string } }[] };
  type M = { name: string; sum?: { dataPoints: Dp[] }; histogram?: { dataPoints: Dp[] } };
  for (const temporality of ['cumulative', 'delta'] as const) {
    for (const encoding of ['pb', 'json'] as const) {
      const { reg, fams } = filled(t, 1_700_000_000_000);
      const enc = encoders(temporality)[encoding];
      const metrics = (b: Uint8Array): Map<string, M> => {
        const v = (encoding === 'pb' ? toJsonView(Req, Req.decode(b)) : JSON.parse(Buffer.from(b).toString('utf8'))) as { resourceMetrics: { scopeMetrics: { metrics: M[] }[] }[] };
        return new Map((v.resourceMetrics[0]?.scopeMetrics[0]?.metrics ?? []).map((m) => [m.name, m]));
      };
      enc.encode(reg, 1_700_000_001_000);
      const oldCounter = fams.dispatched.with({ cpu: '0', path: 'local' });
      const oldHist = fams.latency.with();
      oldCounter.inc(100);
      enc.encode(reg, 1_700_000_002_000);
      fams.dispatched.remove(['0', 'local']);
      fams.latency.remove([]);
      t.mock.timers.enable({ apis: ['Date'], now: 1_700_000_002_500 });
      const h = fams.latency.with(); // takes the latency id (the free list is last in, first out)
      const c = fams.dispatched.with({ cpu: '9', path: 'global' }); // takes the counter's
      t.mock.timers.reset();
      assert.deepEqual([c.id, h.id], [oldCounter.id, oldHist.id], `${temporality} ${encoding}: ids reused`);
      c.inc(2);
      h.observe(0.05);
      const m = metrics(enc.encode(reg, 1_700_000_003_000).body);
      const dps = m.get('scx_dispatched')?.sum?.dataPoints ?? [];
      assert.equal(dps.length, 2);
      const fresh = dps[1];
      assert.deepEqual(fresh?.attributes, [{ key: 'cpu', value: { stringValue: '9' } }, { key: 'path', value: { stringValue: 'global' } }], `${temporality} ${encoding}: its own attributes`);
      assert.equal(fresh?.asDouble, 2, `${temporality} ${encoding}: everything since creation, not against the old series' 107`);
      assert.equal(fresh?.startTimeUnixNano, '1700000002500000000', `${temporality} ${encoding}: starts at its creation`);
      const hp = m.get('scx_latency_seconds')?.histogram?.dataPoints[0];
      assert.deepEqual(hp?.bucketCounts, ['0', '0', '1', '0'], `${temporality} ${encoding}`);
      assert.equal(hp?.count, '1');
      assert.equal(hp?.sum, 0.05);
      assert.equal(hp?.startTimeUnixNano, '1700000002500000000');
      // The next delta is measured from this flush.
      c.inc(3);
      const after = metrics(enc.encode(reg, 1_700_000_004_000).body).get('scx_dispatched')?.sum?.dataPoints[1];
      assert.equal(after?.asDouble, temporality === 'delta' ? 3 : 5);
      assert.equal(after?.startTimeUnixNano, temporality === 'delta' ? '1700000003000000000' : '1700000002500000000');
    }
  }
});
