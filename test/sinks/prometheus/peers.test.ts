// The sink's output checked by real peers: promtool (Go's text parser and linter) on text 0.0.4, the
// OpenMetrics parser of python3-prometheus-client on OpenMetrics 1.0, and a real Prometheus server that
// scrapes a running sink and answers rate() through its HTTP API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { counter, defineStats } from '../../../src/declare/index.js';
import { memoryLogger } from '../../../src/support/log.js';
import { OpenMetricsRenderer } from '../../../src/sinks/prometheus/openmetrics.js';
import { PrometheusSink } from '../../../src/sinks/prometheus/server.js';
import { SeriesLabels } from '../../../src/sinks/prometheus/series-labels.js';
import { Text004Renderer } from '../../../src/sinks/prometheus/text-004.js';
import { hasCommand, needPeer } from '../../helpers/peers.js';
import { ODD_VALUES, fixtureRegistry, fixtureStats } from './fixture.js';
import { freePort, get, poll } from './http.js';

const PROMTOOL = '/usr/bin/promtool';
const PYTHON = '/usr/bin/python3';
const PROMETHEUS = '/usr/bin/prometheus';

function promtool(text: string): { status: number | null; output: string } {
  const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

test('promtool check metrics accepts the text 0.0.4 exposition with no lint findings', (t) => {
  if (!needPeer(t, hasCommand(PROMTOOL, ['--version']), 'promtool (Debian package prometheus)')) return;
  const { registry } = fixtureRegistry();
  const text = new Text004Renderer().render(registry).toString();
  const r = promtool(text);
  assert.equal(r.output, '');
  assert.equal(r.status, 0);
  // The check has teeth: the OpenMetrics text (escaped quote in HELP, # EOF) is refused by the 0.0.4 parser.
  assert.notEqual(promtool(new OpenMetricsRenderer().render(registry).toString()).status, 0);
});

test('a series that takes the id of a removed one is rendered with its own labels, and promtool accepts the text', (t) => {
  if (!needPeer(t, hasCommand(PROMTOOL, ['--version']), 'promtool (Debian package prometheus)')) return;
  const { registry, fam } = fixtureRegistry();
  const labels = new SeriesLabels();
  const text = new Text004Renderer(labels);
  const om = new OpenMetricsRenderer(labels);
  text.render(registry);
  om.render(registry); // both renderers and the shared label cache now hold every series' text
  const gone = [fam.busy.with({ cpu: '0', mode: 'user' }).id, fam.odd_labels.with({ value: 'back\\slash' }).id];
  assert.ok(fam.busy.remove(['0', 'user']));
  assert.ok(fam.odd_labels.remove(['back\\slash']));
  const special = fam.special.with({ kind: 'after "churn"' }); // takes the odd_labels id (last in, first out)
  special.set(2);
  const busy = fam.busy.with({ cpu: '7', mode: 'system' });
  busy.inc(0.5);
  assert.deepEqual([busy.id, special.id], gone, 'the new series took the removed ids');
  const out = text.render(registry).toString();
  // Exactly what a renderer that never saw the removed series writes.
  assert.equal(out, new Text004Renderer().render(registry).toString());
  assert.equal(om.render(registry).toString(), new OpenMetricsRenderer().render(registry).toString());
  assert.match(out, /^fx_busy_seconds_total\{cpu="7",mode="system"\} 0\.5$/m);
  assert.match(out, /^fx_special\{kind="after \\"churn\\""\} 2$/m);
  assert.doesNotMatch(out, /mode="user"|value="back/);
  const r = promtool(out);
  assert.equal(r.output, '');
  assert.equal(r.status, 0);
});

interface PyFamily {
  name: string;
  type: string;
  unit: string;
  documentation: string;
  samples: { name: string; labels: Record<string, string>; value: string }[];
}

/** Parses OpenMetrics text with python3-prometheus-client; returns the families or the parser's error. */
function parseOpenMetrics(text: string): { families?: PyFamily[]; error?: string } {
  const script = [
    'import json, sys',
    'from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse',
    'try:',
    '    fams = list(parse(sys.stdin.read()))',
    'except Exception as e:',
    '    print(json.dumps({"error": repr(e)})); sys.exit(0)',
    'print(json.dumps({"families": [{"name": f.name, "type": f.type, "unit": f.unit, "documentation": f.documentation,',
    '    "samples": [{"name": s.name, "labels": s.labels, "value": repr(float(s.value))} for s in f.samples]} for f in fams]}))',
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', script], { input: text, encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { families?: PyFamily[]; error?: string };
}

const pyNumber = (s: string): number => (s === 'nan' ? Number.NaN : s === 'inf' ? Number.POSITIVE_INFINITY : s === '-inf' ? Number.NEGATIVE_INFINITY : Number(s));

test("python3-prometheus-client's OpenMetrics parser accepts the OpenMetrics exposition and reads it back exactly", (t) => {
  const ok = hasCommand(PYTHON, ['-c', 'import prometheus_client.openmetrics.parser']);
  if (!needPeer(t, ok, 'python3-prometheus-client (/usr/bin/python3)')) return;
  const { registry, fam } = fixtureRegistry();
  const text = new OpenMetricsRenderer().render(registry).toString();
  const parsed = parseOpenMetrics(text);
  assert.equal(parsed.error, undefined);
  const families = new Map((parsed.families ?? []).map((f) => [f.name, f]));
  assert.deepEqual([...families.keys()], ['fx_dispatched_tasks', 'fx_wakeups', 'fx_busy_seconds', 'fx_odd_labels', 'fx_queue_depth', 'fx_special', 'fx_latency_seconds', 'fx_slice']);

  const odd = families.get('fx_odd_labels') as PyFamily;
  assert.equal(odd.type, 'counter');
  assert.equal(odd.documentation, fixtureStats.stats.odd_labels.help, 'HELP with \\, " and LF reads back exactly');
  const totals = odd.samples.filter((s) => s.name === 'fx_odd_labels_total');
  assert.deepEqual(totals.map((s) => s.labels.value), [...ODD_VALUES], 'label values read back exactly');
  assert.deepEqual(totals.map((s) => pyNumber(s.value)), [1, 2, 3, 4, 5]);
  const created = odd.samples.filter((s) => s.name === 'fx_odd_labels_created').map((s) => pyNumber(s.value));
  assert.deepEqual(created, fam.odd_labels.series.map((s) => s.created));

  const busy = families.get('fx_busy_seconds') as PyFamily;
  assert.equal(busy.unit, 'seconds');
  const special = families.get('fx_special') as PyFamily;
  assert.deepEqual(
    special.samples.map((s) => [s.labels.kind, pyNumber(s.value)]),
    [['nan', Number.NaN], ['pos_inf', Number.POSITIVE_INFINITY], ['neg_inf', Number.NEGATIVE_INFINITY], ['tiny', 1.5e-7], ['huge', 1e21], ['negative', -3.25]],
  );
  const lat = families.get('fx_latency_seconds') as PyFamily;
  assert.equal(lat.type, 'histogram');
  assert.deepEqual(
    lat.samples.filter((s) => s.name === 'fx_latency_seconds_bucket').map((s) => [s.labels.le, pyNumber(s.value)]),
    [['1e-05', 1], ['0.001', 2], ['0.5', 3], ['1.0', 4], ['2.5', 5], ['1e+06', 5], ['+Inf', 6]],
  );
  // The parser has teeth: without # EOF, or with 0.0.4's counter metadata, it refuses.
  assert.match(parseOpenMetrics(text.replace(/# EOF\n$/, '')).error ?? '', /EOF/);
  assert.notEqual(parseOpenMetrics(`${new Text004Renderer().render(registry).toString()}# EOF\n`).error, undefined);
});

test('a real Prometheus scrapes a running sink and rate() over the API gives the rate the test drives', { timeout: 90_000 }, async (t) => {
  if (!needPeer(t, hasCommand(PROMETHEUS, ['--version']), 'prometheus server (Debian package prometheus)')) return;
  const { registry } = fixtureRegistry();
  const e2e = registry.register(
    defineStats({ name: 'e2e', help: 'e2e', prefix: 'e2e', stats: { events: counter({ help: 'Events "driven" by the test\\at a fixed rate' }) } }),
  );
  const events = e2e.events.with();
  const RATE = 100; // per second
  const t0 = performance.now();
  // The counter follows RATE x elapsed time, refreshed every 10 ms, so its value at any scrape is within
  // RATE x (10 ms + event-loop delay) of the ideal line.
  const driver = setInterval(() => events.absolute(Math.floor((RATE * (performance.now() - t0)) / 1000)), 10);
  const sink = new PrometheusSink({ host: '127.0.0.1', port: 0 });
  await sink.start({ registry, log: memoryLogger() });
  const target = `127.0.0.1:${sink.address().port}`;
  const dir = mkdtempSync(join(tmpdir(), 'scx-metrics-prom-'));
  const promPort = await freePort();
  writeFileSync(
    join(dir, 'prometheus.yml'),
    ['global:', '  scrape_interval: 1s', '  scrape_timeout: 1s', 'scrape_configs:', '  - job_name: scx', '    static_configs:', `      - targets: ['${target}']`, ''].join('\n'),
  );
  const prom = spawn(PROMETHEUS, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let promLog = '';
  prom.stderr.setEncoding('utf8').on('data', (d: string) => (promLog = (promLog + d).slice(-4000)));
  const exited = new Promise<void>((r) => prom.once('exit', () => r()));
  let dead = false;
  void exited.then(() => (dead = true));
  const api = async (path: string): Promise<unknown> => {
    if (dead) throw new Error(`prometheus exited: ${promLog}`);
    const r = await get(promPort, path);
    if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status} ${r.body.toString()}`);
    return (JSON.parse(r.body.toString()) as { data: unknown }).data;
  };
  type Vector = { metric: Record<string, string>; value: [number, string] }[];
  const query = async (q: string, time: number): Promise<Vector> =>
    ((await api(`/api/v1/query?query=${encodeURIComponent(q)}&time=${time}`)) as { result: Vector }).result;
  try {
    await poll(async () => ((await get(promPort, '/-/ready')).status === 200 ? true : undefined), 15_000, `prometheus ready (${promLog})`);
    // Wait for ten seconds of 1 s scrapes, then take rate() over the last 6 s only: the window then lies inside
    // the sampled span, so Prometheus extrapolates to both window edges and a steady counter's rate comes out
    // exact (a window reaching back before the first scrape would be extrapolated short and read low).
    const at = await poll(
      async () => {
        const now = Date.now() / 1000;
        const r = await query('count_over_time(e2e_events_total[10s])', now);
        return Number(r[0]?.value[1] ?? 0) >= 9 ? now : undefined;
      },
      30_000,
      'nine scrapes of the sink',
      500,
    );
    const targets = (await api('/api/v1/targets')) as { activeTargets: { health: string; lastError: string; scrapeUrl: string }[] };
    assert.deepEqual(
      targets.activeTargets.map((x) => [x.scrapeUrl, x.health, x.lastError]),
      [[`http://${target}/metrics`, 'up', '']],
    );
    const rate = Number((await query('rate(e2e_events_total[6s])', at))[0]?.value[1]);
    // Tolerance 10%: rate() spans at least 4 s between its first and last sample; each scraped value is off the
    // ideal line by RATE x (the 10 ms timer + event-loop delay + jitter between Prometheus' timestamp and our
    // render), so 10% allows 200 ms of such error at each end, far more than a loaded loopback shows. A unit
    // slip (ms), double counting, a reset or a wrong series would be far outside.
    assert.ok(Math.abs(rate - RATE) <= RATE * 0.1, `rate() = ${rate}, expected ${RATE} ± 10%`);
    const increase = Number((await query('increase(e2e_events_total[6s])', at))[0]?.value[1]);
    t.diagnostic(`rate() = ${rate}/s, increase() = ${increase} (driven at ${RATE}/s)`);
    assert.ok(Math.abs(increase - 6 * RATE) <= 6 * RATE * 0.1, `increase() = ${increase}, expected ${6 * RATE} ± 10%`);

    // Prometheus negotiated OpenMetrics: metadata is keyed by the family name and HELP was unescaped right.
    const meta = (await api('/api/v1/metadata?metric=e2e_events')) as Record<string, { type: string; help: string }[]>;
    assert.deepEqual(meta.e2e_events?.[0], { type: 'counter', help: 'Events "driven" by the test\\at a fixed rate', unit: '' });
    // Label values with quotes, backslashes, newlines and non-ASCII arrive intact (the empty one is no label).
    const odd = await query('fx_odd_labels_total', at);
    const got = new Map(odd.map((s) => [s.metric.value ?? '', Number(s.value[1])]));
    assert.deepEqual(got, new Map(ODD_VALUES.map((v, i) => [v, i + 1])));
  } finally {
    clearInterval(driver);
    prom.kill('SIGTERM');
    const killer = setTimeout(() => prom.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
    await sink.close(1000);
    rmSync(dir, { recursive: true, force: true });
  }
});
