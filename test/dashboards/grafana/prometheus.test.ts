// Every query of the generated dashboards, evaluated by a real Prometheus scraping a running agent: the host
// dashboard (deploy/grafana/scx-metrics.json), rusty's (deploy/grafana/scx-rusty.json, fed by a real pinned
// BPF map with rusty's layout, as root) and one generated from a live scx_stats meta (scx_rusty's, served by
// the tests' protocol server with a simulated scheduler behind it). Every panel whose inputs the agent
// exports returns data; each panel without input is listed with the reason, and every reason is one this
// host explains (no /proc/schedstat, no sink error, ...). Shares add up to 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exitedWithin, startCli } from '../../helpers/cli.js';
import { freePort } from '../../helpers/http-peer.js';
import { needPeer } from '../../helpers/peers.js';
import { hasPrometheus, startPrometheus, type PrometheusServer } from '../../helpers/prometheus-server.js';
import { selectors } from '../../deploy/promql.js';
import { TestStatsServer } from '../../sources/scx-stats/server.js';
import { DISPATCH_PATHS, RUSTY_STATS, RustySim, rustyMeta } from '../../sources/scx-stats/rusty.js';
import { mountBpffs } from '../../sources/bpf/fixtures.js';
import { BpfMap, MapType } from '../../../src/sources/bpf/sys.js';
import { knownEvents } from '../../../src/sources/sched-ext/stats.js';
import { rustyStats } from '../../../profiles/rusty.js';
import { counterSampleName } from '../../../src/declare/naming.js';
import { type GDashboard, generateAsync, queries } from './check.js';

const DEPLOY = fileURLToPath(new URL('../../../../deploy/grafana/', import.meta.url));
const JOB = 'scx-metrics';
const root = process.getuid?.() === 0;

/** Why a series the dashboards read is not exported on this host, or undefined when it should be. */
function whyAbsent(name: string): string | undefined {
  if (name.startsWith('scx_host_schedstat_') && !existsSync('/proc/schedstat')) return '/proc/schedstat is absent (kernel without CONFIG_SCHEDSTATS)';
  if (name.startsWith('scx_host_cpu_pressure_') && !existsSync('/proc/pressure/cpu')) return '/proc/pressure/cpu is absent (kernel without PSI)';
  if (name.startsWith('scx_probe_') && !root) return 'the BPF probe needs root';
  const rusty = new Set(Object.values(rustyStats.stats).map((d) => counterSampleName(d.name)));
  if (rusty.has(name) && !root) return "rusty's BPF map needs root to create and read";
  // Both of rusty's sources run here: the BPF profile's counter families (repatriate, kick_greedy, dl_preset)
  // hold the names scxstats_to_openmetrics gives the socket's percentages, so the agent leaves those gauges out.
  if (root && Object.values(rustyStats.stats).some((d) => d.name === name)) return `rusty's BPF profile exports a counter family "${name}" in the same run, so the scx_stats gauge of that name is left out`;
  if (name === 'scx_metrics_sink_errors_total') return 'no sink met an error (the series appears with the first)';
  if (name === 'scx_metrics_sink_dropped_total') return 'no push sink runs here (the series is per push sink)';
  if (name === 'scx_metrics_series_folded_total') return 'no metric reached --cardinality-limit (the series appears with the first fold)';
  if (name === 'scx_metrics_series_expired_total') return 'no series went unreported for --series-grace intervals (the series appears with the first expiry)';
  if (name === 'scx_metrics_escaped_errors_total') return 'no error escaped a source, sink or module (the series appears with the first)';
  return undefined;
}

/** A sched_ext tree as the kernel shows it with rusty loaded, every known event counter present. */
function schedExtTree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'scx-dash-sched-ext-'));
  for (const [f, v] of Object.entries({ state: 'enabled', switch_all: '1', nr_rejected: '2', hotplug_seq: '4', enable_seq: '1' })) writeFileSync(join(dir, f), `${v}\n`);
  mkdirSync(join(dir, 'root'));
  writeFileSync(join(dir, 'root/ops'), 'rusty_1.0.0\n');
  writeFileSync(join(dir, 'root/events'), Object.keys(knownEvents).map((e, i) => `SCX_EV_${e} ${i * 10}\n`).join(''));
  return dir;
}

/** A pinned per-CPU array of 17 u64 (rusty's `stats`), which `tick()` advances: entry i by i+1 per CPU slot. */
function rustyMap(pinPath: string): { tick(): void; close(): void } {
  const map = BpfMap.create({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 17, name: 'stats' });
  map.pin(pinPath);
  const cells = Array.from({ length: 17 }, () => 0n);
  return {
    tick() {
      for (let i = 0; i < 17; i++) {
        cells[i] = (cells[i] as bigint) + BigInt(i + 1);
        const v = map.newValue();
        for (let s = 0; s < map.slots; s++) v.writeBigUInt64LE(cells[i] as bigint, s * 8);
        map.update(i, v);
      }
    },
    close: () => map.close(),
  };
}

interface Evaluated {
  readonly withData: number;
  readonly without: { panel: string; missing: string[] }[];
}

async function evaluate(p: PrometheusServer, d: GDashboard, present: ReadonlySet<string>): Promise<Evaluated> {
  let withData = 0;
  const without: Evaluated['without'] = [];
  for (const q of queries(d)) {
    const expr = q.expr.replaceAll('$instance', '.+').replaceAll('$__rate_interval', '4s');
    const missing = [...new Set(selectors(q.expr).map((s) => s.name as string))].filter((n) => !present.has(n));
    if (missing.length === 0) {
      await p.queryUntil(expr, (r) => r.length > 0, 20_000);
      withData++;
    } else {
      await p.query(expr); // it still parses and runs
      without.push({ panel: q.panel, missing });
    }
  }
  return { withData, without };
}

test('a real Prometheus scraping the agent answers every dashboard query; panels with inputs on this host return data (host, rusty, scx_stats meta)', { timeout: 150_000 }, async (t) => {
  if (!needPeer(t, hasPrometheus(), 'prometheus server (Debian package prometheus)')) return;
  const cleanups: (() => unknown)[] = [];
  try {
    const schedExt = schedExtTree();
    cleanups.push(() => rmSync(schedExt, { recursive: true, force: true }));
    const sim = new RustySim(2, 2);
    const server = await TestStatsServer.start({ meta: rustyMeta, targets: { top: sim.open } });
    cleanups.push(() => server.close());
    let map: ReturnType<typeof rustyMap> | undefined;
    const extra: string[] = [];
    if (root) {
      const fs = mountBpffs();
      cleanups.push(() => fs.cleanup());
      const pin = join(fs.dir, 'rusty_stats');
      map = rustyMap(pin);
      cleanups.push(() => map?.close());
      extra.push('--scheduler', 'rusty', '--bpf-pin', pin);
    }
    // The scheduler and the map move all the time, so rates and shares have something to show.
    const timer = setInterval(() => {
      DISPATCH_PATHS.forEach((s, i) => sim.add(s, 10 * (i + 1)));
      sim.add(RUSTY_STATS[11], 5);
      sim.timeUsed += 0.01;
      map?.tick();
    }, 100);
    cleanups.push(() => clearInterval(timer));
    // New processes every 200 ms, so the probe's fork and wakeup counters move on a quiet machine too.
    const forks = setInterval(() => spawn('true').on('error', () => undefined), 200);
    cleanups.push(() => clearInterval(forks));

    const port = await freePort();
    const target = `127.0.0.1:${port}`;
    const agent = startCli(['run', '--enable-prometheus', '--prometheus-listen', target, '--interval', '0.5', '--report', 'none', '--sched-ext-root', schedExt, '--scx-stats', server.path, ...extra]);
    cleanups.push(() => exitedWithin((agent.kill('SIGTERM'), agent), 20_000, 'scx-metrics run'));
    const p = await startPrometheus({
      config: ['global:', '  scrape_interval: 1s', 'scrape_configs:', `  - job_name: ${JOB}`, '    static_configs:', `      - targets: [${JSON.stringify(target)}]`, ''].join('\n'),
    });
    cleanups.push(() => p.stop());

    const scxStats = await generateAsync(['--scx-stats', server.path]);
    const dashboards: Record<string, GDashboard> = {
      'scx-metrics.json (host)': JSON.parse(readFileSync(join(DEPLOY, 'scx-metrics.json'), 'utf8')) as GDashboard,
      'scx-rusty.json': JSON.parse(readFileSync(join(DEPLOY, 'scx-rusty.json'), 'utf8')) as GDashboard,
      'scx_stats (rusty meta)': scxStats.dashboard,
    };

    // Rates need two scrapes of each series.
    await p.queryUntil('rate(scx_metrics_collections_total[4s]) > 0', (r) => r.length > 0, 30_000);
    await p.queryUntil('rate(scx_rusty_dispatched_tasks_total[4s]) > 0', (r) => r.length > 0, 30_000);
    if (root) await p.queryUntil('rate(dispatched_tasks_total[4s]) > 0', (r) => r.length > 0, 30_000);
    const present = new Set((await p.query(`group by (__name__) ({job="${JOB}"})`)).map((s) => s.metric.__name__ as string));
    assert.equal(present.has('scx_probe_runqueue_latency_seconds_bucket'), root, 'the probe runs exactly when root');

    const unexplained: string[] = [];
    for (const [name, d] of Object.entries(dashboards)) {
      const r = await evaluate(p, d, present);
      t.diagnostic(`${name}: ${r.withData} queries returned data; ${r.without.length} without input on this host`);
      for (const w of r.without) t.diagnostic(`  ${w.panel}: ${w.missing.map((m) => `${m}: ${whyAbsent(m) ?? 'UNEXPLAINED'}`).join(', ')}`);
      for (const w of r.without) for (const m of w.missing) if (whyAbsent(m) === undefined) unexplained.push(`${name}: ${w.panel}: ${m}`);
      assert.ok(r.withData > 0, name);
    }
    assert.deepEqual(unexplained, [], 'every panel without data lacks an input this host explains');
    if (root) assert.match(agent.output().stderr, /scx_stats: "repatriate" is already registered with another kind or labels; not exported/);

    // The shares add up to 1 per instance, and a rate is the real one.
    const shareSum = async (family: string, label: string): Promise<number> => {
      const e = `sum by (instance) (sum by (instance, ${label}) (rate(${family}[4s])) / on (instance) group_left () (sum by (instance) (rate(${family}[4s])) > 0))`;
      return Number((await p.queryUntil(e, (x) => x.length > 0, 10_000))[0]?.value[1]);
    };
    assert.ok(Math.abs((await shareSum('scx_host_cpu_seconds_total', 'mode')) - 1) < 1e-9);
    assert.ok(Math.abs((await shareSum('scx_rusty_dispatched_tasks_total', 'type')) - 1) < 1e-9);
    if (root) {
      assert.ok(Math.abs((await shareSum('dispatched_tasks_total', 'type')) - 1) < 1e-9);
      // Entry 0 (wsync) grows by 1 per CPU slot per 100 ms: the rate is about 10 x slots per second.
      const wsync = Number((await p.query('sum(rate(dispatched_tasks_total{type="wsync"}[4s]))'))[0]?.value[1]);
      assert.ok(wsync > 0, `wsync rate ${wsync}`);
    }
  } finally {
    for (const c of cleanups.reverse()) await c();
  }
});
