/**
 * `scx-metrics run`: build sources and sinks from flags, run the agent until SIGINT/SIGTERM, or until every
 * sink's output is gone (`run | head`: the report was the only output and its reader exited).
 */
import { constants as osConstants } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { Agent } from '../agent.js';
import { createLogger, errorMessage } from '../log.js';
import { createSinks, createSources, flagsWithoutEffect, pluginFlags } from './catalog.js';
import { type FlagSpecs, type FlagValues, UsageError, parsePositive, stringFlag } from './flags.js';
import type { PluginEnv } from './plugins.js';
import { trackStarts } from './start-tracker.js';

export function runFlags(): FlagSpecs {
  return {
    interval: { type: 'string', short: 'i', default: '2', metavar: 'SECONDS', help: 'Seconds between collections' },
    ...pluginFlags(),
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
  const log = createLogger();
  for (const w of flagsWithoutEffect(given, values)) log.warn(w);
  const env: PluginEnv = { log, intervalSeconds, out: process.stdout, env: process.env };
  const sources = await createSources(values, env);
  const sinks = await createSinks(values, env);
  const tracker = trackStarts(sinks);
  const agent = new Agent({ sources, sinks: tracker.sinks, intervalSeconds, log });

  // The first SIGINT/SIGTERM stops the agent (exit 0); once stopping, another one exits at once with the
  // shell's status for it (128 + signal number), so a hung start or close never holds the process.
  let stopping = false;
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(128 + osConstants.signals[signal]);
    stopping = true;
    stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const starting = agent.start().then(
      () => undefined,
      (err: unknown) => err ?? new Error('start failed'),
    );
    let failure = await Promise.race([starting, stopped.then(() => 'signal' as const)]);
    if (failure === 'signal') {
      // Signalled while a sink's start hangs: close the sinks that started and end, leaving that start
      // behind (process.exit: what it waits on may hold the event loop). Once every sink has started the rest
      // of the start (attach, first collection) is time-bounded: let it finish and stop as usual.
      if (tracker.pending()) {
        const closing = Promise.allSettled(tracker.started.map(async (s) => s.close?.(0)));
        await Promise.race([closing, delay(500)]);
        process.exit(0);
      }
      failure = await starting;
    }
    if (failure !== undefined) {
      log.error(errorMessage(failure));
      await agent.stop().catch(() => undefined);
      return 1;
    }
    agent.run();
    // Like any tool in a pipeline, the agent ends quietly when the reader of its only output goes away.
    await Promise.race([stopped, agent.outputsGone]);
    stopping = true;
    await agent.stop();
    return 0;
  } finally {
    // A process that lingers after this (a handle left behind) must still die on the next signal.
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
