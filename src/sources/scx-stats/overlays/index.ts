/** The typing overlays this version knows, and how one is picked for a meta. */
import type { StatsMeta } from '../protocol.js';
import { bpflandOverlay } from './bpfland.js';
import { lavdOverlay } from './lavd.js';
import { layeredOverlay } from './layered.js';
import { rustyOverlay } from './rusty.js';
import type { ScxOverlay } from './types.js';

export type { ScxOverlay, StructOverlay, CountField, ShareCounts } from './types.js';

export const overlays: readonly ScxOverlay[] = [rustyOverlay, lavdOverlay, layeredOverlay, bpflandOverlay];

/** The overlay for a scheduler name (`rusty`, `scx_rusty`, or a sched_ext ops name such as `rusty_1.0.16_g1234`). */
export function overlayByName(name: string): ScxOverlay | undefined {
  const bare = name.replace(/^scx_/, '');
  return overlays.find((o) => o.scheduler === bare || bare.startsWith(`${o.scheduler}_`));
}

/** The overlay whose top struct and signature fields the meta has, if any. */
export function matchOverlay(meta: StatsMeta, top: string): ScxOverlay | undefined {
  const s = meta[top];
  if (s === undefined) return undefined;
  return overlays.find((o) => o.top === top && o.signature.every((f) => f in s.fields));
}
