/**
 * Least privilege and doctor on a real sched_ext kernel. The agent runs with `--user nobody` from before any
 * scheduler starts, so everything it reads is found after the drop: scx_simple (per-CPU array) and then
 * scx_central (.bss through mmap), each counter between bpftool dumps, with /proc/<pid>/status showing uid
 * 65534 and exactly the kept capabilities. With none kept, the same scheduler is not read and the agent names
 * CAP_SYS_ADMIN. `doctor` beside a running scheduler says so, line by line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FOLLOW_CAPS, capMask, parseStatusCreds } from '../../src/privilege/caps.js';
import { runCli } from '../helpers/cli.js';
import { Agent, Scheduler, bracket, globals, perCpuSums, schedulerMap } from './guest.js';

function assertBetween(a: Agent, metrics: Map<string, number>, expect: Record<string, [bigint, bigint]>): void {
  const wrong: string[] = [];
  for (const [series, [lo, hi]] of Object.entries(expect)) {
    const v = metrics.get(series);
    if (v === undefined || BigInt(v) < lo || BigInt(v) > hi) wrong.push(`${series} = ${v}, expected between ${lo} and ${hi}`);
  }
  assert.deepEqual(wrong, [], `exported values out of the kernel's range:\n${wrong.join('\n')}\nagent stderr:\n${a.stderr()}`);
}

function assertCreds(a: Agent, caps: bigint): void {
  const creds = parseStatusCreds(readFileSync(`/proc/${a.proc.pid as number}/status`, 'utf8'));
  assert.equal(creds.uid, 65534);
  assert.equal(creds.gid, 65534);
  assert.equal(creds.effective.toString(16), caps.toString(16));
  assert.equal(creds.permitted.toString(16), caps.toString(16));
}

async function follow(a: Agent, binary: string, ops: string): Promise<Scheduler> {
  const s = await Scheduler.start(binary, ops);
  await s.waitUntil(() => a.stderr().includes(`reading BPF stats of the running sched_ext scheduler "${ops}" with profile ${ops}`), 30_000, `the agent to follow ${ops}`);
  return s;
}

test('--user nobody: the agent follows scx_simple → scx_central, both started after the drop, every counter exact', async () => {
  const a = await Agent.start(['--user', 'nobody']);
  try {
    assert.match(a.stderr(), /running as nobody \(uid 65534, gid 65534\) with only /);
    assertCreds(a, capMask(FOLLOW_CAPS));

    let s = await follow(a, 'scx_simple', 'simple');
    try {
      const id = schedulerMap('simple_', 'stats');
      const { before, metrics, after } = await bracket(a, () => perCpuSums(id));
      assertBetween(a, metrics, {
        'scx_simple_queued_tasks_total{dsq="local"}': [before[0] ?? 0n, after[0] ?? 0n],
        'scx_simple_queued_tasks_total{dsq="global"}': [before[1] ?? 0n, after[1] ?? 0n],
      });
      assert.ok((after[0] ?? 0n) + (after[1] ?? 0n) > 0n, 'scx_simple queued nothing');
      s.check();
    } finally {
      await s.stop();
    }

    s = await follow(a, 'scx_central', 'central');
    try {
      const id = schedulerMap('central_', 'scx_cent.bss');
      const { before, metrics, after } = await bracket(a, () => globals(id));
      const names: Record<string, string> = {
        nr_total: 'scx_central_enqueued_tasks_total',
        nr_locals: 'scx_central_local_tasks_total',
        nr_dispatches: 'scx_central_central_dispatches_total',
        nr_timers: 'scx_central_timer_runs_total',
      };
      const expect: Record<string, [bigint, bigint]> = {};
      for (const [v, series] of Object.entries(names)) expect[series] = [before.get(v) ?? -1n, after.get(v) ?? -1n];
      assertBetween(a, metrics, expect);
      assert.ok((after.get('nr_total') ?? 0n) > 0n, 'scx_central enqueued nothing');
      assert.equal([...metrics.keys()].filter((k) => k.startsWith('scx_simple_')).length, 0, 'scx_simple series stayed after central took over');
      s.check();
    } finally {
      await s.stop();
    }
    assertCreds(a, capMask(FOLLOW_CAPS));
  } finally {
    await a.stop();
  }
});

test('--user nobody --keep-caps none: a scheduler started after the drop is not read, and the agent says it needs CAP_SYS_ADMIN', async () => {
  const a = await Agent.start(['--user', 'nobody', '--keep-caps', 'none']);
  try {
    assertCreds(a, 0n);
    const s = await Scheduler.start('scx_simple', 'simple');
    try {
      await s.waitUntil(() => a.stderr().includes('needs CAP_SYS_ADMIN'), 30_000, 'the agent to name CAP_SYS_ADMIN');
      await a.reports(2);
      const m = await a.metrics();
      assert.equal([...m.keys()].filter((k) => k.startsWith('scx_simple_')).length, 0, 'scx_simple was read without CAP_SYS_ADMIN');
      assert.equal(m.get('scx_sched_ext_scheduler{name="simple",ops="simple"}'), 1, 'sysfs is still read');
      s.check();
    } finally {
      await s.stop();
    }
  } finally {
    await a.stop();
  }
});

test('doctor beside scx_simple: sched_ext enabled, the scheduler with its profile, BTF, schedstat, the sources run would read', async () => {
  const s = await Scheduler.start('scx_simple', 'simple');
  try {
    const r = runCli(['doctor', '--prometheus-listen', '127.0.0.1:0'], { timeoutMs: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    const line = (topic: string): string => lines.find((l) => l.slice(8).startsWith(`${topic}:`)) ?? `(no ${topic} line)`;
    assert.equal(line('sched_ext'), 'ok      sched_ext: in the kernel (/sys/kernel/sched_ext, state enabled)');
    assert.equal(line('scheduler'), 'ok      scheduler: "simple" running; its BPF maps are read with profile simple');
    assert.match(line('BTF'), /^ok {6}BTF: \/sys\/kernel\/btf\/vmlinux present/);
    assert.match(line('schedstat'), /^ok {6}schedstat: /);
    assert.match(line('BPF maps'), /^ok /);
    assert.match(line('sources'), /^ok {6}sources: run would read .*\bbpf\b.*\bsched_ext\b/);
    s.check();
  } finally {
    await s.stop();
  }
});
