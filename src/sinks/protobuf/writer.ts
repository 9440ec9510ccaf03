/**
 * A small protobuf wire-format writer for the push sinks' hot paths (OTLP, remote_write). It knows the wire
 * types and nothing about any message: encoders call it field by field, in field-number order, so output is
 * canonical (what protoc-generated code writes) and golden tests can compare bytes.
 *
 * Nested messages reserve one length byte and shift the body when the length needs more (most nested
 * messages here, data points and labels, are under 128 bytes). The buffer is reused across encodes; `finish()`
 * copies the result out.
 */

/** Wire types (protobuf encoding spec). */
export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

const TWO_32 = 0x1_0000_0000;
const utf8 = new TextEncoder();

/** The bytes of a field key (field number and wire type), for encoders that precompute their tags. */
export function tag(field: number, wire: number): number {
  return (field << 3) | wire;
}

/** Encodes a string as UTF-8 once, for caches of names and label values. */
export function utf8Bytes(s: string): Uint8Array {
  return utf8.encode(s);
}

/** Bytes a varint of `n` (0 <= n < 2^53) takes. */
export function varintSize(n: number): number {
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x20_0000) return 3;
  if (n < 0x1000_0000) return 4;
  let size = 5;
  for (let v = Math.floor(n / 0x8_0000_0000); v > 0; v = Math.floor(v / 0x80)) size++;
  return size;
}

export class ProtoWriter {
  private buf: Uint8Array;
  private view: DataView;
  /** Bytes written so far. */
  pos = 0;

  constructor(initialSize = 64 * 1024) {
    this.buf = new Uint8Array(initialSize);
    this.view = new DataView(this.buf.buffer);
  }

  /** Starts a new message, keeping the buffer. */
  reset(): void {
    this.pos = 0;
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** A varint for 0 <= n < 2^53 (uint32, uint64, int64 of a non-negative value, bool, enum). */
  varint(n: number): void {
    this.ensure(10);
    const b = this.buf;
    let p = this.pos;
    if (n < TWO_32) {
      let v = n >>> 0;
      while (v > 0x7f) {
        b[p++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      b[p++] = v;
    } else {
      let v = n;
      while (v >= 0x80) {
        b[p++] = (v % 0x80) | 0x80;
        v = Math.floor(v / 0x80);
      }
      b[p++] = v;
    }
    this.pos = p;
  }

  /** A field key; fields below 16 with any wire type fit one byte. */
  key(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  /** A little-endian IEEE 754 double (wire type I64). */
  double(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  /** A fixed64 from a non-negative integer below 2^53 (counts). */
  fixed64(n: number): void {
    this.ensure(8);
    if (n < TWO_32) {
      this.view.setUint32(this.pos, n, true);
      this.view.setUint32(this.pos + 4, 0, true);
    } else {
      this.view.setUint32(this.pos, n % TWO_32, true);
      this.view.setUint32(this.pos + 4, Math.floor(n / TWO_32), true);
    }
    this.pos += 8;
  }

  /** A one-byte key (field < 16) and a double: the hot paths' value fields, with one bounds check. */
  doubleField(key: number, v: number): void {
    this.ensure(9);
    this.buf[this.pos] = key;
    this.view.setFloat64(this.pos + 1, v, true);
    this.pos += 9;
  }

  /** A one-byte key (field < 16) and a fixed64 given as 32-bit halves (timestamps), with one bounds check. */
  fixed64Field(key: number, lo: number, hi: number): void {
    this.ensure(9);
    const p = this.pos;
    this.buf[p] = key;
    this.view.setUint32(p + 1, lo, true);
    this.view.setUint32(p + 5, hi, true);
    this.pos = p + 9;
  }

  /** A fixed64 given as its two 32-bit halves (timestamps in nanoseconds exceed 2^53). */
  fixed64Parts(lo: number, hi: number): void {
    this.ensure(8);
    this.view.setUint32(this.pos, lo, true);
    this.view.setUint32(this.pos + 4, hi, true);
    this.pos += 8;
  }

  /** Raw bytes, already encoded (cached label or attribute blocks). */
  raw(bytes: Uint8Array): void {
    const n = bytes.length;
    this.ensure(n);
    const b = this.buf;
    let p = this.pos;
    // Cached blocks are short; a loop beats TypedArray.set's call overhead below a few dozen bytes.
    if (n < 32) for (let i = 0; i < n; i++) b[p++] = bytes[i] as number;
    else {
      b.set(bytes, p);
      p += n;
    }
    this.pos = p;
  }

  /** A length-delimited field holding `bytes`. */
  bytesField(field: number, bytes: Uint8Array): void {
    this.key(field, WIRE_LEN);
    this.varint(bytes.length);
    this.raw(bytes);
  }

  /** A string field (UTF-8). ASCII, the usual case for names and label values, is copied char by char. */
  stringField(field: number, s: string): void {
    const n = s.length;
    let ascii = n < 0x80;
    for (let i = 0; ascii && i < n; i++) if (s.charCodeAt(i) > 0x7f) ascii = false;
    if (!ascii) {
      this.bytesField(field, utf8.encode(s));
      return;
    }
    this.key(field, WIRE_LEN);
    this.ensure(1 + n);
    const b = this.buf;
    let p = this.pos;
    b[p++] = n;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** Opens a nested message (after its key): reserves one length byte. Returns the mark for `end`. */
  begin(): number {
    this.ensure(1);
    return this.pos++;
  }

  /** Closes the nested message opened at `mark`: writes its length, shifting the body when it needs more bytes. */
  end(mark: number): void {
    const len = this.pos - mark - 1;
    if (len < 0x80) {
      this.buf[mark] = len;
      return;
    }
    const size = varintSize(len);
    this.ensure(size - 1);
    this.buf.copyWithin(mark + size, mark + 1, this.pos);
    this.pos += size - 1;
    let p = mark;
    let v = len;
    while (v > 0x7f) {
      this.buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[p] = v;
  }

  /** A copy of what was written. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  /** What was written, as a view valid until the next write. */
  written(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

// Cached blocks are many and small; carving them out of shared slabs spares the allocator and the GC one
// ArrayBuffer each.
const SLAB_SIZE = 64 * 1024;
let slab = new Uint8Array(SLAB_SIZE);
let slabPos = 0;

function keep(bytes: Uint8Array): Uint8Array {
  const n = bytes.length;
  if (n > SLAB_SIZE / 16) return bytes.slice();
  if (slabPos + n > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE);
    slabPos = 0;
  }
  const out = slab.subarray(slabPos, slabPos + n);
  out.set(bytes);
  slabPos += n;
  return out;
}

let scratch: ProtoWriter | undefined;

/**
 * A one-off encode of a small message (the blocks encoders cache): runs `fill` on a reused scratch writer and
 * returns a copy of its bytes. Safe to nest: a nested call gets a writer of its own.
 */
export function encodeOnce(fill: (w: ProtoWriter) => void): Uint8Array {
  const w = scratch ?? new ProtoWriter(4096);
  scratch = undefined;
  try {
    w.reset();
    fill(w);
    return keep(w.written());
  } finally {
    scratch = w;
  }
}
