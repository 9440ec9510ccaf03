/**
 * Real loopback peers for push-sink tests: an HTTP server that records every request and answers as the test
 * says (or never), and a black hole that accepts TCP connections and never answers. Both listen on port 0.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** When it arrived (Date.now()). */
  readonly at: number;
}

export interface Answer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array | string;
}

/** Given the request and its index (0-based), what to answer; 'hang' never answers. */
export type Responder = (req: Recorded, index: number) => Answer | 'hang';

export interface HttpPeer {
  readonly url: string;
  readonly port: number;
  readonly requests: Recorded[];
  /** Resolves when at least `n` requests have arrived; rejects after `ms`. */
  waitFor(n: number, ms?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startHttpPeer(respond: Responder = () => ({ status: 200 }), port = 0): Promise<HttpPeer> {
  const requests: Recorded[] = [];
  const waiters: (() => void)[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec: Recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), at: Date.now() };
      const index = requests.push(rec) - 1;
      for (const w of waiters.splice(0)) w();
      const a = respond(rec, index);
      if (a === 'hang') return;
      res.writeHead(a.status, a.headers);
      res.end(a.body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const p = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${p}`,
    port: p,
    requests,
    async waitFor(n, ms = 10_000) {
      const end = Date.now() + ms;
      while (requests.length < n) {
        const left = end - Date.now();
        if (left <= 0) throw new Error(`peer got ${requests.length} requests, expected ${n}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface BlackHole {
  readonly url: string;
  /** Connections accepted so far. */
  readonly accepted: () => number;
  /** Bytes received so far (requests arrive; nothing is ever answered). */
  readonly received: () => number;
  close(): Promise<void>;
}

/** Accepts TCP connections, reads what arrives, never writes a byte back. */
export async function startBlackHole(): Promise<BlackHole> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  let received = 0;
  const server = net.createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('data', (d) => (received += d.length));
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    accepted: () => accepted,
    received: () => received,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port nothing listens on (a listener on port 0 is opened and closed). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls `pred` every 20 ms until it holds; rejects after `ms` naming `what`. */
export async function until(pred: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
