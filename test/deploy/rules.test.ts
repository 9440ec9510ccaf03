// deploy/prometheus/rules.yml through promtool: it loads (check rules), and Prometheus' own rule evaluator
// gives exactly the values and alerts rules.test.yml expects from crafted series (test rules).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needPeer } from '../helpers/peers.js';
import { PROMTOOL, RULES, RULES_TESTS, hasPromtool, hasPyYaml, loadRules } from './mixin.js';

function promtool(args: readonly string[]): { status: number | null; output: string } {
  const r = spawnSync(PROMTOOL, args, { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

test('promtool check rules accepts rules.yml and counts every rule in it', (t) => {
  if (!needPeer(t, hasPromtool(), 'promtool (Debian package prometheus)')) return;
  if (!needPeer(t, hasPyYaml(), 'python3-yaml (/usr/bin/python3 with yaml) to read rules.yml')) return;
  const r = promtool(['check', 'rules', RULES]);
  const count = loadRules().reduce((n, g) => n + g.rules.length, 0);
  assert.equal(r.output, `Checking ${RULES}\n  SUCCESS: ${count} rules found\n\n`);
  assert.equal(r.status, 0);
  assert.ok(count >= 30, `${count} rules`);
});

test('promtool test rules: recorded values and alerts (after their for:) are exactly what rules.test.yml says', (t) => {
  if (!needPeer(t, hasPromtool(), 'promtool (Debian package prometheus)')) return;
  const r = promtool(['test', 'rules', RULES_TESTS]);
  assert.match(r.output, /SUCCESS/, r.output);
  assert.equal(r.status, 0);

  // The unit tests have teeth: a wrong denominator in the dispatch shares, and an alert's `for:` one
  // minute short, each fail them.
  const dir = mkdtempSync(join(tmpdir(), 'scx-mixin-rules-'));
  try {
    copyFileSync(RULES_TESTS, join(dir, 'rules.test.yml'));
    const rules = readFileSync(RULES, 'utf8');
    const mutate = (from: string, to: string): { status: number | null; output: string } => {
      assert.equal(rules.split(from).length, 2, `"${from}" occurs once in rules.yml`);
      writeFileSync(join(dir, 'rules.yml'), rules.replace(from, to));
      return promtool(['test', 'rules', join(dir, 'rules.test.yml')]);
    };
    const share = mutate('(instance:dispatched_tasks:rate5m > 0)', '(instance:dispatched_tasks:rate5m > 0) * 2');
    assert.notEqual(share.status, 0);
    assert.match(share.output, /expr: "instance_type:dispatched_tasks:ratio_rate5m", time: 10m/);
    const early = mutate('  > 0.5\n        for: 10m', '  > 0.5\n        for: 9m');
    assert.notEqual(early.status, 0);
    assert.match(early.output, /alertname: ScxMetricsSourceFailing, time: 10m/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
