/**
 * HTTP content negotiation for /metrics: which exposition format an `Accept` header asks for, and whether
 * `Accept-Encoding` takes gzip. Only the media types are known here, not how either format is written.
 *
 * Format rule: among the media ranges we can serve, the highest `q` wins; at equal `q` an exact type beats
 * `type/*`, which beats `*\/*`, then the earlier entry wins. `text/plain` matches 0.0.4 when its `version`
 * is absent or `0.0.4`; `application/openmetrics-text` matches OpenMetrics 1.0.0 when its `version` is absent
 * or `1.0.0` (other versions, Prometheus text 1.0.0 and protobuf are not served). `*\/*` and `text/*` mean
 * 0.0.4, `application/*` OpenMetrics. No header, nothing we serve, or only `q=0` matches: 0.0.4, the
 * fallback every Prometheus understands (never 406).
 */

/** The formats the sink serves. */
export type FormatName = 'text-0.0.4' | 'openmetrics-1.0.0';

interface MediaRange {
  readonly type: string;
  readonly params: ReadonlyMap<string, string>;
  readonly q: number;
}

const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/** Splits a comma list of `token;k=v;...` entries; entries with a malformed `q` are dropped. */
function parseList(header: string): MediaRange[] {
  const out: MediaRange[] = [];
  for (const entry of header.split(',')) {
    const parts = entry.split(';');
    const type = (parts[0] ?? '').trim().toLowerCase();
    if (type === '') continue;
    const params = new Map<string, string>();
    let q = 1;
    let ok = true;
    for (let i = 1; i < parts.length; i++) {
      const p = parts[i] as string;
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      const k = p.slice(0, eq).trim().toLowerCase();
      let v = p.slice(eq + 1).trim();
      if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
      if (k === 'q') {
        if (QVALUE.test(v)) q = Number(v);
        else ok = false;
      } else params.set(k, v);
    }
    if (ok) out.push({ type, params, q });
  }
  return out;
}

/** What a media range offers us and how specific it is (2 exact, 1 `type/*`, 0 `*\/*`); undefined if nothing. */
function match(r: MediaRange): { format: FormatName; specificity: number } | undefined {
  const version = r.params.get('version');
  switch (r.type) {
    case 'text/plain':
      return version === undefined || version === '0.0.4' ? { format: 'text-0.0.4', specificity: 2 } : undefined;
    case 'application/openmetrics-text':
      return version === undefined || version === '1.0.0' ? { format: 'openmetrics-1.0.0', specificity: 2 } : undefined;
    case 'text/*':
      return { format: 'text-0.0.4', specificity: 1 };
    case 'application/*':
      return { format: 'openmetrics-1.0.0', specificity: 1 };
    case '*/*':
      return { format: 'text-0.0.4', specificity: 0 };
    default:
      return undefined;
  }
}

/** The format to serve for an `Accept` header (see the module comment for the rule). */
export function negotiateFormat(accept: string | undefined): FormatName {
  if (accept === undefined || accept.trim() === '') return 'text-0.0.4';
  let best: FormatName = 'text-0.0.4';
  let bestQ = 0;
  let bestSpecificity = -1;
  for (const r of parseList(accept)) {
    if (r.q <= 0) continue;
    const m = match(r);
    if (m === undefined) continue;
    if (r.q > bestQ || (r.q === bestQ && m.specificity > bestSpecificity)) {
      best = m.format;
      bestQ = r.q;
      bestSpecificity = m.specificity;
    }
  }
  return best;
}

/** True when `Accept-Encoding` takes gzip (`gzip` or `x-gzip` with q > 0, or an unrefused `*`). */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (acceptEncoding === undefined) return false;
  let star: number | undefined;
  for (const r of parseList(acceptEncoding)) {
    if (r.type === 'gzip' || r.type === 'x-gzip') return r.q > 0;
    if (r.type === '*') star = r.q;
  }
  return star !== undefined && star > 0;
}
