// What a first-time user meets at the command line: flags per command, one-line usage errors with a way
// forward, options of sinks that are off, --version.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { closestFlag, editDistance } from '../../src/cli/args.js';
import { exitedWithin, runCli, startCli, waitFor } from '../helpers/cli.js';

function usageError(args: string[]): string {
  const r = runCli(args);
  assert.equal(r.status, 2, `${args.join(' ')}: status (stderr ${JSON.stringify(r.stderr)})`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `${args.join(' ')}: one line, got ${JSON.stringify(r.stderr)}`);
  return lines[0] as string;
}

test('describe takes the source flags only: no sink flag in its help, a sink flag is an unknown flag', () => {
  const help = runCli(['describe', '--help']);
  assert.equal(help.status, 0);
  for (const sinkFlag of ['--report', '--otlp-timeout', '--statsd', '--enable-prometheus', '--push-queue-size', '--jsonl', '--sink ']) {
    assert.ok(!help.stdout.includes(sinkFlag), `describe --help lists ${sinkFlag}`);
  }
  for (const sourceFlag of ['--format', '--proc-root', '--scheduler', '--scx-stats', '--sched-ext-root', '--no-probe']) {
    assert.ok(help.stdout.includes(sourceFlag), `describe --help lacks ${sourceFlag}`);
  }
  assert.equal(usageError(['describe', '--statsd', 'bogus']), 'scx-metrics: describe: unknown flag --statsd (see scx-metrics describe --help)');
  // run still takes both.
  const run = runCli(['run', '--help']).stdout;
  assert.ok(run.includes('--otlp-timeout') && run.includes('--proc-root'));
});

test("parser errors are our own single lines: unknown flag with a suggestion, a dash value, a missing value", () => {
  assert.equal(usageError(['run', '--bogus']), 'scx-metrics: run: unknown flag --bogus (see scx-metrics run --help)');
  assert.equal(usageError(['run', '--intervall', '3']), 'scx-metrics: run: unknown flag --intervall; did you mean --interval? (see scx-metrics run --help)');
  assert.equal(usageError(['describe', '--formt', 'json']), 'scx-metrics: describe: unknown flag --formt; did you mean --format? (see scx-metrics describe --help)');
  assert.match(usageError(['run', '-i', '-1']), /^scx-metrics: run: -i needs a value but is followed by "-1", which looks like a flag \(for a value starting with "-", write --interval=-1\)$/);
  assert.match(usageError(['run', '--interval', '-1']), /write --interval=-1\)$/);
  // What the hint says to write is accepted by the parser and reaches the value check.
  assert.equal(usageError(['run', '--interval=-1']), 'scx-metrics: --interval: "-1" is not a number > 0');
  assert.equal(usageError(['run', '--interval']), 'scx-metrics: run: --interval needs a value: SECONDS (see scx-metrics run --help)');
  // Too short an interval leaves sources no time to read; hex and other non-decimal forms are not numbers here.
  assert.equal(usageError(['run', '--interval', '0.0001']), 'scx-metrics: --interval: "0.0001" is less than 0.01 seconds');
  assert.equal(usageError(['run', '--interval', '0x10']), 'scx-metrics: --interval: "0x10" is not a number > 0');
  assert.equal(usageError(['run', '--interval', ' 2']), 'scx-metrics: --interval: " 2" is not a number > 0');
  assert.equal(usageError(['run', '--otlp']), 'scx-metrics: run: --otlp needs a value: URL (see scx-metrics run --help)');
  assert.match(usageError(['run', '--help=yes']), /^scx-metrics: run: --help takes no value \(got "yes"\)/);
  assert.match(usageError(['run', 'now']), /^scx-metrics: run: unexpected argument "now": run takes flags only \(see scx-metrics run --help\)$/);
});

test('closest flag: a typo is suggested, an unrelated word is not', () => {
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('', 'abc'), 3);
  const known = ['interval', 'report', 'otlp-timeout', 'statsd'];
  assert.equal(closestFlag('intreval', known), 'interval');
  assert.equal(closestFlag('otlp-timout', known), 'otlp-timeout');
  assert.equal(closestFlag('bogus', known), undefined);
  assert.equal(closestFlag('x', known), undefined);
});

test("every given flag's value is checked, whether or not its sink is enabled", () => {
  const cases: [string[], string][] = [
    [['run', '--push-queue-size=-1'], 'scx-metrics: --push-queue-size: "-1" is not an integer > 0'],
    [['run', '--otlp-timeout', '0'], 'scx-metrics: --otlp-timeout: "0" is not a number > 0'],
    [['run', '--otlp-temporality', 'sometimes'], 'scx-metrics: --otlp-temporality: "sometimes" is not cumulative or delta'],
    [['run', '--statsd-tags', 'influx'], 'scx-metrics: --statsd-tags: "influx" is not one of dogstatsd, telegraf, none'],
    [['run', '--remote-write-header', 'novalue'], 'scx-metrics: --remote-write-header: "novalue" is not KEY=VALUE'],
    [['run', '--spectatord-max-packet', '1.5'], 'scx-metrics: --spectatord-max-packet: "1.5" is not an integer > 0'],
    [['run', '--jsonl-queue-size', 'ten'], 'scx-metrics: --jsonl-queue-size: "ten" is not an integer > 0'],
    [['run', '--prometheus-listen', 'localhost'], 'scx-metrics: --prometheus-listen: "localhost" is not HOST:PORT (e.g. 0.0.0.0:9000 or [::1]:9000)'],
    [['describe', '--no-scx-stats', '--scx-stats-timeout=-5'], 'scx-metrics: --scx-stats-timeout: "-5" is not an integer > 0'],
  ];
  for (const [args, line] of cases) assert.equal(usageError(args), line, args.join(' '));
  // Same message with the sink on: one check, whichever way it is reached.
  assert.equal(usageError(['run', '--push-queue-size=-1', '--statsd', 'udp://127.0.0.1:8125']), 'scx-metrics: --push-queue-size: "-1" is not an integer > 0');
});

test('options of a sink that is not enabled are warned about once each, and the run goes on', async () => {
  const child = startCli(['run', '-i', '0.2', '--report', 'json', '--no-probe', '--no-scx-stats', '--otlp-timeout', '5', '--push-queue-size', '4', '--prometheus-listen', '127.0.0.1:0', '--statsd-tags', 'none', '--statsd', 'udp://127.0.0.1:9']);
  try {
    await waitFor(() => child.output().stdout.split('\n').length >= 3, 15_000, 'two reports');
    child.kill('SIGTERM');
    const r = await exitedWithin(child, 15_000, 'run');
    assert.deepEqual(r, { code: 0, signal: null }, child.output().stderr);
    const warnings = child.output().stderr.split('\n').filter((l) => l.includes('has no effect'));
    assert.deepEqual(warnings, [
      'scx-metrics: warning: --otlp-timeout has no effect without --otlp',
      'scx-metrics: warning: --prometheus-listen has no effect without --enable-prometheus',
    ]);
  } finally {
    child.kill('SIGKILL');
  }
  // With no push sink on, the shared queue flag is named with every sink that reads it.
  const alone = startCli(['run', '-i', '0.2', '--report', 'none', '--no-probe', '--no-scx-stats', '--push-queue-size', '4']);
  try {
    await waitFor(() => alone.output().stderr.includes('has no effect'), 15_000, 'the warning');
    alone.kill('SIGTERM');
    assert.equal((await exitedWithin(alone, 15_000, 'run')).code, 0);
    assert.match(alone.output().stderr, /^scx-metrics: warning: --push-queue-size has no effect without --statsd, --spectatord, --otlp, --remote-write or --jsonl$/m);
  } finally {
    alone.kill('SIGKILL');
  }
});

test('--version and -V print the package version, exit 0', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const r = runCli([flag]);
    assert.equal(r.status, 0, flag);
    assert.equal(r.stdout, `scx-metrics ${pkg.version}\n`);
    assert.equal(r.stderr, '');
  }
  assert.match(runCli(['--help']).stdout, /scx-metrics --version/);
});
