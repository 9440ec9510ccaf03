/** `--profile MODULE`: a user's scheduler profile read like a built-in one, and its two usage errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../helpers/cli.js';

const example = fileURLToPath(new URL('../../../examples/scx-declared/stats.js', import.meta.url));
const notAProfile = fileURLToPath(new URL('../../codegen/sched-count-stats.js', import.meta.url));

test("describe --profile: the example scheduler's stats under the names its header comments give", () => {
  const r = runCli(['describe', '--no-probe', '--profile', example, '--scheduler', 'declared']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^declared: scx_declared: a global FIFO/m);
  assert.match(r.stdout, /scx_declared_enqueued_tasks_total +counter +- +dsq=local\|global/);
  assert.match(r.stdout, /scx_declared_slice_used_seconds +histogram +seconds/);
});

test('--profile: a module that cannot be imported, or exports no profile, is one usage line naming it (exit 2)', () => {
  const missing = runCli(['describe', '--profile', '/nonexistent/stats.js']);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /^scx-metrics: --profile \/nonexistent\/stats\.js: cannot import: Cannot find module/);
  const wrong = runCli(['describe', '--profile', notAProfile]);
  assert.equal(wrong.status, 2);
  assert.equal(
    wrong.stderr.trim(),
    `scx-metrics: --profile ${notAProfile}: no scheduler profile exported as default or "profile" (expected the result of defineProfile({ name, ops, programs, stats }); it exports default, schedCountStats)`,
  );
  assert.equal(wrong.stderr.trim().split('\n').length, 1);
});
