/**
 * Each value slot's last written text, reused while its value does not change: between two scrapes most
 * series of an idle machine keep their value, and formatting a fractional value costs far more than copying
 * its few bytes. One cache belongs to one plan (built per registry generation), so it holds exactly the
 * plan's slots and goes with it when series come or go: 34 bytes a slot.
 */
import { MAX_NUMBER_BYTES, putNumber, putSmallInt } from './bytes.js';

export class ValueTextCache {
  /** The value each slot's text was written for; NaN (never equal) until the first write. */
  private readonly last: Float64Array;
  private readonly length: Uint8Array;
  /** Slot i's text at i * MAX_NUMBER_BYTES. */
  private readonly text: Buffer;

  constructor(slots: number) {
    this.last = new Float64Array(slots).fill(Number.NaN);
    this.length = new Uint8Array(slots);
    this.text = Buffer.alloc(slots * MAX_NUMBER_BYTES);
  }

  /** Writes `v` as putNumber does, into `buf` at `off`, for slot `slot`; returns the offset after it. */
  put(buf: Buffer, off: number, slot: number, v: number): number {
    // Small integers (most counters) are cheaper to write than to look up; the slot keeps its older text.
    if (v >= 0 && v < 2147483648 && (v | 0) === v) return putSmallInt(buf, off, v);
    const text = this.text;
    let at = slot * MAX_NUMBER_BYTES;
    // 0 and -0 compare equal and both print `0`; NaN never does and is written anew.
    if (this.last[slot] === v) {
      const end = at + (this.length[slot] as number);
      while (at < end) buf[off++] = text[at++] as number;
      return off;
    }
    const start = off;
    off = putNumber(buf, off, v);
    for (let i = start; i < off; i++) text[at++] = buf[i] as number;
    this.last[slot] = v;
    this.length[slot] = off - start;
    return off;
  }
}
