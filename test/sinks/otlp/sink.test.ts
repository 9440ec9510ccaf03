import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { Agent } from '../../../src/agent.js';
import { counter, defineStats } from '../../../src/declare/index.js';
import { healthStats } from '../../../src/health.js';
import { memoryLogger } from '../../../src/support/log.js';
import type { Registry } from '../../../src/registry/index.js';
import type { Sink } from '../../../src/plugin/sink.js';
import { PrometheusSink } from '../../../src/sinks/prometheus/index.js';
import { TerminalSink } from '../../../src/sinks/terminal/sink.js';
import { textCollector } from '../../helpers/fixtures.js';
import { OtlpSink, type OtlpSinkOptions } from '../../../src/sinks/otlp/sink.js';
import { Backoff } from '../../../src/sinks/push/queue.js';
import { ExportMetricsServiceRequest as Req, ExportMetricsServiceResponse as Res, toJsonView } from '../../helpers/otlp-proto.js';
import { freePort, startBlackHole, startHttpPeer, until } from '../../helpers/http-peer.js';

const stats = defineStats({ name: 't', help: 't', prefix: 'scx', stats: { dispatched: counter({ help: 'Tasks dispatched', labels: { cpu: String } }) } });

function setup(opts: Omit<Partial<OtlpSinkOptions>, 'url'> & { url: string }, others: Sink[] = []) {
  const log = memoryLogger();
  const { url, ...rest } = opts;
  const sink = new OtlpSink({ resource: [['service.name', 'scx-metrics']], backoff: new Backoff(20, 100), ...rest, url: new URL(String(url)) });
  const agent = new Agent({ sources: [], sinks: [sink, ...others], intervalSeconds: 1, log, shutdownDeadlineMs: 2000 });
  const fams = agent.registry.register(stats);
  fams.dispatched.with({ cpu: '0' }).inc(5);
  const dropped = agent.registry.family(healthStats.stats.sink_dropped).with({ sink: 'otlp' });
  const errors = agent.registry.family(healthStats.stats.sink_errors).with({ sink: 'otlp' });
  return { log, sink, agent, fams, dropped, errors };
}

/** Data points one request carries: every series in the registry. */
function seriesCount(reg: Registry): number {
  return reg.families().reduce((n, f) => n + f.series.length, 0);
}

type View = { resourceMetrics: { resource: { attributes: { key: string; value: { stringValue: string } }[] }; scopeMetrics: { metrics: { name: string; sum?: { dataPoints: { asDouble: number; timeUnixNano: string }[] } }[] }[] }[] };

function metricValue(view: View, name: string): number | undefined {
  const m = view.resourceMetrics[0]?.scopeMetrics[0]?.metrics.find((x) => x.name === name);
  return m?.sum?.dataPoints[0]?.asDouble;
}

test('otlp sink: protobuf POST with the OTLP headers, decoded by the official definitions', async () => {
  const peer = await startHttpPeer();
  const { agent, fams } = setup({ url: `${peer.url}/v1/metrics` });
  try {
    await agent.start(); // start() collects and flushes once: the first request
    await peer.waitFor(1);
    await agent.tick();
    await peer.waitFor(2);
    const r = peer.requests[1];
    assert.ok(r);
    assert.equal(r.method, 'POST');
    assert.equal(r.url, '/v1/metrics');
    assert.equal(r.headers['content-type'], 'application/x-protobuf');
    assert.match(String(r.headers['user-agent']), /^scx-metrics\/\d+\.\d+\.\d+/);
    assert.equal(r.headers['content-encoding'], undefined);
    const view = toJsonView(Req, Req.decode(r.body)) as View;
    assert.equal(metricValue(view, 'scx_dispatched'), 5);
    assert.equal(metricValue(view, 'scx_metrics_collections'), 2, 'start() and tick() each collected once');
    fams.dispatched.with({ cpu: '0' }).inc(2);
    await agent.tick();
    await peer.waitFor(3);
    assert.equal(metricValue(toJsonView(Req, Req.decode(peer.requests[2]?.body ?? Buffer.alloc(0))) as View, 'scx_dispatched'), 7);
  } finally {
    await agent.stop();
    await peer.close();
  }
});

test('otlp sink: gzip-compressed JSON, valid for the official definitions', async () => {
  const peer = await startHttpPeer();
  const { agent } = setup({ url: `${peer.url}/v1/metrics`, encoding: 'json', compression: 'gzip' });
  try {
    await agent.start();
    await peer.waitFor(1);
    const r = peer.requests[0];
    assert.ok(r);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.headers['content-encoding'], 'gzip');
    const doc = JSON.parse(gunzipSync(r.body).toString('utf8')) as Record<string, unknown>;
    const msg = Req.fromObject(doc);
    assert.equal(Req.verify(msg), null);
    // Re-encoded by the official code and viewed as canonical OTLP JSON, it is exactly what we sent.
    assert.deepEqual(toJsonView(Req, Req.decode(Req.encode(msg).finish())), doc);
    assert.equal(metricValue(doc as View, 'scx_dispatched'), 5);
  } finally {
    await agent.stop();
    await peer.close();
  }
});

test('otlp sink: 503 with Retry-After: 0 is still retried with backoff, not in a tight loop', async () => {
  const peer = await startHttpPeer(() => ({ status: 503, headers: { 'Retry-After': '0' }, body: 'busy' }));
  // Backoff from 20 ms doubling to a 400 ms cap: about 8 attempts in the second below. Without the floor, a
  // Retry-After of 0 sent ~1500 requests in 2 s. A busy machine can only lower the count.
  const { agent } = setup({ url: peer.url, backoff: new Backoff(20, 400) });
  try {
    await agent.start();
    await peer.waitFor(1);
    await new Promise((r) => setTimeout(r, 1000));
    assert.ok(peer.requests.length <= 20, `${peer.requests.length} requests in about a second`);
  } finally {
    await agent.stop();
    await peer.close();
  }
});

test('otlp sink: 503 with Retry-After is retried after the delay asked for, then delivered', async () => {
  const peer = await startHttpPeer((_r, i) => (i === 0 ? { status: 503, headers: { 'Retry-After': '1' }, body: 'busy' } : { status: 200 }));
  const { agent, dropped, errors, sink } = setup({ url: peer.url });
  try {
    await agent.start();
    await peer.waitFor(2);
    const [a, b] = peer.requests;
    assert.ok(a && b);
    assert.deepEqual(b.body, a.body, 'the same request is sent again');
    assert.ok(b.at - a.at >= 950, `retried after ${b.at - a.at} ms, Retry-After asked for 1 s`);
    await until(() => sink.sent === 1, 'the retry to be accepted');
    assert.equal(errors.value, 1);
    assert.equal(dropped.value, 0);
  } finally {
    await agent.stop();
    await peer.close();
  }
});

for (const status of [500, 400]) {
  test(`otlp sink: ${status} is not retried (OTLP retries only 429/502/503/504); the request is dropped and counted`, async () => {
    const peer = await startHttpPeer((_r, i) => (i === 0 ? { status, body: 'no' } : { status: 200 }));
    const { agent, dropped, errors, log } = setup({ url: peer.url });
    try {
      await agent.start();
      const points = seriesCount(agent.registry);
      await peer.waitFor(1);
      await until(() => dropped.value === points, 'the refused request to be counted');
      await agent.tick();
      await peer.waitFor(2);
      const [a, b] = peer.requests;
      assert.ok(a && b);
      const t1 = (toJsonView(Req, Req.decode(a.body)) as View).resourceMetrics[0]?.scopeMetrics[0]?.metrics[0]?.sum?.dataPoints[0]?.timeUnixNano;
      const t2 = (toJsonView(Req, Req.decode(b.body)) as View).resourceMetrics[0]?.scopeMetrics[0]?.metrics[0]?.sum?.dataPoints[0]?.timeUnixNano;
      assert.notEqual(t1, t2, 'the second request is the next flush, not a retry');
      assert.equal(errors.value, 1);
      assert.ok(log.lines.some((l) => l.includes(`dropped ${points} data points in the last interval (refused: HTTP ${status}: no)`)), log.lines.join('\n'));
    } finally {
      await agent.stop();
      await peer.close();
    }
  });
}

test('otlp sink: a partial success is logged with the rejected count and message', async () => {
  const answer = Res.encode(Res.fromObject({ partialSuccess: { rejectedDataPoints: '3', errorMessage: 'name too long' } })).finish();
  const peer = await startHttpPeer(() => ({ status: 200, headers: { 'Content-Type': 'application/x-protobuf' }, body: answer }));
  const { agent, log } = setup({ url: peer.url });
  try {
    await agent.start();
    await peer.waitFor(1);
    await until(() => log.lines.some((l) => l.includes('accepted the request in part')), 'the partial success log line');
    assert.ok(log.lines.some((l) => l.includes('3 data points rejected: name too long')), log.lines.join('\n'));
  } finally {
    await agent.stop();
    await peer.close();
  }
});

test('otlp sink: a JSON partial success is read too', async () => {
  const peer = await startHttpPeer(() => ({
    status: 200,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ partialSuccess: { rejectedDataPoints: '2', errorMessage: 'dup' } }),
  }));
  const { agent, log } = setup({ url: peer.url, encoding: 'json' });
  try {
    await agent.start();
    await until(() => log.lines.some((l) => l.includes('2 data points rejected: dup')), 'the partial success log line');
  } finally {
    await agent.stop();
    await peer.close();
  }
});

test('otlp sink: a peer that is down drops what does not fit, reports once per interval, and recovers when it returns', async () => {
  const port = await freePort();
  const { agent, dropped, log } = setup({ url: `http://127.0.0.1:${port}`, queueSize: 2 });
  let peer: Awaited<ReturnType<typeof startHttpPeer>> | undefined;
  try {
    await agent.start();
    const points = seriesCount(agent.registry);
    // Six flushes (start and five ticks): one request in flight (retrying against the refused port), two
    // queued, and each of the last three pushes the oldest queued one out.
    for (let i = 0; i < 5; i++) await agent.tick();
    assert.equal(dropped.value, 3 * points);
    const refused = `scx-metrics: warning: sink otlp: collector at http://127.0.0.1:${port}/ is not answering (ECONNREFUSED); retrying with backoff, `;
    await until(() => log.lines.some((l) => l.startsWith(refused)), 'the refused-connection line');
    assert.ok(log.lines.some((l) => l.includes(`dropped ${points} data points in the last interval (queue full (2 requests))`)), log.lines.join('\n'));
    const reports = log.lines.filter((l) => l.includes('in the last interval')).length;
    assert.equal(reports, 3, 'one drop report per interval that dropped');
    peer = await startHttpPeer(() => ({ status: 200 }), port);
    await peer.waitFor(3);
    await until(() => log.lines.some((l) => l.includes('sink otlp: sending again')), 'the recovery line');
    const last = toJsonView(Req, Req.decode(peer.requests[2]?.body ?? Buffer.alloc(0))) as View;
    assert.equal(metricValue(last, 'scx_metrics_collections'), 6, 'the newest queued request arrives last');
  } finally {
    await agent.stop();
    await peer?.close();
  }
});

test('otlp sink: a black-holed collector delays neither the terminal report nor a Prometheus scrape; close() gives up at its deadline', async () => {
  const hole = await startBlackHole();
  const otlpTimeoutMs = 30_000;
  // The real terminal report and the real Prometheus endpoint run beside the OTLP sink in the same agent.
  const report = textCollector();
  const terminal = new TerminalSink({ format: 'json', out: report.stream });
  const prometheus = new PrometheusSink({ host: '127.0.0.1', port: 0 });
  const { agent, dropped, sink } = setup({ url: hole.url, queueSize: 2, timeoutMs: otlpTimeoutMs }, [terminal, prometheus]);
  try {
    await agent.start();
    const points = seriesCount(agent.registry);
    const tickMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await agent.tick();
      tickMs.push(performance.now() - t0);
    }
    await until(() => hole.received() > 0, 'the request to reach the black hole');
    assert.equal(hole.accepted(), 1);
    assert.equal(sink.sent, 0, 'the collector never answered');
    // Every tick printed its report while the first OTLP request hung.
    assert.equal(report.text().trimEnd().split('\n').length, 5);
    // Scrapes are answered, with current values, while the OTLP request still hangs.
    const url = `http://127.0.0.1:${prometheus.address().port}/metrics`;
    const scrapeMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const body = await (await fetch(url)).text();
      scrapeMs.push(performance.now() - t0);
      assert.match(body, /^scx_metrics_collections_total 6$/m);
    }
    // The bound: no more than 50 ms of delay. Medians, so one descheduling on a shared machine does
    // not decide it; a report or scrape waiting on the 30 s OTLP timeout would be three orders above.
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
    // A tick held by the collector would wait for the sink's timeout (seconds); 1 s tells that apart from a
    // loaded machine without timing the machine.
    assert.ok(median(tickMs) < 1000, `ticks took ${tickMs.map((x) => x.toFixed(1)).join(', ')} ms`);
    assert.ok(median(scrapeMs) < 1000, `scrapes took ${scrapeMs.map((x) => x.toFixed(1)).join(', ')} ms`);
    assert.equal(sink.sent, 0);
    assert.equal(dropped.value, 3 * points, 'three of six requests pushed out of the full queue');
    await sink.close(300);
    assert.equal(dropped.value, 6 * points, 'the one in flight and the two queued are dropped at the deadline');
  } finally {
    await agent.stop();
    await hole.close();
  }
});

test('otlp sink: stop() flushes the last snapshot to the collector before it resolves', async () => {
  const peer = await startHttpPeer();
  const { agent, fams } = setup({ url: peer.url });
  await agent.start();
  fams.dispatched.with({ cpu: '0' }).inc(100);
  await agent.stop();
  try {
    assert.equal(peer.requests.length, 2, "start()'s flush and the final one, sent within the deadline");
    assert.equal(metricValue(toJsonView(Req, Req.decode(peer.requests[1]?.body ?? Buffer.alloc(0))) as View, 'scx_dispatched'), 105);
  } finally {
    await peer.close();
  }
});
