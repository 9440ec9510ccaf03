/**
 * The real StatsD daemon (npm `statsd`) receives the sink's datagrams and flushes the values the registry
 * changed by: counter deltas summed across its flushes, gauges (a negative one after a positive one, which
 * only works because the sink sends `0` first), histogram buckets, and no bad lines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { memoryLogger } from '../../../src/support/log.js';
import { StatsdSink } from '../../../src/sinks/statsd/sink.js';
import { waitFor } from '../../helpers/cli.js';
import { goldenRegistry, goldenStats } from '../../helpers/push-fixture.js';
import { needPeer } from '../../helpers/peers.js';
import { startStatsd, statsdEntry, type StatsdDaemon } from '../../helpers/statsd-daemon.js';

/** Sends a probe line until the daemon flushes it: then its UDP server is bound and backends loaded. */
async function ready(d: StatsdDaemon): Promise<void> {
  const sock = dgram.createSocket('udp4');
  try {
    await waitFor(
      () => {
        sock.send('scx_test_probe:1|c', d.port, '127.0.0.1');
        return d.counterTotal('scx_test_probe') > 0;
      },
      20_000,
      `the statsd daemon (${d.output()})`,
    );
  } finally {
    sock.close();
  }
}

test('statsd daemon: DogStatsD and plain lines from the sink flush as the values the registry moved by', async (t) => {
  if (!needPeer(t, statsdEntry() !== undefined, 'the statsd npm package (devDependency)')) return;
  const daemon = await startStatsd(200);
  t.after(() => daemon.stop());
  await ready(daemon);

  const fx = goldenRegistry();
  const log = memoryLogger();
  const target = { kind: 'udp', host: '127.0.0.1', port: daemon.port } as const;
  const dog = new StatsdSink({ target, tags: 'dogstatsd' });
  const plain = new StatsdSink({ target, tags: 'none', prefix: 'plain.' });
  for (const s of [dog, plain]) await s.start({ registry: fx.registry, log });
  const flush = (): void => {
    for (const s of [dog, plain]) s.flush(fx.snapshot());
  };
  fx.first();
  flush();
  fx.second();
  flush();
  // A third interval: 100 more dispatches on the local path.
  fx.registry.register(goldenStats).dispatched.with({ path: 'local dsq', node: '0' }).absolute(115);
  flush();
  await Promise.all([dog.datagrams?.idle(), plain.datagrams?.idle()]);

  const local = 'scx_dispatched;path=local_dsq;node=0';
  await waitFor(() => daemon.counterTotal(local) === 105 && daemon.counterTotal('plain.scx_dispatched.path.local_dsq.node.0') === 105, 20_000, `counter totals (${JSON.stringify(daemon.flushes.at(-1))})`);
  // Etsy StatsD turns DogStatsD tags into ";k=v" and "/" into "-".
  assert.equal(daemon.counterTotal('scx_dispatched;path=a_b_c_d_e_f-g.h'), 1);
  assert.equal(daemon.counterTotal('scx_dispatched;path=new;node=1'), 3);
  assert.equal(daemon.counterTotal('scx_latency_seconds_count'), 2);
  assert.equal(daemon.counterTotal('scx_latency_seconds_sum'), 4);
  assert.equal(daemon.counterTotal('scx_latency_seconds_bucket;le=1'), 0);
  assert.equal(daemon.counterTotal('scx_latency_seconds_bucket;le=10'), 2);
  assert.equal(daemon.counterTotal('plain.scx_latency_seconds_bucket.le.10'), 2);
  assert.equal(daemon.gauge('scx_queued'), 7);
  assert.equal(daemon.gauge('scx_lag_seconds;layer=batch'), -2.5, 'was 4; "-2.5" alone would have made it 1.5');
  assert.equal(daemon.gauge('plain.scx_lag_seconds.layer.batch'), -2.5);
  assert.equal(daemon.gauge('scx_lag_seconds;layer=x'), undefined, 'NaN is not sent');
  assert.equal(daemon.counterTotal('statsd.bad_lines_seen'), 0, 'the daemon parsed every line');
  for (const s of [dog, plain]) await s.close(1000);
});
