/**
 * A real OTLP/gRPC collector for tests: @grpc/grpc-js serving MetricsService/Export, its messages
 * (de)serialized by the official OTLP definitions (otlp-proto.ts), never by our code. It records each call
 * and answers as the test says: OK with an optional response, an error status (with trailing metadata, e.g.
 * a RetryInfo detail), or never. Listens on 127.0.0.1, port 0 unless given.
 */
import * as grpc from '@grpc/grpc-js';
import { ExportMetricsServiceRequest as Req, ExportMetricsServiceResponse as Res } from './otlp-proto.js';

export interface GrpcCall {
  /** The request, decoded by the official definitions. */
  readonly request: object;
  /** Its serialized bytes, as grpc-js received them (after any decompression). */
  readonly bytes: Buffer;
  readonly metadata: Record<string, string>;
  /** The client's address and port (one port per HTTP/2 connection). */
  readonly peer: string;
  readonly at: number;
}

export type GrpcReply =
  | { readonly response?: Record<string, unknown> }
  | { readonly code: grpc.status; readonly message: string; readonly trailers?: grpc.Metadata }
  | 'hang';

export interface GrpcPeer {
  readonly url: string;
  readonly port: number;
  readonly calls: GrpcCall[];
  waitFor(n: number, ms?: number): Promise<void>;
  /** Closes every connection at once (no graceful drain). */
  kill(): Promise<void>;
}

const definition: grpc.ServiceDefinition = {
  Export: {
    path: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
    requestStream: false,
    responseStream: false,
    requestSerialize: (m: object) => Buffer.from(Req.encode(m).finish()),
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (m: object) => Buffer.from(Res.encode(m).finish()),
    responseDeserialize: (b: Buffer) => Res.decode(b),
  },
};

/** With `tls` (PEM certificate chain and key) the peer speaks TLS and its url is https://. */
export async function startGrpcPeer(reply: (call: GrpcCall, index: number) => GrpcReply = () => ({}), port = 0, tls?: { cert: Buffer; key: Buffer }): Promise<GrpcPeer> {
  const calls: GrpcCall[] = [];
  const waiters: (() => void)[] = [];
  const server = new grpc.Server();
  const hanging: (() => void)[] = [];
  server.addService(definition, {
    Export: (call: grpc.ServerUnaryCall<Buffer, object>, callback: grpc.sendUnaryData<object>) => {
      const metadata: Record<string, string> = {};
      for (const [k, v] of Object.entries(call.metadata.getMap())) metadata[k] = String(v);
      const rec: GrpcCall = { request: Req.decode(call.request), bytes: call.request, metadata, peer: call.getPeer(), at: Date.now() };
      const index = calls.push(rec) - 1;
      for (const w of waiters.splice(0)) w();
      const r = reply(rec, index);
      if (r === 'hang') {
        hanging.push(() => callback({ code: grpc.status.CANCELLED, details: 'peer closing' }));
        return;
      }
      if ('message' in r) callback({ code: r.code, details: r.message, metadata: r.trailers });
      else callback(null, Res.fromObject(r.response ?? {}));
    },
  });
  const bound = await new Promise<number>((resolve, reject) => {
    const creds = tls === undefined ? grpc.ServerCredentials.createInsecure() : grpc.ServerCredentials.createSsl(null, [{ cert_chain: tls.cert, private_key: tls.key }]);
    server.bindAsync(`127.0.0.1:${port}`, creds, (err, p) => (err === null ? resolve(p) : reject(err)));
  });
  return {
    url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${bound}`,
    port: bound,
    calls,
    async waitFor(n, ms = 10_000) {
      const end = Date.now() + ms;
      while (calls.length < n) {
        const left = end - Date.now();
        if (left <= 0) throw new Error(`gRPC peer got ${calls.length} calls, expected ${n}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    },
    kill() {
      for (const h of hanging.splice(0)) h();
      server.forceShutdown();
      return Promise.resolve();
    },
  };
}

/** Trailing metadata carrying a google.rpc.Status with one RetryInfo detail of `seconds` (encoded by hand). */
export function retryInfoTrailers(code: grpc.status, message: string, seconds: number): grpc.Metadata {
  const duration = Buffer.from([0x08, seconds]); // Duration{seconds}
  const retryInfo = Buffer.concat([Buffer.from([0x0a, duration.length]), duration]); // RetryInfo{retry_delay}
  const type = Buffer.from('type.googleapis.com/google.rpc.RetryInfo');
  const any = Buffer.concat([Buffer.from([0x0a, type.length]), type, Buffer.from([0x12, retryInfo.length]), retryInfo]);
  const msg = Buffer.from(message);
  const status = Buffer.concat([Buffer.from([0x08, code, 0x12, msg.length]), msg, Buffer.from([0x1a, any.length]), any]);
  const md = new grpc.Metadata();
  md.set('grpc-status-details-bin', status);
  return md;
}
