/**
 * scx-metrics as a library: declare stats once, register them, update handles, publish through sinks.
 * The agent (`scx-metrics run`) is one user of these exports.
 */
export * from './declare/index.js';
export * from './registry/index.js';
export type { Source, SourceContext } from './sources/source.js';
export type { Sink, SinkContext, Snapshot } from './sinks/sink.js';
export { createLogger, memoryLogger, type Logger } from './log.js';
export * from './sinks/prometheus/index.js';
