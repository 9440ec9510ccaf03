/**
 * Crash safety with real agent processes: user sink modules and a user profile module that throw and reject
 * everywhere they can (flush, close, their own timers, I/O event handlers, promises nobody awaits, the module's
 * top level) do not stop `scx-metrics run`. Each failure is counted (scraped from the agent's own /metrics),
 * said once on stderr, and SIGTERM still ends the run with 0 after every other sink closed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exitedWithin, startCli } from '../helpers/cli.js';
import { freePort, get } from '../sinks/prometheus/http.js';

const profiles = fileURLToPath(new URL('../../profiles/simple.js', import.meta.url));
const define = fileURLToPath(new URL('../../src/bpf-layout/profile.js', import.meta.url));

/** Each module fails in one place, so each failure has its own counter series and its own log line. */
const modules: Record<string, string> = {
  // Throws from a timer it started in start(): an uncaught exception.
  'timer.mjs': `export default { name: 'timer', async start() { setInterval(() => { throw new Error('timer threw'); }, 60).unref(); }, flush() {} };`,
  // An async timer callback that rejects: an unhandled rejection.
  'rejection.mjs': `export default { name: 'rejection', async start() { setInterval(async () => { throw new Error('async timer rejected'); }, 60).unref(); }, flush() {} };`,
  // A UDP socket's 'message' handler that throws, fed by the sink itself: an exception from an I/O event.
  'handler.mjs': `import dgram from 'node:dgram';
export default { name: 'handler', async start() {
  const s = dgram.createSocket('udp4');
  s.on('message', () => { throw new Error('message handler threw'); });
  await new Promise((r) => s.bind(0, '127.0.0.1', r));
  s.unref();
  setInterval(() => s.send('x', s.address().port, '127.0.0.1'), 60).unref();
}, flush() {} };`,
  // A promise started in flush and never awaited, rejecting later.
  'floating.mjs': `export default { name: 'floating', flush() { void new Promise((_, reject) => setTimeout(() => reject(new Error('floating promise rejected')), 5)); } };`,
  // flush itself: throws synchronously on odd calls, returns a rejecting promise on even ones.
  'flush.mjs': `let n = 0; export default { name: 'flush', flush() { if (n++ % 2 === 0) throw new Error('flush threw'); return Promise.reject(new Error('flush rejected')); } };`,
  // close throws: the agent must still close the others and exit 0.
  'close.mjs': `export default { name: 'close', flush() {}, async close() { throw new Error('close threw'); } };`,
  // The module's top level starts a timer that throws, before any sink exists.
  'toplevel.mjs': `setInterval(() => { throw new Error('module top level threw'); }, 60).unref(); export default { name: 'toplevel', flush() {} };`,
};

function metric(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

test('crash safety: user sinks and a profile module that throw everywhere do not stop run; each failure is counted and said once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'scx-crash-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [file, body] of Object.entries(modules)) writeFileSync(join(dir, file), body);
  // The witness closes last-in-line behind the failing close: its file proves the other closes still ran.
  const closed = join(dir, 'witness.closed');
  writeFileSync(
    join(dir, 'witness.mjs'),
    `import { writeFileSync } from 'node:fs'; export default { name: 'witness', flush() {}, async close() { writeFileSync(${JSON.stringify(closed)}, 'closed'); } };`,
  );
  writeFileSync(
    join(dir, 'profile.mjs'),
    `import { simpleStats } from '${profiles}';\nimport { defineProfile } from '${define}';\n` +
      `setInterval(() => { throw new Error('profile module threw'); }, 60).unref();\n` +
      `export default defineProfile({ name: 'crashy', ops: 'crashy', programs: ['nomatch_'], layoutFrom: 'test', stats: simpleStats });\n`,
  );

  const port = await freePort();
  const sinks = [...Object.keys(modules), 'witness.mjs'].flatMap((f) => ['--sink', join(dir, f)]);
  const agent = startCli(['run', '--interval', '0.1', '--report', 'none', '--no-probe', '--enable-prometheus', '--prometheus-listen', `127.0.0.1:${port}`, '--profile', join(dir, 'profile.mjs'), ...sinks]);
  const gone = exitedWithin(agent, 30_000, 'the agent');
  t.after(() => agent.kill('SIGKILL'));

  const scrape = async (): Promise<string> => (await get(port)).body.toString('utf8');
  const escaped = (owner: string): string => `scx_metrics_escaped_errors_total{owner="${owner}"}`;
  const sinkErrors = (sink: string): string => `scx_metrics_sink_errors_total{sink="${sink}"}`;
  const wanted = [
    escaped('sink:timer'),
    escaped('sink:rejection'),
    escaped('sink:handler'),
    escaped(`module:${join(dir, 'toplevel.mjs')}`),
    escaped(`module:${join(dir, 'profile.mjs')}`),
    sinkErrors('flush'),
  ];
  let text = '';
  const end = Date.now() + 20_000;
  while (!wanted.every((n) => (metric(text, n) ?? 0) >= 3)) {
    if (agent.exitCode !== null || Date.now() > end) {
      assert.fail(`every failure counted 3 times (${wanted.join(', ')}); agent exit ${agent.exitCode}\nlast scrape:\n${text}\nstderr:\n${agent.output().stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
    text = await scrape().catch(() => '');
  }
  const collectionsBefore = metric(text, 'scx_metrics_collections_total') ?? 0;
  await new Promise((r) => setTimeout(r, 500));
  text = await scrape();
  assert.ok((metric(text, 'scx_metrics_collections_total') ?? 0) > collectionsBefore, 'still collecting after all those failures');
  // A floating rejection escapes after flush returned: the owner is the sink when the runtime keeps the
  // context, else "unknown"; either way it is counted.
  const floating = (metric(text, escaped('sink:floating')) ?? 0) + (metric(text, escaped('unknown')) ?? 0);
  assert.ok(floating >= 3, `the floating rejections are counted (got ${floating})`);

  agent.kill('SIGTERM');
  const { code } = await gone;
  const { stderr } = agent.output();
  assert.equal(code, 0, stderr);
  assert.ok(existsSync(closed) && readFileSync(closed, 'utf8') === 'closed', 'the sink after the failing close was closed too');
  const once = (re: RegExp, what: string): void => {
    const n = stderr.split('\n').filter((l) => re.test(l)).length;
    assert.equal(n, 1, `${what}: said once, said ${n} times in\n${stderr}`);
  };
  once(/^scx-metrics: warning: sink timer: uncaught Error from a timer, event handler or unhandled promise: timer threw /, 'the timer');
  once(/^scx-metrics: warning: sink rejection: .*async timer rejected/, 'the async timer');
  once(/^scx-metrics: warning: sink handler: .*message handler threw/, 'the event handler');
  once(/^scx-metrics: warning: module \S+toplevel\.mjs: .*module top level threw/, 'the module top level');
  once(/^scx-metrics: warning: module \S+profile\.mjs: .*profile module threw/, 'the profile module');
  once(/floating promise rejected/, 'the floating promise');
  once(/^scx-metrics: warning: sink flush: flush (threw|rejected)$/, 'flush');
  once(/^scx-metrics: warning: sink close: close failed: close threw$/, 'close');
});
