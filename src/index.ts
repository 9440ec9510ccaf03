/**
 * scx-metrics as a library: declare stats once, register them, update handles, publish through sinks.
 * The agent (`scx-metrics run`) is one user of these exports.
 */
export * from './declare/index.js';
export * from './registry/index.js';
export type { Source, SourceContext } from './sources/source.js';
export type { Sink, SinkContext, Snapshot } from './sinks/sink.js';
export { createLogger, memoryLogger, type Logger } from './log.js';
export { Agent, type AgentOptions } from './agent.js';
export { healthStats } from './health.js';
export { TerminalSink, type TerminalSinkOptions } from './sinks/terminal/sink.js';
export { BoundedQueue, Backoff } from './sinks/push/queue.js';
export { ProcFileSource } from './sources/host/source.js';
export { procStatStats, pressureStats, schedstatStats } from './sources/host/stats.js';
