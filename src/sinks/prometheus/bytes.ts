/**
 * Byte-level writing for the renderers. A render knows an upper bound of its size in advance (the encoded
 * constant text of its plan plus MAX_NUMBER_BYTES per value), so it writes into one buffer with plain index
 * stores: no bounds checks, no string concatenation, no encoding pass over the whole exposition. Constant
 * text is UTF-8 encoded once per plan; numbers are ASCII and stored digit by digit.
 */
import { PAIRS, putDecimal } from './decimal.js';

/**
 * The longest text formatValue gives: 25 characters, e.g. `-0.0000012345678901234567`. Sample values are the
 * only numbers written at render time; `le` and `_created` are part of the constant text, measured when the
 * plan is built. The cases of String(v) (ECMAScript Number::toString, k <= 17 significant digits, decimal
 * exponent n), each with one more for a minus sign:
 * - integer digits, k <= n <= 21: at most 21 (`100000000000000000000`), 22 signed;
 * - digits with a point inside, 0 < n < k: k + 1 <= 18, 19 signed;
 * - `0.` then -n zeros then the digits, -6 < n <= 0: 2 + 5 + 17 = 24, 25 signed (the longest);
 * - exponent form, n > 21 or n <= -6: `d.` 16 digits `e-308`: 23, 24 signed.
 * NaN, +Inf and -Inf are 3 or 4. For comparison, Go's %g (formatGoFloat, for `le`) is at most 24: exponent
 * form as above, and its fixed form only for n in [-3, 6], at most `-0.000` and 17 digits (23); OpenMetrics'
 * canonical `le` adds `.0` only to fixed-form integers, which have at most 6 digits.
 */
export const MAX_NUMBER_BYTES = 25;

/** UTF-8 bytes of a string, for text encoded once and copied many times. */
export const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

/** Copies `b` into `buf` at `off`; returns the offset after it. */
export function putBytes(buf: Buffer, off: number, b: Uint8Array): number {
  buf.set(b, off);
  return off + b.length;
}

/** Writes the digits of a non-negative integer below 2^31; returns the offset after them. */
export function putSmallInt(buf: Buffer, off: number, v: number): number {
  const len = v < 1e5 ? (v < 100 ? (v < 10 ? 1 : 2) : v < 1e3 ? 3 : v < 1e4 ? 4 : 5) : v < 1e7 ? (v < 1e6 ? 6 : 7) : v < 1e8 ? 8 : v < 1e9 ? 9 : 10;
  let p = off + len;
  while (v >= 100) {
    const q = (v / 100) | 0;
    const r = (v - q * 100) << 1;
    buf[--p] = PAIRS[r + 1] as number;
    buf[--p] = PAIRS[r] as number;
    v = q;
  }
  if (v >= 10) {
    buf[--p] = PAIRS[(v << 1) + 1] as number;
    buf[--p] = PAIRS[v << 1] as number;
  } else buf[--p] = 48 + v;
  return off + len;
}

/**
 * Writes a sample value as formatValue spells it; returns the offset after it. Non-negative integers below
 * 2^53 (counter and bucket values) skip the intermediate string: below 2^31 in int32 arithmetic, above in two
 * parts of nine digits and the rest. Other values go to putDecimal (short decimals without a string too).
 */
export function putNumber(buf: Buffer, off: number, v: number): number {
  if (v >= 0 && v < 2147483648 && (v | 0) === v) return putSmallInt(buf, off, v);
  if (v >= 0 && v <= Number.MAX_SAFE_INTEGER && Number.isInteger(v)) {
    const high = Math.floor(v / 1e9);
    off = putSmallInt(buf, off, high);
    const low = v - high * 1e9;
    // The low part with its leading zeros: exactly nine digits.
    for (let d = 1e8, rest = low; d >= 1; d /= 10) {
      const digit = Math.floor(rest / d);
      buf[off++] = 48 + digit;
      rest -= digit * d;
    }
    return off;
  }
  return putDecimal(buf, off, v);
}
