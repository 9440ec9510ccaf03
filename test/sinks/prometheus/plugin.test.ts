// The plugin's flags: off by default, --prometheus-listen parsed and checked even when off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../../src/plugin/flags.js';
import { memoryLogger } from '../../../src/support/log.js';
import { prometheusPlugin } from '../../../src/sinks/prometheus/plugin.js';
import { WebViewSink } from '../../../src/sinks/web/sink.js';
import { PrometheusSink } from '../../../src/sinks/prometheus/server.js';
import { sinkPlugins } from '../../../src/sinks/catalog.js';
import { runCli } from '../../helpers/cli.js';

const env = { log: memoryLogger(), intervalSeconds: 1, out: process.stdout, env: {} };

test('--enable-prometheus is off by default; on, it makes the sink and the web view it serves at /; the plugin is in the catalog', async () => {
  assert.ok(sinkPlugins.includes(prometheusPlugin));
  assert.equal(prometheusPlugin.flags['prometheus-listen']?.default, '0.0.0.0:9000');
  assert.deepEqual(await prometheusPlugin.create({}, env), []);
  const sinks = await prometheusPlugin.create({ 'enable-prometheus': true, 'prometheus-listen': '[::1]:9100' }, env);
  assert.equal(sinks.length, 2);
  assert.ok(sinks[0] instanceof PrometheusSink);
  assert.ok(sinks[1] instanceof WebViewSink);
});

test('a bad --prometheus-listen is a usage error naming the flag, exit 2, even without --enable-prometheus', () => {
  assert.throws(() => prometheusPlugin.create({ 'prometheus-listen': 'localhost' }, env), (err: Error) => err instanceof UsageError && /--prometheus-listen: "localhost" is not HOST:PORT/.test(err.message));
  const r = runCli(['run', '--prometheus-listen', '127.0.0.1:99999']);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'scx-metrics: --prometheus-listen: "127.0.0.1:99999" is not HOST:PORT (e.g. 0.0.0.0:9000 or [::1]:9000)\n');
});
