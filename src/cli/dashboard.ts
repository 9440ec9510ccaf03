/**
 * `scx-metrics dashboard --grafana`: prints a Grafana dashboard for the declarations the agent exports. The
 * host dashboard (no flags) has sched_ext, the host's /proc counters, the BPF probe and the agent's health;
 * `--scheduler NAME` gives a profile's dashboard and `--scx-stats PATH` one built from a running scheduler's
 * `stats_meta`, through the same export `run` uses, so every name matches what the agent serves. Those two
 * carry sched_ext and the agent's health too, and link to the host dashboard by tag.
 */
import { findProfile, profiles } from '../../profiles/index.js';
import type { StatSet } from '../declare/types.js';
import { dashboardJson, grafanaDashboard, groupsFromSets } from '../dashboards/grafana/index.js';
import { healthStats } from '../health.js';
import { errorMessage } from '../support/log.js';
import { pressureStats, procStatStats, schedstatStats } from '../sources/host/stats.js';
import { probeStats } from '../sources/probe/stats.js';
import { schedExtEventStats } from '../sources/sched-ext/events.js';
import { schedExtStats } from '../sources/sched-ext/stats.js';
import { probeScxStats } from '../sources/scx-stats/client.js';
import { planMeta } from '../sources/scx-stats/meta.js';
import { scxStatsPlugin } from '../sources/scx-stats/plugin.js';
import { ScxStatsSource } from '../sources/scx-stats/source.js';
import { type FlagSpecs, type FlagValues, UsageError, boolFlag, parsePositive, stringFlag } from '../plugin/flags.js';
import { writeOutput } from './output.js';

export function dashboardFlags(): FlagSpecs {
  const scx = scxStatsPlugin.flags;
  return {
    grafana: { type: 'boolean', help: 'Write a Grafana dashboard (JSON model, Grafana 10/11); the only format so far' },
    scheduler: { type: 'string', metavar: 'NAME', help: `A scheduler profile's stats (${Object.keys(profiles).join(', ')})` },
    'scx-stats': { type: 'string', metavar: 'PATH', help: "A running scx scheduler's stats socket: the dashboard is built from its stats_meta" },
    'scx-stats-overlay': scx['scx-stats-overlay'] as FlagSpecs[string],
    'scx-stats-typed-only': scx['scx-stats-typed-only'] as FlagSpecs[string],
    'scx-stats-timeout': { type: 'string', default: '1000', metavar: 'MS', check: (scx['scx-stats-timeout'] as FlagSpecs[string]).check, help: 'Connect, write and read timeout for the stats socket' },
    output: { type: 'string', short: 'o', metavar: 'FILE', help: 'Write the dashboard to FILE instead of stdout' },
    uid: { type: 'string', metavar: 'UID', help: "The dashboard's uid (default: scx-metrics, or scx-metrics-<scheduler>)" },
    title: { type: 'string', metavar: 'TEXT', help: "The dashboard's title" },
  };
}

/** The sets every dashboard ends with; the host dashboard's also has the host and probe sets. */
function commonSets(host: boolean): StatSet[] {
  return host ? [schedExtStats, schedExtEventStats, procStatStats, pressureStats, schedstatStats, probeStats, healthStats] : [schedExtStats, schedExtEventStats, healthStats];
}

/** The declarations of the scheduler serving `path`, as the scx_stats source would register them. */
async function scxStatsSets(path: string, values: FlagValues): Promise<{ sets: readonly StatSet[]; name: string }> {
  const timeoutMs = parsePositive('scx-stats-timeout', stringFlag(values, 'scx-stats-timeout') ?? '1000', { integer: true });
  let meta;
  try {
    meta = await probeScxStats(path, timeoutMs);
  } catch (err) {
    throw new Error(`dashboard: no stats_meta from ${path}: ${errorMessage(err)} (is the scheduler running?)`);
  }
  const source = new ScxStatsSource({ path, timeoutMs, overlay: stringFlag(values, 'scx-stats-overlay') ?? 'auto', typedOnly: boolFlag(values, 'scx-stats-typed-only'), initialMeta: meta });
  source.close();
  const sets = source.stats();
  // The source keeps quiet about a meta it cannot walk until its first read; here that is the answer.
  if (sets.length === 0) planMeta(meta);
  const top = planMeta(meta).top;
  if (source.overlay === undefined) process.stderr.write(`scx-metrics: dashboard: no typing overlay for top struct ${top}: its numbers are gauges (as run exports them)\n`);
  return { sets, name: source.overlay?.scheduler ?? top };
}

/** A uid Grafana takes: letters, digits, - and _, at most 40. */
function uidOf(text: string): string {
  return text.replace(/[^\w-]+/g, '-').slice(0, 40);
}

export async function dashboardCommand(values: FlagValues): Promise<number> {
  if (!boolFlag(values, 'grafana')) throw new UsageError('dashboard: give --grafana (the only dashboard format so far)');
  const sets: StatSet[] = [];
  const names: string[] = [];
  const scheduler = stringFlag(values, 'scheduler');
  if (scheduler !== undefined) {
    const profile = findProfile(scheduler);
    if (profile === undefined) throw new UsageError(`--scheduler: no profile "${scheduler}" (profiles: ${Object.keys(profiles).join(', ')})`);
    sets.push(profile.stats);
    names.push(profile.name);
  }
  const path = stringFlag(values, 'scx-stats');
  if (path !== undefined) {
    const scx = await scxStatsSets(path, values);
    sets.push(...scx.sets);
    names.push(`scx-stats-${scx.name}`);
  }
  const host = names.length === 0;
  sets.push(...commonSets(host));
  const what = host ? 'the host (/proc, BPF probe), sched_ext and the agent' : `${names.join(' and ')}, sched_ext and the agent`;
  const uid = stringFlag(values, 'uid') ?? uidOf(['scx-metrics', ...names].join('-'));
  let text: string;
  try {
    const d = grafanaDashboard(groupsFromSets(sets), {
      uid,
      title: stringFlag(values, 'title') ?? `scx-metrics: ${host ? 'host' : names.join(', ')}`,
      description: `Generated by scx-metrics dashboard --grafana from the declarations of ${what}: a row per stat set; counters as rate() by label and, for closed labels, a stacked share; gauges; histogram quantiles and heatmaps.`,
    });
    text = dashboardJson(d);
  } catch (err) {
    throw new UsageError(`dashboard: ${errorMessage(err)}`);
  }
  writeOutput('dashboard', values, text);
  return 0;
}
