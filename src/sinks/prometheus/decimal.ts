/**
 * A sample value's text written straight into a buffer, exactly as `formatValue` (ECMAScript `String(v)`,
 * the shortest digits that read back as `v`) spells it, without building a string for the common case: a
 * value whose shortest form has at most about 15 significant digits (cpu seconds from ticks, nanoseconds
 * scaled to seconds, shares with a few decimals). Anything else (longer digits, the exponent forms below
 * 1e-6, NaN and the infinities) goes through `formatValue`.
 *
 * Why the short path is exact: for an `a = |v|` and `j` fractional digits with `a·10^j < 2^50`, a decimal
 * `N·10^-j` that reads back as `a` lies within half an ulp of `a`, so within `a·10^j·2^-53 < 1/8` of
 * `a·10^j`; the computed product is within another `1/8`, so `Math.round` of it is that `N` and no other
 * integer is. `N / 10^j === a` then decides it exactly: both operands are exact (`N < 2^53`, `10^j` for
 * `j <= 22`) and IEEE division rounds the real quotient as parsing the decimal does (ties to even). The
 * first `j` that passes gives the fewest fractional digits, hence the fewest significant digits, which is
 * the form `String(v)` prints in its fixed range [1e-6, 1e21). test/sinks/prometheus/decimal.test.ts checks
 * this against `String(v)` over millions of doubles.
 */
import { formatValue } from './numbers.js';

const POW10 = new Float64Array(23).map((_, i) => 10 ** i);
/** Products at or above this are too close to 2^53 for the argument above: those values take String(v). */
const LIMIT = 2 ** 50;
/** Digits of N, written right to left (N < 2^50 has at most 16). */
const digits = new Uint8Array(16);

/** Writes `v` as `formatValue(v)` spells it; returns the offset after it. At most MAX_NUMBER_BYTES. */
export function putDecimal(buf: Buffer, off: number, v: number): number {
  const a = v < 0 ? -v : v;
  // a >= 1e-6 also rules out NaN; a < LIMIT the infinities and String's exponent form (from 1e21).
  if (a >= 1e-6 && a < LIMIT) {
    for (let j = 0; j <= 22; j++) {
      const p = POW10[j] as number;
      const f = a * p;
      if (f >= LIMIT) break;
      const n = Math.round(f);
      if (n / p === a) {
        if (v < 0) buf[off++] = 45; // '-'
        return putFixed(buf, off, n, j);
      }
    }
  }
  const s = formatValue(v);
  for (let i = 0; i < s.length; i++) buf[off++] = s.charCodeAt(i);
  return off;
}

/** Writes `n·10^-j` in fixed notation (`123.45`, `0.000015`); `n < 2^50`, without trailing zeros if j > 0. */
function putFixed(buf: Buffer, off: number, n: number, j: number): number {
  // Two parts below 2^31 so the digit loop runs in int32 arithmetic.
  let high = Math.floor(n / 1e8);
  let low = n - high * 1e8;
  if (low < 0) {
    high--;
    low += 1e8;
  }
  let p = 16;
  if (high > 0) {
    for (let i = 0; i < 8; i++) {
      const q = (low / 10) | 0;
      digits[--p] = 48 + low - q * 10;
      low = q;
    }
    low = high;
  }
  do {
    const q = (low / 10) | 0;
    digits[--p] = 48 + low - q * 10;
    low = q;
  } while (low > 0);
  const len = 16 - p;
  if (len > j) {
    // Integer digits, then the point and j fractional digits.
    const point = p + len - j;
    while (p < point) buf[off++] = digits[p++] as number;
    if (j > 0) {
      buf[off++] = 46; // '.'
      while (p < 16) buf[off++] = digits[p++] as number;
    }
    return off;
  }
  buf[off++] = 48; // '0'
  buf[off++] = 46; // '.'
  for (let z = j - len; z > 0; z--) buf[off++] = 48;
  while (p < 16) buf[off++] = digits[p++] as number;
  return off;
}
