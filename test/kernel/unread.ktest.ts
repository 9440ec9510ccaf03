/**
 * Export only what was read, on the real kernel: the scheduler-following BPF source has no health series while
 * nothing it can read runs (no scheduler, or scx_cpu0 which has no profile), and a scheduler whose maps cannot
 * be found exports no sample of its profile, only source_up 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Agent, Scheduler } from './guest.js';

const bpfHealth = (m: Map<string, number>): string[] => [...m.keys()].filter((k) => k.startsWith('scx_metrics_source_') && k.includes('source="bpf"'));

test('no scheduler, then scx_cpu0 (no profile): no bpf health series; scx_simple: source_up 1', async () => {
  const a = await Agent.start();
  try {
    await a.reports(1);
    assert.deepEqual(bpfHealth(await a.metrics()), [], 'bpf health series with no scheduler running');
    const cpu0 = await Scheduler.start('scx_cpu0', 'cpu0');
    try {
      await a.reports(2);
      assert.deepEqual(bpfHealth(await a.metrics()), [], 'bpf health series while a scheduler without a profile runs');
      cpu0.check();
    } finally {
      await cpu0.stop();
    }
    const simple = await Scheduler.start('scx_simple', 'simple');
    try {
      await simple.waitUntil(() => a.stderr().includes('reading BPF stats of the running sched_ext scheduler "simple"'), 30_000, 'the agent to read simple');
      await a.reports(1);
      assert.equal((await a.metrics()).get('scx_metrics_source_up{source="bpf"}'), 1);
    } finally {
      await simple.stop();
    }
  } finally {
    await a.stop();
  }
});

test("a running scheduler whose maps cannot be found: no sample of its profile, source_up 0", async () => {
  // simple's stats, under a profile whose programs are named unlike scx_simple's: root/ops matches, no map does.
  const dir = mkdtempSync(join(tmpdir(), 'unread-'));
  const profiles = resolve('dist/profiles/simple.js');
  const define = resolve('dist/src/bpf-layout/profile.js');
  writeFileSync(
    join(dir, 'lost.mjs'),
    `import { simpleStats } from '${profiles}';\nimport { defineProfile } from '${define}';\n` +
      `export default defineProfile({ name: 'lost', ops: 'simple', programs: ['nomatch_'], layoutFrom: 'test', stats: simpleStats });\n`,
  );
  const s = await Scheduler.start('scx_simple', 'simple');
  const a = await Agent.beside([s], ['--profile', join(dir, 'lost.mjs')]);
  try {
    await s.waitUntil(() => a.stderr().includes('with profile lost'), 30_000, 'the agent to take the lost profile');
    await a.reports(2);
    const m = await a.metrics();
    assert.equal(m.get('scx_metrics_source_up{source="bpf"}'), 0);
    assert.ok((m.get('scx_metrics_source_errors_total{source="bpf"}') ?? 0) > 0);
    assert.deepEqual([...m.keys()].filter((k) => k.startsWith('scx_simple_')), [], 'samples of a profile nothing was read for');
    s.check();
  } finally {
    await a.stop().finally(() => s.stop());
  }
});
