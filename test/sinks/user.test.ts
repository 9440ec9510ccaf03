/**
 * User sinks through the CLI: the README's example module (examples/my-sink.js) receives every stat
 * `describe` lists; bad modules are refused with one line; a user sink's failures are contained.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { healthStats } from '../../src/health.js';
import { memoryLogger } from '../../src/support/log.js';
import { Registry } from '../../src/registry/index.js';
import { loadUserSink } from '../../src/sinks/user.js';
import { cliPath, exited, runCli, waitFor } from '../helpers/cli.js';

const example = fileURLToPath(new URL('../../../examples/my-sink.js', import.meta.url));

interface Described {
  stats: { name: string; kind: string }[];
}

test('user sink: examples/my-sink.js, loaded with --sink, receives every stat describe lists', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'scx-user-sink-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const spool = join(dir, 'lumen.spool');

  const described = runCli(['describe', '--format', 'json']);
  assert.equal(described.status, 0, described.stderr);
  const expected = (JSON.parse(described.stdout) as Described[])
    .flatMap((set) => set.stats)
    // describe shows exposed names: counters carry _total, which the family name does not.
    .map((s) => `${s.kind === 'counter' ? s.name.replace(/_total$/, '') : s.name} ${s.kind}`)
    .sort();
  assert.ok(expected.length >= 10, 'describe lists the host and health stats');

  const child = spawn(process.execPath, [cliPath, 'run', '--interval', '0.2', '--report', 'none', '--sink', example], {
    env: { ...process.env, LUMEN_SPOOL: spool },
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const gone = exited(child);
  const puts = (): number => (existsSync(spool) ? (readFileSync(spool, 'utf8').match(/^PUT scx_metrics_collections\{\} /gm)?.length ?? 0) : 0);
  await waitFor(() => puts() >= 3, 20_000, `three intervals in the spool (${stderr})`);
  child.kill('SIGTERM');
  const { code } = await gone;
  assert.equal(code, 0, stderr);

  const text = readFileSync(spool, 'utf8');
  const declared = [...text.matchAll(/^DECLARE (\S+) (\S+) /gm)].map((m) => `${m[1]} ${m[2]}`).sort();
  assert.deepEqual(declared, expected, 'every declared stat, once, with its kind');
  // Values arrive too: the collection counter goes up interval by interval.
  const collections = [...text.matchAll(/^PUT scx_metrics_collections\{\} (\d+) \d+$/gm)].map((m) => Number(m[1]));
  assert.ok(collections.length >= 3);
  for (let i = 1; i < collections.length; i++) assert.ok((collections[i] as number) > (collections[i - 1] as number));
  assert.match(text, /^PUT scx_host_cpu_seconds\{cpu=0,mode=user\} [\d.]+ \d+$/m, 'labelled series with their values');
});

test('user sink: modules that do not follow the contract are refused with one line naming the module, exit 2', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'scx-user-sink-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cases: [string, string, RegExp][] = [
    ['number.js', 'export default 42;', /the default export must be a Sink object or a factory/],
    ['noname.js', 'export default { flush() {} };', /the Sink has no name/],
    ['nothing.js', "export default { name: 'x' };", /neither flush\(\) nor start\(\)/],
    ['nodefault.js', 'export const sink = 1;', /no default export/],
    ['throws.js', "export default () => { throw new Error('no API key'); };", /the factory threw: no API key/],
    ['syntax.js', 'export default {', /cannot load the module/],
  ];
  for (const [file, body, why] of cases) {
    const path = join(dir, file);
    writeFileSync(path, body);
    const r = runCli(['run', '--report', 'none', '--sink', path]);
    assert.equal(r.status, 2, `${file}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${file}: one line, got ${r.stderr}`);
    assert.match(lines[0] as string, new RegExp(`^scx-metrics: --sink ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
    assert.match(lines[0] as string, why);
  }
  const missing = runCli(['run', '--sink', join(dir, 'missing.js')]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /--sink .*missing\.js: cannot load the module/);
});

test('user sink: a flush that throws or rejects is counted and logged once; the sink keeps being called', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'scx-user-sink-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'flaky.js');
  writeFileSync(path, "let n = 0; export default { name: 'flaky', calls: () => n, async flush() { n++; throw new Error('backend 503'); } };");
  const log = memoryLogger();
  const sink = await loadUserSink(new URL(`file://${path}`).href, { log, intervalSeconds: 1, env: {}, path });
  const registry = new Registry();
  await sink.start?.({ registry, log });
  for (let i = 0; i < 3; i++) sink.flush?.({ registry, timeMs: 0, intervalSeconds: 1, final: false });
  const errors = registry.family(healthStats.stats.sink_errors).with({ sink: 'flaky' });
  await waitFor(() => errors.value === 3, 5000, 'three counted errors');
  assert.equal(log.lines.filter((l) => l.includes('sink flaky: backend 503')).length, 1);
});
