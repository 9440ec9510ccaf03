/**
 * `--web HOST:PORT`: the web view on a listener of its own, for when no Prometheus endpoint is wanted. It
 * serves the view's paths only; requests are bounded as on the Prometheus listener (header and request
 * timeouts, a small header limit, no bodies, an idle timeout, a connection cap), so a bad client cannot hurt
 * collection. `--web-config` applies here as on the Prometheus endpoint (the same GuardedListener): TLS, basic
 * auth and headers on every path, and the file re-read when it changes.
 */
import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Sink, SinkContext, Snapshot } from '../../plugin/sink.js';
import { GuardedListener, type WebConfigFile } from '../http/guarded-listener.js';
import { WebViewSink, type WebViewOptions } from './sink.js';

export interface WebListenerOptions extends WebViewOptions {
  readonly host: string;
  /** 0 picks a free port (see `address()`). */
  readonly port: number;
  /** Connections served at once (each open page holds one). Default 64. */
  readonly maxConnections?: number;
  /** The exporter toolkit's web config (TLS, basic auth, headers), as for the Prometheus endpoint. */
  readonly webConfig?: WebConfigFile;
}

export class WebListenerSink implements Sink {
  readonly name = 'web';
  readonly view: WebViewSink;
  private readonly opts: WebListenerOptions;
  private server: Server | undefined;
  private listener: GuardedListener | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(opts: WebListenerOptions) {
    this.opts = opts;
    this.view = new WebViewSink({ ...opts, metricsPath: null, requireAssets: true });
  }

  async start(ctx: SinkContext): Promise<void> {
    await this.view.start(ctx);
    const listener = new GuardedListener(
      this.opts.webConfig,
      { maxHeaderSize: 8192, headersTimeout: 5000, requestTimeout: 10_000, connectionsCheckingInterval: 1000 },
      (req, res) => {
        const method = req.method ?? '';
        const url = req.url ?? '/';
        const q = url.indexOf('?');
        const path = q < 0 ? url : url.slice(0, q);
        if (method !== 'GET' && method !== 'HEAD') return plain(res, 405, `method ${method} not allowed; use GET or HEAD\n`, { Allow: 'GET, HEAD', Connection: 'close' });
        if ((req.headers['content-length'] ?? '0') !== '0' || req.headers['transfer-encoding'] !== undefined) return plain(res, 413, 'request bodies are not accepted\n', { Connection: 'close' });
        if (!this.view.handle(req, res, path, method === 'HEAD')) plain(res, 404, 'not found; the web view is at /\n');
      },
      {
        // A client hanging up mid-handshake is not worth a line.
        tlsError: (err) => {
          const code = (err as NodeJS.ErrnoException).code;
          if (code !== 'ECONNRESET') ctx.log.once('web:tls', `web: TLS handshake refused (${code ?? err.message})`);
        },
        reloaded: (file) => ctx.log.info(`web: web config ${file} reloaded`),
        problem: (msg) => ctx.log.error(`web: ${msg}; keeping the running config`),
      },
    );
    this.listener = listener;
    const server = listener.server;
    server.maxConnections = this.opts.maxConnections ?? 64;
    server.setTimeout(30_000, (socket: Socket) => socket.destroy());
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    const { host, port } = this.opts;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(new Error(`web: listen tcp ${host.includes(':') ? `[${host}]` : host}:${port}: ${err.code === 'EADDRINUSE' ? 'address already in use' : err.message}`)));
      server.listen(port, host, () => resolve());
    });
    server.removeAllListeners('error');
    server.on('error', (err) => ctx.log.once('web:listener', `web: ${err.message}`));
    this.server = server;
    listener.watch();
    const a = this.address();
    ctx.log.info(`web: serving the web view at ${listener.tls ? 'https' : 'http'}://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}/`);
  }

  flush(s: Snapshot): void {
    this.view.flush(s);
  }

  /** Where the listener is bound (the real port when started with port 0). */
  address(): { host: string; port: number } {
    const a = this.server?.address();
    if (a === null || a === undefined || typeof a === 'string') throw new Error('web listener is not listening');
    return { host: a.address, port: a.port };
  }

  async close(): Promise<void> {
    await this.view.close();
    this.listener?.stopWatching();
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}

function plain(res: ServerResponse, status: number, text: string, headers: Readonly<Record<string, string>> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers }).end(text);
}
