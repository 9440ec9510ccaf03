/**
 * One registry the golden tests of every push format share: labelled counters (one label value needing
 * sanitising, one empty), gauges positive, negative and NaN, a histogram, and a series that appears after
 * the first flush. `first()` sets the state before the first flush, `second()` the changes before the second,
 * `third()` churns labels so that new series take the ids of removed ones (see there).
 */
import { counter, defineStats, gauge, histogram, log2Buckets } from '../../src/declare/index.js';
import { Registry } from '../../src/registry/index.js';
import type { Snapshot } from '../../src/sinks/sink.js';

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
