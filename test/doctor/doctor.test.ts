/**
 * `scx-metrics doctor` on this host (no sched_ext) and on fixture sched_ext trees: one line per finding, each
 * `ok` or `missing` matching what the host really has, exit 0; a stats socket that answers, a port in use and
 * a process without capabilities each change their line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, runCli } from '../helpers/cli.js';
import { freePort } from '../helpers/http-peer.js';
import { needRoot } from '../helpers/peers.js';
import { nobodyPath } from '../helpers/unprivileged.js';
import { TestStatsServer } from '../sources/scx-stats/server.js';
import { RustySim, rustyMeta } from '../sources/scx-stats/rusty.js';

const TOPICS = ['sched_ext', 'scheduler', 'stats socket', 'BPF permission', 'BPF maps', 'BTF', 'schedstat', 'PSI', 'sources', 'port'];

/** The findings by topic: [ok, text]. Fails on any line not in the `ok|missing topic: text` form. */
function findings(stdout: string): Map<string, [boolean, string]> {
  const out = new Map<string, [boolean, string]>();
  for (const line of stdout.trimEnd().split('\n')) {
    const m = /^(ok {5}|missing) ([^:]+): (.+)$/.exec(line);
    assert.ok(m !== null, `not a finding line: ${line}`);
    out.set(m[2] as string, [m[1] === 'ok     ', m[3] as string]);
  }
  return out;
}

function doctor(args: readonly string[] = []): Map<string, [boolean, string]> {
  const r = runCli(['doctor', '--prometheus-listen', '127.0.0.1:0', ...args]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  return findings(r.stdout);
}

function fixtureRoot(state: string, ops?: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'scx-doctor-'));
  writeFileSync(join(dir, 'state'), `${state}\n`);
  if (ops !== undefined) {
    mkdirSync(join(dir, 'root'));
    writeFileSync(join(dir, 'root', 'ops'), `${ops}\n`);
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

test('doctor on this host: one line per topic, each as the host really is, exit 0', () => {
  const f = doctor();
  assert.deepEqual([...f.keys()], TOPICS);
  const sx = existsSync('/sys/kernel/sched_ext');
  assert.equal(f.get('sched_ext')?.[0], sx);
  if (!sx) {
    assert.match(f.get('sched_ext')?.[1] ?? '', /CONFIG_SCHED_CLASS_EXT=y/);
    assert.deepEqual(f.get('scheduler'), [false, 'none can run without sched_ext']);
  }
  assert.equal(f.get('BTF')?.[0], existsSync('/sys/kernel/btf/vmlinux'));
  assert.equal(f.get('schedstat')?.[0], existsSync('/proc/schedstat'));
  if (!existsSync('/proc/schedstat')) assert.match(f.get('schedstat')?.[1] ?? '', /CONFIG_SCHEDSTATS/);
  assert.equal(f.get('stats socket')?.[0], false, 'no scx scheduler serves a stats socket on this host');
  // The same detection as run: /proc/stat always read; a missing schedstat and the scheduler-following source wait.
  const sources = f.get('sources')?.[1] ?? '';
  assert.match(sources, /^run would read proc:stat/);
  if (!existsSync('/proc/schedstat')) assert.match(sources, /wait for .*proc:schedstat/);
  assert.match(sources, /wait for .*\bbpf\b/);
  assert.match(f.get('port')?.[1] ?? '', /^127\.0\.0\.1:0 is free/);
});

test('doctor with run flags: --no-host and --no-probe change which sources run would start', (t) => {
  if (!needRoot(t)) return;
  assert.match(doctor().get('sources')?.[1] ?? '', /\bprobe\b/);
  const f = doctor(['--no-host', '--no-probe', '--no-sched-ext']);
  assert.doesNotMatch(f.get('sources')?.[1] ?? '', /proc:|probe/);
});

test('doctor on a sched_ext tree: scheduler with a profile, one without, none running', async () => {
  const simple = fixtureRoot('enabled', 'simple');
  const mystery = fixtureRoot('enabled', 'mystery_0.1');
  const idle = fixtureRoot('disabled');
  try {
    let f = doctor(['--sched-ext-root', simple.dir]);
    assert.deepEqual(f.get('sched_ext'), [true, `in the kernel (${simple.dir}, state enabled)`]);
    assert.deepEqual(f.get('scheduler'), [true, '"simple" running; its BPF maps are read with profile simple']);
    f = doctor(['--sched-ext-root', mystery.dir]);
    assert.equal(f.get('scheduler')?.[0], false);
    assert.match(f.get('scheduler')?.[1] ?? '', /"mystery_0.1" running with no BPF profile: .*--profile MODULE/);
    f = doctor(['--sched-ext-root', idle.dir]);
    assert.equal(f.get('sched_ext')?.[0], true);
    assert.match(f.get('scheduler')?.[1] ?? '', /^none running: start one/);
  } finally {
    simple.cleanup();
    mystery.cleanup();
    idle.cleanup();
  }
});

test('doctor with a stats socket that answers: the scheduler without a profile is read through it', async () => {
  const sim = new RustySim(1, 1);
  const server = await TestStatsServer.start({ meta: rustyMeta, targets: { top: sim.open } });
  const root = fixtureRoot('enabled', 'layered_1.0');
  try {
    // Asynchronously: the server answers from this process.
    const r = await new Promise<{ status: number | null; stdout: string }>((resolve) => {
      const c = spawn(process.execPath, [cliPath, 'doctor', '--prometheus-listen', '127.0.0.1:0', '--sched-ext-root', root.dir, '--scx-stats', server.path]);
      let stdout = '';
      c.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      c.on('exit', (status: number | null) => resolve({ status, stdout }));
    });
    assert.equal(r.status, 0);
    const f = findings(r.stdout);
    assert.deepEqual(f.get('stats socket'), [true, `${server.path} answers (${Object.keys(rustyMeta).length} stats structs): run reads it`]);
    assert.deepEqual(f.get('scheduler'), [true, '"layered_1.0" running with no BPF profile: its stats come from the stats socket']);
    assert.match(f.get('sources')?.[1] ?? '', /\bscx_stats\b/);
  } finally {
    await server.close();
    root.cleanup();
  }
});

test('doctor: a port in use says so and what to do', async () => {
  const port = await freePort();
  const busy = createServer();
  await new Promise<void>((resolve) => busy.listen(port, '127.0.0.1', resolve));
  try {
    const r = runCli(['doctor', '--prometheus-listen', `127.0.0.1:${port}`]);
    assert.equal(r.status, 0);
    assert.deepEqual(findings(r.stdout).get('port'), [false, `127.0.0.1:${port} in use by another process: pass --prometheus-listen HOST:PORT with a free port`]);
  } finally {
    busy.close();
  }
});

test('doctor as an unprivileged user: BPF permission and maps are missing, naming the capabilities', (t) => {
  if (!needRoot(t)) return;
  const dir = mkdtempSync(join(tmpdir(), 'scx-doctor-'));
  chmodSync(dir, 0o755);
  try {
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', process.execPath, nobodyPath('dist/src/cli.js'), 'doctor', '--prometheus-listen', '127.0.0.1:0'], { encoding: 'utf8', cwd: dir });
    assert.equal(r.status, 0, r.stderr);
    const f = findings(r.stdout);
    assert.deepEqual(f.get('BPF permission'), [false, 'the probe needs CAP_BPF and CAP_PERFMON (root has them): run as root, or with the unit in deploy/systemd/']);
    assert.equal(f.get('BPF maps')?.[0], false);
    assert.match(f.get('BPF maps')?.[1] ?? '', /need CAP_SYS_ADMIN/);
    assert.doesNotMatch(f.get('sources')?.[1] ?? '', /\bprobe\b/, 'run would not start the probe without the capabilities');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
