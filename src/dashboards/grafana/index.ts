/** Grafana dashboards generated from declarations (`scx-metrics dashboard --grafana`). */
export { grafanaDashboard, dashboardJson, groupsFromSets, SCHEMA_VERSION, PANEL_HEIGHT, GRID_COLUMNS, type DashboardGroup, type GrafanaOptions } from './dashboard.js';
export { panelsFor, QUANTILES, type PanelSpec, type QuerySpec } from './panels.js';
export type { Dashboard, DataPanel, Panel, RowPanel, Target, GridPos, Variable } from './model.js';
