/**
 * A UNIX datagram (AF_UNIX, SOCK_DGRAM) sender over koffi. Node's dgram is UDP-only (nodejs/node#29339,
 * closed wontfix), and a second native module is not worth four syscalls. Used by the StatsD `unix://` mode
 * and the spectatord sink.
 *
 * The socket is non-blocking and unconnected: every send names the peer's path, so a peer that restarts and
 * binds the same path again is reached without reconnecting, and a send never waits. Linux only (the flag
 * values below are Linux's on every architecture Node supports).
 */
import { endianness } from 'node:os';
import koffi from 'koffi';

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
/** sizeof(struct sockaddr_un): sa_family_t sun_family, then char sun_path[108]. */
const SOCKADDR_UN_SIZE = 110;
const SUN_PATH_MAX = 107;

interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  sendto(fd: number, buf: Uint8Array, len: number, flags: number, addr: Uint8Array, addrlen: number): number;
  close(fd: number): number;
}

let libc: Libc | undefined;

/** Binds the three libc functions once, on first use, so importing this module costs nothing. */
function bind(): Libc {
  if (libc !== undefined) return libc;
  let lib: ReturnType<typeof koffi.load>;
  try {
    lib = koffi.load('libc.so.6');
  } catch {
    lib = koffi.load(null); // not glibc: the symbols the node binary already links
  }
  libc = {
    socket: lib.func('int socket(int, int, int)') as Libc['socket'],
    sendto: lib.func('intptr_t sendto(int, const void *, size_t, int, const void *, uint32_t)') as Libc['sendto'],
    close: lib.func('int close(int)') as Libc['close'],
  };
  return libc;
}

/** errno numbers to names (ENOENT), for messages and for callers that branch on the code. */
const errnoNames = new Map<number, string>(Object.entries(koffi.os.errno).map(([name, n]) => [n, name]));
// Aliases share a number; name them as Node's own errors do.
for (const name of ['EAGAIN', 'EDEADLK', 'EOPNOTSUPP']) {
  const n = koffi.os.errno[name];
  if (n !== undefined) errnoNames.set(n, name);
}

export function errnoName(n: number): string {
  return errnoNames.get(n) ?? `errno ${n}`;
}

/** An error from a socket call, with `code` set to the errno name like Node's own errors. */
export class UnixSocketError extends Error {
  override name = 'UnixSocketError';
  readonly code: string;
  constructor(syscall: string, errno: number, path?: string) {
    const code = errnoName(errno);
    super(`${syscall}${path === undefined ? '' : ` ${path}`}: ${code}`);
    this.code = code;
  }
}

/** Encodes a filesystem path as a sockaddr_un; throws when it does not fit sun_path. */
function sockaddr(path: string): { addr: Uint8Array; len: number } {
  const bytes = Buffer.from(path, 'utf8');
  if (bytes.length === 0 || bytes.length > SUN_PATH_MAX) {
    throw new RangeError(`UNIX socket path must be 1..${SUN_PATH_MAX} bytes, got ${bytes.length}: ${path}`);
  }
  if (bytes.includes(0)) throw new RangeError(`UNIX socket path contains a NUL byte: ${JSON.stringify(path)}`);
  const addr = Buffer.alloc(SOCKADDR_UN_SIZE);
  // sa_family_t is in host byte order.
  if (endianness() === 'LE') addr.writeUInt16LE(AF_UNIX, 0);
  else addr.writeUInt16BE(AF_UNIX, 0);
  bytes.copy(addr, 2);
  return { addr, len: 2 + bytes.length + 1 };
}

/**
 * One non-blocking datagram socket sending to one path. `send` returns undefined when the kernel took the
 * datagram, or the errno name when it did not: `ENOENT` (no socket file), `ECONNREFUSED` (a file nobody
 * receives on: the peer died), `EAGAIN` (the peer's receive queue is full), `EMSGSIZE` (too large).
 */
export class UnixDatagramSender {
  readonly path: string;
  private fd: number;
  private readonly addr: Uint8Array;
  private readonly addrLen: number;

  constructor(path: string) {
    const { addr, len } = sockaddr(path);
    this.path = path;
    this.addr = addr;
    this.addrLen = len;
    const c = bind();
    this.fd = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (this.fd < 0) throw new UnixSocketError('socket', koffi.errno());
  }

  /** Sends `length` bytes of `data` (all of it by default) as one datagram. */
  send(data: Uint8Array, length = data.length): string | undefined {
    if (this.fd < 0) return 'EBADF';
    const n = bind().sendto(this.fd, data, length, MSG_DONTWAIT | MSG_NOSIGNAL, this.addr, this.addrLen);
    return n < 0 ? errnoName(koffi.errno()) : undefined;
  }

  get closed(): boolean {
    return this.fd < 0;
  }

  close(): void {
    if (this.fd < 0) return;
    bind().close(this.fd);
    this.fd = -1;
  }
}
