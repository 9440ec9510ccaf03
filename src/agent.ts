/**
 * The agent loop: every interval, collect all sources concurrently (each bounded by a timeout), record the
 * agent's health, then flush every sink. A failing source is reported once and retried; a slow one is
 * skipped until its read finishes, so one hung scheduler never delays the others. The loop runs on the
 * monotonic clock, so a wall-clock step (NTP, `date -s`) neither stalls it nor makes it burst.
 */
import { runAs } from './support/containment.js';
import { healthStats } from './health.js';
import { errorMessage, type Logger, createLogger } from './support/log.js';
import { Registry, SeriesLifetime, type CounterSeries, type Families, type Family, type GaugeSeries } from './registry/index.js';
import type { Sink, Snapshot } from './plugin/sink.js';
import type { Source } from './plugin/source.js';

export interface AgentOptions {
  readonly sources: readonly Source[];
  readonly sinks: readonly Sink[];
  /** Seconds between collections. */
  readonly intervalSeconds: number;
  readonly registry?: Registry;
  readonly log?: Logger;
  /** How long one source's attach or read may take before it counts as failed. Default: the interval, at most 5 s. */
  readonly sourceTimeoutMs?: number;
  /** How long push sinks get to send what they hold at shutdown. Default 2000 ms. */
  readonly shutdownDeadlineMs?: number;
  /** Successful collections a series may go unreported by its source before it is removed. Default 3. */
  readonly seriesGrace?: number;
  /**
   * Most series per metric before new label sets fold into its overflow series (0: no limit). Default: the
   * registry's own (2000 for a registry the agent makes).
   */
  readonly cardinalityLimit?: number;
}

interface SourceState {
  readonly source: Source;
  attached: boolean;
  /** The attach or read still running after its timeout, if any; the source is skipped until it settles. */
  pending: Promise<void> | undefined;
  /** False while the source says its input does not exist here (`Source.present`): its series are removed. */
  present: boolean;
  /** The families whose unreported series this source's successful collections expire. */
  readonly lifetime: SeriesLifetime;
  up: GaugeSeries;
  errors: CounterSeries;
  duration: GaugeSeries;
}

export class Agent {
  readonly registry: Registry;
  readonly log: Logger;
  private readonly opts: AgentOptions;
  private readonly health: Families<typeof healthStats.stats>;
  private readonly collections: CounterSeries;
  private readonly collectionDuration: GaugeSeries;
  private readonly states: SourceState[];
  private folding = false;
  /** Monotonic time (performance.now) of the previous flush; undefined before the first. */
  private lastFlush: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** Set when a sink could not start: nothing was read or sent, so stop() has nothing to flush. */
  private startFailed = false;
  private stopping: Promise<void> | undefined;
  private ticking: Promise<void> | undefined;
  /** Sinks that said their output is gone for good. */
  private readonly endedSinks = new Set<Sink>();
  private allEnded!: () => void;
  /**
   * Resolves once every sink has said its output is gone for good (`SinkContext.ended`: the report's reader
   * went away); never when there are no sinks. The agent keeps running: the caller decides (the CLI stops).
   */
  readonly outputsGone = new Promise<void>((resolve) => (this.allEnded = resolve));

  constructor(opts: AgentOptions) {
    this.opts = opts;
    this.registry = opts.registry ?? new Registry();
    this.log = opts.log ?? createLogger();
    this.health = this.registry.register(healthStats);
    this.collections = this.health.collections.with();
    this.collectionDuration = this.health.collection_duration.with();
    if (opts.cardinalityLimit !== undefined) this.registry.cardinalityLimit = opts.cardinalityLimit;
    this.registry.onFold = (family) => this.folded(family);
    // Health handles are resolved once; each source's series are exported (as 0) from the start.
    this.states = opts.sources.map((source) => ({
      source,
      attached: false,
      pending: undefined,
      present: true,
      lifetime: new SeriesLifetime(opts.seriesGrace),
      ...this.sourceHealth(source),
    }));
  }

  /** A label set went to `family`'s overflow series: counted, and said once per metric. */
  private folded(family: Family): void {
    const name = family.decl.name;
    // With a tiny limit the counter's own family folds too: count that once, without recursing.
    if (this.folding) return;
    this.folding = true;
    try {
      this.health.series_folded.with({ metric: name }).inc();
    } finally {
      this.folding = false;
    }
    this.log.once(
      `folded:${name}`,
      `metric ${name} reached the cardinality limit of ${this.registry.cardinalityLimit} series; new label sets are folded into its overflow series (labels "__overflow__"), counted in scx_metrics_series_folded_total (raise it with --cardinality-limit)`,
    );
  }

  /** A source's health series (created, or found again after they were removed while it was absent). */
  private sourceHealth(source: Source): Pick<SourceState, 'up' | 'errors' | 'duration'> {
    const labels = { source: source.name };
    return { up: this.health.source_up.with(labels), errors: this.health.source_errors.with(labels), duration: this.health.source_duration.with(labels) };
  }

  private get timeoutMs(): number {
    return this.opts.sourceTimeoutMs ?? Math.min(5000, this.opts.intervalSeconds * 1000);
  }

  /**
   * Starts sinks, attaches sources, and takes the first collection. A sink that cannot start (a port in use,
   * a file that cannot be opened) rejects before any source is read, with the sinks already started closed:
   * the caller has one error to report and nothing else is said or sent.
   *
   * `signal` aborts the sinks' starts, which have no time limit of their own (a DNS lookup that never
   * answers): start() then rejects with the signal's reason, the sinks already started closed, and whatever a
   * hung start waits on is left behind. Once every sink has started, the rest (attach, the first collection) is
   * bounded by the source timeout and runs to its end.
   */
  async start(signal?: AbortSignal): Promise<void> {
    const started: Sink[] = [];
    try {
      for (const sink of this.opts.sinks) {
        signal?.throwIfAborted();
        await unlessAborted(runAs(`sink:${sink.name}`, () => sink.start?.({ registry: this.registry, log: this.log, ended: (why) => this.sinkEnded(sink, why) })), signal);
        started.push(sink);
      }
    } catch (err) {
      this.startFailed = true;
      await Promise.all(started.map((s) => bounded(Promise.resolve().then(() => s.close?.(0)), 500)));
      throw err;
    }
    await Promise.all(this.states.map((st) => this.attach(st)));
    await this.collect();
    // The first flush gives push sinks and the report their baseline: counters read from cumulative sources
    // start far from zero, and the first interval's deltas are taken against this.
    this.flush(false);
  }

  /** Starts the periodic loop after `start()`. */
  run(): void {
    this.running = true;
    const period = this.opts.intervalSeconds * 1000;
    const begin = performance.now();
    let n = 0;
    const schedule = (): void => {
      // Aim at begin + n*period so the interval does not drift by the time each tick takes; after a stall
      // longer than a period, skip the missed ticks rather than run them back to back.
      n = Math.max(n + 1, Math.floor((performance.now() - begin) / period) + 1);
      const delay = Math.max(0, begin + n * period - performance.now());
      this.timer = setTimeout(() => {
        this.ticking = this.tick().finally(() => {
          this.ticking = undefined;
          if (this.running) schedule();
        });
      }, delay);
    };
    schedule();
  }

  /** One interval: collect, then flush every sink. */
  async tick(final = false): Promise<void> {
    await this.collect();
    this.flush(final);
  }

  /**
   * Stops the loop, takes a last collection and flush, closes sinks then sources. A sink whose close
   * overruns the deadline is left behind with a warning, so shutdown always ends. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.running = false;
      if (this.startFailed) return;
      if (this.timer !== undefined) clearTimeout(this.timer);
      if (this.ticking !== undefined) await this.ticking;
      await this.tick(true);
      const deadline = this.opts.shutdownDeadlineMs ?? 2000;
      await Promise.all(
        this.opts.sinks.map(async (s) => {
          try {
            const r = await bounded(Promise.resolve().then(() => runAs(`sink:${s.name}`, () => s.close?.(deadline))), deadline + 500);
            if (r === 'timeout') this.log.warn(`sink ${s.name}: close did not finish within ${deadline + 500} ms; left behind`);
          } catch (err) {
            // A close that throws must not keep the other sinks and the sources from closing.
            this.health.sink_errors.with({ sink: s.name }).inc();
            this.log.once(`close:${s.name}`, `sink ${s.name}: close failed: ${errorMessage(err)}`);
          }
        }),
      );
      await Promise.all(
        this.states.map(async (st) => {
          try {
            await bounded(Promise.resolve().then(() => runAs(`source:${st.source.name}`, () => st.source.close?.())), deadline);
          } catch (err) {
            st.errors.inc();
            this.log.once(`close:${st.source.name}`, `source ${st.source.name}: close failed: ${errorMessage(err)}`);
          }
        }),
      );
    })();
    return this.stopping;
  }

  /**
   * Counts and says (once per owner) an error that escaped every call the agent made: thrown from a timer or
   * event handler a source, sink or user module started, or a rejection nobody handled. `who` is the owner
   * `runAs` recorded (`sink:NAME`, ...), undefined when none did. The CLI routes the process's
   * `uncaughtException` and `unhandledRejection` here (containEscapes), so such a bug never stops the agent.
   */
  escaped(err: unknown, who: string | undefined): void {
    const owner = who ?? 'unknown';
    this.health.escaped_errors.with({ owner }).inc();
    const what = owner === 'unknown' ? 'code outside any source or sink' : owner.replace(':', ' ');
    const msg = errorMessage(err).split('\n')[0] ?? '';
    this.log.once(
      `escaped:${owner}`,
      `${what}: uncaught ${err instanceof Error ? err.name : 'error'} from a timer, event handler or unhandled promise: ${msg} (the agent goes on; each one is counted in scx_metrics_escaped_errors_total)`,
    );
  }

  /** A sink's output is gone: said once while others go on; the last one going is no news (`cmd | head`). */
  private sinkEnded(sink: Sink, why: string): void {
    if (this.endedSinks.has(sink)) return;
    this.endedSinks.add(sink);
    if (this.endedSinks.size < this.opts.sinks.length) this.log.warn(why);
    else this.allEnded();
  }

  /**
   * Runs `work` for a source under the source timeout. A failure or timeout is counted, said once, and
   * resolves false; a timed-out call stays pending and the source is skipped until it settles.
   */
  private async guarded(st: SourceState, what: 'attach' | 'collect', work: () => void | Promise<void>): Promise<boolean> {
    const name = st.source.name;
    if (st.pending !== undefined) {
      st.errors.inc();
      return false;
    }
    const call = Promise.resolve().then(() => runAs(`source:${name}`, work));
    try {
      if ((await bounded(call, this.timeoutMs)) === 'timeout') {
        st.pending = call.then(
          // An attach that finishes late still attached the source: do not attach it twice.
          () => {
            if (what === 'attach') st.attached = true;
          },
          () => undefined,
        );
        void st.pending.then(() => (st.pending = undefined));
        throw new Error(`${what === 'attach' ? 'attach' : 'read'} took longer than ${this.timeoutMs} ms`);
      }
      return true;
    } catch (err) {
      st.errors.inc();
      const msg =
        what === 'attach'
          ? `source ${name}: cannot attach (will retry): ${errorMessage(err)}`
          : `source ${name}: ${errorMessage(err)} (will retry every interval)`;
      this.log.once(`${what}:${name}`, msg);
      return false;
    }
  }

  private async attach(st: SourceState): Promise<void> {
    if (await this.guarded(st, 'attach', () => st.source.attach({ registry: this.registry, log: this.log, lifetime: st.lifetime }))) {
      st.attached = true;
      this.log.clear(`attach:${st.source.name}`, `source ${st.source.name}: attached`);
      this.syncPresence(st);
    }
  }

  /**
   * Removes a source's health series while its input is absent, and brings them back when it appears.
   * Returns true when they were just brought back.
   */
  private syncPresence(st: SourceState): boolean {
    let present = true;
    try {
      present = runAs(`source:${st.source.name}`, () => st.source.present?.()) ?? true;
    } catch (err) {
      // A user source's present() that throws must not reject collect(): count it as present and failing.
      st.errors.inc();
      this.log.once(`present:${st.source.name}`, `source ${st.source.name}: present() failed: ${errorMessage(err)}`);
    }
    if (present === st.present) return false;
    st.present = present;
    if (present) Object.assign(st, this.sourceHealth(st.source));
    else for (const fam of [this.health.source_up, this.health.source_errors, this.health.source_duration]) fam.remove([st.source.name]);
    return present;
  }

  /** Collects every source once, concurrently, each bounded by the source timeout. */
  async collect(): Promise<void> {
    const t0 = performance.now();
    await Promise.all(this.states.map((st) => this.collectOne(st)));
    this.collectionDuration.set((performance.now() - t0) / 1000);
    this.collections.inc();
  }

  private async collectOne(st: SourceState): Promise<void> {
    if (!st.attached) await this.attach(st);
    if (!st.attached) {
      st.up.set(0);
      return;
    }
    const t0 = performance.now();
    const ok = await this.guarded(st, 'collect', () => st.source.collect());
    // A read that found the input and failed on it (a scheduler named, its maps missing) was counted on the
    // error series removed while the input was absent: count it on the new one.
    if (this.syncPresence(st) && !ok) st.errors.inc();
    st.up.set(ok ? 1 : 0);
    if (ok) {
      this.log.clear(`collect:${st.source.name}`, `source ${st.source.name}: reading again`);
      const expired = st.lifetime.sweep();
      if (expired > 0) this.health.series_expired.with({ source: st.source.name }).inc(expired);
    }
    st.duration.set((performance.now() - t0) / 1000);
  }

  private flush(final: boolean): void {
    const now = performance.now();
    const snapshot: Snapshot = {
      registry: this.registry,
      timeMs: Date.now(),
      intervalSeconds: this.lastFlush === undefined ? this.opts.intervalSeconds : (now - this.lastFlush) / 1000,
      final,
    };
    this.lastFlush = now;
    for (const sink of this.opts.sinks) {
      try {
        runAs(`sink:${sink.name}`, () => sink.flush?.(snapshot));
      } catch (err) {
        this.health.sink_errors.with({ sink: sink.name }).inc();
        this.log.once(`flush:${sink.name}`, `sink ${sink.name}: ${errorMessage(err)}`);
      }
    }
  }
}

/** `p`, or a rejection with the signal's reason as soon as `signal` aborts (p is then left to itself). */
async function unlessAborted<T>(p: Promise<T> | undefined, signal: AbortSignal | undefined): Promise<T | undefined> {
  if (p === undefined || signal === undefined) return p;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([p, aborted]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}

/** Resolves with the promise's value, or 'timeout' after `ms` (the promise keeps running). */
async function bounded<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
