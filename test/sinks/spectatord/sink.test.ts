/**
 * spectatord lines: golden bytes received by real UDP and UNIX datagram sockets, every line checked by a
 * receiver-side parser of the protocol table, and the daemon's monotonic-counter arithmetic applied to them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineStats, gauge } from '../../../src/declare/index.js';
import { memoryLogger } from '../../../src/support/log.js';
import { Registry } from '../../../src/registry/index.js';
import { SpectatordSink, type SpectatordSinkOptions } from '../../../src/sinks/spectatord/sink.js';
import { parseSpectatordLocation } from '../../../src/sinks/spectatord/plugin.js';
import { waitFor } from '../../helpers/cli.js';
import { udpReceiver, unixReceiver } from '../../helpers/datagram-peers.js';
import { goldenRegistry, runGoldenDatagrams, slotStats } from '../../helpers/push-fixture.js';
import { hasCommand, needPeer } from '../../helpers/peers.js';
import { meterKey, parseSpectatordLine } from '../../helpers/spectatord-protocol.js';

type Opts = Omit<SpectatordSinkOptions, 'location'>;

function run(opts: Opts, steps: readonly ((fx: ReturnType<typeof goldenRegistry>) => void)[]) {
  return runGoldenDatagrams((port) => new SpectatordSink({ location: { kind: 'udp', host: '127.0.0.1', port }, ...opts }), 'spectatord', steps);
}

test('spectatord golden: C monotonic counters, g gauges, histogram buckets as monotonic counters', async () => {
  const { datagrams } = await run({}, [(fx) => fx.first(), (fx) => fx.second()]);
  assert.deepEqual(datagrams, [
    [
      'C:scx_dispatched,path=local_dsq,node=0:10',
      'C:scx_dispatched,path=a_b_c_d_e_f_g.h:2',
      'g:scx_queued:7',
      'g:scx_lag_seconds,layer=batch:4',
      'C:scx_latency_seconds_count:3',
      'C:scx_latency_seconds_sum:55.5',
      'C:scx_latency_seconds_bucket,le=1:1',
      'C:scx_latency_seconds_bucket,le=10:2',
      'C:scx_metrics_sink_dropped,sink=spectatord:0',
    ].join('\n'),
    [
      'C:scx_dispatched,path=local_dsq,node=0:15',
      'C:scx_dispatched,path=a_b_c_d_e_f_g.h:3',
      'C:scx_dispatched,path=new,node=1:3',
      'g:scx_queued:7',
      'g:scx_lag_seconds,layer=batch:-2.5',
      'C:scx_latency_seconds_count:5',
      'C:scx_latency_seconds_sum:59.5',
      'C:scx_latency_seconds_bucket,le=1:1',
      'C:scx_latency_seconds_bucket,le=10:4',
      'C:scx_metrics_sink_dropped,sink=spectatord:0',
    ].join('\n'),
  ]);
});

test('spectatord: a series that takes the id of a removed series gets its own meter id and values', async () => {
  const buckets = await run({}, [(fx) => fx.first(), (fx) => fx.second(), (fx) => fx.third()]);
  assert.equal(
    buckets.datagrams[2],
    [
      'C:scx_dispatched,path=a_b_c_d_e_f_g.h:4',
      'C:scx_dispatched,path=new,node=1:3',
      'C:scx_dispatched,path=remote,node=2:4',
      'g:scx_queued:7',
      'g:scx_lag_seconds,layer=interactive:1.5',
      'C:scx_latency_seconds_count:1',
      'C:scx_latency_seconds_sum:0.5',
      'C:scx_latency_seconds_bucket,le=1:1',
      'C:scx_latency_seconds_bucket,le=10:1',
      'C:scx_metrics_sink_dropped,sink=spectatord:0',
    ].join('\n'),
  );
  // Distribution mode: the new latency series' one observation since it was created, not a delta against the old one.
  const dist = await run({ histograms: 'distribution' }, [(fx) => fx.first(), (fx) => fx.second(), (fx) => fx.third()]);
  assert.deepEqual(
    (dist.datagrams[2] ?? '').split('\n').filter((l) => l.startsWith('T:')),
    ['T:scx_latency_seconds:0.5'],
  );
});

test('spectatord: every line parses per the protocol table; the daemon’s delta arithmetic gives the interval’s counts', async () => {
  const { datagrams } = await run({}, [(fx) => fx.first(), (fx) => fx.second()]);
  // The daemon's MonotonicCounter: the first sample is a baseline, then the delta between samples.
  const last = new Map<string, number>();
  const deltas = new Map<string, number>();
  const gauges = new Map<string, number>();
  for (const d of datagrams) {
    for (const text of d.split('\n')) {
      const l = parseSpectatordLine(text);
      const key = meterKey(l);
      if (l.type === 'C') {
        const prev = last.get(key);
        if (prev !== undefined && l.value >= prev) deltas.set(key, l.value - prev);
        last.set(key, l.value);
      } else if (l.type === 'g') gauges.set(key, l.value);
      else assert.fail(`unexpected type ${l.type}`);
    }
  }
  assert.equal(deltas.get('scx_dispatched,node=0,path=local_dsq'), 5);
  assert.equal(deltas.get('scx_dispatched,path=a_b_c_d_e_f_g.h'), 1);
  assert.equal(deltas.get('scx_latency_seconds_bucket,le=10'), 2);
  assert.equal(deltas.get('scx_latency_seconds_count'), 2);
  assert.equal(gauges.get('scx_lag_seconds,layer=batch'), -2.5);
  assert.equal(gauges.has('scx_lag_seconds,layer=x'), false, 'NaN gauges are not sent');
});

test('spectatord distribution mode: D samples at log2 bucket midpoints (integers), T for seconds, per interval', async () => {
  const { datagrams } = await run({ histograms: 'distribution' }, [
    (fx) => {
      fx.first();
      const s = fx.registry.register(slotStats).slice.with();
      for (const v of [1, 5, 5]) s.observe(v);
    },
    (fx) => {
      fx.second();
      const s = fx.registry.register(slotStats).slice.with();
      for (const v of [1, 3, 3, 100]) s.observe(v);
    },
  ]);
  const second = (datagrams[1] ?? '').split('\n').filter((l) => /^[DT]:/.test(l));
  // log2 bounds 1,2,4,8: midpoints 0.5 (rounded up to 1), 1.5 -> 2, 3, 6, and 8 (the last bound) for +Inf.
  assert.deepEqual(second, ['T:scx_latency_seconds:5.5', 'T:scx_latency_seconds:5.5', 'D:scx_slice:1', 'D:scx_slice:3', 'D:scx_slice:3', 'D:scx_slice:8']);
  assert.equal((datagrams[0] ?? '').split('\n').filter((l) => /^[DT]:/.test(l)).length, 0, 'the first flush is the baseline');
  for (const l of second) parseSpectatordLine(l);
});

test('spectatord distribution mode: at most --spectatord-max-samples per series per interval, the rest counted as dropped', async () => {
  const { datagrams, dropped, log } = await run({ histograms: 'distribution', maxSamples: 3 }, [
    (fx) => fx.registry.register(slotStats).slice.with(),
    (fx) => {
      const s = fx.registry.register(slotStats).slice.with();
      for (let i = 0; i < 10; i++) s.observe(3);
      for (let i = 0; i < 10; i++) s.observe(7);
    },
  ]);
  const samples = datagrams.flatMap((d) => d.split('\n')).filter((l) => l.startsWith('D:'));
  assert.deepEqual(samples, ['D:scx_slice:3', 'D:scx_slice:6'], 'each bucket keeps its share');
  assert.equal(dropped, 18);
  assert.ok(log.some((l) => l.includes('--spectatord-max-samples')));
});

test('spectatord: names and tags outside the daemon’s limits are not sent as-is, and said once', async () => {
  const rx = await udpReceiver();
  try {
    const set = defineStats({
      name: 'r',
      help: 'r',
      stats: { x: gauge({ help: 'one-character name' }), ok_name: gauge({ help: 'ok', labels: { n: String, layer: String } }) },
    });
    const registry = new Registry();
    const f = registry.register(set);
    f.x.with().set(1);
    f.ok_name.with({ n: 'short key', layer: 'v'.repeat(121) }).set(2);
    f.ok_name.with({ n: 'a', layer: 'fine~^' }).set(3);
    const log = memoryLogger();
    const sink = new SpectatordSink({ location: { kind: 'udp', host: '127.0.0.1', port: rx.port } });
    await sink.start({ registry, log });
    sink.flush({ registry, timeMs: 0, intervalSeconds: 1, final: false });
    sink.flush({ registry, timeMs: 0, intervalSeconds: 1, final: false });
    await sink.datagrams?.idle();
    await waitFor(() => rx.datagrams.length === 2, 10_000, 'two datagrams');
    const lines = rx.lines().filter((l) => !l.includes('sink_dropped'));
    assert.deepEqual(lines, ['g:ok_name:2', 'g:ok_name,layer=fine~^:3', 'g:ok_name:2', 'g:ok_name,layer=fine~^:3']);
    for (const l of lines) parseSpectatordLine(l);
    assert.equal(log.lines.filter((l) => l.includes('metric name "x"')).length, 1);
    assert.equal(log.lines.filter((l) => l.includes('tag n="short key"')).length, 1);
    await sink.close(100);
  } finally {
    await rx.close();
  }
});

test('spectatord over its UNIX datagram socket, and `default` falling back to UDP 127.0.0.1:1234 when the socket is absent', async (t) => {
  if (!needPeer(t, hasCommand('python3'), 'python3 (the UNIX datagram receiver)')) return;
  const dir = mkdtempSync(join(tmpdir(), 'scx-spectatord-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'spectatord.unix');

  const absent = new SpectatordSink({ location: 'default', defaultUnixPath: path });
  const log = memoryLogger();
  const fx = goldenRegistry();
  await absent.start({ registry: fx.registry, log });
  assert.deepEqual(absent.target, { kind: 'udp', host: '127.0.0.1', port: 1234 });
  assert.ok(log.lines.some((l) => l.includes(`no socket at ${path}; sending to udp://127.0.0.1:1234`)));
  await absent.close(10);

  const peer = await unixReceiver(path);
  t.after(() => peer.kill());
  const sink = new SpectatordSink({ location: 'default', defaultUnixPath: path });
  await sink.start({ registry: fx.registry, log });
  assert.deepEqual(sink.target, { kind: 'unix', path });
  fx.first();
  sink.flush(fx.snapshot());
  await sink.datagrams?.idle();
  await waitFor(() => peer.datagrams.length === 1, 10_000, 'the datagram');
  const lines = peer.lines().map(parseSpectatordLine);
  assert.equal(lines.find((l) => l.name === 'scx_queued')?.value, 7);
  assert.equal(lines.length, 9);
  await sink.close(100);
});

test('spectatord locations: default, udp, unix:// and bare paths; bad ones name what was expected', () => {
  assert.equal(parseSpectatordLocation('default'), 'default');
  assert.equal(parseSpectatordLocation('unix'), 'default');
  assert.deepEqual(parseSpectatordLocation('udp'), { kind: 'udp', host: '127.0.0.1', port: 1234 });
  assert.deepEqual(parseSpectatordLocation('udp://[::1]'), { kind: 'udp', host: '::1', port: 1234 });
  assert.deepEqual(parseSpectatordLocation('/run/x.sock'), { kind: 'unix', path: '/run/x.sock' });
  assert.deepEqual(parseSpectatordLocation('unix:///run/x.sock'), { kind: 'unix', path: '/run/x.sock' });
  assert.throws(() => parseSpectatordLocation('tcp://x:1'), /expected udp:\/\/HOST:PORT or unix:\/\/\/PATH.*or default/);
});
