/** A structural check for declarations that come from user modules (gen-header --stats, run --profile). */
import type { StatSet } from './types.js';

/** True when `v` looks like what defineStats returns. */
export function isStatSet(v: unknown): v is StatSet {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as { name?: unknown; help?: unknown; stats?: unknown };
  if (typeof s.name !== 'string' || typeof s.help !== 'string' || typeof s.stats !== 'object' || s.stats === null) return false;
  return Object.values(s.stats).every((d: unknown) => {
    const decl = d as { kind?: unknown; name?: unknown; key?: unknown; labels?: unknown };
    return ['counter', 'gauge', 'histogram'].includes(decl.kind as string) && typeof decl.name === 'string' && decl.name !== '' && typeof decl.key === 'string';
  });
}
