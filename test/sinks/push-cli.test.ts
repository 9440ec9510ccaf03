/**
 * The push sinks through the CLI, as a user runs them: StatsD, spectatord, JSON lines and a user sink at once
 * from one agent, each receiving the host's stats; bad flag values exit 2 with one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliPath, exited, runCli, waitFor } from '../helpers/cli.js';
import { udpReceiver } from '../helpers/datagram-peers.js';
import { parseSpectatordLine } from '../helpers/spectatord-protocol.js';

const example = fileURLToPath(new URL('../../../examples/my-sink.js', import.meta.url));

test('cli: --statsd, --spectatord, --jsonl and --sink run at once from one agent', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'scx-push-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const statsd = await udpReceiver();
  const spectatord = await udpReceiver();
  t.after(() => statsd.close());
  t.after(() => spectatord.close());
  const jsonl = join(dir, 'out.jsonl');
  const spool = join(dir, 'lumen.spool');
  const child = spawn(
    process.execPath,
    [
      cliPath, 'run', '--interval', '0.2', '--report', 'none',
      '--statsd', `udp://127.0.0.1:${statsd.port}`, '--statsd-tags', 'telegraf', '--statsd-prefix', 'h1.',
      '--spectatord', `udp://127.0.0.1:${spectatord.port}`,
      '--jsonl', jsonl,
      '--sink', example,
    ],
    { env: { ...process.env, LUMEN_SPOOL: spool } },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const gone = exited(child);
  const records = (): string[] => (existsSync(jsonl) ? readFileSync(jsonl, 'utf8').split('\n').filter((l) => l !== '') : []);
  await waitFor(
    () => records().length >= 3 && statsd.lines().some((l) => l.startsWith('h1.scx_host_context_switches:')) && spectatord.datagrams.length >= 3 && existsSync(spool),
    20_000,
    `every sink to receive three intervals (${stderr})`,
  );
  child.kill('SIGTERM');
  const { code } = await gone;
  assert.equal(code, 0, stderr);

  // StatsD, Telegraf dialect, with the prefix: the host's per-CPU counters carry their labels in the name.
  assert.ok(statsd.lines().some((l) => /^h1\.scx_host_cpu_seconds,cpu=0,mode=user:[\d.e-]+\|c$/.test(l)), statsd.lines().slice(0, 5).join('\n'));
  assert.ok(statsd.datagrams.every((d) => d.length <= 1432));
  // spectatord: every line follows the protocol; the context-switch counter is a monotonic C meter that grows.
  const sp = spectatord.lines().map(parseSpectatordLine);
  const ctxt = sp.filter((l) => l.name === 'scx_host_context_switches').map((l) => l.value);
  assert.ok(ctxt.length >= 3 && sp.every((l) => l.type === 'C' || l.type === 'g'));
  assert.ok((ctxt.at(-1) as number) > (ctxt[0] as number));
  // JSON lines: the last record is the one written at shutdown.
  const last = JSON.parse(records().at(-1) as string) as { final: boolean; metrics: { name: string }[] };
  assert.equal(last.final, true);
  assert.ok(last.metrics.some((m) => m.name === 'scx_host_context_switches_total'));
  // The user sink: its backend got the same stats.
  assert.match(readFileSync(spool, 'utf8'), /^PUT scx_host_context_switches\{\} \d+ \d+$/m);
});

test('cli: --jsonl - writes the records to standard output when the terminal report is off', async () => {
  const child = spawn(process.execPath, [cliPath, 'run', '--interval', '0.2', '--report', 'none', '--jsonl', '-']);
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const gone = exited(child);
  await waitFor(() => stdout.split('\n').length > 2, 20_000, 'two records on stdout');
  child.kill('SIGTERM');
  assert.equal((await gone).code, 0);
  for (const line of stdout.split('\n').filter((l) => l !== '')) {
    const r = JSON.parse(line) as { schema: number; metrics: unknown[] };
    assert.equal(r.schema, 1);
    assert.ok(r.metrics.length > 0);
  }
});

test('cli: --jsonl - into a reader that exits (run ... | head -c 50): said once on EPIPE, counted as dropped, the agent runs on and exits 0', async (t) => {
  // StatsD shows the agent's intervals going on, and the jsonl drops they count.
  const statsd = await udpReceiver();
  t.after(() => statsd.close());
  const head = spawn('head', ['-c', '50'], { stdio: ['pipe', 'pipe', 'ignore'] });
  let got = '';
  head.stdout.setEncoding('utf8').on('data', (d: string) => (got += d));
  const headGone = exited(head);
  const args = [cliPath, 'run', '--interval', '0.05', '--report', 'none', '--jsonl', '-', '--statsd', `udp://127.0.0.1:${statsd.port}`];
  const child = spawn(process.execPath, args, { stdio: ['ignore', head.stdin, 'pipe'] });
  head.stdin.destroy();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const gone = exited(child);
  await headGone;
  await waitFor(() => stderr.includes('EPIPE'), 20_000, `the EPIPE line (${stderr})`);
  const droppedIntervals = (): number => statsd.lines().filter((l) => /^scx_metrics_sink_dropped:[1-9]\d*\|c\|#sink:jsonl$/.test(l)).length;
  await waitFor(() => droppedIntervals() >= 3, 20_000, `three intervals of jsonl drops after EPIPE (${stderr})`);
  child.kill('SIGTERM');
  const { code } = await gone;
  assert.equal(code, 0, stderr);
  assert.equal(got.length, 50);
  assert.match(got, /^\{"schema":1,"time":"/);
  const said = stderr.split('\n').filter((l) => l.includes('sink jsonl'));
  assert.deepEqual(said, ['scx-metrics: warning: sink jsonl: cannot write to standard output: EPIPE (its reader went away); no more records are written to it'], stderr);
});

test('cli: bad push-sink flags exit 2 with one line naming the flag and what was expected', () => {
  const cases: [string[], RegExp][] = [
    [['--statsd', 'tcp://x:1'], /--statsd: "tcp:\/\/x:1" is not a udp:\/\/ or unix:\/\/ location/],
    [['--statsd', 'unix://relative'], /--statsd: "unix:\/\/relative" has no absolute path/],
    [['--statsd', 'udp://127.0.0.1:8125', '--statsd-tags', 'influx'], /--statsd-tags: "influx" is not one of dogstatsd, telegraf, none/],
    [['--statsd', 'udp://127.0.0.1:8125', '--statsd-max-packet', '70000'], /--statsd-max-packet: 70000 is larger than a UDP datagram can be/],
    [['--statsd', 'udp://127.0.0.1:8125', '--statsd-queue-size', '0'], /--statsd-queue-size: "0" is not an integer > 0/],
    [['--spectatord', 'udp://127.0.0.1:1', '--push-queue-size', 'x'], /--push-queue-size: "x" is not an integer > 0/],
    [['--spectatord', 'http://x'], /--spectatord: .*or default/],
    [['--spectatord', 'default', '--spectatord-histograms', 'summary'], /--spectatord-histograms: "summary" is not one of buckets, distribution/],
    [['--jsonl', '-'], /--jsonl -: standard output is taken by the terminal report; add --report none/],
  ];
  for (const [args, why] of cases) {
    const r = runCli(['run', ...args]);
    const lines = r.stderr.trim().split('\n');
    assert.match(r.stderr, why, args.join(' '));
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(lines.length, 1, `${args.join(' ')}: ${r.stderr}`);
  }
});

test('cli: a UDP address the kernel will not connect to exits 1 at start with one line naming it and the errno', () => {
  const cases: [string, RegExp][] = [
    ['--statsd', /udp:\/\/255\.255\.255\.255:8125: cannot connect .*: EACCES/],
    ['--spectatord', /udp:\/\/255\.255\.255\.255:8125: cannot connect .*: EACCES/],
  ];
  for (const [flag, why] of cases) {
    const r = runCli(['run', '--report', 'none', '--interval', '0.2', flag, 'udp://255.255.255.255:8125']);
    // Sources may warn about what this kernel lacks; the only other line is the error.
    const lines = r.stderr.trim().split('\n').filter((l) => !l.includes(': warning: '));
    assert.equal(r.status, 1, r.stderr);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0] as string, why);
  }
});
