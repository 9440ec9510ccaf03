// The mixin on a real Prometheus: it loads rules.yml while scraping a running agent (host source, the BPF
// probe as root, sched_ext from a fixture tree whose scheduler has gone), and after a few evaluations every
// rule evaluates without error, each recording rule whose inputs the agent exports returns series, the
// scheduler-gone alert is pending and no other alert is, and every dashboard query runs and returns series
// where its inputs exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exitedWithin, startCli } from '../helpers/cli.js';
import { freePort } from '../helpers/http-peer.js';
import { needPeer } from '../helpers/peers.js';
import { hasPrometheus, startPrometheus, type PrometheusServer } from '../helpers/prometheus-server.js';
import { RULES, dashboardTargets, hasPyYaml, loadRules } from './mixin.js';
import { selectors } from './promql.js';

const JOB = 'scx-metrics';

/** The exported metric names an expression reads, through the recording rules it uses. */
function rawInputs(expr: string, recordExprs: ReadonlyMap<string, readonly string[]>, seen = new Set<string>()): Set<string> {
  const out = new Set<string>();
  for (const s of selectors(expr)) {
    const name = s.name as string;
    const defs = recordExprs.get(name);
    if (defs === undefined) out.add(name);
    else if (!seen.has(name)) {
      seen.add(name);
      for (const d of defs) for (const n of rawInputs(d, recordExprs, seen)) out.add(n);
    }
  }
  return out;
}

interface ApiRule {
  name: string;
  type: 'recording' | 'alerting';
  health: string;
  lastError?: string;
}

async function api<T>(prom: PrometheusServer, path: string): Promise<T> {
  const r = await fetch(`${prom.url}${path}`);
  const doc = (await r.json()) as { status: string; data: T };
  assert.equal(doc.status, 'success', path);
  return doc.data;
}

test('a real Prometheus loads rules.yml while scraping the agent: rules evaluate, record the host and probe series, alert as designed; dashboard queries run', { timeout: 90_000 }, async (t) => {
  if (!needPeer(t, hasPrometheus(), 'prometheus server (Debian package prometheus)')) return;
  if (!needPeer(t, hasPyYaml(), 'python3-yaml (/usr/bin/python3 with yaml) to read rules.yml')) return;
  const root = process.getuid?.() === 0;
  // sched_ext as the kernel shows it after a scheduler exited: disabled, enable_seq 1, no root/ops.
  const schedExt = mkdtempSync(join(tmpdir(), 'scx-mixin-sched-ext-'));
  for (const [f, v] of Object.entries({ state: 'disabled', switch_all: '0', nr_rejected: '3', hotplug_seq: '0', enable_seq: '1' })) writeFileSync(join(schedExt, f), `${v}\n`);
  const port = await freePort();
  const agent = startCli(['run', '--enable-prometheus', '--prometheus-listen', `127.0.0.1:${port}`, '--interval', '0.5', '--report', 'none', '--sched-ext-root', schedExt, '--no-scx-stats']);
  const target = `127.0.0.1:${port}`;
  let prom: PrometheusServer | undefined;
  try {
    prom = await startPrometheus({
      config: [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'rule_files:',
        `  - ${JSON.stringify(RULES)}`,
        'scrape_configs:',
        `  - job_name: ${JOB}`,
        '    static_configs:',
        `      - targets: [${JSON.stringify(target)}]`,
        '',
      ].join('\n'),
    });
    const p = prom;
    const groups = loadRules();
    const recordExprs = new Map<string, string[]>();
    for (const g of groups) for (const r of g.rules) if (r.record !== undefined) recordExprs.set(r.record, [...(recordExprs.get(r.record) ?? []), r.expr]);

    // Rates need two scrapes; then the rules need an evaluation.
    const must = ['instance:scx_host_context_switches:rate1m', 'instance:scx_host_cpu_busy:ratio_rate1m', 'instance:scx_sched_ext_rejected_tasks:rate5m'];
    if (root) must.push('instance:scx_probe_sched_switch:rate1m', 'instance:scx_probe_sched_wakeup:rate1m', 'instance_quantile:scx_probe_runqueue_latency_seconds:histogram_quantile1m');
    for (const m of must) await p.queryUntil(m, (r) => r.length > 0, 30_000);

    const present = new Set((await p.query(`group by (__name__) ({job="${JOB}"})`)).map((s) => s.metric.__name__ as string));
    assert.ok(present.has('scx_host_context_switches_total') && present.has('scx_sched_ext_state'), [...present].join(' '));
    assert.equal(present.has('scx_probe_runqueue_latency_seconds_bucket'), root, 'the probe runs exactly when root');

    // Every rule Prometheus loaded evaluates without error.
    const loaded = await api<{ groups: { name: string; rules: ApiRule[] }[] }>(p, '/api/v1/rules');
    assert.deepEqual(loaded.groups.map((g) => g.name).sort(), groups.map((g) => g.name).sort());
    const rules = loaded.groups.flatMap((g) => g.rules);
    assert.equal(rules.length, groups.reduce((n, g) => n + g.rules.length, 0));
    assert.deepEqual(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`), []);

    // Each recording rule whose inputs are all exported here returns series.
    const checked: string[] = [];
    for (const [record, defs] of recordExprs) {
      const inputs = [...rawInputs(defs.join(' + '), recordExprs)];
      if (!inputs.every((n) => present.has(n))) continue;
      const r = await p.queryUntil(record, (x) => x.length > 0, 15_000);
      for (const s of r) {
        assert.equal(s.metric.instance, target);
        assert.ok(Number.isFinite(Number(s.value[1])), `${record} = ${s.value[1]}`);
      }
      checked.push(record);
    }
    for (const m of must) assert.ok(checked.includes(m), `${m} was checked`);
    const busy = Number((await p.query('instance:scx_host_cpu_busy:ratio_rate1m'))[0]?.value[1]);
    assert.ok(busy >= 0 && busy <= 1, `cpu busy ratio ${busy}`);
    assert.ok(Number((await p.query('instance:scx_host_context_switches:rate1m'))[0]?.value[1]) > 0);
    if (root) {
      assert.ok(Number((await p.query('instance:scx_probe_sched_switch:rate1m'))[0]?.value[1]) > 0);
      const q = await p.query('instance_quantile:scx_probe_runqueue_latency_seconds:histogram_quantile1m');
      assert.deepEqual(q.map((s) => s.metric.quantile).sort(), ['0.5', '0.9', '0.99']);
    }

    // The agent's sched_ext says a scheduler ran and is gone: that alert is pending (its for: is minutes),
    // and nothing else is pending or firing for a healthy agent.
    const alerts = async (): Promise<{ labels: Record<string, string>; state: string }[]> => (await api<{ alerts: { labels: Record<string, string>; state: string }[] }>(p, '/api/v1/alerts')).alerts;
    const end = Date.now() + 15_000;
    let now = await alerts();
    while (!now.some((a) => a.labels.alertname === 'ScxSchedulerNotRunning') && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 200));
      now = await alerts();
    }
    assert.deepEqual(now.map((a) => [a.labels.alertname, a.labels.instance, a.state]), [['ScxSchedulerNotRunning', target, 'pending']]);

    // The dashboard's variable and every panel query, with the variables Grafana would substitute.
    const values = await api<string[]>(p, `/api/v1/label/instance/values?${new URLSearchParams({ 'match[]': 'scx_metrics_collections_total' }).toString()}`);
    assert.deepEqual(values, [target]);
    let nonEmpty = 0;
    for (const tg of dashboardTargets()) {
      const expr = tg.expr.replaceAll('$instance', '.+').replaceAll('$__rate_interval', '10s');
      const inputs = [...rawInputs(tg.expr, recordExprs)];
      if (inputs.every((n) => present.has(n))) {
        await p.queryUntil(expr, (x) => x.length > 0, 15_000);
        nonEmpty++;
      } else {
        await p.query(expr); // it runs (a syntax error rejects)
      }
    }
    assert.ok(nonEmpty >= (root ? 20 : 15), `${nonEmpty} dashboard queries returned series`);
  } finally {
    agent.kill('SIGTERM');
    await exitedWithin(agent, 20_000, 'scx-metrics run');
    await prom?.stop();
    rmSync(schedExt, { recursive: true, force: true });
  }
});
