/**
 * The OTLP metrics sink: each flush encodes the registry as one ExportMetricsServiceRequest (protobuf or
 * JSON) and queues it; the sender delivers it over OTLP/HTTP (http.ts: POST, 429/502/503/504 retried
 * honouring Retry-After) or OTLP/gRPC (grpc.ts: the Export call, retryable codes per the spec), gzip on
 * request, and partial successes are logged.
 */
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { healthStats } from '../../health.js';
import type { Logger } from '../../support/log.js';
import { USER_AGENT, VERSION } from '../../support/version.js';
import type { Sink, SinkContext, Snapshot } from '../../plugin/sink.js';
import type { Backoff } from '../push/queue.js';
import type { HttpSender } from '../push/http-sender.js';
import type { PushSender } from '../push/sender.js';
import type { GrpcAnswer } from '../push/grpc-unary.js';
import { OtlpJsonEncoder } from './encode-json.js';
import { type EncodedRequest, OtlpProtobufEncoder } from './encode-protobuf.js';
import { otlpGrpcSender } from './grpc.js';
import { otlpHttpSender } from './http.js';
import type { Temporality } from './model.js';
import { PointValues } from './points.js';
import type { PartialSuccess } from './response.js';

const gzipAsync = promisify(gzip);

export interface OtlpSinkOptions {
  /**
   * Over HTTP, the metrics endpoint, e.g. http://127.0.0.1:4318/v1/metrics; over gRPC, the collector,
   * e.g. http://127.0.0.1:4317 (plaintext) or https://collector:4317 (TLS), whose path is not used.
   */
  readonly url: URL;
  /** OTLP/HTTP (default) or OTLP/gRPC. */
  readonly transport?: 'http' | 'grpc';
  /** The body encoding over HTTP; gRPC is always protobuf. */
  readonly encoding?: 'protobuf' | 'json';
  readonly compression?: 'gzip' | 'none';
  readonly temporality?: Temporality;
  /** Resource attributes (see resource.ts for the defaults the CLI builds). */
  readonly resource: readonly (readonly [string, string])[];
  /** Extra request headers (authentication); gRPC metadata over gRPC. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Whole-request timeout (over gRPC, also the call's grpc-timeout). Default 10 s (the OTel exporters' default). */
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
  private readonly sender: HttpSender | PushSender<GrpcAnswer>;
  private log: Logger | undefined;

  constructor(opts: OtlpSinkOptions) {
    const grpc = opts.transport === 'grpc';
    if (grpc && opts.encoding === 'json') throw new RangeError('OTLP/gRPC carries protobuf only; JSON is an OTLP/HTTP encoding');
    const json = opts.encoding === 'json';
    const temporality = opts.temporality ?? 'cumulative';
    const shape = { resource: opts.resource, scopeName: 'scx-metrics', scopeVersion: VERSION, temporality };
    const points = new PointValues(temporality);
    this.encoder = json ? new OtlpJsonEncoder(shape, points) : new OtlpProtobufEncoder(shape, points);
    const common = {
      name: this.name,
      userAgent: USER_AGENT,
      timeoutMs: opts.timeoutMs ?? 10_000,
      queueSize: opts.queueSize ?? 100,
      retryForMs: opts.retryForMs,
      backoff: opts.backoff,
      pointsName: 'data points',
      peer: `collector at ${grpc ? opts.url.origin : opts.url.href}`,
      gzip: opts.compression === 'gzip' ? (body: Uint8Array): Promise<Uint8Array> => gzipAsync(body) : undefined,
      onPartialSuccess: (ps: PartialSuccess) => {
        this.log?.warn(`sink otlp: collector accepted the request in part: ${ps.rejectedDataPoints} data points rejected${ps.errorMessage === '' ? '' : `: ${ps.errorMessage}`}`);
      },
      onUnreadable: (problem: string) => this.log?.once('otlp:response', `sink otlp: cannot read the collector's answer: ${problem}`),
    };
    this.sender = grpc
      ? otlpGrpcSender({ ...common, target: opts.url, metadata: opts.headers ?? {} })
      : otlpHttpSender({ ...common, url: opts.url, encoding: json ? 'json' : 'protobuf', headers: opts.headers ?? {} });
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
