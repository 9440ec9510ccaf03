/**
 * OTLP/HTTP answers: which statuses to retry (429, 502, 503, 504, honouring Retry-After; nothing else), and
 * the `partial_success` a 2xx `ExportMetricsServiceResponse` may carry, in either encoding (the protobuf
 * reading is shared with OTLP/gRPC, whose OK answers carry the same message).
 */
import { errorMessage } from '../../support/log.js';
import { type HttpAnswer, retryAfterMs } from '../push/http-post.js';
import type { Verdict } from '../push/http-sender.js';
import { ProtoReader } from '../protobuf/reader.js';
import { WIRE_LEN, WIRE_VARINT } from '../protobuf/writer.js';

const RETRYABLE = new Set([429, 502, 503, 504]);

export function classifyOtlp(a: HttpAnswer): Verdict {
  if (a.status >= 200 && a.status < 300) return { kind: 'ok' };
  const reason = `HTTP ${a.status}${statusMessage(a)}`;
  if (RETRYABLE.has(a.status)) {
    const afterMs = retryAfterMs(a.headers['retry-after']);
    return afterMs === undefined ? { kind: 'retry', reason } : { kind: 'retry', reason, afterMs };
  }
  return { kind: 'reject', reason };
}

/** A short excerpt of an error body (OTLP errors carry a google.rpc.Status; plain text is common too). */
function statusMessage(a: HttpAnswer): string {
  if (a.body.length === 0) return '';
  const type = String(a.headers['content-type'] ?? '');
  if (type.includes('protobuf')) return '';
  const text = a.body.subarray(0, 200).toString('utf8').replace(/\s+/g, ' ').trim();
  return text === '' ? '' : `: ${text}`;
}

export interface PartialSuccess {
  readonly rejectedDataPoints: number;
  readonly errorMessage: string;
}

/**
 * The partial success of an accepted answer, or undefined when there is none (an empty body, or both fields
 * unset). Throws on a body that cannot be read as the content type says.
 */
export function partialSuccess(a: HttpAnswer): PartialSuccess | undefined {
  if (a.body.length === 0) return undefined;
  const type = String(a.headers['content-type'] ?? '');
  return type.includes('json') ? orNone(fromJson(a.body)) : partialSuccessFromProtobuf(a.body);
}

function orNone(ps: PartialSuccess): PartialSuccess | undefined {
  return ps.rejectedDataPoints === 0 && ps.errorMessage === '' ? undefined : ps;
}

/** The partial success in a protobuf ExportMetricsServiceResponse, or undefined when there is none. */
export function partialSuccessFromProtobuf(body: Uint8Array): PartialSuccess | undefined {
  return orNone(fromProtobuf(body));
}

/** ExportMetricsServiceResponse{ partial_success = 1 { rejected_data_points = 1 (int64), error_message = 2 } }. */
function fromProtobuf(body: Uint8Array): PartialSuccess {
  let rejected = 0;
  let message = '';
  const r = new ProtoReader(body);
  while (!r.done) {
    const [field, wire] = r.key();
    if (field !== 1 || wire !== WIRE_LEN) {
      r.skip(wire);
      continue;
    }
    const ps = new ProtoReader(r.bytes());
    while (!ps.done) {
      const [f, w] = ps.key();
      if (f === 1 && w === WIRE_VARINT) rejected = ps.varint();
      else if (f === 2 && w === WIRE_LEN) message = ps.string();
      else ps.skip(w);
    }
  }
  return { rejectedDataPoints: rejected, errorMessage: message };
}

function fromJson(body: Uint8Array): PartialSuccess {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch (err) {
    throw new Error(`response is not JSON: ${errorMessage(err)}`);
  }
  const ps = (doc as { partialSuccess?: { rejectedDataPoints?: unknown; errorMessage?: unknown } } | null)?.partialSuccess;
  if (ps === undefined || ps === null) return { rejectedDataPoints: 0, errorMessage: '' };
  const n = Number(ps.rejectedDataPoints ?? 0);
  return { rejectedDataPoints: Number.isFinite(n) ? n : 0, errorMessage: typeof ps.errorMessage === 'string' ? ps.errorMessage : '' };
}
