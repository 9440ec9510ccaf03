/**
 * Unary gRPC calls over node:http2 (grpc/doc/PROTOCOL-HTTP2.md): one POST per call with the 5-byte
 * length-prefixed message, the status read from the trailers (or from the headers of a trailers-only answer).
 * One HTTP/2 session is kept per channel and reused; after GOAWAY, a close, an error or a call that got no
 * answer in time, the next call opens a fresh one. `https:` targets use TLS with the default CAs, `http:`
 * targets speak HTTP/2 in the clear (prior knowledge), as local collectors on port 4317 expect.
 */
import http2 from 'node:http2';
import { gunzipSync } from 'node:zlib';
import { codeForHttpStatus, GrpcCode } from './grpc-status.js';

/** How a call ended, when the peer answered. */
export interface GrpcAnswer {
  readonly code: number;
  /** `grpc-message`, percent-decoded; empty when absent. */
  readonly message: string;
  /** `grpc-status-details-bin` decoded from base64 (a google.rpc.Status); undefined when absent. */
  readonly details?: Uint8Array;
  /** The response message (decompressed); undefined when the peer sent none. */
  readonly response?: Uint8Array;
}

export interface GrpcChannelOptions {
  /** `http://host:port` or `https://host:port`; the path is not used. */
  readonly target: URL;
  /** Custom metadata (authentication), sent with every call; names are lowercased. */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly userAgent?: string;
  /** Deadline of each call, also sent as `grpc-timeout`. */
  readonly timeoutMs: number;
  /** `gzip` when the payloads given to `unary` are gzip-compressed already (flag byte 1, grpc-encoding). */
  readonly encoding?: 'gzip' | 'identity';
  /** Largest response message read; a unary response above it fails the call. Default 4 MiB. */
  readonly maxResponseBytes?: number;
}

/** The 5-byte prefix gRPC puts before each message: compressed flag, then the length (big-endian u32). */
export function messagePrefix(length: number, compressed: boolean): Buffer {
  const p = Buffer.alloc(5);
  p[0] = compressed ? 1 : 0;
  p.writeUInt32BE(length, 1);
  return p;
}

/** A `grpc-timeout` value: at most 8 digits, in ms while that fits, else in whole seconds (rounded up). */
export function grpcTimeout(ms: number): string {
  const m = Math.max(0, Math.ceil(ms));
  if (m <= 99_999_999) return `${m}m`;
  return `${Math.min(99_999_999, Math.ceil(m / 1000))}S`;
}

/** `grpc-message` is percent-encoded UTF-8; a malformed escape is kept as sent. */
function decodeGrpcMessage(v: string | undefined): string {
  if (v === undefined) return '';
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

function header(h: http2.IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

export class GrpcChannel {
  private readonly opts: GrpcChannelOptions;
  private readonly origin: string;
  private readonly fixedHeaders: http2.OutgoingHttpHeaders;
  private session: http2.ClientHttp2Session | undefined;
  /** Why a session failed, to name the cause when its streams are cancelled. */
  private readonly sessionErrors = new WeakMap<http2.ClientHttp2Session, Error>();
  private closed = false;
  /** Sessions opened so far (the first included). */
  connects = 0;

  constructor(opts: GrpcChannelOptions) {
    if (opts.target.protocol !== 'http:' && opts.target.protocol !== 'https:') {
      throw new RangeError(`gRPC target must be http:// or https://, got ${opts.target.href}`);
    }
    this.opts = opts;
    this.origin = opts.target.origin;
    const metadata = Object.fromEntries(Object.entries(opts.metadata ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    this.fixedHeaders = {
      ...metadata,
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-timeout': grpcTimeout(opts.timeoutMs),
      'grpc-accept-encoding': 'identity,gzip',
      ...(opts.encoding === 'gzip' ? { 'grpc-encoding': 'gzip' } : {}),
      ...(opts.userAgent === undefined ? {} : { 'user-agent': opts.userAgent }),
    };
  }

  /**
   * Calls `path` (`/package.Service/Method`) with one message. Resolves with the status whenever the peer
   * answered (any code); rejects when the connection failed, the stream was reset, the deadline passed or
   * `signal` aborted.
   */
  unary(path: string, payload: Uint8Array, signal?: AbortSignal): Promise<GrpcAnswer> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new Error('gRPC channel closed'));
        return;
      }
      if (signal?.aborted === true) {
        reject(new Error('aborted'));
        return;
      }
      let session: http2.ClientHttp2Session;
      let stream: http2.ClientHttp2Stream;
      try {
        session = this.connect();
        stream = session.request({ ...this.fixedHeaders, ':method': 'POST', ':path': path });
      } catch (err) {
        this.drop(this.session);
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      let settled = false;
      const finish = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const fail = (err: Error): void => finish(() => reject(err));
      const onAbort = (): void => {
        fail(new Error('aborted'));
        stream.close(http2.constants.NGHTTP2_CANCEL);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => {
        fail(new Error(`no answer within ${this.opts.timeoutMs} ms`));
        stream.close(http2.constants.NGHTTP2_CANCEL);
        // A peer that let a call hang (or never finished the HTTP/2 handshake) is not trusted with the next.
        this.drop(session, true);
      }, this.opts.timeoutMs);

      let headers: http2.IncomingHttpHeaders | undefined;
      let trailers: http2.IncomingHttpHeaders | undefined;
      const chunks: Buffer[] = [];
      let size = 0;
      const max = (this.opts.maxResponseBytes ?? 4 * 1024 * 1024) + 5;
      stream.on('response', (h: http2.IncomingHttpHeaders) => (headers = h));
      stream.on('trailers', (t: http2.IncomingHttpHeaders) => (trailers = t));
      stream.on('data', (c: Buffer) => {
        size += c.length;
        if (size > max) {
          fail(new Error(`response larger than ${max - 5} bytes`));
          stream.close(http2.constants.NGHTTP2_CANCEL);
        } else {
          chunks.push(c);
        }
      });
      // A stream cancelled because its session failed carries the session's error (ECONNREFUSED) as its cause.
      stream.on('error', (err: Error) => fail(this.sessionErrors.get(session) ?? (err.cause instanceof Error ? err.cause : err)));
      stream.on('close', () => {
        if (settled) return;
        // No answer, or one cut off before its status: the call did not complete (retryable, as a network error).
        const reset = stream.rstCode !== undefined && stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR;
        if (headers === undefined || (trailers === undefined && header(headers, 'grpc-status') === undefined && reset)) {
          fail(this.sessionErrors.get(session) ?? new Error(`no answer: stream reset (HTTP/2 error code ${stream.rstCode ?? 'none'})`));
          return;
        }
        try {
          const answer = this.answer(headers, trailers, Buffer.concat(chunks));
          finish(() => resolve(answer));
        } catch (err) {
          fail(err instanceof Error ? err : new Error(String(err)));
        }
      });
      stream.end(Buffer.concat([messagePrefix(payload.length, this.opts.encoding === 'gzip'), payload]));
    });
  }

  /** Closes the session; calls still running fail. */
  close(): void {
    this.closed = true;
    this.drop(this.session, true);
  }

  private answer(headers: http2.IncomingHttpHeaders, trailers: http2.IncomingHttpHeaders | undefined, body: Buffer): GrpcAnswer {
    const status = Number(headers[':status']);
    // Trailers-only answers carry the status in the headers.
    const meta = trailers ?? headers;
    const code = header(meta, 'grpc-status');
    if (code === undefined) {
      if (status !== 200) return { code: codeForHttpStatus(status), message: `HTTP ${status} without grpc-status` };
      return { code: GrpcCode.UNKNOWN, message: 'the answer carried no grpc-status' };
    }
    const details = header(meta, 'grpc-status-details-bin');
    const base = {
      code: /^\d+$/.test(code) ? Number(code) : GrpcCode.UNKNOWN,
      message: decodeGrpcMessage(header(meta, 'grpc-message')),
      ...(details === undefined ? {} : { details: Buffer.from(details, 'base64') }),
    };
    if (body.length === 0) return base;
    if (body.length < 5) throw new Error(`truncated gRPC message prefix (${body.length} bytes)`);
    const length = body.readUInt32BE(1);
    if (body.length < 5 + length) throw new Error(`truncated gRPC message: ${body.length - 5} of ${length} bytes`);
    let response: Uint8Array = body.subarray(5, 5 + length);
    if (body[0] === 1) {
      const encoding = header(headers, 'grpc-encoding') ?? 'identity';
      if (encoding !== 'gzip') throw new Error(`response compressed with "${encoding}", which was not offered`);
      response = gunzipSync(response);
    }
    return { ...base, response };
  }

  /** The open session, or a new one. */
  private connect(): http2.ClientHttp2Session {
    const live = this.session;
    if (live !== undefined && !live.closed && !live.destroyed) return live;
    const s = http2.connect(this.origin);
    this.connects++;
    s.on('error', (err: Error) => {
      this.sessionErrors.set(s, err);
      this.drop(s);
    });
    // After GOAWAY the session takes no new streams (calls in flight may still finish on it).
    s.on('goaway', () => this.drop(s));
    s.on('close', () => this.drop(s));
    // Between calls the idle session must not keep the process alive; a call's own timer does.
    s.unref();
    this.session = s;
    return s;
  }

  /**
   * Forgets a session so the next call opens another, and closes it: gracefully (calls in flight finish) or,
   * with `destroy`, at once.
   */
  private drop(s: http2.ClientHttp2Session | undefined, destroy = false): void {
    if (s === undefined) return;
    if (this.session === s) this.session = undefined;
    if (destroy) {
      if (!s.destroyed) s.destroy();
    } else if (!s.closed) {
      s.close();
    }
  }
}
