/**
 * The mixin's files as the tests read them: deploy/prometheus/rules.yml (parsed by python3-yaml, a real YAML
 * parser), the Grafana dashboard's targets, and what the agent exports according to `describe --format json`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exited, runCli, startCli } from '../helpers/cli.js';
import { hasCommand } from '../helpers/peers.js';
import { RustySim, rustyMeta } from '../sources/scx-stats/rusty.js';
import { TestStatsServer } from '../sources/scx-stats/server.js';

export const DEPLOY = fileURLToPath(new URL('../../../deploy/', import.meta.url));
export const RULES = join(DEPLOY, 'prometheus/rules.yml');
export const RULES_TESTS = join(DEPLOY, 'prometheus/rules.test.yml');
export const DASHBOARD = join(DEPLOY, 'grafana/scx-metrics.json');
/** Every dashboard in deploy/grafana/ (generated: the host's and one per scheduler profile). */
export const DASHBOARDS = readdirSync(join(DEPLOY, 'grafana'))
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => join(DEPLOY, 'grafana', f));
export const PROMTOOL = '/usr/bin/promtool';
export const hasPromtool = (): boolean => hasCommand(PROMTOOL, ['--version']);

const PYTHON = '/usr/bin/python3';
export const hasPyYaml = (): boolean => hasCommand(PYTHON, ['-c', 'import yaml']);

export interface Rule {
  readonly record?: string;
  readonly alert?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}
export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly Rule[];
}

/** A YAML file as JSON, through python3-yaml's safe loader. */
export function loadYaml(path: string): unknown {
  const r = spawnSync(PYTHON, ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)', path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 yaml ${path}: ${r.stderr}`);
  return JSON.parse(r.stdout) as unknown;
}

export function loadRules(path = RULES): RuleGroup[] {
  return (loadYaml(path) as { groups: RuleGroup[] }).groups;
}

export interface DashboardTarget {
  readonly panel: string;
  readonly expr: string;
}
export interface Panel {
  readonly type: string;
  readonly title: string;
  readonly id: number;
  readonly datasource?: { type: string; uid: string };
  readonly gridPos: { h: number; w: number; x: number; y: number };
  readonly targets?: { expr: string; refId: string; datasource?: { type: string; uid: string } }[];
  readonly panels?: Panel[];
}
export interface Dashboard {
  readonly schemaVersion: number;
  readonly uid: string;
  readonly title: string;
  readonly panels: Panel[];
  readonly templating: { list: { name: string; type: string; query: unknown; definition?: string; datasource?: { type: string; uid: string } }[] };
}

export function loadDashboard(path = DASHBOARD): Dashboard {
  return JSON.parse(readFileSync(path, 'utf8')) as Dashboard;
}

/** Every panel, rows' nested panels included. */
export function allPanels(d: Dashboard): Panel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** The targets of one dashboard, or of every dashboard in deploy/grafana/. */
export function dashboardTargets(d?: Dashboard): DashboardTarget[] {
  const ds = d === undefined ? DASHBOARDS.map((f) => loadDashboard(f)) : [d];
  return ds.flatMap((x) => allPanels(x).flatMap((p) => (p.targets ?? []).map((t) => ({ panel: `${x.uid}: ${p.title}`, expr: t.expr }))));
}

/** A family as `describe --format json` lists it: exposed name, kind and labels (null: any value). */
export interface Family {
  readonly name: string;
  readonly kind: 'counter' | 'gauge' | 'histogram';
  readonly labels: Record<string, readonly string[] | null>;
}

interface DescribedSet {
  readonly set: string;
  readonly stats: Family[];
}

function parseDescribe(stdout: string, what: string): Family[] {
  try {
    return (JSON.parse(stdout) as DescribedSet[]).flatMap((s) => s.stats);
  } catch (err) {
    throw new Error(`describe ${what}: not JSON (${(err as Error).message}): ${stdout.slice(0, 200)}`);
  }
}

export const PROFILES = ['rusty', 'simple', 'nest', 'flatcg', 'central', 'qmap'] as const;

/**
 * Every family the agent can export, from `describe --format json` itself: host, probe and sched_ext
 * declarations, each scheduler profile, scx_rusty's stats socket (a test server speaking its protocol) and
 * the agent's own health.
 */
export async function exportedFamilies(): Promise<Map<string, Family>> {
  const out = new Map<string, Family>();
  const add = (fams: Family[]): void => {
    for (const f of fams) out.set(f.name, f);
  };
  const dir = mkdtempSync(join(tmpdir(), 'scx-mixin-'));
  try {
    const base = runCli(['describe', '--format', 'json', '--probe', '--sched-ext-root', dir, '--no-scx-stats']);
    if (base.status !== 0) throw new Error(`describe: ${base.stderr}`);
    add(parseDescribe(base.stdout, 'host, probe, sched_ext'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const p of PROFILES) {
    const r = runCli(['describe', '--format', 'json', '--scheduler', p, '--no-host', '--no-probe', '--no-sched-ext', '--no-scx-stats']);
    if (r.status !== 0) throw new Error(`describe --scheduler ${p}: ${r.stderr}`);
    add(parseDescribe(r.stdout, `--scheduler ${p}`));
  }
  const server = await TestStatsServer.start({ meta: rustyMeta, targets: { top: new RustySim(1, 1).open } });
  try {
    const child = startCli(['describe', '--format', 'json', '--scx-stats', server.path, '--no-host', '--no-probe', '--no-sched-ext']);
    const { code } = await exited(child);
    if (code !== 0) throw new Error(`describe --scx-stats: ${child.output().stderr}`);
    add(parseDescribe(child.output().stdout, '--scx-stats (rusty)'));
  } finally {
    await server.close();
  }
  return out;
}

/** The sample names Prometheus stores for a family, each with the labels it carries. */
export function sampleNames(f: Family): Map<string, readonly string[]> {
  const labels = Object.keys(f.labels);
  if (f.kind !== 'histogram') return new Map([[f.name, labels]]);
  return new Map([
    [`${f.name}_bucket`, [...labels, 'le']],
    [`${f.name}_sum`, labels],
    [`${f.name}_count`, labels],
  ]);
}
