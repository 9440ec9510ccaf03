// `--web-config` on the `--web` listener (the CLI as a child process, openssl-made certificates): the page,
// its assets and its event stream are served over TLS only, behind basic auth, with the configured headers;
// plain HTTP to the port gets nothing. With Chromium, the page charts through TLS and basic auth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { exitedWithin, startCli, waitFor } from '../../helpers/cli.js';
import { launchChromium } from '../../helpers/browser.js';
import { hasOpenssl, makeCerts } from '../../helpers/certs.js';
import { freePort } from '../../helpers/datagram-peers.js';
import { httpsGet } from '../../helpers/https.js';
import { needPeer } from '../../helpers/peers.js';
import { waitForPanels } from './page.js';

// Cost 4 keeps the test fast; htpasswd writes $2y$, as here.
const HASH = bcrypt.hashSync('secret', 4).replace(/^\$2b\$/, '$2y$');

/** What a plain-HTTP client gets from the port: the raw bytes until the server closes. */
function plainGet(port: number, path: string): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    const s = connect(port, '127.0.0.1', () => s.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`));
    s.setEncoding('latin1').on('data', (d: string) => (data += d));
    s.on('error', () => undefined);
    s.setTimeout(10_000, () => s.destroy());
    s.once('close', () => resolve(data));
  });
}

test('--web with --web-config: TLS and basic auth on every path of the web view, headers, nothing over plain HTTP; the page charts through them', async (t) => {
  if (!needPeer(t, hasOpenssl(), 'openssl (Debian package openssl)')) return;
  const c = makeCerts();
  c.issue('server', { cn: 'web' });
  const file = join(c.dir, 'web.yml');
  writeFileSync(file, `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\nbasic_auth_users:\n  alice: ${HASH}\n`);
  const ca = c.read(c.ca);
  const port = await freePort('tcp');
  const child = startCli(['run', '--interval', '1', '--report', 'none', '--web', `127.0.0.1:${port}`, '--web-config', file]);
  try {
    await waitFor(() => /web: serving the web view/.test(child.output().stderr) || child.exitCode !== null, 20_000, 'agent to listen');
    assert.equal(child.exitCode, null, child.output().stderr);
    assert.match(child.output().stderr, new RegExp(`web: serving the web view at https://127\\.0\\.0\\.1:${port}/`));

    for (const path of ['/', '/api/events', '/assets/app.js', '/nope']) {
      for (const auth of [undefined, 'alice:wrong', 'bob:secret']) {
        const r = await httpsGet(port, path, { ca, auth });
        assert.equal(r.status, 401, `${path} with ${auth ?? 'no credentials'}`);
        assert.equal(r.headers['www-authenticate'], 'Basic');
        assert.equal(r.headers['x-frame-options'], 'deny', 'configured headers go on every answer');
        assert.equal(r.body, 'Unauthorized\n');
      }
    }
    const page = await httpsGet(port, '/', { ca, auth: 'alice:secret' });
    assert.equal(page.status, 200);
    assert.equal(page.peerCN, 'web');
    assert.equal(page.headers['x-frame-options'], 'deny');
    assert.match(page.body, /<title>scx-metrics<\/title>/);
    const events = await httpsGet(port, '/api/events', { ca, auth: 'alice:secret', until: /event: hello\n/ });
    assert.equal(events.status, 200);
    assert.match(String(events.headers['content-type']), /^text\/event-stream/);
    assert.equal((await httpsGet(port, '/metrics', { ca, auth: 'alice:secret' })).status, 404, '--web has no /metrics, with or without TLS');

    // Plain HTTP to the TLS port: the handshake fails and the connection closes without an answer; said once.
    const got = await plainGet(port, '/');
    assert.doesNotMatch(got, /HTTP\/1\.1 200|scx-metrics/);
    await waitFor(() => /web: TLS handshake refused/.test(child.output().stderr), 5000, 'the refused handshake logged');

    const browser = await launchChromium(t);
    if (browser !== undefined) {
      try {
        const ctx = await browser.newContext({ ignoreHTTPSErrors: true, httpCredentials: { username: 'alice', password: 'secret' } });
        const tab = await ctx.newPage();
        await tab.goto(`https://127.0.0.1:${port}/`);
        await waitForPanels(tab, ['scx_host_context_switches_total'], 2);
      } finally {
        await browser.close();
      }
    }
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await exitedWithin(child, 10_000, 'agent after SIGTERM');
    }
    c.remove();
  }
});
