/**
 * User sinks: a backend scx-metrics does not ship, written as an ES module and loaded with
 * `scx-metrics run --sink ./my-sink.js` (repeatable). Adding one touches no stats code: the module sees every
 * declared stat through the registry in each snapshot.
 *
 * ## The contract
 *
 * The module's default export is either a {@link Sink} object or a {@link UserSinkFactory}: a function taking
 * {@link UserSinkOptions} and returning a Sink (or a promise of one). A Sink is
 *
 * ```ts
 * { name: string;                                  // short, for logs and the `sink` label of health metrics
 *   start?(ctx: SinkContext): Promise<void>;       // once, before the first flush; rejecting stops the agent
 *   flush?(snapshot: Snapshot): void;              // after every collection
 *   close?(deadlineMs: number): Promise<void> }    // at shutdown, after the final flush
 * ```
 *
 * What a sink may rely on and must do:
 * - `flush` is called after every collection with `snapshot.registry` (every family, whether or not it has
 *   series yet), `snapshot.timeMs`, `snapshot.intervalSeconds` and `snapshot.final` (true at shutdown).
 *   Read values synchronously inside `flush`: the next collection changes them. Return quickly and do not
 *   wait on the network in `flush`; queue and send on your own (see src/sinks/push/queue.ts).
 * - Reading: `registry.families()` gives each Family: `decl` (`name`, `kind` counter|gauge|histogram, `help`,
 *   `unit`, `labels`), `labelNames`, and `series`, each with `labelValues` (in `labelNames` order), a dense
 *   registry-wide `id` for per-series arrays, a `serial`, and its numbers: counters and gauges `value`
 *   (counters are monotonic totals); histograms `bounds`, per-bucket `counts` (the last is +Inf), `count`, `sum`.
 * - Ids are reused once a series is removed: state kept by `id` belongs to the series whose `serial` was
 *   recorded with it (`PerSeries` from the package does this; the rule is in registry/series.ts).
 * - Exposed names: a counter's family name has no `_total`; Prometheus and `describe` add it.
 * - An exception from `flush` or `close` (or a promise either returns that rejects) is caught, counted in
 *   `scx_metrics_sink_errors_total{sink=<name>}` and logged once; the agent and other sinks go on.
 * - Under `scx-metrics run`, an exception thrown later from a timer or event handler the sink (or its
 *   module) started, or a promise of its own that rejects unhandled, is counted in
 *   `scx_metrics_escaped_errors_total{owner="sink:<name>"}` (`module:<path>` for what the module's top level
 *   or factory started) and logged once; the agent goes on. Do not rely on it: handle your own errors.
 * - Configuration: read it from `options.env` (environment variables), documented by the module.
 */
import { runAs } from '../support/containment.js';
import type { Logger } from '../support/log.js';
import type { Registry } from '../registry/registry.js';
import { healthStats } from '../health.js';
import { errorMessage } from '../support/log.js';
import type { Sink, SinkContext, Snapshot } from '../plugin/sink.js';

/** What a user sink factory is called with. */
export interface UserSinkOptions {
  /** Where diagnostics go. */
  readonly log: Logger;
  /** The agent's collection interval in seconds. */
  readonly intervalSeconds: number;
  /** The agent's environment: the place for a user sink's own settings. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The module path as given on the command line. */
  readonly path: string;
}

/** A user sink module's default export when it is a function. */
export type UserSinkFactory = (options: UserSinkOptions) => Sink | Promise<Sink>;

/** The shape of a user sink module. */
export interface UserSinkModule {
  readonly default: Sink | UserSinkFactory;
}

/** A module that cannot be loaded or does not follow the contract; the message names the module and the rule. */
export class UserSinkError extends Error {
  override name = 'UserSinkError';
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : typeof v;
}

/** Checks a value against the Sink shape; returns what is wrong, or undefined. */
function sinkProblem(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null) return `expected a Sink object, got ${describeValue(v)}`;
  const s = v as Record<string, unknown>;
  if (typeof s.name !== 'string' || s.name === '') return 'the Sink has no name (a non-empty string)';
  for (const m of ['start', 'flush', 'close']) {
    if (s[m] !== undefined && typeof s[m] !== 'function') return `the Sink's ${m} is ${describeValue(s[m])}, expected a function`;
  }
  if (s.flush === undefined && s.start === undefined) return 'the Sink has neither flush() nor start(): it would receive nothing';
  return undefined;
}

/** Imports `specifier` (a URL for import()) and builds the sink it exports. */
export async function loadUserSink(specifier: string, options: UserSinkOptions): Promise<Sink> {
  const where = options.path;
  let mod: Partial<UserSinkModule>;
  try {
    // Timers and handlers the module's top level or factory starts are charged to it if they throw later.
    mod = (await runAs(`module:${where}`, () => import(specifier))) as Partial<UserSinkModule>;
  } catch (err) {
    throw new UserSinkError(`${where}: cannot load the module: ${errorMessage(err)}`);
  }
  const exported = mod.default;
  if (exported === undefined) {
    throw new UserSinkError(`${where}: no default export (expected a Sink object or a factory (options) => Sink)`);
  }
  let sink: unknown = exported;
  if (typeof exported === 'function') {
    try {
      sink = await runAs(`module:${where}`, () => exported(options));
    } catch (err) {
      throw new UserSinkError(`${where}: the factory threw: ${errorMessage(err)}`);
    }
  }
  const problem = sinkProblem(sink);
  if (problem !== undefined) throw new UserSinkError(`${where}: ${problem} (the default export must be a Sink object or a factory (options) => Sink)`);
  return new GuardedSink(sink as Sink);
}

/**
 * Wraps a user sink so a promise its `flush` returns cannot reject unhandled (which would end the process):
 * the rejection is counted and logged like a thrown error.
 */
export class GuardedSink implements Sink {
  readonly name: string;
  readonly inner: Sink;
  private registry: Registry | undefined;
  private log: Logger | undefined;

  constructor(inner: Sink) {
    this.inner = inner;
    this.name = inner.name;
  }

  async start(ctx: SinkContext): Promise<void> {
    this.registry = ctx.registry;
    this.log = ctx.log;
    try {
      await this.inner.start?.(ctx);
    } catch (err) {
      throw new Error(`sink ${this.name}: cannot start: ${errorMessage(err)}`);
    }
  }

  flush(snapshot: Snapshot): void {
    const r: unknown = this.inner.flush?.(snapshot);
    if (typeof r === 'object' && r !== null && typeof (r as PromiseLike<unknown>).then === 'function') {
      (r as PromiseLike<unknown>).then(undefined, (err: unknown) => this.failed(err));
    }
  }

  private failed(err: unknown): void {
    if (this.registry !== undefined) this.registry.family(healthStats.stats.sink_errors).with({ sink: this.name }).inc();
    this.log?.once(`flush:${this.name}`, `sink ${this.name}: ${errorMessage(err)}`);
  }

  /** A close that throws or rejects is counted and said once by the agent, which goes on closing the rest. */
  async close(deadlineMs: number): Promise<void> {
    await this.inner.close?.(deadlineMs);
  }
}
