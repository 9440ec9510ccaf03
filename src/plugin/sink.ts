/**
 * The sink interface. Pull sinks (Prometheus, a web view) start a listener and render the registry when
 * asked. Push sinks get `flush(snapshot)` after each collection and must return at once: they encode what
 * their protocol wants and hand it to their own bounded queue, so a dead peer never stalls collection or
 * another sink.
 */
import type { Logger } from '../support/log.js';
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
  /**
   * Tells the agent that this sink's output is gone for good (the reader of its pipe went away) and says
   * why in one line. While other sinks remain the agent logs `why` once; when none remains it says nothing
   * and ends (`Agent.outputsGone`), as a pipeline tool does when its reader exits. Absent in contexts built
   * outside an agent: see `outputGone`.
   */
  readonly ended?: (why: string) => void;
}

/** Reports a sink's output as gone for good: to the agent when there is one, else as a warning. */
export function outputGone(ctx: SinkContext, why: string): void {
  if (ctx.ended !== undefined) ctx.ended(why);
  else ctx.log.warn(why);
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
