import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { gunzipSync, gzipSync } from 'node:zlib';
import { GrpcChannel, grpcTimeout, messagePrefix } from '../../../src/sinks/push/grpc-unary.js';
import { GrpcCode, codeForHttpStatus, retryInfoDelayMs } from '../../../src/sinks/push/grpc-status.js';
import { classifyOtlpGrpc } from '../../../src/sinks/otlp/grpc.js';
import { retryInfoTrailers } from '../../helpers/grpc-peer.js';

interface Seen {
  readonly headers: http2.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** A bare node:http2 server: records each stream's headers and body, answers as `respond` says. */
async function h2Peer(respond: (s: http2.ServerHttp2Stream, seen: Seen) => void): Promise<{ url: URL; seen: Seen[]; sessions: () => number; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const sessions = new Set<http2.ServerHttp2Session>();
  let opened = 0;
  const server = http2.createServer();
  server.on('session', (s) => {
    opened++;
    sessions.add(s);
  });
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('error', () => undefined); // the resets the tests cause
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const s = { headers, body: Buffer.concat(chunks) };
      seen.push(s);
      respond(stream, s);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: new URL(`http://127.0.0.1:${port}`),
    seen,
    sessions: () => opened,
    close: () =>
      new Promise((resolve) => {
        // A session that sent GOAWAY stays open on a half-closed socket; do not wait for it.
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function ok(stream: http2.ServerHttp2Stream, message: Buffer, compressed = false): void {
  stream.respond({ ':status': 200, 'content-type': 'application/grpc', ...(compressed ? { 'grpc-encoding': 'gzip' } : {}) }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
  stream.end(Buffer.concat([messagePrefix(message.length, compressed), message]));
}

test('grpc unary: the request on the wire (headers, 5-byte prefix, gzip flag) and the answer read back, over one session', async () => {
  const payload = Buffer.from('hello, collector');
  const peer = await h2Peer((s, seen) => ok(s, seen.headers['grpc-encoding'] === 'gzip' ? gzipSync(Buffer.from('pong')) : Buffer.from('pong'), seen.headers['grpc-encoding'] === 'gzip'));
  const plain = new GrpcChannel({ target: peer.url, timeoutMs: 2500, userAgent: 'scx-metrics/1.2.3', metadata: { Authorization: 'Bearer x' } });
  const gz = new GrpcChannel({ target: peer.url, timeoutMs: 120_000_000, encoding: 'gzip' });
  try {
    const a = await plain.unary('/pkg.Svc/Method', payload);
    const b = await plain.unary('/pkg.Svc/Method', payload);
    assert.deepEqual(a, { code: 0, message: '', response: Buffer.from('pong') });
    assert.deepEqual(b.response, Buffer.from('pong'));
    assert.equal(plain.connects, 1, 'the second call reused the session');
    const h = peer.seen[0]?.headers;
    assert.ok(h);
    assert.equal(h[':method'], 'POST');
    assert.equal(h[':path'], '/pkg.Svc/Method');
    assert.equal(h[':scheme'], 'http');
    assert.equal(h['content-type'], 'application/grpc');
    assert.equal(h.te, 'trailers');
    assert.equal(h['grpc-timeout'], '2500m');
    assert.equal(h['grpc-encoding'], undefined);
    assert.equal(h['user-agent'], 'scx-metrics/1.2.3');
    assert.equal(h.authorization, 'Bearer x');
    assert.deepEqual(peer.seen[0]?.body, Buffer.concat([Buffer.from([0, 0, 0, 0, 16]), payload]));

    const zipped = gzipSync(payload);
    const c = await gz.unary('/pkg.Svc/Method', zipped);
    assert.deepEqual(c.response, Buffer.from('pong'), 'a gzip-compressed answer is inflated');
    const z = peer.seen[2];
    assert.ok(z);
    assert.equal(z.headers['grpc-encoding'], 'gzip');
    assert.equal(z.headers['grpc-timeout'], '120000S', 'too many digits in ms: whole seconds');
    assert.equal(z.body[0], 1, 'compressed flag');
    assert.equal(z.body.readUInt32BE(1), zipped.length);
    assert.deepEqual(gunzipSync(z.body.subarray(5)), payload);
  } finally {
    plain.close();
    gz.close();
    await peer.close();
  }
});

test('grpc unary: trailers-only errors, percent-encoded messages, status details, and HTTP errors without grpc-status', async () => {
  const details = Buffer.from([8, 14]);
  const peer = await h2Peer((s, seen) => {
    const path = String(seen.headers[':path']);
    if (path === '/only') {
      s.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '3', 'grpc-message': 'bad%20point%3A%20%E2%9C%97', 'grpc-status-details-bin': details.toString('base64').replace(/=+$/, '') }, { endStream: true });
    } else {
      s.respond({ ':status': 503, 'content-type': 'text/plain' });
      s.end('overloaded');
    }
  });
  const ch = new GrpcChannel({ target: peer.url, timeoutMs: 5000 });
  try {
    assert.deepEqual(await ch.unary('/only', Buffer.alloc(0)), { code: 3, message: 'bad point: ✗', details });
    const http = await ch.unary('/proxy', Buffer.alloc(0));
    assert.equal(http.code, GrpcCode.UNAVAILABLE);
    assert.match(http.message, /HTTP 503/);
  } finally {
    ch.close();
    await peer.close();
  }
});

test('grpc unary: a reset stream rejects; a GOAWAY makes the next call open a new session', async () => {
  let n = 0;
  const peer = await h2Peer((s) => {
    n++;
    if (n === 1) s.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    else if (n === 2) {
      ok(s, Buffer.alloc(0));
      s.session?.goaway();
    } else ok(s, Buffer.from('again'));
  });
  const ch = new GrpcChannel({ target: peer.url, timeoutMs: 5000 });
  try {
    await assert.rejects(ch.unary('/x', Buffer.from('a')), /NGHTTP2_INTERNAL_ERROR/);
    assert.equal((await ch.unary('/x', Buffer.from('b'))).code, 0);
    await new Promise((r) => setTimeout(r, 50)); // let the GOAWAY frame arrive
    assert.deepEqual((await ch.unary('/x', Buffer.from('c'))).response, Buffer.from('again'));
    assert.equal(ch.connects, 2);
    assert.equal(peer.sessions(), 2);
  } finally {
    ch.close();
    await peer.close();
  }
});

test('grpc status: codes for HTTP answers, RetryInfo delays, timeouts', () => {
  assert.equal(codeForHttpStatus(404), GrpcCode.UNIMPLEMENTED);
  assert.equal(codeForHttpStatus(429), GrpcCode.UNAVAILABLE);
  assert.equal(codeForHttpStatus(500), GrpcCode.UNKNOWN);
  const withRetry = retryInfoTrailers(8, 'later', 7).get('grpc-status-details-bin')[0] as Buffer;
  assert.equal(retryInfoDelayMs(withRetry), 7000);
  assert.equal(retryInfoDelayMs(Buffer.from([8, 8, 0x12, 1, 0x78])), undefined, 'a Status without details');
  assert.throws(() => retryInfoDelayMs(Buffer.from([0x1a, 9, 1])), /runs past the end/);
  assert.equal(grpcTimeout(10_000), '10000m');
  assert.equal(grpcTimeout(99_999_999), '99999999m');
  assert.equal(grpcTimeout(100_000_001), '100001S');
});

test('otlp grpc: the retry table of the OTLP specification', () => {
  const retryable = new Set([1, 4, 10, 11, 14, 15]);
  for (let code = 1; code <= 16; code++) {
    const v = classifyOtlpGrpc({ code, message: 'm' });
    assert.equal(v.kind, retryable.has(code) ? 'retry' : 'reject', `code ${code}`);
  }
  assert.deepEqual(classifyOtlpGrpc({ code: 0, message: '' }), { kind: 'ok' });
  const details = retryInfoTrailers(8, 'slow', 2).get('grpc-status-details-bin')[0] as Buffer;
  assert.deepEqual(classifyOtlpGrpc({ code: 8, message: 'slow', details }), { kind: 'retry', reason: 'gRPC RESOURCE_EXHAUSTED (8): slow', afterMs: 2000 });
  assert.deepEqual(classifyOtlpGrpc({ code: 14, message: '', details }), { kind: 'retry', reason: 'gRPC UNAVAILABLE (14)', afterMs: 2000 });
  assert.equal(classifyOtlpGrpc({ code: 8, message: '', details: Buffer.from([0x1a, 9]) }).kind, 'reject', 'unreadable details count as none');
});
