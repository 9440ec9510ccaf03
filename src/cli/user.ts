/**
 * `run --user NAME [--keep-caps CAPS]`: the flags, checked before anything starts, and the drop, done once
 * the agent has started (sources attached, sinks listening) so what needs root is already open.
 */
import type { Logger } from '../support/log.js';
import { FOLLOW_CAPS, type CapName, parseCapList } from '../privilege/caps.js';
import { type DropResult, PrivilegeError, describeDrop, dropPrivileges, resolveUser } from '../privilege/drop.js';
import type { UserEntry } from '../privilege/libc.js';
import { type FlagSpecs, type FlagValues, UsageError, stringFlag } from '../plugin/flags.js';

export const userFlags: FlagSpecs = {
  user: {
    type: 'string',
    metavar: 'NAME',
    help: 'After starting as root, run as this user, keeping only the capabilities of --keep-caps',
  },
  'keep-caps': {
    type: 'string',
    metavar: 'CAPS',
    help: `Capabilities kept after --user: comma-separated names, or none (default: ${FOLLOW_CAPS.join(',')}, what following a scheduler switch needs)`,
    check: (flag, text) => {
      try {
        parseCapList(text);
      } catch (err) {
        throw new UsageError(`--${flag}: ${(err as Error).message}`);
      }
    },
  },
};

/** What to drop to, from the flags; undefined without --user. Throws UsageError on a bad user or combination. */
export function plannedDrop(values: FlagValues): { user: UserEntry; keep: readonly CapName[] } | undefined {
  const name = stringFlag(values, 'user');
  const caps = stringFlag(values, 'keep-caps');
  if (name === undefined) {
    if (caps !== undefined) throw new UsageError('--keep-caps has no effect without --user NAME');
    return undefined;
  }
  try {
    return { user: resolveUser(name), keep: caps === undefined ? FOLLOW_CAPS : parseCapList(caps) };
  } catch (err) {
    if (err instanceof PrivilegeError) throw new UsageError(err.message);
    throw err;
  }
}

/** Drops as planned and says what was kept, once. Throws PrivilegeError when the drop cannot be done. */
export function dropNow(plan: { user: UserEntry; keep: readonly CapName[] }, log: Logger): DropResult {
  const r = dropPrivileges(plan.user, plan.keep);
  log.info(describeDrop(r));
  return r;
}
