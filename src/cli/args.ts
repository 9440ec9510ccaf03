/**
 * A command's argv to flag values, with our own one-line usage errors: node's parseArgs messages span lines
 * and point nowhere (an unknown flag gets no suggestion, `-i -1` gets a hint on its third line). The tokens
 * of a lenient parse are checked first; the strict parse then only fills in values and defaults.
 */
import { parseArgs } from 'node:util';
import { type FlagSpecs, type FlagValues, UsageError } from '../plugin/flags.js';

export interface ParsedArgs {
  readonly values: FlagValues;
  /** The flags the user gave (by long name), as opposed to defaults. */
  readonly given: ReadonlySet<string>;
}

/** Levenshtein distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length] as number;
}

/** The known flag closest to `name`, when it is close enough to be a typo (a third of its length, at least 1). */
export function closestFlag(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return bestD <= Math.max(1, Math.floor(name.length / 3)) ? best : undefined;
}

/** Parses `args` for `command` against `specs`; throws a one-line UsageError; runs each given flag's `check`. */
export function parseCommandArgs(command: string, args: readonly string[], specs: FlagSpecs): ParsedArgs {
  const help = `(see scx-metrics ${command} --help)`;
  const lenient = parseArgs({ args: [...args], options: specs, strict: false, allowPositionals: true, tokens: true });
  const given = new Set<string>();
  for (const t of lenient.tokens) {
    if (t.kind === 'positional') throw new UsageError(`${command}: unexpected argument "${t.value}": ${command} takes flags only ${help}`);
    if (t.kind !== 'option') continue;
    const spec = specs[t.name];
    if (spec === undefined) {
      const near = t.rawName.startsWith('--') ? closestFlag(t.name, Object.keys(specs)) : undefined;
      throw new UsageError(`${command}: unknown flag ${t.rawName}${near === undefined ? '' : `; did you mean --${near}?`} ${help}`);
    }
    const long = `--${t.name}`;
    if (spec.type === 'boolean') {
      if (t.value !== undefined) throw new UsageError(`${command}: ${t.rawName} takes no value (got "${t.value}") ${help}`);
    } else if (t.value === undefined) {
      throw new UsageError(`${command}: ${t.rawName} needs a value: ${spec.metavar ?? 'VALUE'} ${help}`);
    } else if (!t.inlineValue && t.value.length > 1 && t.value.startsWith('-')) {
      // `-i -1`: a value that looks like a flag is taken only when attached to its flag (a lone `-` is stdout).
      throw new UsageError(`${command}: ${t.rawName} needs a value but is followed by "${t.value}", which looks like a flag (for a value starting with "-", write ${long}=${t.value})`);
    }
    given.add(t.name);
  }
  const values = parseArgs({ args: [...args], options: specs, strict: true, allowPositionals: false }).values as FlagValues;
  for (const name of given) {
    const check = specs[name]?.check;
    const v = values[name];
    if (check !== undefined) for (const text of Array.isArray(v) ? v : typeof v === 'string' ? [v] : []) check(name, text);
  }
  return { values, given };
}
