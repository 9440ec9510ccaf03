/**
 * Auto-detection and exact reads on a real sched_ext kernel, for every in-tree scheduler with a profile:
 * the agent, started with no source flags, finds the running scheduler through root/ops and reads its maps;
 * each exported counter lies between a bpftool dump taken before the agent's last collection and one taken
 * after the scrape.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, Scheduler, bracket, globals, perCpuSums, schedulerMap } from './guest.js';

/** Asserts before ≤ exported ≤ after for each series, and that the counts moved at all somewhere. */
function assertBetween(a: Agent, metrics: Map<string, number>, expect: Record<string, [bigint, bigint]>): void {
  const wrong: string[] = [];
  for (const [series, [lo, hi]] of Object.entries(expect)) {
    const v = metrics.get(series);
    if (v === undefined || BigInt(v) < lo || BigInt(v) > hi) wrong.push(`${series} = ${v}, expected between ${lo} and ${hi}`);
  }
  const health = [...metrics].filter(([k]) => k.startsWith('scx_metrics_source')).map(([k, v]) => `${k} ${v}`);
  assert.deepEqual(wrong, [], `exported values out of the kernel's range:\n${wrong.join('\n')}\n${health.join('\n')}\nagent stderr:\n${a.stderr()}`);
}

async function withScheduler(binary: string, ops: string, body: (s: Scheduler, a: Agent) => Promise<void>): Promise<void> {
  const s = await Scheduler.start(binary, ops);
  let a: Agent | undefined;
  try {
    a = await Agent.start();
    await s.waitUntil(() => (a as Agent).stderr().includes(`reading BPF stats of the running sched_ext scheduler "${ops}" with profile ${ops}`), 30_000, 'the agent to pick the profile');
    await body(s, a);
    s.check();
  } finally {
    await a?.stop().catch(() => undefined);
    await s.stop();
  }
}

test('scx_simple: auto-detected, both queued_tasks counters exact', async () => {
  await withScheduler('scx_simple', 'simple', async (_s, a) => {
    const id = schedulerMap('simple_', 'stats');
    const { before, metrics, after } = await bracket(a, () => perCpuSums(id));
    assertBetween(a, metrics, {
      'scx_simple_queued_tasks_total{dsq="local"}': [before[0] ?? 0n, after[0] ?? 0n],
      'scx_simple_queued_tasks_total{dsq="global"}': [before[1] ?? 0n, after[1] ?? 0n],
    });
    assert.ok((after[0] ?? 0n) + (after[1] ?? 0n) > 0n, 'scx_simple queued nothing');
  });
});

test('scx_central: auto-detected, .bss counters exact through mmap', async () => {
  await withScheduler('scx_central', 'central', async (_s, a) => {
    const id = schedulerMap('central_', 'scx_cent.bss');
    const { before, metrics, after } = await bracket(a, () => globals(id));
    const names: Record<string, string> = {
      nr_total: 'scx_central_enqueued_tasks_total',
      nr_locals: 'scx_central_local_tasks_total',
      nr_lost_pids: 'scx_central_lost_pids_total',
      nr_timers: 'scx_central_timer_runs_total',
      nr_dispatches: 'scx_central_central_dispatches_total',
      nr_mismatches: 'scx_central_cpu_mismatches_total',
      nr_retries: 'scx_central_dispatch_retries_total',
      nr_overflows: 'scx_central_queue_overflows_total',
    };
    const expect: Record<string, [bigint, bigint]> = {};
    for (const [v, series] of Object.entries(names)) expect[series] = [before.get(v) ?? -1n, after.get(v) ?? -1n];
    assertBetween(a, metrics, expect);
    assert.ok((after.get('nr_total') ?? 0n) > 0n, 'scx_central enqueued nothing');
    assert.ok(Number.isInteger(metrics.get('scx_central_queued_tasks')), 'the nr_queued gauge is not exported');
  });
});

/** FCG_STAT_* names in the kernel tree's own enum, by index. */
function flatcgEnum(): string[] {
  const h = readFileSync(join(process.env.SCX_KERNEL_SRC ?? '', 'tools/sched_ext/scx_flatcg.h'), 'utf8');
  const body = /enum fcg_stat_idx \{([^}]*)\}/.exec(h)?.[1] ?? '';
  return [...body.matchAll(/\b(FCG_STAT_[A-Z_]+)\b/g)].map((m) => m[1] as string).filter((n) => n !== 'FCG_NR_STATS');
}

test('scx_flatcg: auto-detected, every counter exact at the index of the kernel tree\'s own enum', async () => {
  const series: Record<string, string> = {
    FCG_STAT_ACT: 'scx_flatcg_cgroup_activations_total',
    FCG_STAT_DEACT: 'scx_flatcg_cgroup_deactivations_total',
    FCG_STAT_LOCAL: 'scx_flatcg_queued_tasks_total{dsq="local"}',
    FCG_STAT_GLOBAL: 'scx_flatcg_queued_tasks_total{dsq="global"}',
    FCG_STAT_HWT_UPDATES: 'scx_flatcg_hweight_calcs_total{result="update"}',
    FCG_STAT_HWT_CACHE: 'scx_flatcg_hweight_calcs_total{result="cache"}',
    FCG_STAT_HWT_SKIP: 'scx_flatcg_hweight_calcs_total{result="skip"}',
    FCG_STAT_HWT_RACE: 'scx_flatcg_hweight_calcs_total{result="race"}',
    FCG_STAT_ENQ_SKIP: 'scx_flatcg_enqueue_abandoned_total{result="skip"}',
    FCG_STAT_ENQ_RACE: 'scx_flatcg_enqueue_abandoned_total{result="race"}',
    FCG_STAT_CNS_KEEP: 'scx_flatcg_cgroup_consumes_total{result="keep"}',
    FCG_STAT_CNS_EXPIRE: 'scx_flatcg_cgroup_consumes_total{result="expire"}',
    FCG_STAT_CNS_EMPTY: 'scx_flatcg_cgroup_consumes_total{result="empty"}',
    FCG_STAT_CNS_GONE: 'scx_flatcg_cgroup_consumes_total{result="gone"}',
    FCG_STAT_PNC_NO_CGRP: 'scx_flatcg_cgroup_picks_total{result="no_cgrp"}',
    FCG_STAT_PNC_NEXT: 'scx_flatcg_cgroup_picks_total{result="next"}',
    FCG_STAT_PNC_EMPTY: 'scx_flatcg_cgroup_picks_total{result="empty"}',
    FCG_STAT_PNC_GONE: 'scx_flatcg_cgroup_picks_total{result="gone"}',
    FCG_STAT_PNC_RACE: 'scx_flatcg_cgroup_picks_total{result="race"}',
    FCG_STAT_PNC_FAIL: 'scx_flatcg_cgroup_picks_total{result="fail"}',
    FCG_STAT_BAD_REMOVAL: 'scx_flatcg_bad_removals_total',
  };
  const names = flatcgEnum();
  assert.deepEqual([...names].sort(), Object.keys(series).sort(), "the kernel tree's enum fcg_stat_idx has names the test does not know");
  await withScheduler('scx_flatcg', 'flatcg', async (_s, a) => {
    const id = schedulerMap('fcg_', 'stats');
    const { before, metrics, after } = await bracket(a, () => perCpuSums(id));
    const expect: Record<string, [bigint, bigint]> = {};
    names.forEach((n, i) => (expect[series[n] as string] = [before[i] ?? -1n, after[i] ?? -1n]));
    assertBetween(a, metrics, expect);
    assert.ok(after.reduce((s, v) => s + v, 0n) > 0n, 'scx_flatcg counted nothing');
  });
});
