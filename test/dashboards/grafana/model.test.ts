// The generated dashboards' JSON model, for the host, the rusty profile and real-shaped scx_stats metas
// (rusty, lavd, layered, bpfland served by the tests' protocol server): schema, unique ids, a valid
// non-overlapping 24-column grid, the datasource and instance variables, an expr on every target, a row per
// stat set, and every series a query reads is one `describe` (the declarations `run` registers) lists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../helpers/cli.js';
import { selectors } from '../../deploy/promql.js';
import { TestStatsServer } from '../../sources/scx-stats/server.js';
import { rustyMeta } from '../../sources/scx-stats/rusty.js';
import { bpflandMeta, lavdMeta, layeredMeta } from '../../sources/scx-stats/metas.js';
import { type GDashboard, describedFamilies, generate, generateAsync, modelProblems, queries } from './check.js';

/** Sample names (histograms' _bucket, _sum and _count) to the family's label names. */
function sampleLabels(families: Map<string, { kind: string; labels: string[] }>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [name, f] of families) {
    if (f.kind !== 'histogram') out.set(name, f.labels);
    else for (const s of ['_bucket', '_sum', '_count']) out.set(name + s, s === '_bucket' ? [...f.labels, 'le'] : f.labels);
  }
  return out;
}

/** Every selector reads a declared series, matching only labels it has (or instance). */
function unknownReads(d: GDashboard, known: Map<string, string[]>): string[] {
  const out: string[] = [];
  for (const q of queries(d)) {
    for (const s of selectors(q.expr)) {
      const labels = s.name === undefined ? undefined : known.get(s.name);
      if (labels === undefined) out.push(`${q.panel}: ${s.name ?? '?'} is not declared`);
      else for (const m of s.matchers) if (m.label !== 'instance' && !labels.includes(m.label)) out.push(`${q.panel}: ${s.name} has no label ${m.label}`);
      for (const l of /\bby \(([^)]*)\)/.exec(q.expr)?.[1]?.split(', ') ?? []) {
        if (labels !== undefined && l !== 'instance' && !labels.includes(l)) out.push(`${q.panel}: groups by ${l}, which ${s.name} lacks`);
      }
    }
  }
  return out;
}

function rows(d: GDashboard): string[] {
  return d.panels.filter((p) => p.type === 'row').map((p) => p.title.split(':')[0] as string);
}

/** A sched_ext tree with every file the source reads, so describe lists the event counters too. */
function schedExtTree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'scx-dash-sched-ext-'));
  for (const [f, v] of Object.entries({ state: 'enabled', switch_all: '1', nr_rejected: '0', hotplug_seq: '0', enable_seq: '1' })) writeFileSync(join(dir, f), `${v}\n`);
  mkdirSync(join(dir, 'root'));
  writeFileSync(join(dir, 'root/ops'), 'rusty\n');
  writeFileSync(join(dir, 'root/events'), 'SCX_EV_SELECT_CPU_FALLBACK 3\nSCX_EV_BYPASS_DURATION 10\n');
  return dir;
}

test('the host dashboard: valid model, a row per stat set, rates by label, a CPU-mode share, probe latency quantiles and heatmap; every read is declared', async () => {
  const { dashboard: d } = generate([]);
  assert.deepEqual(modelProblems(d), []);
  assert.equal(d.uid, 'scx-metrics');
  assert.deepEqual(rows(d), ['sched_ext', 'sched_ext_events', 'host_stat', 'host_pressure', 'host_schedstat', 'probe', 'scx_metrics']);
  const dir = schedExtTree();
  try {
    const known = sampleLabels(await describedFamilies(['--probe', '--sched-ext-root', dir, '--no-scx-stats']));
    assert.deepEqual(unknownReads(d, known), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const exprs = queries(d).map((q) => q.expr);
  assert.ok(exprs.includes('sum by (instance, mode) (rate(scx_host_cpu_seconds_total{instance=~"$instance"}[$__rate_interval]))'), 'CPU time by mode, summed over CPUs');
  assert.ok(
    exprs.includes('sum by (instance, mode) (rate(scx_host_cpu_seconds_total{instance=~"$instance"}[$__rate_interval])) / on (instance) group_left () (sum by (instance) (rate(scx_host_cpu_seconds_total{instance=~"$instance"}[$__rate_interval])) > 0)'),
    'the mode share',
  );
  for (const q of [0.5, 0.9, 0.99]) assert.ok(exprs.includes(`histogram_quantile(${q}, sum by (instance, le) (rate(scx_probe_runqueue_latency_seconds_bucket{instance=~"$instance"}[$__rate_interval])))`), `p${q * 100}`);
  const heat = queries(d).find((q) => q.type === 'heatmap');
  assert.equal(heat?.expr, 'sum by (le) (rate(scx_probe_runqueue_latency_seconds_bucket{instance=~"$instance"}[$__rate_interval]))');
  // A share is stacked to 100%; rates are not stacked.
  const share = d.panels.find((p) => p.title === 'scx_host_cpu_seconds_total share by mode') as unknown as { fieldConfig: { defaults: { unit: string; max: number; custom: { stacking: { mode: string } } } } };
  assert.equal(share.fieldConfig.defaults.custom.stacking.mode, 'normal');
  assert.equal(share.fieldConfig.defaults.unit, 'percentunit');
  assert.equal(share.fieldConfig.defaults.max, 1);
});

test('the rusty dashboard: the profile first, a dispatch-path share, sched_ext and the agent; every read is one describe --scheduler rusty lists', async () => {
  const { dashboard: d } = generate(['--scheduler', 'rusty']);
  assert.deepEqual(modelProblems(d), []);
  assert.equal(d.uid, 'scx-metrics-rusty');
  assert.deepEqual(rows(d), ['rusty', 'sched_ext', 'sched_ext_events', 'scx_metrics']);
  const dir = schedExtTree();
  try {
    const known = sampleLabels(await describedFamilies(['--scheduler', 'rusty', '--no-host', '--no-probe', '--sched-ext-root', dir, '--no-scx-stats']));
    assert.deepEqual(unknownReads(d, known), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const titles = d.panels.map((p) => p.title);
  for (const t of ['dispatched_tasks_total per second by type', 'dispatched_tasks_total share by type', 'kick_greedy_total per second', 'dl_preset_total per second']) assert.ok(titles.includes(t), t);
  // Every declared stat of the profile has a panel.
  for (const n of ['dispatched_tasks', 'repatriate', 'kick_greedy', 'load_balance', 'task_errors', 'dl_clamped', 'dl_preset']) assert.ok(titles.some((t) => t.startsWith(`${n}_total`)), n);
});

test('scx_stats metas (rusty, lavd, layered, bpfland): the dashboard from a live stats_meta has the names describe --scx-stats lists, and a valid model', async () => {
  const metas = { rusty: rustyMeta, lavd: lavdMeta, layered: layeredMeta, bpfland: bpflandMeta };
  const dir = schedExtTree();
  try {
    const common = await describedFamilies(['--no-host', '--no-probe', '--sched-ext-root', dir, '--no-scx-stats']);
    for (const [name, meta] of Object.entries(metas)) {
      const server = await TestStatsServer.start({ meta, targets: {} });
      try {
        const { dashboard: d, stderr } = await generateAsync(['--scx-stats', server.path]);
        assert.deepEqual(modelProblems(d), [], name);
        assert.equal(stderr, '', `${name}: the overlay matched`);
        assert.equal(d.uid, `scx-metrics-scx-stats-${name}`);
        // The gauges, then the overlay's counters where it types any (lavd's are all decaying levels: none).
        assert.deepEqual(rows(d).slice(0, 2), ['scx_stats', name === 'lavd' ? 'sched_ext' : `scx_stats_${name}`], name);
        const known = sampleLabels(new Map([...common, ...(await describedFamilies(['--no-host', '--no-probe', '--no-sched-ext', '--scx-stats', server.path]))]));
        assert.deepEqual(unknownReads(d, known), [], name);
        // Every exported scx_stats family has a panel.
        const read = new Set(queries(d).flatMap((q) => selectors(q.expr).map((s) => s.name)));
        const scx = await describedFamilies(['--no-host', '--no-probe', '--no-sched-ext', '--scx-stats', server.path]);
        for (const [fam, f] of scx) if (!fam.startsWith('scx_metrics_')) assert.ok(read.has(f.kind === 'histogram' ? `${fam}_bucket` : fam), `${name}: ${fam} has a panel`);
        if (name === 'rusty') {
          const exprs = queries(d).map((q) => q.expr);
          assert.ok(exprs.some((e) => e.startsWith('sum by (instance, type) (rate(scx_rusty_dispatched_tasks_total{instance=~"$instance"}[$__rate_interval])) / on (instance)')), 'the dispatch share from percentages');
          assert.ok(exprs.includes('d_load{instance=~"$instance"}'), 'a per-domain gauge');
          assert.ok(queries(d).some((q) => q.expr === 'd_load{instance=~"$instance"}'));
        }
      } finally {
        await server.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the model check has teeth: a duplicate id, an overlap, a panel past column 24 and a target without expr are each caught', () => {
  const { dashboard: d } = generate(['--scheduler', 'simple']);
  const copy = (): GDashboard & { panels: Record<string, unknown>[] } => JSON.parse(JSON.stringify(d)) as GDashboard & { panels: Record<string, unknown>[] };
  const dup = copy();
  (dup.panels[2] as { id: number }).id = (dup.panels[1] as { id: number }).id;
  assert.match(modelProblems(dup).join('\n'), /is not unique/);
  const overlap = copy();
  (overlap.panels[2] as { gridPos: unknown }).gridPos = { ...(overlap.panels[1] as { gridPos: object }).gridPos };
  assert.match(modelProblems(overlap).join('\n'), /overlaps/);
  const wide = copy();
  (wide.panels[1] as { gridPos: { x: number } }).gridPos.x = 20;
  assert.match(modelProblems(wide).join('\n'), /not inside the 24-column grid/);
  const noExpr = copy();
  delete (noExpr.panels[1] as unknown as { targets: { expr?: string }[] }).targets[0]?.expr;
  assert.match(modelProblems(noExpr).join('\n'), /no expr/);
  const old = { ...copy(), schemaVersion: 16 };
  assert.match(modelProblems(old).join('\n'), /schemaVersion 16/);
});

test('dashboard: usage errors exit 2 with one line; a socket with no scheduler exits 1 naming it', () => {
  const none = runCli(['dashboard']);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /give --grafana/);
  const bad = runCli(['dashboard', '--grafana', '--scheduler', 'nosuch']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--scheduler: no profile "nosuch"/);
  const dir = mkdtempSync(join(tmpdir(), 'scx-dash-'));
  try {
    const r = runCli(['dashboard', '--grafana', '--scx-stats', join(dir, 'stats')]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /no stats_meta from .*stats: .*ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
