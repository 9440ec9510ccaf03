// Sub-schedulers (Linux 7.x, CONFIG_EXT_SUB_SCHED) in fixture trees laid out as kernel/sched/ext/ext.c lays them
// out: `root/{ops,events,sub/}`, `root/sub/sub-<cgroup id>/{ops,events}` plus `sub/` when the scheduler implements
// ops.sub_attach, nested; the cgroup ids are the inode numbers of directories in a fixture cgroup2 tree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '../../../src/agent.js';
import { memoryLogger } from '../../../src/support/log.js';
import type { Registry } from '../../../src/registry/index.js';
import { Text004Renderer } from '../../../src/sinks/prometheus/text-004.js';
import { SchedExtSource } from '../../../src/sources/sched-ext/source.js';
import { subSchedulerDirs } from '../../../src/sources/sched-ext/hierarchy.js';
import { loadedScheduler } from '../../../src/sources/sched-ext/sysfs.js';
import { runningScheduler } from '../../../src/plugin/sched-ext-root.js';
import { fixtureTree } from '../../helpers/fixtures.js';
import { hasCommand, needPeer } from '../../helpers/peers.js';

const PROMTOOL = '/usr/bin/promtool';

/** The counters scx_attr_events_show() prints in Linux 7.2, in its order (kernel/sched/ext/ext.c). */
const EVENTS_7_2 = [
  'SCX_EV_SELECT_CPU_FALLBACK',
  'SCX_EV_DISPATCH_LOCAL_DSQ_OFFLINE',
  'SCX_EV_DISPATCH_KEEP_LAST',
  'SCX_EV_ENQ_SKIP_EXITING',
  'SCX_EV_ENQ_SKIP_MIGRATION_DISABLED',
  'SCX_EV_REENQ_IMMED',
  'SCX_EV_REENQ_LOCAL_REPEAT',
  'SCX_EV_REFILL_SLICE_DFL',
  'SCX_EV_BYPASS_DURATION',
  'SCX_EV_BYPASS_DISPATCH',
  'SCX_EV_BYPASS_ACTIVATE',
  'SCX_EV_INSERT_NOT_OWNED',
  'SCX_EV_SUB_BYPASS_DISPATCH',
] as const;

/** An `events` file: `%s %llu\n` for every counter, 0 unless given. */
function events(v: Partial<Record<(typeof EVENTS_7_2)[number], number>> = {}): string {
  return EVENTS_7_2.map((n) => `${n} ${v[n] ?? 0}\n`).join('');
}

/** A scheduler's directory as scx_alloc_and_add_sched() makes it; `sub/` only for ops with sub_attach. */
function writeSched(fx: ReturnType<typeof fixtureTree>, rel: string, ops: string, ev: string, hostsSubs: boolean): void {
  fx.write(`${rel}/ops`, `${ops}\n`);
  fx.write(`${rel}/events`, ev);
  if (hostsSubs) mkdirSync(join(fx.root, rel, 'sub'), { recursive: true });
}

/** The global files, as in sched-ext.test.ts. */
const GLOBALS = { state: 'enabled\n', switch_all: '0\n', nr_rejected: '0\n', hotplug_seq: '3\n', enable_seq: '1\n' };

/** A fixture cgroup2 tree; ids are the directories' inode numbers, as cgroup_id() is on cgroup2. */
function cgroupTree(dirs: readonly string[]): { root: string; id(dir: string): string; cleanup(): void } {
  const root = mkdtempSync(join(tmpdir(), 'scx-metrics-cgroup-'));
  for (const d of dirs) mkdirSync(join(root, d), { recursive: true });
  return { root, id: (d) => String(statSync(join(root, d)).ino), cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** An id no directory of the fixture cgroup tree has (a cgroup this agent cannot see). */
const HIDDEN_ID = '4000000000';

/** The rendered /metrics sample lines of families matching `re`. */
function lines(reg: Registry, re: RegExp): string[] {
  return new Text004Renderer().render(reg).toString().split('\n').filter((l) => re.test(l));
}

const SCHEDULERS = /^scx_sched_ext_(sub_)?scheduler[{ ]/;
const FALLBACK = /^scx_sched_ext_(sub_)?event_select_cpu_fallback_total[{ ]/;

test('sub-schedulers: every scheduler of the hierarchy with its cgroup id and path, two qmaps kept apart, the root series as before', async () => {
  const cg = cgroupTree(['subtest/inner', 'batch']);
  const fx = fixtureTree(GLOBALS);
  const a = cg.id('subtest');
  const b = cg.id('subtest/inner');
  writeSched(fx, 'root', 'qmap', events({ SCX_EV_SELECT_CPU_FALLBACK: 120, SCX_EV_BYPASS_DURATION: 2_500_000_000 }), true);
  writeSched(fx, `root/sub/sub-${a}`, 'qmap', events({ SCX_EV_SELECT_CPU_FALLBACK: 7, SCX_EV_BYPASS_DURATION: 1_000_000_000, SCX_EV_SUB_BYPASS_DISPATCH: 4 }), true);
  writeSched(fx, `root/sub/sub-${a}/sub/sub-${b}`, 'qmap', events({ SCX_EV_SELECT_CPU_FALLBACK: 3 }), true);
  writeSched(fx, `root/sub/sub-${HIDDEN_ID}`, 'simple', events({ SCX_EV_SELECT_CPU_FALLBACK: 1 }), false);
  const log = memoryLogger();
  const agent = new Agent({ sources: [new SchedExtSource({ root: fx.root, cgroupRoot: cg.root })], sinks: [], intervalSeconds: 1, log });
  try {
    await agent.start();
    const reg = agent.registry;
    assert.deepEqual(lines(reg, SCHEDULERS), [
      'scx_sched_ext_scheduler{name="qmap",ops="qmap"} 1',
      `scx_sched_ext_sub_scheduler{cgroup_id="${a}",cgroup="/subtest",name="qmap",ops="qmap"} 1`,
      `scx_sched_ext_sub_scheduler{cgroup_id="${b}",cgroup="/subtest/inner",name="qmap",ops="qmap"} 1`,
      `scx_sched_ext_sub_scheduler{cgroup_id="${HIDDEN_ID}",cgroup="",name="simple",ops="simple"} 1`,
    ]);
    assert.deepEqual(lines(reg, FALLBACK), [
      'scx_sched_ext_event_select_cpu_fallback_total 120',
      `scx_sched_ext_sub_event_select_cpu_fallback_total{cgroup_id="${a}",cgroup="/subtest"} 7`,
      `scx_sched_ext_sub_event_select_cpu_fallback_total{cgroup_id="${b}",cgroup="/subtest/inner"} 3`,
      `scx_sched_ext_sub_event_select_cpu_fallback_total{cgroup_id="${HIDDEN_ID}",cgroup=""} 1`,
    ]);
    assert.deepEqual(lines(reg, /^scx_sched_ext_(sub_)?event_bypass_duration_seconds_total[{ ]/), [
      'scx_sched_ext_event_bypass_duration_seconds_total 2.5',
      `scx_sched_ext_sub_event_bypass_duration_seconds_total{cgroup_id="${a}",cgroup="/subtest"} 1`,
      `scx_sched_ext_sub_event_bypass_duration_seconds_total{cgroup_id="${b}",cgroup="/subtest/inner"} 0`,
      `scx_sched_ext_sub_event_bypass_duration_seconds_total{cgroup_id="${HIDDEN_ID}",cgroup=""} 0`,
    ]);
    assert.deepEqual(lines(reg, /^scx_sched_ext_(sub_)?event_sub_bypass_dispatch_total/), [
      'scx_sched_ext_event_sub_bypass_dispatch_total 0',
      `scx_sched_ext_sub_event_sub_bypass_dispatch_total{cgroup_id="${a}",cgroup="/subtest"} 4`,
      `scx_sched_ext_sub_event_sub_bypass_dispatch_total{cgroup_id="${b}",cgroup="/subtest/inner"} 0`,
      `scx_sched_ext_sub_event_sub_bypass_dispatch_total{cgroup_id="${HIDDEN_ID}",cgroup=""} 0`,
    ]);
    // Every counter of every sub-scheduler, and the root's exactly as without sub-schedulers.
    assert.equal(lines(reg, /^scx_sched_ext_sub_event_/).length, 3 * EVENTS_7_2.length);
    assert.equal(lines(reg, /^scx_sched_ext_event_/).length, EVENTS_7_2.length);
    assert.ok(lines(reg, /^scx_sched_ext_event_/).every((l) => !l.includes('{')), 'root event series have no labels');
    assert.deepEqual(lines(reg, /^# TYPE scx_sched_ext_sub_/).slice(0, 2), [
      '# TYPE scx_sched_ext_sub_scheduler gauge',
      '# TYPE scx_sched_ext_sub_event_select_cpu_fallback_total counter',
    ]);
    const hidden = log.lines.filter((l) => l.includes(`no directory with inode ${HIDDEN_ID}`));
    assert.deepEqual(hidden, [`scx-metrics: warning: sched_ext: sub-scheduler root/sub/sub-${HIDDEN_ID}: no directory with inode ${HIDDEN_ID} under ${cg.root}; its cgroup label is empty`]);
    assert.equal(log.lines.filter((l) => l.includes('source sched_ext')).length, 0, log.lines.join('\n'));

    fx.write(`root/sub/sub-${a}/sub/sub-${b}/events`, events({ SCX_EV_SELECT_CPU_FALLBACK: 9 }));
    await agent.tick();
    assert.ok(lines(reg, FALLBACK).includes(`scx_sched_ext_sub_event_select_cpu_fallback_total{cgroup_id="${b}",cgroup="/subtest/inner"} 9`));
    assert.equal(log.lines.filter((l) => l.includes(HIDDEN_ID)).length, 1, 'the hidden cgroup is said once');
  } finally {
    await agent.stop();
    fx.cleanup();
    cg.cleanup();
  }
});

test('sub-schedulers: one that leaves takes its series (and its children\'s) with it; one that comes back counts afresh; a new attachment between two reads counts its values as new counts', async () => {
  const cg = cgroupTree(['subtest/inner']);
  const fx = fixtureTree(GLOBALS);
  const a = cg.id('subtest');
  const b = cg.id('subtest/inner');
  const subA = `root/sub/sub-${a}`;
  writeSched(fx, 'root', 'qmap', events({ SCX_EV_SELECT_CPU_FALLBACK: 500 }), true);
  writeSched(fx, subA, 'qmap', events({ SCX_EV_SELECT_CPU_FALLBACK: 100 }), true);
  writeSched(fx, `${subA}/sub/sub-${b}`, 'qmap', events({ SCX_EV_SELECT_CPU_FALLBACK: 10 }), true);
  const agent = new Agent({ sources: [new SchedExtSource({ root: fx.root, cgroupRoot: cg.root })], sinks: [], intervalSeconds: 1, log: memoryLogger() });
  const fallbackOf = (id: string, path: string, v: number): string => `scx_sched_ext_sub_event_select_cpu_fallback_total{cgroup_id="${id}",cgroup="${path}"} ${v}`;
  try {
    await agent.start();
    const reg = agent.registry;
    assert.deepEqual(lines(reg, FALLBACK), ['scx_sched_ext_event_select_cpu_fallback_total 500', fallbackOf(a, '/subtest', 100), fallbackOf(b, '/subtest/inner', 10)]);

    // Steady: values move, no series is created or removed.
    const generation = reg.generation;
    fx.write(`${subA}/events`, events({ SCX_EV_SELECT_CPU_FALLBACK: 110 }));
    await agent.tick();
    assert.equal(reg.generation, generation);
    assert.ok(lines(reg, FALLBACK).includes(fallbackOf(a, '/subtest', 110)));

    // sub-A detaches: the kernel deletes its directory, and its child's with it (the child detached first).
    rmSync(join(fx.root, subA), { recursive: true });
    await agent.tick();
    assert.deepEqual(lines(reg, SCHEDULERS), ['scx_sched_ext_scheduler{name="qmap",ops="qmap"} 1']);
    assert.deepEqual(lines(reg, FALLBACK), ['scx_sched_ext_event_select_cpu_fallback_total 500']);
    assert.deepEqual(lines(reg, /^scx_sched_ext_sub_/), [], 'no sub-scheduler series left');
    assert.equal(lines(reg, /^scx_sched_ext_event_/).length, EVENTS_7_2.length, 'the root keeps all of its own');

    // It attaches again: its counters restarted in the kernel, so the series start from what it shows now.
    writeSched(fx, subA, 'qmap', events({ SCX_EV_SELECT_CPU_FALLBACK: 5 }), true);
    await agent.tick();
    assert.deepEqual(lines(reg, FALLBACK), ['scx_sched_ext_event_select_cpu_fallback_total 500', fallbackOf(a, '/subtest', 5)]);
    fx.write(`${subA}/events`, events({ SCX_EV_SELECT_CPU_FALLBACK: 50 }));
    await agent.tick();
    assert.ok(lines(reg, FALLBACK).includes(fallbackOf(a, '/subtest', 50)));

    // Between two reads it detaches and another scheduler attaches to the same cgroup, already past the old
    // count: a new directory (another inode) at the same path, so 70 more counts, not 20.
    renameSync(join(fx.root, subA), join(fx.root, 'root/sub/detaching'));
    writeSched(fx, subA, 'simple', events({ SCX_EV_SELECT_CPU_FALLBACK: 70 }), false);
    rmSync(join(fx.root, 'root/sub/detaching'), { recursive: true });
    await agent.tick();
    assert.deepEqual(lines(reg, SCHEDULERS), [
      'scx_sched_ext_scheduler{name="qmap",ops="qmap"} 1',
      `scx_sched_ext_sub_scheduler{cgroup_id="${a}",cgroup="/subtest",name="simple",ops="simple"} 1`,
    ]);
    assert.ok(lines(reg, FALLBACK).includes(fallbackOf(a, '/subtest', 120)));

    // The root scheduler is unloaded: no sub-scheduler can stay attached.
    rmSync(join(fx.root, 'root'), { recursive: true });
    fx.write('state', 'disabled\n');
    await agent.tick();
    assert.deepEqual(lines(reg, /^scx_sched_ext_(sub_)?scheduler/), []);
    assert.deepEqual(lines(reg, FALLBACK), ['scx_sched_ext_event_select_cpu_fallback_total 500'], 'root counters stay, as before');
  } finally {
    await agent.stop();
    fx.cleanup();
    cg.cleanup();
  }
});

test('sub-schedulers: a malformed events file of a sub-scheduler is one error naming it; the rest is exported', async () => {
  const cg = cgroupTree(['x']);
  const fx = fixtureTree(GLOBALS);
  const x = cg.id('x');
  writeSched(fx, 'root', 'qmap', events(), true);
  writeSched(fx, `root/sub/sub-${x}`, 'qmap', `${events({ SCX_EV_BYPASS_ACTIVATE: 2 })}garbage\n`, true);
  const log = memoryLogger();
  const agent = new Agent({ sources: [new SchedExtSource({ root: fx.root, cgroupRoot: cg.root })], sinks: [], intervalSeconds: 1, log });
  try {
    await agent.start();
    const said = log.lines.filter((l) => l.includes('source sched_ext'));
    assert.equal(said.length, 1, log.lines.join('\n'));
    assert.match(said[0] ?? '', new RegExp(`root/sub/sub-${x}/events: expected "NAME VALUE", got "garbage"`));
    assert.deepEqual(lines(agent.registry, /^scx_sched_ext_sub_event_bypass_activate_total/), [`scx_sched_ext_sub_event_bypass_activate_total{cgroup_id="${x}",cgroup="/x"} 2`]);
  } finally {
    await agent.stop();
    fx.cleanup();
    cg.cleanup();
  }
});

test('sub-schedulers: the /metrics page with root, nested and unnamed sub-schedulers passes promtool check metrics', async (t) => {
  if (!needPeer(t, hasCommand(PROMTOOL, ['--version']), 'promtool (Debian package prometheus)')) return;
  const cg = cgroupTree(['subtest/inner']);
  const fx = fixtureTree(GLOBALS);
  const a = cg.id('subtest');
  writeSched(fx, 'root', 'qmap', events({ SCX_EV_SELECT_CPU_FALLBACK: 1 }), true);
  writeSched(fx, `root/sub/sub-${a}`, 'qmap', events({ SCX_EV_SELECT_CPU_FALLBACK: 2 }), true);
  writeSched(fx, `root/sub/sub-${a}/sub/sub-${cg.id('subtest/inner')}`, 'qmap', `${events()}SCX_EV_FROM_THE_FUTURE 3\n`, false);
  writeSched(fx, `root/sub/sub-${HIDDEN_ID}`, 'simple', events(), false);
  const agent = new Agent({ sources: [new SchedExtSource({ root: fx.root, cgroupRoot: cg.root })], sinks: [], intervalSeconds: 1, log: memoryLogger() });
  try {
    await agent.start();
    const text = new Text004Renderer().render(agent.registry).toString();
    assert.match(text, /^scx_sched_ext_sub_event_from_the_future_total\{cgroup_id="\d+",cgroup="\/subtest\/inner"\} 3$/m, 'a new kernel counter of a sub-scheduler');
    const check = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 20_000 });
    assert.equal(`${check.stdout}${check.stderr}`, '', 'promtool check metrics: no findings');
    assert.equal(check.status, 0);
  } finally {
    await agent.stop();
    fx.cleanup();
    cg.cleanup();
  }
});

test('the sysfs walk: sub-<id> directories depth-first, parents first, siblings by id; anything else ignored', async () => {
  const fx = fixtureTree({ 'root/ops': 'qmap\n', 'root/events': events() });
  try {
    assert.deepEqual(await subSchedulerDirs(join(fx.root, 'root')), [], 'a root scheduler without ops.sub_attach has no sub/');
    mkdirSync(join(fx.root, 'root/sub'));
    assert.deepEqual(await subSchedulerDirs(join(fx.root, 'root')), []);
    writeSched(fx, 'root/sub/sub-100', 'qmap', events(), true);
    writeSched(fx, 'root/sub/sub-28', 'qmap', events(), true);
    writeSched(fx, 'root/sub/sub-28/sub/sub-31', 'qmap', events(), false);
    fx.write('root/sub/not-a-sub/ops', 'x\n');
    const found = await subSchedulerDirs(join(fx.root, 'root'));
    assert.deepEqual(found.map((d) => [d.cgroupId, d.dir.slice(fx.root.length + 1)]), [
      ['28', 'root/sub/sub-28'],
      ['31', 'root/sub/sub-28/sub/sub-31'],
      ['100', 'root/sub/sub-100'],
    ]);
    assert.equal(found[0]?.ino, statSync(join(fx.root, 'root/sub/sub-28'), { bigint: true }).ino);
    // The root scheduler is the one in root/, whatever is below it.
    assert.deepEqual(await loadedScheduler(fx.root), { dir: join(fx.root, 'root'), ops: 'qmap', name: 'qmap' });
    assert.equal(runningScheduler(fx.root), 'qmap');
  } finally {
    fx.cleanup();
  }
});
