/**
 * OTLP `ExportMetricsServiceRequest` in the OTLP/HTTP JSON encoding: the proto3 JSON mapping with OTLP's
 * rules — lowerCamelCase keys, enums as integers, 64-bit integers (times, counts) as decimal strings, and
 * non-finite doubles as "NaN"/"Infinity"/"-Infinity". Same content and same omissions as the protobuf
 * encoder, so one request decodes to the same message from either body.
 */
import { PerSeries, type CounterSeries, type GaugeSeries, type HistogramSeries, type Registry, type Series } from '../../registry/index.js';
import { type OtlpRequestShape, TEMPORALITY_CUMULATIVE, TEMPORALITY_DELTA, ucum } from './model.js';
import type { PointValues } from './points.js';
import type { EncodedRequest } from './encode-protobuf.js';

interface JsonKeyValue {
  readonly key: string;
  readonly value: { readonly stringValue: string };
}

type JsonDouble = number | 'NaN' | 'Infinity' | '-Infinity';

/** A double as proto3 JSON writes it. */
function jsonDouble(v: number): JsonDouble {
  if (Number.isFinite(v)) return v;
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

/** A non-negative integer count as an int64/fixed64 JSON string. */
function int64(n: number): string {
  return Number.isSafeInteger(n) ? String(n) : BigInt(Math.round(n)).toString();
}

function attributesOf(names: readonly string[], values: readonly string[]): JsonKeyValue[] {
  return names.map((key, i) => ({ key, value: { stringValue: values[i] as string } }));
}

export class OtlpJsonEncoder {
  private readonly shape: OtlpRequestShape;
  private readonly points: PointValues;
  private readonly resource: { attributes: JsonKeyValue[] };
  private readonly temporalityValue: number;
  private readonly attrs = new PerSeries<JsonKeyValue[]>();

  constructor(shape: OtlpRequestShape, points: PointValues) {
    this.shape = shape;
    this.points = points;
    this.temporalityValue = shape.temporality === 'delta' ? TEMPORALITY_DELTA : TEMPORALITY_CUMULATIVE;
    this.resource = { attributes: shape.resource.map(([key, v]) => ({ key, value: { stringValue: v } })) };
  }

  /** Encodes every family with series at snapshot time `timeMs` as UTF-8 JSON. Advances delta state. */
  encode(registry: Registry, timeMs: number): EncodedRequest {
    const points = this.points;
    points.begin(registry, timeMs);
    this.attrs.sync(registry);
    const metrics: object[] = [];
    let count = 0;
    for (const fam of registry.families()) {
      const series = fam.series as readonly Series[];
      if (series.length === 0) continue;
      const d = fam.decl;
      const metric: Record<string, unknown> = { name: d.name };
      if (d.help !== '') metric.description = d.help;
      const unit = ucum(d.unit);
      if (unit !== '') metric.unit = unit;
      const dataPoints: object[] = [];
      for (const s of series) {
        const attributes = this.attrs.get(s) ?? this.attrs.set(s, attributesOf(fam.labelNames, s.labelValues));
        const dp: Record<string, unknown> = {};
        if (d.kind === 'gauge') {
          dp.timeUnixNano = points.now.text;
          dp.asDouble = jsonDouble((s as GaugeSeries).value);
        } else if (d.kind === 'counter') {
          const v = points.counter(s as CounterSeries);
          dp.startTimeUnixNano = points.start.text;
          dp.timeUnixNano = points.now.text;
          dp.asDouble = jsonDouble(v);
        } else {
          const h = points.histogram(s as HistogramSeries);
          dp.startTimeUnixNano = points.start.text;
          dp.timeUnixNano = points.now.text;
          if (h.count !== 0) dp.count = int64(h.count);
          dp.sum = jsonDouble(h.sum);
          dp.bucketCounts = Array.from(h.counts, int64);
          dp.explicitBounds = d.buckets;
        }
        if (attributes.length > 0) dp.attributes = attributes;
        dataPoints.push(dp);
      }
      count += series.length;
      if (d.kind === 'gauge') metric.gauge = { dataPoints };
      else if (d.kind === 'counter') metric.sum = { dataPoints, aggregationTemporality: this.temporalityValue, isMonotonic: true };
      else metric.histogram = { dataPoints, aggregationTemporality: this.temporalityValue };
      metrics.push(metric);
    }
    points.end();
    const scope: Record<string, string> = { name: this.shape.scopeName };
    if (this.shape.scopeVersion !== '') scope.version = this.shape.scopeVersion;
    const request = { resourceMetrics: [{ resource: this.resource, scopeMetrics: [{ scope, metrics }] }] };
    return { body: Buffer.from(JSON.stringify(request), 'utf8'), points: count };
  }
}
