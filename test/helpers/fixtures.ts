/** Temporary directory trees for fixture files (proc, sysfs); removed by the returned cleanup. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';

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

/** A real Writable stream that keeps what is written, for sinks that print. */
export function textCollector(): { stream: Writable; text(): string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { stream, text: () => text };
}
