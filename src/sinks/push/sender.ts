/**
 * The sending half of a push sink: a bounded queue of encoded requests and one loop that hands them to the
 * sink's transport (an HTTP POST, a gRPC call) in order, retrying with backoff what the protocol says to
 * retry. The sink's `flush()` only enqueues, so a peer that is down, refusing, hanging or failing never delays
 * collection or other sinks; what does not fit in the queue, or is refused for good, or keeps failing past
 * the retry window, is dropped and counted.
 */
import type { Logger } from '../../support/log.js';
import { errorMessage } from '../../support/log.js';
import type { CounterSeries } from '../../registry/index.js';
import { Backoff, BoundedQueue } from './queue.js';

/** One encoded request and how many data points (samples) it carries: what a drop loses. */
export interface PushItem {
  readonly body: Uint8Array;
  readonly points: number;
}

/** What to do with an answer. */
export type Verdict =
  | { readonly kind: 'ok' }
  /** Try the same request again after `afterMs` (Retry-After) or the backoff's next delay. */
  | { readonly kind: 'retry'; readonly reason: string; readonly afterMs?: number }
  /** The peer refused it for good: drop it. */
  | { readonly kind: 'reject'; readonly reason: string };

/**
 * How requests reach the peer: one request at a time, each answer (any status) resolved, a network failure
 * or the deadline rejected (and retried). `signal` aborts at the shutdown deadline.
 */
export interface Transport<A> {
  send(body: Uint8Array, signal: AbortSignal): Promise<A>;
  /** Frees connections; called once, after the last send. */
  close(): void;
}

export interface PushSenderOptions<A> {
  /** The sink's name, for logs. */
  readonly name: string;
  /** Who requests go to, for logs: `collector at http://127.0.0.1:4317`. Default: the sink's peer. */
  readonly peer?: string;
  readonly transport: Transport<A>;
  /** Requests held while the peer is slow or away. */
  readonly queueSize: number;
  /** How long one request is retried before it is dropped. Default 60 s. */
  readonly retryForMs?: number;
  /** What the counts in drop reports are called (`data points`, `samples`). */
  readonly pointsName: string;
  /** Turns an encoded request into the body sent (compression); run once per request, off the flush path. */
  readonly prepare?: (body: Uint8Array) => Uint8Array | Promise<Uint8Array>;
  readonly classify: (answer: A) => Verdict;
  /** Sees every accepted answer (OTLP partial success). */
  readonly onAccepted?: (answer: A, item: PushItem) => void;
  readonly backoff?: Backoff;
}

/** Health counters the sender feeds. */
export interface SenderCounters {
  readonly dropped: CounterSeries;
  readonly errors: CounterSeries;
}

/** Socket errors that mean nobody answered at the peer's address (as opposed to a bad answer). */
const NOT_ANSWERING = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'ETIMEDOUT', 'EPIPE']);

/**
 * A failed send in plain words: `collector at http://127.0.0.1:4317 is not answering (ECONNREFUSED)` for the
 * same refused connection whether it surfaced from an HTTP request or an HTTP/2 stream; other errors as they are.
 */
export function networkProblem(err: unknown, peer: string): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && NOT_ANSWERING.has(code)) return `${peer} is not answering (${code})`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `${peer}: host name does not resolve (${code})`;
  return errorMessage(err);
}

export class PushSender<A> {
  private readonly opts: PushSenderOptions<A>;
  private readonly queue: BoundedQueue<PushItem>;
  private readonly backoff: Backoff;
  private readonly abort = new AbortController();
  private log: Logger | undefined;
  private counters: SenderCounters | undefined;
  private pumping: Promise<void> | undefined;
  private closing = false;
  private droppedSinceReport = 0;
  private lastProblem = '';
  /** Requests accepted by the peer, since creation. */
  sent = 0;

  constructor(opts: PushSenderOptions<A>) {
    this.opts = opts;
    this.queue = new BoundedQueue(opts.queueSize);
    this.backoff = opts.backoff ?? new Backoff(200, 30_000);
  }

  /** Binds the sender to the agent's logger and health counters (from the sink's `start`). */
  attach(log: Logger, counters: SenderCounters): void {
    this.log = log;
    this.counters = counters;
  }

  /** Requests waiting, not counting the one being sent. */
  get queued(): number {
    return this.queue.length;
  }

  /** Queues a request (dropping the oldest when full) and makes sure the loop runs. Returns at once. */
  enqueue(item: PushItem): void {
    if (this.closing && this.abort.signal.aborted) {
      this.drop(item, 'shutting down');
      return;
    }
    if (this.queue.length >= this.queue.capacity) {
      const oldest = this.queue.shift();
      if (oldest !== undefined) this.drop(oldest, `queue full (${this.queue.capacity} requests)`);
    }
    this.queue.push(item);
    this.pumping ??= this.pump().finally(() => {
      this.pumping = undefined;
    });
  }

  /** Logs what was dropped since the last call, once; the sink calls it once per interval. */
  report(): void {
    if (this.droppedSinceReport === 0) return;
    this.log?.warn(`sink ${this.opts.name}: dropped ${this.droppedSinceReport} ${this.opts.pointsName} in the last interval (${this.lastProblem})`);
    this.droppedSinceReport = 0;
  }

  /** Sends what is queued within `deadlineMs`; then aborts, drops and counts the rest, and frees the socket. */
  async close(deadlineMs: number): Promise<void> {
    this.closing = true;
    const timer = setTimeout(() => this.abort.abort(), Math.max(0, deadlineMs));
    try {
      while (this.pumping !== undefined) await this.pumping;
    } finally {
      clearTimeout(timer);
      this.abort.abort();
      for (const item of this.queue.drain()) this.drop(item, 'shutdown deadline passed');
      this.report();
      this.opts.transport.close();
    }
  }

  private async pump(): Promise<void> {
    for (let item = this.queue.shift(); item !== undefined; item = this.queue.shift()) {
      await this.deliver(item);
    }
  }

  private async deliver(item: PushItem): Promise<void> {
    const o = this.opts;
    const firstTry = Date.now();
    const retryFor = o.retryForMs ?? 60_000;
    let body: Uint8Array;
    try {
      body = o.prepare === undefined ? item.body : await o.prepare(item.body);
    } catch (err) {
      this.fail(`cannot prepare the request body: ${errorMessage(err)}`);
      this.drop(item, 'could not prepare the body');
      return;
    }
    for (;;) {
      if (this.abort.signal.aborted) {
        this.drop(item, 'shutdown deadline passed');
        return;
      }
      let verdict: Verdict;
      let answer: A | undefined;
      try {
        answer = await o.transport.send(body, this.abort.signal);
        verdict = o.classify(answer);
      } catch (err) {
        verdict = { kind: 'retry', reason: this.abort.signal.aborted ? 'shutdown deadline passed' : networkProblem(err, o.peer ?? `the ${o.name} peer`) };
      }
      if (verdict.kind === 'ok') {
        this.sent++;
        this.backoff.reset();
        this.log?.clear(`push:${o.name}`, `sink ${o.name}: sending again`);
        if (answer !== undefined) o.onAccepted?.(answer, item);
        return;
      }
      this.fail(verdict.reason);
      if (verdict.kind === 'reject') {
        this.drop(item, `refused: ${verdict.reason}`);
        return;
      }
      // The peer's Retry-After/RetryInfo is honoured but never below our own backoff: `Retry-After: 0` (or a date
      // already past) must not turn a struggling peer into a tight retry loop.
      const backoff = this.backoff.next();
      const delay = verdict.afterMs === undefined ? backoff : Math.max(verdict.afterMs, backoff);
      if (this.abort.signal.aborted || Date.now() + delay - firstTry > retryFor) {
        this.drop(item, verdict.reason);
        return;
      }
      this.log?.once(`push:${o.name}`, `sink ${o.name}: ${verdict.reason}; retrying with backoff, ${this.queue.length} more requests queued`);
      await this.sleep(delay);
    }
  }

  private fail(reason: string): void {
    this.counters?.errors.inc();
    this.lastProblem = reason;
  }

  private drop(item: PushItem, reason: string): void {
    this.counters?.dropped.inc(item.points);
    this.droppedSinceReport += item.points;
    this.lastProblem = reason;
  }

  /** Waits `ms`, cut short by the shutdown abort. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.abort.signal;
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
