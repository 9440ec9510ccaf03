/**
 * gRPC call outcomes: the status codes (grpc/doc/statuscodes.md), the code a non-gRPC HTTP answer stands for
 * (grpc/doc/http-grpc-status-mapping.md), and the server's `google.rpc.RetryInfo` delay from the
 * `grpc-status-details-bin` trailer.
 */
import { ProtoReader } from '../protobuf/reader.js';
import { WIRE_LEN, WIRE_VARINT } from '../protobuf/writer.js';

/** The status codes, by name. */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

const NAMES = new Map<number, string>(Object.entries(GrpcCode).map(([name, code]) => [code, name]));

/** `UNAVAILABLE (14)`, or `code 42` for a number outside the table. */
export function grpcCodeName(code: number): string {
  const name = NAMES.get(code);
  return name === undefined ? `code ${code}` : `${name} (${code})`;
}

/** The status a client reports when the answer is HTTP without a grpc-status (a proxy's error page, say). */
export function codeForHttpStatus(status: number): number {
  switch (status) {
    case 400:
      return GrpcCode.INTERNAL;
    case 401:
      return GrpcCode.UNAUTHENTICATED;
    case 403:
      return GrpcCode.PERMISSION_DENIED;
    case 404:
      return GrpcCode.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return GrpcCode.UNAVAILABLE;
    default:
      return GrpcCode.UNKNOWN;
  }
}

const RETRY_INFO_TYPE = 'type.googleapis.com/google.rpc.RetryInfo';

/**
 * The delay a `google.rpc.Status` (the `grpc-status-details-bin` trailer, decoded) asks for through a
 * RetryInfo detail, in ms; undefined when it carries none. Status{details = 3: Any{type_url = 1, value = 2}};
 * RetryInfo{retry_delay = 1: Duration{seconds = 1, nanos = 2}}. Throws ProtoError on malformed bytes.
 */
export function retryInfoDelayMs(status: Uint8Array): number | undefined {
  const r = new ProtoReader(status);
  while (!r.done) {
    const [field, wire] = r.key();
    if (field !== 3 || wire !== WIRE_LEN) {
      r.skip(wire);
      continue;
    }
    const any = new ProtoReader(r.bytes());
    let type = '';
    let value: Uint8Array | undefined;
    while (!any.done) {
      const [f, w] = any.key();
      if (f === 1 && w === WIRE_LEN) type = any.string();
      else if (f === 2 && w === WIRE_LEN) value = any.bytes();
      else any.skip(w);
    }
    if (type === RETRY_INFO_TYPE) return delayOf(value ?? new Uint8Array(0));
  }
  return undefined;
}

function delayOf(retryInfo: Uint8Array): number {
  let seconds = 0;
  let nanos = 0;
  const r = new ProtoReader(retryInfo);
  while (!r.done) {
    const [field, wire] = r.key();
    if (field !== 1 || wire !== WIRE_LEN) {
      r.skip(wire);
      continue;
    }
    const d = new ProtoReader(r.bytes());
    while (!d.done) {
      const [f, w] = d.key();
      if (f === 1 && w === WIRE_VARINT) seconds = d.varint();
      else if (f === 2 && w === WIRE_VARINT) nanos = d.varint();
      else d.skip(w);
    }
  }
  // Negative durations arrive as huge two's-complement varints; treat anything out of range as no delay.
  if (seconds > 315_576_000_000 || nanos >= 1e9) return 0;
  return Math.ceil(seconds * 1000 + nanos / 1e6);
}
