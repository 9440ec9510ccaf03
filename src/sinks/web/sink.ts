/**
 * The web view sink: after each collection it encodes one frame (frames.ts), keeps the last `window` of
 * them, and sends it to every page connected to `/api/events` as a server-sent event. It serves the page
 * itself too; it has no listener of its own: the Prometheus listener routes to it (`handle`), and so does
 * `--web HOST:PORT`'s (listener.ts).
 *
 * Routes: `/` the page, `/assets/NAME` its files, `/api/events` the event stream (protocol.ts).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { healthStats } from '../../health.js';
import { errorMessage, type Logger } from '../../support/log.js';
import type { CounterSeries, Registry } from '../../registry/index.js';
import { VERSION } from '../../support/version.js';
import type { Sink, SinkContext, Snapshot } from '../../plugin/sink.js';
import { loadAssets, type Asset } from './assets.js';
import { FrameEncoder } from './frames.js';
import { PROTOCOL_VERSION, type HelloEvent } from './protocol.js';
import { StatusTracker } from './status.js';

export interface WebViewOptions {
  /** Collection intervals kept for a page that connects (and by the page). Default 300. */
  readonly window?: number;
  /** The agent's interval, told to the page (it says "no data for N intervals" by it). */
  readonly intervalSeconds?: number;
  /** Path of /metrics on the same listener, linked from the page; null when there is none. */
  readonly metricsPath?: string | null;
  /** Where the page's files are; default: beside this module, where the build puts them. */
  readonly assetDir?: string;
  /** Seconds between comments sent on an idle stream, so proxies and idle timeouts keep it. Default 10. */
  readonly heartbeatSeconds?: number;
  /**
   * True: start() fails when the page was not built (`--web`, which exists only for the page). False (the
   * Prometheus listener): a warning, and `/` stays the listener's plain index.
   */
  readonly requireAssets?: boolean;
}

/** A page that stopped reading holds at most this much; then its stream is closed (it reconnects). */
const MAX_PENDING_BYTES = 4 * 1024 * 1024;

export class WebViewSink implements Sink {
  readonly name = 'web';
  private readonly opts: WebViewOptions;
  private readonly encoder = new FrameEncoder();
  private readonly status = new StatusTracker();
  private readonly id = randomBytes(8).toString('hex');
  private readonly startedMs = Date.now();
  private assets: ReadonlyMap<string, Asset> = new Map();
  private log: Logger | undefined;
  private errors: CounterSeries | undefined;
  /** Schemas by id, for the frames in the window and the current one. */
  private readonly schemas = new Map<number, string>();
  private currentSchema = 0;
  /** The window: serialized frames and the schema each follows, oldest first. */
  private readonly frames: { schemaId: number; text: string }[] = [];
  private readonly streams = new Set<ServerResponse>();
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(opts: WebViewOptions = {}) {
    this.opts = opts;
  }

  get window(): number {
    return this.opts.window ?? 300;
  }

  /** Pages connected now. */
  get clients(): number {
    return this.streams.size;
  }

  async start(ctx: SinkContext): Promise<void> {
    this.log = ctx.log;
    this.errors = ctx.registry.family(healthStats.stats.sink_errors).with({ sink: this.name });
    try {
      this.assets = loadAssets(this.opts.assetDir);
    } catch (err) {
      if (this.opts.requireAssets === true) throw err;
      ctx.log.warn(errorMessage(err));
    }
    this.heartbeat = setInterval(() => this.broadcast(': keep-alive\n\n'), (this.opts.heartbeatSeconds ?? 10) * 1000);
    this.heartbeat.unref();
  }

  flush(s: Snapshot): void {
    this.encode(s.registry, s.timeMs, s.intervalSeconds);
  }

  /**
   * Encodes one collection and sends it to every page; what `flush` does. Public for benchmarks, which time
   * it against rendering /metrics.
   */
  encode(registry: Registry, timeMs: number, intervalSeconds: number): void {
    const out = this.encoder.encode(registry, timeMs, intervalSeconds);
    if (out.schema !== undefined) {
      this.schemas.set(out.schemaId, out.schema);
      this.currentSchema = out.schemaId;
      this.broadcast(event('schema', out.schema));
    }
    const status = this.status.update(registry, timeMs);
    if (status !== undefined) this.broadcast(event('status', status));
    if (out.frame === undefined) return;
    this.frames.push({ schemaId: out.schemaId, text: out.frame });
    if (this.frames.length > this.window) {
      const gone = this.frames.shift();
      if (gone !== undefined && gone.schemaId !== this.currentSchema && this.frames[0]?.schemaId !== gone.schemaId) this.schemas.delete(gone.schemaId);
    }
    this.broadcast(event('frame', out.frame));
  }

  /**
   * Serves the view's paths; returns false for any other path (the listener answers it). Only GET and HEAD
   * without a body reach here.
   */
  handle(req: IncomingMessage, res: ServerResponse, path: string, head: boolean): boolean {
    if (path === '/') return this.serveAsset(res, 'index.html', head);
    if (path.startsWith('/assets/')) return this.serveAsset(res, path.slice('/assets/'.length), head);
    if (path !== '/api/events') return false;
    if (head) {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' }).end();
      return true;
    }
    this.openStream(req, res);
    return true;
  }

  async close(): Promise<void> {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    for (const res of this.streams) res.end();
    this.streams.clear();
  }

  private serveAsset(res: ServerResponse, name: string, head: boolean): boolean {
    const a = this.assets.get(name);
    if (a === undefined) return false;
    // Revalidated on each load so a new agent's page is never mixed with an old one's scripts.
    res.writeHead(200, { 'Content-Type': a.type, 'Content-Length': a.body.length, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
    if (head) res.end();
    else res.end(a.body);
    return true;
  }

  private openStream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' });
    req.socket.setNoDelay(true);
    const hello: HelloEvent = {
      protocol: PROTOCOL_VERSION,
      agent: { id: this.id, version: VERSION, startedMs: this.startedMs },
      intervalSeconds: this.opts.intervalSeconds ?? 0,
      window: this.window,
      metricsPath: this.opts.metricsPath ?? null,
    };
    // retry: how soon the browser reconnects after the agent goes away (its default is 3 s).
    let backlog = `retry: 1000\n\n${event('hello', JSON.stringify(hello))}`;
    let schemaId = -1;
    for (const f of this.frames) {
      if (f.schemaId !== schemaId) {
        schemaId = f.schemaId;
        backlog += event('schema', this.schemas.get(schemaId) ?? '');
      }
      backlog += event('frame', f.text);
    }
    if (schemaId !== this.currentSchema && this.schemas.has(this.currentSchema)) backlog += event('schema', this.schemas.get(this.currentSchema) ?? '');
    if (this.status.current !== '') backlog += event('status', this.status.current);
    res.write(backlog);
    this.streams.add(res);
    res.once('close', () => this.streams.delete(res));
    res.on('error', (err) => this.fail(err));
  }

  private broadcast(text: string): void {
    for (const res of this.streams) {
      if (res.writableLength > MAX_PENDING_BYTES) {
        this.log?.once('web:slow', 'web view: a page stopped reading; its stream is closed (it reconnects)');
        res.destroy();
        continue;
      }
      res.write(text);
    }
  }

  private fail(err: unknown): void {
    this.errors?.inc();
    this.log?.once('web:stream', `web view: ${errorMessage(err)}`);
  }
}

/** One server-sent event; `data` is one line of JSON. */
function event(name: string, data: string): string {
  return `event: ${name}\ndata: ${data}\n\n`;
}
