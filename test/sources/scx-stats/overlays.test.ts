import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry, type CounterSeries, type Family, type GaugeSeries } from '../../../src/registry/index.js';
import { MetaExport } from '../../../src/sources/scx-stats/export.js';
import { planMeta } from '../../../src/sources/scx-stats/meta.js';
import { matchOverlay, overlayByName, overlays } from '../../../src/sources/scx-stats/overlays/index.js';
import { ScxStatsProtocolError, checkMeta } from '../../../src/sources/scx-stats/protocol.js';
import { bpflandMeta, lavdMeta, layeredMeta } from './metas.js';
import { rustyMeta } from './rusty.js';

const real = { rusty: rustyMeta, bpfland: bpflandMeta, lavd: lavdMeta, layered: layeredMeta } as const;

function exportFor(meta: unknown): { exp: MetaExport; reg: Registry } {
  const m = checkMeta(meta);
  const plan = planMeta(m);
  const overlay = matchOverlay(m, plan.top);
  const exp = new MetaExport(plan, { overlay });
  const reg = new Registry();
  assert.deepEqual(exp.bind(reg, new Map<string, Family>()), []);
  return { exp, reg };
}

function value(reg: Registry, name: string, labels: readonly string[] = []): number {
  const s = reg.get(name)?.series.find((x) => x.labelValues.join(',') === labels.join(','));
  assert.ok(s, `${name}{${labels.join(',')}} exists`);
  return (s as CounterSeries | GaugeSeries).value;
}

test('each overlay is picked for its scheduler meta and types every number that scheduler sends', () => {
  for (const [name, meta] of Object.entries(real)) {
    const m = checkMeta(meta);
    const plan = planMeta(m);
    const overlay = matchOverlay(m, plan.top);
    assert.equal(overlay?.scheduler, name, `${name} meta matches the ${name} overlay`);
    const exp = new MetaExport(plan, { overlay });
    assert.deepEqual(exp.untyped, [], `${name}: every number is a count, a share or a level`);
    assert.deepEqual(
      exp.notes.filter((n) => /no counter|already taken|not a usable/.test(n)),
      [],
      `${name}: no counter lost to a name clash`,
    );
    // Every field the overlay names exists in the real meta (an overlay written from the wrong version would not).
    for (const [sname, so] of Object.entries(overlay?.structs ?? {})) {
      const fields = Object.keys(m[sname]?.fields ?? {});
      const named = [...(so.counts ?? []).map((c) => (typeof c === 'string' ? c : c.field)), ...(so.levels ?? []), ...(so.shares ?? []).flatMap((s) => [s.of, ...Object.keys(s.fields)])];
      for (const f of named) assert.ok(fields.includes(f), `${name} overlay names ${sname}.${f}, which the meta lacks`);
    }
    const top = Object.keys(m[plan.top]?.fields ?? {});
    for (const f of (overlay?.monitorLines ?? []).flat()) {
      const field = typeof f === 'string' ? f : f[0];
      assert.ok(top.includes(field), `${name} monitor line names ${field}, which the meta lacks`);
    }
    const counters = exp.sets.flatMap((s) => Object.values(s.stats)).filter((d) => d.kind === 'counter');
    assert.ok(counters.every((d) => d.name.startsWith(`scx_${name}_`)), `${name}: counters live under scx_${name}_`);
    // Gauges keep the script's names (with one rename: a name ending in a reserved suffix).
    const gauges = new Set(exp.sets.flatMap((s) => Object.values(s.stats)).filter((d) => d.kind === 'gauge').map((d) => d.name));
    for (const n of plan.numbers) assert.ok(gauges.has(n.omName) || gauges.has(`${n.omName}_value`), `${name}: gauge ${n.omName}`);
  }
  assert.equal(matchOverlay(checkMeta({ X: { name: 'X', top: 'true', fields: { total: { datum: 'u64' } } } }), 'X'), undefined);
});

test('overlays are found by scheduler name, binary name or sched_ext ops string', () => {
  assert.equal(overlayByName('rusty')?.scheduler, 'rusty');
  assert.equal(overlayByName('scx_layered')?.scheduler, 'layered');
  assert.equal(overlayByName('bpfland_1.0.20_g1a2b3c4_x86_64_unknown_linux_gnu')?.scheduler, 'bpfland');
  assert.equal(overlayByName('simple'), undefined);
  assert.deepEqual(overlays.map((o) => o.scheduler).sort(), ['bpfland', 'lavd', 'layered', 'rusty']);
});

test('bpfland: per-interval deltas accumulate into counters, nr_running and nr_cpus stay gauges', () => {
  const { exp, reg } = exportFor(bpflandMeta);
  const resp = (d: number, running: number): Record<string, number> => {
    const r: Record<string, number> = {};
    for (const f of Object.keys(bpflandMeta.Metrics.fields as object)) r[f] = d;
    r.nr_running = running;
    r.nr_cpus = 8;
    return r;
  };
  for (const r of [resp(10, 3), resp(5, 1)]) {
    exp.validate(r);
    exp.apply(r);
  }
  assert.equal(value(reg, 'scx_bpfland_kthread_dispatches'), 15);
  assert.equal(value(reg, 'scx_bpfland_cpu_release_reenqueue'), 15);
  assert.equal(value(reg, 'nr_running'), 1);
  assert.equal(reg.get('nr_running')?.decl.kind, 'gauge');
  assert.equal(reg.get('scx_bpfland_running'), undefined, 'levels get no counter');
  assert.equal(value(reg, 'nr_kthread_dispatches'), 5, 'the script-compatible gauge holds the last interval');
});

test('layered: per-layer shares become labelled counts, proc_ms seconds, a running total counted with absolute', () => {
  const { exp, reg } = exportFor(layeredMeta);
  const layer = (total: number, preemptPct: number): Record<string, unknown> => ({ total, preempt: preemptPct, sel_local: 50, min_exec_us: 1500, yield_ignore: 2, util: 33.3, cpus: [1] });
  const sys = (gpu: number, layers: Record<string, unknown>): Record<string, unknown> => ({
    at: 1.5,
    total: 400,
    local_sel: 25,
    excl_idle: 0.01,
    proc_ms: 12,
    busy: 50,
    fallback_cpus: { '0': 3 },
    gpu_tasks_affinitized: gpu,
    layers,
  });
  for (const r of [sys(7, { batch: layer(200, 10), interactive: layer(200, 0) }), sys(9, { batch: layer(100, 50) })]) {
    exp.validate(r);
    exp.apply(r);
  }
  assert.equal(value(reg, 'scx_layered_layer_preempt', ['batch']), 20 + 50);
  assert.equal(value(reg, 'scx_layered_layer_preempt', ['interactive']), 0);
  assert.equal(value(reg, 'scx_layered_layer_sched_events', ['batch']), 300);
  assert.equal(value(reg, 'scx_layered_layer_sel_local', ['interactive']), 100);
  assert.ok(Math.abs(value(reg, 'scx_layered_layer_min_exec_extension_seconds', ['batch']) - 0.003) < 1e-12);
  assert.equal(value(reg, 'scx_layered_local_sel'), 200);
  assert.equal(value(reg, 'scx_layered_excl_idle'), 8, 'fractions (not percentages) of total');
  assert.ok(Math.abs(value(reg, 'scx_layered_userspace_cpu_seconds') - 0.024) < 1e-12);
  assert.equal(value(reg, 'scx_layered_gpu_tasks_affinitized'), 9, 'a running total is not summed twice');
  assert.equal(value(reg, 'l_util', ['batch']), 33.3);
  assert.equal(value(reg, 'l_total_value', ['interactive']), 200, 'the script gauge l_total, renamed: _total is a counter suffix');
  assert.ok(exp.notes.some((n) => n.includes('.fallback_cpus: not exported: dict of u64')));
  assert.ok(exp.notes.some((n) => n.includes('.layers.l_runq_lat_hist: not exported: array of u64')));
});

test('lavd: decaying sums stay gauges (no counters); the power mode is an info-style series', () => {
  const { exp, reg } = exportFor(lavdMeta);
  assert.equal(exp.top, 'SysStats');
  assert.deepEqual(exp.sets.map((s) => s.name).filter((n) => n.startsWith('scx_stats_lavd')), [], 'no counter set');
  const r = { mseq: 4, nr_sched: 1000, pc_pc: 12.5, power_mode: 'balanced' };
  exp.validate(r);
  exp.apply(r);
  assert.equal(value(reg, 'nr_sched'), 1000);
  assert.equal(value(reg, 'power_mode', ['balanced']), 1);
  assert.throws(() => exp.validate({ ...r, power_mode: 3 }), /\.power_mode: expected a string, got number 3/);
});

// Found by the fuzzer (test/fuzz/parsers.test.ts, shrunk): a string or dict key holding NUL reached the
// registry at commit, which threw a LabelError after part of the response had been applied.
test('a NUL in an info string or a dict key is a protocol error naming the field, and nothing of that response is applied', () => {
  const lavd = exportFor(lavdMeta);
  const ok = { mseq: 0, nr_sched: 10, power_mode: '' };
  lavd.exp.apply(ok);
  assert.throws(() => lavd.exp.apply({ ...ok, nr_sched: 20, power_mode: '\u0000' }), (err: Error) => {
    assert.ok(err instanceof ScxStatsProtocolError, `${err.constructor.name}: ${err.message}`);
    assert.match(err.message, /\.power_mode: a string with a NUL character cannot be a label value/);
    return true;
  });
  assert.equal(value(lavd.reg, 'nr_sched'), 10, 'the earlier value stands');
  assert.deepEqual(lavd.reg.get('power_mode')?.series.map((s) => s.labelValues), [['']]);

  const layered = exportFor(layeredMeta);
  assert.throws(() => layered.exp.apply({ total: 5, layers: { batch: { util: 1 }, 'a\u0000b': { util: 2 } } }), (err: Error) => {
    assert.ok(err instanceof ScxStatsProtocolError, `${err.constructor.name}: ${err.message}`);
    assert.match(err.message, /\.layers: dict key "a\\u0000b" has a NUL character/);
    return true;
  });
  assert.equal(layered.reg.get('l_util')?.series.length ?? 0, 0, 'no layer series from the rejected response');
  layered.exp.apply({ total: 5, layers: { batch: { util: 1 } } });
  assert.equal(value(layered.reg, 'l_util', ['batch']), 1, 'the next good response applies');
});
