/**
 * Text escaping shared by the Prometheus text formats. The transforms are named for what they do, not for a
 * format: each renderer picks the one its grammar asks for. Non-ASCII passes through untouched (the body is
 * encoded as UTF-8 when sent).
 */

const QUOTED_SPECIALS = /[\\"\n]/;
const DOC_SPECIALS = /[\\\n]/;

/** Escapes `\` as `\\`, `"` as `\"` and LF as `\n`: a double-quoted label value, or OpenMetrics HELP text. */
export function escapeQuoted(s: string): string {
  // Most values need nothing; the test is cheaper than three replaces.
  if (!QUOTED_SPECIALS.test(s)) return s;
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Escapes `\` as `\\` and LF as `\n` only: HELP text of the 0.0.4 format, whose parser refuses `\"`. */
export function escapeBackslashNewline(s: string): string {
  if (!DOC_SPECIALS.test(s)) return s;
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** `a="x",b="y"` for label names and values in order; '' for none. Names are checked at declaration time. */
export function labelPairs(names: readonly string[], values: readonly string[]): string {
  let out = '';
  for (let i = 0; i < names.length; i++) {
    if (i > 0) out += ',';
    out += `${names[i] as string}="${escapeQuoted(values[i] ?? '')}"`;
  }
  return out;
}
