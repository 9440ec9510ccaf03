// The README's library example, run as a program: it must serve its own stats and stop cleanly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { exited, waitFor } from '../helpers/cli.js';

const example = fileURLToPath(new URL('../../../examples/library.mjs', import.meta.url));

test('examples/library.mjs serves its declared stats on /metrics and reports on stdout', async () => {
  const child = spawn(process.execPath, [example], { env: { ...process.env, PORT: '0', INTERVAL: '0.3' } });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  try {
    await waitFor(() => /serving (http:\S+)/.test(err), 10_000, 'the example to listen');
    const url = /serving (http:\S+)/.exec(err)?.[1] as string;
    await waitFor(() => out.includes('myapp_dispatched_total'), 10_000, 'a report');
    const body = await (await fetch(url)).text();
    const local = Number(/^myapp_dispatched_total\{path="local"\} (\d+)$/m.exec(body)?.[1]);
    const global = Number(/^myapp_dispatched_total\{path="global"\} (\d+)$/m.exec(body)?.[1]);
    assert.ok(local > 0 && local === 3 * global, `local ${local}, global ${global}`);
    assert.match(body, /^# TYPE myapp_queue_depth gauge$/m);
    assert.match(out, /myapp_dispatched_total: \d+ \[[\d.]+\/s\]\n {4}local: \d+ \(75\.0%\)/);
    child.kill('SIGINT');
    assert.equal((await exited(child)).code, 0, err);
  } finally {
    child.kill('SIGKILL');
  }
});
