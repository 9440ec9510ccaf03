// --web-config: the exporter toolkit's web config over real sockets with openssl-made certificates: TLS with
// custom headers, basic auth on every path (401 + WWW-Authenticate), plain HTTP to the TLS port, client
// certificates, certificate rotation and reload without a restart, a bad reload keeping the old config, bad
// files naming the field (and the CLI exiting 2), and a real Prometheus scraping over TLS with basic auth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { healthStats } from '../../../src/health.js';
import { memoryLogger } from '../../../src/support/log.js';
import { PrometheusSink } from '../../../src/sinks/prometheus/server.js';
import { parseWebConfig, WebConfigError } from '../../../src/sinks/http/web-config.js';
import { makeCerts, hasOpenssl, type CertDir } from '../../helpers/certs.js';
import { httpsGet } from '../../helpers/https.js';
import { runCli } from '../../helpers/cli.js';
import { needPeer } from '../../helpers/peers.js';
import { hasPrometheus, startPrometheus } from '../../helpers/prometheus-server.js';
import { fixtureRegistry } from './fixture.js';
import { poll } from './http.js';

// Cost 4 keeps the tests fast; the agent accepts any cost bcrypt allows. htpasswd writes $2y$, as here.
const ALICE_HASH = bcrypt.hashSync('secret', 4).replace(/^\$2b\$/, '$2y$');
const METRIC = /^fx_dispatched_tasks_total\{type="wsync"\} /m;

async function startSink(file: string): Promise<{ sink: PrometheusSink; port: number; log: ReturnType<typeof memoryLogger>; errors: () => number }> {
  const { registry } = fixtureRegistry();
  const log = memoryLogger();
  const sink = new PrometheusSink({ host: '127.0.0.1', port: 0, webConfig: { file, watch: { pollMs: 500, settleMs: 50 } } });
  await sink.start({ registry, log });
  const errors = registry.family(healthStats.stats.sink_errors).with({ sink: 'prometheus' });
  return { sink, port: sink.address().port, log, errors: () => errors.value };
}

function tlsConfig(c: CertDir, extra = ''): string {
  c.issue('server', { cn: 'one' });
  return `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n${extra}`;
}

test('bad web configs: one WebConfigError naming the field and what was expected', () => {
  const cases: [string, RegExp][] = [
    ['tls_server_config: [1', /web config w\.yml: line 1 column \d+: not valid YAML/],
    ['tls_server_confg: {}', /tls_server_confg: unknown field; expected one of tls_server_config, http_server_config, basic_auth_users/],
    ['tls_server_config:\n  key_file: x.key', /tls_server_config\.cert_file: missing; key_file needs its certificate/],
    ['tls_server_config:\n  cert_file: /nonexistent/x.crt\n  key_file: x.key', /tls_server_config\.cert_file: cannot read \/nonexistent\/x\.crt: ENOENT/],
    ['basic_auth_users:\n  alice: plaintext', /basic_auth_users\.alice: expected a bcrypt hash/],
    ['basic_auth_users: [alice]', /basic_auth_users: expected a mapping/],
    ['http_server_config:\n  headers:\n    Server: me', /http_server_config\.headers\.Server: this header cannot be configured/],
    ['http_server_config:\n  headers:\n    X-Frame-Options: allow', /http_server_config\.headers\.X-Frame-Options: "allow" is not one of deny, sameorigin/],
    ['http_server_config:\n  http2: maybe', /http_server_config\.http2: expected true or false/],
    // Found by the fuzzer: aliases are resolved after parsing, and yaml threw a ReferenceError there.
    ['basic_auth_users: *nope', /YAML: cannot be resolved \(Unresolved alias.*nope/],
    [`a: &a [x]\nb: &b [${'*a,'.repeat(50)}]\nc: [${'*b,'.repeat(50)}]`, /YAML: cannot be resolved \(Excessive alias count/],
  ];
  for (const [text, want] of cases) {
    assert.throws(() => parseWebConfig(text, 'w.yml'), (err: Error) => {
      assert.ok(err instanceof WebConfigError, text);
      assert.match(err.message, want, text);
      assert.ok(err.message.startsWith('web config w.yml: '), err.message);
      return true;
    });
  }
  const ok = parseWebConfig(`basic_auth_users:\n  alice: ${ALICE_HASH}\nhttp_server_config:\n  http2: true\n  headers:\n    X-Content-Type-Options: nosniff\n`, 'w.yml');
  assert.equal(ok.tls, undefined);
  assert.deepEqual([...ok.users.keys()], ['alice']);
  assert.deepEqual(ok.headers, [['X-Content-Type-Options', 'nosniff']]);
  assert.equal(parseWebConfig('', 'empty.yml').users.size, 0, 'an empty file is plain HTTP, no auth');
});

test('bad TLS settings name the field: versions, client auth, cipher suites, curves, key that does not match', (t) => {
  if (!needPeer(t, hasOpenssl(), 'openssl (Debian package openssl)')) return;
  const c = makeCerts();
  try {
    c.issue('other');
    const file = join(c.dir, 'w.yml');
    const cases: [string, RegExp][] = [
      ['  min_version: TLS14\n', /tls_server_config\.min_version: "TLS14" is not one of TLS10, TLS11, TLS12, TLS13/],
      ['  min_version: TLS13\n  max_version: TLS12\n', /tls_server_config\.max_version: TLS12 is below min_version TLS13/],
      ['  client_auth_type: Sometimes\n', /tls_server_config\.client_auth_type: "Sometimes" is not one of NoClientCert/],
      ['  client_ca_file: ca.crt\n', /tls_server_config\.client_ca_file: set without a client_auth_type/],
      ['  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_BOGUS]\n', /tls_server_config\.cipher_suites\[1\]: "TLS_BOGUS" is not a Go cipher suite name/],
      ['  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]\n', /tls_server_config\.cipher_suites\[0\]: TLS_RSA_WITH_RC4_128_SHA \(OpenSSL RC4-SHA\) is not available/],
      ['  curve_preferences: [CurveP999]\n', /tls_server_config\.curve_preferences\[0\]: "CurveP999" is not one of CurveP256/],
      ['  client_allowed_sans: [x]\n', /tls_server_config\.client_allowed_sans: unknown field/],
    ];
    for (const [extra, want] of cases) assert.throws(() => parseWebConfig(tlsConfig(c, extra), file), want, extra);
    const mismatched = 'tls_server_config:\n  cert_file: server.crt\n  key_file: other.key\n';
    assert.throws(() => parseWebConfig(mismatched, file), /tls_server_config\.key_file: does not match the certificate in cert_file/);
    const good = parseWebConfig(tlsConfig(c, '  min_version: TLS13\n  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]\n  curve_preferences: [X25519, CurveP256]\n'), file);
    assert.equal(good.tls?.minVersion, 'TLS13');
    assert.deepEqual(good.files, [file, join(c.dir, 'server.crt'), join(c.dir, 'server.key')], 'relative names are relative to the config folder');
  } finally {
    c.remove();
  }
});

test('the CLI exits 2 with one line naming the field for a bad --web-config', () => {
  const r = runCli(['run', '--enable-prometheus', '--prometheus-listen', '127.0.0.1:0', '--web-config', '/nonexistent/web.yml', '--report', 'none']);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, 'scx-metrics: --web-config: web config /nonexistent/web.yml: cannot read the web config file: ENOENT\n');
});

test('TLS with basic auth and headers: 401 without or with wrong credentials on every path, metrics with them, none over plain HTTP', async (t) => {
  if (!needPeer(t, hasOpenssl(), 'openssl (Debian package openssl)')) return;
  const c = makeCerts();
  const file = join(c.dir, 'web.yml');
  writeFileSync(file, tlsConfig(c, `http_server_config:\n  headers:\n    X-Frame-Options: deny\n    Strict-Transport-Security: max-age=31536000\nbasic_auth_users:\n  alice: ${ALICE_HASH}\n`));
  const { sink, port, log, errors } = await startSink(file);
  const ca = c.read(c.ca);
  try {
    assert.ok(log.lines.some((l) => l.includes(`serving https://127.0.0.1:${port}/metrics`)), log.lines.join('\n'));
    const ok = await httpsGet(port, '/metrics', { ca, auth: 'alice:secret' });
    assert.equal(ok.status, 200);
    assert.match(ok.body, METRIC);
    assert.equal(ok.peerCN, 'one');
    assert.equal(ok.headers['x-frame-options'], 'deny');
    assert.equal(ok.headers['strict-transport-security'], 'max-age=31536000');
    for (const [path, auth] of [['/metrics', undefined], ['/metrics', 'alice:wrong'], ['/metrics', 'bob:secret'], ['/metrics', 'alice'], ['/', undefined], ['/nope', undefined]] as const) {
      const r = await httpsGet(port, path, { ca, auth });
      assert.equal(r.status, 401, `${path} ${auth}`);
      assert.equal(r.headers['www-authenticate'], 'Basic');
      assert.equal(r.headers['x-frame-options'], 'deny', 'configured headers go on every answer');
      assert.doesNotMatch(r.body, /fx_/);
    }
    assert.equal((await httpsGet(port, '/', { ca, auth: 'alice:secret' })).status, 200, 'other paths served with credentials');
    // Plain HTTP to the TLS port: the handshake fails, the connection closes, no metrics; counted.
    const before = errors();
    const got = await new Promise<string>((resolve) => {
      let data = '';
      const s = connect(port, '127.0.0.1', () => s.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n'));
      s.setEncoding('latin1').on('data', (d: string) => (data += d));
      s.on('error', () => undefined);
      s.once('close', () => resolve(data));
    });
    assert.doesNotMatch(got, /fx_|HTTP\/1\.1 200/);
    await poll(() => (errors() > before ? true : undefined), 5000, 'the refused handshake counted');
  } finally {
    await sink.close(1000);
    c.remove();
  }
});

test('client certificates: RequireAndVerifyClientCert takes only a CA-signed one; RequireAnyClientCert any one', async (t) => {
  if (!needPeer(t, hasOpenssl(), 'openssl (Debian package openssl)')) return;
  const c = makeCerts();
  const file = join(c.dir, 'web.yml');
  const signed = c.issue('client', { client: true });
  const self = c.issue('stranger', { client: true, selfSigned: true });
  const ca = c.read(c.ca);
  const as = (p: { cert: string; key: string }): { cert: Buffer; key: Buffer } => ({ cert: c.read(p.cert), key: c.read(p.key) });
  writeFileSync(file, tlsConfig(c, '  client_ca_file: ca.crt\n  client_auth_type: RequireAndVerifyClientCert\n'));
  const { sink, port, log } = await startSink(file);
  try {
    assert.equal((await httpsGet(port, '/metrics', { ca, ...as(signed) })).status, 200);
    await assert.rejects(httpsGet(port, '/metrics', { ca }), 'no client certificate');
    await assert.rejects(httpsGet(port, '/metrics', { ca, ...as(self) }), 'a certificate from another CA');
    // The policy changes on reload, for new connections, without a restart.
    writeFileSync(file, tlsConfig(c, '  client_auth_type: RequireAnyClientCert\n'));
    await poll(() => (log.lines.some((l) => l.includes('reloaded')) ? true : undefined), 10_000, 'the reload');
    assert.equal((await httpsGet(port, '/metrics', { ca, ...as(self) })).status, 200, 'any certificate will do now');
    await assert.rejects(httpsGet(port, '/metrics', { ca }), 'still one is required');
  } finally {
    await sink.close(1000);
    c.remove();
  }
});

test('certificate rotation without a restart; a bad rewrite keeps the running config and says so', async (t) => {
  if (!needPeer(t, hasOpenssl(), 'openssl (Debian package openssl)')) return;
  const c = makeCerts();
  const file = join(c.dir, 'web.yml');
  writeFileSync(file, tlsConfig(c));
  const two = c.issue('two', { cn: 'two' });
  const { sink, port, log } = await startSink(file);
  const ca = c.read(c.ca);
  try {
    assert.equal((await httpsGet(port, '/metrics', { ca })).peerCN, 'one');
    // A certificate manager rewrites the key and certificate in place.
    copyFileSync(two.key, join(c.dir, 'server.key'));
    copyFileSync(two.cert, join(c.dir, 'server.crt'));
    await poll(async () => ((await httpsGet(port, '/metrics', { ca })).peerCN === 'two' ? true : undefined), 10_000, 'the new certificate served');
    // A broken edit: the old config stays in force and the problem is logged, naming the field.
    writeFileSync(file, `${tlsConfig(c).replace('cert_file: server.crt', 'cert_file: missing.crt')}`);
    await poll(() => (log.lines.some((l) => /tls_server_config\.cert_file: cannot read .*missing\.crt: ENOENT; keeping the running config/.test(l)) ? true : undefined), 10_000, `the reload error in ${log.lines.join(' | ')}`);
    const still = await httpsGet(port, '/metrics', { ca });
    assert.equal(still.status, 200);
    assert.equal(still.peerCN, 'two');
    // Switching TLS off needs a restart: refused, the listener stays on TLS.
    writeFileSync(file, '');
    await poll(() => (log.lines.some((l) => l.includes('switching TLS off needs a restart')) ? true : undefined), 10_000, 'the refusal');
    assert.equal((await httpsGet(port, '/metrics', { ca })).status, 200);
    // Users added on reload apply to the next request.
    writeFileSync(file, tlsConfig(c, `basic_auth_users:\n  alice: ${ALICE_HASH}\n`));
    await poll(async () => ((await httpsGet(port, '/metrics', { ca })).status === 401 ? true : undefined), 10_000, 'auth after reload');
  } finally {
    await sink.close(1000);
    c.remove();
  }
});

test('a real Prometheus scrapes over TLS with basic auth: up == 1, and 0 for a job with the wrong password', { timeout: 120_000 }, async (t) => {
  if (!needPeer(t, hasOpenssl(), 'openssl (Debian package openssl)')) return;
  if (!needPeer(t, hasPrometheus(), 'prometheus server (Debian package prometheus)')) return;
  const c = makeCerts();
  const file = join(c.dir, 'web.yml');
  writeFileSync(file, tlsConfig(c, `basic_auth_users:\n  alice: ${ALICE_HASH}\n`));
  const { sink, port } = await startSink(file);
  const job = (name: string, password: string): string =>
    `  - job_name: ${name}\n    scheme: https\n    tls_config:\n      ca_file: ${c.ca}\n    basic_auth:\n      username: alice\n      password: ${password}\n    static_configs:\n      - targets: ['127.0.0.1:${port}']\n`;
  const prom = await startPrometheus({ config: `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n${job('scx', 'secret')}${job('scx-wrong', 'guess')}` });
  try {
    await prom.queryUntil('up{job="scx"}', (r) => r[0]?.value[1] === '1', 30_000);
    await prom.queryUntil('up{job="scx-wrong"}', (r) => r[0]?.value[1] === '0', 30_000);
    const got = await prom.queryUntil('fx_dispatched_tasks_total{job="scx",type="wsync"}', (r) => r.length === 1, 30_000);
    assert.equal(got[0]?.metric.instance, `127.0.0.1:${port}`);
    assert.equal((await prom.query('count(fx_dispatched_tasks_total{job="scx-wrong"})')).length, 0, 'nothing scraped without the password');
  } finally {
    await prom.stop();
    await sink.close(1000);
    c.remove();
  }
});
