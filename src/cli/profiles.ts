/** Scheduler profiles by name, for --scheduler. (Filled from profiles/ once the BPF branch lands them.) */
import type { StatSet } from '../declare/types.js';

const profiles: readonly StatSet[] = [];

export function profileNames(): string[] {
  return profiles.map((p) => p.name);
}

export function findProfile(name: string): StatSet | undefined {
  return profiles.find((p) => p.name === name || `scx_${p.name}` === name);
}
