/**
 * Checks of a generated Grafana dashboard's JSON model, returned as a list of problems (empty when valid), so
 * a test can also show that a broken copy is caught. And the CLI runs that generate them.
 */
import { exited, runCli, startCli } from '../../helpers/cli.js';
import { selectors } from '../../deploy/promql.js';

export interface GPanel {
  readonly type: string;
  readonly id: number;
  readonly title: string;
  readonly gridPos: { x: number; y: number; w: number; h: number };
  readonly datasource?: { type: string; uid: string };
  readonly targets?: readonly { refId: string; expr?: string; datasource?: { type: string; uid: string } }[];
  readonly panels?: readonly GPanel[];
}
export interface GDashboard {
  readonly schemaVersion: number;
  readonly uid: string;
  readonly title: string;
  readonly panels: readonly GPanel[];
  readonly templating: { list: readonly { name: string; type: string; query: unknown; datasource?: unknown }[] };
}

const DS = JSON.stringify({ type: 'prometheus', uid: '${datasource}' });

/** Every problem of the model: schema, ids, grid, variables, data sources, queries. */
export function modelProblems(d: GDashboard): string[] {
  const out: string[] = [];
  if (d.schemaVersion < 36 || d.schemaVersion > 41) out.push(`schemaVersion ${d.schemaVersion} is not Grafana 10/11's (36-41)`);
  if (!/^[\w-]{1,40}$/.test(d.uid)) out.push(`uid "${d.uid}"`);
  const vars = new Map(d.templating.list.map((v) => [v.name, v]));
  if (vars.get('datasource')?.type !== 'datasource' || vars.get('datasource')?.query !== 'prometheus') out.push('no prometheus datasource variable');
  const inst = vars.get('instance');
  if (inst?.type !== 'query' || JSON.stringify(inst.datasource) !== DS || (inst.query as { query?: string }).query !== 'label_values(scx_metrics_collections_total, instance)') {
    out.push('no instance variable from label_values(scx_metrics_collections_total, instance) on the datasource variable');
  }
  const panels = d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
  const ids = new Set<number>();
  const cells = new Map<string, string>();
  for (const p of panels) {
    if (!Number.isInteger(p.id) || p.id <= 0) out.push(`${p.title}: id ${p.id}`);
    if (ids.has(p.id)) out.push(`${p.title}: id ${p.id} is not unique`);
    ids.add(p.id);
    const g = p.gridPos;
    if (![g.x, g.y, g.w, g.h].every((n) => Number.isInteger(n)) || g.x < 0 || g.y < 0 || g.w < 1 || g.h < 1 || g.x + g.w > 24) {
      out.push(`${p.title}: gridPos ${JSON.stringify(g)} is not inside the 24-column grid`);
      continue;
    }
    for (let y = g.y; y < g.y + g.h; y++) {
      for (let x = g.x; x < g.x + g.w; x++) {
        const other = cells.get(`${x},${y}`);
        if (other !== undefined) {
          out.push(`${p.title} overlaps ${other} at ${x},${y}`);
          y = Infinity;
          break;
        }
        cells.set(`${x},${y}`, p.title);
      }
    }
    if (p.type === 'row') continue;
    if (JSON.stringify(p.datasource) !== DS) out.push(`${p.title}: not on the datasource variable`);
    const targets = p.targets ?? [];
    if (targets.length === 0) out.push(`${p.title}: no targets`);
    const refIds = new Set<string>();
    for (const t of targets) {
      if (typeof t.expr !== 'string' || t.expr.trim() === '') {
        out.push(`${p.title} ${t.refId}: no expr`);
        continue;
      }
      if (refIds.has(t.refId)) out.push(`${p.title}: refId ${t.refId} twice`);
      refIds.add(t.refId);
      if (JSON.stringify(t.datasource) !== DS) out.push(`${p.title} ${t.refId}: not on the datasource variable`);
      for (const s of selectors(t.expr)) {
        if (!s.matchers.some((m) => m.label === 'instance' && m.op === '=~' && m.value === '$instance')) out.push(`${p.title}: ${s.name ?? '?'} not filtered by $instance`);
      }
      if (/\brate\(/.test(t.expr) && !t.expr.includes('[$__rate_interval]')) out.push(`${p.title}: a rate without $__rate_interval`);
    }
  }
  return out;
}

/** Every query of a dashboard with its panel. */
export function queries(d: GDashboard): { panel: string; type: string; expr: string }[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]).flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, type: p.type, expr: t.expr ?? '' })));
}

/** `scx-metrics dashboard --grafana ARGS` (synchronous: for the flags that need no server). */
export function generate(args: readonly string[]): { text: string; dashboard: GDashboard } {
  const r = runCli(['dashboard', '--grafana', ...args]);
  if (r.status !== 0) throw new Error(`dashboard --grafana ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return { text: r.stdout, dashboard: JSON.parse(r.stdout) as GDashboard };
}

/** The same, asynchronously: for `--scx-stats`, whose server runs in this process. */
export async function generateAsync(args: readonly string[]): Promise<{ text: string; dashboard: GDashboard; stderr: string }> {
  const child = startCli(['dashboard', '--grafana', ...args]);
  const { code } = await exited(child);
  const { stdout, stderr } = child.output();
  if (code !== 0) throw new Error(`dashboard --grafana ${args.join(' ')}: exit ${code}: ${stderr}`);
  return { text: stdout, dashboard: JSON.parse(stdout) as GDashboard, stderr };
}

/** The families `describe --format json ARGS` lists, by exposed name, with kind and label names. */
export async function describedFamilies(args: readonly string[]): Promise<Map<string, { kind: string; labels: string[] }>> {
  const child = startCli(['describe', '--format', 'json', ...args]);
  const { code } = await exited(child);
  if (code !== 0) throw new Error(`describe ${args.join(' ')}: ${child.output().stderr}`);
  const sets = JSON.parse(child.output().stdout) as { stats: { name: string; kind: string; labels: Record<string, unknown> }[] }[];
  return new Map(sets.flatMap((s) => s.stats.map((f) => [f.name, { kind: f.kind, labels: Object.keys(f.labels) }] as const)));
}
