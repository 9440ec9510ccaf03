/**
 * Without --scheduler the agent follows the scheduler <sched-ext-root>/root/ops names, when it starts after
 * the agent and when another replaces it. A fixture sysfs root for the ops file; real kernel maps with the
 * profiles' layouts, owned by programs named like the schedulers' (`rusty_`, `simple_`), found by the source's
 * own program scan.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry, type CounterSeries } from '../../../src/registry/index.js';
import { memoryLogger } from '../../../src/support/log.js';
import { bpfPlugin } from '../../../src/sources/bpf/plugin.js';
import { BpfMap, MapType, closeFd, progExists, progInfo } from '../../../src/sources/bpf/sys.js';
import type { PluginEnv } from '../../../src/plugin/plugin.js';
import { needRoot } from '../../helpers/peers.js';
import { RunningSchedulerSource } from '../../../src/sources/bpf/running.js';
import type { BpfSource } from '../../../src/sources/bpf/source.js';
import { rusty } from '../../../profiles/rusty.js';
import { loadOwner, waitProgGone } from './fixtures.js';

const TAG = `t${process.pid % 100000}`;

/** A scheduler stand-in: an enum map with `sum(i) = 1000 * scale * (i + 1)` spread over CPU slots, and its program. */
function sched(prefix: string, entries: number, scale: number): { map: BpfMap; progId: number; sum: (i: number) => number; close: () => void } {
  const map = BpfMap.create({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: entries, name: 'stats' });
  const per = (i: number, s: number): number => (s === 0 ? 1000 * scale * (i + 1) - (map.slots - 1) : 1);
  for (let i = 0; i < entries; i++) {
    const v = map.newValue();
    for (let s = 0; s < map.slots; s++) v.writeBigUInt64LE(BigInt(per(i, s)), s * 8);
    map.update(i, v);
  }
  const prog = loadOwner(`${prefix}${TAG}`, [map.fd], { bump: false });
  const progId = progInfo(prog).id;
  return {
    map,
    progId,
    sum: (i) => 1000 * scale * (i + 1),
    close: () => {
      closeFd(prog);
      map.close();
    },
  };
}

function counterValue(reg: Registry, name: string, labels: readonly string[]): number | undefined {
  const s = reg.get(name)?.series.find((x) => x.labelValues.join() === labels.join());
  return (s as CounterSeries | undefined)?.value;
}

test('no --scheduler: a scheduler started after the agent is found, followed across an upgrade and a restart (counters continue), and dropped when another replaces it', async (t) => {
  if (!needRoot(t)) return;
  const root = mkdtempSync(join(tmpdir(), 'scx-root-'));
  const ops = join(root, 'root', 'ops');
  mkdirSync(join(root, 'root'));
  const env: PluginEnv = { log: memoryLogger(), intervalSeconds: 1, out: process.stdout, env: {} };
  const [src] = await bpfPlugin.create({ 'sched-ext-root': root }, env);
  assert.ok(src !== undefined, 'a source is there before any scheduler runs');
  const reg = new Registry();
  const log = memoryLogger();
  await src.attach({ registry: reg, log });
  const live: { close: () => void }[] = [];
  try {
    await src.collect();
    await src.collect();
    assert.equal(reg.get('dispatched_tasks'), undefined, 'nothing read while no scheduler runs');
    assert.deepEqual(log.lines, []);

    // scx_rusty starts after the agent: its maps and programs, then sched_ext names it.
    const rusty = sched('rusty_', 17, 1);
    live.push(rusty);
    writeFileSync(ops, 'rusty_1.0.12_g0123abcd_x86_64-unknown-linux-gnu\n');
    await src.collect();
    assert.equal(counterValue(reg, 'dispatched_tasks', ['dsq']), rusty.sum(8));
    assert.equal(counterValue(reg, 'dl_preset', []), rusty.sum(16));
    await src.collect();
    assert.equal(log.lines.filter((l) => /with profile rusty/.test(l)).length, 1, log.lines.join('\n'));

    // Upgraded in place (same profile, new ops name, new maps starting lower): counters continue upwards.
    rusty.close();
    await waitProgGone(rusty.progId, progExists);
    const rusty2 = sched('rusty_', 17, 2);
    live.push(rusty2);
    writeFileSync(ops, 'rusty_1.0.13_g4567cdef_x86_64-unknown-linux-gnu\n');
    await src.collect();
    assert.equal(counterValue(reg, 'dispatched_tasks', ['dsq']), rusty.sum(8) + rusty2.sum(8));

    // Restarted: for two intervals no scheduler runs (sched_ext's root is gone), then the same one again with
    // new maps. Its series stay meanwhile and its counters continue: none goes backwards across a restart.
    rusty2.close();
    await waitProgGone(rusty2.progId, progExists);
    rmSync(ops);
    await src.collect();
    await src.collect();
    assert.equal(counterValue(reg, 'dispatched_tasks', ['dsq']), rusty.sum(8) + rusty2.sum(8), 'kept while stopped');
    assert.equal(log.lines.filter((l) => /"rusty_1.0.13[^"]*" stopped; its series stay/.test(l)).length, 1, log.lines.join('\n'));
    const rusty3 = sched('rusty_', 17, 1);
    live.push(rusty3);
    writeFileSync(ops, 'rusty_1.0.13_g4567cdef_x86_64-unknown-linux-gnu\n');
    await src.collect();
    assert.equal(counterValue(reg, 'dispatched_tasks', ['dsq']), rusty.sum(8) + rusty2.sum(8) + rusty3.sum(8));
    assert.equal(counterValue(reg, 'dl_preset', []), rusty.sum(16) + rusty2.sum(16) + rusty3.sum(16));
    assert.equal(log.lines.filter((l) => /"rusty_1.0.13[^"]*" runs again/.test(l)).length, 1, log.lines.join('\n'));

    // scx_loader switches to scx_simple: rusty's series go, simple's are read.
    rusty3.close();
    const simple = sched('simple_', 2, 3);
    live.push(simple);
    writeFileSync(ops, 'simple\n');
    await src.collect();
    await src.collect();
    assert.equal(reg.get('dispatched_tasks')?.series.length, 0, "the gone scheduler's series are removed");
    assert.equal(counterValue(reg, 'scx_simple_queued_tasks', ['local']), simple.sum(0));
    assert.equal(counterValue(reg, 'scx_simple_queued_tasks', ['global']), simple.sum(1));
    assert.equal(log.lines.filter((l) => /"rusty_1.0.13[^"]*" is gone \("simple" runs now\)/.test(l)).length, 1, log.lines.join('\n'));
    assert.equal(log.lines.filter((l) => /"simple" with profile simple/.test(l)).length, 1);

    // A scheduler without a profile: said once, nothing read.
    writeFileSync(ops, 'lavd_1.0.0\n');
    await src.collect();
    await src.collect();
    assert.equal(log.lines.filter((l) => /"lavd_1.0.0" is running but has no profile/.test(l)).length, 1);
    assert.equal(reg.get('scx_simple_queued_tasks')?.series.length, 0);
  } finally {
    await src.close?.();
    for (const s of live) s.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('no --scheduler: a profile whose map source fails to build is tried again next interval, not given up on', async () => {
  const root = mkdtempSync(join(tmpdir(), 'scx-root-'));
  mkdirSync(join(root, 'root'));
  writeFileSync(join(root, 'root', 'ops'), 'rusty_1.0.12\n');
  let builds = 0;
  let collects = 0;
  // The fault (a build that throws once, e.g. a registry name clash) cannot be caused on demand with real maps.
  const stand = { stats: () => [rusty.stats], attach: () => undefined, collect: () => void collects++, close: () => undefined };
  const src = new RunningSchedulerSource({
    root,
    profileFor: (ops) => (ops.startsWith('rusty') ? rusty : undefined),
    build: () => {
      if (builds++ === 0) throw new Error('name clash');
      return stand as unknown as BpfSource;
    },
  });
  try {
    src.attach({ registry: new Registry(), log: memoryLogger() });
    assert.throws(() => src.collect(), /name clash/);
    src.collect();
    src.collect();
    assert.equal(builds, 2, 'built again on the next interval');
    assert.equal(collects, 2, 'then read every interval');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
