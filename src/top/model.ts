/**
 * The model behind `top`: per-second rates of counters and histogram counts, gauge values, and a bounded
 * history of each for the sparklines, updated one frame at a time. It knows nothing of terminals.
 */
import type { Frame, FrameSeries, StatKind } from './frame.js';

/** Points of history kept per line: wider than any sparkline drawn. */
export const HISTORY = 240;

/** One line of `top`: a stat (the sum over its series) or one of its series. */
export interface LineView {
  /** Stable identity of the line across frames: the stat name, or the stat name and the series' labels. */
  readonly key: string;
  /** Counter and histogram: observations per second over the last interval. Gauge: the value. */
  readonly value: number | undefined;
  /** Histogram: the mean of the interval's observations (sum delta / count delta). */
  readonly mean: number | undefined;
  /** Past values of `value`, oldest first, NaN where there was none. */
  readonly history: readonly number[];
}

export interface SeriesView extends LineView {
  /** `k=v k=v`, in exposition order. */
  readonly labelText: string;
}

export interface StatView extends LineView {
  readonly name: string;
  readonly kind: StatKind;
  readonly help: string;
  readonly series: readonly SeriesView[];
}

class History {
  readonly points: number[] = [];
  push(v: number): void {
    this.points.push(v);
    if (this.points.length > HISTORY) this.points.shift();
  }
}

interface SeriesState {
  key: string;
  labelText: string;
  prev: number | undefined;
  prevSum: number;
  value: number | undefined;
  mean: number | undefined;
  /** This interval's count delta and sum delta (histograms), for the stat's mean. */
  dCount: number;
  dSum: number;
  history: History;
}

interface StatState {
  name: string;
  kind: StatKind;
  help: string;
  series: Map<string, SeriesState>;
  value: number | undefined;
  mean: number | undefined;
  history: History;
}

/** Pairs as `k=v k=v`; label values are shown as given (the renderer makes them safe for a terminal). */
export function labelText(labels: readonly (readonly [string, string])[]): string {
  return labels.map(([k, v]) => `${k}=${v}`).join(' ');
}

/**
 * Counter increase between two reads: a value lower than the last means the producer restarted from zero,
 * so everything it counted since is the increase (Prometheus' rule for `rate`).
 */
function increase(prev: number, now: number): number {
  return now >= prev ? now - prev : now;
}

export class TopModel {
  private readonly stats = new Map<string, StatState>();
  private lastAtMs: number | undefined;
  /** Frames taken so far. */
  frames = 0;

  /** Takes one frame: rates against the previous frame, histories advanced by one point. */
  update(frame: Frame): void {
    const dt = this.lastAtMs === undefined ? 0 : (frame.atMs - this.lastAtMs) / 1000;
    this.lastAtMs = frame.atMs;
    this.frames++;
    const seen = new Set<string>();
    for (const fs of frame.stats) {
      seen.add(fs.name);
      let st = this.stats.get(fs.name);
      if (st === undefined || st.kind !== fs.kind) {
        st = { name: fs.name, kind: fs.kind, help: fs.help, series: new Map(), value: undefined, mean: undefined, history: new History() };
        this.stats.set(fs.name, st);
      }
      st.help = fs.help;
      this.updateStat(st, fs.series, dt);
    }
    for (const name of [...this.stats.keys()]) if (!seen.has(name)) this.stats.delete(name);
  }

  private updateStat(st: StatState, series: readonly FrameSeries[], dt: number): void {
    const seen = new Set<string>();
    let total = 0;
    let any = false;
    let dCount = 0;
    let dSum = 0;
    for (const fs of series) {
      const text = labelText(fs.labels);
      const key = `${st.name}{${text}}`;
      seen.add(key);
      let s = st.series.get(key);
      if (s === undefined) {
        s = { key, labelText: text, prev: undefined, prevSum: 0, value: undefined, mean: undefined, dCount: 0, dSum: 0, history: new History() };
        st.series.set(key, s);
      }
      this.updateSeries(st.kind, s, fs, dt);
      if (s.value !== undefined && !Number.isNaN(s.value)) {
        total += s.value;
        any = true;
      }
      dCount += s.dCount;
      dSum += s.dSum;
    }
    for (const key of [...st.series.keys()]) if (!seen.has(key)) st.series.delete(key);
    st.value = any ? total : undefined;
    st.mean = st.kind === 'histogram' && dCount > 0 ? dSum / dCount : undefined;
    st.history.push(st.value ?? NaN);
  }

  private updateSeries(kind: StatKind, s: SeriesState, fs: FrameSeries, dt: number): void {
    if (kind === 'gauge') {
      s.value = fs.value;
    } else {
      const first = s.prev === undefined || dt <= 0;
      const d = first ? 0 : increase(s.prev as number, fs.value);
      s.value = first ? undefined : d / dt;
      if (kind === 'histogram') {
        const sum = fs.sum ?? 0;
        // A restart (count went back) restarts the sum too.
        const ds = first ? 0 : fs.value >= (s.prev as number) ? sum - s.prevSum : sum;
        s.dCount = d;
        s.dSum = ds;
        s.mean = d > 0 ? ds / d : undefined;
        s.prevSum = sum;
      }
      s.prev = fs.value;
    }
    s.history.push(s.value ?? NaN);
  }

  /** The stats in the order they first appeared, each with its series. */
  view(): StatView[] {
    const out: StatView[] = [];
    for (const st of this.stats.values()) {
      out.push({
        key: st.name,
        name: st.name,
        kind: st.kind,
        help: st.help,
        value: st.value,
        mean: st.mean,
        history: st.history.points,
        series: [...st.series.values()].map((s) => ({ key: s.key, labelText: s.labelText, value: s.value, mean: s.mean, history: s.history.points })),
      });
    }
    return out;
  }
}
