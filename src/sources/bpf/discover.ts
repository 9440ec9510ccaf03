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
import { BpfMap, type ProgInfo, closeFd, isBpfError, progExists, progFdById, progIds, progInfo } from './sys.js';
import { type MapPlan, nameMatches, shapeMismatch } from './layout.js';

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
 * Whether the map fd must allow writes: `yes` for reset-on-read, `if-allowed` for an mmap (the kernel maps
 * only fds opened for writing; a read-only pin is then read by lookups), `no` otherwise.
 */
export type Writable = 'yes' | 'if-allowed' | 'no';

/** Finds the plan's map. Throws LocateError with one line naming what is missing or mismatched. */
export function locate(plan: MapPlan, locator: Locator, opts: { writable: Writable; progs?: ProgInfo[] }): Located {
  const readOnly = opts.writable === 'no';
  if (locator.kind === 'pin') {
    let map: BpfMap;
    try {
      try {
        map = BpfMap.fromPin(locator.path, { readOnly });
      } catch (err) {
        const denied = isBpfError(err, 'EACCES') || isBpfError(err, 'EPERM');
        if (!(denied && opts.writable === 'if-allowed')) throw err;
        map = BpfMap.fromPin(locator.path, { readOnly: true });
      }
    } catch (err) {
      if (isBpfError(err, 'ENOENT')) throw new LocateError(`no pinned map at ${locator.path}`);
      throw err;
    }
    const ino = statSync(locator.path, { bigint: true }).ino;
    return checked(plan, map, undefined, { path: locator.path, ino }, `pinned at ${locator.path}`);
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
    return checked(plan, map, owner, undefined, `by id ${locator.id}`);
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
    const bad = shapeMismatch(plan, map.info);
    if (bad !== undefined) {
      mismatches.push(bad);
      map.close();
      continue;
    }
    const p = mine.filter((x) => x.mapIds.includes(id)).sort((a, b) => b.id - a.id)[0] as ProgInfo;
    return { map, owner: { id: p.id, name: p.name }, pin: undefined, how: `used by program ${p.name} (id ${p.id})` };
  }
  if (mismatches.length > 0) throw new LocateError(mismatches.join('; '));
  throw new LocateError(`programs ${describeProgs(locator.prefixes)} use no map named "${plan.name}"`);
}

function checked(plan: MapPlan, map: BpfMap, owner: Located['owner'], pin: Located['pin'], how: string): Located {
  const bad = shapeMismatch(plan, map.info);
  if (bad !== undefined) {
    map.close();
    throw new LocateError(bad);
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
