import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, startCli, exited } from '../../helpers/cli.js';
import { startHttpPeer, startBlackHole } from '../../helpers/http-peer.js';
import { hasPrometheus, startPrometheus } from '../../helpers/prometheus-server.js';
import { needPeer } from '../../helpers/peers.js';
import { parseOtelResourceAttributes, resourceAttributes, schedulerName } from '../../../src/sinks/otlp/resource.js';
import { fixtureTree } from '../../helpers/fixtures.js';
import { ExportMetricsServiceRequest as Req, toJsonView } from '../../helpers/otlp-proto.js';

test('push sink flags: bad values are one usage line naming the flag, exit 2', () => {
  const cases: [string[], RegExp][] = [
    [['run', '--otlp', 'localhost:4318'], /^scx-metrics: --otlp: "localhost:4318" is not an http:\/\/ or https:\/\/ URL$/],
    [['run', '--otlp', 'http://[::1'], /--otlp: "http:\/\/\[::1" is not a URL/],
    [['run', '--otlp', 'http://127.0.0.1:4318', '--otlp-encoding', 'xml'], /--otlp-encoding: "xml" is not protobuf or json/],
    [['run', '--otlp', 'http://127.0.0.1:4318', '--otlp-temporality', 'sometimes'], /--otlp-temporality: "sometimes" is not cumulative or delta/],
    [['run', '--otlp', 'http://127.0.0.1:4318', '--otlp-compression', 'zstd'], /--otlp-compression: "zstd" is not gzip or none/],
    [['run', '--otlp', 'http://127.0.0.1:4318', '--otlp-resource', 'novalue'], /--otlp-resource: "novalue" is not KEY=VALUE/],
    [['run', '--otlp', 'http://127.0.0.1:4318', '--otlp-queue-size', '0'], /--otlp-queue-size: "0" is not an integer > 0/],
    [['run', '--remote-write', 'ftp://x/'], /--remote-write: "ftp:\/\/x\/" is not an http:\/\/ or https:\/\/ URL/],
    [['run', '--remote-write', 'http://127.0.0.1:9090/api/v1/write', '--remote-write-max-samples', '1.5'], /--remote-write-max-samples: "1.5" is not an integer > 0/],
  ];
  for (const [args, re] of cases) {
    const r = runCli(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `${args.join(' ')}: ${JSON.stringify(r.stderr)}`);
    assert.match(lines[0] ?? '', re);
  }
  const help = runCli(['run', '--help']).stdout;
  assert.match(help, /--otlp URL/);
  assert.match(help, /--remote-write URL/);
  assert.match(help, /--otlp-resource KEY=VALUE.*\[repeatable\]/);
});

test('otlp resource: defaults, OTEL_* environment, then --otlp-resource, key by key', () => {
  const sys = fixtureTree({ 'root/ops': 'rusty_1.0.12_g1a2b3c_x86_64-unknown-linux-gnu\n' });
  try {
    assert.equal(schedulerName('rusty_1.0.12_g1a2b3c'), 'rusty');
    assert.equal(schedulerName('flat_cg'), 'flat_cg');
    const attrs = new Map(
      resourceAttributes({
        schedExtRoot: sys.root,
        env: { OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,team=sched%20ext,broken', OTEL_SERVICE_NAME: 'scx-agent' },
        pairs: [['team', 'kernel'], ['host.name', 'node-7']],
      }),
    );
    assert.equal(attrs.get('service.name'), 'scx-agent');
    assert.equal(attrs.get('scx.scheduler.name'), 'rusty');
    assert.equal(attrs.get('deployment.environment'), 'prod');
    assert.equal(attrs.get('team'), 'kernel');
    assert.equal(attrs.get('host.name'), 'node-7');
    assert.equal(new Map(resourceAttributes({ schedExtRoot: sys.root, scheduler: 'lavd' })).get('scx.scheduler.name'), 'lavd');
    assert.equal(new Map(resourceAttributes({ schedExtRoot: `${sys.root}/none` })).has('scx.scheduler.name'), false);
    assert.deepEqual(parseOtelResourceAttributes('a=1, b = x%2Cy ,=z'), [['a', '1'], ['b', 'x,y']]);
  } finally {
    sys.cleanup();
  }
});

test('cli: --otlp and --remote-write run together; SIGTERM sends the last snapshot to both, then exits 0', async (t) => {
  if (!needPeer(t, hasPrometheus(), 'prometheus (Debian package prometheus) for the remote-write receiver')) return;
  const otlp = await startHttpPeer();
  const prom = await startPrometheus();
  const child = startCli([
    'run',
    '--interval', '60',
    '--report', 'none',
    '--otlp', otlp.url,
    '--otlp-resource', 'scx.scheduler.name=simple',
    '--remote-write', prom.writeUrl,
  ]);
  try {
    await otlp.waitFor(1, 20_000); // start()'s flush
    child.kill('SIGTERM');
    const { code } = await exited(child);
    assert.equal(code, 0, child.output().stderr);
    assert.equal(otlp.requests.length, 2, 'the final snapshot was pushed before exit');
    const last = toJsonView(Req, Req.decode(otlp.requests[1]?.body ?? Buffer.alloc(0))) as { resourceMetrics: { resource: { attributes: { key: string; value: { stringValue: string } }[] } }[] };
    const res = new Map(last.resourceMetrics[0]?.resource.attributes.map((a) => [a.key, a.value.stringValue]));
    assert.equal(res.get('service.name'), 'scx-metrics');
    assert.equal(res.get('scx.scheduler.name'), 'simple');
    const r = await prom.queryUntil('scx_metrics_collections_total', (x) => x.length === 1 && x[0]?.value[1] === '2', 5000);
    assert.equal(r[0]?.value[1], '2', 'the final collection reached Prometheus before exit');
  } finally {
    child.kill('SIGKILL');
    await otlp.close();
    await prom.stop();
  }
});

test('cli: SIGTERM with a black-holed collector still exits, within the shutdown deadline', async () => {
  const hole = await startBlackHole();
  const child = startCli(['run', '--interval', '60', '--report', 'none', '--otlp', hole.url, '--otlp-timeout', '120']);
  try {
    const end = Date.now() + 20_000;
    while (hole.received() === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
    assert.ok(hole.received() > 0, 'the first request reached the black hole');
    child.kill('SIGTERM');
    const { code } = await exited(child);
    assert.equal(code, 0);
    assert.match(child.output().stderr, /sink otlp: dropped \d+ data points in the last interval \(shutdown deadline passed\)/);
  } finally {
    child.kill('SIGKILL');
    await hole.close();
  }
});
