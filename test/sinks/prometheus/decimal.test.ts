// The sample-value writers (putNumber with its integer paths, putDecimal's short-decimal path and the
// per-series cache) against the reference they replace: formatValue, i.e. String(v) with NaN/+Inf/-Inf,
// which is what every render wrote before. Property test over many doubles of every shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatValue } from '../../../src/sinks/prometheus/numbers.js';
import { MAX_NUMBER_BYTES, putNumber } from '../../../src/sinks/prometheus/bytes.js';
import { putDecimal } from '../../../src/sinks/prometheus/decimal.js';
import { ValueTextCache } from '../../../src/sinks/prometheus/value-cache.js';

/** A seeded xorshift generator, so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
/** The double with these bit halves (little-endian: u32[0] is the low word). */
function fromBits(hi: number, lo: number): number {
  u32[1] = hi;
  u32[0] = lo;
  return f64[0] as number;
}
/** The next double above (toward +Inf) a finite non-negative x. */
function nextUp(x: number): number {
  f64[0] = x;
  if (u32[0] === 0xffffffff) {
    u32[0] = 0;
    u32[1] = (u32[1] as number) + 1;
  } else u32[0] = (u32[0] as number) + 1;
  return f64[0];
}
function nextDown(x: number): number {
  f64[0] = x;
  if (u32[0] === 0) {
    u32[0] = 0xffffffff;
    u32[1] = (u32[1] as number) - 1;
  } else u32[0] = (u32[0] as number) - 1;
  return f64[0];
}

/** Doubles of every shape the renders meet, and the edges of each path. */
function values(): number[] {
  const next = rng(0x5eed);
  const unit = (): number => next() / 2 ** 32;
  const out: number[] = [0, -0, Number.NaN, Infinity, -Infinity, Number.MIN_VALUE, -Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE, 2.2250738585072014e-308, 2.225073858507201e-308];
  // Random bit patterns: every exponent, subnormals included, both signs.
  for (let i = 0; i < 150_000; i++) out.push(fromBits(next(), next()));
  // Random bit patterns with exponents near the fixed range (1e-7 .. 2^60), where the short path works.
  for (let i = 0; i < 150_000; i++) {
    const exp = 1023 - 24 + (next() % 85);
    out.push(fromBits(((next() & 0x80000000) | (exp << 20) | (next() & 0xfffff)) >>> 0, next()));
  }
  // Short decimals: k / 10^d, scaled ticks (k * 0.01), their sums and differences (how counters accumulate).
  let acc = 0;
  for (let i = 0; i < 150_000; i++) {
    const d = next() % 12;
    const k = next() % 10 ** (1 + (next() % 9));
    out.push(k / 10 ** d, -k / 10 ** d, k * 0.01, k * 1e-6, k / 1e9);
    acc += (next() % 500) * 0.01;
    out.push(acc, acc * unit());
  }
  // As the host source exports them: raw ticks, microseconds or nanoseconds times the scale, summed as
  // differences of cumulative values (CounterSeries.absoluteMax), a mix of short and 16-17 digit values.
  for (const scale of [0.01, 1e-6, 1e-9]) {
    let raw = next() % 1e6;
    let last = 0;
    let value = 0;
    for (let i = 0; i < 50_000; i++) {
      raw += next() % Math.round(2 / scale);
      const cumulative = raw * scale;
      value += cumulative - last;
      last = cumulative;
      out.push(value, cumulative);
    }
  }
  // Integers: small, near 2^31, 2^50, 2^53 and past it, negative too.
  for (const base of [0, 2 ** 31, 2 ** 50, 2 ** 52, 2 ** 53, 1e15, 1e16, 1e21]) {
    for (let d = -40; d <= 40; d++) out.push(base + d, -(base + d));
  }
  for (let i = 0; i < 50_000; i++) out.push(Math.floor(unit() * 2 ** 53), -Math.floor(unit() * 2 ** 53));
  // Neighbours of powers of ten (the edges of String's fixed form at 1e-6 and 1e21) and of 2^50.
  for (let e = -30; e <= 30; e++) {
    let up = 10 ** e;
    let down = 10 ** e;
    for (let i = 0; i < 20; i++) {
      out.push(up, down, -up);
      up = nextUp(up);
      down = nextDown(down);
    }
  }
  for (const x of [2 ** 50, 2 ** 50 / 1e3, 2 ** 50 / 1e22, 1e-6, 1e21]) {
    let up = x;
    let down = x;
    for (let i = 0; i < 50; i++) {
      out.push(up, down, -up, -down);
      up = nextUp(up);
      down = nextDown(down);
    }
  }
  // Huge and tiny exponents.
  for (let i = 0; i < 20_000; i++) out.push(unit() * 10 ** (300 + (next() % 8)), unit() * 10 ** -(300 + (next() % 24)));
  return out;
}

test('putNumber and putDecimal write exactly what formatValue (String(v)) spells, over ~1.8 million doubles', () => {
  const buf = Buffer.alloc(64);
  let fast = 0;
  const all = values();
  for (const v of all) {
    const want = formatValue(v);
    const end = putNumber(buf, 5, v);
    const got = buf.toString('latin1', 5, end);
    if (got !== want) assert.fail(`putNumber(${want}) wrote ${got} (bits ${fromBitsText(v)})`);
    assert.ok(end - 5 <= MAX_NUMBER_BYTES, want);
    const end2 = putDecimal(buf, 1, v);
    const got2 = buf.toString('latin1', 1, end2);
    if (got2 !== want) assert.fail(`putDecimal(${want}) wrote ${got2}`);
    if (want.length <= 16 && !want.includes('e')) fast++;
  }
  // The inputs really exercise the short path, not only the fallback.
  assert.ok(fast > all.length / 3, `only ${fast} of ${all.length} values were short decimals`);
});

function fromBitsText(v: number): string {
  f64[0] = v;
  return `${(u32[1] as number).toString(16)}:${(u32[0] as number).toString(16)}`;
}

test('the per-series cache writes the same text as putNumber whether the value moved or not', () => {
  const next = rng(7);
  const n = 64;
  const cache = new ValueTextCache(n);
  const current = new Float64Array(n);
  const buf = Buffer.alloc(64);
  const ref = Buffer.alloc(64);
  const pool = [0, -0, 1, -1, 0.1, 0.30000000000000004, Number.NaN, Infinity, -Infinity, 5e-324, 1e21, 123.45, 2 ** 53, 1.5e-7];
  for (let round = 0; round < 2000; round++) {
    for (let i = 0; i < n; i++) {
      // A quarter of the slots move each round, to values that repeat (so cached text is reused) or are new.
      if (next() % 4 === 0) current[i] = next() % 2 === 0 ? (pool[next() % pool.length] as number) : fromBits(next(), next());
      const v = current[i] as number;
      const end = cache.put(buf, 3, i, v);
      const refEnd = putNumber(ref, 3, v);
      assert.equal(buf.toString('latin1', 3, end), ref.toString('latin1', 3, refEnd), `slot ${i}, round ${round}`);
    }
  }
});
