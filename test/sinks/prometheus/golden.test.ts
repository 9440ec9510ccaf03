// Golden tests: the exact bytes of both formats for the fixture registry (golden.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineStats, histogram, counter, gauge } from '../../../src/declare/index.js';
import { Registry } from '../../../src/registry/index.js';
import { OpenMetricsRenderer, canonicalBound } from '../../../src/sinks/prometheus/openmetrics.js';
import { Text004Renderer } from '../../../src/sinks/prometheus/text-004.js';
import { SeriesLabels } from '../../../src/sinks/prometheus/series-labels.js';
import { fixtureRegistry } from './fixture.js';
import { GOLDEN_TEXT_004, createdById, goldenOpenMetrics, lines } from './golden.js';

test('text 0.0.4: exact bytes (HELP/TYPE, escaping, NaN/Inf, explicit and log2 histograms, empty family left out)', () => {
  const { registry } = fixtureRegistry();
  assert.equal(new Text004Renderer().render(registry).toString(), GOLDEN_TEXT_004);
});

test('OpenMetrics 1.0: exact bytes (TYPE/UNIT/HELP, _total and _created, canonical le, # EOF)', () => {
  const { registry } = fixtureRegistry();
  assert.equal(new OpenMetricsRenderer().render(registry).toString(), goldenOpenMetrics(createdById(registry)));
});

test('an empty registry renders nothing in 0.0.4 and only # EOF in OpenMetrics', () => {
  const r = new Registry();
  r.register(defineStats({ name: 'e', help: 'e', stats: { idle: counter({ help: 'never used', labels: { x: String } }) } }));
  assert.equal(new Text004Renderer().render(r).toString(), '');
  assert.equal(new OpenMetricsRenderer().render(r).toString(), '# EOF\n');
});

test('OpenMetrics: a histogram with a negative bound has no _count/_sum; 0.0.4 keeps them', () => {
  const r = new Registry();
  const fam = r.register(defineStats({ name: 'n', help: 'n', stats: { skew: histogram({ help: 'Clock skew', unit: 'seconds', buckets: [-1, 0, 1] }) } }));
  const h = fam.skew.with();
  h.observe(-2);
  h.observe(0.5);
  assert.equal(
    new OpenMetricsRenderer().render(r).toString(),
    lines(
      '# TYPE skew_seconds histogram',
      '# UNIT skew_seconds seconds',
      '# HELP skew_seconds Clock skew',
      'skew_seconds_bucket{le="-1.0"} 1',
      'skew_seconds_bucket{le="0.0"} 1',
      'skew_seconds_bucket{le="1.0"} 2',
      'skew_seconds_bucket{le="+Inf"} 2',
      `skew_seconds_created ${String(h.created)}`,
      '# EOF',
    ),
  );
  assert.match(new Text004Renderer().render(r).toString(), /skew_seconds_sum -1\.5\nskew_seconds_count 2\n$/);
});

test('values are live; series text is cached per id and only rebuilt when the generation changes', () => {
  const { registry, fam } = fixtureRegistry();
  const labels = new SeriesLabels();
  const text = new Text004Renderer(labels);
  const om = new OpenMetricsRenderer(labels);
  const cached = labels.get(registry);
  const first = [...cached];
  text.render(registry).toString();
  om.render(registry).toString();
  assert.equal(labels.get(registry), cached, 'same generation: the same cached array');
  fam.wakeups.with().inc(5);
  assert.match(text.render(registry).toString(), /^fx_wakeups_total 12$/m, 'a value change shows without a rebuild');
  assert.equal(labels.get(registry), cached);
  const gen = registry.generation;
  fam.busy.with({ cpu: '1', mode: 'user' }).inc(1);
  assert.ok(registry.generation > gen);
  const second = labels.get(registry);
  assert.ok(second.some((t) => t === 'cpu="1",mode="user"'), 'a new series: its text is built');
  for (let id = 0; id < first.length; id++) assert.equal(second[id], first[id], `series ${id} keeps its text`);
  assert.match(text.render(registry).toString(), /^fx_busy_seconds_total\{cpu="1",mode="user"\} 1$/m);
  assert.match(om.render(registry).toString(), /^fx_busy_seconds_total\{cpu="1",mode="user"\} 1\nfx_busy_seconds_created\{cpu="1",mode="user"\} [\d.]+$/m);
  assert.ok(fam.busy.remove(['1', 'user']));
  assert.doesNotMatch(text.render(registry).toString(), /cpu="1"/, 'a removed series is gone');
});

test('canonical OpenMetrics bounds', () => {
  const cases: [number, string][] = [
    [1, '1.0'],
    [0, '0.0'],
    [0.001, '0.001'],
    [1e-5, '1e-05'],
    [2.5, '2.5'],
    [100000, '100000.0'],
    [1e6, '1e+06'],
    [2 ** 63, '9.223372036854776e+18'],
    [-1, '-1.0'],
    [Number.POSITIVE_INFINITY, '+Inf'],
  ];
  for (const [v, want] of cases) assert.equal(canonicalBound(v), want, String(v));
});

test('the longest value text (25 characters, -0.0000012345678901234567) in two gauges: exact bytes in both formats', () => {
  const r = new Registry();
  const fam = r.register(defineStats({ name: 'l', help: 'l', stats: { drift: gauge({ help: 'Drift', labels: { k: String } }) } }));
  const v = -0.0000012345678901234567;
  assert.equal(String(v).length, 25);
  fam.drift.with({ k: 'a' }).set(v);
  fam.drift.with({ k: 'b' }).set(v);
  const samples = ['drift{k="a"} -0.0000012345678901234567', 'drift{k="b"} -0.0000012345678901234567'];
  assert.equal(new Text004Renderer().render(r).toString(), lines('# HELP drift Drift', '# TYPE drift gauge', ...samples));
  assert.equal(new OpenMetricsRenderer().render(r).toString(), lines('# TYPE drift gauge', '# HELP drift Drift', ...samples, '# EOF'));
});

test('renderInto writes the same bytes into a reused buffer; maxBytes bounds the longest numbers', () => {
  const { registry, fam } = fixtureRegistry();
  // The longest value text there is (MAX_NUMBER_BYTES), in every gauge: the bound must still hold.
  for (const s of fam.special.series) s.set(-0.0000012345678901234567);
  fam.queue_depth.with().set(-0.0000012345678901234567);
  const longest = (golden: string): string => golden.replace(/^(fx_special\{[^}]*\}|fx_queue_depth) .*$/gm, '$1 -0.0000012345678901234567');
  const cases: [Text004Renderer | OpenMetricsRenderer, string][] = [
    [new Text004Renderer(), longest(GOLDEN_TEXT_004)],
    [new OpenMetricsRenderer(), longest(goldenOpenMetrics(createdById(registry)))],
  ];
  for (const [r, want] of cases) {
    const scratch = Buffer.alloc(r.maxBytes(registry), 0xff);
    const written = r.renderInto(registry, scratch);
    assert.equal(written.toString(), want, 'complete, within maxBytes');
    assert.equal(written.buffer, scratch.buffer, 'a view of the given buffer, no copy');
    assert.deepEqual(r.render(registry), written);
    assert.throws(() => r.renderInto(registry, Buffer.alloc(10)), RangeError);
  }
});
