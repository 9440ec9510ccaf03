/**
 * An scx_stats server written for the tests from the documented protocol (scx.md section 2): a UNIX
 * stream socket, one JSON request per line, `{"errno":N,"args":{"resp":V}}` per line back, keys sorted as
 * serde_json's BTreeMaps print them, NaN as null, errors as errno 22 with anyhow's debug text. Each
 * connection opens a target's reader lazily on its first `stats` request and keeps it, so every client gets
 * its own per-interval deltas, as real schedulers do. Knobs make it slow, hang, or send bad lines.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A target's reader for one connection: gets the request args, returns the value to send (or throws). */
export type Reader = (args: Readonly<Record<string, string>>) => unknown;
/** Opens a target for one connection (like scx_stats' StatsOps.open). */
export type Opener = () => Reader;

export interface TestServerOptions {
  readonly meta: unknown;
  readonly targets: Readonly<Record<string, Opener>>;
  /** Start with `hangUpOnAccept` set. */
  readonly hangUpOnAccept?: boolean;
}

/** serde_json's output for a value: object keys sorted (BTreeMap), non-finite numbers as null. */
export function serde(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (typeof x === 'number' && !Number.isFinite(x)) return null;
    if (typeof x === 'object' && x !== null && !Array.isArray(x)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(x).sort()) sorted[k] = (x as Record<string, unknown>)[k];
      return sorted;
    }
    return x;
  });
}

/** The text scx_stats puts in `resp` for an error with errno context (anyhow's `{:?}`). */
function anyhowText(errno: number, cause: string): string {
  return `${errno === 22 ? 'Invalid argument' : 'Error'} (os error ${errno})\n\nCaused by:\n    ${cause}`;
}

function rustDebugArgs(args: Record<string, unknown>): string {
  return `{${Object.keys(args)
    .sort()
    .map((k) => `${JSON.stringify(k)}: ${JSON.stringify(args[k])}`)
    .join(', ')}}`;
}

export class TestStatsServer {
  readonly path: string;
  private readonly dir: string | undefined;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  opts: TestServerOptions;
  /** Milliseconds to wait before each answer. */
  delayMs = 0;
  /** When true, requests are read but never answered. */
  hang = false;
  /** When true, each connection is counted and closed at once (a scheduler still starting up, or dying). */
  hangUpOnAccept: boolean;
  /** Lines sent (each followed by `\n`) instead of the next answers, one per request. */
  readonly injected: string[] = [];
  /** Every request line received, in order. */
  readonly requests: string[] = [];
  /** Connections accepted since creation. */
  connections = 0;
  /** Socket errors the server met (a client that hung up before reading everything: EPIPE, ECONNRESET). */
  readonly writeErrors: string[] = [];

  private constructor(path: string, dir: string | undefined, opts: TestServerOptions) {
    this.path = path;
    this.dir = dir;
    this.opts = opts;
    this.hangUpOnAccept = opts.hangUpOnAccept ?? false;
  }

  /** Starts a server in a fresh temporary directory (or at `path`). */
  static async start(opts: TestServerOptions, path?: string): Promise<TestStatsServer> {
    const dir = path === undefined ? mkdtempSync(join(tmpdir(), 'scx-stats-')) : undefined;
    const s = new TestStatsServer(path ?? join(dir as string, 'stats'), dir, opts);
    await s.listen();
    return s;
  }

  /** A path in a fresh temporary directory where nothing listens yet. */
  static freePath(): { path: string; cleanup(): void } {
    const dir = mkdtempSync(join(tmpdir(), 'scx-stats-'));
    return { path: join(dir, 'stats'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  }

  /** Listens (again), removing a stale socket file first, as scx_stats' launch() does. */
  async listen(): Promise<void> {
    try {
      unlinkSync(this.path);
    } catch {
      // not there
    }
    const server = createServer((sock) => this.serve(sock));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.path, () => resolve());
    });
    this.server = server;
  }

  /** Stops listening and drops every connection (the scheduler exited). */
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Stops, then listens again at the same path (a scheduler restart). */
  async restart(): Promise<void> {
    await this.stop();
    await this.listen();
  }

  async close(): Promise<void> {
    await this.stop();
    if (this.dir !== undefined) rmSync(this.dir, { recursive: true, force: true });
  }

  private serve(sock: Socket): void {
    this.connections++;
    if (this.hangUpOnAccept) {
      sock.destroy();
      return;
    }
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', (err: NodeJS.ErrnoException) => this.writeErrors.push(err.code ?? err.message));
    const readers = new Map<string, Reader>();
    let buf = '';
    let queue = Promise.resolve();
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        this.requests.push(line);
        queue = queue.then(() => this.answer(sock, line, readers));
      }
    });
  }

  private async answer(sock: Socket, line: string, readers: Map<string, Reader>): Promise<void> {
    if (this.hang) return;
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    const injected = this.injected.shift();
    const out = injected ?? serde(this.handle(line, readers));
    if (sock.destroyed) return;
    sock.write(`${out}\n`, (err) => {
      if (err) this.writeErrors.push((err as NodeJS.ErrnoException).code ?? err.message);
    });
  }

  private handle(line: string, readers: Map<string, Reader>): { errno: number; args: { resp: unknown } } {
    const fail = (errno: number, cause: string): { errno: number; args: { resp: unknown } } => ({ errno, args: { resp: anyhowText(errno, cause) } });
    let req: { req?: unknown; args?: Record<string, unknown> };
    try {
      req = JSON.parse(line) as typeof req;
    } catch {
      return { errno: 22, args: { resp: `expected value at line 1 column 1` } };
    }
    const args = req.args ?? {};
    for (const [k, v] of Object.entries(args)) {
      if (typeof v !== 'string') return { errno: 22, args: { resp: `invalid type: ${typeof v} \`${JSON.stringify(v)}\`, expected a string for key \`${k}\`` } };
    }
    const sargs = args as Record<string, string>;
    if (req.req === 'stats_meta') return { errno: 0, args: { resp: this.opts.meta } };
    if (req.req !== 'stats') return fail(22, `unknown command ${JSON.stringify(req.req)}`);
    const target = sargs.target ?? 'top';
    let reader = readers.get(target);
    if (reader === undefined) {
      const open = this.opts.targets[target];
      if (open === undefined) return fail(22, `unknown stat target StatsRequest { req: "stats", args: ${rustDebugArgs(sargs)} }`);
      reader = open();
      readers.set(target, reader);
    }
    try {
      return { errno: 0, args: { resp: reader(sargs) } };
    } catch (err) {
      return { errno: 22, args: { resp: (err as Error).message } };
    }
  }
}
