/** The scheduler profiles `--scheduler NAME` selects, by name. */
import type { SchedulerProfile } from '../src/bpf-layout/profile.js';
import { central } from './central.js';
import { flatcg } from './flatcg.js';
import { nest } from './nest.js';
import { qmap } from './qmap.js';
import { rusty } from './rusty.js';
import { simple } from './simple.js';

export const profiles: Readonly<Record<string, SchedulerProfile>> = Object.freeze({ rusty, simple, nest, flatcg, central, qmap });

/** A profile by name, accepting the `scx_` prefix (`scx_rusty`). */
export function findProfile(name: string): SchedulerProfile | undefined {
  const key = name.startsWith('scx_') ? name.slice(4) : name;
  return Object.hasOwn(profiles, key) ? profiles[key] : Object.values(profiles).find((p) => p.ops === name);
}

export { central, flatcg, nest, qmap, rusty, simple };
