/**
 * One registry the golden tests of every push format share: labelled counters (one label value needing
 * sanitising, one empty), gauges positive, negative and NaN, a histogram, and a series that appears after
 * the first flush. `first()` sets the state before the first flush, `second()` the changes before the second,
 * `third()` churns labels so that new series take the ids of removed ones (see there).
 */
import { counter, defineStats, gauge, histogram, log2Buckets } from '../../src/declare/index.js';
import { Registry } from '../../src/registry/index.js';
import type { Snapshot } from '../../src/plugin/sink.js';
import type { DatagramSender } from '../../src/sinks/push/datagram-sender.js';
import { healthStats } from '../../src/health.js';
import { type Logger, memoryLogger } from '../../src/support/log.js';
import { waitFor } from './cli.js';
import { udpReceiver } from './datagram-peers.js';

export const goldenStats = defineStats({
  name: 'golden',
  help: 'golden fixture',
  prefix: 'scx',
  stats: {
    dispatched: counter({ help: 'Tasks dispatched', labels: { path: String, node: String } }),
    queued: gauge({ help: 'Tasks queued' }),
    lag: gauge({ help: 'Lag', unit: 'seconds', labels: { layer: String } }),
    latency: histogram({ help: 'Latency', unit: 'seconds', buckets: [1, 10] }),
  },
});

export const slotStats = defineStats({
  name: 'slots',
  help: 'log2 fixture',
  prefix: 'scx',
  stats: { slice: histogram({ help: 'Slice used, log2 slots', buckets: log2Buckets(3) }) },
});

export function goldenRegistry(): { registry: Registry; first(): void; second(): void; third(): void; snapshot(timeMs?: number, final?: boolean): Snapshot } {
  const registry = new Registry();
  const f = registry.register(goldenStats);
  const local = f.dispatched.with({ path: 'local dsq', node: '0' });
  const odd = f.dispatched.with({ path: 'a:b|c,d#e@f/g.h', node: '' });
  return {
    registry,
    first() {
      local.absolute(10);
      odd.inc(2);
      f.queued.with().set(7);
      f.lag.with({ layer: 'batch' }).set(4);
      f.lag.with({ layer: 'x' }).set(Number.NaN);
      const h = f.latency.with();
      for (const v of [0.5, 5, 50]) h.observe(v);
    },
    second() {
      local.absolute(15);
      odd.inc(1);
      f.dispatched.with({ path: 'new', node: '1' }).inc(3);
      f.lag.with({ layer: 'batch' }).set(-2.5);
      const h = f.latency.with();
      h.observe(2);
      h.observe(2);
    },
    /**
     * Removes three series and creates three that take their ids (the free list is last-in first-out): a new
     * `latency` series (same empty label set, counting from zero) takes the old one's id, a counter
     * `{path="remote",node="2"}` takes the id of the gauge `lag{layer="batch"}`, and a gauge
     * `lag{layer="interactive"}` the id of the counter `{path="local dsq",node="0"}`. So a sink that keyed
     * anything by id alone would show old label text, the wrong kind's state, or a delta against the old value.
     */
    third() {
      const gone = [local.id, f.lag.with({ layer: 'batch' }).id, f.latency.with().id];
      f.dispatched.remove(['local dsq', '0']);
      f.lag.remove(['batch']);
      f.latency.remove([]);
      const h = f.latency.with();
      h.observe(0.5);
      const remote = f.dispatched.with({ path: 'remote', node: '2' });
      remote.inc(4);
      const interactive = f.lag.with({ layer: 'interactive' });
      interactive.set(1.5);
      odd.inc(1);
      const took = [interactive.id, remote.id, h.id];
      if (took.join() !== gone.join()) throw new Error(`fixture: new series took ids ${took.join()}, expected the removed ${gone.join()}`);
    },
    snapshot: (timeMs = 1_700_000_000_000, final = false) => ({ registry, timeMs, intervalSeconds: 2, final }),
  };
}

/** A datagram sink as the golden runs drive it: started, flushed, drained and closed. */
interface DatagramSink {
  start(ctx: { registry: Registry; log: Logger }): Promise<void>;
  flush(s: Snapshot): void;
  close(deadlineMs: number): Promise<void>;
  readonly datagrams: DatagramSender | undefined;
}

/**
 * Runs `steps` of the golden fixture through the datagram sink `make` builds for a real UDP receiver on
 * `port`, one flush per step; returns what the receiver got (latin1), the log, and the sink's dropped count.
 */
export async function runGoldenDatagrams(
  make: (port: number) => DatagramSink,
  sinkName: string,
  steps: readonly ((fx: ReturnType<typeof goldenRegistry>) => void)[],
): Promise<{ datagrams: string[]; log: string[]; dropped: number; fx: ReturnType<typeof goldenRegistry> }> {
  const rx = await udpReceiver();
  try {
    const fx = goldenRegistry();
    const log = memoryLogger();
    const sink = make(rx.port);
    await sink.start({ registry: fx.registry, log });
    for (const step of steps) {
      step(fx);
      sink.flush(fx.snapshot());
    }
    await sink.datagrams?.idle();
    const sent = sink.datagrams?.sentDatagrams ?? 0;
    await waitFor(() => rx.datagrams.length === sent, 10_000, `${sent} datagrams`);
    await sink.close(1000);
    const dropped = fx.registry.family(healthStats.stats.sink_dropped).with({ sink: sinkName }).value;
    return { datagrams: rx.datagrams.map((d) => d.toString('latin1')), log: log.lines, dropped, fx };
  } finally {
    await rx.close();
  }
}
