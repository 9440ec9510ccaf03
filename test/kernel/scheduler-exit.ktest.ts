/**
 * The guest helpers' promise: a scheduler that exits while a test needs it fails that test with the
 * scheduler's own output (here scx_simple is killed from outside, as the kernel or an OOM kill would).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scheduler, sysfs } from './guest.js';

test("a scheduler that exits during a test fails it with the scheduler's own output", async () => {
  const s = await Scheduler.start('scx_simple', 'simple');
  await s.waitUntil(() => /local=\d+ global=\d+/.test(s.output()), 30_000, 'scx_simple to print its stats');
  s.child.kill('SIGKILL');
  await assert.rejects(
    s.waitUntil(() => false, 30_000, 'something that never happens'),
    (err: Error) => {
      assert.match(err.message, /^scx_simple was killed by SIGKILL during the test; its output:\n/);
      assert.match(err.message, /local=\d+ global=\d+/);
      return true;
    },
  );
  await s.stop();
  assert.equal(sysfs('root/ops'), undefined);
});
