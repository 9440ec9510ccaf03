/**
 * The OTLP/HTTP metrics sink: each flush encodes the registry as one ExportMetricsServiceRequest (protobuf
 * or JSON) and queues it; the sender POSTs it (gzip on request), retries 429/502/503/504 honouring
 * Retry-After, and logs partial successes.
 */
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { healthStats } from '../../health.js';
import type { Logger } from '../../log.js';
import { errorMessage } from '../../log.js';
import { USER_AGENT, VERSION } from '../../version.js';
import type { Sink, SinkContext, Snapshot } from '../sink.js';
import type { Backoff } from '../push/queue.js';
import { HttpSender } from '../push/http-sender.js';
import { OtlpJsonEncoder } from './encode-json.js';
import { type EncodedRequest, OtlpProtobufEncoder } from './encode-protobuf.js';
import type { Temporality } from './model.js';
import { PointValues } from './points.js';
import { classifyOtlp, partialSuccess } from './response.js';

const gzipAsync = promisify(gzip);

export interface OtlpSinkOptions {
  /** The metrics endpoint, e.g. http://127.0.0.1:4318/v1/metrics. */
  readonly url: URL;
  readonly encoding?: 'protobuf' | 'json';
  readonly compression?: 'gzip' | 'none';
  readonly temporality?: Temporality;
  /** Resource attributes (see resource.ts for the defaults the CLI builds). */
  readonly resource: readonly (readonly [string, string])[];
  /** Extra request headers (authentication). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Whole-request timeout. Default 10 s (the OTel exporters' default). */
  readonly timeoutMs?: number;
  /** Requests held while the collector is slow or away. Default 100. */
  readonly queueSize?: number;
  /** How long one request is retried before it is dropped. Default 60 s. */
  readonly retryForMs?: number;
  /** Delays between retries. Default: 200 ms doubling to 30 s, with jitter. */
  readonly backoff?: Backoff;
}

export class OtlpSink implements Sink {
  readonly name = 'otlp';
  private readonly encoder: { encode(registry: Snapshot['registry'], timeMs: number): EncodedRequest };
  private readonly sender: HttpSender;
  private log: Logger | undefined;

  constructor(opts: OtlpSinkOptions) {
    const json = opts.encoding === 'json';
    const temporality = opts.temporality ?? 'cumulative';
    const shape = { resource: opts.resource, scopeName: 'scx-metrics', scopeVersion: VERSION, temporality };
    const points = new PointValues(temporality);
    this.encoder = json ? new OtlpJsonEncoder(shape, points) : new OtlpProtobufEncoder(shape, points);
    const gz = opts.compression === 'gzip';
    this.sender = new HttpSender({
      name: this.name,
      url: opts.url,
      headers: {
        ...opts.headers,
        'Content-Type': json ? 'application/json' : 'application/x-protobuf',
        'User-Agent': USER_AGENT,
        ...(gz ? { 'Content-Encoding': 'gzip' } : {}),
      },
      timeoutMs: opts.timeoutMs ?? 10_000,
      queueSize: opts.queueSize ?? 100,
      retryForMs: opts.retryForMs,
      backoff: opts.backoff,
      pointsName: 'data points',
      prepare: gz ? (body) => gzipAsync(body) : undefined,
      classify: classifyOtlp,
      onAccepted: (answer) => {
        try {
          const ps = partialSuccess(answer);
          if (ps !== undefined) {
            this.log?.warn(`sink otlp: collector accepted the request in part: ${ps.rejectedDataPoints} data points rejected${ps.errorMessage === '' ? '' : `: ${ps.errorMessage}`}`);
          }
        } catch (err) {
          this.log?.once('otlp:response', `sink otlp: cannot read the collector's answer: ${errorMessage(err)}`);
        }
      },
    });
  }

  async start(ctx: SinkContext): Promise<void> {
    this.log = ctx.log;
    const labels = { sink: this.name };
    this.sender.attach(ctx.log, {
      dropped: ctx.registry.family(healthStats.stats.sink_dropped).with(labels),
      errors: ctx.registry.family(healthStats.stats.sink_errors).with(labels),
    });
  }

  flush(s: Snapshot): void {
    const req = this.encoder.encode(s.registry, s.timeMs);
    if (req.points > 0) this.sender.enqueue(req);
    this.sender.report();
  }

  close(deadlineMs: number): Promise<void> {
    return this.sender.close(deadlineMs);
  }

  /** Requests the collector accepted so far. */
  get sent(): number {
    return this.sender.sent;
  }
}
