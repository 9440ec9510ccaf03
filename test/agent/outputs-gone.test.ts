import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from '../../src/agent.js';
import { memoryLogger } from '../../src/support/log.js';
import type { Sink, SinkContext } from '../../src/plugin/sink.js';

/** A sink whose output goes away when the test says so (the CLI tests do it with real pipes). */
class EndingSink implements Sink {
  private ctx: SinkContext | undefined;
  flushes = 0;
  constructor(readonly name: string) {}
  start(ctx: SinkContext): Promise<void> {
    this.ctx = ctx;
    return Promise.resolve();
  }
  flush(): void {
    this.flushes++;
  }
  end(): void {
    this.ctx?.ended?.(`${this.name}: its reader went away`);
  }
}

function settled(p: Promise<void>): () => boolean {
  let done = false;
  void p.then(() => (done = true));
  return () => done;
}

test('outputsGone: said once per sink while others remain, silent for the last, resolved only when every sink has ended', async () => {
  const log = memoryLogger();
  const a = new EndingSink('a');
  const b = new EndingSink('b');
  const agent = new Agent({ sources: [], sinks: [a, b], intervalSeconds: 1, log });
  const gone = settled(agent.outputsGone);
  await agent.start();
  a.end();
  a.end();
  await agent.tick();
  assert.equal(gone(), false, 'b still publishes');
  assert.deepEqual(log.lines, ['scx-metrics: warning: a: its reader went away']);
  b.end();
  await agent.outputsGone;
  assert.deepEqual(log.lines, ['scx-metrics: warning: a: its reader went away'], 'the last output going is not news');
  // The agent itself goes on until its owner stops it; flushes still reach the sinks (they count drops).
  await agent.tick();
  assert.equal(b.flushes, 3);
  await agent.stop();
});

test('outputsGone: an agent with no sinks never resolves it', async () => {
  const agent = new Agent({ sources: [], sinks: [], intervalSeconds: 1, log: memoryLogger() });
  const gone = settled(agent.outputsGone);
  await agent.start();
  await agent.tick();
  await agent.stop();
  await new Promise((r) => setImmediate(r));
  assert.equal(gone(), false);
});
