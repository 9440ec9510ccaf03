import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cliPath, exited, runCli, waitFor } from '../../helpers/cli.js';
import { NOBODY, nobodyPath } from '../../helpers/unprivileged.js';
import { needRoot } from '../../helpers/peers.js';
import { missingForProbe, effectiveCaps } from '../../../src/sources/probe/privilege.js';

test('privilege check: CAP_BPF+CAP_PERFMON or CAP_SYS_ADMIN; names what is missing', () => {
  const bit = (n: number): bigint => 1n << BigInt(n);
  assert.equal(missingForProbe(bit(39) | bit(38)), undefined);
  assert.equal(missingForProbe(bit(21)), undefined);
  assert.equal(missingForProbe(0n), 'CAP_BPF and CAP_PERFMON (root has them)');
  assert.equal(missingForProbe(bit(39)), 'CAP_PERFMON (root has them)');
  assert.equal(effectiveCaps('Name:\tx\nCapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\n'), 0x1ffffffffffn);
  assert.throws(() => effectiveCaps('Name: x\n'), /no CapEff line/);
});

test('--probe and --no-probe together are a usage error', () => {
  const r = runCli(['describe', '--probe', '--no-probe']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--probe and --no-probe contradict each other/);
});

test('as root the probe is on by default and --no-probe turns it off', (t) => {
  if (!needRoot(t)) return;
  const names = (args: string[]): string[] =>
    (JSON.parse(runCli(['describe', '--format', 'json', ...args]).stdout) as { stats: { name: string }[] }[]).flatMap((s) => s.stats.map((x) => x.name));
  assert.ok(names([]).includes('scx_probe_sched_switch_total'));
  assert.ok(names([]).includes('scx_probe_runqueue_latency_seconds'));
  assert.ok(!names(['--no-probe']).includes('scx_probe_sched_switch_total'));
  assert.ok(names(['--no-probe']).includes('scx_host_context_switches_total'));
});

test('without privileges the probe says so once and the host source carries on from /proc', async (t) => {
  if (!needRoot(t)) return; // needs root to drop to nobody
  const child = spawn(process.execPath, [nobodyPath('dist/src/cli.js'), 'run', '--interval', '0.2', '--report', 'json'], { uid: NOBODY, gid: NOBODY });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  try {
    await waitFor(() => stdout.split('\n').length >= 4, 10_000, 'three JSON reports');
    child.kill('SIGINT');
    const { code } = await exited(child);
    assert.equal(code, 0, stderr);
    assert.equal(stderr.match(/BPF probe off/g)?.length, 1, `one line about the probe, got: ${stderr}`);
    assert.match(stderr, /BPF probe off: needs CAP_BPF and CAP_PERFMON \(root has them\); host counters come from \/proc only/);
    const last = JSON.parse(stdout.trimEnd().split('\n').pop() as string) as { counters: { name: string }[] };
    assert.ok(last.counters.some((c) => c.name === 'scx_host_context_switches_total'));
    assert.ok(!last.counters.some((c) => c.name.startsWith('scx_probe_')));
  } finally {
    child.kill('SIGKILL');
  }
});

test('as root, run exports the probe counters and latency histogram', async (t) => {
  if (!needRoot(t)) return;
  const child = spawn(process.execPath, [cliPath, 'run', '--interval', '0.2', '--report', 'json']);
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  try {
    await waitFor(() => stdout.split('\n').length >= 4, 10_000, 'three JSON reports');
    child.kill('SIGINT');
    assert.equal((await exited(child)).code, 0);
    const text = stdout.trimEnd().split('\n').pop() as string;
    assert.match(text, /"scx_probe_sched_switch_total"/);
    assert.match(text, /"scx_probe_runqueue_latency_seconds"/);
  } finally {
    child.kill('SIGKILL');
  }
});
