/**
 * A client for the scx_stats protocol over its UNIX stream socket: one persistent connection, one request in
 * flight at a time (the server answers in order), every step bounded in time (connect, write, read) and every
 * response line bounded in size, so a hung or babbling scheduler costs at most a timeout and a fixed amount
 * of memory. After any I/O or protocol failure the connection is closed; callers reconnect (with backoff).
 */
import { createConnection, type Socket } from 'node:net';
import {
  ScxStatsProtocolError,
  checkMeta,
  decodeResponse,
  encodeRequest,
  type StatsMeta,
} from './protocol.js';

/** Where scx schedulers serve stats (scx_stats' base, scheduler and stats paths joined). */
export const DEFAULT_SCX_STATS_PATH = '/var/run/scx/root/stats';

export interface ScxStatsClientOptions {
  /** The server's socket path. Default /var/run/scx/root/stats. */
  readonly path?: string;
  /** Milliseconds to wait for the connection. Default 1000. */
  readonly connectTimeoutMs?: number;
  /** Milliseconds for a request line to be handed to the kernel. Default 1000. */
  readonly writeTimeoutMs?: number;
  /** Milliseconds from the request being written to the whole response line arriving. Default 1000. */
  readonly readTimeoutMs?: number;
  /** Longest response line accepted, in bytes. Default 4 MiB. */
  readonly maxLineBytes?: number;
}

/** A connect, write or read that did not finish in time. */
export class ScxStatsTimeoutError extends Error {
  override name = 'ScxStatsTimeoutError';
}

/** The server is not there (no socket file, or nobody listening): the scheduler is not running yet, or restarting. */
export class ScxStatsUnavailableError extends Error {
  override name = 'ScxStatsUnavailableError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** A request encoded once (see `prepare`). */
export interface PreparedRequest {
  readonly req: string;
  readonly line: Buffer;
}

interface Pending {
  readonly req: string;
  readonly resolve: (line: string) => void;
  readonly reject: (err: Error) => void;
  /** The write timer, while a write waits for the kernel to take it. */
  timer: NodeJS.Timeout | undefined;
  /** Written; waiting for the answer under the read deadline. */
  reading: boolean;
}

export class ScxStatsClient {
  readonly path: string;
  private readonly connectTimeoutMs: number;
  private readonly writeTimeoutMs: number;
  private readonly readTimeoutMs: number;
  private readonly maxLineBytes: number;
  private socket: Socket | undefined;
  private pending: Pending | undefined;
  /** Parts of a response line received so far (without a newline yet), and their total size. */
  private parts: Buffer[] = [];
  private partBytes = 0;
  /** A request is in flight; others wait in `waiting`, in order. */
  private busy = false;
  private readonly waiting: (() => void)[] = [];
  private readTimer: NodeJS.Timeout | undefined;

  constructor(opts: ScxStatsClientOptions = {}) {
    this.path = opts.path ?? DEFAULT_SCX_STATS_PATH;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 1000;
    this.writeTimeoutMs = opts.writeTimeoutMs ?? 1000;
    this.readTimeoutMs = opts.readTimeoutMs ?? 1000;
    this.maxLineBytes = opts.maxLineBytes ?? 4 * 1024 * 1024;
  }

  /** True while a connection is open. */
  get connected(): boolean {
    return this.socket !== undefined;
  }

  /** Opens the connection (closing any previous one). Rejects with ScxStatsUnavailableError when nobody serves the path. */
  connect(): Promise<void> {
    this.close();
    return new Promise<void>((resolve, reject) => {
      const sock = createConnection({ path: this.path });
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new ScxStatsTimeoutError(`connecting to ${this.path} took longer than ${this.connectTimeoutMs} ms`));
      }, this.connectTimeoutMs);
      sock.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(connectError(this.path, err));
      });
      sock.once('connect', () => {
        clearTimeout(timer);
        sock.removeAllListeners('error');
        this.adopt(sock);
        resolve();
      });
    });
  }

  /**
   * Encodes a request once, for callers that send the same one every interval (the source). Returns what
   * `send` takes.
   */
  prepare(req: string, args: Readonly<Record<string, string>> = {}): PreparedRequest {
    return { req, line: Buffer.from(encodeRequest(req, sortedArgs(args))) };
  }

  /** Sends one request and resolves to its `resp`. Throws ScxStatsErrnoError, ScxStatsProtocolError, ScxStatsTimeoutError or an I/O error. */
  request(req: string, args: Readonly<Record<string, string>> = {}): Promise<unknown> {
    return this.send(this.prepare(req, args));
  }

  /** Sends a prepared request; requests made while one is in flight wait their turn. */
  send(p: PreparedRequest): Promise<unknown> {
    if (!this.busy) return this.run(p);
    return new Promise<void>((resolve) => this.waiting.push(resolve)).then(() => this.run(p));
  }

  /** `stats` for a target (default `top`) with extra string args (e.g. lavd's `nr_samples`). */
  stats(target = 'top', args: Readonly<Record<string, string>> = {}): Promise<unknown> {
    return this.request('stats', { ...args, target });
  }

  /** `stats_meta`, checked for the documented shape. */
  async statsMeta(): Promise<StatsMeta> {
    return checkMeta(await this.request('stats_meta'));
  }

  /** Closes the connection; a request in flight fails with "connection closed". */
  close(): void {
    const sock = this.socket;
    if (sock === undefined) return;
    this.socket = undefined;
    sock.destroy();
    this.fail(new Error(`connection to ${this.path} closed`));
  }

  private run(p: PreparedRequest): Promise<unknown> {
    this.busy = true;
    return this.roundTrip(p.line, p.req).then(
      (line) => {
        this.release();
        return decodeResponse(line, p.req);
      },
      (err: unknown) => {
        this.release();
        throw err;
      },
    );
  }

  /** Hands the connection to the next waiting request, if any (busy stays set for it). */
  private release(): void {
    const next = this.waiting.shift();
    if (next !== undefined) next();
    else this.busy = false;
  }

  /** Writes one request line and resolves to the raw response line. */
  private roundTrip(line: Buffer, req: string): Promise<string> {
    const sock = this.socket;
    if (sock === undefined) return Promise.reject(new Error(`not connected to ${this.path}`));
    return new Promise<string>((resolve, reject) => {
      const pending: Pending = { req, resolve, reject, timer: undefined, reading: false };
      this.pending = pending;
      sock.write(line);
      if (sock.writableLength === 0) {
        // Handed to the kernel already (the usual case): only the read is left to time.
        this.startRead(pending);
        return;
      }
      pending.timer = setTimeout(() => this.abort(new ScxStatsTimeoutError(`writing "${req}" to ${this.path} took longer than ${this.writeTimeoutMs} ms`)), this.writeTimeoutMs);
      sock.once('drain', () => {
        if (this.pending !== pending) return;
        clearTimeout(pending.timer);
        this.startRead(pending);
      });
    });
  }

  /**
   * Starts the read deadline. One timer serves every request: it is re-armed with `refresh()` (no new
   * timer per request) and, when it fires, fails the request only if one is still waiting for its answer.
   */
  private startRead(p: Pending): void {
    p.reading = true;
    if (this.readTimer === undefined) {
      this.readTimer = setTimeout(() => {
        const cur = this.pending;
        if (cur?.reading === true) this.abort(new ScxStatsTimeoutError(`no response to "${cur.req}" from ${this.path} within ${this.readTimeoutMs} ms`));
      }, this.readTimeoutMs);
      this.readTimer.unref();
    } else this.readTimer.refresh();
  }

  private adopt(sock: Socket): void {
    this.socket = sock;
    this.parts = [];
    this.partBytes = 0;
    sock.on('data', (chunk: Buffer) => this.onData(sock, chunk));
    sock.on('error', (err) => {
      if (this.socket === sock) this.abort(new Error(`connection to ${this.path} failed: ${err.message}`));
    });
    sock.on('close', () => {
      if (this.socket === sock) this.abort(new Error(`connection closed by the server at ${this.path} (EOF)`));
    });
  }

  private onData(sock: Socket, chunk: Buffer): void {
    if (this.socket !== sock) return;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) {
        this.partBytes += chunk.length - start;
        if (this.partBytes > this.maxLineBytes) {
          this.abort(new ScxStatsProtocolError(`response line from ${this.path} is longer than ${this.maxLineBytes} bytes; connection dropped`));
          return;
        }
        if (start < chunk.length) this.parts.push(start === 0 ? chunk : chunk.subarray(start));
        return;
      }
      if (this.partBytes + (nl - start) > this.maxLineBytes) {
        this.abort(new ScxStatsProtocolError(`response line from ${this.path} is longer than ${this.maxLineBytes} bytes; connection dropped`));
        return;
      }
      let line: string;
      if (this.parts.length === 0) line = chunk.toString('utf8', start, nl);
      else {
        this.parts.push(chunk.subarray(start, nl));
        line = Buffer.concat(this.parts).toString('utf8');
        this.parts = [];
        this.partBytes = 0;
      }
      start = nl + 1;
      const p = this.pending;
      if (p === undefined) {
        this.abort(new ScxStatsProtocolError(`${this.path} sent a line nobody asked for; connection dropped`));
        return;
      }
      clearTimeout(p.timer);
      this.pending = undefined;
      p.resolve(line);
    }
  }

  /** Fails the request in flight and closes the connection: after a timeout or a bad line nothing that follows can be trusted. */
  private abort(err: Error): void {
    const sock = this.socket;
    this.socket = undefined;
    sock?.destroy();
    this.parts = [];
    this.partBytes = 0;
    this.fail(err);
  }

  private fail(err: Error): void {
    const p = this.pending;
    if (p === undefined) return;
    this.pending = undefined;
    clearTimeout(p.timer);
    p.reject(err);
  }
}

/** Args with sorted keys, as the Rust client's BTreeMap sends them. */
function sortedArgs(args: Readonly<Record<string, string>>): Record<string, string> {
  const keys = Object.keys(args);
  if (keys.length < 2) return args;
  const out: Record<string, string> = {};
  for (const k of keys.sort()) out[k] = args[k] as string;
  return out;
}

function connectError(path: string, err: NodeJS.ErrnoException): Error {
  if (err.code === 'ENOENT') return new ScxStatsUnavailableError(`no stats socket at ${path} (ENOENT): no scx scheduler serving stats there yet`, err.code);
  if (err.code === 'ECONNREFUSED') return new ScxStatsUnavailableError(`nothing listening on ${path} (ECONNREFUSED): the scheduler is not running or restarting`, err.code);
  return new Error(`cannot connect to ${path}: ${err.message}`);
}

/** Connects, asks for `stats_meta` and closes: whether a stats server answers at `path`, and what it serves. */
export async function probeScxStats(path: string, timeoutMs = 500): Promise<StatsMeta> {
  const c = new ScxStatsClient({ path, connectTimeoutMs: timeoutMs, readTimeoutMs: timeoutMs, writeTimeoutMs: timeoutMs });
  try {
    await c.connect();
    return await c.statsMeta();
  } finally {
    c.close();
  }
}

export { ScxStatsProtocolError };
