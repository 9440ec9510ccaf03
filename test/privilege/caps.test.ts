/** Capability names, masks and the /proc/<pid>/status reader behind --user and --keep-caps. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CAP_NAMES, FOLLOW_CAPS, capMask, capNames, capNumber, parseCapList, parseStatusCreds } from '../../src/privilege/caps.js';

test("the name table covers this kernel's capabilities (cap_last_cap), in the uapi's numbering", () => {
  const last = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
  assert.ok(CAP_NAMES.length >= last + 1, `the kernel knows ${last + 1} capabilities, the table ${CAP_NAMES.length}`);
  assert.equal(capNumber('CAP_SYS_ADMIN'), 21);
  assert.equal(capNumber('perfmon'), 38);
  assert.equal(capNumber('bpf'), 39);
  assert.equal(capNumber('CAP_FLY'), undefined);
});

test('--keep-caps values: names in any case with or without CAP_, none, duplicates once; a bad name is named', () => {
  assert.deepEqual(parseCapList('none'), []);
  assert.deepEqual(parseCapList('bpf, CAP_PERFMON,cap_bpf'), ['CAP_BPF', 'CAP_PERFMON']);
  assert.throws(() => parseCapList('CAP_BPF,nope'), /"nope" is not a capability name \(expected e\.g\. CAP_BPF,CAP_PERFMON, or none\)/);
  assert.throws(() => parseCapList(''), /"" is not a capability name/);
});

test('masks: the follow set is bits 2, 19, 21, 38, 39 and names round-trip', () => {
  assert.equal(capMask(FOLLOW_CAPS).toString(16), 'c000280004');
  assert.deepEqual(capNames(capMask(FOLLOW_CAPS)), ['CAP_DAC_READ_SEARCH', 'CAP_SYS_PTRACE', 'CAP_SYS_ADMIN', 'CAP_PERFMON', 'CAP_BPF']);
  assert.deepEqual(capNames(1n << 63n), ['cap_63']);
});

test("/proc/self/status: this process's ids and sets", () => {
  const c = parseStatusCreds(readFileSync('/proc/self/status', 'utf8'));
  assert.equal(c.uid, process.geteuid?.());
  assert.equal(c.gid, process.getegid?.());
  assert.ok((c.effective & ~c.permitted) === 0n, 'effective is within permitted');
  assert.throws(() => parseStatusCreds('Name: x\n'), /no Uid line/);
});
