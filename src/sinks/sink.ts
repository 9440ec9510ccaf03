/**
 * The sink interface. Pull sinks (Prometheus, a web view) start a listener and render the registry when
 * asked. Push sinks get `flush(snapshot)` after each collection and must return at once: they encode what
 * their protocol wants and hand it to their own bounded queue, so a dead peer never stalls collection or
 * another sink.
 */
import type { Logger } from '../log.js';
import type { Registry } from '../registry/registry.js';

/** What a sink sees after a collection. Series values are read synchronously during `flush`. */
export interface Snapshot {
  readonly registry: Registry;
  /** Wall-clock time of the collection, Unix milliseconds. */
  readonly timeMs: number;
  /** Seconds since the previous snapshot (the configured interval on the first). */
  readonly intervalSeconds: number;
  /** True for the last snapshot, taken at shutdown. */
  readonly final: boolean;
}

export interface SinkContext {
  readonly registry: Registry;
  readonly log: Logger;
}

export interface Sink {
  /** Short name for diagnostics and the `sink` label of health metrics (`prometheus`, `statsd`). */
  readonly name: string;
  /** Opens listeners or connections. Rejects when it cannot (port in use), which stops the agent at start. */
  start?(ctx: SinkContext): Promise<void>;
  /** Called after every collection. Must not block. */
  flush?(snapshot: Snapshot): void;
  /** Sends what is queued within `deadlineMs`, then releases everything. */
  close?(deadlineMs: number): Promise<void>;
}
