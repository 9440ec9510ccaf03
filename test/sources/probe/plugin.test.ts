import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

interface ReportLine {
  time: string;
  counters: { name: string; delta: number; total: number }[];
  histograms: { name: string; series: { count: number; mean: number; p50: number; p99: number }[] }[];
}
interface JsonlLine {
  time: string;
  metrics: { name: string; kind: string; value?: number; delta?: number; count?: number; sum?: number; bounds?: number[]; counts?: number[] }[];
}

test('as root, run exports the probe counters and latency histogram: the report agrees with the JSON lines of the same intervals', async (t) => {
  if (!needRoot(t)) return;
  const dir = mkdtempSync(join(tmpdir(), 'scx-probe-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const jsonl = join(dir, 'out.jsonl');
  const child = spawn(process.execPath, [cliPath, 'run', '--interval', '0.2', '--report', 'json', '--jsonl', jsonl]);
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  try {
    await waitFor(() => stdout.split('\n').length >= 4, 10_000, 'three JSON reports');
    child.kill('SIGINT');
    assert.equal((await exited(child)).code, 0);
  } finally {
    child.kill('SIGKILL');
  }
  const reports = stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as ReportLine);
  // Both outputs flush the same snapshot each interval, stamped with the same time; the report's first
  // interval is taken against the record before it.
  const records = readFileSync(jsonl, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as JsonlLine);
  const at = new Map(records.map((r, i) => [r.time, i]));
  let latencySeen = 0;
  for (const report of reports) {
    const i = at.get(report.time);
    assert.ok(i !== undefined && i > 0, `a JSON line for the report at ${report.time}`);
    const rec = records[i] as JsonlLine;
    const prev = records[i - 1] as JsonlLine;

    const sw = report.counters.find((c) => c.name === 'scx_probe_sched_switch_total');
    assert.ok(sw !== undefined, 'scx_probe_sched_switch_total reported');
    const perCpu = rec.metrics.filter((m) => m.name === 'scx_probe_sched_switch_total');
    assert.ok(perCpu.length > 0);
    assert.ok(sw.total > 0, 'the kernel switched tasks since the probe attached');
    assert.equal(sw.total, perCpu.reduce((a, m) => a + (m.value ?? 0), 0), 'report total = sum of the per-CPU values');

    const hist = (r: JsonlLine) => r.metrics.find((m) => m.name === 'scx_probe_runqueue_latency_seconds' && m.kind === 'histogram');
    const h = hist(rec);
    assert.ok(h?.counts !== undefined && h.bounds !== undefined && h.count !== undefined && h.sum !== undefined);
    assert.equal(h.counts.length, h.bounds.length + 1, 'one count per bound, then +Inf');
    assert.equal(h.count, h.counts.reduce((a, b) => a + b, 0), 'histogram count = sum of its buckets');
    const ph = hist(prev);
    const interval = report.histograms.find((x) => x.name === 'scx_probe_runqueue_latency_seconds')?.series[0];
    assert.ok(interval !== undefined, 'latency in the report');
    const dCount = h.count - (ph?.count ?? 0);
    assert.equal(interval.count, dCount, "the report's interval count = the change of the cumulative count");
    if (dCount > 0) {
      const dSum = h.sum - (ph?.sum ?? 0);
      assert.ok(Math.abs(interval.mean * dCount - dSum) <= 1e-9 * Math.max(1, dSum), `mean ${interval.mean} x ${dCount} = sum ${dSum}`);
      assert.ok(interval.p50 <= interval.p99, `p50 ${interval.p50} <= p99 ${interval.p99}`);
    }
    latencySeen += dCount;
  }
  assert.ok(latencySeen > 0, 'some run-queue latency was recorded while the agent ran');
});
