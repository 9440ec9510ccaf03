/**
 * Fault behaviour of the datagram sender with real peers: a UNIX datagram receiver that dies (stale socket
 * file), vanishes (no file) and returns; one that stops reading (EAGAIN); a UDP receiver whose port closes
 * (ICMP port unreachable) and opens again. Every line pushed is either delivered or counted as dropped.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { healthStats } from '../../../src/health.js';
import { memoryLogger } from '../../../src/support/log.js';
import { Registry } from '../../../src/registry/index.js';
import { DatagramSender } from '../../../src/sinks/push/datagram-sender.js';
import { UdpTransport, UnixTransport, type DatagramTransport } from '../../../src/sinks/push/datagram-transport.js';
import { waitFor } from '../../helpers/cli.js';
import { udpReceiver, unixReceiver } from '../../helpers/datagram-peers.js';
import { hasCommand, needPeer } from '../../helpers/peers.js';

const dg = (text: string): { buf: Buffer; lines: number } => ({ buf: Buffer.from(text, 'latin1'), lines: text.split('\n').length });

// probeMs is generous so a loaded machine's event-loop delay is not mistaken for a silent (recovered) peer.
async function setup(transport: DatagramTransport, queueSize: number) {
  await transport.open();
  const registry = new Registry();
  const dropped = registry.family(healthStats.stats.sink_dropped).with({ sink: 'test' });
  const log = memoryLogger();
  const sender = new DatagramSender({ name: 'test', transport, queueSize, log, dropped, retryBaseMs: 20, retryMaxMs: 60, probeMs: 300 });
  return { sender, dropped, log };
}

function tmp(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'scx-sender-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('sender: push() returns before anything is sent; the drain runs on a later turn', async (t) => {
  if (!needPeer(t, hasCommand('python3'), 'python3 (the UNIX datagram receiver)')) return;
  const path = join(tmp(t), 'peer.sock');
  const peer = await unixReceiver(path);
  t.after(() => peer.kill());
  const { sender } = await setup(new UnixTransport(path), 8);
  sender.push(dg('a:1|c'));
  assert.equal(sender.sentDatagrams, 0, 'push must not send (the UNIX send is a synchronous syscall)');
  await sender.idle();
  assert.equal(sender.sentDatagrams, 1);
  await waitFor(() => peer.datagrams.length === 1, 10_000, 'the datagram');
  await sender.close(100);
});

test('sender: a UNIX peer that dies and comes back: held datagrams arrive in order, the overflow is dropped and counted, logged once per interval', async (t) => {
  if (!needPeer(t, hasCommand('python3'), 'python3 (the UNIX datagram receiver)')) return;
  const path = join(tmp(t), 'peer.sock');
  const peer = await unixReceiver(path);
  t.after(() => peer.kill());
  const { sender, dropped, log } = await setup(new UnixTransport(path), 5);

  sender.push(dg('before'));
  await sender.idle();
  await waitFor(() => peer.datagrams.length === 1, 10_000, 'the first datagram');

  await peer.kill(); // its socket file stays behind: ECONNREFUSED
  sender.push(dg('p0'));
  await tick();
  await tick();
  assert.equal(sender.up, false, 'a refused send marks the peer down');
  for (let i = 1; i < 10; i++) sender.push(dg(`p${i}`));
  // p0 is held for retry; the queue (5) keeps p5..p9; p1..p4 were dropped.
  assert.equal(sender.pending, 6);
  assert.equal(dropped.value, 4);
  sender.endInterval();
  sender.endInterval(); // nothing new: no second line
  assert.equal(log.lines.filter((l) => l.includes('dropped 4 lines in the last interval')).length, 1);
  assert.equal(log.lines.filter((l) => l.includes('is not receiving (ECONNREFUSED')).length, 1);

  // Now the file goes too (ENOENT) while retries continue; then the peer returns on the same path.
  unlinkSync(path);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(sender.up, false);
  await peer.restart();
  await waitFor(() => sender.up && sender.pending === 0, 10_000, 'the sender to recover and drain');
  await waitFor(() => peer.datagrams.length === 7, 10_000, 'the held datagrams');
  assert.deepEqual(peer.datagrams, ['before', 'p0', 'p5', 'p6', 'p7', 'p8', 'p9']);
  assert.ok(log.lines.some((l) => l.includes('is receiving again')));
  assert.equal(dropped.value, 4);
  await sender.close(100);
});

test('sender: a UNIX peer that stops reading (EAGAIN): nothing blocks, everything is delivered or counted', async (t) => {
  if (!needPeer(t, hasCommand('python3'), 'python3 (the UNIX datagram receiver)')) return;
  const path = join(tmp(t), 'peer.sock');
  const peer = await unixReceiver(path);
  t.after(() => peer.kill());
  const { sender, dropped } = await setup(new UnixTransport(path), 16);
  peer.pause();
  const line = 'x'.repeat(2000);
  const total = 2000;
  for (let i = 0; i < total; i++) {
    sender.push(dg(`${i}:${line}`));
    if (i % 50 === 49) await tick();
  }
  await waitFor(() => !sender.up, 10_000, 'the full receive queue to push back');
  assert.ok(dropped.value > 0, 'the bounded queue dropped what did not fit');
  peer.resume();
  await waitFor(() => sender.up && sender.pending === 0, 20_000, 'the sender to drain');
  await waitFor(() => peer.datagrams.length + dropped.value === total, 20_000, 'every datagram delivered or counted');
  // What arrived is in order and includes the newest.
  const ids = peer.datagrams.map((d) => Number(d.split(':')[0]));
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
  assert.equal(ids[ids.length - 1], total - 1);
  await sender.close(100);
});

test('sender: a UDP peer whose port closes (ICMP) and reopens: probes, counts what was refused, recovers', async (t) => {
  let rx = await udpReceiver();
  const port = rx.port;
  t.after(() => rx.close());
  const { sender, dropped, log } = await setup(new UdpTransport('127.0.0.1', port), 4);
  let pushed = 0;
  const push = (s: string): void => {
    pushed++;
    sender.push(dg(s));
  };
  push('u0');
  await sender.idle();
  await waitFor(() => rx.datagrams.length === 1, 10_000, 'the first datagram');
  await rx.close();

  push('u1'); // sent, refused by ICMP
  await waitFor(() => !sender.up, 10_000, 'the ICMP error to mark the peer down');
  assert.equal(dropped.value, 1, 'the datagram the ICMP error reports is counted');
  assert.ok(log.lines.some((l) => l.includes(`udp://127.0.0.1:${port} is not receiving (ECONNREFUSED`)));
  for (let i = 2; i < 12; i++) push(`u${i}`);
  await new Promise((r) => setTimeout(r, 200)); // let a few probes fail
  assert.equal(sender.up, false);

  rx = await udpReceiver(port);
  // Probes may have used up the queue; the next interval's datagram probes again.
  push('u12');
  await waitFor(() => sender.up && sender.pending === 0, 10_000, 'the sender to recover and drain');
  await sender.idle();
  await waitFor(() => rx.datagrams.length + 1 + dropped.value === pushed, 10_000, 'every datagram delivered or counted');
  const got = rx.datagrams.map((d) => d.toString());
  assert.equal(got[got.length - 1], 'u12', 'the newest arrives');
  assert.ok(dropped.value >= 1 + (10 - 4 - 1), 'the queue overflow while down is counted too');
  await sender.close(100);
});

test('sender: close() with a dead peer gives up at the deadline, counting what it held', async (t) => {
  const path = join(tmp(t), 'nobody.sock');
  const { sender, dropped, log } = await setup(new UnixTransport(path), 10);
  for (let i = 0; i < 5; i++) sender.push(dg('a:1|c\nb:2|c'));
  await tick();
  await sender.close(50);
  assert.equal(dropped.value, 10, '5 datagrams of 2 lines each');
  assert.ok(log.lines.some((l) => l.includes('shutdown deadline of 50 ms')));
  sender.push(dg('late'));
  assert.equal(dropped.value, 11, 'after close, pushes are dropped and counted');
});

test('transport: a UDP address the kernel will not connect to fails open(), naming the peer and the errno', async () => {
  // Broadcast without SO_BROADCAST (EACCES); link-local IPv6 without a scope id (EINVAL).
  await assert.rejects(new UdpTransport('255.255.255.255', 8125).open(), /^Error: udp:\/\/255\.255\.255\.255:8125: cannot connect .*: EACCES$/);
  await assert.rejects(new UdpTransport('fe80::1', 8125).open(), /^Error: udp:\/\/\[fe80::1\]:8125: cannot connect .*: EINVAL$/);
});

test('sender: a transport whose send throws (a closed dgram socket) has its datagrams dropped and counted, not thrown from the drain', async () => {
  // A real socket, closed: node:dgram throws ERR_SOCKET_DGRAM_NOT_RUNNING synchronously from send().
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  const throwing: DatagramTransport = {
    peer: 'udp://closed',
    confirmsDelivery: false,
    onPeerError: undefined,
    open: () => Promise.resolve(),
    send: (buf, done) => socket.send(buf, 9, '127.0.0.1', (err) => done(err === null ? null : 'E')),
    close: () => undefined,
  };
  const { sender, dropped, log } = await setup(throwing, 8);
  sender.push(dg('a:1|c'));
  sender.push(dg('b:1|c\nc:2|c'));
  await sender.idle();
  assert.equal(dropped.value, 3);
  assert.equal(sender.sentDatagrams, 0);
  assert.ok(log.lines.some((l) => l.includes('ERR_SOCKET_DGRAM_NOT_RUNNING')), log.lines.join('\n'));
  await sender.close(50);
});
