// ProcessWindow and processVmRead against real process_vm_readv(2) calls: this process's own memory (allowed
// to any user) and a child node process's (needs the ptrace-read right: root here), and the errors the source
// treats as a reader gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import koffi from 'koffi';
import { ProcessWindow } from '../../../src/sources/bpf/process-window.js';
import { BpfError, processVmRead } from '../../../src/sources/bpf/sys.js';
import { needRoot } from '../../helpers/peers.js';

test("process_vm_readv of this process's own Buffer: each read() copies the bytes as they are now", () => {
  const src = Buffer.alloc(64);
  src.writeBigUInt64LE(0x1122334455667788n, 8);
  const w = new ProcessWindow(process.pid, koffi.address(src) + 8n, 16);
  assert.equal(w.read().readBigUInt64LE(0), 0x1122334455667788n);
  src.writeBigUInt64LE(42n, 16);
  assert.equal(w.read().readBigUInt64LE(8), 42n);
  w.close();
  assert.throws(() => w.read(), /closed/);
});

test('process_vm_readv: nothing mapped there is EFAULT, a gone process ESRCH', async () => {
  assert.throws(() => processVmRead(process.pid, 8n, Buffer.alloc(8)), (e: unknown) => e instanceof BpfError && e.code === 'EFAULT');
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  const pid = child.pid as number;
  await once(child, 'exit');
  // Reaped: the pid is free (a reuse within these microseconds would fail differently, not pass).
  assert.throws(() => new ProcessWindow(pid, 0x1000n, 8), (e: unknown) => e instanceof BpfError && (e.code === 'ESRCH' || e.code === 'EFAULT'));
});

test("process_vm_readv of a child node process's Buffer, found by the address it prints", async (t) => {
  if (!needRoot(t)) return;
  const code = `
    const koffi = require(${JSON.stringify(koffiEntry())});
    const b = Buffer.alloc(32); b.writeBigUInt64LE(7777n, 0);
    globalThis.keep = b;
    process.stdout.write(koffi.address(b).toString() + '\\n');
    process.stdin.on('data', () => { b.writeBigUInt64LE(8888n, 0); process.stdout.write('ok\\n'); });
    process.stdin.on('end', () => process.exit(0));`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const lines = linesOf(child.stdout);
    const addr = BigInt((await lines.next()).value as string);
    const w = new ProcessWindow(child.pid as number, addr, 8);
    assert.equal(w.read().readBigUInt64LE(0), 7777n);
    child.stdin.write('x');
    assert.equal((await lines.next()).value, 'ok');
    assert.equal(w.read().readBigUInt64LE(0), 8888n);
    child.stdin.end();
    await once(child, 'exit');
    assert.throws(() => w.read(), (e: unknown) => e instanceof BpfError && e.code === 'ESRCH');
  } finally {
    child.kill('SIGKILL');
  }
});

/** koffi's resolved entry, so the child (run with -e, from no directory of its own) loads the same module. */
function koffiEntry(): string {
  return import.meta.resolve('koffi').replace(/^file:\/\//, '');
}

async function* linesOf(stream: NodeJS.ReadableStream): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of stream) {
    rest += String(chunk);
    let i;
    while ((i = rest.indexOf('\n')) >= 0) {
      yield rest.slice(0, i);
      rest = rest.slice(i + 1);
    }
  }
}
