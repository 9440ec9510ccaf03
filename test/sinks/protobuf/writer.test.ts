import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { ProtoWriter, varintSize } from '../../../src/sinks/protobuf/writer.js';
import { ProtoReader } from '../../../src/sinks/protobuf/reader.js';

// protobufjs' own writer (the runtime of the official generated OTLP code) is the reference for wire bytes.
interface PbWriter {
  uint64(v: number): PbWriter;
  double(v: number): PbWriter;
  fixed64(v: number): PbWriter;
  bytes(v: Uint8Array): PbWriter;
  finish(): Uint8Array;
}
const pb = createRequire(import.meta.url)('protobufjs/minimal') as { Writer: { create(): PbWriter } };
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const values = [0, 1, 127, 128, 300, 16383, 16384, 2 ** 21 - 1, 2 ** 21, 2 ** 28, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 35, 2 ** 49 + 3, 2 ** 53 - 1];

test('varints match protobufjs byte for byte, and varintSize agrees', () => {
  for (const v of values) {
    const w = new ProtoWriter(1);
    w.varint(v);
    const ours = w.finish();
    assert.equal(hex(ours), hex(pb.Writer.create().uint64(v).finish()), `varint ${v}`);
    assert.equal(varintSize(v), ours.length, `varintSize ${v}`);
    assert.equal(new ProtoReader(ours).varint(), v);
  }
});

test('doubles and fixed64 match protobufjs', () => {
  for (const v of [0, -0, 1.5, -2.25, Number.MAX_VALUE, Number.MIN_VALUE, Infinity]) {
    const w = new ProtoWriter(1);
    w.double(v);
    assert.equal(hex(w.finish()), hex(pb.Writer.create().double(v).finish()), `double ${v}`);
  }
  for (const v of [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1]) {
    const w = new ProtoWriter(1);
    w.fixed64(v);
    assert.equal(hex(w.finish()), hex(pb.Writer.create().fixed64(v).finish()), `fixed64 ${v}`);
  }
});

test('nested messages: lengths of 1, 2 and 3 bytes shift the body correctly', () => {
  for (const size of [0, 127, 128, 16383, 16384, 70000]) {
    const body = new Uint8Array(size).map((_, i) => i & 0xff);
    const w = new ProtoWriter(4);
    w.key(1, 2);
    const m = w.begin();
    w.raw(body);
    w.end(m);
    const expected = pb.Writer.create().uint64(0x0a).bytes(body).finish();
    assert.equal(hex(w.finish()), hex(expected), `nested ${size}`);
  }
});
