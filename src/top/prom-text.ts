/**
 * A reader of the Prometheus text format (0.0.4) into `top`'s stats: counters (`_total`), gauges, untyped
 * samples (shown as gauges), and histograms and summaries by their `_count` and `_sum`. Buckets, quantiles
 * and `_created` are not shown by `top` and are skipped. A malformed line is an error naming its number and
 * what was expected.
 */
import type { FrameSeries, FrameStat, StatKind } from './frame.js';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
type PromType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
const TYPES: readonly string[] = ['counter', 'gauge', 'histogram', 'summary', 'untyped'];

interface FamilyAcc {
  name: string;
  type: PromType;
  help: string;
  /** Series by label text, in order of first sample. */
  series: Map<string, { labels: [string, string][]; value: number; sum?: number }>;
}

export class PromTextError extends Error {
  override name = 'PromTextError';
}

/** Parses one exposition; throws PromTextError on a malformed line. */
export function parsePromText(text: string): FrameStat[] {
  const families = new Map<string, FamilyAcc>();
  const family = (name: string, type: PromType = 'untyped'): FamilyAcc => {
    let f = families.get(name);
    if (f === undefined) {
      f = { name, type, help: '', series: new Map() };
      families.set(name, f);
    }
    return f;
  };
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = (lines[n] as string).trim();
    if (line === '') continue;
    const fail = (what: string): never => {
      throw new PromTextError(`line ${n + 1}: ${what}: ${JSON.stringify(line.length > 80 ? `${line.slice(0, 80)}…` : line)}`);
    };
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\s+(.*))?$/.exec(line);
      if (m === null) continue; // Other comments carry nothing for us.
      if (m[1] === 'TYPE') {
        const t = (m[3] ?? '').trim();
        if (!TYPES.includes(t)) fail(`TYPE must be counter, gauge, histogram, summary or untyped, got "${t}"`);
        const f = family(m[2] as string);
        f.type = t as PromType;
      } else {
        family(m[2] as string).help = (m[3] ?? '').replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
      }
      continue;
    }
    const sample = parseSample(line, fail);
    const [fam, role] = place(families, sample.name);
    const f = fam ?? family(sample.name);
    if (role === 'skip') continue;
    const labels = sample.labels.filter(([k]) => !((f.type === 'histogram' && k === 'le') || (f.type === 'summary' && k === 'quantile')));
    if (labels.length !== sample.labels.length) continue; // a bucket or quantile line
    const key = labels.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',');
    let s = f.series.get(key);
    if (s === undefined) {
      s = { labels, value: NaN };
      f.series.set(key, s);
    }
    if (role === 'sum') s.sum = sample.value;
    else s.value = sample.value;
  }
  const out: FrameStat[] = [];
  for (const f of families.values()) {
    if (f.series.size === 0) continue;
    const kind: StatKind = f.type === 'counter' ? 'counter' : f.type === 'histogram' || f.type === 'summary' ? 'histogram' : 'gauge';
    const series: FrameSeries[] = [...f.series.values()].map((s) => (s.sum === undefined ? { labels: s.labels, value: s.value } : { labels: s.labels, value: s.value, sum: s.sum }));
    out.push({ name: kind === 'counter' ? f.name.replace(/_total$/, '') : f.name, kind, help: f.help, series });
  }
  return out;
}

/**
 * The family a sample belongs to and what it is there: its value (a counter's `_total`, a histogram's
 * `_count`, a gauge), the `_sum`, or a line `top` skips (`_created`, `_bucket`).
 */
function place(families: Map<string, FamilyAcc>, name: string): [FamilyAcc | undefined, 'value' | 'sum' | 'skip'] {
  const exact = families.get(name);
  if (exact !== undefined && exact.type !== 'histogram' && exact.type !== 'summary') return [exact, 'value'];
  const m = /^(.*)(_total|_created|_bucket|_sum|_count)$/.exec(name);
  if (m !== null) {
    const base = m[1] as string;
    const suffix = m[2] as string;
    // Text 0.0.4 names a counter's TYPE with or without _total; `_created` sits beside either.
    const f = families.get(base) ?? (suffix === '_created' ? families.get(`${base}_total`) : undefined);
    if (f !== undefined) {
      if (suffix === '_created') return [f, 'skip'];
      if (f.type === 'counter' && suffix === '_total') return [f, 'value'];
      if (f.type === 'histogram' || f.type === 'summary') return [f, suffix === '_count' ? 'value' : suffix === '_sum' ? 'sum' : 'skip'];
    }
  }
  return [exact, 'value'];
}

interface Sample {
  name: string;
  labels: [string, string][];
  value: number;
}

function parseSample(line: string, fail: (what: string) => never): Sample {
  const nm = NAME.exec(line);
  if (nm === null) fail('expected a metric name');
  const name = (nm)[0];
  let i = name.length;
  const labels: [string, string][] = [];
  if (line[i] === '{') {
    i++;
    for (;;) {
      while (line[i] === ' ') i++;
      if (line[i] === '}') {
        i++;
        break;
      }
      const ln = LABEL_NAME.exec(line.slice(i));
      if (ln === null) fail('expected a label name or "}"');
      const lname = (ln)[0];
      i += lname.length;
      while (line[i] === ' ') i++;
      if (line[i] !== '=' || line[i + 1] !== '"') fail(`expected ="value" after label ${lname}`);
      i += 2;
      let value = '';
      for (;;) {
        const c = line[i];
        if (c === undefined) fail(`unterminated value of label ${lname}`);
        if (c === '"') break;
        if (c === '\\') {
          const e = line[i + 1];
          if (e === 'n') value += '\n';
          else if (e === '\\' || e === '"') value += e;
          else fail(`bad escape \\${e ?? ''} in label ${lname} (expected \\\\, \\" or \\n)`);
          i += 2;
        } else {
          value += c;
          i++;
        }
      }
      i++;
      labels.push([lname, value]);
      while (line[i] === ' ') i++;
      if (line[i] === ',') i++;
      else if (line[i] !== '}') fail('expected "," or "}" after a label value');
    }
  }
  const rest = line.slice(i).trim().split(/\s+/);
  if (line[i] !== ' ' && line[i] !== '\t') fail('expected a space before the value');
  const value = parseValue(rest[0] ?? '');
  if (value === undefined) fail(`"${rest[0] ?? ''}" is not a sample value (a float, NaN, +Inf or -Inf)`);
  if (rest.length > 2 || (rest[1] !== undefined && !/^-?\d+$/.test(rest[1]))) fail('expected at most a timestamp (integer milliseconds) after the value');
  return { name, labels, value: value };
}

function parseValue(s: string): number | undefined {
  if (s === 'NaN') return NaN;
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return undefined;
  return Number(s);
}
