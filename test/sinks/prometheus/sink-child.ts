/**
 * A Prometheus sink on the fixture registry in its own process, for tests that load the listener from the
 * test process (the connection flood) without sharing one event loop. argv[2]: PrometheusSinkOptions as
 * JSON. Prints `{"port":N}` once listening, then one JSON line per log line; exits on SIGTERM.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { memoryLogger } from '../../../src/support/log.js';
import { PrometheusSink, type PrometheusSinkOptions } from '../../../src/sinks/prometheus/server.js';
import { fixtureRegistry } from './fixture.js';

const opts = JSON.parse(process.argv[2] ?? '{}') as PrometheusSinkOptions;
const sink = new PrometheusSink({ host: '127.0.0.1', port: 0, ...opts });
const log = memoryLogger();
await sink.start({ registry: fixtureRegistry().registry, log });
process.stdout.write(`${JSON.stringify({ port: sink.address().port })}\n`);
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
let said = 0;
const timer = setInterval(() => {
  while (said < log.lines.length) process.stdout.write(`${JSON.stringify({ log: log.lines[said++] })}\n`);
}, 200);
process.once('SIGTERM', () => {
  clearInterval(timer);
  process.stdout.write(`${JSON.stringify({ log: `event loop delay ms: max ${(delay.max / 1e6).toFixed(0)} p99 ${(delay.percentile(99) / 1e6).toFixed(0)}` })}\n`);
  void sink.close(500).then(() => process.exit(0));
});
