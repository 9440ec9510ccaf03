/**
 * Go's `strconv.FormatFloat(v, 'g', -1, 64)`, the text Prometheus' Go clients give bucket bounds (`le`): the
 * Prometheus text formats and remote_write both take `le` from it, so a bound reads the same as in a scrape
 * of a Go exporter.
 */

/**
 * Go's `%g` with the shortest precision: fixed notation when the decimal exponent is in [-4, 6), else
 * `d.ddde±XX` with at least two exponent digits (`1e-05`, `1.048576e+06`); `NaN`, `+Inf`, `-Inf`.
 */
export function formatGoFloat(v: number): string {
  // NaN fails v === v; the infinities are the only values outside ±MAX_VALUE.
  if (!(v === v && v <= Number.MAX_VALUE && v >= -Number.MAX_VALUE)) return v !== v ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  // toExponential() with no argument gives the shortest digits that round-trip, as Go's -1 precision does.
  const e = v.toExponential();
  const at = e.indexOf('e');
  const exp = Number(e.slice(at + 1));
  // JS switches to exponents only below 1e-6 or at 1e21; inside [-4, 6) both print the same fixed digits.
  if (exp >= -4 && exp < 6) return String(v);
  const sign = exp < 0 ? '-' : '+';
  const digits = String(Math.abs(exp));
  return `${e.slice(0, at)}e${sign}${digits.length < 2 ? `0${digits}` : digits}`;
}
