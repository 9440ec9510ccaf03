/**
 * Encoding 10,000 series as an OTLP ExportMetricsServiceRequest in protobuf: our encoder, straight from the
 * registry, vs @opentelemetry/otlp-transformer's ProtobufMetricsSerializer, from the ResourceMetrics the
 * OTel SDK collected for the same instruments, attributes and values (collection is not timed). Target >= 3x.
 *
 * "steady" is what the agent does every interval (the same series, encoded again); "cold" builds a new
 * encoder each time, so every attribute and name is encoded from scratch.
 */
import { cpus } from 'node:os';
import { MeterProvider, PeriodicExportingMetricReader, InMemoryMetricExporter, AggregationTemporality } from '@opentelemetry/sdk-metrics';
import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { OtlpProtobufEncoder } from '../src/sinks/otlp/encode-protobuf.js';
import { PointValues } from '../src/sinks/otlp/points.js';
import type { OtlpRequestShape } from '../src/sinks/otlp/model.js';
import { ExportMetricsServiceRequest as Req, toJsonView } from '../test/helpers/otlp-proto.js';
import { BUCKETS, benchData, benchRegistry } from './series.js';
import { compare, machineLine, verdict } from './harness.js';

const data = benchData();
const reg = benchRegistry(data);
const shape: OtlpRequestShape = { resource: [['service.name', 'scx-metrics'], ['host.name', 'bench']], scopeName: 'scx-metrics', scopeVersion: '0.1.0', temporality: 'cumulative' };
const steady = new OtlpProtobufEncoder(shape, new PointValues('cumulative'));

// The OTel SDK with the same instruments and measurements; its reader collects ResourceMetrics once.
const reader = new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 3_600_000 });
const provider = new MeterProvider({ readers: [reader] });
const meter = provider.getMeter('scx-metrics', '0.1.0');
type Instrument = { add?(v: number, a: Record<string, string>): void; record?(v: number, a: Record<string, string>): void };
const instruments = new Map<string, Instrument>();
for (const d of data) {
  let inst: Instrument | undefined = instruments.get(d.family);
  if (inst === undefined) {
    inst =
      d.kind === 'counter'
        ? meter.createCounter(d.family)
        : d.kind === 'gauge'
          ? meter.createGauge(d.family)
          : meter.createHistogram(d.family, { advice: { explicitBucketBoundaries: BUCKETS } });
    instruments.set(d.family, inst);
  }
  if (d.kind === 'counter') inst.add?.(d.value, d.labels);
  else if (d.kind === 'gauge') inst.record?.(d.value, d.labels);
  else for (const o of d.observations) inst.record?.(o, d.labels);
}
const { resourceMetrics } = await reader.collect();

// Same data: both bodies decode (official definitions) to the same points per metric and the same totals.
type V = { resourceMetrics: { scopeMetrics: { metrics: { name: string; sum?: { dataPoints: { asDouble: number }[] }; gauge?: { dataPoints: { asDouble: number }[] }; histogram?: { dataPoints: { count: string }[] } }[] }[] }[] };
function digest(body: Uint8Array): string {
  const v = toJsonView(Req, Req.decode(body)) as V;
  const ms = v.resourceMetrics.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
  return ms
    .map((m) => {
      const dps = m.sum?.dataPoints ?? m.gauge?.dataPoints ?? [];
      const total = dps.reduce((a, p) => a + p.asDouble, 0) + (m.histogram?.dataPoints ?? []).reduce((a, p) => a + Number(p.count), 0);
      return `${m.name}:${dps.length + (m.histogram?.dataPoints.length ?? 0)}:${total}`;
    })
    .sort()
    .join(' ');
}
const ours = steady.encode(reg, Date.now()).body;
const theirs = ProtobufMetricsSerializer.serializeRequest(resourceMetrics);
if (theirs === undefined) throw new Error('otlp-transformer produced no body');
if (digest(ours) !== digest(theirs)) throw new Error(`not the same data:\nours   ${digest(ours)}\ntheirs ${digest(theirs)}`);

let sink = 0;
const r = compare(
  {
    oursSteady: () => {
      sink += steady.encode(reg, Date.now()).body.length;
    },
    oursCold: () => {
      sink += new OtlpProtobufEncoder(shape, new PointValues('cumulative')).encode(reg, Date.now()).body.length;
    },
    otlpTransformer: () => {
      sink += ProtobufMetricsSerializer.serializeRequest(resourceMetrics)?.length ?? 0;
    },
  },
  data.length,
  11,
  3,
);

console.log(`OTLP protobuf encode of ${data.length} series (${ours.length} bytes ours, ${theirs.length} bytes theirs), median of 11 (${machineLine()}, ${cpus()[0]?.model ?? 'cpu'})`);
verdict('steady (the agent every interval) vs @opentelemetry/otlp-transformer', r.oursSteady as number, r.otlpTransformer as number, 3, { unit: 'ns/series' });
// The first flush of a series pays for encoding its attributes once; reported for reference, no target.
console.log(`(reference: cold, a new encoder with nothing cached: ${(r.oursCold as number).toFixed(0)} ns/series, ${((r.otlpTransformer as number) / (r.oursCold as number)).toFixed(2)}x the peer)`);
if (sink === 0) throw new Error('nothing encoded');
await provider.shutdown();
