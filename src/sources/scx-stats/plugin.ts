/**
 * The scx_stats source's flags and factory. With `--scx-stats PATH` the source waits for a server there
 * (reconnecting with backoff); without it, the default socket is used when it answers now (auto-detection),
 * and nothing is added when it is absent.
 */
import { existsSync } from 'node:fs';
import type { SourcePlugin } from '../../plugin/plugin.js';
import { UsageError, boolFlag, parsePositive, positive, stringFlag } from '../../plugin/flags.js';
import { errorMessage } from '../../support/log.js';
import { DEFAULT_SCX_STATS_PATH, probeScxStats } from './client.js';
import { overlays } from './overlays/index.js';
import type { StatsMeta } from './protocol.js';
import { ScxStatsSource } from './source.js';

const overlayChoices = ['auto', 'none', ...overlays.map((o) => o.scheduler)];

function overlayChoice(flag: string, overlay: string): void {
  if (!overlayChoices.includes(overlay)) throw new UsageError(`--${flag}: "${overlay}" is not one of ${overlayChoices.join(', ')}`);
}

/** The default request timeout: 1 s, or a quarter of the interval when that is shorter, so a hung server fails the interval in time. */
export function defaultTimeoutMs(intervalSeconds: number): number {
  return Math.max(50, Math.min(1000, Math.floor((intervalSeconds * 1000) / 4)));
}

/** The plugin, with the socket it auto-detects (tests point it elsewhere). */
export function scxStatsPluginFor(defaultPath: string): SourcePlugin {
  return {
    name: 'scx_stats',
    flags: {
      'scx-stats': {
        type: 'string',
        metavar: 'PATH',
        help: `Read an scx scheduler's stats socket, waiting for it if needed (default: ${defaultPath} when it answers)`,
      },
      'no-scx-stats': { type: 'boolean', help: 'Do not read an scx_stats socket, even when the default one answers' },
      'scx-stats-timeout': { type: 'string', metavar: 'MS', check: positive({ integer: true }), help: 'Connect, write and read timeout for the stats socket (default 1000, at most a quarter of the interval)' },
      'scx-stats-overlay': { type: 'string', default: 'auto', metavar: overlayChoices.join('|'), check: overlayChoice, help: 'Typing overlay: which fields are counts (auto: matched from stats_meta)' },
      'scx-stats-typed-only': { type: 'boolean', help: 'Leave out the gauges of fields the overlay exports as counters' },
      'scx-stats-max-line': { type: 'string', default: '4194304', metavar: 'BYTES', check: positive({ integer: true }), help: 'Longest stats response line accepted' },
    },
    async create(values, env) {
      if (boolFlag(values, 'no-scx-stats')) return [];
      const overlay = stringFlag(values, 'scx-stats-overlay') ?? 'auto';
      overlayChoice('scx-stats-overlay', overlay);
      const t = stringFlag(values, 'scx-stats-timeout');
      const timeoutMs = t === undefined ? defaultTimeoutMs(env.intervalSeconds) : parsePositive('scx-stats-timeout', t, { integer: true });
      const maxLineBytes = parsePositive('scx-stats-max-line', stringFlag(values, 'scx-stats-max-line') ?? '4194304', { integer: true });
      const explicit = stringFlag(values, 'scx-stats');
      const path = explicit ?? defaultPath;
      if (explicit === undefined && !existsSync(path)) return [];
      let initialMeta: StatsMeta | undefined;
      try {
        initialMeta = await probeScxStats(path, timeoutMs);
      } catch (err) {
        if (explicit === undefined) {
          env.log.info(`scx_stats: ${path} is present but does not answer (${errorMessage(err)}); not reading it (pass --scx-stats ${path} to wait for it)`);
          return [];
        }
      }
      const typedOnly = boolFlag(values, 'scx-stats-typed-only');
      return [new ScxStatsSource({ path, timeoutMs, maxLineBytes, overlay, typedOnly, initialMeta })];
    },
  };
}

export const scxStatsPlugin: SourcePlugin = scxStatsPluginFor(DEFAULT_SCX_STATS_PATH);
