/**
 * OTLP `ExportMetricsServiceRequest` in protobuf (opentelemetry-proto metrics.proto, metrics_service.proto),
 * written straight from the registry: one ResourceMetrics, one ScopeMetrics, one Metric per family with
 * series. Counters are monotonic Sums, gauges Gauges, histograms explicit-bucket Histograms.
 *
 * What never changes is encoded once and copied: the resource and scope, each family's name/description/
 * unit and bucket bounds, each series' attributes. A flush then writes only times and values. Fields go in
 * field-number order and proto3 defaults are left out (except oneof members and `optional` fields, which
 * have presence), as protoc-generated encoders do.
 */
import { PerSeries, type CounterSeries, type Family, type GaugeSeries, type HistogramSeries, type Registry, type Series } from '../../registry/index.js';
import { ProtoWriter, WIRE_I64, WIRE_LEN, WIRE_VARINT, encodeOnce, tag } from '../protobuf/writer.js';
import { type OtlpRequestShape, TEMPORALITY_CUMULATIVE, TEMPORALITY_DELTA, ucum } from './model.js';
import type { PointValues } from './points.js';

/** One encoded request and how many data points it carries (what a drop loses). */
export interface EncodedRequest {
  readonly body: Uint8Array;
  readonly points: number;
}

// Field keys written as single bytes in the point loops.
const K_DP = tag(1, WIRE_LEN); // Gauge/Sum/Histogram.data_points
const K_START = tag(2, WIRE_I64); // *DataPoint.start_time_unix_nano
const K_TIME = tag(3, WIRE_I64); // *DataPoint.time_unix_nano
const K_AS_DOUBLE = tag(4, WIRE_I64); // NumberDataPoint.as_double
const K_COUNT = tag(4, WIRE_I64); // HistogramDataPoint.count
const K_SUM = tag(5, WIRE_I64); // HistogramDataPoint.sum
const K_BUCKETS = tag(6, WIRE_LEN); // HistogramDataPoint.bucket_counts (packed fixed64)
const NUMBER_ATTRS = 7; // NumberDataPoint.attributes
const HISTOGRAM_ATTRS = 9; // HistogramDataPoint.attributes

/** KeyValue{key, value: AnyValue{string_value}} as field `field` of the enclosing message. */
function writeStringAttribute(w: ProtoWriter, field: number, key: string, value: string): void {
  w.key(field, WIRE_LEN);
  const kv = w.begin();
  w.stringField(1, key);
  w.key(2, WIRE_LEN);
  const any = w.begin();
  // string_value is a oneof member: written even when empty.
  w.stringField(1, value);
  w.end(any);
  w.end(kv);
}

export class OtlpProtobufEncoder {
  private readonly w = new ProtoWriter(256 * 1024);
  private readonly shape: OtlpRequestShape;
  private readonly points: PointValues;
  /** ResourceMetrics.resource (field 1) with its key. */
  private readonly resourceField: Uint8Array;
  /** ScopeMetrics.scope (field 1) with its key. */
  private readonly scopeField: Uint8Array;
  private readonly metricHeads = new WeakMap<Family, Uint8Array>();
  private readonly boundsFields = new WeakMap<Family, Uint8Array>();
  /** Each series' attributes, keys included. */
  private readonly attrs = new PerSeries<Uint8Array>();
  private readonly temporalityValue: number;

  constructor(shape: OtlpRequestShape, points: PointValues) {
    this.shape = shape;
    this.points = points;
    this.temporalityValue = shape.temporality === 'delta' ? TEMPORALITY_DELTA : TEMPORALITY_CUMULATIVE;
    this.resourceField = encodeOnce((w) => {
      w.key(1, WIRE_LEN);
      const r = w.begin();
      for (const [k, v] of shape.resource) writeStringAttribute(w, 1, k, v);
      w.end(r);
    });
    this.scopeField = encodeOnce((w) => {
      w.key(1, WIRE_LEN);
      const s = w.begin();
      w.stringField(1, shape.scopeName);
      if (shape.scopeVersion !== '') w.stringField(2, shape.scopeVersion);
      w.end(s);
    });
  }

  /** Encodes every family with series at snapshot time `timeMs`. Advances delta state. */
  encode(registry: Registry, timeMs: number): EncodedRequest {
    const points = this.points;
    points.begin(registry, timeMs);
    // When series came or went, removed ones' attributes are let go.
    this.attrs.sync(registry);
    const w = this.w;
    w.reset();
    let count = 0;
    w.key(1, WIRE_LEN);
    const rm = w.begin();
    w.raw(this.resourceField);
    w.key(2, WIRE_LEN);
    const sm = w.begin();
    w.raw(this.scopeField);
    for (const fam of registry.families()) {
      // Family<StatDecl> types its series by the widest kind; the decl's kind says which they are.
      const series = fam.series as readonly Series[];
      if (series.length === 0) continue;
      w.key(2, WIRE_LEN);
      const m = w.begin();
      w.raw(this.metricHead(fam));
      const kind = fam.decl.kind;
      w.key(kind === 'gauge' ? 5 : kind === 'counter' ? 7 : 9, WIRE_LEN);
      const data = w.begin();
      if (kind === 'histogram') {
        const bounds = this.boundsField(fam);
        for (const s of series) {
          const a = this.attributes(fam, s, HISTOGRAM_ATTRS);
          const h = points.histogram(s as HistogramSeries);
          w.varint(K_DP);
          const dp = w.begin();
          this.times(true);
          if (h.count !== 0) {
            w.varint(K_COUNT);
            w.fixed64(h.count);
          }
          w.doubleField(K_SUM, h.sum);
          const n = h.counts.length;
          w.varint(K_BUCKETS);
          w.varint(n * 8);
          for (let i = 0; i < n; i++) w.fixed64(h.counts[i] as number);
          w.raw(bounds);
          w.raw(a);
          w.end(dp);
        }
      } else {
        const isCounter = kind === 'counter';
        for (const s of series) {
          const a = this.attributes(fam, s, NUMBER_ATTRS);
          const v = isCounter ? points.counter(s as CounterSeries) : (s as GaugeSeries).value;
          w.varint(K_DP);
          w.varint((isCounter ? 27 : 18) + a.length);
          this.times(isCounter);
          w.doubleField(K_AS_DOUBLE, v);
          w.raw(a);
        }
      }
      count += series.length;
      if (kind !== 'gauge') {
        w.key(2, WIRE_VARINT);
        w.varint(this.temporalityValue);
        if (kind === 'counter') {
          w.key(3, WIRE_VARINT);
          w.varint(1);
        }
      }
      w.end(data);
      w.end(m);
    }
    w.end(sm);
    w.end(rm);
    points.end();
    return { body: w.finish(), points: count };
  }

  /** start (when `withStart`) and time fields of a data point. */
  private times(withStart: boolean): void {
    const w = this.w;
    if (withStart) {
      const st = this.points.start;
      w.fixed64Field(K_START, st.lo, st.hi);
    }
    const now = this.points.now;
    w.fixed64Field(K_TIME, now.lo, now.hi);
  }

  private attributes(fam: Family, s: Series, field: number): Uint8Array {
    const cached = this.attrs.get(s);
    if (cached !== undefined) return cached;
    const names = fam.labelNames;
    const values = s.labelValues;
    return this.attrs.set(
      s,
      encodeOnce((w) => {
        for (let i = 0; i < names.length; i++) writeStringAttribute(w, field, names[i] as string, values[i] as string);
      }),
    );
  }

  /** Metric.name, description and unit. */
  private metricHead(fam: Family): Uint8Array {
    let head = this.metricHeads.get(fam);
    if (head === undefined) {
      const d = fam.decl;
      head = encodeOnce((w) => {
        w.stringField(1, d.name);
        if (d.help !== '') w.stringField(2, d.help);
        const unit = ucum(d.unit);
        if (unit !== '') w.stringField(3, unit);
      });
      this.metricHeads.set(fam, head);
    }
    return head;
  }

  /** HistogramDataPoint.explicit_bounds (field 7, packed doubles) of a histogram family. */
  private boundsField(fam: Family): Uint8Array {
    let b = this.boundsFields.get(fam);
    if (b === undefined) {
      const bounds = fam.decl.kind === 'histogram' ? fam.decl.buckets : [];
      b = encodeOnce((w) => {
        w.key(7, WIRE_LEN);
        w.varint(bounds.length * 8);
        for (const x of bounds) w.double(x);
      });
      this.boundsFields.set(fam, b);
    }
    return b;
  }
}
