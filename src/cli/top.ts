/**
 * `scx-metrics top`: a full-screen live view of the stats (src/top/). It reads the same sources as `run`,
 * or a running agent's /metrics with `--from URL`. Needs a terminal: on a pipe or file, `run` is the tool.
 */
import type { ReadStream, WriteStream } from 'node:tty';
import { createLogger } from '../support/log.js';
import { AgentFeed } from '../top/agent-feed.js';
import { StatusLine, runTop } from '../top/app.js';
import type { TopFeed } from '../top/feed.js';
import { ScrapeFeed } from '../top/scrape-feed.js';
import { Screen } from '../top/screen.js';
import { createSources, sourceFlags } from './catalog.js';
import { type FlagSpecs, type FlagValues, UsageError, parsePositive, stringFlag } from '../plugin/flags.js';
import { MIN_INTERVAL_SECONDS } from './run.js';

export function topFlags(): FlagSpecs {
  return {
    interval: { type: 'string', short: 'i', default: '1', metavar: 'SECONDS', help: 'Seconds between reads' },
    from: { type: 'string', metavar: 'URL', help: "Watch a running agent's /metrics (http://HOST:9000; the path defaults to /metrics) instead of reading sources here" },
    ...sourceFlags(),
  };
}

/** --from's URL: http(s) only; a bare host:port or "/" path means the agent's /metrics. */
export function parseFromUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--from: "${text}" is not a URL (expected http://HOST:PORT/metrics)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--from: "${text}" is not an http or https URL (expected http://HOST:PORT/metrics)`);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/metrics';
  return url;
}

export async function topCommand(values: FlagValues, given: ReadonlySet<string> = new Set()): Promise<number> {
  const intervalText = stringFlag(values, 'interval') ?? '1';
  const intervalSeconds = parsePositive('interval', intervalText);
  if (intervalSeconds > 86400) throw new UsageError(`--interval: "${intervalText}" is more than 86400 seconds (a day)`);
  if (intervalSeconds < MIN_INTERVAL_SECONDS) throw new UsageError(`--interval: "${intervalText}" is less than ${MIN_INTERVAL_SECONDS} seconds`);
  const fromText = stringFlag(values, 'from');
  const url = fromText === undefined ? undefined : parseFromUrl(fromText);
  const sourceGiven = [...given].filter((f) => f in sourceFlags());
  if (url !== undefined && sourceGiven.length > 0) throw new UsageError(`--${sourceGiven[0]} has no effect with --from (the agent at the URL reads its own sources)`);
  // After the flags, so a bad flag is said as such on a pipe too.
  if (process.stdout.isTTY !== true) throw new UsageError('top needs a terminal and stdout is not one; use `scx-metrics run` for a report on a pipe or file');
  const status = new StatusLine();
  // Diagnostics go to the footer: on stderr they would write over the screen.
  const log = createLogger((line) => status.set(line.replace(/^scx-metrics: /, '')));
  let feed: TopFeed;
  if (url !== undefined) {
    feed = new ScrapeFeed({ url, intervalSeconds });
  } else {
    const sources = await createSources(values, { log, intervalSeconds, out: process.stdout, env: process.env });
    feed = new AgentFeed({ sources, intervalSeconds, log });
  }
  const out = process.stdout as WriteStream;
  const keys = process.stdin.isTTY === true ? (process.stdin as ReadStream) : undefined;
  return runTop(feed, { screen: new Screen(out, keys), keys, resizes: out }, status);
}
