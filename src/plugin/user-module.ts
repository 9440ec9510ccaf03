/** The user's own modules named by a flag (`gen-header --stats`, `run --profile`, `--sink`-like flags). */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runAs } from '../support/containment.js';
import { errorMessage } from '../support/log.js';
import { UsageError } from './flags.js';

/**
 * Imports the module at `path` (relative to the working directory) and returns the first of its `exports`
 * that `accept` takes. Either failure is one usage error naming the flag, the path and what was expected.
 */
export async function importExport<T>(
  flag: string,
  path: string,
  want: { readonly exports: readonly string[]; readonly accept: (v: unknown) => v is T; readonly what: string; readonly hint: string },
): Promise<T> {
  let mod: Record<string, unknown>;
  try {
    // What the module's top level starts (a timer) is charged to it if it throws later (containment.ts).
    mod = (await runAs(`module:${path}`, () => import(pathToFileURL(resolve(path)).href))) as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(`--${flag} ${path}: cannot import: ${errorMessage(err).split('\n')[0]}`);
  }
  for (const name of want.exports) {
    const v = mod[name];
    if (want.accept(v)) return v;
  }
  const names = want.exports.map((n) => (n === 'default' ? 'default' : `"${n}"`)).join(' or ');
  throw new UsageError(`--${flag} ${path}: no ${want.what} exported as ${names} (expected ${want.hint}; it exports ${Object.keys(mod).join(', ') || 'nothing'})`);
}
