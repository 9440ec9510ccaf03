/**
 * scx-metrics as a library: declare stats once, register them, update handles, publish through sinks.
 * The agent (`scx-metrics run`) is one user of these exports.
 */
export * from './declare/index.js';
export * from './registry/index.js';
export type { Source, SourceContext } from './plugin/source.js';
export type { Sink, SinkContext, Snapshot } from './plugin/sink.js';
export { createLogger, memoryLogger, type Logger } from './support/log.js';
export { Agent, type AgentOptions } from './agent.js';
export { healthStats } from './health.js';
export { TerminalSink, type TerminalSinkOptions } from './sinks/terminal/sink.js';
export { BoundedQueue, Backoff } from './sinks/push/queue.js';
export { ProcFileSource } from './sources/host/source.js';
export { procStatStats, pressureStats, schedstatStats } from './sources/host/stats.js';
export type { UserSinkFactory, UserSinkModule, UserSinkOptions } from './sinks/user.js';
export { StatsdSink, type StatsdSinkOptions } from './sinks/statsd/sink.js';
export type { StatsdTags } from './sinks/statsd/format.js';
export { SpectatordSink, type SpectatordSinkOptions, type SpectatordLocation } from './sinks/spectatord/sink.js';
export type { SpectatordHistograms } from './sinks/spectatord/format.js';
export { JsonlSink, type JsonlSinkOptions } from './sinks/jsonl/sink.js';
export type { DatagramTarget } from './sinks/push/datagram-transport.js';
export { cHeader, type CHeaderOptions } from './codegen/c-header.js';
export { ProbeSource } from './sources/probe/source.js';
export * from './sources/scx-stats/index.js';
export * from './sources/sched-ext/index.js';
export * from './sinks/prometheus/index.js';
export { OtlpSink, type OtlpSinkOptions } from './sinks/otlp/sink.js';
export { RemoteWriteSink, type RemoteWriteSinkOptions } from './sinks/remote-write/sink.js';
export { BpfSource, type BpfSourceOptions, type MapLocation } from './sources/bpf/source.js';
export { profiles, findProfile } from '../profiles/index.js';
