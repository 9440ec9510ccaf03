import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { Agent } from '../../../src/agent.js';
import { counter, defineStats } from '../../../src/declare/index.js';
import { healthStats } from '../../../src/health.js';
import { memoryLogger } from '../../../src/support/log.js';
import type { Registry } from '../../../src/registry/index.js';
import type { Sink } from '../../../src/plugin/sink.js';
import { PrometheusSink } from '../../../src/sinks/prometheus/index.js';
import { TerminalSink } from '../../../src/sinks/terminal/sink.js';
import { OtlpSink, type OtlpSinkOptions } from '../../../src/sinks/otlp/sink.js';
import { Backoff } from '../../../src/sinks/push/queue.js';
import { textCollector } from '../../helpers/fixtures.js';
import { ExportMetricsServiceRequest as Req, toJsonView } from '../../helpers/otlp-proto.js';
import { freePort, startBlackHole, until } from '../../helpers/http-peer.js';
import { type GrpcCall, type GrpcPeer, type GrpcReply, retryInfoTrailers, startGrpcPeer } from '../../helpers/grpc-peer.js';

const stats = defineStats({ name: 't', help: 't', prefix: 'scx', stats: { dispatched: counter({ help: 'Tasks dispatched', labels: { cpu: String } }) } });

function setup(opts: Omit<Partial<OtlpSinkOptions>, 'url'> & { url: string }, others: Sink[] = []) {
  const log = memoryLogger();
  const { url, ...rest } = opts;
  const sink = new OtlpSink({ transport: 'grpc', resource: [['service.name', 'scx-metrics']], backoff: new Backoff(20, 100), ...rest, url: new URL(url) });
  const agent = new Agent({ sources: [], sinks: [sink, ...others], intervalSeconds: 1, log, shutdownDeadlineMs: 2000 });
  const fams = agent.registry.register(stats);
  fams.dispatched.with({ cpu: '0' }).inc(5);
  const dropped = agent.registry.family(healthStats.stats.sink_dropped).with({ sink: 'otlp' });
  const errors = agent.registry.family(healthStats.stats.sink_errors).with({ sink: 'otlp' });
  return { log, sink, agent, fams, dropped, errors };
}

function seriesCount(reg: Registry): number {
  return reg.families().reduce((n, f) => n + f.series.length, 0);
}

type Point = { asDouble: number; startTimeUnixNano?: string; timeUnixNano: string };
type View = { resourceMetrics: { resource: { attributes: { key: string; value: { stringValue: string } }[] }; scopeMetrics: { metrics: { name: string; sum?: { aggregationTemporality: number; isMonotonic: boolean; dataPoints: Point[] } }[] }[] }[] };

function view(call: GrpcCall | undefined): View {
  assert.ok(call, 'the call arrived');
  return toJsonView(Req, call.request) as View;
}

function sumOf(v: View, name: string): { aggregationTemporality: number; isMonotonic: boolean; dataPoints: Point[] } | undefined {
  return v.resourceMetrics[0]?.scopeMetrics[0]?.metrics.find((m) => m.name === name)?.sum;
}

async function withPeer(peer: GrpcPeer, agent: Agent, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } finally {
    await agent.stop();
    await peer.kill();
  }
}

test('otlp grpc: points reach a grpc-js collector over one connection and decode to the values and cumulative start times', async () => {
  const peer = await startGrpcPeer();
  const { agent, fams } = setup({ url: peer.url, headers: { Authorization: 'Bearer t0k' } });
  await withPeer(peer, agent, async () => {
    await agent.start();
    await peer.waitFor(1);
    fams.dispatched.with({ cpu: '0' }).inc(2);
    await agent.tick();
    await peer.waitFor(2);
    const [a, b] = peer.calls;
    assert.ok(a && b);
    // Byte-exact protobuf: the official encoder writes the decoded message back to exactly what arrived.
    assert.deepEqual(Buffer.from(Req.encode(Req.decode(b.bytes)).finish()), b.bytes);
    const s1 = sumOf(view(a), 'scx_dispatched');
    const s2 = sumOf(view(b), 'scx_dispatched');
    assert.equal(s1?.dataPoints[0]?.asDouble, 5);
    assert.equal(s2?.dataPoints[0]?.asDouble, 7);
    assert.equal(s2?.aggregationTemporality, 2, 'cumulative');
    assert.equal(s2?.isMonotonic, true);
    const start1 = s1?.dataPoints[0]?.startTimeUnixNano;
    assert.ok(start1 !== undefined && BigInt(start1) > 0n);
    assert.equal(s2?.dataPoints[0]?.startTimeUnixNano, start1, 'a cumulative series keeps its start');
    assert.ok(BigInt(start1) <= BigInt(s1?.dataPoints[0]?.timeUnixNano ?? '0'));
    assert.equal(sumOf(view(b), 'scx_metrics_collections')?.dataPoints[0]?.asDouble, 2);
    const res = new Map(view(b).resourceMetrics[0]?.resource.attributes.map((x) => [x.key, x.value.stringValue]));
    assert.equal(res.get('service.name'), 'scx-metrics');
    assert.equal(b.metadata.authorization, 'Bearer t0k', 'headers travel as metadata');
    assert.match(String(b.metadata['user-agent']), /scx-metrics\/\d+\.\d+\.\d+/);
    assert.equal(b.peer, a.peer, 'both calls came over the same HTTP/2 connection');
  });
});

test('otlp grpc: delta temporality starts each point at the previous export', async () => {
  const peer = await startGrpcPeer();
  const { agent, fams } = setup({ url: peer.url, temporality: 'delta' });
  await withPeer(peer, agent, async () => {
    await agent.start();
    await peer.waitFor(1);
    fams.dispatched.with({ cpu: '0' }).inc(3);
    await agent.tick();
    await peer.waitFor(2);
    const p1 = sumOf(view(peer.calls[0]), 'scx_dispatched');
    const p2 = sumOf(view(peer.calls[1]), 'scx_dispatched');
    assert.equal(p1?.aggregationTemporality, 1);
    assert.equal(p1?.dataPoints[0]?.asDouble, 5);
    assert.equal(p2?.dataPoints[0]?.asDouble, 3);
    assert.equal(p2?.dataPoints[0]?.startTimeUnixNano, p1?.dataPoints[0]?.timeUnixNano);
  });
});

test('otlp grpc: gzip-compressed calls are read by grpc-js', async () => {
  const peer = await startGrpcPeer();
  const { agent } = setup({ url: peer.url, compression: 'gzip' });
  await withPeer(peer, agent, async () => {
    await agent.start();
    await peer.waitFor(1);
    assert.equal(sumOf(view(peer.calls[0]), 'scx_dispatched')?.dataPoints[0]?.asDouble, 5);
  });
});

test('otlp grpc: UNAVAILABLE is retried with the same request and delivered once', async () => {
  const peer = await startGrpcPeer((_c, i): GrpcReply => (i === 0 ? { code: grpc.status.UNAVAILABLE, message: 'warming up' } : {}));
  const { agent, sink, dropped, errors, log } = setup({ url: peer.url });
  await withPeer(peer, agent, async () => {
    await agent.start();
    await peer.waitFor(2);
    await until(() => sink.sent === 1, 'the retry to be accepted');
    const [a, b] = peer.calls;
    assert.ok(a && b);
    assert.deepEqual(b.bytes, a.bytes, 'the same request is sent again');
    assert.equal(errors.value, 1);
    assert.equal(dropped.value, 0);
    assert.equal(peer.calls.length, 2);
    assert.ok(log.lines.some((l) => l.includes('gRPC UNAVAILABLE (14): warming up; retrying with backoff')), log.lines.join('\n'));
  });
});

for (const [name, code] of [['INVALID_ARGUMENT', grpc.status.INVALID_ARGUMENT], ['RESOURCE_EXHAUSTED without RetryInfo', grpc.status.RESOURCE_EXHAUSTED]] as const) {
  test(`otlp grpc: ${name} is not retried; the request is dropped and counted`, async () => {
    const peer = await startGrpcPeer((_c, i): GrpcReply => (i === 0 ? { code, message: 'bad data' } : {}));
    const { agent, dropped, errors, log } = setup({ url: peer.url });
    await withPeer(peer, agent, async () => {
      await agent.start();
      const points = seriesCount(agent.registry);
      await peer.waitFor(1);
      await until(() => dropped.value === points, 'the refused request to be counted');
      await agent.tick();
      await peer.waitFor(2);
      const t1 = sumOf(view(peer.calls[0]), 'scx_dispatched')?.dataPoints[0]?.timeUnixNano;
      const t2 = sumOf(view(peer.calls[1]), 'scx_dispatched')?.dataPoints[0]?.timeUnixNano;
      assert.notEqual(t1, t2, 'the second call is the next flush, not a retry');
      assert.equal(errors.value, 1);
      assert.ok(log.lines.some((l) => l.includes(`dropped ${points} data points in the last interval (refused: gRPC ${name.split(' ')[0]} (${code}): bad data)`)), log.lines.join('\n'));
    });
  });
}

test('otlp grpc: RESOURCE_EXHAUSTED with RetryInfo is retried after the delay the server asks for', async () => {
  const trailers = retryInfoTrailers(grpc.status.RESOURCE_EXHAUSTED, 'slow down', 1);
  const peer = await startGrpcPeer((_c, i): GrpcReply => (i === 0 ? { code: grpc.status.RESOURCE_EXHAUSTED, message: 'slow down', trailers } : {}));
  const { agent, sink, dropped } = setup({ url: peer.url });
  await withPeer(peer, agent, async () => {
    await agent.start();
    await peer.waitFor(2);
    await until(() => sink.sent === 1, 'the retry to be accepted');
    const [a, b] = peer.calls;
    assert.ok(a && b);
    assert.deepEqual(b.bytes, a.bytes);
    // As the HTTP test checks Retry-After: the retry waited the asked-for second, not the 20 ms backoff.
    assert.ok(b.at - a.at >= 950, `retried after ${b.at - a.at} ms, RetryInfo asked for 1 s`);
    assert.equal(dropped.value, 0);
  });
});

test('otlp grpc: a partial success is logged with the rejected count and message', async () => {
  const peer = await startGrpcPeer(() => ({ response: { partialSuccess: { rejectedDataPoints: '3', errorMessage: 'name too long' } } }));
  const { agent, log, dropped } = setup({ url: peer.url });
  await withPeer(peer, agent, async () => {
    await agent.start();
    await until(() => log.lines.some((l) => l.includes('accepted the request in part')), 'the partial success log line');
    assert.ok(log.lines.some((l) => l.includes('3 data points rejected: name too long')), log.lines.join('\n'));
    assert.equal(peer.calls.length, 1, 'a partial success is not retried');
    assert.equal(dropped.value, 0);
  });
});

test('otlp grpc: a collector killed and restarted on the same port gets the later points over a new connection', async () => {
  let peer = await startGrpcPeer();
  const port = peer.port;
  const { agent, sink, fams } = setup({ url: peer.url });
  try {
    await agent.start();
    await peer.waitFor(1);
    await until(() => sink.sent === 1, 'the first export to be accepted');
    const firstPeer = peer.calls[0]?.peer;
    await peer.kill();
    fams.dispatched.with({ cpu: '0' }).inc(10);
    await agent.tick(); // sent to a dead port: retried with backoff
    peer = await startGrpcPeer(() => ({}), port);
    await peer.waitFor(1);
    await until(() => sink.sent === 2, 'the export after the restart to be accepted');
    assert.equal(sumOf(view(peer.calls[0]), 'scx_dispatched')?.dataPoints[0]?.asDouble, 15);
    assert.notEqual(peer.calls[0]?.peer, firstPeer, 'a new connection');
  } finally {
    await agent.stop();
    await peer.kill();
  }
});

test('otlp grpc: a call the collector never answers ends at the sink timeout and is retried on a fresh connection', async () => {
  const peer = await startGrpcPeer((_c, i) => (i === 0 ? 'hang' : {}));
  const { agent, sink, dropped, log } = setup({ url: peer.url, timeoutMs: 300 });
  await withPeer(peer, agent, async () => {
    await agent.start();
    await peer.waitFor(2);
    await until(() => sink.sent === 1, 'the retry to be accepted');
    const [a, b] = peer.calls;
    assert.ok(a && b);
    assert.deepEqual(b.bytes, a.bytes);
    assert.notEqual(b.peer, a.peer, 'the hung connection was given up');
    assert.equal(dropped.value, 0);
    assert.ok(log.lines.some((l) => l.includes('no answer within 300 ms')), log.lines.join('\n'));
  });
});

test('otlp grpc: a black-holed collector (no HTTP/2 SETTINGS) delays neither the terminal report nor a scrape; close() gives up at its deadline', async () => {
  const hole = await startBlackHole();
  const report = textCollector();
  const terminal = new TerminalSink({ format: 'json', out: report.stream });
  const prometheus = new PrometheusSink({ host: '127.0.0.1', port: 0 });
  const { agent, dropped, sink } = setup({ url: hole.url, queueSize: 2, timeoutMs: 30_000 }, [terminal, prometheus]);
  try {
    await agent.start();
    const points = seriesCount(agent.registry);
    const tickMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await agent.tick();
      tickMs.push(performance.now() - t0);
    }
    await until(() => hole.received() > 0, 'the connection preface to reach the black hole');
    assert.equal(hole.accepted(), 1);
    assert.equal(sink.sent, 0);
    assert.equal(report.text().trimEnd().split('\n').length, 5);
    const url = `http://127.0.0.1:${prometheus.address().port}/metrics`;
    const scrapeMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const body = await (await fetch(url)).text();
      scrapeMs.push(performance.now() - t0);
      assert.match(body, /^scx_metrics_collections_total 6$/m);
    }
    // The same bound, and the same medians, as the OTLP/HTTP black-hole test.
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
    // A tick held by the collector would wait for the sink's timeout (seconds); 1 s tells that apart from a
    // loaded machine without timing the machine.
    assert.ok(median(tickMs) < 1000, `ticks took ${tickMs.map((x) => x.toFixed(1)).join(', ')} ms`);
    assert.ok(median(scrapeMs) < 1000, `scrapes took ${scrapeMs.map((x) => x.toFixed(1)).join(', ')} ms`);
    assert.equal(dropped.value, 3 * points, 'three of six requests pushed out of the full queue');
    await sink.close(300);
    assert.equal(dropped.value, 6 * points, 'the one in flight and the two queued are dropped at the deadline');
  } finally {
    await agent.stop();
    await hole.close();
  }
});

test('otlp grpc: a collector that is down drops what does not fit and recovers when it comes up', async () => {
  const port = await freePort();
  const { agent, dropped, log, sink } = setup({ url: `http://127.0.0.1:${port}`, queueSize: 2 });
  let peer: GrpcPeer | undefined;
  try {
    await agent.start();
    const points = seriesCount(agent.registry);
    for (let i = 0; i < 5; i++) await agent.tick();
    assert.equal(dropped.value, 3 * points);
    // Said plainly, as over HTTP: not node:http2's "The pending stream has been canceled (caused by: ...)".
    const refused = `scx-metrics: warning: sink otlp: collector at http://127.0.0.1:${port} is not answering (ECONNREFUSED); retrying with backoff, `;
    await until(() => log.lines.some((l) => l.startsWith(refused)), 'the refused-connection line');
    assert.ok(!log.lines.some((l) => l.includes('pending stream')), log.lines.join('\n'));
    peer = await startGrpcPeer(() => ({}), port);
    await peer.waitFor(3);
    await until(() => sink.sent === 3, 'the three kept requests to be accepted');
    assert.equal(sumOf(view(peer.calls[2]), 'scx_metrics_collections')?.dataPoints[0]?.asDouble, 6, 'the newest queued request arrives last');
  } finally {
    await agent.stop();
    await peer?.kill();
  }
});
