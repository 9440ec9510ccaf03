/**
 * `--user NAME`: after the sources and sinks have opened what they need as root, become NAME and keep only
 * the capabilities asked for. The order matters: the bounding set is cut while CAP_SETPCAP is still there;
 * keep-caps makes setuid keep the permitted set; setgroups/setgid/setuid (Node's) go through glibc, which applies them
 * to every thread of the process; capset then raises the kept ones in the main thread, the one that makes
 * every bpf(2), mmap and process_vm_readv call. Other threads (libuv's pool, V8's) lose every capability at
 * setuid, which is what they should have. The inheritable and ambient sets are emptied: the agent runs no
 * programs, so nothing it starts gets a capability. no_new_privs makes a setuid binary unable to give any back.
 */
import { readFileSync } from 'node:fs';
import { type CapName, type ProcessCreds, capMask, capNames, parseStatusCreds } from './caps.js';
import {
  PR_CAPBSET_DROP,
  PR_CAP_AMBIENT,
  PR_CAP_AMBIENT_CLEAR_ALL,
  PR_SET_KEEPCAPS,
  PR_SET_NO_NEW_PRIVS,
  PrivilegeError,
  type UserEntry,
  capset,
  lookupUser,
  prctl,
} from './libc.js';

export { PrivilegeError } from './libc.js';

/** What the drop did, for the one line the agent prints and for tests. */
export interface DropResult {
  readonly user: UserEntry;
  readonly kept: readonly string[];
  /** The process's ids and sets as /proc/self/status shows them afterwards. */
  readonly creds: ProcessCreds;
}

/** The user entry for `--user`, or a PrivilegeError naming what is missing. */
export function resolveUser(user: string): UserEntry {
  const u = lookupUser(user);
  if (u === undefined) throw new PrivilegeError(`--user: no user "${user}" in the system's user database (expected a user name or uid from /etc/passwd)`);
  return u;
}

function lastCap(): number {
  try {
    return Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
  } catch {
    return 40;
  }
}

const selfCreds = (): ProcessCreds => parseStatusCreds(readFileSync('/proc/self/status', 'utf8'));

/**
 * Becomes `user` keeping `keep` (effective and permitted), and checks the result in /proc/self/status.
 * Needs CAP_SETUID, CAP_SETGID and CAP_SETPCAP (root has them) and every kept capability to start with.
 */
export function dropPrivileges(user: UserEntry, keep: readonly CapName[]): DropResult {
  const before = selfCreds();
  const need = capMask(['CAP_SETUID', 'CAP_SETGID', 'CAP_SETPCAP']);
  const lacking = capNames(need & ~before.effective);
  if (lacking.length > 0) throw new PrivilegeError(`--user needs ${lacking.join(', ')} (start the agent as root); this process runs as uid ${before.uid}`);
  const mask = capMask(keep);
  const notHeld = capNames(mask & ~before.permitted);
  if (notHeld.length > 0) throw new PrivilegeError(`--keep-caps: this process does not hold ${notHeld.join(', ')}, so it cannot keep it`);

  prctl('clear the ambient set', PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL);
  for (let cap = 0; cap <= lastCap(); cap++) {
    if (((mask >> BigInt(cap)) & 1n) === 0n) prctl(`drop capability ${cap} from the bounding set`, PR_CAPBSET_DROP, cap);
  }
  prctl('keep capabilities across setuid', PR_SET_KEEPCAPS, 1);
  try {
    // Node's own calls, not raw syscalls: glibc applies them to every thread. The supplementary groups become
    // the user's primary group only (least privilege; a socket's group is best given as that group).
    const { setgroups, setgid, setuid } = process;
    if (setgroups === undefined || setgid === undefined || setuid === undefined) throw new Error('this platform has no setuid');
    setgroups([user.gid]);
    setgid(user.gid);
    setuid(user.uid);
  } catch (err) {
    throw new PrivilegeError(`--user ${user.name}: ${err instanceof Error ? err.message : String(err)}`);
  }
  capset(mask, mask, 0n);
  prctl('stop keeping capabilities across setuid', PR_SET_KEEPCAPS, 0);
  prctl('set no_new_privs', PR_SET_NO_NEW_PRIVS, 1);

  const creds = selfCreds();
  if (creds.uid !== user.uid || creds.gid !== user.gid || creds.effective !== mask || creds.permitted !== mask) {
    throw new PrivilegeError(
      `--user ${user.name}: after the drop the process runs as uid ${creds.uid} gid ${creds.gid} with effective ${capNames(creds.effective).join(',') || 'none'}, not as asked`,
    );
  }
  return { user, kept: capNames(mask), creds };
}

/** The line the agent says after a drop. */
export function describeDrop(r: DropResult): string {
  const kept = r.kept.length === 0 ? 'no capabilities' : `only ${r.kept.join(', ')}`;
  return `running as ${r.user.name} (uid ${r.user.uid}, gid ${r.user.gid}) with ${kept}`;
}
