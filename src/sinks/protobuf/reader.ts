/**
 * A minimal protobuf wire-format reader: enough to walk a small response message (OTLP's partial success)
 * field by field, skipping what the caller does not know. Malformed input throws ProtoError.
 */
import { WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from './writer.js';

export class ProtoError extends Error {
  override name = 'ProtoError';
}

export class ProtoReader {
  private pos = 0;
  private readonly end: number;
  constructor(private readonly buf: Uint8Array) {
    this.end = buf.length;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** A varint as a number (exact below 2^53). */
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtoError('truncated varint');
      const b = this.buf[this.pos++] as number;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 0x80;
    }
    throw new ProtoError('varint longer than 10 bytes');
  }

  /** The next field key, as [field number, wire type]. */
  key(): [number, number] {
    const k = this.varint();
    return [Math.floor(k / 8), k & 7];
  }

  /** The bytes of a length-delimited field (a view, not a copy). */
  bytes(): Uint8Array {
    const len = this.varint();
    if (this.pos + len > this.end) throw new ProtoError(`length ${len} runs past the end of the message`);
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  string(): string {
    return new TextDecoder().decode(this.bytes());
  }

  /** Skips a field's value of the given wire type. */
  skip(wire: number): void {
    if (wire === WIRE_VARINT) this.varint();
    else if (wire === WIRE_I64) this.advance(8);
    else if (wire === WIRE_LEN) this.bytes();
    else if (wire === WIRE_I32) this.advance(4);
    else throw new ProtoError(`unsupported wire type ${wire}`);
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) throw new ProtoError('truncated fixed-width field');
    this.pos += n;
  }
}
