/**
 * `scx-metrics run ... | head`: real processes and a real pipe. The agent writes into the pipe; `head` reads a
 * few lines and exits, closing the read end, as in a shell pipeline.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, exited, exitedWithin, waitFor } from '../helpers/cli.js';

/** Generous: a hang guard, not a speed claim. */
const HANG_GUARD_MS = 60_000;

function intoHead(args: readonly string[], headArgs: readonly string[]) {
  const head = spawn('head', [...headArgs], { stdio: ['pipe', 'pipe', 'ignore'] });
  let got = '';
  head.stdout.setEncoding('utf8').on('data', (d: string) => (got += d));
  const headGone = exited(head);
  const child = spawn(process.execPath, [cliPath, 'run', ...args], { stdio: ['ignore', head.stdin, 'pipe'] });
  // Only head holds the read end, and only the agent the write end: head exiting is the reader going away.
  head.stdin.destroy();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const gone = exitedWithin(child, HANG_GUARD_MS, `scx-metrics ${args.join(' ')} | head ${headArgs.join(' ')}`);
  return { child, gone, headGone, got: () => got, stderr: () => stderr };
}

/** Lines on stderr about an output going away or anything failing. */
function aboutEnding(stderr: string): string[] {
  return stderr.split('\n').filter((l) => /terminal|EPIPE|reader|jsonl|error/i.test(l));
}

test('run | head -n 3: the report was the only output; when head exits the agent ends on its own, status 0, nothing said', async (t) => {
  const p = intoHead(['--interval', '0.05', '--no-probe'], ['-n', '3']);
  t.after(() => p.child.kill('SIGKILL'));
  await p.headGone;
  const { code, signal } = await p.gone;
  assert.equal(signal, null, p.stderr());
  assert.equal(code, 0, p.stderr());
  assert.equal(p.got().split('\n').length - 1, 3, 'head got its three lines');
  assert.match(p.got(), /^scx-metrics \d{4}-\d\d-\d\d /);
  assert.deepEqual(aboutEnding(p.stderr()), [], p.stderr());
});

test('run --report none --jsonl - | head -n 2: the same for JSON lines on standard output', async (t) => {
  const p = intoHead(['--interval', '0.05', '--no-probe', '--report', 'none', '--jsonl', '-'], ['-n', '2']);
  t.after(() => p.child.kill('SIGKILL'));
  await p.headGone;
  const { code } = await p.gone;
  assert.equal(code, 0, p.stderr());
  const lines = p.got().trimEnd().split('\n');
  assert.equal(lines.length, 2);
  for (const l of lines) assert.equal((JSON.parse(l) as { schema: number }).schema, 1);
  assert.deepEqual(aboutEnding(p.stderr()), [], p.stderr());
});

test('run --enable-prometheus | head -n 3: the report stops (said once), /metrics goes on being served and collected, SIGTERM ends it with 0', async (t) => {
  const p = intoHead(['--interval', '0.05', '--no-probe', '--enable-prometheus', '--prometheus-listen', '127.0.0.1:0'], ['-n', '3']);
  t.after(() => p.child.kill('SIGKILL'));
  await waitFor(() => /serving http:\/\/127\.0\.0\.1:\d+\/metrics/.test(p.stderr()), 30_000, 'the listening address');
  const url = /serving (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(p.stderr())?.[1] as string;
  await p.headGone;
  const said = 'scx-metrics: warning: terminal report stopped: its reader went away (EPIPE)';
  await waitFor(() => p.stderr().includes(said), 30_000, `the report stopping (${p.stderr()})`);
  const collections = async (): Promise<number> => {
    const res = await fetch(url);
    assert.equal(res.status, 200);
    return Number(/^scx_metrics_collections_total (\d+)$/m.exec(await res.text())?.[1]);
  };
  // Five more collections after it was said, seen through real scrapes: the agent goes on, and does not say it again.
  const after = await collections();
  let now = after;
  const end = Date.now() + 30_000;
  while (now < after + 5) {
    assert.ok(Date.now() < end, `collections stuck at ${now}`);
    await new Promise((r) => setTimeout(r, 50));
    now = await collections();
  }
  assert.equal(p.child.exitCode, null, 'still running');
  assert.deepEqual(aboutEnding(p.stderr()), [said], p.stderr());
  p.child.kill('SIGTERM');
  const { code } = await p.gone;
  assert.equal(code, 0, p.stderr());
  assert.equal(p.got().split('\n').length - 1, 3);
});

test("run 2>&1-style: stderr's reader goes away; diagnostics stop, the agent and its report go on, SIGTERM ends it with 0", async (t) => {
  // A user sink that warns at every flush, so the agent writes to stderr after its reader is gone.
  const dir = mkdtempSync(join(tmpdir(), 'scx-stderr-'));
  const sink = join(dir, 'noisy-sink.mjs');
  writeFileSync(sink, "export default ({ log }) => ({ name: 'noisy', flush() { log.warn('noisy: flushed'); } });\n");
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const child = spawn(process.execPath, [cliPath, 'run', '--interval', '0.05', '--no-probe', '--sink', sink], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  const gone = exitedWithin(child, HANG_GUARD_MS, 'scx-metrics run with its stderr closed');
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  await waitFor(() => err.includes('noisy: flushed'), 30_000, 'the first warning');
  child.stderr.destroy(); // the reader of stderr goes away: the agent's next warning meets EPIPE
  const reports = (): number => out.split('\n').filter((l) => /^scx-metrics \d{4}-/.test(l)).length;
  const seen = reports();
  await waitFor(() => reports() >= seen + 5, 30_000, 'five more reports after stderr closed');
  child.kill('SIGTERM');
  const { code, signal } = await gone;
  assert.equal(signal, null);
  assert.equal(code, 0, out.slice(-500));
});
