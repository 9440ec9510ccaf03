/** Whether an open map has the shape a read plan expects: the check between the pure plan and the kernel's answer. */
import type { MapPlan } from '../../bpf-layout/layout.js';
import { mapTypeName } from '../../bpf-layout/map-type.js';
import type { MapInfo } from './sys.js';

/**
 * How a map differs from the plan's shape, or undefined when it fits: the expected and the found values of
 * each differing property (`max_entries 17` / `max_entries 16`), for one line naming both.
 */
export function shapeMismatch(plan: MapPlan, info: MapInfo): { readonly expected: string; readonly found: string } | undefined {
  const s = plan.shape;
  const expected: string[] = [];
  const found: string[] = [];
  const differs = (what: string, want: string, got: string): void => {
    expected.push(`${what} ${want}`);
    found.push(`${what} ${got}`);
  };
  if (info.type !== s.type) differs('type', mapTypeName(s.type), mapTypeName(info.type));
  if (info.keySize !== s.keySize) differs('key size', String(s.keySize), String(info.keySize));
  if (s.valueSizeIsMinimum ? info.valueSize < s.valueSize : info.valueSize !== s.valueSize) {
    differs('value size', `${s.valueSizeIsMinimum ? 'at least ' : ''}${s.valueSize}`, String(info.valueSize));
  }
  if (s.maxEntries !== undefined && info.maxEntries !== s.maxEntries) differs('max_entries', String(s.maxEntries), String(info.maxEntries));
  if (expected.length === 0) return undefined;
  return { expected: expected.join(', '), found: found.join(', ') };
}
