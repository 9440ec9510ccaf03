import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from '../../../src/agent.js';
import { counter, defineStats } from '../../../src/declare/index.js';
import { healthStats } from '../../../src/health.js';
import { memoryLogger } from '../../../src/support/log.js';
import type { Registry } from '../../../src/registry/index.js';
import { Backoff } from '../../../src/sinks/push/queue.js';
import { RemoteWriteSink, type RemoteWriteSinkOptions } from '../../../src/sinks/remote-write/sink.js';
import { snappyUncompress } from '../../../src/sinks/remote-write/snappy.js';
import { decodeWriteRequest, seriesKey } from '../../helpers/prompb.js';
import { type Responder, startBlackHole, startHttpPeer, until } from '../../helpers/http-peer.js';

const stats = defineStats({ name: 't', help: 't', prefix: 'scx', stats: { dispatched: counter({ help: 'd', labels: { cpu: String } }) } });

function setup(url: string, opts: Partial<Omit<RemoteWriteSinkOptions, 'url'>> = {}) {
  const log = memoryLogger();
  const sink = new RemoteWriteSink({ url: new URL(url), backoff: new Backoff(20, 100), ...opts });
  const agent = new Agent({ sources: [], sinks: [sink], intervalSeconds: 1, log });
  const fams = agent.registry.register(stats);
  fams.dispatched.with({ cpu: '0' }).inc(5);
  const dropped = agent.registry.family(healthStats.stats.sink_dropped).with({ sink: 'remote_write' });
  const errors = agent.registry.family(healthStats.stats.sink_errors).with({ sink: 'remote_write' });
  return { log, sink, agent, fams, dropped, errors };
}

const samplesIn = (reg: Registry): number => reg.families().reduce((n, f) => n + f.series.length, 0);

test('remote_write sink: snappy body and the headers the spec requires', async () => {
  const peer = await startHttpPeer(() => ({ status: 204 }));
  const { agent } = setup(`${peer.url}/api/v1/write`);
  try {
    await agent.start();
    await peer.waitFor(1);
    const r = peer.requests[0];
    assert.ok(r);
    assert.equal(r.method, 'POST');
    assert.equal(r.headers['content-encoding'], 'snappy');
    assert.equal(r.headers['content-type'], 'application/x-protobuf');
    assert.equal(r.headers['x-prometheus-remote-write-version'], '0.1.0');
    assert.match(String(r.headers['user-agent']), /^scx-metrics\/\d/);
    const series = decodeWriteRequest(snappyUncompress(r.body));
    assert.ok(series.some((s) => seriesKey(s) === 'scx_dispatched_total{cpu="0"}' && s.samples[0]?.value === 5));
  } finally {
    await agent.stop();
    await peer.close();
  }
});

test('remote_write sink: many series are split into requests of at most --remote-write-max-samples', async () => {
  const peer = await startHttpPeer(() => ({ status: 200 }));
  const { agent, fams } = setup(peer.url, { maxSamples: 4 });
  for (let i = 1; i < 10; i++) fams.dispatched.with({ cpu: String(i) }).inc(i);
  try {
    await agent.start();
    const total = samplesIn(agent.registry);
    const expected = Math.ceil(total / 4);
    await peer.waitFor(expected);
    const counts = peer.requests.map((r) => decodeWriteRequest(snappyUncompress(r.body)).length);
    assert.ok(counts.every((c) => c <= 4), String(counts));
    assert.equal(counts.reduce((a, b) => a + b, 0), total);
  } finally {
    await agent.stop();
    await peer.close();
  }
});

const retried: [string, Responder][] = [
  ['500', (_r, i) => (i === 0 ? { status: 500, body: 'tsdb busy' } : { status: 200 })],
  ['503', (_r, i) => (i === 0 ? { status: 503 } : { status: 200 })],
  ['429 with Retry-After', (_r, i) => (i === 0 ? { status: 429, headers: { 'Retry-After': '0' } } : { status: 200 })],
];
for (const [what, respond] of retried) {
  test(`remote_write sink: ${what} is retried with the same request, which then lands`, async () => {
    const peer = await startHttpPeer(respond);
    const { agent, sink, dropped, errors } = setup(peer.url);
    try {
      await agent.start();
      await peer.waitFor(2);
      assert.deepEqual(peer.requests[1]?.body, peer.requests[0]?.body);
      await until(() => sink.sent === 1, 'the retry to be accepted');
      assert.equal(errors.value, 1);
      assert.equal(dropped.value, 0);
    } finally {
      await agent.stop();
      await peer.close();
    }
  });
}

test('remote_write sink: a 400 is never retried; the samples are dropped, counted and reported', async () => {
  const peer = await startHttpPeer((_r, i) => (i === 0 ? { status: 400, body: 'out of order sample' } : { status: 200 }));
  const { agent, dropped, log } = setup(peer.url);
  try {
    await agent.start();
    const samples = samplesIn(agent.registry);
    await peer.waitFor(1);
    await until(() => dropped.value === samples, 'the refused samples to be counted');
    await agent.tick();
    await peer.waitFor(2);
    assert.notDeepEqual(peer.requests[1]?.body, peer.requests[0]?.body, 'the second request is the next flush');
    assert.ok(log.lines.some((l) => l.includes(`dropped ${samples} samples in the last interval (refused: HTTP 400: out of order sample)`)), log.lines.join('\n'));
  } finally {
    await agent.stop();
    await peer.close();
  }
});

test('remote_write sink: a hanging receiver delays no tick; the queue stays bounded; close() drops at its deadline', async () => {
  const hole = await startBlackHole();
  const { agent, dropped, sink } = setup(hole.url, { queueSize: 3, timeoutMs: 30_000 });
  try {
    await agent.start();
    const samples = samplesIn(agent.registry);
    for (let i = 0; i < 6; i++) await agent.tick();
    await until(() => hole.received() > 0, 'the request to reach the hanging receiver');
    assert.equal(sink.sent, 0);
    // 7 flushes: 1 in flight, 3 queued, 3 pushed out.
    assert.equal(dropped.value, 3 * samples);
    await sink.close(200);
    assert.equal(dropped.value, 7 * samples);
  } finally {
    await agent.stop();
    await hole.close();
  }
});
