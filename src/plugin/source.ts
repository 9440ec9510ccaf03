/**
 * The source interface. A source reads real numbers (host /proc, BPF maps, the scx_stats socket, sched_ext
 * sysfs) into series handles it resolved once from the registry. The agent calls `collect()` once per
 * interval; a source that throws is reported and called again next interval, and never stops the others.
 */
import type { StatSet } from '../declare/types.js';
import type { Logger } from '../support/log.js';
import type { SeriesLifetime } from '../registry/lifetime.js';
import type { Registry } from '../registry/registry.js';

export interface SourceContext {
  readonly registry: Registry;
  readonly log: Logger;
  /**
   * This source's series lifetime: a family passed to `lifetime.track()` loses, after the grace period, the
   * series the source stopped updating (a dict key or CPU that went away). A handle kept across intervals
   * must be resolved again once its `removed` is set. Absent in contexts built outside an agent (nothing
   * expires there).
   */
  readonly lifetime?: SeriesLifetime;
}

export interface Source {
  /** Short name for diagnostics and the `source` label of health metrics (`host`, `bpf`, `scx_stats`). */
  readonly name: string;
  /**
   * The declarations this source fills, for `describe` and registration. A source whose stats are only known
   * at run time (scx_stats metadata) returns what it knows so far.
   */
  stats(): readonly StatSet[];
  /** Registers its declarations and resolves handles. Called once, before the first `collect`. */
  attach(ctx: SourceContext): void | Promise<void>;
  /** Reads once and updates handles. Throws (or rejects) to report a failed interval. */
  collect(): void | Promise<void>;
  /**
   * False while what the source reads does not exist on this host at all (an optional /proc file this kernel
   * lacks; no sched_ext scheduler with a profile for the BPF source to follow), as opposed to failing to read it. The agent then exports no health series for the source, as if it
   * had not been created, and exports them again once this turns true. Checked after attach and each collect;
   * absent means always present.
   */
  present?(): boolean;
  /** Releases fds, sockets and timers. */
  close?(): void | Promise<void>;
}
