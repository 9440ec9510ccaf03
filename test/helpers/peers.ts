/**
 * Peer and privilege gates for tests. Outside CI a missing peer (promtool, prometheus, clang, root for BPF)
 * skips the test with one line saying what is missing; under CI=true it fails, because CI installs every peer.
 */
import type { TestContext } from 'node:test';
import { spawnSync } from 'node:child_process';

export const inCI = process.env.CI === 'true';

/** True when `cmd` runs (exit status 0 with the given args). */
export function hasCommand(cmd: string, args: readonly string[] = ['--version']): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

/**
 * Returns true when the peer is there. When it is not: under CI throws (the test fails); elsewhere marks the
 * test skipped with `what` and returns false, and the caller returns.
 */
export function needPeer(t: TestContext, available: boolean, what: string): boolean {
  if (available) return true;
  if (inCI) throw new Error(`peer missing under CI: ${what}`);
  t.skip(`skipped: ${what}`);
  return false;
}

/** Root is needed for real BPF maps and programs. */
export function needRoot(t: TestContext): boolean {
  return needPeer(t, process.getuid?.() === 0, 'needs root for real BPF maps and programs');
}

/**
 * A kernel feature (not a peer: no package installs it): when missing, the test is skipped with `what`, under
 * CI too, and the caller returns. Used where the running kernel refuses something the code under test needs.
 */
export function needKernelFeature(t: TestContext, available: boolean, what: string): boolean {
  if (available) return true;
  t.skip(`skipped: ${what}`);
  return false;
}
