/**
 * The JSON lines record: one object per interval, on one line. Schema version 1 (fields are only ever added,
 * under the same version, never renamed or retyped):
 *
 * ```
 * {"schema":1,"time":"2025-05-01T12:00:02.000Z","interval":2,"final":false,"metrics":[
 *   {"name":"scx_host_context_switches_total","kind":"counter","labels":{},"value":123456,"delta":789},
 *   {"name":"scx_host_runnable_tasks","kind":"gauge","labels":{},"value":3},
 *   {"name":"lat_seconds","kind":"histogram","labels":{"cpu":"0"},"count":5,"sum":55.65,
 *    "bounds":[0.1,1,10],"counts":[2,1,1,1]}]}
 * ```
 *
 * - `time`: when the collection was taken (ISO 8601, UTC, milliseconds); `interval`: seconds since the previous
 *   one (milliseconds precision); `final`: true on the record written at shutdown.
 * - `name`: the exposed name, as `scx-metrics describe` and Prometheus show it (counters end in `_total`).
 * - `labels`: label name to value, in declaration order.
 * - counter `value`: the monotonic total; `delta`: the change since this sink's previous record (0 for every
 *   series in the first record; a series that appears later counts from zero).
 * - gauge `value`: the level; NaN and infinities are written as null (JSON has no such numbers).
 * - histogram: `count` and `sum` of all observations; `bounds`: the finite upper bounds; `counts`: observations
 *   per bucket (not cumulative), one more than `bounds`, the last being the +Inf overflow bucket.
 * - Metrics come in registration order, series in creation order.
 */
import { counterSampleName } from '../../declare/naming.js';
import { PerSeries } from '../../registry/per-series.js';
import type { Registry } from '../../registry/registry.js';
import type { CounterSeries, GaugeSeries, HistogramSeries, Series } from '../../registry/series.js';
import type { CounterDeltas } from '../push/deltas.js';
import type { Snapshot } from '../../plugin/sink.js';

export const JSONL_SCHEMA_VERSION = 1;

function num(v: number): string {
  return Number.isFinite(v) ? String(v) : 'null';
}

export class JsonlEncoder {
  /** `{"name":...,"kind":...,"labels":{...}` per series: a series' identity never changes. */
  private readonly heads = new PerSeries<string>();

  /** One record for the snapshot, without the trailing newline. Returns the text and how many metrics it holds. */
  encode(snapshot: Snapshot, deltas: CounterDeltas): { text: string; metrics: number } {
    const parts: string[] = [];
    this.metrics(snapshot.registry, deltas, parts);
    const head =
      `{"schema":${JSONL_SCHEMA_VERSION},"time":${JSON.stringify(new Date(snapshot.timeMs).toISOString())},` +
      `"interval":${num(Math.round(snapshot.intervalSeconds * 1000) / 1000)},"final":${snapshot.final},"metrics":[`;
    return { text: `${head}${parts.join(',')}]}`, metrics: parts.length };
  }

  private metrics(registry: Registry, deltas: CounterDeltas, parts: string[]): void {
    this.heads.sync(registry);
    for (const fam of registry.families()) {
      const d = fam.decl;
      const name = d.kind === 'counter' ? counterSampleName(d.name) : d.name;
      // Family<StatDecl>.series is typed by the declaration kind; the kind is checked right here.
      const series = fam.series as readonly Series[];
      for (const s of series) {
        let head = this.heads.get(s);
        if (head === undefined) {
          const labels: Record<string, string> = {};
          fam.labelNames.forEach((n, i) => (labels[n] = s.labelValues[i] as string));
          head = this.heads.set(s, `{"name":${JSON.stringify(name)},"kind":"${d.kind}","labels":${JSON.stringify(labels)}`);
        }
        if (d.kind === 'counter') {
          const c = s as CounterSeries;
          parts.push(`${head},"value":${num(c.value)},"delta":${num(deltas.delta(c))}}`);
        } else if (d.kind === 'gauge') {
          parts.push(`${head},"value":${num((s as GaugeSeries).value)}}`);
        } else {
          const h = s as HistogramSeries;
          parts.push(`${head},"count":${num(h.count)},"sum":${num(h.sum)},"bounds":[${h.bounds.map(num).join(',')}],"counts":[${Array.from(h.counts, num).join(',')}]}`);
        }
      }
    }
    deltas.endFlush();
  }
}
