/**
 * Declare once, for real: examples/scx-declared's stats are declared in TypeScript (stats.ts), its BPF side
 * includes the header gen-header made from them (built by the harness with the kernel tree's headers under
 * -Wall -Werror), and the agent, given the same module with --profile, exports every series exact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Agent, Scheduler, bracket, exampleBinary, perCpuSums, schedulerMap } from './guest.js';
import { stats } from '../../examples/scx-declared/stats.js';
import { enumLayout } from '../../src/codegen/enum-layout.js';
import { formatGoFloat } from '../../src/support/go-float.js';

test('scx_declared: the scheduler built from the generated header runs, and every exported series is exact', async () => {
  const s = await Scheduler.start(exampleBinary(), 'declared');
  const a = await Agent.beside([s], ['--profile', 'dist/examples/scx-declared/stats.js']);
  try {
    await s.waitUntil(() => a.stderr().includes('reading BPF stats of the running sched_ext scheduler "declared" with profile declared'), 30_000, 'the agent to pick the profile');
    const id = schedulerMap('declared_', 'stats');
    const { before, metrics, after } = await bracket(a, () => perCpuSums(id));
    const slot = (name: string): number => {
      const i = enumLayout(stats).slots.findIndex((x) => x.cName === name);
      assert.ok(i >= 0, `no slot ${name}`);
      return i;
    };
    const range = (first: number, last: number, scale = 1): [number, number] => {
      let lo = 0n;
      let hi = 0n;
      for (let i = first; i <= last; i++) {
        lo += before[i] ?? 0n;
        hi += after[i] ?? 0n;
      }
      return [Number(lo) * scale, Number(hi) * scale];
    };
    const b0 = slot('SLICE_USED_B0');
    const inf = slot('SLICE_USED_B17');
    const expect = new Map<string, [number, number]>([
      ['scx_declared_enqueued_tasks_total{dsq="local"}', range(0, 0)],
      ['scx_declared_enqueued_tasks_total{dsq="global"}', range(1, 1)],
      ['scx_declared_dispatches_total', range(2, 2)],
      ['scx_declared_slice_used_seconds_count', range(b0, inf)],
      ['scx_declared_slice_used_seconds_sum', range(inf + 1, inf + 1, 1e-6)],
    ]);
    stats.stats.slice_used.buckets.forEach((le, i) => expect.set(`scx_declared_slice_used_seconds_bucket{le="${formatGoFloat(le)}"}`, range(b0, b0 + i)));
    expect.set('scx_declared_slice_used_seconds_bucket{le="+Inf"}', range(b0, inf));
    const exported = [...metrics.keys()].filter((k) => k.startsWith('scx_declared_') && !k.endsWith('_created'));
    assert.deepEqual(exported.sort(), [...expect.keys()].sort(), 'the exported scx_declared series are not the declared ones');
    const wrong: string[] = [];
    for (const [series, [lo, hi]] of expect) {
      const v = metrics.get(series) as number;
      const tol = series.endsWith('_sum') ? 1e-9 * Math.max(1, hi) : 0;
      if (!(v >= lo - tol && v <= hi + tol)) wrong.push(`${series} = ${v}, expected ${lo}..${hi}`);
    }
    assert.deepEqual(wrong, [], wrong.join('\n'));
    assert.ok(range(0, 1)[1] > 0 && range(b0, inf)[1] > 0, 'scx_declared counted nothing');
    // The loader prints the same slots by the names the header gives them.
    assert.match(s.output(), /scx_declared_enqueued_tasks_total\{dsq="local"\} \d+/);
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: await (await fetch(`http://127.0.0.1:${a.port}/metrics`)).text(), encoding: 'utf8' });
    assert.equal(promtool.status, 0, `promtool check metrics: ${promtool.stdout}${promtool.stderr}`);
    s.check();
  } finally {
    await a.stop().finally(() => s.stop());
  }
});
