/**
 * The listener's connection table: every accepted TCP connection, whether it has a request in progress, and
 * the cap on how many are held at once.
 *
 * At the cap, a new connection does not get refused (which let 128 slow clients lock Prometheus out): the
 * connection that has waited longest without a request in progress (a slowloris still dribbling its headers,
 * or an idle keep-alive) is closed to make room. A scrape sends its whole request at once, so it is in
 * progress long before `limit` newer connections could push it out. Only when every held connection has a
 * request in progress is the new one refused.
 *
 * Connections are keyed by their address pair, not by object: over TLS the request's socket is a TLSSocket
 * wrapping the accepted one, and the pair is the same for both.
 */
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';

interface Entry {
  readonly socket: Socket;
  readonly key: string;
  busy: boolean;
}

/** What the table did to make room; the sink counts and logs it. */
export type Admission = 'admitted' | 'evicted-oldest' | 'refused';

export class ConnectionTable {
  /** Every held connection. */
  private readonly all = new Map<string, Entry>();
  /** Held connections without a request in progress, oldest-waiting first (Map keeps insertion order). */
  private readonly waiting = new Map<string, Entry>();

  /** `limit`: connections held at once, at least 1. */
  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`connection limit must be a positive integer, got ${limit}`);
  }

  get size(): number {
    return this.all.size;
  }

  /** Registers an accepted connection, making room at the cap (see the module comment). */
  admit(socket: Socket): Admission {
    const key = keyOf(socket);
    if (key === undefined) {
      // Already gone (reset before we saw it): nothing to hold.
      socket.destroy();
      return 'admitted';
    }
    let outcome: Admission = 'admitted';
    if (this.all.size >= this.limit) {
      const oldest = this.waiting.values().next();
      if (oldest.done === true) {
        socket.destroy();
        return 'refused';
      }
      this.drop(oldest.value);
      oldest.value.socket.destroy();
      outcome = 'evicted-oldest';
    }
    const entry: Entry = { socket, key, busy: false };
    this.all.set(key, entry);
    this.waiting.set(key, entry);
    socket.once('close', () => this.drop(entry));
    return outcome;
  }

  /** A request's headers are complete on `socket` (the accepted socket or a TLSSocket over it). */
  requestStarted(socket: Socket): void {
    const key = keyOf(socket);
    const e = key === undefined ? undefined : this.all.get(key);
    if (e === undefined || key === undefined) return;
    e.busy = true;
    this.waiting.delete(key);
  }

  /** The response on `socket` is done; the connection now waits for its next request (keep-alive). */
  requestDone(socket: Socket): void {
    const key = keyOf(socket);
    const e = key === undefined ? undefined : this.all.get(key);
    if (e === undefined || key === undefined || !e.busy) return;
    e.busy = false;
    this.waiting.set(key, e);
  }

  /** Closes every connection without a request in progress; returns how many are still busy. */
  closeWaiting(): number {
    for (const e of [...this.waiting.values()]) e.socket.destroy();
    return this.all.size - this.waiting.size;
  }

  closeAll(): void {
    for (const e of [...this.all.values()]) e.socket.destroy();
  }

  private drop(entry: Entry): void {
    // A new connection may reuse a closed one's address pair: remove only our own entry.
    if (this.all.get(entry.key) === entry) {
      this.all.delete(entry.key);
      this.waiting.delete(entry.key);
    }
  }
}

/** The address pair naming a TCP connection; undefined once the socket has lost it (closed). */
function keyOf(socket: Socket): string | undefined {
  const { remoteAddress, remotePort, localAddress, localPort } = socket;
  if (remoteAddress === undefined || remotePort === undefined) return undefined;
  return `${remoteAddress} ${remotePort} ${localAddress ?? ''} ${localPort ?? ''}`;
}

/**
 * The process's open-file limit (RLIMIT_NOFILE, soft), from /proc/self/limits; undefined where that file is
 * missing or says "unlimited". Node raises the soft limit to the hard one at startup.
 */
export function openFileLimit(limitsText?: string): number | undefined {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return undefined;
    }
  }
  const m = /^Max open files\s+(\d+)/m.exec(text);
  return m === null ? undefined : Number(m[1]);
}

/**
 * The default connection cap: a quarter of the fd budget (the rest stays for sources, sinks and the runtime),
 * between 64 and 4096. With the common 1024 that is 256; with 65536 and more, 4096.
 */
export function defaultConnectionLimit(fdLimit = openFileLimit()): number {
  if (fdLimit === undefined) return 256;
  return Math.min(4096, Math.max(64, Math.floor(fdLimit / 4)));
}
