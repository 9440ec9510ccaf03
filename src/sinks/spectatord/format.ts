/**
 * The spectatord line protocol (Netflix-Skunkworks/spectatord, server/spectatord.cc):
 * `<type>[,<option>]:<name>[,<key>=<value>...]:<value>`, several lines per datagram separated by `\n`.
 *
 * What each kind becomes:
 * - counter: `C` (monotonic counter) with the cumulative value. The daemon takes the delta between two
 *   samples and ignores negative ones, so the agent keeps no per-series state and a restarted agent does not
 *   double count. (`U` would say the same for uint64 values; our values are doubles, seconds included.)
 * - gauge: `g` with the value (the daemon's default 15-minute TTL). Non-finite values are not sent.
 * - histogram, `buckets` mode (default): monotonic counters `C:<name>_count`, `C:<name>_sum` and
 *   `C:<name>_bucket,le=<bound>` with the cumulative count per finite bound. Exact, one line per bucket
 *   whatever the traffic.
 * - histogram, `distribution` mode: the per-interval bucket deltas as samples of a percentile distribution
 *   summary `D` (or a percentile timer `T` when the unit is seconds; `T` takes seconds), one line per
 *   observation at the bucket's midpoint (the first bucket's half bound, the last finite bound for +Inf).
 *   The daemon only takes samples, so this is the only way to feed its percentiles; it is approximate by
 *   construction (values are bucket midpoints; `D` values are truncated to integers by the daemon), and at
 *   most `maxSamples` lines per series per interval are sent, spread over the buckets in proportion; the rest
 *   are counted as dropped.
 *
 * Names and tags keep `-._A-Za-z0-9~^` (the daemon's own valid set); every other character becomes `_`, which
 * also keeps `,`, `=`, `:` and newlines out of the line. As the spectator clients do, a series whose name is not
 * 2..255 characters is not sent, and a tag whose key is not 2..60 or whose value is not 1..120 characters is
 * left out (so an empty label value, which Prometheus treats as no label, is left out too).
 */
import { PerSeries } from '../../registry/per-series.js';
import type { Registry } from '../../registry/registry.js';
import type { CounterSeries, GaugeSeries, HistogramSeries, Series } from '../../registry/series.js';
import type { HistogramDeltas } from '../push/deltas.js';

export type SpectatordHistograms = 'buckets' | 'distribution';
export const SPECTATORD_HISTOGRAM_MODES: readonly SpectatordHistograms[] = ['buckets', 'distribution'];

const BAD = /[^-._A-Za-z0-9~^]/g;

/** Receives each line; `problem` receives a once-per-cause description of something not sent as declared. */
export interface SpectatordOut {
  line(text: string): void;
  problem(key: string, message: string): void;
  /** Samples left out by the per-series cap in distribution mode. */
  capped(samples: number): void;
}

interface HistogramIds {
  readonly count: string;
  readonly sum: string;
  readonly buckets: readonly string[];
  /** Distribution mode: `D:<id>:` or `T:<id>:`. */
  readonly sampleHead: string;
  /** Distribution mode: the value sent for each bucket, already formatted. */
  readonly reps: readonly string[];
}

export interface SpectatordEncoderOptions {
  readonly histograms?: SpectatordHistograms;
  /** Distribution mode: most sample lines per series per interval. Default 1000. */
  readonly maxSamples?: number;
}

export class SpectatordEncoder {
  readonly histograms: SpectatordHistograms;
  readonly maxSamples: number;
  /** Meter ids (name and tags) per series; `null` for a series that cannot be sent. */
  private readonly ids = new PerSeries<string | HistogramIds | null>();

  constructor(opts: SpectatordEncoderOptions = {}) {
    this.histograms = opts.histograms ?? 'buckets';
    this.maxSamples = opts.maxSamples ?? 1000;
  }

  /** The meter id `name,k=v,...` for a series, or null (reported through `out.problem`) when it cannot be sent. */
  meterId(name: string, labelNames: readonly string[], labelValues: readonly string[], out: SpectatordOut, extra?: readonly [string, string]): string | null {
    const n = name.replace(BAD, '_');
    if (n.length < 2 || n.length > 255) {
      out.problem(`name:${name}`, `metric name "${name}" is not 2..255 characters; spectatord would reject it, not sent`);
      return null;
    }
    let id = n;
    const add = (k: string, v: string): void => {
      if (k.length < 2 || k.length > 60 || v.length < 1 || v.length > 120) {
        if (v !== '') out.problem(`tag:${name}:${k}`, `${name}: tag ${k}="${v}" is outside the key 2..60 / value 1..120 characters spectatord accepts; left out`);
        return;
      }
      id += `,${k.replace(BAD, '_')}=${v.replace(BAD, '_')}`;
    };
    for (let i = 0; i < labelNames.length; i++) add(labelNames[i] as string, labelValues[i] as string);
    if (extra !== undefined) add(extra[0], extra[1]);
    return id;
  }

  /** Encodes every series. `deltas` is needed in distribution mode only. */
  encode(registry: Registry, deltas: HistogramDeltas | undefined, out: SpectatordOut): void {
    this.ids.sync(registry);
    for (const fam of registry.families()) {
      const { kind, name, unit } = fam.decl;
      const labelNames = fam.labelNames;
      // Family<StatDecl>.series is typed by the declaration kind; the kind is checked right here.
      const series = fam.series as readonly Series[];
      if (kind === 'counter' || kind === 'gauge') {
        const type = kind === 'counter' ? 'C:' : 'g:';
        for (const s of series as (CounterSeries | GaugeSeries)[]) {
          let id = this.ids.get(s);
          if (id === undefined) id = this.ids.set(s, this.meterId(name, labelNames, s.labelValues, out));
          if (id === null || !Number.isFinite(s.value)) continue;
          out.line(type + (id as string) + ':' + String(s.value));
        }
      } else {
        for (const s of series as HistogramSeries[]) {
          let ids = this.ids.get(s);
          if (ids === undefined) ids = this.ids.set(s, this.histogramIds(name, unit === 'seconds', labelNames, s, out));
          if (ids === null) continue;
          if (this.histograms === 'buckets') this.buckets(ids as HistogramIds, s, out);
          else if (deltas !== undefined) this.samples(ids as HistogramIds, s, deltas, out);
        }
      }
    }
    deltas?.endFlush();
  }

  private histogramIds(name: string, seconds: boolean, labelNames: readonly string[], s: HistogramSeries, out: SpectatordOut): HistogramIds | null {
    const base = this.meterId(name, labelNames, s.labelValues, out);
    if (base === null) return null;
    const bounds = s.bounds;
    return {
      count: `C:${this.meterId(`${name}_count`, labelNames, s.labelValues, out) ?? base}:`,
      sum: `C:${this.meterId(`${name}_sum`, labelNames, s.labelValues, out) ?? base}:`,
      buckets: bounds.map((b) => `C:${this.meterId(`${name}_bucket`, labelNames, s.labelValues, out, ['le', String(b)]) ?? base}:`),
      sampleHead: `${seconds ? 'T' : 'D'}:${base}:`,
      reps: representatives(bounds).map((v) => String(seconds ? v : Math.round(v))),
    };
  }

  private buckets(ids: HistogramIds, s: HistogramSeries, out: SpectatordOut): void {
    out.line(ids.count + String(s.count));
    out.line(ids.sum + String(s.sum));
    let cumulative = 0;
    for (let i = 0; i < ids.buckets.length; i++) {
      cumulative += s.counts[i] as number;
      out.line((ids.buckets[i] as string) + String(cumulative));
    }
  }

  private samples(ids: HistogramIds, s: HistogramSeries, deltas: HistogramDeltas, out: SpectatordOut): void {
    const d = deltas.delta(s);
    const total = d.count;
    if (!(total > 0)) return;
    // Over the cap each bucket keeps the floor of its share of maxSamples, so the shape survives; what is left
    // out (rounding included) is reported as dropped.
    const scale = total > this.maxSamples ? this.maxSamples / total : 1;
    let budget = Math.min(total, this.maxSamples);
    let sent = 0;
    for (let i = 0; i < d.counts.length && budget > 0; i++) {
      const n = Math.min(budget, Math.floor((d.counts[i] as number) * scale));
      const line = ids.sampleHead + (ids.reps[i] as string);
      for (let k = 0; k < n; k++) out.line(line);
      budget -= n;
      sent += n;
    }
    if (sent < total) out.capped(total - sent);
  }
}

/** A value standing for each bucket: the midpoint of (previous bound, bound]; half the first bound; the last bound for +Inf. */
export function representatives(bounds: readonly number[]): number[] {
  const reps: number[] = [];
  for (let i = 0; i < bounds.length; i++) {
    const hi = bounds[i] as number;
    if (i === 0) reps.push(hi > 0 ? hi / 2 : hi);
    else reps.push(((bounds[i - 1] as number) + hi) / 2);
  }
  reps.push(bounds[bounds.length - 1] as number);
  return reps;
}
