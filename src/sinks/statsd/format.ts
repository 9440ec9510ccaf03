/**
 * The StatsD line format, in its three tag dialects:
 *
 * - `dogstatsd`: `name:value|type|#k:v,k2:v2` (DogStatsD datagram format; Etsy StatsD >= 0.9 also parses it)
 * - `telegraf`:  `name,k=v,k2=v2:value|type` (Influx-style tags in the name, Telegraf's statsd input)
 * - `none`:      `name.k.v.k2.v2:value|type` (plain StatsD; labels become Graphite path segments, key then
 *                value, as Prometheus' Graphite bridge names them)
 *
 * What each kind becomes:
 * - counter: `c` with the delta since this sink's previous flush (StatsD counters are per-flush increments);
 * - gauge: `g` with the value; a negative value is sent as `0` then the value in the same datagram, because a
 *   leading `-` on a gauge means "decrement" in Etsy StatsD and Telegraf;
 * - histogram: three counters with deltas, `<name>_count`, `<name>_sum`, and `<name>_bucket` tagged `le` with
 *   the cumulative count per finite upper bound (+Inf is `_count`). StatsD's own `ms`/`h`/`d` types take
 *   individual samples, and a histogram only knows how many samples fell in each bucket: sending bucket
 *   midpoints would invent values and make the daemon's sums and percentiles wrong. Counters carry the
 *   buckets exactly; backends that do percentiles from `le` buckets (Graphite, Influx, Prometheus via
 *   statsd_exporter) can use them as they are.
 *
 * Names keep `[A-Za-z0-9_.]` (DogStatsD's set), every other character becomes `_`. Tag values keep
 * `[A-Za-z0-9_./-]` (`-` and `/` are allowed by Datadog; `:`, `,`, `|`, `=`, `#`, `@` and spaces would break the
 * line); in the plain dialect `.` and `/` become `_` too, since `.` separates path segments. Labels with an empty
 * value are left out (in Prometheus, an empty label is no label). Non-finite gauge values (NaN, Inf) have no
 * StatsD form and are not sent.
 */
import { PerSeries } from '../../registry/per-series.js';
import type { Registry } from '../../registry/registry.js';
import type { CounterSeries, GaugeSeries, HistogramSeries, Series } from '../../registry/series.js';
import type { CounterDeltas, HistogramDeltas } from '../push/deltas.js';

export type StatsdTags = 'dogstatsd' | 'telegraf' | 'none';
export const STATSD_TAG_DIALECTS: readonly StatsdTags[] = ['dogstatsd', 'telegraf', 'none'];

const NAME_BAD = /[^A-Za-z0-9_.]/g;
const VALUE_BAD = /[^A-Za-z0-9_./-]/g;
const PLAIN_VALUE_BAD = /[^A-Za-z0-9_-]/g;

/** A line is `head + value + '|' + type + tail`. */
interface LineParts {
  readonly head: string;
  readonly tail: string;
}

interface HistogramParts {
  readonly count: LineParts;
  readonly sum: LineParts;
  /** One per finite bound. */
  readonly buckets: readonly LineParts[];
}

/** Receives each unit of lines (a negative gauge is one unit of two lines). */
export type LineOut = (unit: string, lines: number) => void;

export class StatsdEncoder {
  readonly dialect: StatsdTags;
  private readonly prefix: string;
  /** Line parts per series, built on first sight: a series' name and labels never change. */
  private readonly parts = new PerSeries<LineParts | HistogramParts>();

  constructor(dialect: StatsdTags, prefix = '') {
    this.dialect = dialect;
    this.prefix = prefix.replace(NAME_BAD, '_');
  }

  /** The head and tail of a line for `name` with labels (plus one extra label, `le`, for buckets). */
  lineParts(name: string, labelNames: readonly string[], labelValues: readonly string[], extra?: readonly [string, string]): LineParts {
    const metric = (this.prefix + name).replace(NAME_BAD, '_');
    const tags: [string, string][] = [];
    const bad = this.dialect === 'none' ? PLAIN_VALUE_BAD : VALUE_BAD;
    for (let i = 0; i < labelNames.length; i++) {
      const v = labelValues[i] as string;
      if (v !== '') tags.push([(labelNames[i] as string).replace(NAME_BAD, '_'), v.replace(bad, '_')]);
    }
    if (extra !== undefined) tags.push([extra[0], extra[1].replace(bad, '_')]);
    if (this.dialect === 'dogstatsd') {
      return { head: `${metric}:`, tail: tags.length === 0 ? '' : `|#${tags.map(([k, v]) => `${k}:${v}`).join(',')}` };
    }
    if (this.dialect === 'telegraf') {
      return { head: `${metric}${tags.map(([k, v]) => `,${k}=${v}`).join('')}:`, tail: '' };
    }
    return { head: `${metric}${tags.map(([k, v]) => `.${k}.${v}`).join('')}:`, tail: '' };
  }

  /**
   * Encodes every series of the registry, in registration then creation order. Counter and histogram deltas
   * are taken from (and recorded in) the sink's own delta state.
   */
  encode(registry: Registry, counters: CounterDeltas, histograms: HistogramDeltas, out: LineOut): void {
    this.parts.sync(registry);
    for (const fam of registry.families()) {
      const kind = fam.decl.kind;
      const name = fam.decl.name;
      const labelNames = fam.labelNames;
      // Family<StatDecl>.series is typed by the declaration kind; the kind is checked right here.
      const series = fam.series as readonly Series[];
      if (kind === 'counter') {
        for (const s of series as CounterSeries[]) {
          const p = (this.parts.get(s) ?? this.parts.set(s, this.lineParts(name, labelNames, s.labelValues))) as LineParts;
          out(p.head + String(counters.delta(s)) + '|c' + p.tail, 1);
        }
      } else if (kind === 'gauge') {
        for (const s of series as GaugeSeries[]) {
          const v = s.value;
          if (!Number.isFinite(v)) continue;
          const p = (this.parts.get(s) ?? this.parts.set(s, this.lineParts(name, labelNames, s.labelValues))) as LineParts;
          if (v < 0) out(p.head + '0|g' + p.tail + '\n' + p.head + String(v) + '|g' + p.tail, 2);
          else out(p.head + String(v) + '|g' + p.tail, 1);
        }
      } else {
        for (const s of series as HistogramSeries[]) this.histogram(name, labelNames, s, histograms, out);
      }
    }
    counters.endFlush();
    histograms.endFlush();
  }

  private histogram(name: string, labelNames: readonly string[], s: HistogramSeries, deltas: HistogramDeltas, out: LineOut): void {
    const p = (this.parts.get(s) ??
      this.parts.set(s, {
        count: this.lineParts(`${name}_count`, labelNames, s.labelValues),
        sum: this.lineParts(`${name}_sum`, labelNames, s.labelValues),
        buckets: s.bounds.map((b) => this.lineParts(`${name}_bucket`, labelNames, s.labelValues, ['le', String(b)])),
      })) as HistogramParts;
    const d = deltas.delta(s);
    out(p.count.head + String(d.count) + '|c' + p.count.tail, 1);
    out(p.sum.head + String(d.sum) + '|c' + p.sum.tail, 1);
    let cumulative = 0;
    for (let i = 0; i < p.buckets.length; i++) {
      cumulative += d.counts[i] as number;
      const b = p.buckets[i] as LineParts;
      out(b.head + String(cumulative) + '|c' + b.tail, 1);
    }
  }
}
