/**
 * Each profile's map layout against the scheduler's own source, as recorded in
 * /work/shared/reference/scx.md (section 1.1 for scx_rusty at 83373b1f4, section 4 for the C schedulers at
 * d1810e621^). The tables below are written from that document, not from the profiles: every row is the
 * C enum name, its value in the scheduler's enum, and the series the agent exports for it. A profile that
 * lists its stats in a different order than the scheduler's enum fails here, in the generated header, in
 * the layout function, and in what the reader exports from a real map.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { counterSampleName } from '../../../src/declare/naming.js';
import type { StatSet } from '../../../src/declare/types.js';
import { cHeader } from '../../../src/codegen/c-header.js';
import { enumLayout } from '../../../src/codegen/enum-layout.js';
import { planMaps } from '../../../src/bpf-layout/layout.js';
import { BpfSource } from '../../../src/sources/bpf/source.js';
import { BpfMap, MapType, btfLoad, closeFd, mapInfo, possibleCpus } from '../../../src/sources/bpf/sys.js';
import { Registry, type CounterSeries, type GaugeSeries } from '../../../src/registry/index.js';
import { memoryLogger } from '../../../src/support/log.js';
import { profiles, central } from '../../../profiles/index.js';
import { needRoot } from '../../helpers/peers.js';
import { datasecBtf } from './fixtures.js';

/** One row: the scheduler's enum constant, its value there, the exported series (`name{label="value"}`). */
type Row = readonly [enumName: string, index: number, series: string];

interface Reference {
  /** The enum's NR constant and its value: the map's max_entries. */
  readonly nr: readonly [string, number];
  readonly rows: readonly Row[];
}

// scx.md 1.1: `enum stat_idx` in intf.h, in order; the 11 dispatch paths are `dispatched_tasks_total{type=X}`
// with X as the metrics change named them, then the extras, the error and the deadline counters.
const RUSTY: Reference = {
  nr: ['RUSTY_NR_STATS', 17],
  rows: [
    ['RUSTY_STAT_WAKE_SYNC', 0, 'dispatched_tasks_total{type="wsync"}'],
    ['RUSTY_STAT_SYNC_PREV_IDLE', 1, 'dispatched_tasks_total{type="wsync_prev_idle"}'],
    ['RUSTY_STAT_PREV_IDLE', 2, 'dispatched_tasks_total{type="prev_idle"}'],
    ['RUSTY_STAT_GREEDY_IDLE', 3, 'dispatched_tasks_total{type="greedy_idle"}'],
    ['RUSTY_STAT_PINNED', 4, 'dispatched_tasks_total{type="pinned"}'],
    ['RUSTY_STAT_DIRECT_DISPATCH', 5, 'dispatched_tasks_total{type="direct_dispatch"}'],
    ['RUSTY_STAT_DIRECT_GREEDY', 6, 'dispatched_tasks_total{type="direct_greedy"}'],
    ['RUSTY_STAT_DIRECT_GREEDY_FAR', 7, 'dispatched_tasks_total{type="direct_greedy_far"}'],
    ['RUSTY_STAT_DSQ_DISPATCH', 8, 'dispatched_tasks_total{type="dsq"}'],
    ['RUSTY_STAT_GREEDY_LOCAL', 9, 'dispatched_tasks_total{type="greedy_local"}'],
    ['RUSTY_STAT_GREEDY_XNUMA', 10, 'dispatched_tasks_total{type="greedy_xnuma"}'],
    ['RUSTY_STAT_REPATRIATE', 11, 'repatriate_total'],
    ['RUSTY_STAT_KICK_GREEDY', 12, 'kick_greedy_total'],
    ['RUSTY_STAT_LOAD_BALANCE', 13, 'load_balance_total'],
    ['RUSTY_STAT_TASK_GET_ERR', 14, 'task_errors_total'],
    ['RUSTY_STAT_DL_CLAMP', 15, 'dl_clamped_total'],
    ['RUSTY_STAT_DL_PRESET', 16, 'dl_preset_total'],
  ],
};

// scx.md 4.2: scx_simple's `stats` map, max_entries 2, "/* [local, global] */".
const SIMPLE: Reference = {
  nr: ['(max_entries)', 2],
  rows: [
    ['local', 0, 'scx_simple_queued_tasks_total{dsq="local"}'],
    ['global', 1, 'scx_simple_queued_tasks_total{dsq="global"}'],
  ],
};

// scx.md 4.1: scx_nest_stats_table.h, one NEST_ST line per stat, expanded as BPFSTAT_<NAME> in table order.
const NEST: Reference = {
  nr: ['BPFSTAT_NR', 18],
  rows: [
    ['BPFSTAT_WAKEUP_ATTACHED', 0, 'scx_nest_wakeups_total{outcome="attached"}'],
    ['BPFSTAT_WAKEUP_PREV_PRIMARY', 1, 'scx_nest_wakeups_total{outcome="prev_primary"}'],
    ['BPFSTAT_WAKEUP_FULLY_IDLE_PRIMARY', 2, 'scx_nest_wakeups_total{outcome="fully_idle_primary"}'],
    ['BPFSTAT_WAKEUP_ANY_IDLE_PRIMARY', 3, 'scx_nest_wakeups_total{outcome="any_idle_primary"}'],
    ['BPFSTAT_WAKEUP_FULLY_IDLE_RESERVE', 4, 'scx_nest_wakeups_total{outcome="fully_idle_reserve"}'],
    ['BPFSTAT_WAKEUP_ANY_IDLE_RESERVE', 5, 'scx_nest_wakeups_total{outcome="any_idle_reserve"}'],
    ['BPFSTAT_WAKEUP_IDLE_OTHER', 6, 'scx_nest_wakeups_total{outcome="idle_other"}'],
    ['BPFSTAT_TASK_IMPATIENT', 7, 'scx_nest_task_impatient_total'],
    ['BPFSTAT_PROMOTED_TO_PRIMARY', 8, 'scx_nest_promoted_to_primary_total'],
    ['BPFSTAT_PROMOTED_TO_RESERVED', 9, 'scx_nest_promoted_to_reserved_total'],
    ['BPFSTAT_DEMOTED_TO_RESERVED', 10, 'scx_nest_demoted_to_reserved_total'],
    ['BPFSTAT_RESERVED_AT_CAPACITY', 11, 'scx_nest_reserved_at_capacity_total'],
    ['BPFSTAT_SCHEDULED_COMPACTION', 12, 'scx_nest_scheduled_compaction_total'],
    ['BPFSTAT_CANCELLED_COMPACTION', 13, 'scx_nest_cancelled_compaction_total'],
    ['BPFSTAT_EAGERLY_COMPACTED', 14, 'scx_nest_eagerly_compacted_total'],
    ['BPFSTAT_CALLBACK_COMPACTED', 15, 'scx_nest_callback_compacted_total'],
    ['BPFSTAT_CONSUMED', 16, 'scx_nest_global_dsq_consumes_total{result="consumed"}'],
    ['BPFSTAT_NOT_CONSUMED', 17, 'scx_nest_global_dsq_consumes_total{result="not_consumed"}'],
  ],
};

// scx.md 4.2: `enum fcg_stat_idx`, in order, then FCG_NR_STATS.
const FLATCG: Reference = {
  nr: ['FCG_NR_STATS', 21],
  rows: [
    ['FCG_STAT_ACT', 0, 'scx_flatcg_cgroup_activations_total'],
    ['FCG_STAT_DEACT', 1, 'scx_flatcg_cgroup_deactivations_total'],
    ['FCG_STAT_LOCAL', 2, 'scx_flatcg_queued_tasks_total{dsq="local"}'],
    ['FCG_STAT_GLOBAL', 3, 'scx_flatcg_queued_tasks_total{dsq="global"}'],
    ['FCG_STAT_HWT_UPDATES', 4, 'scx_flatcg_hweight_calcs_total{result="update"}'],
    ['FCG_STAT_HWT_CACHE', 5, 'scx_flatcg_hweight_calcs_total{result="cache"}'],
    ['FCG_STAT_HWT_SKIP', 6, 'scx_flatcg_hweight_calcs_total{result="skip"}'],
    ['FCG_STAT_HWT_RACE', 7, 'scx_flatcg_hweight_calcs_total{result="race"}'],
    ['FCG_STAT_ENQ_SKIP', 8, 'scx_flatcg_enqueue_abandoned_total{result="skip"}'],
    ['FCG_STAT_ENQ_RACE', 9, 'scx_flatcg_enqueue_abandoned_total{result="race"}'],
    ['FCG_STAT_CNS_KEEP', 10, 'scx_flatcg_cgroup_consumes_total{result="keep"}'],
    ['FCG_STAT_CNS_EXPIRE', 11, 'scx_flatcg_cgroup_consumes_total{result="expire"}'],
    ['FCG_STAT_CNS_EMPTY', 12, 'scx_flatcg_cgroup_consumes_total{result="empty"}'],
    ['FCG_STAT_CNS_GONE', 13, 'scx_flatcg_cgroup_consumes_total{result="gone"}'],
    ['FCG_STAT_PNC_NO_CGRP', 14, 'scx_flatcg_cgroup_picks_total{result="no_cgrp"}'],
    ['FCG_STAT_PNC_NEXT', 15, 'scx_flatcg_cgroup_picks_total{result="next"}'],
    ['FCG_STAT_PNC_EMPTY', 16, 'scx_flatcg_cgroup_picks_total{result="empty"}'],
    ['FCG_STAT_PNC_GONE', 17, 'scx_flatcg_cgroup_picks_total{result="gone"}'],
    ['FCG_STAT_PNC_RACE', 18, 'scx_flatcg_cgroup_picks_total{result="race"}'],
    ['FCG_STAT_PNC_FAIL', 19, 'scx_flatcg_cgroup_picks_total{result="fail"}'],
    ['FCG_STAT_BAD_REMOVAL', 20, 'scx_flatcg_bad_removals_total'],
  ],
};

const REFERENCES = { rusty: RUSTY, simple: SIMPLE, nest: NEST, flatcg: FLATCG } as const;

// scx.md 4.2: scx_central keeps no map, only `.bss` u64 globals; nr_queued is a gauge (added and subtracted).
const CENTRAL: readonly (readonly [variable: string, kind: 'counter' | 'gauge', series: string])[] = [
  ['nr_total', 'counter', 'scx_central_enqueued_tasks_total'],
  ['nr_locals', 'counter', 'scx_central_local_tasks_total'],
  ['nr_queued', 'gauge', 'scx_central_queued_tasks'],
  ['nr_lost_pids', 'counter', 'scx_central_lost_pids_total'],
  ['nr_timers', 'counter', 'scx_central_timer_runs_total'],
  ['nr_dispatches', 'counter', 'scx_central_central_dispatches_total'],
  ['nr_mismatches', 'counter', 'scx_central_cpu_mismatches_total'],
  ['nr_retries', 'counter', 'scx_central_dispatch_retries_total'],
  ['nr_overflows', 'counter', 'scx_central_queue_overflows_total'],
];

/** `name{a="x",b="y"}` for an exported sample: what the tables above name. */
function seriesKey(kind: string, family: string, labelNames: readonly string[], values: readonly string[]): string {
  const name = kind === 'counter' ? counterSampleName(family) : family;
  if (labelNames.length === 0) return name;
  return `${name}{${labelNames.map((l, i) => `${l}="${values[i] ?? ''}"`).join(',')}}`;
}

function statSet(name: keyof typeof REFERENCES): StatSet {
  const p = profiles[name];
  assert.ok(p !== undefined, `profile ${name}`);
  return p.stats;
}

for (const [name, ref] of Object.entries(REFERENCES) as [keyof typeof REFERENCES, Reference][]) {
  test(`profile ${name}: every slot sits at the scheduler's own enum value (layout function and generated header)`, () => {
    const set = statSet(name);
    const layout = enumLayout(set);
    const slotOf = new Map(layout.slots.map((s) => [seriesKey(s.stat.kind, s.stat.name, Object.keys(s.stat.labels), s.labelValues), s.index]));
    assert.equal(layout.slots.length, ref.rows.length, `${name}: one slot per reference enum value`);
    assert.equal(layout.entries, ref.nr[1], `${name}: max_entries is ${ref.nr[0]}`);
    for (const [enumName, index, series] of ref.rows) assert.equal(slotOf.get(series), index, `${name}: ${series} is ${enumName} = ${index}`);

    // The header a scheduler compiles: `<P>_STAT_<X> = <n>,  /* series */`, then `#define <P>_NR_STATS n`.
    const text = cHeader(set).text;
    const fromHeader = new Map([...text.matchAll(/^\t\w+ = (\d+), +\/\* (.+) \*\/$/gm)].map((m) => [m[2] as string, Number(m[1])]));
    assert.equal(fromHeader.size, ref.rows.length, text);
    for (const [enumName, index, series] of ref.rows) assert.equal(fromHeader.get(series), index, `${name} header: ${series} is ${enumName} = ${index}`);
    assert.match(text, new RegExp(`^#define \\w+_NR_STATS ${ref.nr[1]}$`, 'm'));
  });

  test(`profile ${name}: a real map holding distinct values at each reference index exports each under its reference series`, (t) => {
    if (!needRoot(t)) return;
    const slots = possibleCpus().slots;
    // The value at (reference index i, CPU slot s); distinct, so any swap of indices or CPUs shows.
    const cell = (i: number, s: number): bigint => BigInt(1_000_003 * (i + 1) + 17 * s);
    const map = BpfMap.create({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: ref.nr[1], name: 'stats' });
    const reg = new Registry();
    const src = new BpfSource({ stats: statSet(name), maps: { stats: { id: mapInfo(map.fd).id } } });
    try {
      for (const [, index] of ref.rows) {
        const v = map.newValue();
        for (let s = 0; s < slots; s++) v.writeBigUInt64LE(cell(index, s), s * 8);
        map.update(index, v);
      }
      src.attach({ registry: reg, log: memoryLogger() });
      src.collect();
      const exported = new Map<string, number>();
      for (const decl of Object.values(statSet(name).stats)) {
        const fam = reg.get(decl.name);
        assert.ok(fam !== undefined, decl.name);
        for (const s of fam.series) exported.set(seriesKey(decl.kind, decl.name, fam.labelNames, s.labelValues), (s as CounterSeries).value);
      }
      for (const [enumName, index, series] of ref.rows) {
        let sum = 0n;
        for (let s = 0; s < slots; s++) sum += cell(index, s);
        assert.equal(exported.get(series), Number(sum), `${name}: ${series} reads ${enumName} (index ${index})`);
      }
      assert.equal(exported.size, ref.rows.length, `${name}: no other series: ${[...exported.keys()].join(' ')}`);
    } finally {
      src.close();
      map.close();
    }
  });
}

test("profile central: one stat per .bss global the scheduler keeps, counters and the nr_queued gauge, by variable name", () => {
  const plans = planMaps(central.stats);
  assert.equal(plans.length, 1);
  const plan = plans[0];
  assert.ok(plan !== undefined);
  assert.equal(plan.layout, 'global');
  assert.equal(plan.name, '.bss');
  const got = plan.entries.map((e) => [e.variable, e.decl.kind, seriesKey(e.decl.kind, e.decl.name, [], [])]).sort();
  assert.deepEqual(got, CENTRAL.map((r) => [...r]).sort());
});

test('profile central: a real .bss map exports each global under its reference series, wherever clang put it', (t) => {
  if (!needRoot(t)) return;
  // An order unlike both the C declaration order and the table's, with a variable the profile does not read.
  const order = ['nr_retries', 'other', 'nr_queued', 'nr_total', 'nr_timers', 'nr_overflows', 'nr_locals', 'nr_mismatches', 'nr_lost_pids', 'nr_dispatches'];
  const size = order.length * 8;
  const btf = datasecBtf('.bss', size, order.map((name, i) => ({ name, offset: i * 8 })));
  const btfFd = btfLoad(btf.raw);
  const map = BpfMap.create({ type: MapType.ARRAY, keySize: 4, valueSize: size, maxEntries: 1, name: 'scx_cent.bss', btf: { fd: btfFd, valueTypeId: btf.datasecId } });
  const reg = new Registry();
  const src = new BpfSource({ stats: central.stats, maps: { '.bss': { id: mapInfo(map.fd).id } } });
  try {
    const valueOf = (variable: string): number => 5000 + 37 * order.indexOf(variable);
    const v = map.newValue();
    order.forEach((name, i) => v.writeBigUInt64LE(BigInt(valueOf(name)), i * 8));
    map.update(0, v);
    src.attach({ registry: reg, log: memoryLogger() });
    src.collect();
    for (const [variable, kind, series] of CENTRAL) {
      const decl = Object.values(central.stats.stats).find((d) => seriesKey(d.kind, d.name, [], []) === series);
      assert.ok(decl !== undefined && decl.kind === kind, series);
      const s = reg.get(decl.name)?.series[0] as CounterSeries | GaugeSeries | undefined;
      assert.equal(s?.value, valueOf(variable), `${series} reads ${variable}`);
    }
  } finally {
    src.close();
    map.close();
    closeFd(btfFd);
  }
});
