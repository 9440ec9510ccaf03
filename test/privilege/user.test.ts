/**
 * `run --user`: the agent, started as root, runs as the user afterwards with exactly the capabilities kept
 * (read back from /proc/<pid>/status), and the BPF source still finds and reads a real kernel map created
 * after the drop, through the scheduler it follows (a fixture root/ops, a map and a program named like
 * scx_simple's). With no capabilities kept, the same map is refused and the agent says which capability.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capMask, capNames, parseStatusCreds, FOLLOW_CAPS, type CapName } from '../../src/privilege/caps.js';
import { runCli, startCli, waitFor, exitedWithin } from '../helpers/cli.js';
import { freePort } from '../helpers/http-peer.js';
import { needRoot } from '../helpers/peers.js';
import { scrapeUntil, simpleStandIn } from './stand-in.js';

const NOBODY = 65534;

async function withAgent(keep: string | undefined, body: (a: { pid: number; port: number; ops: string; stderr: () => string }) => Promise<void>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'scx-user-'));
  // The user must be able to read the fixture's root/ops even with no capability kept.
  chmodSync(root, 0o755);
  mkdirSync(join(root, 'root'), { mode: 0o755 });
  const ops = join(root, 'root', 'ops');
  const port = await freePort();
  const args = ['run', '--user', 'nobody', '--sched-ext-root', root, '--no-probe', '--report', 'none', '--enable-prometheus', '--prometheus-listen', `127.0.0.1:${port}`, '--interval', '0.2'];
  const child = startCli(keep === undefined ? args : [...args, '--keep-caps', keep]);
  try {
    await waitFor(() => child.output().stderr.includes('running as nobody') || child.exitCode !== null, 20_000, 'the drop line');
    assert.equal(child.exitCode, null, `the agent exited: ${child.output().stderr}`);
    await body({ pid: child.pid as number, port, ops, stderr: () => child.output().stderr });
  } finally {
    child.kill('SIGINT');
    await exitedWithin(child, 20_000, 'the agent after SIGINT');
    rmSync(root, { recursive: true, force: true });
  }
}

for (const [keep, caps] of [
  [undefined, FOLLOW_CAPS],
  ['CAP_SYS_ADMIN', ['CAP_SYS_ADMIN']],
] as [string | undefined, readonly CapName[]][]) {
  test(`--user nobody${keep === undefined ? '' : ` --keep-caps ${keep}`}: uid and CapEff in /proc/<pid>/status; a map created after the drop is read exactly`, async (t) => {
    if (!needRoot(t)) return;
    await withAgent(keep, async ({ pid, port, ops, stderr }) => {
      const creds = parseStatusCreds(readFileSync(`/proc/${pid}/status`, 'utf8'));
      assert.equal(creds.uid, NOBODY);
      assert.equal(creds.gid, NOBODY);
      assert.deepEqual(creds.groups, [NOBODY]);
      assert.equal(creds.effective.toString(16), capMask(caps).toString(16));
      assert.equal(creds.permitted.toString(16), capMask(caps).toString(16));
      assert.equal(creds.bounding.toString(16), capMask(caps).toString(16));
      assert.equal(creds.ambient, 0n);
      assert.match(readFileSync(`/proc/${pid}/status`, 'utf8'), /^NoNewPrivs:\s*1$/m);
      assert.ok(stderr().includes(`with only ${capNames(capMask(caps)).join(', ')}`), stderr());

      // The scheduler starts after the drop: its map and program are new to the agent.
      const s = simpleStandIn(123456, 789);
      try {
        writeFileSync(ops, 'simple\n');
        const text = await scrapeUntil(port, 'scx_simple_queued_tasks_total{dsq="global"}');
        assert.match(text, /^scx_simple_queued_tasks_total\{dsq="local"\} 123456$/m, stderr());
        assert.match(text, /^scx_simple_queued_tasks_total\{dsq="global"\} 789$/m);
      } finally {
        s.close();
      }
    });
  });
}

test('--user nobody --keep-caps none: CapEff 0, and a scheduler started later is not read: the agent says CAP_SYS_ADMIN is what it needs', async (t) => {
  if (!needRoot(t)) return;
  await withAgent('none', async ({ pid, port, ops, stderr }) => {
    const creds = parseStatusCreds(readFileSync(`/proc/${pid}/status`, 'utf8'));
    assert.equal(creds.uid, NOBODY);
    assert.equal(creds.effective, 0n);
    assert.equal(creds.permitted, 0n);
    assert.match(stderr(), /running as nobody \(uid 65534, gid 65534\) with no capabilities/);
    const s = simpleStandIn(5, 6);
    try {
      writeFileSync(ops, 'simple\n');
      await waitFor(() => /CAP_SYS_ADMIN/.test(stderr()), 15_000, 'the agent to say what it lacks');
      assert.match(stderr(), /EPERM: operation not permitted, needs CAP_SYS_ADMIN/);
      assert.doesNotMatch(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(), /^scx_simple_queued_tasks_total/m);
    } finally {
      s.close();
    }
  });
});

test('--user and --keep-caps: bad values are one line and exit 2', () => {
  const noUser = runCli(['run', '--user', 'no-such-user-here', '--report', 'none']);
  assert.equal(noUser.status, 2);
  assert.match(noUser.stderr, /--user: no user "no-such-user-here"/);
  const badCap = runCli(['run', '--user', 'nobody', '--keep-caps', 'CAP_BPF,CAP_FLY', '--report', 'none']);
  assert.equal(badCap.status, 2);
  assert.match(badCap.stderr, /--keep-caps: "CAP_FLY" is not a capability name/);
  const alone = runCli(['run', '--keep-caps', 'none', '--report', 'none']);
  assert.equal(alone.status, 2);
  assert.match(alone.stderr, /--keep-caps has no effect without --user/);
});
