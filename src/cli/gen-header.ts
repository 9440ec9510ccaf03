/**
 * `scx-metrics gen-header`: prints the C header for a scheduler's BPF side, from a profile (`--scheduler`) or
 * from the user's own declarations module (`--stats ./stats.js`), to stdout or `-o FILE`.
 */
import { cHeader } from '../codegen/c-header.js';
import { enumLayout } from '../codegen/enum-layout.js';
import { isStatSet } from '../declare/is-stat-set.js';
import { importExport } from '../plugin/user-module.js';
import type { StatSet } from '../declare/types.js';
import { errorMessage } from '../support/log.js';
import { type FlagSpecs, type FlagValues, UsageError, stringFlag } from '../plugin/flags.js';
import { findProfile, profiles } from '../../profiles/index.js';
import { writeOutput } from './output.js';

/**
 * The profiles a header can be made for: those with a stats enum. Others (central: BPF globals in .bss)
 * are read by the bpf source as they are and have nothing to generate.
 */
export function enumProfiles(): string[] {
  return Object.entries(profiles)
    .filter(([, p]) => enumLayout(p.stats).slots.length > 0)
    .map(([name]) => name);
}

export function genHeaderFlags(): FlagSpecs {
  return {
    scheduler: { type: 'string', metavar: 'NAME', help: `A built-in scheduler profile with a stats enum (${enumProfiles().join(', ')})` },
    stats: { type: 'string', metavar: 'MODULE', help: 'A JavaScript module exporting a StatSet (defineStats) as default or as "stats"' },
    output: { type: 'string', short: 'o', metavar: 'FILE', help: 'Write the header to FILE instead of stdout' },
    prefix: { type: 'string', metavar: 'NAME', help: 'Prefix of the C names, e.g. RUSTY for RUSTY_STAT_* (default: the set name)' },
    'map-name': { type: 'string', metavar: 'NAME', help: 'The per-CPU stats map to lay out and its C variable name (default: the declarations\' map, else stats)' },
  };
}

/** Imports a declarations module and returns its StatSet (default export, else the export named `stats`). */
export function loadStatsModule(path: string): Promise<StatSet> {
  return importExport('stats', path, { exports: ['default', 'stats'], accept: isStatSet, what: 'StatSet', hint: 'the result of defineStats' });
}

export async function genHeaderCommand(values: FlagValues): Promise<number> {
  const scheduler = stringFlag(values, 'scheduler');
  const statsPath = stringFlag(values, 'stats');
  if ((scheduler === undefined) === (statsPath === undefined)) {
    throw new UsageError('gen-header: give exactly one of --scheduler NAME or --stats MODULE');
  }
  let set: StatSet;
  if (scheduler !== undefined) {
    const found = findProfile(scheduler);
    if (found === undefined) throw new UsageError(`--scheduler: no profile "${scheduler}" (profiles with a stats enum: ${enumProfiles().join(', ')})`);
    set = found.stats;
  } else {
    set = await loadStatsModule(statsPath as string);
  }
  let text: string;
  try {
    const h = cHeader(set, { prefix: stringFlag(values, 'prefix'), mapName: stringFlag(values, 'map-name') });
    for (const s of h.layout.skipped) process.stderr.write(`scx-metrics: gen-header: ${s.stat.key} is not in the stats map: ${s.reason}\n`);
    text = h.text;
  } catch (err) {
    throw new UsageError(`gen-header: ${errorMessage(err)}`);
  }
  writeOutput('gen-header', values, text);
  return 0;
}

