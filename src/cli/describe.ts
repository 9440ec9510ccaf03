/** `scx-metrics describe`: every stat the configured sources declare, with kind, unit, labels and help. */
import type { StatDecl, StatSet } from '../declare/types.js';
import { counterSampleName } from '../declare/naming.js';
import { healthStats } from '../health.js';
import { createLogger } from '../support/log.js';
import { createSources, sourceFlags } from './catalog.js';
import { type FlagSpecs, type FlagValues, UsageError, stringFlag } from '../plugin/flags.js';

export function describeFlags(): FlagSpecs {
  return {
    format: { type: 'string', default: 'text', metavar: 'text|json', help: 'Output format' },
    ...sourceFlags(),
  };
}

/** The exposed sample name of a declaration (counters carry `_total`). */
export function exposedName(d: StatDecl): string {
  return d.kind === 'counter' ? counterSampleName(d.name) : d.name;
}

function labelText(d: StatDecl): string {
  return Object.entries(d.labels)
    .map(([k, v]) => (v === String ? `${k}=*` : `${k}=${(v as readonly string[]).join('|')}`))
    .join(',');
}

export async function describeCommand(values: FlagValues): Promise<number> {
  const format = stringFlag(values, 'format') ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format: "${format}" is not text or json`);
  const log = createLogger(undefined, { quiet: true });
  const sources = await createSources(values, { log, intervalSeconds: 1, out: process.stdout, env: process.env });
  const sets: StatSet[] = [...sources.flatMap((s) => s.stats()), healthStats];
  if (format === 'json') {
    const out = sets.map((set) => ({
      set: set.name,
      help: set.help,
      stats: Object.values(set.stats).map((d) => ({
        name: exposedName(d),
        kind: d.kind,
        unit: d.unit,
        labels: Object.fromEntries(Object.entries(d.labels).map(([k, v]) => [k, v === String ? null : v])),
        help: d.help,
      })),
    }));
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  }
  const lines: string[] = [];
  for (const set of sets) {
    lines.push(`${set.name}: ${set.help}`);
    const rows = Object.values(set.stats).map((d) => [exposedName(d), d.kind, d.unit || '-', labelText(d) || '-', d.help]);
    const w = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => (r[i] as string).length)));
    for (const r of rows) lines.push(`  ${r.slice(0, 4).map((c, i) => (c).padEnd(w[i] as number)).join('  ')}  ${r[4]}`);
    lines.push('');
  }
  process.stdout.write(lines.join('\n'));
  return 0;
}
