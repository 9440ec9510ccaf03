/**
 * Packs text lines into datagrams of at most `maxBytes`, separated by `\n` (no trailing newline), the
 * multi-metric packet form StatsD, DogStatsD and spectatord all accept. A unit may hold several lines that must
 * travel together (a StatsD negative gauge is `0` then the value); it is never split across datagrams. Units
 * must be ASCII (the encoders sanitise names and tags to ASCII), so string length is byte length.
 */
import type { Datagram } from './datagram-sender.js';

export class DatagramPacker {
  private readonly maxBytes: number;
  private readonly emit: (d: Datagram) => void;
  private readonly tooLarge: (unit: string, lines: number) => void;
  private text = '';
  private lines = 0;

  /**
   * @param emit receives each full datagram
   * @param tooLarge receives a unit longer than `maxBytes` on its own; it is not sent
   */
  constructor(maxBytes: number, emit: (d: Datagram) => void, tooLarge: (unit: string, lines: number) => void) {
    if (!(Number.isInteger(maxBytes) && maxBytes >= 1)) throw new RangeError(`datagram size must be a positive integer, got ${maxBytes}`);
    this.maxBytes = maxBytes;
    this.emit = emit;
    this.tooLarge = tooLarge;
  }

  /** Adds a unit of `lines` lines (joined by `\n` inside `unit`). */
  add(unit: string, lines = 1): void {
    if (unit.length > this.maxBytes) {
      this.tooLarge(unit, lines);
      return;
    }
    if (this.lines > 0) {
      if (this.text.length + 1 + unit.length <= this.maxBytes) {
        this.text += '\n' + unit;
        this.lines += lines;
        return;
      }
      this.end();
    }
    this.text = unit;
    this.lines = lines;
  }

  /** Emits the datagram being filled, if any. */
  end(): void {
    if (this.lines === 0) return;
    this.emit({ buf: Buffer.from(this.text, 'latin1'), lines: this.lines });
    this.text = '';
    this.lines = 0;
  }
}
