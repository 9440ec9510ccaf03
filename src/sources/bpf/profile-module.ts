/**
 * Scheduler profiles from the user's own modules (`run --profile ./stats.js`): a scheduler whose stats were
 * declared in TypeScript and laid out by gen-header is read like a built-in profile, by name or when its ops
 * name runs, with no change to scx-metrics.
 */
import { isStatSet } from '../../declare/is-stat-set.js';
import { errorMessage } from '../../support/log.js';
import { UsageError } from '../../plugin/flags.js';
import { importExport } from '../../plugin/user-module.js';
import { type SchedulerProfile, defineProfile } from '../../bpf-layout/profile.js';

function isProfile(v: unknown): v is SchedulerProfile {
  if (typeof v !== 'object' || v === null) return false;
  const p = v as Partial<Record<keyof SchedulerProfile, unknown>>;
  return typeof p.name === 'string' && typeof p.ops === 'string' && Array.isArray(p.programs) && isStatSet(p.stats);
}

/** Imports a module and returns the profile it exports as default or as `profile` (checked by defineProfile). */
export async function loadProfileModule(path: string): Promise<SchedulerProfile> {
  const found = await importExport('profile', path, {
    exports: ['default', 'profile'],
    accept: isProfile,
    what: 'scheduler profile',
    hint: 'the result of defineProfile({ name, ops, programs, stats })',
  });
  try {
    return defineProfile({ ...found, layoutFrom: found.layoutFrom ?? path });
  } catch (err) {
    throw new UsageError(`--profile ${path}: ${errorMessage(err)}`);
  }
}
