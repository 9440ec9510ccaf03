/**
 * A sample value's text written straight into a buffer, exactly as `formatValue` (ECMAScript `String(v)`,
 * the shortest digits that read back as `v`) spells it, without building a string, for values in String's
 * fixed range [1e-6, 2^50): cpu seconds from ticks, nanoseconds scaled to seconds, float sums. The rest (the
 * exponent forms, NaN, the infinities, ties at a rounding gap's edge) goes through `formatValue`.
 *
 * Short forms (up to about 15 digits): for `a = |v|` and `j` fractional digits with `a·10^j < 2^50`, a
 * decimal `N·10^-j` that reads back as `a` lies within half an ulp of `a`, so within `a·10^j·2^-53 < 1/8`
 * of `a·10^j`; the computed product is within another `1/8`, so `Math.round` of it is that `N` and no other
 * integer is. `N / 10^j === a` then decides it exactly: both operands are exact (`N < 2^53`, `10^j` for
 * `j <= 22`) and IEEE division rounds the real quotient as parsing the decimal does (ties to even). The
 * smallest `j` that passes gives the fewest fractional digits, hence the fewest significant digits. A
 * decimal with `j` digits also has `j + 1` (`10N`), so passing is monotonic in `j`: the largest `j` is
 * tried first (a long value fails there once and goes on), then the smallest found by bisection.
 * Longer forms (16 and 17 digits) are found by putLong with exact products. test/sinks/prometheus/
 * decimal.test.ts checks both against `String(v)` over about 1.8 million doubles.
 */
import { formatValue } from './numbers.js';

/** '00' to '99' as byte pairs: two digits per division (putSmallInt in ./bytes.ts uses them too). */
export const PAIRS = Uint8Array.from({ length: 200 }, (_, i) => 48 + (i & 1 ? (i >> 1) % 10 : ((i >> 1) / 10) | 0));
const POW10 = new Float64Array(23).map((_, i) => 10 ** i);
/** Products at or above this are too close to 2^53 for the argument above: those values take String(v). */
const LIMIT = 2 ** 50;
/** Digits of N, written right to left (N < 2e17 has at most 18). */
const DIGITS = 18;
const digits = new Uint8Array(DIGITS);

/** Writes `v` as `formatValue(v)` spells it; returns the offset after it. At most MAX_NUMBER_BYTES. */
export function putDecimal(buf: Buffer, off: number, v: number): number {
  const a = v < 0 ? -v : v;
  // a >= 1e-6 also rules out NaN; a < LIMIT the infinities and String's exponent form (from 1e21).
  if (a >= 1e-6 && a < LIMIT) {
    // The most fractional digits the short test can try; a form with j digits also has j + 1 (N·10), so
    // if none passes at the most, none passes below it either, and a long value (16 or 17 digits, about
    // a fifth of scaled counters) tests once here instead of once per j.
    let most = 0;
    while (most < 22 && a * (POW10[most + 1] as number) < LIMIT) most++;
    if (isShort(a, most)) {
      // The fewest digits that pass, by bisection (passing is monotonic in j): about four tests.
      let lo = 0;
      let hi = most;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (isShort(a, mid)) hi = mid;
        else lo = mid + 1;
      }
      if (v < 0) buf[off++] = 45; // '-'
      const n = Math.round(a * (POW10[hi] as number));
      const high = Math.floor(n / 1e8);
      return putFixed(buf, off, high, n - high * 1e8, hi);
    }
    let j = most + 1;
    // No form with fewer than j fractional digits: the nearest one with j, else with j + 1 (16 or 17 digits).
    for (const end = Math.min(j + 1, 22); j <= end; j++) {
      const at = putLong(buf, v < 0 ? off + 1 : off, a, j);
      if (at === TOO_CLOSE) break;
      if (at !== NONE) {
        if (v < 0) buf[off] = 45;
        return at;
      }
    }
  }
  const s = formatValue(v);
  for (let i = 0; i < s.length; i++) buf[off++] = s.charCodeAt(i);
  return off;
}

/** Whether `a` reads back from the decimal with `j` fractional digits nearest it, `a·10^j` below LIMIT. */
function isShort(a: number, j: number): boolean {
  const p = POW10[j] as number;
  const f = a * p;
  const n = Math.round(f);
  // A passing n is within f·2^-52 of f: the cheap test spares most divisions of long values.
  return Math.abs(f - n) <= f * 2 ** -49 && n / p === a;
}

const NONE = -1;
const TOO_CLOSE = -2;
/** Veltkamp's splitter for doubles: 2^27 + 1. */
const SPLIT = 134217729;
/** Margin around a gap's edge inside which the computed distance (error < 2^-48) cannot decide. */
const EPS = 2 ** -40;
const word = new Float64Array(1);
const words = new Uint32Array(word.buffer);

/**
 * The nearest decimal with `j` fractional digits that reads back as `a` (1e-6 <= a < 2^50), written in fixed
 * notation; NONE when there is none, TOO_CLOSE when a candidate sits at a rounding gap's edge (a tie, left to
 * String(v)). `a·10^j` is taken exactly as `p + err` (Dekker's product), the half-gaps to the neighbouring
 * doubles scaled by `10^j` are exact (a power of two times 10^j), so whether an integer N lies within them
 * of `a·10^j` is decided on distances below 10 known to 2^-48. Only the integers either side of `a·10^j` can
 * be the nearest such N.
 */
function putLong(buf: Buffer, off: number, a: number, j: number): number {
  const t = POW10[j] as number;
  const p = a * t;
  // N below 2e17 keeps its high part (N / 1e8) below 2^31.
  if (p >= 2e17) return TOO_CLOSE;
  let c = SPLIT * a;
  const ah = c - (c - a);
  const al = a - ah;
  c = SPLIT * t;
  const th = c - (c - t);
  const tl = t - th;
  const err = ah * th - p + ah * tl + al * th + al * tl;
  // Half the gap to the next double up, 2^(e-1) for a = m·2^e (a is normal here), scaled; to the next
  // double down the same, or half of it when a is a power of two.
  word[0] = a;
  const hi = words[1] as number;
  const lo = words[0] as number;
  const e = ((hi >>> 20) & 0x7ff) - 1075;
  words[1] = (e - 1 + 1023) << 20;
  words[0] = 0;
  const up = word[0] * t;
  const down = (hi & 0xfffff) === 0 && lo === 0 ? up / 2 : up;
  const fp = Math.floor(p);
  // a·10^j = fp + r exactly but for r's last rounding.
  const r = p - fp + err;
  const k = Math.floor(r);
  const below = r - k;
  const above = k + 1 - r;
  if (Math.abs(below - down) < EPS || Math.abs(above - up) < EPS) return TOO_CLOSE;
  const inBelow = below < down;
  const inAbove = above < up;
  let n: number;
  if (inBelow && inAbove) {
    if (Math.abs(below - above) < EPS) return TOO_CLOSE;
    n = below < above ? k : k + 1;
  } else if (inBelow) n = k;
  else if (inAbove) n = k + 1;
  else return NONE;
  // N = fp + n, which may not be a double: its two parts. fp % 1e8 is exact, and so is the rest / 1e8.
  let low = fp % 1e8;
  let high = (fp - low) / 1e8;
  low += n;
  if (low < 0) {
    low += 1e8;
    high--;
  } else if (low >= 1e8) {
    low -= 1e8;
    high++;
  }
  return putFixed(buf, off, high, low, j);
}

/**
 * Writes `(high·1e8 + low)·10^-j` in fixed notation (`123.45`, `0.000015`); high < 2^31, 0 <= low < 1e8,
 * without trailing zeros if j > 0.
 */
function putFixed(buf: Buffer, off: number, high: number, low: number, j: number): number {
  // Two parts below 2^31 so the digit loop runs in int32 arithmetic, two digits per division.
  let p = DIGITS;
  if (high > 0) {
    for (let i = 0; i < 4; i++) {
      const q = (low / 100) | 0;
      const r = (low - q * 100) << 1;
      digits[--p] = PAIRS[r + 1] as number;
      digits[--p] = PAIRS[r] as number;
      low = q;
    }
    low = high;
  }
  while (low >= 100) {
    const q = (low / 100) | 0;
    const r = (low - q * 100) << 1;
    digits[--p] = PAIRS[r + 1] as number;
    digits[--p] = PAIRS[r] as number;
    low = q;
  }
  if (low >= 10) {
    digits[--p] = PAIRS[(low << 1) + 1] as number;
    digits[--p] = PAIRS[low << 1] as number;
  } else digits[--p] = 48 + low;
  const len = DIGITS - p;
  if (len > j) {
    // Integer digits, then the point and j fractional digits.
    const point = p + len - j;
    while (p < point) buf[off++] = digits[p++] as number;
    if (j > 0) {
      buf[off++] = 46; // '.'
      while (p < DIGITS) buf[off++] = digits[p++] as number;
    }
    return off;
  }
  buf[off++] = 48; // '0'
  buf[off++] = 46; // '.'
  for (let z = j - len; z > 0; z--) buf[off++] = 48;
  while (p < DIGITS) buf[off++] = digits[p++] as number;
  return off;
}
