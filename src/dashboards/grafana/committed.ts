/**
 * The dashboards committed under deploy/grafana/: the host's and one per built-in scheduler profile, each
 * with the `dashboard --grafana` flags that write it (scripts/gen-dashboards.mjs writes them; a test checks
 * the committed files equal a fresh run).
 */
import { profiles } from '../../../profiles/index.js';

export interface CommittedDashboard {
  /** File name under deploy/grafana/. */
  readonly file: string;
  /** Flags after `dashboard --grafana`. */
  readonly args: readonly string[];
}

export function committedDashboards(): CommittedDashboard[] {
  return [{ file: 'scx-metrics.json', args: [] }, ...Object.keys(profiles).map((name) => ({ file: `scx-${name}.json`, args: ['--scheduler', name] }))];
}
