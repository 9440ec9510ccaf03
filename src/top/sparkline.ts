/** Sparklines from Unicode block elements: one character per point, the newest on the right. */

export const BLOCKS = '▁▂▃▄▅▆▇█';

/**
 * The last `width` points of `values` as block characters, padded with spaces on the left while there are
 * fewer points than columns. NaN (no value at that point) is a space. The scale runs from zero (or the
 * lowest negative value) to the highest value in view, so a bar's height reads as a part of the peak shown.
 */
export function sparkline(values: readonly number[], width: number): string {
  if (width <= 0) return '';
  const shown = values.slice(Math.max(0, values.length - width));
  let lo = 0;
  let hi = 0;
  for (const v of shown) {
    if (Number.isNaN(v) || !Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const top = BLOCKS.length - 1;
  let out = ' '.repeat(width - shown.length);
  for (const v of shown) {
    if (!Number.isFinite(v)) {
      out += ' ';
      continue;
    }
    const level = hi === lo ? 0 : Math.round(((v - lo) / (hi - lo)) * top);
    out += BLOCKS[level];
  }
  return out;
}
