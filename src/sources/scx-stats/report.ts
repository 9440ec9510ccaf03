/**
 * The human report of one scx_stats response, in the shape `scx_<sched> --monitor` prints: a `######`
 * header, `name=value` lines (in the scheduler's own grouping when an overlay gives one), then one indented
 * line per dict entry, labelled like rusty's `NODE[00]` / `DOM[03]` from the nested struct's `_om_label`.
 * Works for any response: without meta, nested objects are shown by their field names.
 */
import type { MetaPlan, PlannedStruct } from './meta.js';
import type { MonitorField, ScxOverlay } from './overlays/types.js';

export interface ReportOptions {
  readonly time: Date;
  /** The meta plan of the server, for dict labels (`NODE`, `DOMAIN`); none for targets outside the meta. */
  readonly plan?: MetaPlan | undefined;
  readonly overlay?: ScxOverlay | undefined;
  /** Wrap `name=value` lines at this width. Default 100. */
  readonly width?: number;
  readonly target?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A value as the schedulers print them: integers plain, fractions (and anything the meta calls a float)
 * with two decimals, NaN for null (serde_json's NaN).
 */
export function formatValue(v: unknown, float = false): string {
  if (v === null) return 'NaN';
  if (typeof v === 'number') return Number.isInteger(v) && !float ? String(v) : v.toFixed(2);
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return `[${v.map((x) => formatValue(x)).join(',')}]`;
  if (isObject(v)) return `{${Object.entries(v).map(([k, x]) => `${k}:${formatValue(x)}`).join(',')}}`;
  return JSON.stringify(v) ?? 'undefined';
}

export function formatReport(resp: unknown, opts: ReportOptions): string {
  const width = opts.width ?? 100;
  const target = opts.target ?? 'top';
  const out: string[] = [`###### ${opts.time.toUTCString()}${target === 'top' ? '' : `, target ${target}`} ######`];
  const struct = target === 'top' ? opts.plan?.root : undefined;
  block(resp, struct, '', out, width, target === 'top' ? opts.overlay?.monitorLines : undefined);
  return `${out.join('\n')}\n`;
}

/** Is this object a dict of structs (every value an object)? */
function isDictOfObjects(v: unknown): v is Record<string, Record<string, unknown>> {
  return isObject(v) && Object.keys(v).length > 0 && Object.values(v).every(isObject);
}

function block(v: unknown, struct: PlannedStruct | undefined, indent: string, out: string[], width: number, lines?: readonly (readonly MonitorField[])[]): void {
  if (!isObject(v)) {
    if (Array.isArray(v) && v.every(isObject)) {
      v.forEach((item, i) => {
        out.push(`${indent}[${i}]`);
        block(item, undefined, `${indent}  `, out, width);
      });
    } else out.push(`${indent}${formatValue(v)}`);
    return;
  }
  const scalars: [string, unknown][] = [];
  const nested: [string, unknown][] = [];
  for (const [k, x] of Object.entries(v)) {
    if (isObject(x) && (isDictOfObjects(x) || struct?.fields.get(k)?.kind === 'dict')) nested.push([k, x]);
    else if (Array.isArray(x) && x.length > 0 && x.every(isObject)) nested.push([k, x]);
    else scalars.push([k, x]);
  }
  const shown = new Set<string>();
  const show = (n: string, label = n): string => {
    const f = struct?.fields.get(n);
    return `${label}=${formatValue(v[n], f?.kind === 'number' && f.scalar === 'float')}`;
  };
  const pairs = (fields: readonly MonitorField[]): string[] =>
    fields
      .map((m) => (typeof m === 'string' ? [m, m] : m))
      .filter(([n]) => scalars.some(([k]) => k === n))
      .map(([n, label]) => {
        shown.add(n);
        return show(n, label);
      });
  for (const group of lines ?? []) {
    const p = pairs(group);
    if (p.length > 0) out.push(`${indent}${p.join(' ')}`);
  }
  let line = '';
  for (const [k] of scalars) {
    if (shown.has(k)) continue;
    const p = show(k);
    if (line !== '' && indent.length + line.length + 1 + p.length > width) {
      out.push(`${indent}${line}`);
      line = '';
    }
    line = line === '' ? p : `${line} ${p}`;
  }
  if (line !== '') out.push(`${indent}${line}`);
  for (const [k, x] of nested) {
    const f = struct?.fields.get(k);
    const child = f?.kind === 'dict' ? f.child : undefined;
    const label = (f?.kind === 'dict' ? f.label : k).toUpperCase();
    if (Array.isArray(x)) {
      x.forEach((item, i) => {
        out.push(`${indent}  ${label}[${i}]`);
        block(item, undefined, `${indent}    `, out, width);
      });
      continue;
    }
    for (const [key, entry] of Object.entries(x as Record<string, unknown>)) {
      const sub: string[] = [];
      block(entry, child, '', sub, width - indent.length - 2);
      // The entry's first line goes next to its label, like `NODE[00] load=...`.
      const head = `${indent}  ${label}[${key.padStart(2, '0')}]`;
      const [first, ...rest] = sub;
      const firstIsNested = first !== undefined && first.startsWith('  ');
      out.push(first === undefined || firstIsNested ? head : `${head} ${first}`);
      for (const r of firstIsNested ? sub : rest) out.push(`${indent}  ${r}`);
    }
  }
}
