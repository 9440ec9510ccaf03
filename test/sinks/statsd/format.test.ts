/**
 * Golden bytes of the StatsD sink in its three tag dialects, received by a real UDP socket (and a UNIX
 * datagram socket for unix://).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLogger } from '../../../src/support/log.js';
import { StatsdSink, type StatsdSinkOptions } from '../../../src/sinks/statsd/sink.js';
import { waitFor } from '../../helpers/cli.js';
import { unixReceiver } from '../../helpers/datagram-peers.js';
import { goldenRegistry, runGoldenDatagrams } from '../../helpers/push-fixture.js';
import { hasCommand, needPeer } from '../../helpers/peers.js';

type Opts = Omit<StatsdSinkOptions, 'target'>;

type Fixture = ReturnType<typeof goldenRegistry>;

/** Runs the fixture's flushes (its first two unless told) through a StatsD sink to a real UDP socket; returns the datagrams. */
function flushes(opts: Opts, steps: readonly ((fx: Fixture) => void)[] = [(fx) => fx.first(), (fx) => fx.second()]) {
  return runGoldenDatagrams((port) => new StatsdSink({ target: { kind: 'udp', host: '127.0.0.1', port }, ...opts }), 'statsd', steps);
}

test('statsd golden: DogStatsD tags, first flush is the baseline, second the deltas', async () => {
  const { datagrams } = await flushes({ tags: 'dogstatsd' });
  assert.deepEqual(datagrams, [
    [
      'scx_dispatched:0|c|#path:local_dsq,node:0',
      'scx_dispatched:0|c|#path:a_b_c_d_e_f/g.h',
      'scx_queued:7|g',
      'scx_lag_seconds:4|g|#layer:batch',
      'scx_latency_seconds_count:0|c',
      'scx_latency_seconds_sum:0|c',
      'scx_latency_seconds_bucket:0|c|#le:1',
      'scx_latency_seconds_bucket:0|c|#le:10',
      'scx_metrics_sink_dropped:0|c|#sink:statsd',
    ].join('\n'),
    [
      'scx_dispatched:5|c|#path:local_dsq,node:0',
      'scx_dispatched:1|c|#path:a_b_c_d_e_f/g.h',
      'scx_dispatched:3|c|#path:new,node:1',
      'scx_queued:7|g',
      'scx_lag_seconds:0|g|#layer:batch',
      'scx_lag_seconds:-2.5|g|#layer:batch',
      'scx_latency_seconds_count:2|c',
      'scx_latency_seconds_sum:4|c',
      'scx_latency_seconds_bucket:0|c|#le:1',
      'scx_latency_seconds_bucket:2|c|#le:10',
      'scx_metrics_sink_dropped:0|c|#sink:statsd',
    ].join('\n'),
  ]);
});

test('statsd: a series that takes the id of a removed series gets its own line and counts from zero', async () => {
  const { datagrams } = await flushes({ tags: 'dogstatsd' }, [(fx) => fx.first(), (fx) => fx.second(), (fx) => fx.third()]);
  assert.equal(datagrams.length, 3);
  assert.equal(
    datagrams[2],
    [
      'scx_dispatched:1|c|#path:a_b_c_d_e_f/g.h',
      'scx_dispatched:0|c|#path:new,node:1',
      'scx_dispatched:4|c|#path:remote,node:2',
      'scx_queued:7|g',
      'scx_lag_seconds:1.5|g|#layer:interactive',
      'scx_latency_seconds_count:1|c',
      'scx_latency_seconds_sum:0.5|c',
      'scx_latency_seconds_bucket:1|c|#le:1',
      'scx_latency_seconds_bucket:1|c|#le:10',
      'scx_metrics_sink_dropped:0|c|#sink:statsd',
    ].join('\n'),
  );
});

test('statsd golden: Telegraf tags in the name', async () => {
  const { datagrams } = await flushes({ tags: 'telegraf' });
  assert.equal(
    datagrams[1],
    [
      'scx_dispatched,path=local_dsq,node=0:5|c',
      'scx_dispatched,path=a_b_c_d_e_f/g.h:1|c',
      'scx_dispatched,path=new,node=1:3|c',
      'scx_queued:7|g',
      'scx_lag_seconds,layer=batch:0|g',
      'scx_lag_seconds,layer=batch:-2.5|g',
      'scx_latency_seconds_count:2|c',
      'scx_latency_seconds_sum:4|c',
      'scx_latency_seconds_bucket,le=1:0|c',
      'scx_latency_seconds_bucket,le=10:2|c',
      'scx_metrics_sink_dropped,sink=statsd:0|c',
    ].join('\n'),
  );
});

test('statsd golden: plain StatsD, labels as path segments, with a prefix', async () => {
  const { datagrams } = await flushes({ tags: 'none', prefix: 'host-1.' });
  assert.equal(
    datagrams[1],
    [
      'host_1.scx_dispatched.path.local_dsq.node.0:5|c',
      'host_1.scx_dispatched.path.a_b_c_d_e_f_g_h:1|c',
      'host_1.scx_dispatched.path.new.node.1:3|c',
      'host_1.scx_queued:7|g',
      'host_1.scx_lag_seconds.layer.batch:0|g',
      'host_1.scx_lag_seconds.layer.batch:-2.5|g',
      'host_1.scx_latency_seconds_count:2|c',
      'host_1.scx_latency_seconds_sum:4|c',
      'host_1.scx_latency_seconds_bucket.le.1:0|c',
      'host_1.scx_latency_seconds_bucket.le.10:2|c',
      'host_1.scx_metrics_sink_dropped.sink.statsd:0|c',
    ].join('\n'),
  );
});

/** The second flush in DogStatsD as units: the negative gauge's two lines are one unit. */
const SECOND_UNITS = [
  'scx_dispatched:5|c|#path:local_dsq,node:0',
  'scx_dispatched:1|c|#path:a_b_c_d_e_f/g.h',
  'scx_dispatched:3|c|#path:new,node:1',
  'scx_queued:7|g',
  'scx_lag_seconds:0|g|#layer:batch\nscx_lag_seconds:-2.5|g|#layer:batch',
  'scx_latency_seconds_count:2|c',
  'scx_latency_seconds_sum:4|c',
  'scx_latency_seconds_bucket:0|c|#le:1',
  'scx_latency_seconds_bucket:2|c|#le:10',
];

test('statsd: datagrams never exceed --statsd-max-packet and a negative gauge pair is never split', async () => {
  const { datagrams, dropped } = await flushes({ tags: 'dogstatsd', maxPacket: 70 });
  assert.ok(datagrams.length > 2, 'the flushes needed several datagrams');
  assert.ok(datagrams.every((d) => d.length <= 70));
  const second = datagrams.slice(datagrams.findIndex((d) => d.startsWith('scx_dispatched:5|c')));
  assert.deepEqual(second.join('\n').split('\n').slice(0, -1), SECOND_UNITS.join('\n').split('\n'));
  assert.ok(second.some((d) => d.includes(SECOND_UNITS[4] as string)), 'the 0 and the value travel in one datagram');
  assert.equal(dropped, 0);
});

test('statsd: a unit longer than --statsd-max-packet is not sent, and is counted and logged', async () => {
  const { datagrams, dropped, log } = await flushes({ tags: 'dogstatsd', maxPacket: 40 });
  assert.ok(datagrams.every((d) => d.length <= 40));
  const got = datagrams.flatMap((d) => d.split('\n'));
  const fits = SECOND_UNITS.filter((u) => u.length <= 40).flatMap((u) => u.split('\n'));
  for (const line of fits) assert.ok(got.includes(line), `missing ${line}`);
  for (const u of SECOND_UNITS.filter((x) => x.length > 40)) assert.ok(!got.includes(u.split('\n')[0] as string), `sent ${u}`);
  // Second flush: the 41-byte counter line and the 2-line gauge pair; first flush: the 41-byte counter and the
  // 41-byte drop counter line itself (twice: both flushes).
  assert.equal(dropped, 1 + 2 + 1 + 1 + 1);
  assert.equal(log.filter((l) => l.includes('does not fit --statsd-max-packet 40')).length, 1, 'said once');
});

test('statsd golden over a UNIX datagram socket (unix://)', async (t) => {
  if (!needPeer(t, hasCommand('python3'), 'python3 (the UNIX datagram receiver)')) return;
  const dir = mkdtempSync(join(tmpdir(), 'scx-statsd-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'dsd.socket');
  const peer = await unixReceiver(path);
  t.after(() => peer.kill());
  const fx = goldenRegistry();
  const sink = new StatsdSink({ target: { kind: 'unix', path } });
  assert.equal(sink.maxPacket, 8192);
  await sink.start({ registry: fx.registry, log: memoryLogger() });
  fx.first();
  sink.flush(fx.snapshot());
  fx.second();
  sink.flush(fx.snapshot());
  await sink.datagrams?.idle();
  await waitFor(() => peer.datagrams.length === 2, 10_000, 'two datagrams');
  await sink.close(1000);
  assert.equal(peer.datagrams[1]?.split('\n')[5], 'scx_lag_seconds:-2.5|g|#layer:batch');
  assert.equal(peer.datagrams[1]?.split('\n')[0], 'scx_dispatched:5|c|#path:local_dsq,node:0');
});
