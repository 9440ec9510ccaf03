/**
 * Floats as Prometheus' Go clients write them in label values (`le`): strconv.FormatFloat(x, 'g', -1, 64),
 * the shortest digits that round-trip, in exponent form below 1e-4 and from 1e6 up (`1e+06`,
 * `1.048576e+06`), and `+Inf`. Matching it keeps `le` identical to what a scrape of a Go exporter shows.
 */
export function formatGoFloat(x: number): string {
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  if (Number.isNaN(x)) return 'NaN';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  // toExponential() without digits gives the shortest round-trip mantissa.
  const [mant, expText] = x.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    const e = Math.abs(exp);
    return `${mant}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  return String(x);
}
