// Per-CPU series of a CPU that went offline expire after the grace period: the host source (whose /proc
// files list online CPUs only) through the agent, and BPF per-CPU entries (a slot for every possible CPU),
// which follow /sys/devices/system/cpu/online. CPUs are not taken offline on this shared machine: the files
// are real files in a fixture tree, written as the kernel writes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from '../../src/agent.js';
import { counter, defineStats } from '../../src/declare/index.js';
import { memoryLogger } from '../../src/support/log.js';
import { Registry, SeriesLifetime, type CounterSeries } from '../../src/registry/index.js';
import { EntrySeries } from '../../src/sources/bpf/entry-series.js';
import { ProcFileSource } from '../../src/sources/host/source.js';
import { procStatStats } from '../../src/sources/host/stats.js';
import { OnlineCpus } from '../../src/sources/online-cpus.js';
import { fixtureTree } from '../helpers/fixtures.js';

const stat = (cpus: readonly number[]): string =>
  ['cpu  3212 0 1704 106394 165 0 40 6 0 0', ...cpus.map((c) => `cpu${c} ${100 + c} 0 664 53728 23 0 10 2 0 0`), 'ctxt 5', 'processes 3', 'procs_running 1', 'procs_blocked 0', ''].join('\n');

const cpusIn = (reg: Registry): string[] => [...new Set(reg.get('scx_host_cpu_seconds')?.series.map((s) => s.labelValues[0] as string))].sort();

test('host: a CPU missing from /proc/stat loses its series after the grace; back online it has them again', async () => {
  const fx = fixtureTree({ stat: stat([0, 1, 2]) });
  const agent = new Agent({ sources: [new ProcFileSource(procStatStats, 'stat', { procRoot: fx.root })], sinks: [], intervalSeconds: 1, log: memoryLogger(), seriesGrace: 2 });
  try {
    await agent.start();
    assert.deepEqual(cpusIn(agent.registry), ['0', '1', '2']);
    fx.write('stat', stat([0, 2]));
    await agent.tick();
    assert.deepEqual(cpusIn(agent.registry), ['0', '1', '2'], 'kept during the grace period');
    await agent.tick();
    assert.deepEqual(cpusIn(agent.registry), ['0', '2']);
    fx.write('stat', stat([0, 1, 2]));
    await agent.tick();
    assert.deepEqual(cpusIn(agent.registry), ['0', '1', '2']);
    const user1 = agent.registry.get('scx_host_cpu_seconds')?.series.find((s) => s.labelValues.join() === '1,user') as CounterSeries;
    assert.equal(user1.value, 1.01);
  } finally {
    await agent.stop();
    fx.cleanup();
  }
});

test('bpf per-CPU entry: an offline CPU gets a detached handle, its series expires, and comes back with the CPU', () => {
  const fx = fixtureTree({ online: '0-3\n' });
  try {
    const set = defineStats({ name: 't', help: 't', prefix: 'x', stats: { hits: counter({ help: 'h', labels: { cpu: String } }) } });
    const reg = new Registry();
    const fam = reg.register(set).hits;
    const life = new SeriesLifetime(2);
    life.track(fam);
    const online = new OnlineCpus(`${fx.root}/online`);
    const cpus = ['0', '1', '2', '3'];
    const es = new EntrySeries(fam, cpus.map((c) => [c]), { labels: cpus, online });
    // One collection: read the online list, then update every possible CPU's slot as the BPF source does.
    const collect = (v: number): void => {
      online.read();
      for (const h of es.get()) (h as CounterSeries).absolute(v);
      life.sweep();
    };
    collect(10);
    assert.equal(fam.series.length, 4);
    fx.write('online', '0,2-3\n');
    collect(20);
    assert.deepEqual(fam.series.map((s) => s.labelValues[0]), ['0', '1', '2', '3'], 'kept during the grace period');
    collect(30);
    assert.deepEqual(fam.series.map((s) => s.labelValues[0]), ['0', '2', '3']);
    fx.write('online', '0-3\n');
    collect(40);
    assert.deepEqual(fam.series.map((s) => s.labelValues[0]).sort(), ['0', '1', '2', '3']);
    // A CPU back online is a new series: it starts from the slot's value (the counter rule for a new series).
    assert.equal((fam.series.find((s) => s.labelValues[0] === '1') as CounterSeries).value, 40);
    // An unreadable online file: every CPU counts as online, as before.
    fx.write('online', 'garbage\n');
    assert.equal(online.read(), undefined);
  } finally {
    fx.cleanup();
  }
});
