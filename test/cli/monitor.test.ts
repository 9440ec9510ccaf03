import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exited, startCli, waitFor } from '../helpers/cli.js';
import { RustySim, rustyMeta } from '../sources/scx-stats/rusty.js';
import { TestStatsServer } from '../sources/scx-stats/server.js';

async function rusty(): Promise<{ server: TestStatsServer; sim: RustySim }> {
  const sim = new RustySim(2, 2);
  const server = await TestStatsServer.start({ meta: rustyMeta, targets: { top: sim.open, echo: () => (args) => ({ ...args }) } });
  return { server, sim };
}

async function run(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = startCli(args);
  const { code } = await exited(child);
  return { code, ...child.output() };
}

test('monitor prints what scx_rusty --monitor users expect: a header, name=value lines in rusty order, NODE and DOMAIN lines', async () => {
  const { server, sim } = await rusty();
  try {
    sim.add('WAKE_SYNC', 30);
    const timer = setInterval(() => sim.add('PREV_IDLE', 70), 20);
    const r = await run(['monitor', '--scx-stats', server.path, '--count', '2', '--interval', '0.2']);
    clearInterval(timer);
    assert.equal(r.code, 0, r.stderr);
    const reports = r.stdout.split(/^(?=###### )/m);
    assert.equal(reports.length, 2);
    const second = reports[1] ?? '';
    assert.match(second, /^###### \w{3}, \d{2} \w{3} \d{4} [\d:]{8} GMT ######\n/);
    const lines = second.split('\n');
    // scx_rusty's own lines and short labels (stats.rs ClusterStats::format).
    assert.match(lines[1] ?? '', /^cpu=42\.50 load=\d+\.\d\d mig=0 task_err=0 time_used=0\.00$/);
    assert.match(lines[2] ?? '', /^tot=\d+ sync_prev_idle=[\d.]+ wsync=[\d.]+$/);
    assert.match(lines[3] ?? '', /^prev_idle=[\d.]+ greedy_idle=[\d.]+ pin=[\d.]+$/);
    assert.match(lines[4] ?? '', /^dir=[\d.]+ dir_greedy=[\d.]+ dir_greedy_far=[\d.]+$/);
    assert.match(second, /^ {2}NODE\[01\] delta=-0\.25 imbal=0\.50 load=225\.00$/m);
    assert.match(second, /^ {4}DOMAIN\[03\] delta=0\.00 imbal=13\.00 load=113\.00$/m);
    assert.match(second, /direct_greedy_cpus=\[255,0\]/);
    assert.equal(server.connections, 1);
  } finally {
    await server.close();
  }
});

test('monitor --json prints one object per interval; --target and --arg reach the server as string args', async () => {
  const { server } = await rusty();
  try {
    const r = await run(['monitor', '--scx-stats', server.path, '--json', '--count', '2', '--interval', '0.05']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { time: string; target: string; stats: { nodes: Record<string, unknown>; total: number } });
    assert.equal(lines.length, 2);
    assert.equal(lines[0]?.target, 'top');
    assert.deepEqual(Object.keys(lines[1]?.stats.nodes ?? {}), ['0', '1']);
    assert.ok(!Number.isNaN(Date.parse(lines[0]?.time ?? '')));
    const e = await run(['monitor', '--scx-stats', server.path, '--json', '--count', '1', '--target', 'echo', '--arg', 'nr_samples=4']);
    assert.deepEqual((JSON.parse(e.stdout) as { stats: unknown }).stats, { nr_samples: '4', target: 'echo' });
    assert.ok(server.requests.includes('{"req":"stats","args":{"nr_samples":"4","target":"echo"}}'));
    const bad = await run(['monitor', '--scx-stats', server.path, '--arg', 'nr_samples']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^scx-metrics: --arg: "nr_samples" is not KEY=VALUE\n$/);
  } finally {
    await server.close();
  }
});

test('monitor waits for a scheduler that is not up yet (said once over several retries), and stops cleanly on SIGINT', async () => {
  const free = TestStatsServer.freePath();
  const child = startCli(['monitor', '--scx-stats', free.path, '--interval', '0.1']);
  let server: TestStatsServer | undefined;
  const retrying = (): string[] => child.output().stderr.match(/^.*retrying.*$/gm) ?? [];
  try {
    await waitFor(() => retrying().length > 0, 10_000, 'the retry message');
    // Then a scheduler still starting up: its socket is there but hangs up at once, so every retry is a
    // connection the server counts. Three of them after the message, and it is still the only one.
    const sim = new RustySim(1, 1);
    const up = await TestStatsServer.start({ meta: rustyMeta, targets: { top: sim.open }, hangUpOnAccept: true }, free.path);
    server = up;
    await waitFor(() => up.connections >= 3, 30_000, 'three more attempts');
    assert.deepEqual(retrying(), [`scx-metrics: warning: stats server not available at ${free.path} (ENOENT), retrying...`]);
    up.hangUpOnAccept = false;
    await waitFor(() => child.output().stdout.includes('NODE[00]'), 10_000, 'a report');
    assert.match(child.output().stderr, /connected to .*stats/);
    assert.equal(retrying().length, 1);
    child.kill('SIGINT');
    const { code } = await exited(child);
    assert.equal(code, 0);
  } finally {
    child.kill('SIGKILL');
    await server?.close();
    free.cleanup();
  }
});

test('monitor reconnects after the scheduler restarts', async () => {
  const { server } = await rusty();
  const child = startCli(['monitor', '--scx-stats', server.path, '--json', '--interval', '0.05']);
  try {
    await waitFor(() => child.output().stdout.split('\n').length > 2, 10_000, 'reports');
    await server.restart();
    const before = child.output().stdout.length;
    await waitFor(() => child.output().stdout.length > before + 10 && server.connections >= 2, 10_000, 'reports after the restart');
    assert.equal(server.connections, 2, 'one new connection after the restart');
    child.kill('SIGTERM');
    assert.equal((await exited(child)).code, 0);
  } finally {
    child.kill('SIGKILL');
    await server.close();
  }
});
