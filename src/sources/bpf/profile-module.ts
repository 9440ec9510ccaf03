/**
 * Scheduler profiles from the user's own modules (`run --profile ./stats.js`): a scheduler whose stats were
 * declared in TypeScript and laid out by gen-header is read like a built-in profile, by name or when its ops
 * name runs, with no change to scx-metrics.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isStatSet } from '../../declare/is-stat-set.js';
import { errorMessage } from '../../log.js';
import { UsageError } from '../../cli/flags.js';
import { type SchedulerProfile, defineProfile } from './profile.js';

function isProfile(v: unknown): v is SchedulerProfile {
  if (typeof v !== 'object' || v === null) return false;
  const p = v as Partial<Record<keyof SchedulerProfile, unknown>>;
  return typeof p.name === 'string' && typeof p.ops === 'string' && Array.isArray(p.programs) && isStatSet(p.stats);
}

/** Imports a module and returns the profile it exports as default or as `profile` (checked by defineProfile). */
export async function loadProfileModule(path: string): Promise<SchedulerProfile> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(resolve(path)).href)) as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(`--profile ${path}: cannot import: ${errorMessage(err).split('\n')[0]}`);
  }
  const found = [mod.default, mod.profile].find(isProfile);
  if (found === undefined) {
    const exported = Object.keys(mod).join(', ') || 'nothing';
    throw new UsageError(`--profile ${path}: no scheduler profile exported as default or "profile" (expected the result of defineProfile({ name, ops, programs, stats }); it exports ${exported})`);
  }
  try {
    return defineProfile({ ...found, layoutFrom: found.layoutFrom ?? path });
  } catch (err) {
    throw new UsageError(`--profile ${path}: ${errorMessage(err)}`);
  }
}
