/**
 * `scx-metrics run`: build sources and sinks from flags, run the agent until SIGINT/SIGTERM, or until every
 * sink's output is gone (`run | head`: the report was the only output and its reader exited).
 */
import { constants as osConstants } from 'node:os';
import { Agent } from '../agent.js';
import { containEscapes } from '../support/containment.js';
import { createLogger, errorMessage } from '../support/log.js';
import { createSinks, createSources, flagsWithoutEffect, pluginFlags } from './catalog.js';
import { type FlagSpecs, type FlagValues, UsageError, parsePositive, stringFlag } from '../plugin/flags.js';
import type { PluginEnv } from '../plugin/plugin.js';
import { DEFAULT_CARDINALITY_LIMIT, DEFAULT_SERIES_GRACE } from '../registry/index.js';
import { dropNow, plannedDrop, userFlags } from './user.js';

export function runFlags(): FlagSpecs {
  return {
    interval: { type: 'string', short: 'i', default: '2', metavar: 'SECONDS', help: 'Seconds between collections' },
    'series-grace': {
      type: 'string',
      default: String(DEFAULT_SERIES_GRACE),
      metavar: 'INTERVALS',
      help: 'Successful collections a series may go unreported (a dict key, info string or CPU that went away) before it is removed',
    },
    'cardinality-limit': {
      type: 'string',
      default: String(DEFAULT_CARDINALITY_LIMIT),
      metavar: 'N',
      help: 'Most series per metric; new label sets past it fold into one series labelled "__overflow__" (0: no limit)',
    },
    ...pluginFlags(),
    ...userFlags,
  };
}

/** The shortest --interval accepted, in seconds. */
export const MIN_INTERVAL_SECONDS = 0.01;

export async function runCommand(values: FlagValues, given: ReadonlySet<string> = new Set()): Promise<number> {
  const intervalSeconds = parsePositive('interval', stringFlag(values, 'interval') ?? '2');
  // Timers overflow past 2^31 ms; a day is already far beyond any useful interval.
  if (intervalSeconds > 86400) throw new UsageError(`--interval: "${stringFlag(values, 'interval')}" is more than 86400 seconds (a day)`);
  // Below this the source timeout (a fraction of the interval) is shorter than any real read, and ticks run back
  // to back: every source would fail every time.
  if (intervalSeconds < MIN_INTERVAL_SECONDS) throw new UsageError(`--interval: "${stringFlag(values, 'interval')}" is less than ${MIN_INTERVAL_SECONDS} seconds`);
  const seriesGrace = parsePositive('series-grace', stringFlag(values, 'series-grace') ?? String(DEFAULT_SERIES_GRACE), { integer: true });
  const cardinalityLimit = parsePositive('cardinality-limit', stringFlag(values, 'cardinality-limit') ?? String(DEFAULT_CARDINALITY_LIMIT), {
    integer: true,
    allowZero: true,
  });
  const drop = plannedDrop(values);
  const log = createLogger();
  // The first SIGINT/SIGTERM stops the agent (exit 0); once stopping, another one exits at once with the
  // shell's status for it (128 + signal number), so a hung start or close never holds the process. Installed
  // before any setup, so a signal that arrives while sources and sinks are being made is handled too.
  let stopping = false;
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const aborter = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(128 + osConstants.signals[signal]);
    stopping = true;
    aborter.abort();
    stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  for (const w of flagsWithoutEffect(given, values)) log.warn(w);
  // An error escaping a source, sink or user module (a throw in its timer, an unhandled rejection) is counted
  // and said once; it never ends the agent. Installed before the modules load; errors that escape before the
  // agent exists are handed to it once it does. The net stays for the process's life, like the signal listeners.
  let agent: Agent | undefined = undefined;
  const early: [unknown, string | undefined][] = [];
  containEscapes((err, who) => (agent === undefined ? early.push([err, who]) : agent.escaped(err, who)));
  const env: PluginEnv = { log, intervalSeconds, out: process.stdout, env: process.env };
  const sources = await createSources(values, env);
  const sinks = await createSinks(values, env);
  agent = new Agent({ sources, sinks, intervalSeconds, log, seriesGrace, cardinalityLimit });
  for (const [err, who] of early.splice(0)) agent.escaped(err, who);
  try {
    try {
      await agent.start(aborter.signal);
    } catch (err) {
      // Signalled while a sink's start hung: the agent closed the sinks that started; what the hung start
      // waits on may hold the event loop, so end here.
      if (aborter.signal.aborted) process.exit(0);
      log.error(errorMessage(err));
      await agent.stop().catch(() => undefined);
      return 1;
    }
    if (drop !== undefined && !stopping) {
      // Everything that needs root is open now: maps, the probe's programs, the listener's port.
      try {
        dropNow(drop, log);
      } catch (err) {
        log.error(errorMessage(err));
        await agent.stop().catch(() => undefined);
        return 1;
      }
    }
    if (!stopping) {
      agent.run();
      // Like any tool in a pipeline, the agent ends quietly when the reader of its only output goes away.
      await Promise.race([stopped, agent.outputsGone]);
      stopping = true;
    }
    await agent.stop();
    return 0;
  } finally {
    // The listeners stay: a process that lingers after this (a close left behind) exits on the next signal
    // with 128 + its number, like a second signal while stopping. Removing them instead raced with a signal
    // already on its way, which libuv then swallowed: the process lived on (1 run in ~10 of the signal test).
    // Signal listeners do not keep the event loop alive, so a run that ends cleanly still exits.
    stopping = true;
  }
}
