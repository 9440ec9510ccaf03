/**
 * Finding a scheduler's maps, and noticing when they go away. Three ways in:
 *
 * - by program: the scheduler's struct_ops programs (names start with a prefix such as `rusty_`) list the
 *   maps they use; among those, the map with the plan's name and shape. Map names are cut to 15 characters
 *   and are not unique, so the owning program is what tells this scheduler's `stats` from any other.
 * - by pinned path (OBJ_GET, read-only unless the source writes): works unprivileged when the pin's mode
 *   allows.
 * - by map id.
 *
 * We keep the map fd open, so the map itself never disappears under us; "gone" means its owner program no
 * longer exists (the scheduler exited or restarted), or the pin now names another map.
 */
import { statSync } from 'node:fs';
import { BpfMap, type MapInfo, type ProgInfo, closeFd, isBpfError, progExists, progFdById, progIds, progInfo } from './sys.js';
import { type MapPlan, nameMatches } from '../../bpf-layout/layout.js';
import { shapeMismatch } from './shape.js';

/** How to find one map. */
export type Locator =
  | { readonly kind: 'programs'; readonly prefixes: readonly string[] }
  | { readonly kind: 'pin'; readonly path: string }
  | { readonly kind: 'id'; readonly id: number };

/** A map found for a plan, and what tells whether it is still the scheduler's. */
export interface Located {
  readonly map: BpfMap;
  /** The program that uses it (the liveness check), when known. */
  readonly owner: { readonly id: number; readonly name: string } | undefined;
  /** For a pin: the path and its inode when opened (re-pinning changes the inode). */
  readonly pin: { readonly path: string; readonly ino: bigint } | undefined;
  /** How it was found, for log lines. */
  readonly how: string;
}

/** Thrown when a map cannot be found or does not fit; the message is one line for the operator. */
export class LocateError extends Error {
  override name = 'LocateError';
  /** The message already names the map (and its id), so callers add no `map "NAME":` prefix. */
  readonly namesMap: boolean;
  constructor(message: string, opts: { namesMap?: boolean } = {}) {
    super(message);
    this.namesMap = opts.namesMap === true;
  }
}

/** One line: which map, which profile, what was expected and what was found. */
function mismatch(plan: MapPlan, info: MapInfo, profile: string): string | undefined {
  const bad = shapeMismatch(plan, info);
  if (bad === undefined) return undefined;
  return `map "${info.name}" (id ${info.id}) does not fit profile ${profile} (${plan.layout} layout): expected ${bad.expected}, found ${bad.found}`;
}

/** Every loaded program whose name starts with one of the prefixes (programs that vanish meanwhile are skipped). */
export function scanPrograms(prefixes: readonly string[]): ProgInfo[] {
  const out: ProgInfo[] = [];
  for (const id of progIds()) {
    const fd = progFdById(id);
    if (fd === undefined) continue;
    try {
      const info = progInfo(fd);
      if (prefixes.some((p) => info.name.startsWith(p))) out.push(info);
    } finally {
      closeFd(fd);
    }
  }
  return out;
}

function describeProgs(prefixes: readonly string[]): string {
  return prefixes.map((p) => `${p}*`).join(', ');
}

/**
 * Whether the map fd must allow writes: `yes` for reset-on-read, `arena` for an arena (read only through a
 * shared mapping, which the kernel allows only on an fd opened for writing), `if-allowed` for a globals mmap
 * (a read-only pin is then read by lookups), `no` otherwise.
 */
export type Writable = 'yes' | 'arena' | 'if-allowed' | 'no';

/** Tries at opening a pin that keeps being replaced before giving up (a re-pin takes one interval at most). */
const PIN_TRIES = 5;

function pinIno(path: string): bigint {
  try {
    return statSync(path, { bigint: true }).ino;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new LocateError(`no pinned map at ${path}`);
    if (code === 'EACCES') throw new LocateError(`cannot reach the pin ${path} (stat: EACCES): needs search access to the directories above it`);
    throw err;
  }
}

function openPinOnce(path: string, writable: Writable): BpfMap {
  try {
    try {
      return BpfMap.fromPin(path, { readOnly: writable === 'no' });
    } catch (err) {
      const denied = isBpfError(err, 'EACCES') || isBpfError(err, 'EPERM');
      if (!(denied && writable === 'if-allowed')) throw err;
      return BpfMap.fromPin(path, { readOnly: true });
    }
  } catch (err) {
    if (isBpfError(err, 'ENOENT')) throw new LocateError(`no pinned map at ${path}`);
    if (isBpfError(err, 'EACCES') || isBpfError(err, 'EPERM')) throw new LocateError(pinDenied(path, writable, err.code));
    throw err;
  }
}

/** Why a pin could not be opened: the access it needs (read; write too for reset-on-read) and what it has. */
function pinDenied(path: string, writable: Writable, code: string): string {
  let has = '';
  try {
    const st = statSync(path);
    has = `; the pin is mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}, owner uid ${st.uid}, and this process runs as uid ${process.getuid?.() ?? '?'}`;
  } catch {
    // the mode is only a hint
  }
  const need =
    writable === 'yes'
      ? 'read and write access to the pin, because --bpf-reset-on-read zeroes the map (read access is enough without that flag)'
      : writable === 'arena'
        ? 'read and write access to the pin, because an arena is read through a shared mapping, which the kernel allows only on a writable fd (nothing is written)'
        : 'read access to the pin';
  return `cannot open the pin ${path} (BPF_OBJ_GET: ${code}): needs ${need}${has}`;
}

/**
 * Opens a pin and the inode it had when opened. The inode is taken before and after the open: equal, the
 * fd is the map that inode names (a re-pin makes a new inode); different, the pin was replaced meanwhile and
 * the open is retried, so a stale map is never recorded under the new pin's inode. The map is closed on any
 * throw.
 */
function openPin(path: string, writable: Writable): { map: BpfMap; ino: bigint } {
  for (let i = 0; i < PIN_TRIES; i++) {
    const before = pinIno(path);
    const map = openPinOnce(path, writable);
    let after: bigint;
    try {
      after = pinIno(path);
    } catch (err) {
      map.close();
      if (err instanceof LocateError) continue; // removed right after the open: look again
      throw err;
    }
    if (after === before) return { map, ino: after };
    map.close();
  }
  throw new LocateError(`the pin ${path} was replaced during each of ${PIN_TRIES} attempts to open it`);
}

/** Finds the plan's map. Throws LocateError with one line naming what is missing or mismatched. */
export function locate(plan: MapPlan, locator: Locator, opts: { writable: Writable; profile: string; progs?: ProgInfo[] }): Located {
  const readOnly = opts.writable === 'no';
  if (locator.kind === 'pin') {
    const { map, ino } = openPin(locator.path, opts.writable);
    return checked(plan, map, opts.profile, undefined, { path: locator.path, ino }, `pinned at ${locator.path}`);
  }
  if (locator.kind === 'id') {
    const map = BpfMap.byId(locator.id, { readOnly });
    if (map === undefined) throw new LocateError(`no map with id ${locator.id}`);
    // A program using it, if any, tells when the scheduler goes; without one the map is read while it exists.
    let owner: Located['owner'];
    try {
      const progs = opts.progs ?? scanPrograms(['']);
      const p = progs.filter((x) => x.mapIds.includes(locator.id)).sort((a, b) => b.id - a.id)[0];
      owner = p === undefined ? undefined : { id: p.id, name: p.name };
    } catch (err) {
      map.close();
      throw err;
    }
    return checked(plan, map, opts.profile, owner, undefined, `by id ${locator.id}`);
  }

  const progs = opts.progs ?? scanPrograms(locator.prefixes);
  const mine = progs.filter((p) => locator.prefixes.some((x) => p.name.startsWith(x)));
  if (mine.length === 0) throw new LocateError(`no BPF programs named ${describeProgs(locator.prefixes)} are loaded (is the scheduler running?)`);
  const ids = [...new Set(mine.flatMap((p) => p.mapIds))].sort((a, b) => b - a); // newest first
  const mismatches: string[] = [];
  for (const id of ids) {
    const map = BpfMap.byId(id, { readOnly });
    if (map === undefined) continue;
    if (!nameMatches(plan, map.info.name)) {
      map.close();
      continue;
    }
    const bad = mismatch(plan, map.info, opts.profile);
    if (bad !== undefined) {
      mismatches.push(bad);
      map.close();
      continue;
    }
    const p = mine.filter((x) => x.mapIds.includes(id)).sort((a, b) => b.id - a.id)[0] as ProgInfo;
    return { map, owner: { id: p.id, name: p.name }, pin: undefined, how: `used by program ${p.name} (id ${p.id})` };
  }
  if (mismatches.length > 0) throw new LocateError(mismatches.join('; '), { namesMap: true });
  throw new LocateError(`programs ${describeProgs(locator.prefixes)} use no map named "${plan.name}"`);
}

function checked(plan: MapPlan, map: BpfMap, profile: string, owner: Located['owner'], pin: Located['pin'], how: string): Located {
  const bad = mismatch(plan, map.info, profile);
  if (bad !== undefined) {
    map.close();
    throw new LocateError(bad, { namesMap: true });
  }
  return { map, owner, pin, how };
}

/** False once the map stopped being the scheduler's: its owner program is gone, or its pin was replaced or removed. */
export function stillThere(loc: Located): boolean {
  if (loc.pin !== undefined) {
    try {
      return statSync(loc.pin.path, { bigint: true }).ino === loc.pin.ino;
    } catch {
      return false;
    }
  }
  if (loc.owner !== undefined) return progExists(loc.owner.id);
  return true;
}
