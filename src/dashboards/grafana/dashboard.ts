/**
 * A Grafana dashboard from declarations: one row per stat set, the panels of each declaration laid out left
 * to right on the 24-column grid, a `datasource` variable and an `instance` variable filled from the agent's
 * own `scx_metrics_collections_total`. Pure: the same declarations give the same JSON, byte for byte.
 */
import type { StatDecl, StatSet } from '../../declare/types.js';
import type { Dashboard, DataPanel, DataSourceRef, Panel, RowPanel, Variable } from './model.js';
import { panelsFor } from './panels.js';

/** The schema Grafana 10.x/11.x writes. */
export const SCHEMA_VERSION = 39;
/** Height of every data panel, in grid rows. */
export const PANEL_HEIGHT = 8;
export const GRID_COLUMNS = 24;

/** A dashboard row: a stat set's declarations under one title. */
export interface DashboardGroup {
  readonly title: string;
  readonly stats: readonly StatDecl[];
}

export interface GrafanaOptions {
  readonly title: string;
  /** Grafana's dashboard uid (at most 40 characters: letters, digits, `-` and `_`). */
  readonly uid: string;
  readonly description: string;
}

const DATASOURCE: DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

/** One group per stat set that declares anything, titled with its name and help. */
export function groupsFromSets(sets: readonly StatSet[]): DashboardGroup[] {
  return sets.filter((s) => Object.keys(s.stats).length > 0).map((s) => ({ title: `${s.name}: ${s.help}`, stats: Object.values(s.stats) }));
}

const variables: readonly Variable[] = [
  { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, hide: 0, refresh: 1, regex: '', includeAll: false, multi: false },
  {
    name: 'instance',
    label: 'Instance',
    type: 'query',
    datasource: DATASOURCE,
    definition: 'label_values(scx_metrics_collections_total, instance)',
    query: { qryType: 1, query: 'label_values(scx_metrics_collections_total, instance)', refId: 'PrometheusVariableQueryEditor-VariableQuery' },
    current: {},
    hide: 0,
    includeAll: true,
    multi: true,
    refresh: 2,
    regex: '',
    sort: 1,
    options: [],
  },
];

/** Builds the dashboard. Throws when the uid is not one Grafana accepts. */
export function grafanaDashboard(groups: readonly DashboardGroup[], opts: GrafanaOptions): Dashboard {
  if (!/^[\w-]{1,40}$/.test(opts.uid)) throw new Error(`dashboard uid "${opts.uid}" is not 1-40 letters, digits, "-" or "_"`);
  const panels: Panel[] = [];
  let id = 0;
  let y = 0;
  for (const g of groups) {
    const specs = g.stats.flatMap(panelsFor);
    if (specs.length === 0) continue;
    const row: RowPanel = { type: 'row', id: ++id, title: g.title, gridPos: { x: 0, y, w: GRID_COLUMNS, h: 1 }, collapsed: false, panels: [] };
    panels.push(row);
    y += 1;
    let x = 0;
    for (const s of specs) {
      if (x + s.width > GRID_COLUMNS) {
        x = 0;
        y += PANEL_HEIGHT;
      }
      const p: DataPanel = {
        type: s.type,
        id: ++id,
        title: s.title,
        description: s.description,
        datasource: DATASOURCE,
        gridPos: { x, y, w: s.width, h: PANEL_HEIGHT },
        targets: s.queries.map((q, i) => ({ datasource: DATASOURCE, refId: String.fromCharCode(65 + i), expr: q.expr, legendFormat: q.legendFormat, format: q.format, range: true })),
        fieldConfig: { defaults: s.defaults, overrides: [] },
        options: s.options,
      };
      panels.push(p);
      x += s.width;
    }
    y += PANEL_HEIGHT;
  }
  return {
    __requires: [
      { type: 'grafana', id: 'grafana', name: 'Grafana', version: '10.0.0' },
      { type: 'datasource', id: 'prometheus', name: 'Prometheus', version: '1.0.0' },
      { type: 'panel', id: 'timeseries', name: 'Time series', version: '' },
      { type: 'panel', id: 'heatmap', name: 'Heatmap', version: '' },
    ],
    annotations: {
      list: [{ builtIn: 1, datasource: { type: 'grafana', uid: '-- Grafana --' }, enable: true, hide: true, iconColor: 'rgba(0, 211, 255, 1)', name: 'Annotations & Alerts', type: 'dashboard' }],
    },
    description: opts.description,
    editable: true,
    graphTooltip: 1,
    id: null,
    links: [{ title: 'scx-metrics dashboards', type: 'dashboards', tags: ['scx-metrics'], asDropdown: true, includeVars: true, keepTime: true }],
    panels,
    refresh: '30s',
    schemaVersion: SCHEMA_VERSION,
    tags: ['scx-metrics', 'sched_ext'],
    templating: { list: variables },
    time: { from: 'now-1h', to: 'now' },
    timepicker: {},
    timezone: '',
    title: opts.title,
    uid: opts.uid,
    version: 1,
  };
}

/** The dashboard as the file Grafana imports: two-space JSON with a final newline. */
export function dashboardJson(d: Dashboard): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}
