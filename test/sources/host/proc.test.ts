import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Agent } from '../../../src/agent.js';
import { memoryLogger } from '../../../src/support/log.js';
import { Registry } from '../../../src/registry/index.js';
import { ProcFileSource } from '../../../src/sources/host/source.js';
import { pressureStats, procStatStats, schedstatStats } from '../../../src/sources/host/stats.js';
import { fixtureTree } from '../../helpers/fixtures.js';

const stat = (ctxt: number, cpu0user = 1309): string =>
  [
    'cpu  3212 0 1704 106394 165 0 40 6 0 0',
    `cpu0 ${cpu0user} 0 664 53728 23 0 10 2 0 0`,
    'cpu1 1903 0 1040 52666 142 0 30 4 0 0',
    'intr 1 2 3',
    `ctxt ${ctxt}`,
    'btime 1700000000',
    'processes 3650',
    'procs_running 3',
    'procs_blocked 1',
    '',
  ].join('\n');

const schedstat = ['version 15', 'timestamp 4295000000', 'cpu0 0 0 0 0 0 0 1500000000 250000000 4321', 'domain0 3 1 2 3', 'cpu1 0 0 0 0 0 0 2500000000 50000000 1234', ''].join('\n');
const psi = 'some avg10=0.00 avg60=0.59 avg300=0.90 total=8572671\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=1000\n';

function value(reg: Registry, name: string, labels: readonly string[] = []): number {
  const fam = reg.get(name);
  assert.ok(fam, `family ${name} registered`);
  const s = fam.series.find((x) => x.labelValues.join(',') === labels.join(','));
  assert.ok(s, `${name}{${labels.join(',')}} exists`);
  return (s as { value: number }).value;
}

test('host source reads /proc/stat, schedstat and pressure fixtures into the declared names', async () => {
  const fx = fixtureTree({ stat: stat(391536), schedstat, 'pressure/cpu': psi });
  try {
    const reg = new Registry();
    const log = memoryLogger();
    const sources = [
      new ProcFileSource(procStatStats, 'stat', { procRoot: fx.root }),
      new ProcFileSource(schedstatStats, 'schedstat', { procRoot: fx.root, optional: true }),
      new ProcFileSource(pressureStats, 'pressure/cpu', { procRoot: fx.root, optional: true }),
    ];
    for (const s of sources) s.attach({ registry: reg, log });
    for (const s of sources) await s.collect();
    assert.equal(value(reg, 'scx_host_context_switches'), 391536);
    assert.equal(value(reg, 'scx_host_forks'), 3650);
    assert.equal(value(reg, 'scx_host_runnable_tasks'), 3);
    assert.equal(value(reg, 'scx_host_blocked_tasks'), 1);
    assert.equal(value(reg, 'scx_host_cpu_seconds', ['0', 'user']), 13.09);
    assert.equal(value(reg, 'scx_host_cpu_seconds', ['1', 'steal']), 0.04);
    assert.equal(value(reg, 'scx_host_schedstat_running_seconds', ['0']), 1.5);
    assert.equal(value(reg, 'scx_host_schedstat_waiting_seconds', ['1']), 0.05);
    assert.equal(value(reg, 'scx_host_schedstat_timeslices', ['0']), 4321);
    assert.equal(value(reg, 'scx_host_cpu_pressure_waiting_seconds'), 8.572671);
    assert.equal(value(reg, 'scx_host_cpu_pressure_stalled_seconds'), 0.001);
    // The aggregate "cpu" line is not a CPU.
    assert.equal(reg.get('scx_host_cpu_seconds')?.series.length, 16);

    fx.write('stat', stat(391600));
    await sources[0]?.collect();
    assert.equal(value(reg, 'scx_host_context_switches'), 391600);
    assert.deepEqual(log.lines, []);
  } finally {
    fx.cleanup();
  }
});

test('a malformed or missing /proc file fails its own source for one interval; the others go on and it recovers', async () => {
  const fx = fixtureTree({ stat: stat(1000), 'pressure/cpu': psi });
  const log = memoryLogger();
  const procRoot = fx.root;
  const agent = new Agent({
    intervalSeconds: 1,
    log,
    sinks: [],
    sources: [new ProcFileSource(procStatStats, 'stat', { procRoot }), new ProcFileSource(pressureStats, 'pressure/cpu', { procRoot, optional: true })],
  });
  try {
    await agent.start();
    const reg = agent.registry;
    assert.equal(value(reg, 'scx_host_context_switches'), 1000);

    // ctxt garbled, cpu1 truncated: what parses is still applied, the source reports, pressure keeps going.
    fx.write('stat', stat(2000, 1400).replace('ctxt 2000', 'ctxt twelve').replace(/cpu1 .*/, 'cpu1 2000'));
    fx.write('pressure/cpu', psi.replace('8572671', '9572671'));
    await agent.tick();
    assert.equal(value(reg, 'scx_host_context_switches'), 1000);
    assert.equal(value(reg, 'scx_host_cpu_seconds', ['0', 'user']), 14);
    assert.equal(value(reg, 'scx_host_cpu_pressure_waiting_seconds'), 9.572671);
    assert.equal(value(reg, 'scx_metrics_source_up', ['proc:stat']), 0);
    assert.equal(value(reg, 'scx_metrics_source_errors', ['proc:stat']), 1);
    assert.equal(value(reg, 'scx_metrics_source_up', ['proc:pressure/cpu']), 1);
    const errs = log.lines.filter((l) => l.includes('proc:stat'));
    assert.equal(errs.length, 1);
    assert.match(errs[0] ?? '', /stat is malformed: "ctxt" missing or not a number; cpu1: column 1 missing/);
    // cpu1's first column (user) did parse and was applied, though the rest of its line is missing.
    assert.equal(value(reg, 'scx_host_cpu_seconds', ['1', 'user']), 20);

    // Still broken next interval: counted again, but said only once.
    await agent.tick();
    assert.equal(value(reg, 'scx_metrics_source_errors', ['proc:stat']), 2);
    assert.equal(log.lines.filter((l) => l.includes('proc:stat') && l.includes('warning')).length, 1);

    // File gone, then back.
    fx.write('stat', '');
    await agent.tick();
    fx.write('stat', stat(2500));
    await agent.tick();
    assert.equal(value(reg, 'scx_host_context_switches'), 2500);
    assert.equal(value(reg, 'scx_metrics_source_up', ['proc:stat']), 1);
    assert.ok(log.lines.some((l) => l.includes('source proc:stat: reading again')));
  } finally {
    await agent.stop();
    fx.cleanup();
  }
});

test('an optional file that is absent is said once and not counted as an error', async () => {
  const fx = fixtureTree({ stat: stat(1) });
  const log = memoryLogger();
  const agent = new Agent({ intervalSeconds: 1, log, sinks: [], sources: [new ProcFileSource(schedstatStats, 'schedstat', { procRoot: fx.root, optional: true })] });
  try {
    await agent.start();
    await agent.tick();
    assert.equal(log.lines.filter((l) => l.includes('schedstat is not present')).length, 1);
    assert.equal(agent.registry.get('scx_host_schedstat_running_seconds')?.series.length, 0);
    assert.equal(agent.registry.get('scx_metrics_source_errors')?.series.length, 0, 'absent: no health series at all (see health.ts)');
  } finally {
    await agent.stop();
    fx.cleanup();
  }
});

test('the real /proc/stat of this machine parses, and its context switch count moves', async () => {
  const reg = new Registry();
  const src = new ProcFileSource(procStatStats, 'stat');
  src.attach({ registry: reg, log: memoryLogger() });
  await src.collect();
  const first = value(reg, 'scx_host_context_switches');
  const real = Number(/^ctxt (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
  assert.ok(first > 0 && first <= real);
  await new Promise((r) => setTimeout(r, 50));
  await src.collect();
  assert.ok(value(reg, 'scx_host_context_switches') > first);
});

test('per-CPU iowait going backwards (the kernel allows it) never moves the counter back or doubles it', async () => {
  const line = (iowait: number): string => `cpu  1 0 1 1 ${iowait} 0 0 0 0 0\ncpu0 1 0 1 1 ${iowait} 0 0 0 0 0\nctxt 1\nprocesses 1\nprocs_running 1\nprocs_blocked 0\n`;
  const fx = fixtureTree({ stat: line(36000001) });
  try {
    const reg = new Registry();
    const src = new ProcFileSource(procStatStats, 'stat', { procRoot: fx.root });
    src.attach({ registry: reg, log: memoryLogger() });
    await src.collect();
    fx.write('stat', line(36000000));
    await src.collect();
    assert.equal(value(reg, 'scx_host_cpu_seconds', ['0', 'iowait']), 360000.01);
    fx.write('stat', line(36000101));
    await src.collect();
    assert.equal(value(reg, 'scx_host_cpu_seconds', ['0', 'iowait']), 360001.01);
  } finally {
    fx.cleanup();
  }
});
