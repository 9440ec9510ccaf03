/**
 * Run as a child process by the jsonl tests: a JsonlSink on `-`, so it writes to this process's real
 * standard output (whatever pipe the test gave it). Flushes up to COUNT records, one per turn of the event
 * loop, stopping early once the sink has said standard output is gone; then closes the sink and prints what
 * happened as one JSON line on stderr. Usage: node jsonl-stdout-child.js COUNT MAX_BUFFERED_BYTES
 */
import { healthStats } from '../../src/health.js';
import { memoryLogger } from '../../src/support/log.js';
import { JsonlSink } from '../../src/sinks/jsonl/sink.js';
import { goldenRegistry } from './push-fixture.js';

/** What the child prints on stderr. */
export interface JsonlChildReport {
  readonly flushes: number;
  /** Flushes after the sink said standard output was gone. */
  readonly flushesAfterGone: number;
  readonly dropped: number;
  readonly log: string[];
}

const [count, maxBufferedBytes] = process.argv.slice(2).map(Number) as [number, number];
const fx = goldenRegistry();
fx.first();
const log = memoryLogger();
const sink = new JsonlSink({ path: '-', maxBufferedBytes, queueSize: 1_000_000 });
await sink.start({ registry: fx.registry, log });
const dropped = fx.registry.family(healthStats.stats.sink_dropped).with({ sink: 'jsonl' });
const gone = (): boolean => log.lines.some((l) => l.includes('no more records are written'));
let flushes = 0;
let flushesAfterGone = 0;
while (flushes < count && flushesAfterGone < 5) {
  if (gone()) flushesAfterGone++;
  sink.flush(fx.snapshot());
  flushes++;
  await new Promise((r) => setImmediate(r));
}
await sink.close(200);
const report: JsonlChildReport = { flushes, flushesAfterGone, dropped: dropped.value, log: log.lines };
process.stderr.write(`${JSON.stringify(report)}\n`);
