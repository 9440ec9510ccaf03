/**
 * Where a datagram push sink sends: UDP (node:dgram) or a UNIX datagram socket (koffi, unix-dgram.ts), behind
 * one small interface so the sender's queueing and fault handling do not care which. Also parses the
 * `udp://HOST:PORT` and `unix:///PATH` locations the sink flags take.
 */
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { UnixDatagramSender } from '../unix-dgram.js';

/** The largest UDP payload over IPv4 (65535 less the IP and UDP headers). */
export const UDP_MAX_PAYLOAD = 65507;

/** A parsed sink location. */
export type DatagramTarget = { readonly kind: 'udp'; readonly host: string; readonly port: number } | { readonly kind: 'unix'; readonly path: string };

/** `null` when the kernel took the datagram, else the errno name (`ECONNREFUSED`, `ENOENT`, `EAGAIN`, ...). */
export type SendDone = (err: string | null) => void;

export interface DatagramTransport {
  /** The location as a URL, for messages. */
  readonly peer: string;
  /**
   * True when a successful send means the datagram reached the peer's socket (UNIX datagram sockets). False for
   * UDP, where a dead peer shows only as a later ICMP error (`onPeerError`).
   */
  readonly confirmsDelivery: boolean;
  /** Resolves names and creates the socket. Rejects with a message naming the location. */
  open(): Promise<void>;
  /** Sends one datagram; `done` may be called synchronously. */
  send(buf: Buffer, done: SendDone): void;
  /** Set by the sender: errors reported later, not by a send (ICMP port unreachable on a connected UDP socket). */
  onPeerError: ((code: string) => void) | undefined;
  close(): void;
}

export function targetUrl(t: DatagramTarget): string {
  if (t.kind === 'unix') return `unix://${t.path}`;
  return `udp://${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;
}

/**
 * Parses `udp://HOST[:PORT]` (IPv6 as `udp://[::1]:8125`) or `unix:///ABSOLUTE/PATH`. Returns a message saying
 * what was expected when the text is neither.
 */
export function parseDatagramTarget(text: string, defaultPort: number): DatagramTarget | string {
  const expected = `expected udp://HOST:PORT or unix:///PATH`;
  if (text.startsWith('unix://')) {
    const path = text.slice('unix://'.length);
    if (!path.startsWith('/')) return `"${text}" has no absolute path (${expected}, e.g. unix:///run/statsd.sock)`;
    return { kind: 'unix', path };
  }
  if (!text.startsWith('udp://')) return `"${text}" is not a udp:// or unix:// location (${expected})`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `"${text}" is not a valid URL (${expected})`;
  }
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '' || url.username !== '') {
    return `"${text}" has more than a host and port (${expected})`;
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') return `"${text}" has no host (${expected})`;
  return { kind: 'udp', host, port: url.port === '' ? defaultPort : Number(url.port) };
}

/** UDP through a connected socket: connecting is what makes the kernel report ICMP port-unreachable at all. */
export class UdpTransport implements DatagramTransport {
  readonly peer: string;
  readonly confirmsDelivery = false;
  onPeerError: ((code: string) => void) | undefined;
  private socket: dgram.Socket | undefined;
  private readonly host: string;
  private readonly port: number;

  constructor(host: string, port: number) {
    this.host = host;
    this.port = port;
    this.peer = targetUrl({ kind: 'udp', host, port });
  }

  async open(): Promise<void> {
    let address: string;
    let family: number;
    try {
      ({ address, family } = await lookup(this.host));
    } catch (err) {
      throw new Error(`${this.peer}: cannot resolve "${this.host}": ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    const socket = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
    // Without a listener an ICMP error would be thrown as an uncaught 'error' event.
    socket.on('error', (err: NodeJS.ErrnoException) => this.onPeerError?.(err.code ?? err.message));
    // connect() hands its error to the callback, not to 'error': an address the kernel will not connect to
    // (a link-local IPv6 address without a scope, a broadcast address) must fail here, not at the first send.
    const code = await new Promise<string | undefined>((resolve) =>
      socket.connect(this.port, address, (err?: Error) => resolve(err === undefined ? undefined : ((err as NodeJS.ErrnoException).code ?? err.message))),
    );
    if (code !== undefined) {
      socket.close();
      throw new Error(`${this.peer}: cannot connect a UDP socket to ${address} port ${this.port}: ${code}`);
    }
    socket.unref();
    this.socket = socket;
  }

  send(buf: Buffer, done: SendDone): void {
    if (this.socket === undefined) {
      done('EBADF');
      return;
    }
    try {
      this.socket.send(buf, (err) => done(err === null ? null : ((err as NodeJS.ErrnoException).code ?? err.message)));
    } catch (err) {
      // A socket that is not running (closed under us) throws rather than calling back.
      done((err as NodeJS.ErrnoException).code ?? String(err));
    }
  }

  close(): void {
    this.socket?.close();
    this.socket = undefined;
  }
}

/** A UNIX datagram socket path. A missing or dead peer is not an error at open: it may come up later. */
export class UnixTransport implements DatagramTransport {
  readonly peer: string;
  readonly confirmsDelivery = true;
  onPeerError: ((code: string) => void) | undefined;
  private sender: UnixDatagramSender | undefined;
  private readonly path: string;

  constructor(path: string) {
    this.path = path;
    this.peer = targetUrl({ kind: 'unix', path });
  }

  async open(): Promise<void> {
    try {
      this.sender = new UnixDatagramSender(this.path);
    } catch (err) {
      throw new Error(`${this.peer}: ${(err as Error).message}`);
    }
  }

  send(buf: Buffer, done: SendDone): void {
    done(this.sender === undefined ? 'EBADF' : (this.sender.send(buf) ?? null));
  }

  close(): void {
    this.sender?.close();
    this.sender = undefined;
  }
}

export function createTransport(t: DatagramTarget): DatagramTransport {
  return t.kind === 'udp' ? new UdpTransport(t.host, t.port) : new UnixTransport(t.path);
}
