/**
 * Turns the registry into the web view's `schema` and `frame` events (protocol.ts), already serialized: one
 * encoding per collection, whatever the number of pages watching. Counter rates and histogram bucket counts
 * are per interval, with the same first-flush rule as every delta sink (push/deltas.ts).
 */
import { counterSampleName } from '../../declare/naming.js';
import type { CounterSeries, GaugeSeries, HistogramSeries, Registry, Series } from '../../registry/index.js';
import { CounterDeltas, HistogramDeltas } from '../push/deltas.js';
import type { SchemaEvent, SchemaFamily } from './protocol.js';

export interface EncodedFrame {
  readonly schemaId: number;
  /** The `schema` event's JSON when the series changed since the previous encode, else undefined. */
  readonly schema: string | undefined;
  /** The `frame` event's JSON; undefined for the baseline (first) encode. */
  readonly frame: string | undefined;
}

export class FrameEncoder {
  private readonly counters = new CounterDeltas();
  private readonly histograms = new HistogramDeltas();
  private generation = -1;
  private schemaId = 0;
  private order: Series[] = [];
  private kinds: ('counter' | 'gauge' | 'histogram')[] = [];
  private values: (number | null | number[])[] = [];
  private primed = false;

  /** Encodes one collection; the first call is the baseline and yields no frame. */
  encode(registry: Registry, timeMs: number, intervalSeconds: number): EncodedFrame {
    const schema = registry.generation === this.generation ? undefined : this.rebuild(registry);
    const perSecond = intervalSeconds > 0 ? 1 / intervalSeconds : 0;
    const order = this.order;
    const values = this.values;
    for (let i = 0; i < order.length; i++) {
      const s = order[i] as Series;
      const kind = this.kinds[i];
      if (kind === 'counter') values[i] = this.counters.delta(s as CounterSeries) * perSecond;
      else if (kind === 'gauge') {
        const v = (s as GaugeSeries).value;
        values[i] = Number.isFinite(v) ? v : null;
      } else values[i] = Array.from(this.histograms.delta(s as HistogramSeries).counts);
    }
    this.counters.endFlush();
    this.histograms.endFlush();
    if (!this.primed) {
      this.primed = true;
      return { schemaId: this.schemaId, schema, frame: undefined };
    }
    // Hand-joined so the values array is the only thing JSON.stringify walks.
    const frame = `{"t":${timeMs},"dt":${intervalSeconds},"schema":${this.schemaId},"v":${JSON.stringify(values)}}`;
    return { schemaId: this.schemaId, schema, frame };
  }

  private rebuild(registry: Registry): string {
    this.generation = registry.generation;
    this.schemaId++;
    const order: Series[] = [];
    const kinds: ('counter' | 'gauge' | 'histogram')[] = [];
    const families: SchemaFamily[] = [];
    for (const fam of registry.families()) {
      if (fam.series.length === 0) continue;
      const d = fam.decl;
      for (const s of fam.series) {
        order.push(s);
        kinds.push(d.kind);
      }
      families.push({
        name: d.kind === 'counter' ? counterSampleName(d.name) : d.name,
        kind: d.kind,
        help: d.help,
        unit: d.unit,
        labels: fam.labelNames,
        series: fam.series.map((s) => s.labelValues),
        ...(d.kind === 'histogram' ? { bounds: d.buckets } : {}),
      });
    }
    this.order = order;
    this.kinds = kinds;
    this.values = new Array<number | null | number[]>(order.length).fill(0);
    const event: SchemaEvent = { id: this.schemaId, families };
    return JSON.stringify(event);
  }
}
