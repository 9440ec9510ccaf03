/**
 * The agent loop: every interval, collect all sources concurrently (each bounded by a timeout), record the
 * agent's health, then flush every sink. A failing source is reported once and retried; a slow one is
 * skipped until its read finishes, so one hung scheduler never delays the others.
 */
import { healthStats } from './health.js';
import { errorMessage, type Logger, createLogger } from './log.js';
import { Registry, type Families } from './registry/index.js';
import type { Sink, Snapshot } from './sinks/sink.js';
import type { Source } from './sources/source.js';

export interface AgentOptions {
  readonly sources: readonly Source[];
  readonly sinks: readonly Sink[];
  /** Seconds between collections. */
  readonly intervalSeconds: number;
  readonly registry?: Registry;
  readonly log?: Logger;
  /** How long one source's read may take before it counts as failed. Default: the interval, at most 5 s. */
  readonly sourceTimeoutMs?: number;
  /** How long push sinks get to send what they hold at shutdown. Default 2000 ms. */
  readonly shutdownDeadlineMs?: number;
}

interface SourceState {
  readonly source: Source;
  attached: boolean;
  /** The read still running after its timeout, if any; the source is skipped until it settles. */
  pending: Promise<void> | undefined;
}

export class Agent {
  readonly registry: Registry;
  readonly log: Logger;
  private readonly opts: AgentOptions;
  private readonly health: Families<typeof healthStats.stats>;
  private readonly states: SourceState[];
  private lastTickMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopping: Promise<void> | undefined;
  private ticking: Promise<void> | undefined;

  constructor(opts: AgentOptions) {
    this.opts = opts;
    this.registry = opts.registry ?? new Registry();
    this.log = opts.log ?? createLogger();
    this.health = this.registry.register(healthStats);
    this.states = opts.sources.map((source) => ({ source, attached: false, pending: undefined }));
  }

  /** Attaches sources, starts sinks (a sink that cannot start rejects), and takes the first collection. */
  async start(): Promise<void> {
    for (const st of this.states) await this.attach(st);
    for (const sink of this.opts.sinks) await sink.start?.({ registry: this.registry, log: this.log });
    this.lastTickMs = Date.now();
    await this.collect();
    // The first flush gives push sinks and the report their baseline: counters read from cumulative sources
    // start far from zero, and the first interval's deltas are taken against this.
    this.flush(false);
  }

  /** Starts the periodic loop after `start()`. */
  run(): void {
    this.running = true;
    const period = this.opts.intervalSeconds * 1000;
    const begin = Date.now();
    let n = 0;
    const schedule = (): void => {
      n++;
      // Aim at begin + n*period so the interval does not drift by the time each tick takes.
      const delay = Math.max(0, begin + n * period - Date.now());
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

  /** Stops the loop, takes a last collection and flush, closes sinks then sources. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.running = false;
      if (this.timer !== undefined) clearTimeout(this.timer);
      if (this.ticking !== undefined) await this.ticking;
      await this.tick(true);
      const deadline = this.opts.shutdownDeadlineMs ?? 2000;
      await Promise.allSettled(this.opts.sinks.map(async (s) => s.close?.(deadline)));
      await Promise.allSettled(this.states.map(async (st) => st.source.close?.()));
    })();
    return this.stopping;
  }

  private async attach(st: SourceState): Promise<void> {
    try {
      await st.source.attach({ registry: this.registry, log: this.log });
      st.attached = true;
      this.log.clear(`attach:${st.source.name}`, `source ${st.source.name}: attached`);
    } catch (err) {
      this.log.once(`attach:${st.source.name}`, `source ${st.source.name}: cannot attach (will retry): ${errorMessage(err)}`);
    }
  }

  /** Collects every source once, concurrently, each bounded by the source timeout. */
  async collect(): Promise<void> {
    const t0 = performance.now();
    const timeoutMs = this.opts.sourceTimeoutMs ?? Math.min(5000, this.opts.intervalSeconds * 1000);
    await Promise.all(this.states.map((st) => this.collectOne(st, timeoutMs)));
    this.health.collection_duration.with().set((performance.now() - t0) / 1000);
    this.health.collections.with().inc();
  }

  private async collectOne(st: SourceState, timeoutMs: number): Promise<void> {
    const name = st.source.name;
    const labels = { source: name };
    const up = this.health.source_up.with(labels);
    const errors = this.health.source_errors.with(labels); // exported as 0 from the start, not only after a failure
    if (!st.attached) {
      await this.attach(st);
      if (!st.attached) {
        up.set(0);
        return;
      }
    }
    if (st.pending !== undefined) {
      errors.inc();
      up.set(0);
      return;
    }
    const t0 = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const read = Promise.resolve().then(() => st.source.collect());
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const r = await Promise.race([read, timeout]);
      if (r === 'timeout') {
        st.pending = read.then(
          () => undefined,
          () => undefined,
        );
        void st.pending.then(() => {
          st.pending = undefined;
        });
        throw new Error(`read took longer than ${timeoutMs} ms`);
      }
      up.set(1);
      this.log.clear(`collect:${name}`, `source ${name}: reading again`);
    } catch (err) {
      up.set(0);
      errors.inc();
      this.log.once(`collect:${name}`, `source ${name}: ${errorMessage(err)} (will retry every interval)`);
    } finally {
      clearTimeout(timer);
      this.health.source_duration.with(labels).set((performance.now() - t0) / 1000);
    }
  }

  private flush(final: boolean): void {
    const now = Date.now();
    const snapshot: Snapshot = {
      registry: this.registry,
      timeMs: now,
      intervalSeconds: this.lastTickMs === 0 ? this.opts.intervalSeconds : (now - this.lastTickMs) / 1000,
      final,
    };
    this.lastTickMs = now;
    for (const sink of this.opts.sinks) {
      try {
        sink.flush?.(snapshot);
      } catch (err) {
        this.health.sink_errors.with({ sink: sink.name }).inc();
        this.log.once(`flush:${sink.name}`, `sink ${sink.name}: ${errorMessage(err)}`);
      }
    }
  }
}
