/** Temporary directory trees for fixture files (proc, sysfs); removed by the returned cleanup. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export function fixtureTree(files: Readonly<Record<string, string>>): { root: string; write(path: string, text: string): void; cleanup(): void } {
  const root = mkdtempSync(join(tmpdir(), 'scx-metrics-'));
  const write = (path: string, text: string): void => {
    const p = join(root, path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
  };
  for (const [path, text] of Object.entries(files)) write(path, text);
  return { root, write, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
