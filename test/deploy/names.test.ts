// The mixin names only what the agent exports: every metric a rule or a dashboard panel reads is a family
// `describe --format json` lists (with Prometheus' _bucket/_sum/_count for histograms) or a recording rule
// of rules.yml; every label matched on is one the family has, and a value matched in a closed label set is
// one of its values. A renamed metric, label or label value breaks this test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { needPeer } from '../helpers/peers.js';
import { DASHBOARDS, type Family, allPanels, dashboardTargets, exportedFamilies, hasPyYaml, loadDashboard, loadRules, sampleNames } from './mixin.js';
import { selectors } from './promql.js';

/** Labels Prometheus adds at scrape time. */
const TARGET_LABELS = ['job', 'instance'];

interface Known {
  readonly labels: readonly string[];
  readonly family?: Family;
}

function problemsIn(where: string, expr: string, known: ReadonlyMap<string, Known>): string[] {
  const out: string[] = [];
  for (const sel of selectors(expr)) {
    if (sel.name === undefined) {
      out.push(`${where}: a selector without a metric name: ${expr}`);
      continue;
    }
    const k = known.get(sel.name);
    if (k === undefined) {
      out.push(`${where}: ${sel.name} is neither exported by the agent nor recorded by rules.yml`);
      continue;
    }
    if (k.family === undefined) continue; // a recording rule's labels are whatever its expression keeps
    for (const m of sel.matchers) {
      if (!k.labels.includes(m.label) && !TARGET_LABELS.includes(m.label)) {
        out.push(`${where}: ${sel.name} has no label ${m.label} (it has ${k.labels.join(', ') || 'none'})`);
        continue;
      }
      const closed = k.family.labels[m.label];
      if (closed === null || closed === undefined || (m.op !== '=' && m.op !== '=~') || !/^[\w|]+$/.test(m.value)) continue;
      for (const v of m.value.split('|')) if (!closed.includes(v)) out.push(`${where}: ${sel.name}{${m.label}} has no value ${v} (it has ${closed.join('|')})`);
    }
  }
  return out;
}

test('every metric, label and label value the rules and the dashboard use is exported by the agent (describe --format json)', async (t) => {
  if (!needPeer(t, hasPyYaml(), 'python3-yaml (/usr/bin/python3 with yaml) to read rules.yml')) return;
  const families = await exportedFamilies();
  // The sets the mixin draws on are all there: a describe that lost a source would make the check vacuous.
  for (const name of ['scx_host_context_switches_total', 'scx_probe_runqueue_latency_seconds', 'scx_sched_ext_state', 'dispatched_tasks_total', 'scx_rusty_dispatched_tasks_total', 'scx_simple_queued_tasks_total', 'scx_nest_wakeups_total', 'scx_flatcg_queued_tasks_total', 'scx_central_queued_tasks', 'scx_metrics_sink_dropped_total']) {
    assert.ok(families.has(name), `describe lists ${name}`);
  }
  const known = new Map<string, Known>();
  for (const f of families.values()) for (const [name, labels] of sampleNames(f)) known.set(name, { labels, family: f });

  const groups = loadRules();
  const records = groups.flatMap((g) => g.rules.flatMap((r) => (r.record === undefined ? [] : [r.record])));
  for (const r of records) {
    assert.match(r, /^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$/, `${r} follows level:metric:operations`);
    assert.ok(!families.has(r), `${r} does not shadow an exported name`);
    known.set(r, { labels: [] });
  }
  const problems: string[] = [];
  let used = 0;
  for (const g of groups) {
    for (const r of g.rules) {
      used += selectors(r.expr).length;
      problems.push(...problemsIn(`rules.yml ${g.name} ${r.record ?? r.alert ?? '?'}`, r.expr, known));
    }
  }
  const targets = dashboardTargets();
  for (const tg of targets) {
    used += selectors(tg.expr).length;
    problems.push(...problemsIn(`dashboard "${tg.panel}"`, tg.expr, known));
  }
  assert.deepEqual(problems, []);
  assert.ok(records.length >= 20 && targets.length >= 40 && used >= 100, `the check saw ${records.length} records, ${targets.length} targets, ${used} selectors`);

  // The check has teeth: a renamed metric, an unknown label and a value outside a closed set are each caught.
  assert.deepEqual(problemsIn('x', 'rate(scx_host_context_switch_total[1m])', known), ['x: scx_host_context_switch_total is neither exported by the agent nor recorded by rules.yml']);
  assert.match(problemsIn('x', 'scx_probe_sched_switch_total{core="0"}', known).join(), /has no label core \(it has cpu\)/);
  assert.match(problemsIn('x', 'scx_host_cpu_seconds_total{mode=~"idle|guest"}', known).join(), /has no value guest/);
  assert.deepEqual(problemsIn('x', 'scx_probe_runqueue_latency_seconds_bucket{le="+Inf",instance="a"}', known), []);
});

test('the dashboards: Grafana 10/11 schema, a datasource variable, an instance variable from label_values, every query on them', () => {
  assert.ok(DASHBOARDS.length >= 2, DASHBOARDS.join(' '));
  assert.equal(loadDashboard().uid, 'scx-metrics');
  for (const file of DASHBOARDS) checkDashboard(loadDashboard(file));
});

function checkDashboard(d: ReturnType<typeof loadDashboard>): void {
  assert.ok(d.schemaVersion >= 36 && d.schemaVersion <= 41, `schemaVersion ${d.schemaVersion}`);
  assert.match(d.uid, /^scx-metrics/);
  const vars = new Map(d.templating.list.map((v) => [v.name, v]));
  assert.equal(vars.get('datasource')?.type, 'datasource');
  assert.equal(vars.get('datasource')?.query, 'prometheus');
  const inst = vars.get('instance');
  assert.equal(inst?.type, 'query');
  assert.deepEqual(inst?.datasource, { type: 'prometheus', uid: '${datasource}' });
  assert.equal((inst?.query as { query: string }).query, 'label_values(scx_metrics_collections_total, instance)');
  const panels = allPanels(d);
  assert.equal(new Set(panels.map((p) => p.id)).size, panels.length, 'panel ids are unique');
  const seen = new Set<string>();
  for (const p of panels) {
    assert.ok(p.gridPos.x >= 0 && p.gridPos.x + p.gridPos.w <= 24, `${p.title} fits the 24-column grid`);
    for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        assert.ok(!seen.has(`${x},${y}`), `${p.title} does not overlap another panel at ${x},${y}`);
        seen.add(`${x},${y}`);
      }
    }
    if (p.type === 'row') continue;
    assert.deepEqual(p.datasource, { type: 'prometheus', uid: '${datasource}' }, `${p.title} uses the datasource variable`);
    assert.ok((p.targets ?? []).length > 0, `${p.title} has queries`);
    for (const tg of p.targets ?? []) {
      assert.deepEqual(tg.datasource, { type: 'prometheus', uid: '${datasource}' }, `${p.title} ${tg.refId}`);
      for (const sel of selectors(tg.expr)) {
        assert.ok(sel.matchers.some((m) => m.label === 'instance' && m.op === '=~' && m.value === '$instance'), `${p.title}: ${sel.name ?? '?'} is filtered by $instance`);
      }
    }
  }
}
