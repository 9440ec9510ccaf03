import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnixDatagramSender, errnoName } from '../../src/sinks/unix-dgram.js';
import { unixReceiver } from '../helpers/datagram-peers.js';
import { hasCommand, needPeer } from '../helpers/peers.js';
import { waitFor } from '../helpers/cli.js';

test('unix-dgram: sends datagrams a real receiver gets byte for byte; reports a missing, dead and returning peer', async (t) => {
  if (!needPeer(t, hasCommand('python3'), 'python3 (the UNIX datagram receiver)')) return;
  const dir = mkdtempSync(join(tmpdir(), 'scx-udg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'peer.sock');
  const sender = new UnixDatagramSender(path);
  t.after(() => sender.close());

  // No socket file yet.
  assert.equal(sender.send(Buffer.from('x')), 'ENOENT');

  const peer = await unixReceiver(path);
  t.after(() => peer.kill());
  const payload = Buffer.from('c:one:1\nC:two,k=v:2\n\u00e9', 'latin1');
  assert.equal(sender.send(payload), undefined);
  assert.equal(sender.send(Buffer.from('abcdef'), 3), undefined);
  await waitFor(() => peer.datagrams.length === 2, 10_000, 'two datagrams');
  assert.deepEqual(peer.datagrams, [payload.toString('latin1'), 'abc']);

  // The peer dies: its file stays, nothing receives.
  await peer.kill();
  assert.equal(sender.send(Buffer.from('lost')), 'ECONNREFUSED');
  // And comes back on the same path: the same unconnected socket reaches it.
  await peer.restart();
  assert.equal(sender.send(Buffer.from('again')), undefined);
  await waitFor(() => peer.datagrams.length === 3, 10_000, 'the datagram after the restart');
  assert.equal(peer.datagrams[2], 'again');

  // A path that is a regular file is no socket.
  await peer.kill();
  unlinkSync(path);
  writeFileSync(path, 'not a socket');
  assert.equal(sender.send(Buffer.from('x')), 'ECONNREFUSED');

  sender.close();
  assert.equal(sender.closed, true);
  assert.equal(sender.send(Buffer.from('x')), 'EBADF');
});

test('unix-dgram: a receive queue that fills answers EAGAIN instead of blocking', async (t) => {
  if (!needPeer(t, hasCommand('python3'), 'python3 (the UNIX datagram receiver)')) return;
  const dir = mkdtempSync(join(tmpdir(), 'scx-udg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'peer.sock');
  const peer = await unixReceiver(path);
  t.after(() => peer.kill());
  peer.pause();
  const sender = new UnixDatagramSender(path);
  t.after(() => sender.close());
  const big = Buffer.alloc(4096, 0x61);
  let result: string | undefined;
  let sent = 0;
  for (let i = 0; i < 100_000 && result === undefined; i++) {
    result = sender.send(big);
    if (result === undefined) sent++;
  }
  assert.equal(result, 'EAGAIN');
  assert.ok(sent > 0, 'some datagrams fit before the queue filled');
  peer.resume();
  await waitFor(() => peer.datagrams.length === sent, 20_000, `the ${sent} queued datagrams`);
  assert.equal(sender.send(big), undefined, 'sends again once the peer reads');
});

test('unix-dgram: bad paths are refused with a message', () => {
  assert.throws(() => new UnixDatagramSender(''), /1\.\.107 bytes/);
  assert.throws(() => new UnixDatagramSender(`/tmp/${'x'.repeat(120)}`), /1\.\.107 bytes/);
  assert.throws(() => new UnixDatagramSender('/tmp/a\u0000b'), /NUL/);
  assert.equal(errnoName(2), 'ENOENT');
});
