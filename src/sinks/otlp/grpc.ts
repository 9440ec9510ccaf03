/**
 * OTLP/gRPC: each request is one unary `MetricsService/Export` call carrying the same
 * ExportMetricsServiceRequest bytes the HTTP path POSTs, over one kept-open HTTP/2 session (push/grpc-unary.ts).
 * Which status codes are retried follows the OTLP specification (protocol/otlp.md, "OTLP/gRPC Response",
 * Failures): CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE and DATA_LOSS are retryable;
 * RESOURCE_EXHAUSTED only when the server says recovery is possible with a RetryInfo detail; every other code
 * is not, and the request is dropped. A RetryInfo delay, when given, is waited before the retry ("OTLP/gRPC
 * Throttling"); otherwise the sender's exponential backoff applies.
 */
import { errorMessage } from '../../support/log.js';
import { GrpcChannel, type GrpcAnswer } from '../push/grpc-unary.js';
import { GrpcCode, grpcCodeName, retryInfoDelayMs } from '../push/grpc-status.js';
import { PushSender, type PushSenderOptions, type Verdict } from '../push/sender.js';
import { type PartialSuccess, partialSuccessFromProtobuf } from './response.js';

/** The Export method of opentelemetry.proto.collector.metrics.v1.MetricsService. */
export const METRICS_EXPORT_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';

const RETRYABLE = new Set<number>([
  GrpcCode.CANCELLED,
  GrpcCode.DEADLINE_EXCEEDED,
  GrpcCode.ABORTED,
  GrpcCode.OUT_OF_RANGE,
  GrpcCode.UNAVAILABLE,
  GrpcCode.DATA_LOSS,
]);

/** What to do with a call's status, per the table above. */
export function classifyOtlpGrpc(a: GrpcAnswer): Verdict {
  if (a.code === GrpcCode.OK) return { kind: 'ok' };
  const reason = `gRPC ${grpcCodeName(a.code)}${a.message === '' ? '' : `: ${a.message}`}`;
  let delayMs: number | undefined;
  try {
    delayMs = a.details === undefined ? undefined : retryInfoDelayMs(a.details);
  } catch {
    delayMs = undefined; // unreadable details: as if absent
  }
  const retryable = RETRYABLE.has(a.code) || (a.code === GrpcCode.RESOURCE_EXHAUSTED && delayMs !== undefined);
  if (!retryable) return { kind: 'reject', reason };
  return delayMs !== undefined && delayMs > 0 ? { kind: 'retry', reason, afterMs: delayMs } : { kind: 'retry', reason };
}

export interface OtlpGrpcSenderOptions extends Omit<PushSenderOptions<GrpcAnswer>, 'transport' | 'classify' | 'onAccepted' | 'prepare'> {
  /** `http://host:4317` (plaintext) or `https://host:4317` (TLS, default CAs). */
  readonly target: URL;
  readonly metadata: Readonly<Record<string, string>>;
  readonly userAgent: string;
  readonly timeoutMs: number;
  /** Gzip each request once, before its first try. */
  readonly gzip?: (body: Uint8Array) => Promise<Uint8Array>;
  readonly onPartialSuccess: (ps: PartialSuccess) => void;
  /** An OK answer whose message cannot be read. */
  readonly onUnreadable: (problem: string) => void;
}

/** A push sender whose transport is the Export call on one gRPC channel. */
export function otlpGrpcSender(opts: OtlpGrpcSenderOptions): PushSender<GrpcAnswer> {
  const { target, metadata, userAgent, timeoutMs, gzip, onPartialSuccess, onUnreadable, ...rest } = opts;
  const channel = new GrpcChannel({ target, metadata, userAgent, timeoutMs, encoding: gzip === undefined ? 'identity' : 'gzip' });
  return new PushSender<GrpcAnswer>({
    ...rest,
    transport: {
      send: (body, signal) => channel.unary(METRICS_EXPORT_PATH, body, signal),
      close: () => channel.close(),
    },
    prepare: gzip,
    classify: classifyOtlpGrpc,
    onAccepted: (answer) => {
      try {
        const ps = answer.response === undefined ? undefined : partialSuccessFromProtobuf(answer.response);
        if (ps !== undefined) onPartialSuccess(ps);
      } catch (err) {
        onUnreadable(errorMessage(err));
      }
    },
  });
}
