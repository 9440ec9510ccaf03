/**
 * Only what was read is exported, both ways, checked on the /metrics text an agent renders:
 *
 * - A scheduler whose stats cannot be read (no maps loaded, or a map of another shape than its profile) has
 *   no samples, only `scx_metrics_source_up 0` and its error count; zeros would look like an idle scheduler.
 *   Series appear with the first read (per CPU and per histogram bucket too) and keep their last values when
 *   the maps go away.
 * - The scheduler-following source has no `scx_metrics_source_*` series while it has no input: no sched_ext
 *   tree, no scheduler running, one without a profile, or a stopped one never read.
 *
 * Fixture sched_ext roots in temp dirs; real per-CPU maps owned by programs whose names carry this process's
 * id, so maps of parallel test runs are never found (the real prefixes, `rusty_`, could find theirs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '../../../src/agent.js';
import { counter, defineStats, histogram, log2Buckets } from '../../../src/declare/index.js';
import { memoryLogger } from '../../../src/support/log.js';
import type { PluginEnv } from '../../../src/plugin/plugin.js';
import { Text004Renderer } from '../../../src/sinks/prometheus/index.js';
import type { Source } from '../../../src/plugin/source.js';
import { bpfPlugin } from '../../../src/sources/bpf/plugin.js';
import type { SchedulerProfile } from '../../../src/bpf-layout/profile.js';
import { statsIndex } from '../../../src/bpf-layout/ref.js';
import { RunningSchedulerSource } from '../../../src/sources/bpf/running.js';
import { BpfSource } from '../../../src/sources/bpf/source.js';
import { BpfMap, MapType, closeFd, possibleCpus, progExists, progInfo } from '../../../src/sources/bpf/sys.js';
import { rusty } from '../../../profiles/index.js';
import { needRoot } from '../../helpers/peers.js';
import { loadOwner, mountBpffs, waitProgGone } from './fixtures.js';

const TAG = `t${process.pid % 100000}`;
/** rusty's profile, its programs renamed to this process's (`t123rusty_`). */
const myRusty: SchedulerProfile = { ...rusty, programs: [`${TAG}rusty_`] };
const RUSTY_NAMES = Object.values(rusty.stats.stats).map((d) => d.name);
const RUSTY_PATHS = ['wsync', 'wsync_prev_idle', 'prev_idle', 'greedy_idle', 'pinned', 'direct_dispatch', 'direct_greedy', 'direct_greedy_far', 'dsq', 'greedy_local', 'greedy_xnuma'];

function env(): PluginEnv {
  return { log: memoryLogger(), intervalSeconds: 1, out: process.stdout, env: {} };
}

/** An agent over the sources, with no sinks: the test renders its registry as /metrics would. */
async function started(sources: Source[]): Promise<Agent> {
  const agent = new Agent({ intervalSeconds: 1, log: memoryLogger(), sinks: [], sources });
  await agent.start();
  return agent;
}

/** The lines /metrics serves (text 0.0.4). */
function metrics(agent: Agent): string[] {
  return new Text004Renderer().render(agent.registry).toString().split('\n');
}

function assertHas(lines: readonly string[], expected: readonly string[]): void {
  for (const l of expected) assert.ok(lines.includes(l), `/metrics has "${l}":\n${lines.join('\n')}`);
}

/** No line of /metrics (sample, HELP or TYPE) names any of the families. */
function assertNone(lines: readonly string[], names: readonly string[]): void {
  for (const n of names) {
    const found = lines.filter((l) => l.includes(n));
    assert.deepEqual(found, [], `/metrics has no line about ${n}`);
  }
}

/** A sched_ext sysfs root with `state`; `ops` written when given (root/ exists only while a scheduler runs). */
function schedExtRoot(): { dir: string; ops: (name: string | undefined) => void; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'scx-root-'));
  writeFileSync(join(dir, 'state'), 'enabled\n');
  return {
    dir,
    ops: (name) => {
      rmSync(join(dir, 'root'), { recursive: true, force: true });
      if (name === undefined) return;
      mkdirSync(join(dir, 'root'));
      writeFileSync(join(dir, 'root', 'ops'), `${name}\n`);
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The scheduler-following source as the plugin builds it, but finding this process's rusty stand-ins only. */
function following(root: string): RunningSchedulerSource {
  return new RunningSchedulerSource({
    root,
    profileFor: (ops) => (ops.startsWith('rusty') ? myRusty : undefined),
    build: (p) => new BpfSource({ stats: p.stats, programs: p.programs }),
  });
}

/** A rusty stand-in: its 17-entry `stats` map holding 1000 × scale × (i + 1) at index i, and a program owning it. */
function rustyStandIn(scale: number): { progId: number; close: () => void } {
  const map = BpfMap.create({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 17, name: 'stats' });
  for (let i = 0; i < 17; i++) {
    const v = map.newValue();
    v.writeBigUInt64LE(BigInt(1000 * scale * (i + 1)), 0);
    map.update(i, v);
  }
  const prog = loadOwner(`${TAG}rusty_a`, [map.fd], { bump: false });
  const progId = progInfo(prog).id;
  return {
    progId,
    close: () => {
      closeFd(prog);
      map.close();
    },
  };
}

/** rusty's 17 sample lines when index i holds `value(i)`. */
function rustyLines(value: (i: number) => number): string[] {
  const scalars = ['repatriate', 'kick_greedy', 'load_balance', 'task_errors', 'dl_clamped', 'dl_preset'];
  return [
    ...RUSTY_PATHS.map((type, i) => `dispatched_tasks_total{type="${type}"} ${value(i)}`),
    ...scalars.map((name, k) => `${name}_total ${value(RUSTY_PATHS.length + k)}`),
  ];
}

test('root/ops names rusty but no rusty maps are loaded: no rusty sample on /metrics, only source_up 0; the maps bring every series; a restart keeps their values', async (t) => {
  if (!needRoot(t)) return;
  const fx = schedExtRoot();
  fx.ops('rusty_1.0.12_g0123abcd_x86_64-unknown-linux-gnu');
  const agent = await started([following(fx.dir)]);
  const live: { close: () => void }[] = [];
  try {
    await agent.tick();
    let lines = metrics(agent);
    assertHas(lines, ['scx_metrics_source_up{source="bpf"} 0', 'scx_metrics_source_errors_total{source="bpf"} 2']);
    assertNone(lines, RUSTY_NAMES);

    const first = rustyStandIn(1);
    live.push(first);
    await agent.tick();
    lines = metrics(agent);
    assertHas(lines, ['scx_metrics_source_up{source="bpf"} 1', ...rustyLines((i) => 1000 * (i + 1))]);

    // Restarting: its maps are gone while root/ops still names it. Nothing can be read; what was read stays.
    first.close();
    await waitProgGone(first.progId, progExists);
    await agent.tick();
    lines = metrics(agent);
    assertHas(lines, ['scx_metrics_source_up{source="bpf"} 0', ...rustyLines((i) => 1000 * (i + 1))]);

    // Back with new maps starting lower: the counters continue upwards.
    const second = rustyStandIn(2);
    live.push(second);
    await agent.tick();
    assertHas(metrics(agent), ['scx_metrics_source_up{source="bpf"} 1', ...rustyLines((i) => 3000 * (i + 1))]);
  } finally {
    await agent.stop();
    for (const s of live) s.close();
    fx.cleanup();
  }
});

test('--scheduler rusty with no maps loaded, and --bpf-pin or --bpf-map-id naming a map of another shape: no rusty sample on /metrics, only source_up 0', async (t) => {
  if (!needRoot(t)) return;
  const fs = mountBpffs();
  // 16 entries: one fewer than rusty's enum, as a scheduler version with another enum would have.
  const other = BpfMap.create({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 16, name: 'stats' });
  try {
    const path = join(fs.dir, 'rusty_stats');
    other.pin(path);
    const cases: [string, () => Promise<Source[]>][] = [
      // As `--scheduler rusty` builds it, with this process's program prefix so no other run's maps are found.
      ['--scheduler rusty, no maps', async () => [new BpfSource({ stats: rusty.stats, programs: myRusty.programs })]],
      ['--bpf-pin, wrong shape', async () => bpfPlugin.create({ scheduler: 'rusty', 'bpf-pin': [path] }, env())],
      ['--bpf-map-id, wrong shape', async () => bpfPlugin.create({ scheduler: 'rusty', 'bpf-map-id': [String(other.info.id)] }, env())],
    ];
    for (const [what, sources] of cases) {
      const agent = await started(await sources());
      try {
        await agent.tick();
        const lines = metrics(agent);
        assertHas(lines, ['scx_metrics_source_up{source="bpf:rusty"} 0', 'scx_metrics_source_errors_total{source="bpf:rusty"} 2']);
        assertNone(lines, RUSTY_NAMES);
      } catch (err) {
        throw new Error(`${what}: ${(err as Error).message}`);
      } finally {
        await agent.stop();
      }
    }
  } finally {
    other.close();
    fs.cleanup();
  }
});

test('--bpf-per-cpu and a log2 histogram: no cpu series and no bucket before the map is found; all with the first read; kept when the map goes', async (t) => {
  if (!needRoot(t)) return;
  // Slots: 0 a counter; 1..4 lat (le 1 µs, 2 µs, +Inf, then the sum).
  const set = defineStats({
    name: 'unread',
    help: 'series appear with the first read',
    prefix: 'tst_unread',
    stats: {
      enq: counter({ help: 'enqueues', from: statsIndex() }),
      lat: histogram({ help: 'latency', unit: 'seconds', buckets: log2Buckets(1, { scale: 1e-6 }), from: statsIndex() }),
    },
  });
  const src = new BpfSource({ stats: set, programs: [`${TAG}hist_`], perCpu: true });
  const agent = await started([src]);
  const cpus = possibleCpus().ids.map(String);
  let owner: number | undefined;
  const map = BpfMap.create({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 5, name: 'stats' });
  try {
    await agent.tick();
    let lines = metrics(agent);
    assertHas(lines, ['scx_metrics_source_up{source="bpf:unread"} 0']);
    assertNone(lines, ['tst_unread_enq', 'tst_unread_lat']);

    // On the first possible CPU: 5 enqueues, and latencies 1 µs and 2 µs (one in each bounded bucket, sum 3).
    for (const [index, value] of [[0, 5n], [1, 1n], [2, 1n], [4, 3n]] as const) {
      const v = map.newValue();
      v.writeBigUInt64LE(value, 0);
      map.update(index, v);
    }
    owner = loadOwner(`${TAG}hist_a`, [map.fd], { bump: false });
    const progId = progInfo(owner).id;
    await agent.tick();
    const [c0, ...rest] = cpus as [string, ...string[]];
    const expected = [
      `tst_unread_enq_total{cpu="${c0}"} 5`,
      `tst_unread_lat_seconds_bucket{cpu="${c0}",le="1e-06"} 1`,
      `tst_unread_lat_seconds_bucket{cpu="${c0}",le="2e-06"} 2`,
      `tst_unread_lat_seconds_bucket{cpu="${c0}",le="+Inf"} 2`,
      `tst_unread_lat_seconds_sum{cpu="${c0}"} 0.000003`,
      `tst_unread_lat_seconds_count{cpu="${c0}"} 2`,
      // Zeros read from the map are values too: every possible CPU's series is there.
      ...rest.flatMap((c) => [`tst_unread_enq_total{cpu="${c}"} 0`, `tst_unread_lat_seconds_bucket{cpu="${c}",le="+Inf"} 0`, `tst_unread_lat_seconds_count{cpu="${c}"} 0`]),
    ];
    lines = metrics(agent);
    assertHas(lines, ['scx_metrics_source_up{source="bpf:unread"} 1', ...expected]);

    closeFd(owner);
    owner = undefined;
    await waitProgGone(progId, progExists);
    await agent.tick();
    assertHas(metrics(agent), ['scx_metrics_source_up{source="bpf:unread"} 0', ...expected]);
  } finally {
    await agent.stop();
    if (owner !== undefined) closeFd(owner);
    map.close();
  }
});

test('following the running scheduler, no input means no scx_metrics_source_* series: no sched_ext tree, no state file, no scheduler, one without a profile', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'scx-absent-')), 'sched_ext');
  const agent = await started(await bpfPlugin.create({ 'sched-ext-root': dir }, env()));
  const noHealth = (why: string): void => {
    const found = metrics(agent).filter((l) => l.includes('source="bpf"'));
    assert.deepEqual(found, [], `${why}: no health series for the bpf source`);
  };
  try {
    await agent.tick();
    noHealth('no sched_ext tree');
    assertHas(metrics(agent), ['scx_metrics_collections_total 2']);
    mkdirSync(dir);
    await agent.tick();
    noHealth('a tree without its state file');
    writeFileSync(join(dir, 'state'), 'disabled\n');
    await agent.tick();
    noHealth('sched_ext with no scheduler');
    mkdirSync(join(dir, 'root'));
    writeFileSync(join(dir, 'root', 'ops'), 'lavd_1.0.0\n');
    writeFileSync(join(dir, 'state'), 'enabled\n');
    await agent.tick();
    noHealth('a scheduler without a profile');
  } finally {
    await agent.stop();
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
});

test('following the running scheduler: its health series come with a profiled scheduler, stay while a stopped one keeps series, and go with them', async (t) => {
  if (!needRoot(t)) return;
  const fx = schedExtRoot();
  const agent = await started([following(fx.dir)]);
  const noHealth = (why: string): void => {
    const found = metrics(agent).filter((l) => l.includes('source="bpf"'));
    assert.deepEqual(found, [], `${why}: no health series for the bpf source`);
  };
  let standIn: { progId: number; close: () => void } | undefined;
  try {
    noHealth('no scheduler at start');

    // rusty runs but its maps are not there: present and failing.
    fx.ops('rusty_1.0.12');
    await agent.tick();
    assertHas(metrics(agent), ['scx_metrics_source_up{source="bpf"} 0', 'scx_metrics_source_errors_total{source="bpf"} 1']);
    // It stops never read: nothing kept, nothing to say.
    fx.ops(undefined);
    await agent.tick();
    noHealth('a stopped scheduler that was never read');

    // It runs again, now with its maps: read; then it stops, and its series and the health series stay.
    standIn = rustyStandIn(1);
    fx.ops('rusty_1.0.12');
    await agent.tick();
    assertHas(metrics(agent), ['scx_metrics_source_up{source="bpf"} 1', 'scx_metrics_source_errors_total{source="bpf"} 0', ...rustyLines((i) => 1000 * (i + 1))]);
    standIn.close();
    await waitProgGone(standIn.progId, progExists);
    standIn = undefined;
    fx.ops(undefined);
    await agent.tick();
    assertHas(metrics(agent), ['scx_metrics_source_up{source="bpf"} 1', ...rustyLines((i) => 1000 * (i + 1))]);

    // A scheduler without a profile takes over: rusty's series go, and with them the source's health.
    fx.ops('lavd_1.0.0');
    await agent.tick();
    const lines = metrics(agent);
    assertNone(lines, RUSTY_NAMES);
    noHealth('a scheduler without a profile took over');
  } finally {
    await agent.stop();
    standIn?.close();
    fx.cleanup();
  }
});
