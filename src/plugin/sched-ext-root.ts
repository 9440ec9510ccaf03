/**
 * Where sched_ext's sysfs lives, shared by every source that reads it. The flag is declared once here; plugins
 * spread `schedExtRootFlag` into their flags (declaring the same flag twice with the same spec is harmless).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type FlagSpecs, type FlagValues, stringFlag } from './flags.js';

export const DEFAULT_SCHED_EXT_ROOT = '/sys/kernel/sched_ext';

export const schedExtRootFlag: FlagSpecs = {
  'sched-ext-root': { type: 'string', default: DEFAULT_SCHED_EXT_ROOT, metavar: 'DIR', help: "Where sched_ext's sysfs directory is" },
};

/** The sched_ext sysfs directory from the flags (default /sys/kernel/sched_ext). */
export function schedExtRoot(values: FlagValues): string {
  return stringFlag(values, 'sched-ext-root') ?? DEFAULT_SCHED_EXT_ROOT;
}

/**
 * The running scheduler's ops name (`<root>/root/ops`), or undefined when none is loaded or the kernel has
 * no sched_ext. Recent scx schedulers append a version (`rusty_1.0.12_g1234abcd_x86_64-...`).
 */
export function runningScheduler(root: string): string | undefined {
  try {
    const name = readFileSync(join(root, 'root', 'ops'), 'utf8').trim();
    return name === '' ? undefined : name;
  } catch {
    return undefined;
  }
}
