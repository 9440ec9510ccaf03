import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exited, runCli, startCli, waitFor } from '../helpers/cli.js';

test('bad usage: one line on stderr naming the problem, exit 2', () => {
  const cases: [string[], RegExp][] = [
    [['run', '--bogus'], /^scx-metrics: run: unknown flag --bogus \(see scx-metrics run --help\)$/],
    [['run', '--interval', 'soon'], /^scx-metrics: --interval: "soon" is not a number > 0$/],
    [['run', '--interval', '0'], /--interval: "0" is not a number > 0/],
    [['run', '--report', 'fancy'], /--report: "fancy" is not text, json or none/],
    [['frobnicate'], /unknown command "frobnicate" \(expected one of: run, describe/],
    [['describe', '--format', 'yaml'], /--format: "yaml" is not text or json/],
  ];
  for (const [args, re] of cases) {
    const r = runCli(args);
    assert.equal(r.status, 2, `${args.join(' ')}: status`);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `${args.join(' ')}: one line, got ${JSON.stringify(r.stderr)}`);
    assert.match(lines[0] ?? '', re);
  }
});

test('--help on every command, exit 0', () => {
  const top = runCli(['--help']);
  assert.equal(top.status, 0);
  assert.match(top.stdout, /Commands:\n {2}run .*\n {2}describe/);
  for (const cmd of ['run', 'describe']) {
    const r = runCli([cmd, '--help']);
    assert.equal(r.status, 0, cmd);
    assert.match(r.stdout, new RegExp(`^Usage: scx-metrics ${cmd}`));
    assert.match(r.stdout, /--help/);
  }
  assert.match(runCli(['run', '--help']).stdout, /--interval SECONDS +Seconds between collections \(default 2\)/);
});

test('describe lists every declared stat with kind, unit and help', () => {
  const r = runCli(['describe']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /scx_host_context_switches_total +counter +- +- +Context switches on all CPUs since boot/);
  assert.match(r.stdout, /scx_host_cpu_seconds_total +counter +seconds +cpu=\*,mode=user\|nice\|system/);
  assert.match(r.stdout, /scx_metrics_source_errors_total +counter/);
  const j = JSON.parse(runCli(['describe', '--format', 'json']).stdout) as { set: string; stats: { name: string; kind: string }[] }[];
  const names = j.flatMap((s) => s.stats.map((x) => x.name));
  assert.ok(names.includes('scx_host_forks_total'));
  assert.ok(names.includes('scx_metrics_collection_duration_seconds'));
});

test('run prints a report every interval and exits 0 on SIGTERM after a last report', async () => {
  const child = startCli(['run', '--interval', '0.3']);
  try {
    await waitFor(() => (child.output().stdout.match(/^scx-metrics \d/gm) ?? []).length >= 2, 10_000, 'two reports');
    const before = (child.output().stdout.match(/^scx-metrics \d/gm) ?? []).length;
    child.kill('SIGTERM');
    const { code } = await exited(child);
    assert.equal(code, 0);
    const { stdout } = child.output();
    assert.ok((stdout.match(/^scx-metrics \d/gm) ?? []).length > before, 'a last report at shutdown');
    assert.match(stdout, /scx_host_context_switches_total: \d+ \[[\d.]+\/s\]/);
  } finally {
    child.kill('SIGKILL');
  }
});

test('--report json prints one JSON object per interval; SIGINT exits 0', async () => {
  const child = startCli(['run', '--interval', '0.2', '--report', 'json']);
  try {
    await waitFor(() => child.output().stdout.split('\n').length >= 3, 10_000, 'two JSON lines');
    child.kill('SIGINT');
    const { code } = await exited(child);
    assert.equal(code, 0);
    for (const line of child.output().stdout.trimEnd().split('\n')) {
      const o = JSON.parse(line) as { interval_seconds: number; counters: { name: string }[] };
      assert.ok(o.interval_seconds > 0);
      assert.ok(o.counters.some((c) => c.name === 'scx_host_context_switches_total'));
    }
  } finally {
    child.kill('SIGKILL');
  }
});

test('--interval beyond a day is refused with one line', () => {
  const r = runCli(['run', '--interval', '100000']);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'scx-metrics: --interval: "100000" is more than 86400 seconds (a day)\n');
});
