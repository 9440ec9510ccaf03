import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exited, runCli, startCli, waitFor } from '../../helpers/cli.js';
import { hasCommand, needPeer } from '../../helpers/peers.js';
import { startGrpcPeer } from '../../helpers/grpc-peer.js';
import { startHttpPeer } from '../../helpers/http-peer.js';
import { ExportMetricsServiceRequest as Req, toJsonView } from '../../helpers/otlp-proto.js';

test('otlp protocol flags: bad or contradicting values are one usage line, exit 2', () => {
  const cases: [string[], RegExp][] = [
    [['run', '--otlp', 'http://127.0.0.1:4317', '--otlp-protocol', 'grpc/json'], /^scx-metrics: --otlp-protocol: "grpc\/json" is not http\/protobuf, http\/json or grpc$/],
    [['run', '--otlp', 'http://127.0.0.1:4317', '--otlp-protocol', 'grpc', '--otlp-encoding', 'json'], /^scx-metrics: --otlp-encoding json contradicts --otlp-protocol grpc; give one of them$/],
    [['run', '--otlp', 'http://127.0.0.1:4317/v1/metrics', '--otlp-protocol', 'grpc'], /^scx-metrics: --otlp: a gRPC target has no path \(got "\/v1\/metrics"\); expected http:\/\/HOST:4317 or https:\/\/HOST:4317$/],
  ];
  for (const [args, re] of cases) {
    const r = runCli(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `${args.join(' ')}: ${JSON.stringify(r.stderr)}`);
    assert.match(lines[0] ?? '', re);
  }
  assert.match(runCli(['run', '--help']).stdout, /--otlp-protocol http\/protobuf\|http\/json\|grpc/);
});

type View = { resourceMetrics: { scopeMetrics: { metrics: { name: string; sum?: { dataPoints: { asDouble: number }[] } }[] }[] }[] };

test('cli: OTEL_EXPORTER_OTLP_PROTOCOL=grpc sends over gRPC (an unknown metrics-specific value is warned about and ignored); SIGTERM sends the last snapshot', async () => {
  const peer = await startGrpcPeer();
  const env = { ...process.env, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'carrier-pigeon' };
  const child = startCli(['run', '--interval', '60', '--report', 'none', '--otlp', peer.url, '--otlp-compression', 'gzip'], { env });
  try {
    await peer.waitFor(1, 20_000);
    child.kill('SIGTERM');
    const { code } = await exited(child);
    const { stderr } = child.output();
    assert.equal(code, 0, stderr);
    assert.match(stderr, /sink otlp: ignoring OTEL_EXPORTER_OTLP_METRICS_PROTOCOL="carrier-pigeon" \(expected http\/protobuf, http\/json or grpc\)/);
    assert.equal(peer.calls.length, 2, 'the final snapshot was exported before exit');
    const last = toJsonView(Req, peer.calls[1]?.request ?? {}) as View;
    const collections = last.resourceMetrics[0]?.scopeMetrics[0]?.metrics.find((m) => m.name === 'scx_metrics_collections');
    assert.equal(collections?.sum?.dataPoints[0]?.asDouble, 2);
  } finally {
    child.kill('SIGKILL');
    await peer.kill();
  }
});

test('cli: --otlp-protocol http/protobuf beats OTEL_EXPORTER_OTLP_PROTOCOL=grpc', async () => {
  const peer = await startHttpPeer();
  const env = { ...process.env, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' };
  const child = startCli(['run', '--interval', '60', '--report', 'none', '--otlp', peer.url, '--otlp-protocol', 'http/protobuf'], { env });
  try {
    await peer.waitFor(1, 20_000);
    assert.equal(peer.requests[0]?.url, '/v1/metrics');
    assert.equal(peer.requests[0]?.headers['content-type'], 'application/x-protobuf');
    child.kill('SIGTERM');
    assert.equal((await exited(child)).code, 0);
  } finally {
    child.kill('SIGKILL');
    await peer.close();
  }
});

test('cli: an https:// gRPC target speaks TLS, verified against the CAs node trusts (here NODE_EXTRA_CA_CERTS)', async (t) => {
  if (!needPeer(t, hasCommand('openssl', ['version']), 'openssl (Debian package openssl) to make a test certificate')) return;
  const dir = mkdtempSync(join(tmpdir(), 'scx-grpc-tls-'));
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyPath, '-out', certPath], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const peer = await startGrpcPeer(() => ({}), 0, { cert: readFileSync(certPath), key: readFileSync(keyPath) });
  try {
    // Without the CA the handshake is refused and nothing arrives; with it, the export does.
    const untrusted = startCli(['run', '--interval', '60', '--report', 'none', '--otlp', peer.url, '--otlp-protocol', 'grpc', '--otlp-timeout', '2']);
    const trusted = startCli(['run', '--interval', '60', '--report', 'none', '--otlp', peer.url, '--otlp-protocol', 'grpc'], { env: { ...process.env, NODE_EXTRA_CA_CERTS: certPath } });
    try {
      await peer.waitFor(1, 20_000);
      await waitFor(() => /self-signed certificate/.test(untrusted.output().stderr), 20_000, 'the untrusted agent to report the certificate');
      untrusted.kill('SIGTERM');
      trusted.kill('SIGTERM');
      assert.equal((await exited(trusted)).code, 0, trusted.output().stderr);
      await exited(untrusted);
      assert.equal(peer.calls.length, 2, "the trusted agent's two exports, none from the untrusted one");
      assert.match(untrusted.output().stderr, /sink otlp: dropped \d+ data points/);
    } finally {
      untrusted.kill('SIGKILL');
      trusted.kill('SIGKILL');
    }
  } finally {
    await peer.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
