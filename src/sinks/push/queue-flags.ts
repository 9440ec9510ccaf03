/**
 * Queue-size flags every push sink shares: `--<sink>-queue-size N` for one sink, `--push-queue-size N` for
 * all of them at once (a sink's own flag wins). What one item is depends on the sink: a datagram for StatsD
 * and spectatord, an interval's line for JSON lines.
 */
import { type FlagSpecs, type FlagValues, parsePositive, positive, stringFlag } from '../../plugin/flags.js';

export const pushQueueFlag: FlagSpecs = {
  'push-queue-size': {
    type: 'string',
    metavar: 'N',
    check: positive({ integer: true }),
    help: "Items each push sink holds while its peer is slow or down, beyond which the oldest are dropped and counted (a sink's own --<sink>-queue-size wins)",
  },
};

/** `--<sink>-queue-size` with its help, plus the shared flag. */
export function queueSizeFlags(sink: string, item: string, defaultSize: number): FlagSpecs {
  return {
    [`${sink}-queue-size`]: {
      type: 'string',
      metavar: 'N',
      check: positive({ integer: true }),
      help: `${item}s the ${sink} sink holds while its peer is slow or down (default --push-queue-size, else ${defaultSize})`,
    },
    ...pushQueueFlag,
  };
}

/** The queue size for `sink`: its own flag, else the shared one, else the default. Throws UsageError. */
export function queueSize(values: FlagValues, sink: string, defaultSize: number): number {
  const own = stringFlag(values, `${sink}-queue-size`);
  if (own !== undefined) return parsePositive(`${sink}-queue-size`, own, { integer: true });
  const shared = stringFlag(values, 'push-queue-size');
  if (shared !== undefined) return parsePositive('push-queue-size', shared, { integer: true });
  return defaultSize;
}
