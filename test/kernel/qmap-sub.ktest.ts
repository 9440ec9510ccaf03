/**
 * scx_qmap at the root and `scx_qmap -c /sys/fs/cgroup/subtest` below it: the same ops name, program names
 * (`qmap_*`) and map names, two sets of maps. Each one's exported counters must be its own: the root's
 * `scx_qmap_*_total` between two of the root qmap's prints, the sub-scheduler's `scx_qmap_sub_*_total{cgroup_id,
 * cgroup}` between two of its own prints, and the root's not within the sub's (what reading the newest
 * `qmap_*` maps for the root gave before). A task is moved into the cgroup so the sub-scheduler has work. Both
 * arenas are fixed at 1 << 44, so the agent maps one and reads the other from its loader (process_vm_readv).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { Agent, Scheduler, collectedAfter, sysfs } from './guest.js';
import { lastPrint, prints } from './qmap-prints.js';

/** Waits for `n` more prints of each scheduler, then returns each one's last. */
async function nextPrints(ss: readonly Scheduler[], n: number): Promise<Map<string, bigint>[]> {
  const seen = ss.map((s) => prints(s.output()));
  for (const [i, s] of ss.entries()) {
    await s.waitUntil(() => prints(s.output()) >= (seen[i] as number) + n && lastPrint(s.output()) !== undefined, 30_000, `${n} prints of ${s.binary}`);
  }
  return ss.map((s) => lastPrint(s.output()) as Map<string, bigint>);
}

test('scx_qmap at the root and -c DIR below it: each one exports its own arena counters, the root unmixed', async () => {
  const dir = '/sys/fs/cgroup/subtest';
  mkdirSync(dir, { recursive: true });
  const id = statSync(dir).ino;
  const root = await Scheduler.start('scx_qmap', 'qmap');
  let sub: Scheduler | undefined;
  // A task that wakes every 20 ms, inside the cgroup: the sub-scheduler's enqueues.
  const worker = spawn('sh', ['-c', 'while :; do sleep 0.02; done'], { stdio: 'ignore' });
  const a = await Agent.beside([root]).catch((err: unknown) => {
    worker.kill('SIGKILL');
    throw err;
  });
  try {
    sub = await Scheduler.start('scx_qmap', 'qmap', { args: ['-c', dir], sub: () => sysfs(`root/sub/sub-${id}/ops`) === 'qmap' });
    writeFileSync(`${dir}/cgroup.procs`, String(worker.pid));
    const labels = `{cgroup_id="${id}",cgroup="/subtest"}`;
    await root.waitUntil(() => a.stderr().includes(`sub-scheduler on cgroup ${id} (/subtest) with profile qmap`), 30_000, 'the agent to read the sub-scheduler');
    await root.waitUntil(() => /reading map "arena" .* of the root scheduler "qmap"/.test(a.stderr()), 30_000, "the agent to read the root's arena");
    await root.waitUntil(() => /reading map "arena" .* of the sub-scheduler on cgroup /.test(a.stderr()), 30_000, "the agent to read the sub-scheduler's arena");
    // Both arenas are fixed at 1 << 44: one is mapped here, the other read from its loader's memory.
    const arenaLines = a.stderr().split('\n').filter((l) => l.includes('reading map "arena"'));
    assert.deepEqual(
      ['mmapped', 'process_vm_readv'].map((how) => arenaLines.filter((l) => l.includes(how)).length),
      [1, 1],
      `one arena mapped, one read with process_vm_readv:\n${arenaLines.join('\n')}`,
    );
    const [rootBefore, subBefore] = await nextPrints([root, sub], 1);
    const metrics = await collectedAfter(a);
    // The second print after the scrape was printed after it.
    const [rootAfter, subAfter] = await nextPrints([root, sub], 2);
    const wrong: string[] = [];
    const check = (series: string, lo: bigint, hi: bigint): void => {
      const v = metrics.get(series);
      if (v === undefined || BigInt(v) < lo || BigInt(v) > hi) wrong.push(`${series} = ${v}, expected ${lo}..${hi}`);
    };
    for (const [name, lo] of rootBefore as Map<string, bigint>) check(`scx_qmap_${name}_total`, lo, (rootAfter as Map<string, bigint>).get(name) as bigint);
    for (const [name, lo] of subBefore as Map<string, bigint>) check(`scx_qmap_sub_${name}_total${labels}`, lo, (subAfter as Map<string, bigint>).get(name) as bigint);
    assert.deepEqual(wrong, [], `${wrong.join('\n')}\nagent stderr:\n${a.stderr()}`);
    const rootEnq = metrics.get('scx_qmap_enqueued_tasks_total') as number;
    const subHi = (subAfter as Map<string, bigint>).get('enqueued_tasks') as bigint;
    assert.ok(BigInt(rootEnq) > subHi, `the root's enqueues (${rootEnq}) are not above the sub-scheduler's (at most ${subHi})`);
    assert.ok(((subAfter as Map<string, bigint>).get('enqueued_tasks') ?? 0n) > 0n, 'the sub-scheduler enqueued nothing');

    sub.stopping = true;
    sub.child.kill('SIGINT');
    await root.waitUntil(() => sysfs(`root/sub/sub-${id}/ops`) === undefined, 30_000, 'the sub-scheduler to go');
    await a.reports(2);
    const left = [...(await a.metrics()).keys()].filter((k) => k.startsWith('scx_qmap_sub_'));
    assert.deepEqual(left, [], 'the sub-scheduler series stayed after it detached');
    root.check();
  } finally {
    await a.stop().catch(() => undefined);
    worker.kill('SIGKILL');
    if (sub !== undefined) sub.child.kill('SIGINT');
    await root.stop();
    await new Promise((r) => setTimeout(r, 200));
    rmdirSync(dir);
  }
});
