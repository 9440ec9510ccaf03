/**
 * Run settings for the property tests. In `npm test` every property runs a fixed number of times from a
 * fixed seed, so a failure is reproducible and the suite stays fast. `npm run fuzz` (scripts/fuzz.mjs) sets
 * FUZZ_SCALE (runs multiplied) and FUZZ_SEED (a new seed each time, printed), and collects the run counts
 * written here to FUZZ_REPORT. A failing property prints its seed and counterexample (fast-check does).
 */
import { appendFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Parameters } from 'fast-check';

/** The suite's seed: fixed, so `npm test` runs the same cases every time. */
export const SUITE_SEED = 0x5c7f_2026;

const scale = Math.max(1, Number(process.env.FUZZ_SCALE ?? '1') || 1);
const seed = process.env.FUZZ_SEED === undefined ? SUITE_SEED : Number(process.env.FUZZ_SEED);
let total = 0;
let properties = 0;

/** fast-check parameters for one property: `baseRuns` in the suite, times FUZZ_SCALE under `npm run fuzz`. */
export function fuzzRuns<T>(baseRuns: number): Parameters<T> {
  const numRuns = Math.round(baseRuns * scale);
  total += numRuns;
  properties++;
  return { seed, numRuns };
}

/** Runs counted so far (examples generated for the properties started), for peers checked in batches. */
export function countRuns(n: number): void {
  total += n;
}

/** The number of cases a batch-checked property generates: `base` in the suite, scaled under fuzz. */
export function scaled(base: number): number {
  return Math.round(base * scale);
}

const report = process.env.FUZZ_REPORT;
if (report !== undefined) {
  process.on('exit', () => {
    appendFileSync(report, `${JSON.stringify({ file: basename(process.argv[1] ?? '?'), properties, runs: total, seed })}\n`);
  });
}
