import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from '../../../src/agent.js';
import { memoryLogger } from '../../../src/support/log.js';
import type { CounterSeries, GaugeSeries, Registry } from '../../../src/registry/index.js';
import { schedExtPluginFor } from '../../../src/sources/sched-ext/plugin.js';
import { SchedExtSource } from '../../../src/sources/sched-ext/source.js';
import { loadedScheduler, parseEvents, schedExtRoot, schedulerName } from '../../../src/sources/sched-ext/sysfs.js';
import { fixtureTree } from '../../helpers/fixtures.js';
import { TickSource } from '../../helpers/tick-source.js';

/** A sched_ext sysfs tree as the kernel writes it: `%s\n`, `%d\n`, `%ld\n`, and `NAME %llu\n` per event. */
function tree(o: { state?: string; enableSeq?: number; rejected?: number; ops?: string; events?: Record<string, number> } = {}): Record<string, string> {
  const files: Record<string, string> = {
    state: `${o.state ?? 'enabled'}\n`,
    switch_all: '1\n',
    nr_rejected: `${o.rejected ?? 3}\n`,
    hotplug_seq: '12\n',
    enable_seq: `${o.enableSeq ?? 2}\n`,
  };
  if (o.ops !== undefined) {
    files['root/ops'] = `${o.ops}\n`;
    if (o.events !== undefined) files['root/events'] = Object.entries(o.events).map(([k, v]) => `${k} ${v}\n`).join('');
  }
  return files;
}

const v6_16Events = {
  SCX_EV_SELECT_CPU_FALLBACK: 120,
  SCX_EV_DISPATCH_LOCAL_DSQ_OFFLINE: 0,
  SCX_EV_DISPATCH_KEEP_LAST: 4512,
  SCX_EV_ENQ_SKIP_EXITING: 7,
  SCX_EV_ENQ_SKIP_MIGRATION_DISABLED: 1,
  SCX_EV_REFILL_SLICE_DFL: 88,
  SCX_EV_BYPASS_DURATION: 2_500_000_000,
  SCX_EV_BYPASS_DISPATCH: 19,
  SCX_EV_BYPASS_ACTIVATE: 2,
};

function value(reg: Registry, name: string, labels: readonly string[] = []): number {
  const s = reg.get(name)?.series.find((x) => x.labelValues.join(',') === labels.join(','));
  assert.ok(s, `${name}{${labels.join(',')}} exists`);
  return (s as CounterSeries | GaugeSeries).value;
}

test('a fixture tree: state, switch_all, counters, the running scheduler, and every event, new names included', async () => {
  const ops = 'rusty_1.0.16_g1a2b3c4d_x86_64_unknown_linux_gnu';
  const fx = fixtureTree(tree({ ops, events: { ...v6_16Events, SCX_EV_FROM_THE_FUTURE: 42, SCX_EV_REENQ_IMMED: 5 } }));
  const log = memoryLogger();
  const src = new SchedExtSource({ root: fx.root });
  const agent = new Agent({ sources: [src], sinks: [], intervalSeconds: 1, log });
  try {
    await agent.start();
    const reg = agent.registry;
    assert.equal(value(reg, 'scx_sched_ext_state', ['enabled']), 1);
    assert.equal(value(reg, 'scx_sched_ext_state', ['disabled']), 0);
    assert.equal(value(reg, 'scx_sched_ext_switch_all'), 1);
    assert.equal(value(reg, 'scx_sched_ext_rejected_tasks'), 3);
    assert.equal(value(reg, 'scx_sched_ext_cpu_hotplugs'), 12);
    assert.equal(value(reg, 'scx_sched_ext_enables'), 2);
    assert.equal(value(reg, 'scx_sched_ext_scheduler', ['rusty', ops]), 1);
    assert.equal(value(reg, 'scx_sched_ext_event_select_cpu_fallback'), 120);
    assert.equal(value(reg, 'scx_sched_ext_event_dispatch_keep_last'), 4512);
    assert.equal(value(reg, 'scx_sched_ext_event_bypass_duration_seconds'), 2.5, 'nanoseconds to seconds');
    assert.equal(value(reg, 'scx_sched_ext_event_reenq_immed'), 5);
    // A name this version has never seen: declared at run time, exported, and listed by describe.
    assert.equal(value(reg, 'scx_sched_ext_event_from_the_future'), 42);
    assert.equal(reg.get('scx_sched_ext_event_from_the_future')?.decl.kind, 'counter');
    const described = src.stats().flatMap((s) => Object.values(s.stats).map((d) => d.name));
    assert.ok(described.includes('scx_sched_ext_event_from_the_future'));
    assert.ok(log.lines.some((l) => l.includes('new kernel event counter SCX_EV_FROM_THE_FUTURE, exported as scx_sched_ext_event_from_the_future_total')));
    assert.equal(value(reg, 'scx_metrics_source_up', ['sched_ext']), 1);

    // Counting goes on from the files' running totals.
    fx.write('root/events', 'SCX_EV_SELECT_CPU_FALLBACK 150\nSCX_EV_FROM_THE_FUTURE 50\n');
    await agent.tick();
    assert.equal(value(reg, 'scx_sched_ext_event_select_cpu_fallback'), 150);
    assert.equal(value(reg, 'scx_sched_ext_event_from_the_future'), 50);
  } finally {
    await agent.stop();
    fx.cleanup();
  }
});

test('a new scheduler (enable_seq moves): per-instance counters restart and count the new values in full', async () => {
  const fx = fixtureTree(tree({ ops: 'lavd_1.0.5_x86_64', rejected: 10, events: { SCX_EV_SELECT_CPU_FALLBACK: 1000 } }));
  const src = new SchedExtSource({ root: fx.root });
  const agent = new Agent({ sources: [src], sinks: [], intervalSeconds: 1, log: memoryLogger() });
  try {
    await agent.start();
    // The scheduler is replaced; the new one has already counted more than the old one had.
    for (const [path, text] of Object.entries(tree({ ops: 'bpfland_1.0.20_x86_64', enableSeq: 3, rejected: 20, events: { SCX_EV_SELECT_CPU_FALLBACK: 1500 } }))) fx.write(path, text);
    await agent.tick();
    const reg = agent.registry;
    assert.equal(value(reg, 'scx_sched_ext_event_select_cpu_fallback'), 2500);
    assert.equal(value(reg, 'scx_sched_ext_rejected_tasks'), 30);
    assert.equal(value(reg, 'scx_sched_ext_enables'), 3);
    assert.deepEqual(reg.get('scx_sched_ext_scheduler')?.series.map((s) => s.labelValues[0]), ['bpfland'], 'the old scheduler series is gone');
    // The scheduler is unloaded: root/ disappears, state says so, counters stay.
    rmSync(join(fx.root, 'root'), { recursive: true });
    fx.write('state', 'disabled\n');
    await agent.tick();
    assert.equal(reg.get('scx_sched_ext_scheduler')?.series.length, 0);
    assert.equal(value(reg, 'scx_sched_ext_state', ['disabled']), 1);
    assert.equal(value(reg, 'scx_sched_ext_state', ['enabled']), 0);
    assert.equal(value(reg, 'scx_sched_ext_event_select_cpu_fallback'), 2500);
  } finally {
    await agent.stop();
    fx.cleanup();
  }
});

test('steady intervals resolve no series handle: no with()/withValues() call, the same series objects move, registry generation unchanged', async () => {
  const ops = 'rusty_1.0.16_x86_64';
  const fx = fixtureTree(tree({ ops, events: v6_16Events }));
  const src = new SchedExtSource({ root: fx.root });
  const agent = new Agent({ sources: [src], sinks: [], intervalSeconds: 1, log: memoryLogger() });
  const write = (o: Parameters<typeof tree>[0]): void => {
    for (const [path, text] of Object.entries(tree({ ops, ...o }))) fx.write(path, text);
  };
  try {
    await agent.start();
    const reg = agent.registry;
    // Count every handle lookup on every family (the real methods still run).
    let lookups = 0;
    const counted = new Set<unknown>();
    const countLookups = (): void => {
      for (const fam of reg.families()) {
        if (counted.has(fam)) continue;
        counted.add(fam);
        const f = fam as unknown as { with(...a: unknown[]): unknown; withValues(v: readonly string[]): unknown };
        const w = f.with.bind(f);
        const wv = f.withValues.bind(f);
        f.with = (...a) => (lookups++, w(...a));
        f.withValues = (v) => (lookups++, wv(v));
      }
    };
    countLookups();
    const series = (name: string, labels: readonly string[] = []): CounterSeries | GaugeSeries => {
      const found = reg.get(name)?.series.find((x) => x.labelValues.join(',') === labels.join(','));
      assert.ok(found, `${name}{${labels.join(',')}}`);
      return found as CounterSeries | GaugeSeries;
    };
    const fallback = series('scx_sched_ext_event_select_cpu_fallback');
    const rejected = series('scx_sched_ext_rejected_tasks');
    const enabled = series('scx_sched_ext_state', ['enabled']);
    const disabling = series('scx_sched_ext_state', ['disabling']);
    const generation = reg.generation;
    for (let i = 1; i <= 3; i++) {
      const state = i % 2 === 1 ? 'disabling' : 'enabled';
      write({ state, rejected: 3 + i, events: { ...v6_16Events, SCX_EV_SELECT_CPU_FALLBACK: 120 + 10 * i } });
      await agent.tick();
      assert.equal(fallback.value, 120 + 10 * i, `interval ${i}: the series resolved at start moves`);
      assert.equal(rejected.value, 3 + i);
      assert.deepEqual([enabled.value, disabling.value], state === 'enabled' ? [1, 0] : [0, 1]);
    }
    assert.equal(lookups, 0, 'no handle was looked up in steady intervals');
    assert.equal(reg.generation, generation, 'no series was created or removed');

    // A state and an event this version does not know: each resolved once, then steady again.
    write({ state: 'frozen', events: { ...v6_16Events, SCX_EV_FROM_THE_FUTURE: 1 } });
    await agent.tick();
    assert.ok(lookups > 0);
    assert.equal(series('scx_sched_ext_state', ['frozen']).value, 1);
    assert.equal(enabled.value + disabling.value, 0);
    countLookups(); // the new event's family too
    const after = lookups;
    write({ state: 'frozen', events: { ...v6_16Events, SCX_EV_FROM_THE_FUTURE: 2 } });
    await agent.tick();
    assert.equal(series('scx_sched_ext_event_from_the_future').value, 2);
    assert.equal(lookups, after, 'steady again: no lookup');
  } finally {
    await agent.stop();
    fx.cleanup();
  }
});

test('malformed files: one error naming each file and the format, the rest still exported', async () => {
  const fx = fixtureTree({ ...tree({ ops: 'simple', events: { SCX_EV_BYPASS_ACTIVATE: 2 } }), switch_all: 'yes\n', 'root/events': 'SCX_EV_BYPASS_ACTIVATE 2\nthis is not an event\n' });
  const log = memoryLogger();
  const src = new SchedExtSource({ root: fx.root });
  const agent = new Agent({ sources: [src], sinks: [], intervalSeconds: 1, log });
  try {
    await agent.start();
    const said = log.lines.filter((l) => l.includes('source sched_ext'));
    assert.equal(said.length, 1);
    assert.match(said[0] ?? '', /switch_all: expected an integer, got "yes"/);
    assert.match(said[0] ?? '', /events: expected "NAME VALUE", got "this is not an event"/);
    assert.equal(value(agent.registry, 'scx_sched_ext_rejected_tasks'), 3);
    assert.equal(value(agent.registry, 'scx_sched_ext_event_bypass_activate'), 2);
    assert.equal(value(agent.registry, 'scx_sched_ext_scheduler', ['simple', 'simple']), 1);
  } finally {
    await agent.stop();
    fx.cleanup();
  }
});

test('no sched_ext on this kernel: said once, not an error, and the agent goes on', async () => {
  const fx = fixtureTree({});
  const log = memoryLogger();
  const ticks = new TickSource();
  const src = new SchedExtSource({ root: join(fx.root, 'sched_ext') });
  const agent = new Agent({ sources: [src, ticks], sinks: [], intervalSeconds: 1, log });
  try {
    await agent.start();
    await agent.tick();
    await agent.tick();
    assert.equal(ticks.handle?.value, 3);
    assert.equal(log.lines.length, 1, log.lines.join('\n'));
    assert.match(log.lines[0] ?? '', /sched_ext\/state not found: this kernel has no sched_ext/);
    assert.equal(value(agent.registry, 'scx_metrics_source_up', ['sched_ext']), 1);
    assert.equal(agent.registry.get('scx_sched_ext_state')?.series.length, 0);
  } finally {
    await agent.stop();
    fx.cleanup();
  }
});

test('this machine: the real /sys/kernel/sched_ext is read when it exists, else said once', async () => {
  const log = memoryLogger();
  const src = new SchedExtSource();
  const agent = new Agent({ sources: [src], sinks: [], intervalSeconds: 1, log });
  try {
    await agent.start();
    const state = agent.registry.get('scx_sched_ext_state')?.series.find((s) => (s as GaugeSeries).value === 1);
    if (state === undefined) assert.ok(log.lines.some((l) => l.includes('/sys/kernel/sched_ext/state not found')));
    else assert.ok(['enabling', 'enabled', 'disabling', 'disabled'].includes(state.labelValues[0] as string));
  } finally {
    await agent.stop();
  }
});

test('helpers for other sources: the root from flags, the running scheduler and its bare name', async () => {
  assert.equal(schedExtRoot({}), '/sys/kernel/sched_ext');
  assert.equal(schedExtRoot({ 'sched-ext-root': '/tmp/x' }), '/tmp/x');
  assert.equal(schedulerName('rusty_1.0.16_g1a2b3c4d_x86_64_unknown_linux_gnu'), 'rusty');
  assert.equal(schedulerName('layered_1.0.20'), 'layered');
  assert.equal(schedulerName('simple'), 'simple');
  assert.equal(schedulerName('p2dq_1.0.3_g8'), 'p2dq');
  const fx = fixtureTree(tree({ ops: 'flatcg' }));
  const sub = fixtureTree({ ...tree(), 'mitosis/ops': 'mitosis_1.0.1\n' });
  try {
    assert.deepEqual(await loadedScheduler(fx.root), { dir: join(fx.root, 'root'), ops: 'flatcg', name: 'flatcg' });
    assert.equal((await loadedScheduler(sub.root))?.name, 'mitosis', 'a per-scheduler directory on sub-scheduler kernels');
    assert.equal(await loadedScheduler(join(fx.root, 'nope')), undefined);
    rmSync(join(fx.root, 'root'), { recursive: true });
    assert.equal(await loadedScheduler(fx.root), undefined);
  } finally {
    fx.cleanup();
    sub.cleanup();
  }
  assert.deepEqual(parseEvents('SCX_EV_A 1\n\nSCX_EV_B   22\n'), { events: [{ name: 'SCX_EV_A', value: 1 }, { name: 'SCX_EV_B', value: 22 }], problems: [] });
});

test('auto-detection: the sched_ext source exists when its directory does, or when asked for, unless turned off', async () => {
  const fx = fixtureTree(tree());
  try {
    const env = { log: memoryLogger(), intervalSeconds: 1, out: process.stdout, env: {} };
    assert.equal((await schedExtPluginFor(fx.root).create({}, env)).length, 1);
    assert.equal((await schedExtPluginFor(join(fx.root, 'missing')).create({}, env)).length, 0);
    assert.equal((await schedExtPluginFor(join(fx.root, 'missing')).create({ 'sched-ext-root': fx.root }, env)).length, 1);
    assert.equal((await schedExtPluginFor(fx.root).create({ 'no-sched-ext': true }, env)).length, 0);
    // The shared flag's default value means "not asked for": auto-detection decides.
    assert.equal((await schedExtPluginFor(join(fx.root, 'missing')).create({ 'sched-ext-root': '/sys/kernel/sched_ext' }, env)).length, 0);
  } finally {
    fx.cleanup();
  }
});
