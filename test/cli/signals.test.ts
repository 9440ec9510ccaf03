/**
 * Signals through the real CLI: a SIGTERM while a sink's start hangs ends the run (closing the sinks that
 * started), a second signal while stopping exits at once with 128 + the signal's number, and a process left
 * lingering after the run (a sink's close left behind) still dies on a signal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exitedWithin, startCli, waitFor } from '../helpers/cli.js';

/** Writes user sink modules into a fresh directory; each holds a timer while it hangs, as a pending lookup would. */
function sinkModules(t: { after(f: () => void): void }, modules: Record<string, string>): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'scx-signals-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const paths: Record<string, string> = {};
  for (const [name, body] of Object.entries(modules)) {
    paths[name] = join(dir, `${name}.mjs`);
    writeFileSync(paths[name], body);
  }
  return paths;
}

const hang = 'new Promise(() => setInterval(() => undefined, 1000))';

test('SIGTERM while a sink start hangs: the started sink is closed, exit 0', async (t) => {
  const m = sinkModules(t, {
    first: `export default { name: 'first', start: async () => {}, flush() {}, close: async () => { process.stderr.write('first closed\\n'); } };`,
    stuck: `export default { name: 'stuck', start: () => { process.stderr.write('stuck starting\\n'); return ${hang}; }, flush() {} };`,
  });
  const child = startCli(['run', '--report', 'none', '--sink', m.first!, '--sink', m.stuck!]);
  await waitFor(() => child.output().stderr.includes('stuck starting'), 20_000, 'the hanging start');
  child.kill('SIGTERM');
  const r = await exitedWithin(child, 20_000, 'after SIGTERM during a hanging start');
  assert.deepEqual(r, { code: 0, signal: null }, child.output().stderr);
  assert.match(child.output().stderr, /first closed/);
});

for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  test(`${signal} twice while a sink close hangs: exit ${status} at once`, async (t) => {
    const m = sinkModules(t, {
      stuck: `let said = false; export default { name: 'stuck', flush() { if (!said) process.stderr.write('flushed\\n'); said = true; }, start: async () => {}, close: () => { process.stderr.write('stuck closing\\n'); return ${hang}; } };`,
    });
    const child = startCli(['run', '--report', 'none', '--interval', '0.2', '--sink', m.stuck!]);
    await waitFor(() => child.output().stderr.includes('flushed'), 20_000, 'the first flush');
    child.kill(signal);
    await waitFor(() => child.output().stderr.includes('stuck closing'), 20_000, 'the hanging close');
    child.kill(signal);
    const r = await exitedWithin(child, 20_000, `after a second ${signal}`);
    assert.deepEqual(r, { code: status, signal: null }, child.output().stderr);
  });
}

test('a run that ended on its own and lingers (a close left behind) still dies on SIGTERM', async (t) => {
  const m = sinkModules(t, {
    gone: `export default { name: 'gone', flush() {}, start: async (ctx) => ctx.ended('output gone'), close: () => ${hang} };`,
  });
  const child = startCli(['run', '--report', 'none', '--interval', '0.2', '--sink', m.gone!]);
  await waitFor(() => /close did not finish .* left behind/.test(child.output().stderr), 20_000, 'the close left behind');
  child.kill('SIGTERM');
  const r = await exitedWithin(child, 20_000, 'a lingering process after SIGTERM');
  assert.deepEqual(r, { code: 143, signal: null }, child.output().stderr);
});
