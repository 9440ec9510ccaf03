import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from '../../src/agent.js';
import { counter, defineStats } from '../../src/declare/index.js';
import { memoryLogger } from '../../src/support/log.js';
import { healthStats } from '../../src/health.js';
import type { Sink, Snapshot } from '../../src/plugin/sink.js';
import type { Source, SourceContext } from '../../src/plugin/source.js';
import type { CounterSeries } from '../../src/registry/index.js';
import type { StatSet } from '../../src/declare/index.js';
import { waitFor } from '../helpers/cli.js';

const ticks = defineStats({ name: 'ticks', help: 'test', stats: { ticks: counter({ help: 'ticks' }) } });
const other = defineStats({ name: 'other', help: 'test', stats: { other_ticks: counter({ help: 'ticks' }) } });

/** A source that counts its reads, optionally hanging forever (a stuck scheduler socket, in effect). */
class TickSource implements Source {
  handle: CounterSeries | undefined;
  hang = false;
  reads = 0;
  constructor(
    readonly name: string,
    private readonly set: StatSet,
  ) {}
  stats() {
    return [this.set];
  }
  attach(ctx: SourceContext): void {
    const fams = ctx.registry.register(this.set);
    this.handle = Object.values(fams)[0]?.withValues([]) as CounterSeries;
  }
  async collect(): Promise<void> {
    this.reads++;
    if (this.hang) await new Promise(() => undefined);
    this.handle?.inc();
  }
}

class RecordingSink implements Sink {
  readonly name = 'rec';
  snapshots: Snapshot[] = [];
  closedWith: number | undefined;
  flush(s: Snapshot): void {
    this.snapshots.push(s);
  }
  async close(deadline: number): Promise<void> {
    this.closedWith = deadline;
  }
}

test('a hung source times out without stopping the others, and is skipped until its read settles', async () => {
  const hung = new TickSource('hung', ticks);
  const ok = new TickSource('ok', other);
  const log = memoryLogger();
  const sink = new RecordingSink();
  const agent = new Agent({ intervalSeconds: 1, sourceTimeoutMs: 50, log, sources: [hung, ok], sinks: [sink] });
  await agent.start();
  hung.hang = true;
  await agent.tick();
  await agent.tick();
  assert.equal(ok.handle?.value, 3);
  assert.equal(hung.handle?.value, 1);
  assert.equal(hung.reads, 2, 'the hung read is not started again while it is pending');
  const up = agent.registry.get('scx_metrics_source_up')?.series.find((s) => s.labelValues[0] === 'hung');
  assert.equal((up as { value: number } | undefined)?.value, 0);
  assert.equal(log.lines.filter((l) => l.includes('source hung: read took longer than 50 ms')).length, 1);
  assert.equal(sink.snapshots.length, 3);
  await agent.stop();
  assert.equal(sink.snapshots.at(-1)?.final, true);
  assert.equal(sink.closedWith, 2000);
});

test('a source that cannot attach is retried every interval', async () => {
  let fail = true;
  const src: Source = {
    name: 'flaky',
    stats: () => [ticks],
    attach(ctx) {
      if (fail) throw new Error('no such socket');
      ctx.registry.register(ticks).ticks.with().inc(5);
    },
    collect() {},
  };
  const log = memoryLogger();
  const agent = new Agent({ intervalSeconds: 1, log, sources: [src], sinks: [] });
  await agent.start();
  assert.match(log.lines.join('\n'), /source flaky: cannot attach \(will retry\): no such socket/);
  fail = false;
  await agent.tick();
  assert.equal((agent.registry.get('ticks')?.series[0] as CounterSeries | undefined)?.value, 5);
  await agent.stop();
});

test('run() ticks on the interval and stop() ends the loop', async () => {
  const src = new TickSource('ok', ticks);
  const agent = new Agent({ intervalSeconds: 0.05, log: memoryLogger(), sources: [src], sinks: [] });
  await agent.start();
  agent.run();
  await waitFor(() => (src.handle?.value ?? 0) >= 4, 10_000, 'several ticks');
  await agent.stop();
  const n = src.handle?.value ?? 0;
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(src.handle?.value, n, 'no tick after stop');
});

test('a hanging attach is bounded like a read, counted, and the source is read once it settles', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let attaches = 0;
  const src: Source = {
    name: 'slow-attach',
    stats: () => [ticks],
    async attach(ctx) {
      attaches++;
      if (attaches === 1) await gate;
      ctx.registry.register(ticks).ticks.with().inc(7);
    },
    collect() {},
  };
  const ok = new TickSource('ok', other);
  const log = memoryLogger();
  const agent = new Agent({ intervalSeconds: 1, sourceTimeoutMs: 50, log, sources: [src, ok], sinks: [] });
  await agent.start();
  await agent.tick();
  assert.equal(ok.handle?.value, 2, 'the other source was read every time');
  assert.equal(attaches, 1, 'no second attach while the first is pending');
  assert.match(log.lines.join('\n'), /source slow-attach: cannot attach \(will retry\): attach took longer than 50 ms/);
  const errors = agent.registry.get('scx_metrics_source_errors')?.series.find((x) => x.labelValues[0] === 'slow-attach');
  // One failed interval each: start()'s attach, start()'s collection and the tick, all while it hung.
  assert.equal((errors as CounterSeries | undefined)?.value, 3);
  release();
  await new Promise((r) => setImmediate(r));
  await agent.tick();
  assert.equal(attaches, 1, 'the late attach counts: no second one');
  assert.equal((agent.registry.get('ticks')?.series[0] as CounterSeries | undefined)?.value, 7);
  await agent.stop();
});

test('shutdown ends even when a sink never finishes closing', async () => {
  const stuck: Sink = { name: 'stuck', close: () => new Promise(() => undefined) };
  const log = memoryLogger();
  const agent = new Agent({ intervalSeconds: 1, log, sources: [], sinks: [stuck], shutdownDeadlineMs: 50 });
  await agent.start();
  await agent.stop();
  assert.match(log.lines.join('\n'), /sink stuck: close did not finish within 550 ms; left behind/);
});

test('the first snapshot carries the configured interval', async () => {
  const sink = new RecordingSink();
  const agent = new Agent({ intervalSeconds: 7, log: memoryLogger(), sources: [], sinks: [sink] });
  await agent.start();
  assert.equal(sink.snapshots[0]?.intervalSeconds, 7);
  await agent.stop();
  assert.ok((sink.snapshots[1]?.intervalSeconds ?? 7) < 7);
});

test("a source whose present() throws is counted as failing and read anyway; collect() does not reject", async () => {
  const src = new TickSource('flaky', ticks);
  let calls = 0;
  Object.assign(src, {
    present: () => {
      if (calls++ > 0) throw new Error('cannot tell');
      return true;
    },
  });
  const log = memoryLogger();
  const agent = new Agent({ sources: [src], sinks: [], intervalSeconds: 1, log });
  await agent.start();
  await agent.collect();
  await agent.collect();
  const errors = agent.registry.family(healthStats.stats.source_errors).series.find((s) => s.labelValues[0] === 'flaky');
  assert.ok(errors !== undefined && errors.value >= 2, `errors counted: ${errors?.value}`);
  assert.equal(src.reads, 3, 'read every time');
  assert.equal(log.lines.filter((l) => /present\(\) failed: cannot tell/.test(l)).length, 1, log.lines.join('\n'));
  await agent.stop();
});

test('a source whose input appears in an interval whose read fails: the failure is counted on its new health series', async () => {
  // A scheduler named by sched_ext whose maps are not there yet: the read that finds the input fails on it.
  let input = false;
  const src: Source = {
    name: 'late',
    stats: () => [ticks],
    attach: () => undefined,
    present: () => input,
    collect: () => {
      input = true;
      throw new Error('its maps are not loaded');
    },
  };
  const agent = new Agent({ sources: [src], sinks: [], intervalSeconds: 1, log: memoryLogger() });
  await agent.start();
  const health = (fam: 'source_up' | 'source_errors'): number | undefined =>
    agent.registry.family(healthStats.stats[fam]).series.find((s) => s.labelValues[0] === 'late')?.value;
  assert.equal(health('source_errors'), 1, 'the first read, which found the input, failed once');
  assert.equal(health('source_up'), 0);
  await agent.collect();
  assert.equal(health('source_errors'), 2);
  await agent.stop();
});
