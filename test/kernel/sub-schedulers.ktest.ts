/**
 * Sub-schedulers on the real kernel (CONFIG_EXT_SUB_SCHED): scx_qmap at the root, then `scx_qmap -c DIR`
 * attached to a cgroup below it. sysfs shows root/sub/sub-<inode of DIR>/; the agent exports it with its cgroup
 * id and path and its own events, keeps the root's series as they are, and drops the sub-scheduler's series
 * when it detaches.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmdirSync, statSync } from 'node:fs';
import { Agent, Scheduler, bracket, sysfs } from './guest.js';

function events(rel: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const line of (sysfs(rel) ?? '').split('\n')) {
    const [name, value] = line.trim().split(/\s+/);
    if (name !== undefined && name !== '' && value !== undefined) out.set(name, BigInt(value));
  }
  return out;
}

test('scx_qmap at the root and scx_qmap -c /sys/fs/cgroup/subtest: both exported apart, events exact, the sub leaves cleanly', async () => {
  const dir = '/sys/fs/cgroup/subtest';
  mkdirSync(dir, { recursive: true });
  const id = statSync(dir).ino;
  const subDir = `root/sub/sub-${id}`;
  const root = await Scheduler.start('scx_qmap', 'qmap');
  let sub: Scheduler | undefined;
  const a = await Agent.beside([root]);
  try {
    sub = await Scheduler.start('scx_qmap', 'qmap', { args: ['-c', dir], sub: () => sysfs(`${subDir}/ops`) === 'qmap' });
    const labels = `cgroup_id="${id}",cgroup="/subtest"`;
    const { before, metrics, after } = await bracket(a, () => events(`${subDir}/events`));
    assert.equal(metrics.get('scx_sched_ext_scheduler{name="qmap",ops="qmap"}'), 1, 'the root scheduler series changed');
    assert.equal(metrics.get(`scx_sched_ext_sub_scheduler{${labels},name="qmap",ops="qmap"}`), 1, `no sub-scheduler series for ${subDir}`);
    assert.ok(before.size >= 13, `${subDir}/events has ${before.size} lines`);
    const wrong: string[] = [];
    for (const [name, lo] of before) {
      const key = name.replace(/^SCX_EV_/, '').toLowerCase();
      const scale = key === 'bypass_duration' ? 1e-9 : 1;
      const series = `scx_sched_ext_sub_event_${key}${scale === 1 ? '' : '_seconds'}_total{${labels}}`;
      const v = metrics.get(series);
      const hi = after.get(name) ?? lo;
      if (v === undefined || v < Number(lo) * scale - 1e-9 || v > Number(hi) * scale + 1e-9) wrong.push(`${series} = ${v}, expected ${lo}..${hi}`);
    }
    assert.deepEqual(wrong, [], wrong.join('\n'));
    root.check();

    sub.stopping = true;
    sub.child.kill('SIGINT');
    await root.waitUntil(() => sysfs(`${subDir}/ops`) === undefined, 30_000, `${subDir} to go`);
    await a.reports(2);
    const m2 = await a.metrics();
    const left = [...m2.keys()].filter((k) => k.includes(`cgroup_id="${id}"`));
    assert.deepEqual(left, [], 'the sub-scheduler series stayed after it detached');
    assert.equal(m2.get('scx_sched_ext_scheduler{name="qmap",ops="qmap"}'), 1);
    root.check();
  } finally {
    await a.stop().catch(() => undefined);
    if (sub !== undefined) sub.child.kill('SIGINT');
    await root.stop();
    rmdirSync(dir);
  }
});
