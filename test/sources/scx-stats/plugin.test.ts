import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { UsageError } from '../../../src/plugin/flags.js';
import type { PluginEnv } from '../../../src/plugin/plugin.js';
import { memoryLogger } from '../../../src/support/log.js';
import { defaultTimeoutMs, scxStatsPluginFor } from '../../../src/sources/scx-stats/plugin.js';
import { exited, startCli, waitFor } from '../../helpers/cli.js';
import { RustySim, rustyMeta } from './rusty.js';
import { TestStatsServer } from './server.js';

const env = (): PluginEnv & { log: ReturnType<typeof memoryLogger> } => ({ log: memoryLogger(), intervalSeconds: 2, out: process.stdout, env: {} });

test('auto-detection: the default socket is used when it answers, skipped (said once) when it does not, absent means nothing', async () => {
  const sim = new RustySim(1, 1);
  const server = await TestStatsServer.start({ meta: rustyMeta, targets: { top: sim.open } });
  const free = TestStatsServer.freePath();
  try {
    const e = env();
    const found = await scxStatsPluginFor(server.path).create({}, e);
    assert.equal(found.length, 1);
    assert.ok(found[0]?.stats().some((s) => s.name === 'scx_stats_rusty'), 'declarations known from the probe, before the first read');
    assert.equal((await scxStatsPluginFor(free.path).create({}, e)).length, 0, 'no socket file: no source');
    writeFileSync(free.path, '');
    assert.equal((await scxStatsPluginFor(free.path).create({}, e)).length, 0, 'a dead socket file: no source');
    assert.match(e.log.lines.join('\n'), /is present but does not answer \(nothing listening .*ECONNREFUSED.*\); not reading it \(pass --scx-stats .* to wait for it\)/);
    // Asked for explicitly: the source is made and waits for the server.
    const waiting = await scxStatsPluginFor('/nonexistent/default').create({ 'scx-stats': free.path }, e);
    assert.equal(waiting.length, 1);
    assert.deepEqual(waiting[0]?.stats(), []);
    assert.equal((await scxStatsPluginFor(server.path).create({ 'no-scx-stats': true }, e)).length, 0);
    await assert.rejects(Promise.resolve(scxStatsPluginFor(server.path).create({ 'scx-stats-overlay': 'cfs' }, e)), (err: unknown) => err instanceof UsageError && /--scx-stats-overlay: "cfs" is not one of auto, none, rusty/.test(err.message));
    await assert.rejects(Promise.resolve(scxStatsPluginFor(server.path).create({ 'scx-stats-timeout': '-1' }, e)), /--scx-stats-timeout: "-1" is not an integer > 0/);
    for (const s of found) await s.close?.();
  } finally {
    await server.close();
    free.cleanup();
  }
  assert.equal(defaultTimeoutMs(2), 500);
  assert.equal(defaultTimeoutMs(10), 1000);
});

test('describe --scx-stats lists the script-compatible gauges, the typed counters, and what is not exported', async () => {
  const sim = new RustySim(1, 1);
  const server = await TestStatsServer.start({ meta: rustyMeta, targets: { top: sim.open } });
  try {
    const child = startCli(['describe', '--scx-stats', server.path]);
    const { code } = await exited(child);
    const { stdout, stderr } = child.output();
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^ {2}d_load +gauge +- +node=\*,domain=\* +sum of weight \* duty_cycle for all tasks$/m);
    assert.match(stdout, /^ {2}scx_rusty_dispatched_tasks_total +counter +- +type=wsync\|wsync_prev_idle\|prev_idle\|greedy_idle\|pinned\|direct_dispatch\|direct_greedy\|direct_greedy_far\|dsq\|greedy_local\|greedy_xnuma +Tasks dispatched, by path/m);
    assert.match(stdout, /^scx_stats_not_exported: \.direct_greedy_cpus: not exported: _om_skip; \.kick_greedy_cpus: not exported: _om_skip$/m);
  } finally {
    await server.close();
  }
});

test('run --scx-stats: the terminal report shows the rebuilt dispatch counts every interval', async () => {
  const sim = new RustySim(1, 2);
  const server = await TestStatsServer.start({ meta: rustyMeta, targets: { top: sim.open } });
  const timer = setInterval(() => {
    sim.add('WAKE_SYNC', 10);
    sim.add('DSQ_DISPATCH', 30);
  }, 10);
  const child = startCli(['run', '--no-host', '--scx-stats', server.path, '--interval', '0.2', '--report', 'json']);
  try {
    const reports = (): { counters: { name: string; delta: number; series: { labels: Record<string, string>; delta: number }[] }[] }[] =>
      child
        .output()
        .stdout.split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as ReturnType<typeof reports>[number]);
    await waitFor(() => reports().some((r) => r.counters.some((c) => c.name === 'scx_rusty_dispatched_tasks_total' && c.delta > 0)), 10_000, 'a report with dispatches');
    const r = reports().find((x) => x.counters.some((c) => c.name === 'scx_rusty_dispatched_tasks_total' && c.delta > 0));
    const c = r?.counters.find((x) => x.name === 'scx_rusty_dispatched_tasks_total');
    const dsq = c?.series.find((s) => s.labels.type === 'dsq')?.delta ?? 0;
    const wsync = c?.series.find((s) => s.labels.type === 'wsync')?.delta ?? 0;
    assert.equal(dsq, 3 * wsync, 'dsq and wsync grow 3:1 as the scheduler counted them');
    child.kill('SIGTERM');
    assert.equal((await exited(child)).code, 0);
  } finally {
    clearInterval(timer);
    child.kill('SIGKILL');
    await server.close();
  }
});
