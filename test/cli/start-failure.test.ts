// A sink that cannot start ends the run before anything is read or sent: one line on stderr, exit 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';

function oneErrorLine(args: string[], re: RegExp): void {
  const r = runCli(args);
  assert.equal(r.status, 1, `${args.join(' ')}: status (stderr ${JSON.stringify(r.stderr)})`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `${args.join(' ')}: exactly one line, got ${JSON.stringify(r.stderr)}`);
  assert.match(lines[0] as string, re);
  assert.equal(r.stdout, '', 'no report was printed');
}

test('--jsonl into a directory that does not exist: one line naming the file, exit 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scx-start-'));
  try {
    const path = join(dir, 'missing', 'x.jsonl');
    oneErrorLine(['run', '--jsonl', path], new RegExp(`^scx-metrics: error: sink jsonl: cannot open ${path} for appending: ENOENT`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--enable-prometheus on a port in use: one line naming the address, exit 1', async () => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = holder.address() as { port: number };
    oneErrorLine(['run', '--enable-prometheus', '--prometheus-listen', `127.0.0.1:${port}`], new RegExp(`^scx-metrics: error: prometheus: listen tcp 127.0.0.1:${port}: address already in use$`));
  } finally {
    holder.close();
  }
});
