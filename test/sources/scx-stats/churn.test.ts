// Label churn and cardinality end to end: a real scx_stats socket server whose per-layer dict keys change
// every interval, read by the agent and published by the Prometheus endpoint, a remote_write receiver and an
// OTLP receiver (real loopback HTTP servers); a 20 000-key dict against the cardinality cap, checked by promtool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Agent } from '../../../src/agent.js';
import { Backoff } from '../../../src/support/backoff.js';
import { memoryLogger } from '../../../src/support/log.js';
import type { CounterSeries } from '../../../src/registry/index.js';
import { OtlpSink } from '../../../src/sinks/otlp/sink.js';
import { PrometheusSink } from '../../../src/sinks/prometheus/server.js';
import { Backoff as QueueBackoff } from '../../../src/sinks/push/queue.js';
import { RemoteWriteSink } from '../../../src/sinks/remote-write/sink.js';
import { TerminalSink } from '../../../src/sinks/terminal/sink.js';
import { textCollector } from '../../helpers/fixtures.js';
import { STALE_NAN_BYTES } from '../../../src/sinks/remote-write/encode.js';
import { snappyUncompress } from '../../../src/sinks/remote-write/snappy.js';
import { ScxStatsSource } from '../../../src/sources/scx-stats/source.js';
import { ExportMetricsServiceRequest as Req, toJsonView } from '../../helpers/otlp-proto.js';
import { startHttpPeer } from '../../helpers/http-peer.js';
import { hasCommand, needPeer } from '../../helpers/peers.js';
import { decodeWriteRequest, seriesKey } from '../../helpers/prompb.js';
import { get } from '../../sinks/prometheus/http.js';
import { TestStatsServer } from './server.js';

/** scx_layered's shape, cut down: a top struct with a per-layer dict of structs (a number and an info string). */
const meta = {
  Top: {
    name: 'Top',
    top: 'true',
    fields: {
      nr_layers: { datum: 'u64', desc: 'Layers' },
      layers: { desc: 'per-layer statistics', dict: { key: 'string', datum: { struct: 'Layer' } } },
    },
  },
  Layer: {
    name: 'Layer',
    user: { _om_prefix: 'l_', _om_label: 'layer' },
    fields: {
      load: { datum: 'float', desc: 'Layer load' },
      mode: { datum: 'string', desc: 'Layer mode' },
    },
  },
};

/** A server whose dict holds `keys()` at each request. */
async function churningServer(keys: () => readonly string[]): Promise<TestStatsServer> {
  return TestStatsServer.start({
    meta,
    targets: {
      top: () => () => {
        const ks = keys();
        return { nr_layers: ks.length, layers: Object.fromEntries(ks.map((k, i) => [k, { load: i + 0.5, mode: i % 2 === 0 ? 'grouped' : 'open' }])) };
      },
    },
  });
}

const lines = (text: string, metric: string): string[] => text.split('\n').filter((l) => l.startsWith(`${metric}{`));

test('churn: dict keys that change every interval leave /metrics bounded at live + grace; remote_write marks them stale; OTLP stops sending them', async () => {
  const LIVE = 8;
  const ROUNDS = 30;
  const GRACE = 3;
  let round = 0;
  const keysOf = (r: number): string[] => Array.from({ length: LIVE }, (_, i) => `r${r}-k${i}`);
  const server = await churningServer(() => keysOf(round));
  const rw = await startHttpPeer(() => ({ status: 204 }));
  const otlp = await startHttpPeer(() => ({ status: 200 }));
  const prom = new PrometheusSink({ host: '127.0.0.1', port: 0 });
  const remote = new RemoteWriteSink({ url: new URL(`${rw.url}/api/v1/write`), backoff: new QueueBackoff(20, 100) });
  const otel = new OtlpSink({ url: new URL(`${otlp.url}/v1/metrics`), resource: [['service.name', 'scx-metrics']], backoff: new QueueBackoff(20, 100) });
  const report = textCollector();
  const agent = new Agent({
    sources: [new ScxStatsSource({ path: server.path, backoff: new Backoff(0, 0) })],
    sinks: [prom, remote, otel, new TerminalSink({ format: 'json', out: report.stream })],
    intervalSeconds: 1,
    log: memoryLogger(),
  });
  try {
    await agent.start(); // round 0 read and flushed
    const counts: number[] = [];
    for (round = 1; round <= ROUNDS; round++) {
      await agent.tick();
      const text = (await get(prom.address().port)).body.toString('utf8');
      counts.push(lines(text, 'l_load').length);
      assert.equal(lines(text, 'l_mode').length, lines(text, 'l_load').length, 'info series expire with their keys');
      if (round === 1) {
        assert.ok(text.includes('l_load{layer="r0-k0"}'), 'an unreported key is kept during its grace period');
        assert.ok(text.includes('l_load{layer="r1-k0"}'));
      }
    }
    // Today's code kept every key ever seen: LIVE * (ROUNDS + 1) = 248 series.
    assert.equal(Math.max(...counts), LIVE * GRACE, `series per interval: ${counts.join(',')}`);
    assert.equal(counts.at(-1), LIVE * GRACE);
    const text = (await get(prom.address().port)).body.toString('utf8');
    assert.ok(!text.includes('layer="r0-k0"'), 'a key gone for the grace period is removed from /metrics');
    assert.equal(agent.registry.get('scx_metrics_series_expired')?.series[0]?.labelValues[0], 'scx_stats');
    // The report (one JSON object per interval): r0-k0 is in the first and absent once removed.
    const reports = report.text().trim().split('\n');
    assert.equal(reports.length, ROUNDS);
    const shown = reports.map((r) => r.includes('"r0-k0"'));
    assert.deepEqual(shown.slice(0, GRACE), [true, true, false], `r0-k0 per report: ${shown.join(',')}`);
    assert.ok(shown.slice(GRACE - 1).every((x) => !x));
    assert.ok(reports.at(-1)?.includes(`"r${ROUNDS}-k0"`));

    // remote_write: r0-k0 was sent live, then once with Prometheus' staleness marker, then never again.
    await rw.waitFor(ROUNDS + 1);
    const key = 'l_load{layer="r0-k0"}';
    const samples = rw.requests.map((r) => decodeWriteRequest(snappyUncompress(r.body)).filter((s) => seriesKey(s) === key).map((s) => s.samples[0]?.value));
    const sent = samples.map((s) => (s.length === 0 ? '-' : Number.isNaN(s[0]) ? 'stale' : 'live'));
    assert.deepEqual(sent.slice(0, GRACE + 2), ['live', 'live', 'live', 'stale', '-'], `r0-k0 per request: ${sent.join(',')}`);
    assert.ok(sent.slice(GRACE + 1).every((x) => x === '-'));
    const staleBody = snappyUncompress((rw.requests[GRACE] as { body: Buffer }).body);
    assert.ok(Buffer.from(staleBody).includes(Buffer.from([0x09, ...STALE_NAN_BYTES])), 'the marker is the exact NaN 0x7ff0000000000002');

    // OTLP: r0-k0 is in the first requests and in none after its removal.
    await otlp.waitFor(ROUNDS + 1);
    const hasKey = otlp.requests.map((r) => JSON.stringify(toJsonView(Req, Req.decode(r.body))).includes('"r0-k0"'));
    assert.deepEqual(hasKey.slice(0, GRACE + 1), [true, true, true, false]);
    assert.ok(hasKey.slice(GRACE).every((x) => !x), 'OTLP stops sending a removed series');
  } finally {
    await agent.stop();
    await server.close();
    await rw.close();
    await otlp.close();
  }
});

test('churn: with a grace of 2 a key back after one missed interval keeps its series; gone for two, it is removed', async () => {
  let keys = ['a', 'b'];
  const server = await churningServer(() => keys);
  const agent = new Agent({ sources: [new ScxStatsSource({ path: server.path, backoff: new Backoff(0, 0) })], sinks: [], intervalSeconds: 1, log: memoryLogger(), seriesGrace: 2 });
  try {
    await agent.start();
    const b = agent.registry.get('l_load')?.series.find((s) => s.labelValues[0] === 'b');
    keys = ['a'];
    await agent.tick();
    keys = ['a', 'b'];
    await agent.tick();
    const b2 = agent.registry.get('l_load')?.series.find((s) => s.labelValues[0] === 'b');
    assert.equal(b2, b, 'back within the grace: the same series');
    keys = ['a'];
    await agent.tick();
    await agent.tick();
    assert.deepEqual(agent.registry.get('l_load')?.series.map((s) => s.labelValues[0]), ['a']);
  } finally {
    await agent.stop();
    await server.close();
  }
});

test('churn: a failed read ages nothing: series stay while the scheduler is away', async () => {
  const server = await churningServer(() => ['a']);
  const agent = new Agent({ sources: [new ScxStatsSource({ path: server.path, backoff: new Backoff(0, 0) })], sinks: [], intervalSeconds: 1, log: memoryLogger(), seriesGrace: 1 });
  try {
    await agent.start();
    await server.stop();
    for (let i = 0; i < 3; i++) await agent.tick();
    assert.deepEqual(agent.registry.get('l_load')?.series.map((s) => s.labelValues[0]), ['a']);
  } finally {
    await agent.stop();
    await server.close();
  }
});

const PROMTOOL = '/usr/bin/promtool';

test('cap: a 20 000-key dict gives 2000 + 1 series per metric, the folded ones counted, said once, promtool-clean', async (t) => {
  const havePromtool = hasCommand(PROMTOOL, ['--version']);
  const N = 20_000;
  const keys = Array.from({ length: N }, (_, i) => `layer${i}`);
  const server = await churningServer(() => keys);
  const prom = new PrometheusSink({ host: '127.0.0.1', port: 0 });
  const log = memoryLogger();
  const agent = new Agent({ sources: [new ScxStatsSource({ path: server.path, backoff: new Backoff(0, 0), maxLineBytes: 64 << 20 })], sinks: [prom], intervalSeconds: 1, log });
  try {
    await agent.start();
    await agent.tick();
    const text = (await get(prom.address().port)).body.toString('utf8');
    for (const m of ['l_load', 'l_mode']) {
      const ls = lines(text, m);
      assert.equal(ls.length, 2001, `${m}: the limit plus the overflow series`);
      assert.equal(ls.filter((l) => l.includes('__overflow__')).length, 1);
    }
    assert.ok(text.includes('l_load{layer="__overflow__"} '));
    assert.ok(text.includes('l_mode{layer="__overflow__",mode="__overflow__"} 1'));
    assert.ok(text.includes(`scx_metrics_series_folded_total{metric="l_load"} ${N - 2000}`), 'each folded key counted once, not once per interval');
    assert.ok(text.includes(`scx_metrics_series_folded_total{metric="l_mode"} ${N - 2000}`));
    const said = log.lines.filter((l) => l.includes('metric l_load reached the cardinality limit of 2000 series'));
    assert.equal(said.length, 1, log.lines.join('\n'));
    if (!needPeer(t, havePromtool, 'promtool (Debian package prometheus)')) return;
    const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 60_000 });
    assert.equal(`${r.stdout}${r.stderr}`, '');
    assert.equal(r.status, 0);
  } finally {
    await agent.stop();
    await server.close();
  }
});

test('cap: --cardinality-limit sets the limit per metric', async () => {
  const keys = Array.from({ length: 50 }, (_, i) => `layer${i}`);
  const server = await churningServer(() => keys);
  const agent = new Agent({ sources: [new ScxStatsSource({ path: server.path, backoff: new Backoff(0, 0) })], sinks: [], intervalSeconds: 1, log: memoryLogger(), cardinalityLimit: 10 });
  try {
    await agent.start();
    assert.equal(agent.registry.get('l_load')?.series.length, 11);
    const folded = agent.registry.get('scx_metrics_series_folded')?.series.find((s) => s.labelValues[0] === 'l_load') as CounterSeries | undefined;
    assert.equal(folded?.value, 40);
  } finally {
    await agent.stop();
    await server.close();
  }
});
