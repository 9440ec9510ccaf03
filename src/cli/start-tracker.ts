/**
 * Which sinks have finished starting, seen from outside the agent: a signal during `Agent.start()` may
 * arrive while one sink's start hangs (a DNS lookup that never answers), and the CLI then closes only the
 * sinks that did start.
 */
import type { Sink } from '../sinks/sink.js';

export interface StartTracker {
  /** The sinks to give the agent: each delegates to the original and records when its start finished. */
  readonly sinks: Sink[];
  /** Originals whose start finished (or that have none and were reached), in start order. */
  readonly started: Sink[];
  /** True while some sink has not finished starting. */
  pending(): boolean;
}

export function trackStarts(sinks: readonly Sink[]): StartTracker {
  const started: Sink[] = [];
  const wrapped = sinks.map((s): Sink => ({
    name: s.name,
    start: async (ctx) => {
      await s.start?.(ctx);
      started.push(s);
    },
    ...(s.flush !== undefined && { flush: s.flush.bind(s) }),
    ...(s.close !== undefined && { close: s.close.bind(s) }),
  }));
  return { sinks: wrapped, started, pending: () => started.length < sinks.length };
}
