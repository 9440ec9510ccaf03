/**
 * What both OTLP encodings share: the request's fixed parts (resource, scope), temporality, units in UCUM,
 * and nanosecond timestamps. Nanoseconds since 1970 exceed 2^53, so they are built with BigInt once per flush
 * or per series and kept as 32-bit halves (protobuf fixed64) and decimal strings (JSON).
 */
import type { Unit } from '../../declare/types.js';

/** `AggregationTemporality` as numbered on the wire (metrics.proto): not the OTel JS SDK's own enum. */
export const TEMPORALITY_DELTA = 1;
export const TEMPORALITY_CUMULATIVE = 2;

export type Temporality = 'cumulative' | 'delta';

/** The fixed parts of every request this sink sends. */
export interface OtlpRequestShape {
  /** Resource attributes, in the order they are sent. */
  readonly resource: readonly (readonly [string, string])[];
  readonly scopeName: string;
  readonly scopeVersion: string;
  readonly temporality: Temporality;
}

/** Our units in UCUM, as OTLP `Metric.unit` expects (semantic conventions: `s`, `By`, `1`). */
export function ucum(unit: Unit): string {
  switch (unit) {
    case '':
      return '';
    case 'seconds':
      return 's';
    case 'bytes':
      return 'By';
    case 'ratio':
      return '1';
    case 'celsius':
      return 'Cel';
    case 'joules':
      return 'J';
    case 'volts':
      return 'V';
    case 'amperes':
      return 'A';
    case 'meters':
      return 'm';
    case 'grams':
      return 'g';
    case 'hertz':
      return 'Hz';
  }
}

/** A Unix time in nanoseconds, in the two forms the encoders write. */
export interface NanoTime {
  /** Low and high 32 bits, for protobuf fixed64. */
  readonly lo: number;
  readonly hi: number;
  /** Decimal digits, for JSON (int64 as a string). */
  readonly text: string;
}

let lastMs = NaN;
let last: NanoTime = { lo: 0, hi: 0, text: '0' };

/**
 * Nanoseconds from Unix milliseconds (rounded to the millisecond: that is what the clocks here give). The
 * last result is kept: series created together share a creation time, and BigInt work is not free.
 */
export function nanoTime(ms: number): NanoTime {
  const whole = Math.round(ms);
  if (whole === lastMs) return last;
  const ns = BigInt(whole) * 1_000_000n;
  last = { lo: Number(ns & 0xffff_ffffn), hi: Number(ns >> 32n), text: ns.toString() };
  lastMs = whole;
  return last;
}
