// The agent end to end: `scx-metrics run --enable-prometheus` serves /metrics that promtool and the
// OpenMetrics parser accept, a second agent on the same port exits non-zero naming it, SIGTERM exits 0 and
// closes the listener.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cliPath, exited, startCli } from '../../helpers/cli.js';
import { hasCommand, needPeer } from '../../helpers/peers.js';
import { TEXT_004_CONTENT_TYPE } from '../../../src/sinks/prometheus/text-004.js';
import { OPENMETRICS_CONTENT_TYPE } from '../../../src/sinks/prometheus/openmetrics.js';
import { freePort, get, poll } from './http.js';

test('scx-metrics run --enable-prometheus: /metrics for promtool, port clash exits non-zero, SIGTERM exits 0', { timeout: 60_000 }, async (t) => {
  if (!needPeer(t, hasCommand('/usr/bin/promtool', ['--version']), 'promtool (Debian package prometheus)')) return;
  const port = await freePort();
  const listen = `127.0.0.1:${port}`;
  const agent = startCli(['run', '--enable-prometheus', '--prometheus-listen', listen, '--interval', '1']);
  try {
    // Two collections in, so the counters have moved past their first reading.
    const body = await poll(
      async () => {
        const r = await get(port);
        const text = r.body.toString('utf8');
        return r.status === 200 && /^scx_metrics_collections_total [2-9]/m.test(text) ? { text, type: r.headers['content-type'] } : undefined;
      },
      20_000,
      `/metrics on ${listen} (agent stderr: ${agent.output().stderr})`,
      200,
    );
    assert.equal(body.type, TEXT_004_CONTENT_TYPE);
    assert.match(body.text, /^# TYPE scx_host_context_switches_total counter\nscx_host_context_switches_total \d+\n/m);
    assert.match(body.text, /^scx_metrics_sink_errors_total\{sink="prometheus"\} 0$/m);
    const check = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: body.text, encoding: 'utf8' });
    assert.equal(`${check.stdout}${check.stderr}`, '', 'promtool finds nothing to complain about');
    assert.equal(check.status, 0);

    const om = await get(port, '/metrics', { headers: { Accept: 'application/openmetrics-text;version=1.0.0' } });
    assert.equal(om.headers['content-type'], OPENMETRICS_CONTENT_TYPE);
    assert.match(om.body.toString(), /^scx_host_context_switches_total \d+\nscx_host_context_switches_created [\d.]+\n[^]*# EOF\n$/m);

    // A second agent on the same address: exits non-zero, one error line naming the address and port.
    const second = spawnSync(process.execPath, [cliPath, 'run', '--enable-prometheus', '--prometheus-listen', listen, '--report', 'none'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.notEqual(second.status, 0);
    assert.notEqual(second.status, null, 'exited by itself');
    assert.match(second.stderr, new RegExp(`^scx-metrics: error: prometheus: listen tcp 127\\.0\\.0\\.1:${port}: address already in use$`, 'm'));
    assert.equal((await get(port)).status, 200, 'the first agent still serves');

    agent.kill('SIGTERM');
    const { code } = await exited(agent);
    assert.equal(code, 0);
    await assert.rejects(get(port), (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED', 'the listener is closed');
  } finally {
    agent.kill('SIGKILL');
  }
});
