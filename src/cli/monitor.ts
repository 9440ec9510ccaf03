/**
 * `scx-metrics monitor`: what `scx_<sched> --monitor` does, for any scx scheduler, without starting one.
 * Connects to the stats socket (waiting for it, said once), then prints one report per interval: human text
 * in the schedulers' own layout, or `--json` lines. A dropped connection is reported and reopened.
 */
import { errorMessage, createLogger } from '../support/log.js';
import { DEFAULT_SCX_STATS_PATH, ScxStatsClient, ScxStatsUnavailableError } from '../sources/scx-stats/client.js';
import { planMeta, type MetaPlan } from '../sources/scx-stats/meta.js';
import { matchOverlay } from '../sources/scx-stats/overlays/index.js';
import type { ScxOverlay } from '../sources/scx-stats/overlays/types.js';
import { formatReport } from '../sources/scx-stats/report.js';
import { type FlagSpecs, type FlagValues, UsageError, boolFlag, listFlag, parsePositive, stringFlag } from '../plugin/flags.js';

export function monitorFlags(): FlagSpecs {
  return {
    'scx-stats': { type: 'string', default: DEFAULT_SCX_STATS_PATH, metavar: 'PATH', help: "The scheduler's stats socket" },
    interval: { type: 'string', short: 'i', default: '2', metavar: 'SECONDS', help: 'Seconds between reports' },
    json: { type: 'boolean', help: 'One JSON object per report: {"time", "target", "stats"}' },
    target: { type: 'string', default: 'top', metavar: 'NAME', help: 'Stats target to ask for (e.g. lavd: sched_samples)' },
    arg: { type: 'string', multiple: true, metavar: 'KEY=VALUE', help: 'Extra request argument (e.g. nr_samples=4)' },
    count: { type: 'string', metavar: 'N', help: 'Exit after N reports (default: run until interrupted)' },
    timeout: { type: 'string', default: '1000', metavar: 'MS', help: 'Connect, write and read timeout' },
  };
}

/** Sleeps, or returns early when `stopped` settles. */
function sleep(ms: number, stopped: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([new Promise<void>((r) => (timer = setTimeout(r, ms))), stopped]).finally(() => clearTimeout(timer));
}

export async function monitorCommand(values: FlagValues): Promise<number> {
  const path = stringFlag(values, 'scx-stats') ?? DEFAULT_SCX_STATS_PATH;
  const intervalMs = parsePositive('interval', stringFlag(values, 'interval') ?? '2') * 1000;
  const timeoutMs = parsePositive('timeout', stringFlag(values, 'timeout') ?? '1000', { integer: true });
  const countText = stringFlag(values, 'count');
  const count = countText === undefined ? Infinity : parsePositive('count', countText, { integer: true });
  const target = stringFlag(values, 'target') ?? 'top';
  const args: Record<string, string> = {};
  for (const a of listFlag(values, 'arg')) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new UsageError(`--arg: "${a}" is not KEY=VALUE`);
    args[a.slice(0, eq)] = a.slice(eq + 1);
  }
  const json = boolFlag(values, 'json');
  const log = createLogger();
  const client = new ScxStatsClient({ path, connectTimeoutMs: timeoutMs, readTimeoutMs: timeoutMs, writeTimeoutMs: timeoutMs });

  let stop!: () => void;
  let stopping = false;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const onSignal = (): void => {
    stopping = true;
    stop();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let plan: MetaPlan | undefined;
  let overlay: ScxOverlay | undefined;
  let printed = 0;
  try {
    while (!stopping && printed < count) {
      if (!client.connected) {
        try {
          await client.connect();
        } catch (err) {
          const msg = err instanceof ScxStatsUnavailableError ? `stats server not available at ${path} (${err.code}), retrying...` : errorMessage(err);
          log.once('monitor:down', msg);
          await sleep(1000, stopped);
          continue;
        }
        // The meta only names dict labels; a server that cannot describe itself is still worth printing.
        try {
          const meta = await client.statsMeta();
          plan = planMeta(meta);
          overlay = matchOverlay(meta, plan.top);
        } catch (err) {
          plan = undefined;
          overlay = undefined;
          if (!client.connected) {
            log.once('monitor:down', `stats_meta failed: ${errorMessage(err)}; retrying...`);
            await sleep(1000, stopped);
            continue;
          }
        }
      }
      let resp: unknown;
      try {
        resp = await client.stats(target, args);
      } catch (err) {
        log.once('monitor:down', `stats request failed: ${errorMessage(err)}; reconnecting...`);
        client.close();
        await sleep(1000, stopped);
        continue;
      }
      // Cleared on an answer, not on connect: a socket that accepts and hangs up is still down, and said once.
      log.clear('monitor:down', `connected to ${path}`);
      const time = new Date();
      process.stdout.write(json ? `${JSON.stringify({ time: time.toISOString(), target, stats: resp })}\n` : formatReport(resp, { time, plan, overlay, target }));
      printed++;
      if (printed < count) await sleep(intervalMs, stopped);
    }
  } finally {
    client.close();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  return 0;
}
