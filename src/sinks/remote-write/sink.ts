/**
 * The Prometheus remote_write 1.0 sink: each flush encodes the registry into WriteRequests of at most
 * `maxSamples` samples and queues them; the sender snappy-compresses and POSTs them with the headers the
 * spec requires, retries 5xx and 429 with backoff (honouring Retry-After), and drops other 4xx answers.
 */
import { healthStats } from '../../health.js';
import { USER_AGENT } from '../../support/version.js';
import type { Sink, SinkContext, Snapshot } from '../../plugin/sink.js';
import { type HttpAnswer, retryAfterMs } from '../push/http-post.js';
import type { Backoff } from '../push/queue.js';
import { HttpSender, type Verdict } from '../push/http-sender.js';
import { RemoteWriteEncoder } from './encode.js';
import { snappyCompress } from './snappy.js';

export interface RemoteWriteSinkOptions {
  /** The receiver, e.g. http://127.0.0.1:9090/api/v1/write. */
  readonly url: URL;
  /** Samples per request at most. Default 2000 (Prometheus' max_samples_per_send). */
  readonly maxSamples?: number;
  /** Extra request headers (authentication, tenant ids). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Whole-request timeout. Default 30 s (Prometheus' remote_timeout). */
  readonly timeoutMs?: number;
  /** Requests held while the receiver is slow or away. Default 100. */
  readonly queueSize?: number;
  /** How long one request is retried before it is dropped. Default 60 s. */
  readonly retryForMs?: number;
  /** Delays between retries. Default: 200 ms doubling to 30 s, with jitter. */
  readonly backoff?: Backoff;
}

/** 2xx accepted; 5xx and 429 retried; any other status refused for good (the spec forbids retrying it). */
export function classifyRemoteWrite(a: HttpAnswer): Verdict {
  if (a.status >= 200 && a.status < 300) return { kind: 'ok' };
  const text = a.body.subarray(0, 200).toString('utf8').replace(/\s+/g, ' ').trim();
  const reason = `HTTP ${a.status}${text === '' ? '' : `: ${text}`}`;
  if (a.status >= 500 || a.status === 429) {
    const afterMs = retryAfterMs(a.headers['retry-after']);
    return afterMs === undefined ? { kind: 'retry', reason } : { kind: 'retry', reason, afterMs };
  }
  return { kind: 'reject', reason };
}

export class RemoteWriteSink implements Sink {
  readonly name = 'remote_write';
  private readonly encoder: RemoteWriteEncoder;
  private readonly sender: HttpSender;

  constructor(opts: RemoteWriteSinkOptions) {
    this.encoder = new RemoteWriteEncoder(opts.maxSamples ?? 2000);
    this.sender = new HttpSender({
      name: this.name,
      url: opts.url,
      peer: `remote_write receiver at ${opts.url.href}`,
      headers: {
        ...opts.headers,
        'Content-Encoding': 'snappy',
        'Content-Type': 'application/x-protobuf',
        'User-Agent': USER_AGENT,
        'X-Prometheus-Remote-Write-Version': '0.1.0',
      },
      timeoutMs: opts.timeoutMs ?? 30_000,
      queueSize: opts.queueSize ?? 100,
      retryForMs: opts.retryForMs,
      backoff: opts.backoff,
      pointsName: 'samples',
      prepare: snappyCompress,
      classify: classifyRemoteWrite,
    });
  }

  async start(ctx: SinkContext): Promise<void> {
    const labels = { sink: this.name };
    this.sender.attach(ctx.log, {
      dropped: ctx.registry.family(healthStats.stats.sink_dropped).with(labels),
      errors: ctx.registry.family(healthStats.stats.sink_errors).with(labels),
    });
  }

  flush(s: Snapshot): void {
    for (const req of this.encoder.encode(s.registry, s.timeMs)) this.sender.enqueue(req);
    this.sender.report();
  }

  close(deadlineMs: number): Promise<void> {
    return this.sender.close(deadlineMs);
  }

  /** Requests the receiver accepted so far. */
  get sent(): number {
    return this.sender.sent;
  }
}
