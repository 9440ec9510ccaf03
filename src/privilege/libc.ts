/**
 * The few libc calls a privilege drop needs that Node lacks: prctl(2) for the bounding set and keep-caps,
 * capset(2) for the sets after setuid, getpwnam/getpwuid(3) for a user's ids (NSS-aware, unlike reading
 * /etc/passwd). Through koffi, like the bpf(2) layer. Each failure is a PrivilegeError naming the call and errno.
 */
import koffi from 'koffi';
import { getSystemErrorName } from 'node:util';

/** A privilege operation that failed: which one and why, as one line. */
export class PrivilegeError extends Error {
  override name = 'PrivilegeError';
}

export const PR_SET_KEEPCAPS = 8;
export const PR_CAPBSET_DROP = 24;
export const PR_SET_NO_NEW_PRIVS = 38;
export const PR_CAP_AMBIENT = 47;
export const PR_CAP_AMBIENT_CLEAR_ALL = 4;

/** _LINUX_CAPABILITY_VERSION_3: two 32-bit words per set. */
const CAP_V3 = 0x20080522;

interface Libc {
  prctl(option: number, a2: number, a3: number, a4: number, a5: number): number;
  capset(hdr: Buffer, data: Buffer): number;
  getpwnam(name: string): unknown;
  getpwuid(uid: number): unknown;
  passwd: ReturnType<typeof koffi.struct>;
}

let cache: Libc | undefined;
function libc(): Libc {
  if (cache !== undefined) return cache;
  const lib = koffi.load('libc.so.6');
  const passwd = koffi.struct('scx_passwd', {
    pw_name: 'char *',
    pw_passwd: 'char *',
    pw_uid: 'uint32_t',
    pw_gid: 'uint32_t',
    pw_gecos: 'char *',
    pw_dir: 'char *',
    pw_shell: 'char *',
  });
  // prctl is variadic; a fixed prototype of unsigned longs is ABI-identical on x86_64 for integer arguments.
  const prctl = lib.func('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)');
  const capset = lib.func('int capset(void *hdr, void *data)');
  const getpwnam = lib.func('void *getpwnam(const char *name)');
  const getpwuid = lib.func('void *getpwuid(uint32_t uid)');
  cache = {
    prctl: (o, a2, a3, a4, a5) => prctl(o, a2, a3, a4, a5) as number,
    capset: (h, d) => capset(h, d) as number,
    getpwnam: (n) => getpwnam(n) as unknown,
    getpwuid: (u) => getpwuid(u) as unknown,
    passwd,
  };
  return cache;
}

function errnoText(): string {
  const e = koffi.errno();
  try {
    return getSystemErrorName(-e);
  } catch {
    return `errno ${e}`;
  }
}

/** prctl(option, a2, …); throws PrivilegeError with `what` on failure. */
export function prctl(what: string, option: number, a2 = 0, a3 = 0): void {
  if (libc().prctl(option, a2, a3, 0, 0) < 0) throw new PrivilegeError(`${what}: prctl failed with ${errnoText()}`);
}

/** Sets this thread's effective, permitted and inheritable sets (64-bit masks) with capset(2). */
export function capset(effective: bigint, permitted: bigint, inheritable: bigint): void {
  const hdr = Buffer.alloc(8);
  hdr.writeUInt32LE(CAP_V3, 0);
  hdr.writeInt32LE(0, 4);
  const data = Buffer.alloc(24);
  [effective, permitted, inheritable].forEach((m, i) => {
    data.writeUInt32LE(Number(m & 0xffffffffn), i * 4);
    data.writeUInt32LE(Number((m >> 32n) & 0xffffffffn), 12 + i * 4);
  });
  if (libc().capset(hdr, data) < 0) throw new PrivilegeError(`capset: ${errnoText()}`);
}

/** A user's ids from the system's user database. */
export interface UserEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/** Looks a user up by name (or by number when `user` is all digits); undefined when there is none. */
export function lookupUser(user: string): UserEntry | undefined {
  const l = libc();
  const p = /^\d+$/.test(user) ? l.getpwuid(Number(user)) : l.getpwnam(user);
  if (p === null) return undefined;
  const pw = koffi.decode(p, l.passwd) as { pw_name: string; pw_uid: number; pw_gid: number };
  return { name: pw.pw_name, uid: pw.pw_uid, gid: pw.pw_gid };
}
