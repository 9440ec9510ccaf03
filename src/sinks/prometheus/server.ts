/**
 * The Prometheus pull sink: a node:http listener that renders the registry on each scrape of /metrics, in
 * the format the Accept header asks for, gzipped when Accept-Encoding takes it.
 *
 * The listener is hardened so a bad client cannot hurt collection: header and request timeouts (checked every
 * second, not Node's default 30 s), a small header limit, no request bodies, an idle timeout for clients that
 * stop reading, and a connection cap within the fd budget that makes room by closing the oldest connection
 * without a request in progress, so a flood of slow clients cannot keep a scrape out (connections.ts). An
 * optional web config (../http/) adds TLS, basic auth and headers in front of every path. Rendering
 * is synchronous and cheap (cached line bytes, written into a reused buffer); gzip runs on libuv's thread pool.
 *
 * Paths: `/metrics` the exposition (GET and HEAD), `/` a small HTML index, anything else 404 with a hint;
 * other methods 405, requests with a body 413. Errors while serving (render or gzip failures, malformed,
 * oversized or timed-out requests) count in `scx_metrics_sink_errors_total{sink="prometheus"}`.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { gzip } from 'node:zlib';
import { healthStats } from '../../health.js';
import { errorMessage, type Logger } from '../../support/log.js';
import type { CounterSeries, Registry } from '../../registry/index.js';
import type { Sink, SinkContext } from '../../plugin/sink.js';
import type { ExpositionFormat } from './format.js';
import { ConnectionTable, defaultConnectionLimit } from './connections.js';
import { acceptsGzip, negotiateFormat, type FormatName } from './negotiate.js';
import { OpenMetricsRenderer } from './openmetrics.js';
import { SeriesLabels } from './series-labels.js';
import { Text004Renderer } from './text-004.js';
import { GuardedListener, type WebConfigFile } from '../http/guarded-listener.js';

export interface PrometheusSinkOptions {
  /** Address to listen on. Default `0.0.0.0`. */
  readonly host?: string;
  /** Port; 0 picks a free one (see `address()`). Default 9000. */
  readonly port?: number;
  /** Path of the exposition. Default `/metrics`. */
  readonly path?: string;
  /** Time a client gets to send its request headers. Default 5000 ms. */
  readonly headersTimeoutMs?: number;
  /** Time a client gets to send its whole request. Default 10000 ms. */
  readonly requestTimeoutMs?: number;
  /** A connection with no traffic for this long is closed (a client that stopped reading). Default 30000 ms. */
  readonly idleTimeoutMs?: number;
  /** Largest request head accepted, bytes; larger gets 431. Default 8192. */
  readonly maxHeaderSize?: number;
  /**
   * Connections held at once. At the cap the one that has waited longest without a request in progress is
   * closed to make room; only when all are mid-request is a new one refused. Default: a quarter of the
   * open-file limit, between 64 and 4096.
   */
  readonly maxConnections?: number;
  /** More paths on this listener (the web view at `/`), tried before the built-in index and 404. */
  readonly routes?: PrometheusRoutes;
  /**
   * The exporter toolkit's web config (TLS, basic auth, headers): `file` is re-read when it changes;
   * `config`, when given, is its already checked content (else start() reads it and rejects on a problem).
   */
  readonly webConfig?: WebConfigFile;
}

/** Extra paths on the listener: `handle` answers a GET or HEAD without a body and returns true, or returns false. */
export interface PrometheusRoutes {
  handle(req: IncomingMessage, res: ServerResponse, path: string, head: boolean): boolean;
}

const TEXT = 'text/plain; charset=utf-8';
const INDEX_HTML =
  '<!doctype html>\n<html><head><meta charset="utf-8"><title>scx-metrics</title></head>\n<body><h1>scx-metrics</h1>\n' +
  '<p><a href="{path}">{path}</a>: sched_ext scheduler stats for Prometheus (text 0.0.4 or OpenMetrics 1.0, by Accept header)</p>\n' +
  '</body></html>\n';

/** Go's wording for the listen errors people meet, so the message reads like other exporters'. */
const LISTEN_ERRORS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied',
  EADDRNOTAVAIL: 'cannot assign requested address',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'host lookup failed',
};

export class PrometheusSink implements Sink {
  readonly name = 'prometheus';
  private readonly opts: PrometheusSinkOptions;
  private readonly formats: Readonly<Record<FormatName, ExpositionFormat>>;
  private registry: Registry | undefined;
  private log: Logger | undefined;
  private errors: CounterSeries | undefined;
  private server: Server | undefined;
  private closing = false;
  /** Every connection, and which have a request in progress: close() lets those finish (up to its deadline). */
  private connections: ConnectionTable | undefined;
  private listener: GuardedListener | undefined;
  /** Output buffers reused across scrapes (allocating the whole exposition each time costs page faults). */
  private readonly spare: Buffer[] = [];
  /** Connections already answered by clientError: later errors on them are echoes, not new faults. */
  private readonly answered = new WeakSet<Duplex>();

  constructor(opts: PrometheusSinkOptions = {}) {
    this.opts = opts;
    const labels = new SeriesLabels();
    this.formats = { 'text-0.0.4': new Text004Renderer(labels), 'openmetrics-1.0.0': new OpenMetricsRenderer(labels) };
  }

  /** Listens; rejects with `listen tcp HOST:PORT: <reason>` when it cannot (port in use). */
  async start(ctx: SinkContext): Promise<void> {
    this.registry = ctx.registry;
    this.log = ctx.log;
    this.errors = ctx.registry.family(healthStats.stats.sink_errors).with({ sink: this.name });
    const o = this.opts;
    const headersTimeout = o.headersTimeoutMs ?? 5000;
    const listener = new GuardedListener(
      o.webConfig,
      {
        maxHeaderSize: o.maxHeaderSize ?? 8192,
        headersTimeout,
        requestTimeout: Math.max(headersTimeout, o.requestTimeoutMs ?? 10_000),
        // Node checks the two timeouts above only this often (30 s by default).
        connectionsCheckingInterval: Math.min(1000, headersTimeout),
      },
      (req, res) => this.handle(req, res),
      {
        // A client hanging up mid-handshake is not an error of ours (as in clientError).
        tlsError: (err) => {
          if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') this.fail('tls', err, `TLS handshake refused (${(err as NodeJS.ErrnoException).code ?? err.message})`);
        },
        reloaded: (file) => this.log?.info(`prometheus: web config ${file} reloaded`),
        problem: (msg) => this.log?.error(`prometheus: ${msg}; keeping the running config`),
      },
      (req, res) => this.track(req, res),
    );
    this.listener = listener;
    const server = listener.server;
    const connections = new ConnectionTable(o.maxConnections ?? defaultConnectionLimit());
    this.connections = connections;
    server.keepAliveTimeout = 5000;
    server.setTimeout(o.idleTimeoutMs ?? 30_000, (socket: Socket) => socket.destroy());
    server.on('connection', (socket: Socket) => {
      const outcome = connections.admit(socket);
      if (outcome === 'evicted-oldest') this.fail('evict', undefined, `${connections.limit} connections open: closing the oldest without a request in progress for each new one`);
      else if (outcome === 'refused') this.fail('refuse', undefined, `${connections.limit} connections open, all with a request in progress: refusing new ones`);
    });
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.clientError(err, socket));
    const host = o.host ?? '0.0.0.0';
    const port = o.port ?? 9000;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
        reject(new Error(`prometheus: listen tcp ${where}: ${LISTEN_ERRORS[err.code ?? ''] ?? err.message}`));
      };
      server.once('error', onError);
      // A deep accept queue (Node's default is 511; the kernel caps it at net.core.somaxconn, 4096 on current
      // kernels): when a flood reconnects in a burst, a full queue makes the kernel drop a scrape's SYN, and
      // the client retries only after a second.
      server.listen({ port, host, backlog: Math.max(4096, connections.limit) }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    // A listener error after start (rare: the socket is already bound) is logged, not thrown into the loop.
    server.on('error', (err) => this.fail('listener', err));
    this.server = server;
    listener.watch();
    const a = this.address();
    const scheme = listener.tls ? 'https' : 'http';
    this.log.info(`prometheus: serving ${scheme}://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}${this.path}`);
  }

  /** Where the listener is bound (the real port when started with port 0). */
  address(): { host: string; port: number } {
    const a = this.server?.address();
    if (a === null || a === undefined || typeof a === 'string') throw new Error('prometheus sink is not listening');
    return { host: a.address, port: a.port };
  }

  /**
   * Stops listening, drops idle and half-sent connections at once, lets responses in progress finish for up
   * to `deadlineMs`, then closes whatever is left.
   */
  async close(deadlineMs: number): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    this.closing = true;
    this.listener?.stopWatching();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    this.connections?.closeWaiting();
    const timer = setTimeout(() => this.connections?.closeAll(), Math.max(0, deadlineMs));
    await closed;
    clearTimeout(timer);
  }

  private get path(): string {
    return this.opts.path ?? '/metrics';
  }

  /** Marks the connection busy until the response is done (a busy one is not evicted; close() waits for it). */
  private track(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket;
    this.connections?.requestStarted(socket);
    res.once('close', () => {
      if (this.closing) socket.destroy();
      else this.connections?.requestDone(socket);
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.closing) res.setHeader('Connection', 'close');
    try {
      const method = req.method ?? '';
      if (method !== 'GET' && method !== 'HEAD') {
        // The body, if any, is not read: close the connection instead of parsing it as the next request.
        res.setHeader('Allow', 'GET, HEAD');
        res.setHeader('Connection', 'close');
        this.reply(res, 405, TEXT, `method ${method} not allowed; use GET or HEAD\n`);
        return;
      }
      const length = req.headers['content-length'];
      if ((length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined) {
        res.setHeader('Connection', 'close');
        this.reply(res, 413, TEXT, 'request bodies are not accepted\n');
        return;
      }
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      const head = method === 'HEAD';
      if (path === this.path) this.serveMetrics(req, res, head);
      else if (this.opts.routes?.handle(req, res, path, head) === true) return;
      else if (path === '/') this.reply(res, 200, 'text/html; charset=utf-8', head ? '' : INDEX_HTML.replaceAll('{path}', this.path), head);
      else this.reply(res, 404, TEXT, `not found; metrics are served at ${this.path}\n`, head);
    } catch (err) {
      this.fail('serve', err);
      if (!res.headersSent) this.reply(res, 500, TEXT, 'internal error\n');
      else res.destroy();
    }
  }

  private serveMetrics(req: IncomingMessage, res: ServerResponse, head: boolean): void {
    const format = this.formats[negotiateFormat(req.headers.accept)];
    const registry = this.registry as Registry;
    let body: Buffer;
    try {
      const scratch = this.takeBuffer(format.maxBytes(registry));
      // The body is a view of scratch: it goes back to the spares only when the response is done with it.
      res.once('close', () => this.giveBack(scratch));
      body = format.renderInto(registry, scratch);
    } catch (err) {
      this.fail('render', err);
      this.reply(res, 500, TEXT, `cannot render metrics: ${errorMessage(err)}\n`);
      return;
    }
    res.setHeader('Vary', 'Accept, Accept-Encoding');
    if (!acceptsGzip(req.headers['accept-encoding'])) {
      this.send(res, 200, format.contentType, body, head);
      return;
    }
    gzip(body, (err, zipped) => {
      if (err !== null) {
        this.fail('gzip', err);
        this.reply(res, 500, TEXT, 'cannot compress metrics\n');
        return;
      }
      res.setHeader('Content-Encoding', 'gzip');
      this.send(res, 200, format.contentType, zipped, head);
    });
  }

  /** A spare output buffer of at least `size` bytes, or a new one with room to grow. */
  private takeBuffer(size: number): Buffer {
    const b = this.spare.pop();
    return b !== undefined && b.length >= size ? b : Buffer.allocUnsafeSlow(size + (size >> 3));
  }

  private giveBack(b: Buffer): void {
    // Two spares cover a scrape in flight while the next one renders; more would only hold memory.
    if (this.spare.length < 2) this.spare.push(b);
  }

  private reply(res: ServerResponse, status: number, type: string, text: string, head = false): void {
    this.send(res, status, type, Buffer.from(text, 'utf8'), head);
  }

  private send(res: ServerResponse, status: number, type: string, body: Buffer, head: boolean): void {
    if (res.destroyed) return;
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': body.length });
    if (head) res.end();
    else res.end(body);
  }

  /**
   * Malformed, oversized or timed-out requests: answer as Node would, count, close. A client hanging up (reset,
   * or closing mid-request) is not an error of ours, and neither is what its connection reports after we
   * answered it.
   */
  private clientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || err.code === 'HPE_INVALID_EOF_STATE' || this.answered.has(socket)) {
      socket.destroy();
      return;
    }
    this.answered.add(socket);
    this.fail('request', err, `bad or slow request from a client (${err.code ?? err.message})`);
    // Only answer when no response has started on this connection (Node's own default makes the same check).
    const started = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
    if (!socket.writable || started) {
      socket.destroy();
      return;
    }
    const status =
      err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }

  private fail(what: string, err: unknown, msg = errorMessage(err)): void {
    this.errors?.inc();
    this.log?.once(`prometheus:${what}`, `prometheus: ${msg}`);
  }
}
