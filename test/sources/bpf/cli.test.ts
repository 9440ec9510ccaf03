import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { cliPath, exited, runCli, waitFor } from '../../helpers/cli.js';
import { needRoot } from '../../helpers/peers.js';
import { NOBODY, nobodyPath } from '../../helpers/unprivileged.js';
import { BpfMap, MapType } from '../../../src/sources/bpf/sys.js';
import { mountBpffs } from './fixtures.js';

interface JsonReport {
  counters: { name: string; total: number }[];
}

/** Starts the CLI (optionally as another user) and collects its output. */
function start(args: readonly string[], uid?: number) {
  const child =
    uid === undefined ? spawn(process.execPath, [cliPath, ...args]) : spawn(process.execPath, [nobodyPath('dist/src/cli.js'), ...args], { uid, gid: uid });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return Object.assign(child, { output: () => ({ stdout, stderr }) });
}

function reports(stdout: string): JsonReport[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as JsonReport);
}

function rustyMap(): { map: BpfMap; sums: number[] } {
  const map = BpfMap.create({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 17, name: 'stats' });
  const sums: number[] = [];
  for (let i = 0; i < 17; i++) {
    const v = map.newValue();
    let sum = 0;
    for (let s = 0; s < map.slots; s++) {
      const x = 100 * (i + 1) + s;
      v.writeBigUInt64LE(BigInt(x), s * 8);
      sum += x;
    }
    map.update(i, v);
    sums.push(sum);
  }
  return { map, sums };
}

test('describe --scheduler rusty lists the metrics-era names', () => {
  const r = runCli(['describe', '--scheduler', 'rusty', '--no-host']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /dispatched_tasks_total +counter +- +type=wsync\|wsync_prev_idle\|prev_idle\|greedy_idle\|pinned\|direct_dispatch\|direct_greedy\|direct_greedy_far\|dsq\|greedy_local\|greedy_xnuma/);
  for (const n of ['repatriate_total', 'kick_greedy_total', 'load_balance_total', 'task_errors_total', 'dl_clamped_total', 'dl_preset_total']) {
    assert.match(r.stdout, new RegExp(`^ +${n} +counter`, 'm'));
  }
});

/** Runs the agent on a pinned rusty map until the first report with BPF counters; returns it and stderr. */
async function runOnPin(path: string, uid?: number): Promise<{ report: JsonReport; stderr: string }> {
  const child = start(['run', '--scheduler', 'rusty', '--bpf-pin', path, '--report', 'json', '--interval', '0.3', '--no-host'], uid);
  try {
    await waitFor(() => reports(child.output().stdout).some((r) => r.counters.some((c) => c.name === 'dispatched_tasks_total')), 15_000, 'a report with dispatched_tasks_total');
    child.kill('SIGTERM');
    await exited(child);
    const report = reports(child.output().stdout).find((r) => r.counters.some((c) => c.name === 'dispatched_tasks_total'));
    assert.ok(report !== undefined);
    return { report, stderr: child.output().stderr };
  } finally {
    child.kill('SIGKILL');
  }
}

test('run --scheduler rusty --bpf-pin PATH reports the pinned map sums (as root, and unprivileged through a readable pin)', async (t) => {
  if (!needRoot(t)) return;
  const fs = mountBpffs();
  const { map, sums } = rustyMap();
  try {
    const path = join(fs.dir, 'stats');
    map.pin(path);
    chmodSync(path, 0o644);
    for (const uid of [undefined, NOBODY]) {
      const { report, stderr } = await runOnPin(path, uid);
      const d = report.counters.find((c) => c.name === 'dispatched_tasks_total');
      assert.ok(d !== undefined);
      // The JSON report carries family totals; per-type values are checked against the registry in source.test.
      assert.equal(d.total, sums.slice(0, 11).reduce((a, b) => a + b, 0), `uid ${uid ?? 0}: ${stderr}`);
      assert.equal(report.counters.find((c) => c.name === 'repatriate_total')?.total, sums[11]);
      assert.equal(report.counters.find((c) => c.name === 'dl_preset_total')?.total, sums[16]);
      assert.doesNotMatch(stderr, /error|warning/i);
    }
  } finally {
    map.close();
    fs.cleanup();
  }
});

test('unprivileged: one line names the missing capability and the agent carries on with /proc', async (t) => {
  if (!needRoot(t)) return; // needs root to switch to an unprivileged user
  const child = start(['run', '--scheduler', 'rusty', '--report', 'json', '--interval', '0.2'], NOBODY);
  try {
    await waitFor(() => reports(child.output().stdout).length >= 4, 15_000, 'four reports');
    child.kill('SIGTERM');
    const { code } = await exited(child);
    assert.equal(code, 0);
    const { stdout, stderr } = child.output();
    const capLines = stderr.split('\n').filter((l) => /CAP_SYS_ADMIN/.test(l));
    assert.equal(capLines.length, 1, stderr);
    assert.match(capLines[0] ?? '', /bpf:rusty: .*EPERM: operation not permitted, needs CAP_SYS_ADMIN/);
    const last = reports(stdout).at(-1);
    assert.ok((last?.counters.find((c) => c.name === 'scx_host_context_switches_total')?.total ?? 0) > 0, 'host source still reports');
  } finally {
    child.kill('SIGKILL');
  }
});
