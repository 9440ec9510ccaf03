import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Asm, AsmError, Helper, R0, R1, R2, R7, R10 } from '../../../src/sources/probe/asm.js';
import { latencyBucket, LATENCY_BOUNDS, LATENCY_MIN_EXP } from '../../../src/sources/probe/programs.js';

const hex = (b: Buffer): string[] => Array.from({ length: b.length / 8 }, (_, i) => b.subarray(i * 8, i * 8 + 8).toString('hex'));

test('encodes the per-CPU counter program byte for byte (the encodings the feasibility probe loaded)', () => {
  // *(u32 *)(r10 - 4) = 3; r2 = r10; r2 += -4; r1 = map fd 7; call lookup; if r0 == 0 goto +3;
  // r1 = *(u64 *)(r0 + 0); r1 += 1; *(u64 *)(r0 + 0) = r1; r0 = 0; exit
  const a = new Asm()
    .stW(R10, -4, 3)
    .mov(R2, R10)
    .addImm(R2, -4)
    .ldMapFd(R1, 7)
    .call(Helper.mapLookupElem)
    .jeqImm(R0, 0, 'done')
    .ldxDw(R1, R0, 0)
    .addImm(R1, 1)
    .stxDw(R0, 0, R1)
    .label('done')
    .movImm(R0, 0)
    .exit();
  assert.deepEqual(hex(a.assemble()), [
    '620afcff03000000',
    'bfa2000000000000',
    '07020000fcffffff',
    '1811000007000000', // ld_imm64, src_reg 1 = BPF_PSEUDO_MAP_FD
    '0000000000000000',
    '8500000001000000',
    '1500030000000000', // jump over 3 slots
    '7901000000000000',
    '0701000001000000',
    '7b10000000000000',
    'b700000000000000',
    '9500000000000000',
  ]);
});

test('labels resolve backwards and across 64-bit loads; bad operands throw', () => {
  const a = new Asm().label('top').ldMapFd(R1, 3).ja('top').jgt(R1, R2, 'end').label('end').exit();
  const b = a.assemble();
  assert.equal(b.readInt16LE(2 * 8 + 2), -3, 'ja back over itself and the two-slot load');
  assert.equal(b.readInt16LE(3 * 8 + 2), 0, 'jgt to the next instruction');
  assert.equal(b.readUInt8(3 * 8 + 1), (R2 << 4) | R1, 'dst in the low nibble, src in the high');
  assert.throws(() => new Asm().ja('nowhere').assemble(), /unknown label "nowhere"/);
  assert.throws(() => new Asm().label('x').label('x'), /placed twice/);
  assert.throws(() => new Asm().movImm(11, 0), AsmError);
  assert.throws(() => new Asm().movImm(R0, 2 ** 31), /immediate 2147483648 is outside/);
  assert.throws(() => new Asm().ldxDw(R0, R1, 40000), /offset 40000 is outside/);
});

test('latency buckets: ceil(log2 ns) from 2^MIN, so each value sits in the first bucket whose bound holds it', () => {
  const bound = (i: number): bigint => 1n << BigInt(LATENCY_MIN_EXP + i);
  assert.equal(latencyBucket(0n), 0);
  assert.equal(latencyBucket(1n), 0);
  assert.equal(latencyBucket(bound(0)), 0);
  assert.equal(latencyBucket(bound(0) + 1n), 1);
  for (let i = 1; i < LATENCY_BOUNDS; i++) {
    assert.equal(latencyBucket(bound(i)), i, `2^${LATENCY_MIN_EXP + i} is in bucket ${i}`);
    assert.equal(latencyBucket(bound(i - 1) + 1n), i);
  }
  assert.equal(latencyBucket(bound(LATENCY_BOUNDS - 1) + 1n), LATENCY_BOUNDS, 'past the last bound: +Inf');
  assert.equal(latencyBucket(1n << 63n), LATENCY_BOUNDS);
});

test('encodes the shift and register-compare the latency program uses', () => {
  // r7 <<= 3; if r1 != r2 goto +1; r0 = *(u32 *)(r7 + 2528); exit
  const a = new Asm().lshImm(R7, 3).jne(R1, R2, 'end').ldxW(R0, R7, 2528).label('end').exit();
  assert.deepEqual(hex(a.assemble()), ['6707000003000000', '5d21010000000000', '6170e00900000000', '9500000000000000']);
});
