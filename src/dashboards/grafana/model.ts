/**
 * The parts of Grafana's dashboard JSON model (schema 39, Grafana 10.x/11.x) the generator writes. Only what
 * we set is typed; Grafana fills in the rest with its defaults on import.
 */

/** Where a panel sits on Grafana's 24-column grid (h in grid rows of 30 px). */
export interface GridPos {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** A data source reference; ours is always the `datasource` template variable. */
export interface DataSourceRef {
  readonly type: 'prometheus';
  readonly uid: string;
}

/** One PromQL query of a panel. */
export interface Target {
  readonly datasource: DataSourceRef;
  readonly refId: string;
  readonly expr: string;
  readonly legendFormat: string;
  /** `heatmap` for bucket series drawn by a heatmap panel, else `time_series`. */
  readonly format: 'time_series' | 'heatmap';
  readonly range: true;
}

export interface RowPanel {
  readonly type: 'row';
  readonly id: number;
  readonly title: string;
  readonly gridPos: GridPos;
  readonly collapsed: false;
  readonly panels: readonly [];
}

export interface DataPanel {
  readonly type: 'timeseries' | 'heatmap';
  readonly id: number;
  readonly title: string;
  readonly description: string;
  readonly datasource: DataSourceRef;
  readonly gridPos: GridPos;
  readonly targets: readonly Target[];
  readonly fieldConfig: { readonly defaults: Readonly<Record<string, unknown>>; readonly overrides: readonly [] };
  readonly options: Readonly<Record<string, unknown>>;
}

export type Panel = RowPanel | DataPanel;

/** A template variable (datasource or query). */
export type Variable = Readonly<Record<string, unknown>> & { readonly name: string; readonly type: string };

export interface Dashboard {
  readonly __requires: readonly Readonly<Record<string, string>>[];
  readonly annotations: { readonly list: readonly Readonly<Record<string, unknown>>[] };
  readonly description: string;
  readonly editable: true;
  readonly graphTooltip: 1;
  readonly id: null;
  readonly links: readonly Readonly<Record<string, unknown>>[];
  readonly panels: readonly Panel[];
  readonly refresh: string;
  readonly schemaVersion: number;
  readonly tags: readonly string[];
  readonly templating: { readonly list: readonly Variable[] };
  readonly time: { readonly from: string; readonly to: string };
  readonly timepicker: Readonly<Record<string, never>>;
  readonly timezone: '';
  readonly title: string;
  readonly uid: string;
  readonly version: 1;
}
