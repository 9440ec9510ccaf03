// What `scx_metrics_source_up` says about an optional /proc file this kernel lacks: nothing. The host
// plugin's sources over a fixture proc root without schedstat export no health series for proc:schedstat
// (as for sched_ext or scx_stats when absent), while proc:stat is up; once the file exists, they appear.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from '../../../src/agent.js';
import { memoryLogger } from '../../../src/support/log.js';
import type { Registry } from '../../../src/registry/index.js';
import { hostPlugin } from '../../../src/sources/host/plugin.js';
import { fixtureTree } from '../../helpers/fixtures.js';

const stat = ['cpu  1 0 1 1 0 0 0 0 0 0', 'cpu0 1 0 1 1 0 0 0 0 0 0', 'ctxt 10', 'processes 3', 'procs_running 1', 'procs_blocked 0', ''].join('\n');
const schedstat = ['version 15', 'timestamp 1', 'cpu0 0 0 0 0 0 0 1500000000 250000000 4321', ''].join('\n');

/** The value of each source's series in a health family, by source label. */
function bySource(reg: Registry, family: string): Record<string, number> {
  const fam = reg.get(family);
  assert.ok(fam, family);
  return Object.fromEntries(fam.series.map((s) => [s.labelValues[0] as string, (s as unknown as { value: number }).value]));
}

test('source_up: an optional /proc file that is absent has no health series; they appear with the file', async () => {
  const fx = fixtureTree({ stat });
  const log = memoryLogger();
  const env = { log, intervalSeconds: 1, out: process.stdout, env: {} };
  const sources = await hostPlugin.create({ 'proc-root': fx.root }, env);
  const agent = new Agent({ intervalSeconds: 1, log, sinks: [], sources });
  try {
    await agent.start();
    await agent.tick();
    const up = bySource(agent.registry, 'scx_metrics_source_up');
    assert.equal(up['proc:stat'], 1);
    assert.ok(!('proc:schedstat' in up), `no source_up for the absent file: ${JSON.stringify(up)}`);
    assert.ok(!('proc:pressure/cpu' in up), 'nor for absent pressure');
    for (const fam of ['scx_metrics_source_errors', 'scx_metrics_source_duration_seconds']) {
      assert.ok(!('proc:schedstat' in bySource(agent.registry, fam)), fam);
    }
    assert.equal(log.lines.filter((l) => l.includes('schedstat is not present on this kernel')).length, 1);

    fx.write('schedstat', schedstat);
    await agent.tick();
    assert.equal(bySource(agent.registry, 'scx_metrics_source_up')['proc:schedstat'], 1);
    assert.equal(bySource(agent.registry, 'scx_metrics_source_errors')['proc:schedstat'], 0);
    assert.ok(agent.registry.get('scx_host_schedstat_timeslices')?.series.length === 1);
  } finally {
    await agent.stop();
    fx.cleanup();
  }
});
