// The HTTP sink over real loopback sockets: negotiation, gzip, HEAD, paths, methods, bodies, oversized and
// slow clients, port in use, and close().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { healthStats } from '../../../src/health.js';
import { memoryLogger } from '../../../src/support/log.js';
import type { Registry } from '../../../src/registry/index.js';
import { PrometheusSink, type PrometheusSinkOptions } from '../../../src/sinks/prometheus/server.js';
import { OPENMETRICS_CONTENT_TYPE } from '../../../src/sinks/prometheus/openmetrics.js';
import { TEXT_004_CONTENT_TYPE } from '../../../src/sinks/prometheus/text-004.js';
import { fixtureRegistry } from './fixture.js';
import { GOLDEN_TEXT_004, createdById, goldenOpenMetrics } from './golden.js';
import { get, poll } from './http.js';

const PROMETHEUS_3_ACCEPT =
  'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1';

async function started(opts: PrometheusSinkOptions = {}): Promise<{ sink: PrometheusSink; port: number; registry: Registry; errors: () => number; log: ReturnType<typeof memoryLogger> }> {
  const { registry } = fixtureRegistry();
  const log = memoryLogger();
  const sink = new PrometheusSink({ host: '127.0.0.1', port: 0, ...opts });
  await sink.start({ registry, log });
  const errors = registry.family(healthStats.stats.sink_errors).with({ sink: 'prometheus' });
  return { sink, port: sink.address().port, registry, errors: () => errors.value, log };
}

const HEALTH_004 = [
  "# HELP scx_metrics_sink_errors_total Errors a sink met while sending or serving",
  '# TYPE scx_metrics_sink_errors_total counter',
  'scx_metrics_sink_errors_total{sink="prometheus"} 0',
  '',
].join('\n');

test('GET /metrics: text 0.0.4 by default, OpenMetrics 1.0.0 for the Prometheus 3 Accept header, exact bytes', async () => {
  const { sink, port, registry } = await started();
  try {
    for (const accept of [undefined, '*/*', 'text/plain;version=0.0.4']) {
      const r = await get(port, '/metrics', { headers: accept === undefined ? {} : { Accept: accept } });
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-type'], TEXT_004_CONTENT_TYPE);
      assert.equal(r.headers['content-encoding'], undefined);
      assert.equal(r.body.toString('utf8'), GOLDEN_TEXT_004 + HEALTH_004, `Accept: ${accept}`);
      assert.equal(Number(r.headers['content-length']), r.body.length);
    }
    const r = await get(port, '/metrics', { headers: { Accept: PROMETHEUS_3_ACCEPT } });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], OPENMETRICS_CONTENT_TYPE);
    const c = createdById(registry);
    const healthId = registry.family(healthStats.stats.sink_errors).series[0]?.id ?? -1;
    const want = goldenOpenMetrics(c).replace(
      /# EOF\n$/,
      [
        '# TYPE scx_metrics_sink_errors counter',
        "# HELP scx_metrics_sink_errors Errors a sink met while sending or serving",
        'scx_metrics_sink_errors_total{sink="prometheus"} 0',
        `scx_metrics_sink_errors_created{sink="prometheus"} ${c(healthId)}`,
        '# EOF',
        '',
      ].join('\n'),
    );
    assert.equal(r.body.toString('utf8'), want);
    assert.match(String(r.headers.vary), /Accept-Encoding/);
  } finally {
    await sink.close(1000);
  }
});

test('gzip round trip in both formats when Accept-Encoding asks; HEAD gives the headers only', async () => {
  const { sink, port } = await started();
  try {
    for (const accept of ['*/*', PROMETHEUS_3_ACCEPT]) {
      const plain = await get(port, '/metrics', { headers: { Accept: accept } });
      const zipped = await get(port, '/metrics', { headers: { Accept: accept, 'Accept-Encoding': 'gzip, deflate' } });
      assert.equal(zipped.status, 200);
      assert.equal(zipped.headers['content-encoding'], 'gzip');
      assert.equal(zipped.headers['content-type'], plain.headers['content-type']);
      assert.equal(Number(zipped.headers['content-length']), zipped.body.length);
      assert.ok(zipped.body.length < plain.body.length, 'compressed is smaller');
      assert.deepEqual(gunzipSync(zipped.body), plain.body);

      const head = await get(port, '/metrics', { method: 'HEAD', headers: { Accept: accept } });
      assert.equal(head.status, 200);
      assert.equal(head.headers['content-type'], plain.headers['content-type']);
      assert.equal(Number(head.headers['content-length']), plain.body.length);
      assert.equal(head.body.length, 0);
    }
  } finally {
    await sink.close(1000);
  }
});

test('paths and methods: / is an index, other paths 404 with a hint, only GET and HEAD, no bodies', async () => {
  const { sink, port } = await started();
  try {
    const index = await get(port, '/');
    assert.equal(index.status, 200);
    assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(index.body.toString(), /<a href="\/metrics">\/metrics<\/a>/);
    assert.equal((await get(port, '/metrics?debug=1')).status, 200, 'a query string is ignored');
    for (const path of ['/metric', '/metrics/', '/favicon.ico']) {
      const r = await get(port, path);
      assert.equal(r.status, 404, path);
      assert.equal(r.body.toString(), 'not found; metrics are served at /metrics\n');
    }
    const post = await get(port, '/metrics', { method: 'POST', body: 'x=1' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
    assert.equal(post.headers.connection, 'close');
    const withBody = await get(port, '/metrics', { method: 'GET', headers: { 'Content-Length': '5' }, body: 'hello' });
    assert.equal(withBody.status, 413);
    assert.equal(withBody.body.toString(), 'request bodies are not accepted\n');
  } finally {
    await sink.close(1000);
  }
});

test('concurrent scrapes in both formats, plain and gzip, each get an intact body (output buffers are reused)', async () => {
  const { sink, port, registry } = await started();
  try {
    const want = {
      text: GOLDEN_TEXT_004 + HEALTH_004,
      om: (await get(port, '/metrics', { headers: { Accept: PROMETHEUS_3_ACCEPT } })).body.toString(),
    };
    assert.ok(want.om.startsWith(goldenOpenMetrics(createdById(registry)).replace(/# EOF\n$/, '')));
    const asks = Array.from({ length: 40 }, (_, i) => ({ om: i % 2 === 0, gzip: i % 3 === 0 }));
    const replies = await Promise.all(
      asks.map((a) => get(port, '/metrics', { headers: { Accept: a.om ? PROMETHEUS_3_ACCEPT : '*/*', ...(a.gzip ? { 'Accept-Encoding': 'gzip' } : {}) } })),
    );
    replies.forEach((r, i) => {
      const a = asks[i] as { om: boolean; gzip: boolean };
      const body = a.gzip ? gunzipSync(r.body) : r.body;
      assert.equal(body.toString(), a.om ? want.om : want.text, `request ${i}`);
    });
  } finally {
    await sink.close(1000);
  }
});

/** Opens a raw connection and collects what the server sends until it closes. */
function rawClient(port: number): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    let data = '';
    const socket = connect(port, '127.0.0.1', () => resolve({ socket, received: () => data, closed }));
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.setEncoding('utf8').on('data', (d: string) => (data += d));
    socket.once('error', (err) => {
      // ECONNRESET after the server's answer is a close, not a failure of the test.
      if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(err);
    });
  });
}

test('a huge request head gets 431, is counted as an error, and the next scrape is fine', async () => {
  const { sink, port, errors, log } = await started({ maxHeaderSize: 8192 });
  try {
    const c = await rawClient(port);
    c.socket.write(`GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    await c.closed;
    assert.match(c.received(), /^HTTP\/1\.1 431 /);
    assert.equal(errors(), 1);
    assert.ok(log.lines.some((l) => l.includes('HPE_HEADER_OVERFLOW')), log.lines.join('\n'));
    const garbage = await rawClient(port);
    garbage.socket.write('THIS IS NOT HTTP\r\n\r\n');
    await garbage.closed;
    assert.match(garbage.received(), /^HTTP\/1\.1 400 /);
    assert.equal(errors(), 2);
    assert.equal((await get(port)).status, 200);
  } finally {
    await sink.close(1000);
  }
});

test('slowloris: clients dribbling headers do not stop scrapes by others, and are cut off with 408', async () => {
  const { sink, port, errors, log } = await started({ headersTimeoutMs: 1000 });
  const slow: Awaited<ReturnType<typeof rawClient>>[] = [];
  const timers: NodeJS.Timeout[] = [];
  try {
    for (let i = 0; i < 20; i++) {
      const c = await rawClient(port);
      c.socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n');
      let n = 0;
      // One header line every 100 ms, never the blank line that ends the head.
      timers.push(setInterval(() => !c.socket.destroyed && c.socket.write(`X-Slow-${n++}: y\r\n`), 100));
      slow.push(c);
    }
    // While all twenty hold their connections, other clients scrape normally.
    for (let i = 0; i < 5; i++) {
      const r = await get(port);
      assert.equal(r.status, 200);
      assert.ok(r.body.toString().startsWith(GOLDEN_TEXT_004));
    }
    // Then the header timeout closes every slow connection, with a 408, each counted.
    await Promise.all(slow.map((c) => c.closed));
    for (const c of slow) assert.match(c.received(), /^HTTP\/1\.1 408 /);
    assert.equal(errors(), 20, log.lines.join('\n'));
    assert.equal((await get(port)).status, 200);
  } finally {
    for (const t of timers) clearInterval(t);
    for (const c of slow) c.socket.destroy();
    await sink.close(1000);
  }
});

test('port in use: start() rejects naming the address and port', async () => {
  const { sink, port } = await started();
  const second = new PrometheusSink({ host: '127.0.0.1', port });
  try {
    await assert.rejects(second.start({ registry: fixtureRegistry().registry, log: memoryLogger() }), (err: Error) => {
      assert.equal(err.message, `prometheus: listen tcp 127.0.0.1:${port}: address already in use`);
      return true;
    });
  } finally {
    await sink.close(1000);
  }
});

test('close() stops listening and closes idle and half-sent connections without waiting for the deadline', async () => {
  const { sink, port } = await started();
  // A keep-alive connection that scraped once and is now idle, and one stuck in the middle of its headers.
  const idle = await rawClient(port);
  idle.socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n');
  await poll(() => (idle.received().includes('fx_slice_count{layer="interactive"} 0\n') ? true : undefined), 10_000, 'a response');
  const half = await rawClient(port);
  half.socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n');
  // The deadline is far beyond the test's own timeout: close() must not wait for it with nothing in flight.
  await sink.close(3_600_000);
  await Promise.all([idle.closed, half.closed]);
  await assert.rejects(get(port), (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED');
  await sink.close(1000); // idempotent
});
