import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from '../../../src/agent.js';
import { counter, defineStats, histogram } from '../../../src/declare/index.js';
import { healthStats } from '../../../src/health.js';
import { memoryLogger } from '../../../src/support/log.js';
import { Backoff } from '../../../src/sinks/push/queue.js';
import { RemoteWriteSink } from '../../../src/sinks/remote-write/sink.js';
import { needPeer } from '../../helpers/peers.js';
import { freePort, until } from '../../helpers/http-peer.js';
import { hasPrometheus, startPrometheus } from '../../helpers/prometheus-server.js';

const stats = defineStats({
  name: 't',
  help: 't',
  prefix: 'scx',
  stats: {
    dispatched: counter({ help: 'Tasks dispatched', labels: { cpu: String } }),
    latency: histogram({ help: 'Wake-up latency', unit: 'seconds', buckets: [0.001, 0.01] }),
  },
});

function setup(url: string) {
  const log = memoryLogger();
  const sink = new RemoteWriteSink({ url: new URL(url), backoff: new Backoff(50, 400) });
  const agent = new Agent({ sources: [], sinks: [sink], intervalSeconds: 1, log });
  const fams = agent.registry.register(stats);
  const errors = agent.registry.family(healthStats.stats.sink_errors).with({ sink: 'remote_write' });
  return { log, sink, agent, fams, errors };
}

const values = (r: { metric: Record<string, string>; value: [number, string] }[]): string[] => r.map((x) => x.value[1]);

test('remote_write into a real Prometheus: queries answer the values sent; a removed series goes stale at once', async (t) => {
  if (!needPeer(t, hasPrometheus(), 'prometheus (Debian package prometheus) for the remote-write receiver')) return;
  const prom = await startPrometheus();
  const { agent, fams, sink, errors, log } = setup(prom.writeUrl);
  try {
    fams.dispatched.with({ cpu: '0' }).inc(5);
    fams.dispatched.with({ cpu: '1' }).inc(9);
    const h = fams.latency.with();
    for (const v of [0.0005, 0.005, 0.5]) h.observe(v);
    await agent.start();
    await until(() => sink.sent >= 1, 'Prometheus to accept the first write', 15_000);
    assert.deepEqual(values(await prom.query('scx_dispatched_total{cpu="0"}')), ['5']);
    assert.deepEqual(values(await prom.query('sum(scx_dispatched_total)')), ['14']);
    assert.deepEqual(values(await prom.query('scx_latency_seconds_bucket{le="0.01"}')), ['2']);
    assert.deepEqual(values(await prom.query('scx_latency_seconds_count')), ['3']);
    assert.deepEqual(values(await prom.query('scx_metrics_collections_total')), ['1'], "the agent's own health goes too");

    fams.dispatched.with({ cpu: '0' }).inc(1);
    fams.dispatched.remove(['1']);
    await agent.tick();
    await until(() => sink.sent >= 2, 'the second write', 15_000);
    assert.deepEqual(values(await prom.query('scx_dispatched_total{cpu="0"}')), ['6']);
    // The staleness marker ends cpu="1" now, not five minutes of lookback later.
    assert.deepEqual(await prom.query('scx_dispatched_total{cpu="1"}'), []);
    assert.equal(errors.value, 0, log.lines.join('\n'));
  } finally {
    await agent.stop();
    await prom.stop();
  }
});

test('remote_write: a receiver that is down is retried with backoff and gets the data when it comes up', async (t) => {
  if (!needPeer(t, hasPrometheus(), 'prometheus (Debian package prometheus) for the remote-write receiver')) return;
  const port = await freePort();
  const { agent, fams, sink, log } = setup(`http://127.0.0.1:${port}/api/v1/write`);
  let prom: Awaited<ReturnType<typeof startPrometheus>> | undefined;
  try {
    fams.dispatched.with({ cpu: '0' }).inc(42);
    await agent.start();
    await until(() => log.lines.some((l) => /sink remote_write: .*ECONNREFUSED.*retrying with backoff/.test(l)), 'the refused-connection line');
    prom = await startPrometheus({ port });
    await until(() => sink.sent >= 1, 'the queued write to reach Prometheus', 15_000);
    assert.deepEqual(values(await prom.query('scx_dispatched_total{cpu="0"}')), ['42']);
    assert.ok(log.lines.some((l) => l.includes('sink remote_write: sending again')), log.lines.join('\n'));
  } finally {
    await agent.stop();
    await prom?.stop();
  }
});
