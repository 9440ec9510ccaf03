/** Where a generating command (`gen-header`, `dashboard`) puts its text: stdout, or the file `-o` names. */
import { writeFileSync } from 'node:fs';
import { type FlagValues, stringFlag } from '../plugin/flags.js';

/** Writes `text` to `-o FILE` when given, else to stdout; a file that cannot be written is one line naming it and why. */
export function writeOutput(command: string, values: FlagValues, text: string): void {
  const out = stringFlag(values, 'output');
  if (out === undefined) {
    process.stdout.write(text);
    return;
  }
  try {
    writeFileSync(out, text);
  } catch (err) {
    throw new Error(`${command}: cannot write -o ${out}: ${writeProblem(err as NodeJS.ErrnoException)}`);
  }
}

/** The errno of a failed write with its meaning (`EACCES (permission denied)`). */
function writeProblem(err: NodeJS.ErrnoException): string {
  const meaning: Record<string, string> = {
    ENOENT: 'no such directory',
    ENOTDIR: 'a parent is not a directory',
    EISDIR: 'it is a directory',
    EACCES: 'permission denied',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on device',
  };
  if (err.code === undefined) return err.message;
  const why = meaning[err.code] ?? /^\w+: ([^,]+)/.exec(err.message)?.[1];
  return why === undefined ? err.code : `${err.code} (${why})`;
}
