/**
 * Terminal columns of text: enough of East Asian width and combining marks for label values, which are
 * arbitrary strings, and the one place that makes them safe to print (no control characters reach the
 * terminal, so a label value cannot move the cursor or change colours).
 */

/** Columns one code point takes: 0 for combining marks, 2 for wide (CJK, emoji), 1 otherwise. */
export function charWidth(cp: number): number {
  if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0xfe00 && cp <= 0xfe0f)) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  )
    return 2;
  return 1;
}

/** Control characters (C0, DEL, C1) replaced by U+FFFD, so text cannot carry terminal escapes. */
export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x1f\x7f-\x9f]/g, '\ufffd');
}

/** Columns `s` takes (plain text, no escapes). */
export function textWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += charWidth(ch.codePointAt(0) as number);
  return w;
}

/** `s` cut to at most `width` columns, ending in "…" when cut. */
export function truncate(s: string, width: number): string {
  if (width <= 0) return '';
  if (textWidth(s) <= width) return s;
  let out = '';
  let w = 0;
  for (const ch of s) {
    const cw = charWidth(ch.codePointAt(0) as number);
    if (w + cw > width - 1) break;
    out += ch;
    w += cw;
  }
  return `${out}…`;
}

/** `s` cut or padded with spaces to exactly `width` columns. */
export function fit(s: string, width: number): string {
  const t = truncate(s, width);
  return t + ' '.repeat(Math.max(0, width - textWidth(t)));
}

/** `s` right-aligned in `width` columns (cut when longer). */
export function fitRight(s: string, width: number): string {
  const t = truncate(s, width);
  return ' '.repeat(Math.max(0, width - textWidth(t))) + t;
}
