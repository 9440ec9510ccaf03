import { test } from 'node:test';
import assert from 'node:assert/strict';
import { counter, defineStats, gauge, histogram } from '../../../src/declare/index.js';
import { Registry } from '../../../src/registry/index.js';
import { TerminalSink } from '../../../src/sinks/terminal/sink.js';
import { quantile } from '../../../src/sinks/terminal/interval.js';
import { memoryLogger } from '../../../src/support/log.js';
import { textCollector } from '../../helpers/fixtures.js';
import { goldenRegistry } from '../../helpers/push-fixture.js';

const rusty = defineStats({
  name: 'rusty',
  help: 't',
  stats: {
    dispatched_tasks: counter({ help: 'd', labels: { type: ['prev_idle', 'wsync', 'pinned'] } }),
    slice_length: gauge({ help: 's', unit: 'seconds' }),
    lat: histogram({ help: 'l', unit: 'seconds', buckets: [0.001, 0.01, 0.1] }),
  },
});

function setup(format: 'text' | 'json') {
  const reg = new Registry();
  const fam = reg.register(rusty);
  const out = textCollector();
  const sink = new TerminalSink({ format, colour: false, out: out.stream });
  return { reg, fam, sink, read: () => out.text() };
}

test('text report: interval counts, rates and per-label shares, gauges, histogram quantiles', async () => {
  const { reg, fam, sink, read } = setup('text');
  await sink.start({ registry: reg, log: memoryLogger() });
  fam.dispatched_tasks.with({ type: 'prev_idle' }).absolute(100000); // history before the agent started
  sink.flush({ registry: reg, timeMs: 0, intervalSeconds: 2, final: false });
  assert.equal(read(), '', 'the first flush is the baseline');
  fam.dispatched_tasks.with({ type: 'prev_idle' }).absolute(100000 + 44963);
  fam.dispatched_tasks.with({ type: 'wsync' }).inc(20596);
  fam.slice_length.with().set(0.02);
  for (let i = 0; i < 98; i++) fam.lat.with().observe(0.005);
  fam.lat.with().observe(0.05);
  fam.lat.with().observe(0.05);
  sink.flush({ registry: reg, timeMs: Date.UTC(2026, 10, 27, 6, 0, 0), intervalSeconds: 2, final: false });
  assert.equal(
    read(),
    [
      'scx-metrics 2026-11-27 06:00:00  interval 2.00s',
      'Counters:',
      '  dispatched_tasks_total: 65559 [32779.5/s]',
      '    prev_idle: 44963 (68.6%) [22481.5/s]',
      '    wsync: 20596 (31.4%) [10298/s]',
      '  scx_metrics_sink_dropped_total: 0 [0/s]',
      '    terminal: 0 (0.0%) [0/s]',
      'Gauges:',
      '  slice_length_seconds: 0.02',
      'Histograms:',
      '  lat_seconds: count=100 mean=0.0059 p50=0.005592 p99=0.055',
      '',
    ].join('\n'),
  );
});

test('json report: one object per interval with the same numbers', async () => {
  const { reg, fam, sink, read } = setup('json');
  await sink.start({ registry: reg, log: memoryLogger() });
  sink.flush({ registry: reg, timeMs: 0, intervalSeconds: 1, final: false });
  fam.dispatched_tasks.with({ type: 'pinned' }).inc(10);
  sink.flush({ registry: reg, timeMs: 1000, intervalSeconds: 1, final: false });
  sink.flush({ registry: reg, timeMs: 2000, intervalSeconds: 1, final: false });
  const lines = read().trimEnd().split('\n');
  assert.equal(lines.length, 2);
  const first = JSON.parse(lines[0] as string) as { counters: { name: string; delta: number; series: { labels: Record<string, string>; share: number }[] }[] };
  assert.deepEqual(first.counters[0], {
    name: 'dispatched_tasks_total',
    delta: 10,
    rate: 10,
    total: 10,
    series: [{ labels: { type: 'pinned' }, delta: 10, rate: 10, share: 100 }],
  });
  const second = JSON.parse(lines[1] as string) as { counters: { delta: number }[] };
  assert.equal(second.counters[0]?.delta, 0);
});

test('text report: a series that takes the id of a removed series is reported under its own labels, counting from zero', async () => {
  const fx = goldenRegistry();
  const out = textCollector();
  const sink = new TerminalSink({ format: 'text', colour: false, out: out.stream });
  await sink.start({ registry: fx.registry, log: memoryLogger() });
  fx.first();
  sink.flush(fx.snapshot(0));
  fx.second();
  sink.flush(fx.snapshot(Date.UTC(2026, 10, 27, 6, 0, 0)));
  const before = out.text().length;
  fx.third();
  sink.flush(fx.snapshot(Date.UTC(2026, 10, 27, 6, 0, 2)));
  assert.equal(
    out.text().slice(before),
    [
      'scx-metrics 2026-11-27 06:00:02  interval 2.00s',
      'Counters:',
      '  scx_dispatched_total: 5 [2.5/s]',
      '    path=remote,node=2: 4 (80.0%) [2/s]',
      '    path=a:b|c,d#e@f/g.h,node=: 1 (20.0%) [0.5/s]',
      '    path=new,node=1: 0 (0.0%) [0/s]',
      '  scx_metrics_sink_dropped_total: 0 [0/s]',
      '    terminal: 0 (0.0%) [0/s]',
      'Gauges:',
      '  scx_queued: 7',
      '  scx_lag_seconds:',
      '    x: NaN',
      '    interactive: 1.5',
      'Histograms:',
      '  scx_latency_seconds: count=1 mean=0.5 p50=0.5 p99=0.99',
      '',
    ].join('\n'),
  );
});

test('quantile interpolates inside buckets like histogram_quantile', () => {
  assert.equal(quantile(0.5, [1, 2, 4], [0, 10, 0, 0]), 1.5);
  assert.equal(quantile(0.99, [1, 2, 4], [0, 0, 0, 5]), 4);
  assert.ok(Number.isNaN(quantile(0.5, [1], [0, 0])));
});
