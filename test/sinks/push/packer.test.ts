import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DatagramPacker } from '../../../src/sinks/push/packer.js';
import type { Datagram } from '../../../src/sinks/push/datagram-sender.js';

function pack(max: number, units: readonly (string | [string, number])[]): { out: string[]; lines: number[]; tooLarge: string[] } {
  const got: Datagram[] = [];
  const tooLarge: string[] = [];
  const p = new DatagramPacker(max, (d) => got.push(d), (u) => tooLarge.push(u));
  for (const u of units) {
    if (typeof u === 'string') p.add(u);
    else p.add(u[0], u[1]);
  }
  p.end();
  return { out: got.map((d) => d.buf.toString('latin1')), lines: got.map((d) => d.lines), tooLarge };
}

test('packer: fills each datagram up to the limit exactly, newline-separated, no trailing newline', () => {
  // "aaaa\nbbbb" is 9 bytes: fits 9, not 8.
  assert.deepEqual(pack(9, ['aaaa', 'bbbb', 'cc']).out, ['aaaa\nbbbb', 'cc']);
  assert.deepEqual(pack(8, ['aaaa', 'bbbb', 'cc']).out, ['aaaa', 'bbbb\ncc']);
  assert.deepEqual(pack(100, []).out, []);
  for (const max of [5, 17, 64]) {
    const units = Array.from({ length: 50 }, (_, i) => 'x'.repeat(1 + (i % 5)));
    const { out } = pack(max, units);
    assert.ok(out.every((d) => d.length <= max), `a datagram exceeds ${max}`);
    assert.deepEqual(out.flatMap((d) => d.split('\n')), units, 'every unit once, in order');
  }
});

test('packer: a multi-line unit stays in one datagram and counts its lines; an oversized unit is refused', () => {
  const r = pack(12, ['a:1|c', ['g:0|g\ng:-1|g', 2], 'b:2|c', 'x'.repeat(13)]);
  assert.deepEqual(r.out, ['a:1|c', 'g:0|g\ng:-1|g', 'b:2|c']);
  assert.deepEqual(r.lines, [1, 2, 1]);
  assert.deepEqual(r.tooLarge, ['x'.repeat(13)]);
  assert.throws(() => new DatagramPacker(0, () => undefined, () => undefined), RangeError);
});
