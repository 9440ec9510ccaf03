/**
 * The sending half of a datagram push sink (StatsD, spectatord). `push()` only queues: `flush()` never waits
 * on the network. A drain runs on the next turn of the event loop and hands datagrams to the transport.
 *
 * Faults, all bounded:
 * - The queue holds at most `queueSize` datagrams; when full the oldest is dropped (fresh data beats stale).
 * - A peer that refuses (UNIX: ENOENT or ECONNREFUSED on send; UDP: ICMP port unreachable, seen as a later
 *   error) marks the peer down: sending pauses, the datagram that failed is kept when the transport says it
 *   was not delivered, and a single probe datagram is tried after a jittered, growing backoff. For UDP the
 *   probe counts as delivered when no ICMP error arrives within `probeMs`.
 * - A peer whose receive queue is full (EAGAIN) is retried the same way.
 * - A datagram the transport rejects for itself (EMSGSIZE, ...) is dropped.
 * Every dropped line is counted in `scx_metrics_sink_dropped_total{sink}` and summed into one log line per
 * interval (`endInterval`). A UDP datagram lost to a dead peer is counted when its ICMP error arrives; those
 * sent in the same burst after it are lost without a trace the kernel can report, so the count is a floor.
 */
import type { Logger } from '../../support/log.js';
import type { CounterSeries } from '../../registry/series.js';
import type { DatagramTransport } from './datagram-transport.js';
import { Backoff, BoundedQueue } from './queue.js';

/** One encoded datagram and how many metric lines it carries (drops are counted in lines). */
export interface Datagram {
  readonly buf: Buffer;
  readonly lines: number;
}

export interface DatagramSenderOptions {
  /** The sink's name: the `sink` label and the start of log lines. */
  readonly name: string;
  readonly transport: DatagramTransport;
  /** Datagrams held while the peer is slow or down. */
  readonly queueSize: number;
  readonly log: Logger;
  /** Where dropped lines are counted. */
  readonly dropped?: CounterSeries;
  /** Retry backoff after a refusal (ms). Default 100 ms growing to 5 s. */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  /** UDP only: how long a probe waits for an ICMP error before the peer counts as back. Default 100 ms. */
  readonly probeMs?: number;
}

/** Sends that may be outstanding on an asynchronous transport (UDP); bounds libuv's own queue. */
const WINDOW = 64;

const PEER_DOWN = new Set(['ECONNREFUSED', 'ENOENT', 'ENOTCONN', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ECONNRESET', 'EPIPE', 'ENETDOWN']);
const PEER_BUSY = new Set(['EAGAIN', 'EWOULDBLOCK', 'ENOBUFS']);

const describe: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused: nothing is receiving',
  ENOENT: 'no socket at that path',
  EAGAIN: "the peer's receive queue is full",
  ENOBUFS: 'no buffer space',
  EMSGSIZE: 'datagram too large for the transport',
};

function reason(code: string): string {
  const d = describe[code];
  return d === undefined ? code : `${code}, ${d}`;
}

type State = 'up' | 'down' | 'probing';

export class DatagramSender {
  private readonly opts: DatagramSenderOptions;
  private readonly queue: BoundedQueue<Datagram>;
  private readonly backoff: Backoff;
  private readonly probeMs: number;
  private state: State = 'up';
  /** A datagram that failed but was not delivered; sent before the queue. */
  private retry: Datagram | undefined;
  private inflight = 0;
  private lastSent: Datagram | undefined;
  private drainScheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Down, with the backoff over but nothing to probe with: the next push probes. */
  private probeOnPush = false;
  private idleWaiters: (() => void)[] = [];
  private droppedLines = 0;
  private dropReason = '';
  /** Datagrams and lines handed to the transport successfully (for tests and benchmarks). */
  sentDatagrams = 0;
  sentLines = 0;
  /** Lines dropped since creation. */
  droppedTotal = 0;

  constructor(opts: DatagramSenderOptions) {
    this.opts = opts;
    this.queue = new BoundedQueue(opts.queueSize);
    this.backoff = new Backoff(opts.retryBaseMs ?? 100, opts.retryMaxMs ?? 5000);
    this.probeMs = opts.probeMs ?? 100;
    opts.transport.onPeerError = (code) => this.peerError(code);
  }

  /** True while the peer is considered reachable. */
  get up(): boolean {
    return this.state === 'up';
  }

  /** Datagrams waiting (queued plus one held for retry). */
  get pending(): number {
    return this.queue.length + (this.retry === undefined ? 0 : 1);
  }

  /** Queues one datagram; never blocks. */
  push(d: Datagram): void {
    if (this.closed) {
      this.drop(d.lines, 'sink closed');
      return;
    }
    if (this.queue.length >= this.queue.capacity) {
      const oldest = this.queue.peek();
      if (oldest !== undefined) this.drop(oldest.lines, `queue full (${this.queue.capacity} datagrams) while ${this.state === 'up' ? 'sending' : `${this.opts.transport.peer} is not receiving`}`);
    }
    this.queue.push(d);
    if (this.probeOnPush) {
      this.probeOnPush = false;
      setImmediate(() => this.probe());
    } else this.scheduleDrain();
  }

  /** Logs the lines dropped since the last call, as one line. Call once per interval. */
  endInterval(): void {
    if (this.droppedLines === 0) return;
    this.opts.log.warn(`sink ${this.opts.name}: dropped ${this.droppedLines} lines in the last interval (${this.dropReason})`);
    this.droppedLines = 0;
  }

  /** Resolves when nothing is queued or in flight (or at once when closed). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Sends what is queued until done or `deadlineMs` passes, then drops and counts the rest and closes the
   * transport. A peer that is down gets one immediate probe rather than waiting out its backoff.
   */
  async close(deadlineMs: number): Promise<void> {
    if (this.closed) return;
    if (this.state === 'down') {
      clearTimeout(this.timer);
      this.probe();
    }
    let deadline: NodeJS.Timeout | undefined;
    await Promise.race([this.idle(), new Promise<void>((resolve) => (deadline = setTimeout(resolve, deadlineMs)))]);
    clearTimeout(deadline);
    this.closed = true;
    clearTimeout(this.timer);
    let left = 0;
    if (this.retry !== undefined) left += this.retry.lines;
    for (const d of this.queue.drain()) left += d.lines;
    this.retry = undefined;
    if (left > 0) this.drop(left, `shutdown deadline of ${deadlineMs} ms passed with ${this.opts.transport.peer} not receiving`);
    this.endInterval();
    this.opts.transport.close();
    this.wakeIdle();
  }

  private isIdle(): boolean {
    return this.closed || (this.inflight === 0 && this.queue.length === 0 && this.retry === undefined);
  }

  private wakeIdle(): void {
    if (!this.isIdle()) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of w) resolve();
  }

  private drop(lines: number, why: string): void {
    this.droppedLines += lines;
    this.droppedTotal += lines;
    this.dropReason = why;
    this.opts.dropped?.inc(lines);
  }

  private scheduleDrain(): void {
    if (this.drainScheduled || this.state !== 'up') return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  private next(): Datagram | undefined {
    const d = this.retry ?? this.queue.shift();
    this.retry = undefined;
    return d;
  }

  private drain(): void {
    while (this.state === 'up' && !this.closed && this.inflight < WINDOW) {
      const d = this.next();
      if (d === undefined) break;
      this.sendOne(d);
    }
    this.wakeIdle();
  }

  private sendOne(d: Datagram): void {
    this.inflight++;
    this.lastSent = d;
    let called = false;
    const done = (err: string | null): void => {
      if (called) return;
      called = true;
      this.sent(d, err);
    };
    try {
      this.opts.transport.send(d.buf, done);
    } catch (err) {
      // A transport that throws must not take the process down from inside the drain's setImmediate.
      done((err as NodeJS.ErrnoException).code ?? String(err));
    }
  }

  private sent(d: Datagram, err: string | null): void {
    this.inflight--;
    if (err === null) {
      this.sentDatagrams++;
      this.sentLines += d.lines;
      if (this.state === 'probing') {
        if (this.opts.transport.confirmsDelivery) this.recovered();
        else this.timer = unref(setTimeout(() => this.state === 'probing' && this.recovered(), this.probeMs));
      } else if (this.queue.length > 0 || this.retry !== undefined) {
        this.scheduleDrain();
      }
      this.wakeIdle();
      return;
    }
    if (PEER_DOWN.has(err) || PEER_BUSY.has(err)) {
      // Not delivered: keep it for the retry unless one is already held.
      if (this.retry === undefined && !this.closed) this.retry = d;
      else this.drop(d.lines, `${this.opts.transport.peer}: ${reason(err)}`);
      this.down(err);
    } else {
      this.drop(d.lines, `${this.opts.transport.peer}: ${reason(err)}`);
      this.opts.log.once(`sink:${this.opts.name}:send:${err}`, `sink ${this.opts.name}: ${this.opts.transport.peer} rejected a datagram of ${d.buf.length} bytes (${reason(err)}); dropped`);
      // The datagram was the problem, not the peer: a probe moves on to the next one.
      if (this.state === 'probing') setImmediate(() => this.probe());
      else this.scheduleDrain();
    }
    this.wakeIdle();
  }

  /** An ICMP error: the last datagram sent (or the probe) never arrived. */
  private peerError(code: string): void {
    if (this.lastSent !== undefined && !this.closed) {
      this.drop(this.lastSent.lines, `${this.opts.transport.peer}: ${reason(code)}`);
      this.lastSent = undefined;
    }
    this.down(code);
  }

  private down(code: string): void {
    if (this.closed) return;
    this.probeOnPush = false;
    if (this.state === 'up') {
      this.opts.log.once(
        `sink:${this.opts.name}:down`,
        `sink ${this.opts.name}: ${this.opts.transport.peer} is not receiving (${reason(code)}); holding up to ${this.queue.capacity} datagrams and retrying`,
      );
    }
    this.state = 'down';
    clearTimeout(this.timer);
    this.timer = unref(setTimeout(() => this.probe(), this.backoff.next()));
  }

  /** Sends one datagram to learn whether the peer is back. */
  private probe(): void {
    if (this.closed) return;
    const d = this.next();
    if (d === undefined) {
      // Nothing to probe with: the next push probes.
      this.probeOnPush = true;
      return;
    }
    this.state = 'probing';
    this.sendOne(d);
  }

  private recovered(): void {
    this.state = 'up';
    this.backoff.reset();
    this.opts.log.clear(`sink:${this.opts.name}:down`, `sink ${this.opts.name}: ${this.opts.transport.peer} is receiving again`);
    this.scheduleDrain();
    this.wakeIdle();
  }
}

function unref(t: NodeJS.Timeout): NodeJS.Timeout {
  t.unref();
  return t;
}
