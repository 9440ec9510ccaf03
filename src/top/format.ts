/** Numbers in a few columns: three significant digits with an SI prefix, so a rate fits in 7 characters. */

const BIG = ['', 'k', 'M', 'G', 'T', 'P', 'E'];
const SMALL = ['', 'm', 'µ', 'n', 'p'];

/** Formats a rate or value compactly ("12.3k", "0.500", "4.56µ"); NaN and undefined show as "–". */
export function formatValue(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return '–';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  if (n === 0) return '0';
  const sign = n < 0 ? '-' : '';
  let a = Math.abs(n);
  // Past the prefixes: exponent notation, still 8 columns at most ("1.0e+300").
  if (a >= 999.5e18 || a < 0.9995e-12) return n.toExponential(1);
  if (a >= 1000) {
    let i = 0;
    // Round first, then pick the prefix: 999.96 rounds to 1000, which is "1.00k", not "1.00e+3".
    while (i < BIG.length - 1 && Number(a.toPrecision(3)) >= 1000) {
      a /= 1000;
      i++;
    }
    return `${sign}${trim(a)}${BIG[i]}`;
  }
  if (a >= 0.001) return `${sign}${Number.isInteger(a) ? String(a) : a.toPrecision(3)}`;
  let i = 0;
  while (i < SMALL.length - 1 && Number(a.toPrecision(3)) < 1) {
    a *= 1000;
    i++;
  }
  return `${sign}${trim(a)}${SMALL[i]}`;
}

function trim(a: number): string {
  const s = a.toPrecision(3);
  return s.includes('e') ? a.toExponential(1) : s;
}

/** A duration in seconds with its unit ("9.46ms", "1.20s", "350µs"). */
export function formatSeconds(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return formatValue(n);
  if (n === 0) return '0s';
  if (Math.abs(n) >= 1) return `${formatValue(n)}s`;
  let a = n;
  let i = 0;
  while (i < SMALL.length - 1 && Math.abs(Number(a.toPrecision(3))) < 1) {
    a *= 1000;
    i++;
  }
  return `${trim(a)}${SMALL[i]}s`;
}
