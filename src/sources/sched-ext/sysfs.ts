/**
 * The kernel's sched_ext sysfs tree (/sys/kernel/sched_ext), read and parsed. Global files hold one value
 * each: `state` (enabling|enabled|disabling|disabled), `switch_all` (0/1), `nr_rejected`, `hotplug_seq`,
 * `enable_seq`. While a BPF scheduler is loaded, `root/` holds `ops` (its name; Rust schedulers append
 * `_<version>_<git>_<target>`) and, from v6.15, `events`: one `SCX_EV_<NAME> <value>` line per core event
 * counter, a set that grows with kernel versions. On Linux 7.x with sub-schedulers the root's directory is
 * still `root/` (kernel/sched/ext/ext.c names it so with or without CONFIG_EXT_SUB_SCHED); sub-schedulers are
 * below it in `root/sub/sub-<cgroup id>/` (hierarchy.ts).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_SCHED_EXT_ROOT } from '../../plugin/sched-ext-root.js';

// The root and its flag are shared with the BPF source (src/sources/sched-ext-root.ts).
export { DEFAULT_SCHED_EXT_ROOT, schedExtRoot, schedExtRootFlag } from '../../plugin/sched-ext-root.js';

/** The loaded BPF scheduler. */
export interface LoadedScheduler {
  /** The directory holding `ops` and `events`. */
  readonly dir: string;
  /** `ops` as the kernel shows it, e.g. `rusty_1.0.16_g1a2b3c_x86_64_unknown_linux_gnu`. */
  readonly ops: string;
  /** The scheduler's name with any version suffix removed, e.g. `rusty` (what `scx_<name>` and profiles use). */
  readonly name: string;
}

/** The name in an ops string: everything before a `_<digit>` version suffix (`rusty_1.0.16_g…` → `rusty`). */
export function schedulerName(ops: string): string {
  const m = /^(.+?)_\d/.exec(ops);
  return m === null ? ops : (m[1] as string);
}

/**
 * The root BPF scheduler loaded under `root`, or undefined when none is (or sched_ext is absent): its
 * directory, ops string and bare name. Looks at `root/ops` first, then at any other top-level directory with
 * an `ops` file. (That second look was written for a per-scheduler directory that sub-scheduler patches were
 * expected to add; Linux 7.2 has none, its sub-schedulers are below `root/sub/`, and so this never returns a
 * sub-scheduler.) (`runningScheduler` in ../sched-ext-root.ts is the synchronous ops-string-only lookup the
 * BPF source uses.)
 */
export async function loadedScheduler(root: string = DEFAULT_SCHED_EXT_ROOT): Promise<LoadedScheduler | undefined> {
  const dirs = ['root'];
  try {
    for (const e of await readdir(root, { withFileTypes: true })) if (e.isDirectory() && e.name !== 'root') dirs.push(e.name);
  } catch {
    return undefined;
  }
  for (const d of dirs) {
    const dir = join(root, d);
    const ops = await readOptional(join(dir, 'ops'));
    if (ops !== undefined && ops.trim() !== '') return { dir, ops: ops.trim(), name: schedulerName(ops.trim()) };
  }
  return undefined;
}

/** The text of a file, or undefined when it does not exist. */
export async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
}

export const SCHED_EXT_STATES = ['enabling', 'enabled', 'disabling', 'disabled'] as const;

/** A sysfs file whose content is not what the kernel writes there; the message names the file and the format. */
export class SysfsFormatError extends Error {
  override name = 'SysfsFormatError';
}

/** A `%ld`/`%d` file's value. Throws SysfsFormatError naming the file and the expected format. */
export function parseIntFile(name: string, text: string): number {
  const t = text.trim();
  // At most 20 digits: a 64-bit value. Longer is not a kernel integer (and would be Infinity as a number).
  if (!/^-?\d{1,20}$/.test(t)) throw new SysfsFormatError(`${name}: expected an integer, got ${JSON.stringify(t.slice(0, 40))}`);
  return Number(t);
}

/** The `state` file's value. Throws SysfsFormatError on anything but a lower-case word. */
export function parseState(text: string): string {
  const t = text.trim();
  if (!/^[a-z_]+$/.test(t)) throw new SysfsFormatError(`state: expected one of ${SCHED_EXT_STATES.join(', ')}, got ${JSON.stringify(t.slice(0, 40))}`);
  return t;
}

/** One counter of the `events` file. */
export interface SchedExtEvent {
  /** As written, e.g. `SCX_EV_SELECT_CPU_FALLBACK`. */
  readonly name: string;
  readonly value: number;
}

/**
 * Parses `events`: `NAME VALUE` per line. Lines that do not parse are returned as problems; the rest are
 * still used, so one odd line does not hide the other counters.
 */
export function parseEvents(text: string): { events: SchedExtEvent[]; problems: string[] } {
  const events: SchedExtEvent[] = [];
  const problems: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    // A u64 has at most 20 digits; more is garbage (and would be Infinity).
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s+(\d{1,20})$/.exec(line);
    if (m === null) {
      problems.push(`events: expected "NAME VALUE", got ${JSON.stringify(line.slice(0, 60))}`);
      continue;
    }
    events.push({ name: m[1] as string, value: Number(m[2]) });
  }
  return { events, problems };
}

/** The metric key an event name gets: `SCX_EV_SELECT_CPU_FALLBACK` → `select_cpu_fallback`. */
export function eventKey(name: string): string {
  return name.replace(/^SCX_EV_/, '').toLowerCase();
}
