/**
 * deploy/systemd/scx-metrics.service: `systemd-analyze verify` finds nothing to say about it (a typo'd copy
 * proves it would), its capability lines are the set `--user` keeps by default, and the agent run the way the
 * unit runs it (a non-root uid holding those capabilities as ambient ones, no_new_privs; setpriv stands in
 * for systemd, which is not PID 1 on this machine) loads the probe and reads a scheduler's map created later.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FOLLOW_CAPS, capMask, parseStatusCreds } from '../../src/privilege/caps.js';
import { cliPath, exitedWithin } from '../helpers/cli.js';
import { freePort } from '../helpers/http-peer.js';
import { hasCommand, needPeer, needRoot } from '../helpers/peers.js';
import { scrapeUntil, simpleStandIn } from '../privilege/stand-in.js';

const unitPath = fileURLToPath(new URL('../../../deploy/systemd/scx-metrics.service', import.meta.url));
const unit = readFileSync(unitPath, 'utf8');

/** Every value of `Key=` in the unit. */
const values = (key: string): string[] => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => (m[1] as string).trim());

/** `systemd-analyze verify` on `text` saved as scx-metrics.service; the installed binary's path is this clone's CLI. */
function verify(text: string): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'scx-unit-'));
  try {
    const file = join(dir, 'scx-metrics.service');
    writeFileSync(file, text.replace(/^ExecStart=\/usr\/local\/bin\/scx-metrics /m, `ExecStart=${process.execPath} ${cliPath} `));
    const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8', cwd: dir });
    return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('systemd-analyze verify: the unit is clean; a copy with a misspelt key and a bad value is not', (t) => {
  if (!needPeer(t, hasCommand('systemd-analyze'), 'systemd-analyze (Debian package systemd)')) return;
  assert.match(unit, /^ExecStart=\/usr\/local\/bin\/scx-metrics run /m, 'the test rewrites this path; keep it in sync');
  assert.deepEqual(verify(unit), { status: 0, output: '' });
  const broken = verify(unit.replace(/^ProtectHome=yes$/m, 'ProtectHome=perhaps').replace(/^RestrictAddressFamilies=/m, 'RestrictAdressFamilies='));
  assert.match(broken.output, /protect home value.*perhaps/i);
  assert.match(broken.output, /Unknown key 'RestrictAdressFamilies'/);
});

test('the unit keeps exactly the capabilities --user keeps, not root, with the hardening the issue asks for', () => {
  const set = (s: string): string[] => s.split(/\s+/).sort();
  assert.deepEqual(set(values('AmbientCapabilities')[0] ?? ''), [...FOLLOW_CAPS].sort());
  assert.deepEqual(set(values('CapabilityBoundingSet')[0] ?? ''), [...FOLLOW_CAPS].sort());
  assert.deepEqual(values('DynamicUser'), ['yes']);
  assert.deepEqual(values('User'), [], 'no User= (DynamicUser allocates one)');
  assert.deepEqual(values('NoNewPrivileges'), ['yes']);
  assert.deepEqual(values('ProtectSystem'), ['strict']);
  assert.deepEqual(values('ProtectHome'), ['yes']);
  assert.deepEqual(set(values('RestrictAddressFamilies')[0] ?? ''), ['AF_INET', 'AF_INET6', 'AF_UNIX']);
});

test("the agent as the unit runs it: uid 65534 with the unit's ambient capabilities loads the probe and reads a map created later", async (t) => {
  if (!needRoot(t)) return;
  if (!needPeer(t, hasCommand('setpriv', ['--version']), 'setpriv (util-linux)')) return;
  const caps = (values('AmbientCapabilities')[0] ?? '').split(/\s+/).map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`).join(',');
  const root = mkdtempSync(join(tmpdir(), 'scx-unit-root-'));
  chmodSync(root, 0o755);
  mkdirSync(join(root, 'root'), { mode: 0o755 });
  const port = await freePort();
  const child = spawn(
    'setpriv',
    [
      '--reuid=65534', '--regid=65534', '--clear-groups', `--inh-caps=-all,${caps}`, `--ambient-caps=-all,${caps}`, `--bounding-set=-all,${caps}`, '--no-new-privs',
      process.execPath, cliPath, 'run', '--report', 'none', '--enable-prometheus', '--prometheus-listen', `127.0.0.1:${port}`, '--interval', '0.2', '--sched-ext-root', root,
    ],
    { cwd: root },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  try {
    const text = await scrapeUntil(port, 'scx_probe_sched_switch_total');
    assert.match(text, /^scx_probe_sched_switch_total\{cpu="0"\} [1-9]/m, `the probe did not load without root: ${stderr}`);
    const creds = parseStatusCreds(readFileSync(`/proc/${child.pid as number}/status`, 'utf8'));
    assert.equal(creds.uid, 65534);
    assert.equal(creds.effective.toString(16), capMask(FOLLOW_CAPS).toString(16));
    const s = simpleStandIn(42, 7);
    try {
      writeFileSync(join(root, 'root', 'ops'), 'simple\n');
      const page = await scrapeUntil(port, 'scx_simple_queued_tasks_total{dsq="global"}');
      assert.match(page, /^scx_simple_queued_tasks_total\{dsq="local"\} 42$/m, stderr);
      assert.match(page, /^scx_simple_queued_tasks_total\{dsq="global"\} 7$/m);
    } finally {
      s.close();
    }
  } finally {
    child.kill('SIGINT');
    await exitedWithin(child, 20_000, 'the agent after SIGINT');
    rmSync(root, { recursive: true, force: true });
  }
});
