import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from '../../../src/agent.js';
import { Backoff } from '../../../src/support/backoff.js';
import { memoryLogger } from '../../../src/support/log.js';
import type { CounterSeries, GaugeSeries, Registry } from '../../../src/registry/index.js';
import { ScxStatsSource } from '../../../src/sources/scx-stats/source.js';
import { DISPATCH_PATHS, RustySim, rustyMeta, type RustyStat } from './rusty.js';
import { TestStatsServer } from './server.js';
import { TickSource } from '../../helpers/tick-source.js';

/** Every exported sample name with its labels, as an exposition would print them (counters with _total). */
function exported(reg: Registry, prefix?: string): Set<string> {
  const out = new Set<string>();
  for (const fam of reg.families()) {
    if (fam.decl.name.startsWith('scx_metrics_')) continue;
    const name = fam.decl.kind === 'counter' ? `${fam.decl.name}_total` : fam.decl.name;
    if (prefix !== undefined && !name.startsWith(prefix)) continue;
    for (const s of fam.series) out.add(`${name}{${fam.labelNames.map((l, i) => `${l}="${s.labelValues[i]}"`).join(',')}}`);
  }
  return out;
}

function value(reg: Registry, name: string, labels: readonly string[] = []): number {
  const fam = reg.get(name);
  assert.ok(fam, `family ${name} registered`);
  const s = fam.series.find((x) => x.labelValues.join(',') === labels.join(','));
  assert.ok(s, `${name}{${labels.join(',')}} exists`);
  return (s as CounterSeries | GaugeSeries).value;
}

/**
 * The series scxstats_to_openmetrics.py makes for rusty's meta, written out by hand from its algorithm
 * (make_om_metrics/update_om_metrics): every number of ClusterStats but the two _om_skip arrays, `n_` fields
 * with `node`, `d_` fields with `node` and `domain`, keys of the dicts as label values.
 */
function scriptSeries(nodes: number, doms: number): Set<string> {
  const top = ['at_us', 'lb_at_us', 'total', 'slice_us', 'cpu_busy', 'load', 'nr_migrations', 'task_get_err', 'time_used', 'sync_prev_idle', 'wake_sync', 'prev_idle', 'greedy_idle', 'pinned', 'direct', 'greedy', 'greedy_far', 'dsq_dispatch', 'greedy_local', 'greedy_xnuma', 'kick_greedy', 'repatriate', 'dl_clamp', 'dl_preset'];
  const out = new Set(top.map((f) => `${f}{}`));
  for (let n = 0; n < nodes; n++) {
    for (const f of ['load', 'imbal', 'delta']) out.add(`n_${f}{node="${n}"}`);
    for (let k = 0; k < doms; k++) for (const f of ['load', 'imbal', 'delta']) out.add(`d_${f}{node="${n}",domain="${n * doms + k}"}`);
  }
  return out;
}

const PATH_LABEL: Readonly<Record<string, string>> = {
  WAKE_SYNC: 'wsync',
  SYNC_PREV_IDLE: 'wsync_prev_idle',
  PREV_IDLE: 'prev_idle',
  GREEDY_IDLE: 'greedy_idle',
  PINNED: 'pinned',
  DIRECT_DISPATCH: 'direct_dispatch',
  DIRECT_GREEDY: 'direct_greedy',
  DIRECT_GREEDY_FAR: 'direct_greedy_far',
  DSQ_DISPATCH: 'dsq',
  GREEDY_LOCAL: 'greedy_local',
  GREEDY_XNUMA: 'greedy_xnuma',
};

const fastBackoff = (): Backoff => new Backoff(0, 0);

async function rustyServer(sim: RustySim): Promise<TestStatsServer> {
  return TestStatsServer.start({ meta: rustyMeta, targets: { top: sim.open } });
}

test('rusty: the agent exports the series scxstats_to_openmetrics would, plus real _total counters', async () => {
  const sim = new RustySim(2, 3);
  const server = await rustyServer(sim);
  const log = memoryLogger();
  const src = new ScxStatsSource({ path: server.path, backoff: fastBackoff() });
  const agent = new Agent({ sources: [src], sinks: [], intervalSeconds: 1, log });
  try {
    await agent.start(); // connects, opens the reader: the baseline interval is empty
    const raw: Record<string, number> = {};
    const step = (stat: RustyStat, n: number): void => {
      sim.add(stat, n);
      raw[stat] = (raw[stat] ?? 0) + n;
    };
    // Uneven counts, so rebuilt counts would show rounding mistakes.
    const counts = [7, 13, 1001, 3, 0, 77, 5, 2, 999, 11, 1];
    DISPATCH_PATHS.forEach((p, i) => step(p, counts[i] as number));
    step('KICK_GREEDY', 17);
    step('REPATRIATE', 4);
    step('DL_CLAMP', 9);
    step('DL_PRESET', 100);
    step('LOAD_BALANCE', 6);
    step('TASK_GET_ERR', 1);
    sim.timeUsed += 0.25;
    await agent.tick();
    DISPATCH_PATHS.forEach((p, i) => step(p, (counts[i] as number) * 3 + 1));
    step('KICK_GREEDY', 2);
    await agent.tick();

    const reg = agent.registry;
    const series = exported(reg);
    const expected = scriptSeries(2, 3);
    for (const s of expected) assert.ok(series.has(s), `missing ${s}`);
    const extra = [...series].filter((s) => !expected.has(s));
    assert.ok(extra.length > 0 && extra.every((s) => s.startsWith('scx_rusty_') && /_total\{/.test(s)), `only scx_rusty_*_total counters are added: ${extra.join(' ')}`);

    for (const p of DISPATCH_PATHS) {
      assert.equal(value(reg, 'scx_rusty_dispatched_tasks', [PATH_LABEL[p] as string]), raw[p] ?? 0, `dispatched_tasks_total{type=${PATH_LABEL[p]}}`);
    }
    const allDispatched = DISPATCH_PATHS.reduce((a, p) => a + (raw[p] ?? 0), 0);
    assert.equal(value(reg, 'scx_rusty_sched_events'), allDispatched);
    assert.equal(value(reg, 'scx_rusty_greedy_kicks'), 19);
    assert.equal(value(reg, 'scx_rusty_repatriations'), 4);
    assert.equal(value(reg, 'scx_rusty_dl_clamped'), 9);
    assert.equal(value(reg, 'scx_rusty_dl_preset'), 100);
    assert.equal(value(reg, 'scx_rusty_load_balance_migrations'), 6);
    assert.equal(value(reg, 'scx_rusty_task_get_errors'), 1);
    assert.equal(value(reg, 'scx_rusty_userspace_cpu_seconds'), 0.25);
    // Gauges hold what the last response said, as the script's would.
    assert.equal(value(reg, 'total'), counts.reduce((a, c) => a + c * 3 + 1, 0));
    assert.equal(value(reg, 'd_load', ['1', '4']), sim.load(1, 4));
    assert.equal(value(reg, 'n_imbal', ['0']), 0.5);
    assert.equal(value(reg, 'scx_metrics_source_up', ['scx_stats']), 1);
    assert.ok(log.lines.some((l) => /reading .*: top struct ClusterStats, rusty overlay/.test(l)), log.lines.join('\n'));
    assert.deepEqual(src.stats().map((s) => s.name), ['scx_stats', 'scx_stats_rusty', 'scx_stats_not_exported']);
  } finally {
    await agent.stop();
    await server.close();
  }
});

test('an empty interval: percentages arrive as null, gauges say NaN, counters do not move', async () => {
  const sim = new RustySim(1, 1);
  const server = await rustyServer(sim);
  const src = new ScxStatsSource({ path: server.path });
  const agent = new Agent({ sources: [src], sinks: [], intervalSeconds: 1, log: memoryLogger() });
  try {
    await agent.start();
    sim.add('WAKE_SYNC', 5);
    await agent.tick();
    await agent.tick(); // nothing happened in this interval
    assert.ok(server.requests.at(-1)?.includes('"stats"'));
    assert.ok(Number.isNaN(value(agent.registry, 'wake_sync')));
    assert.equal(value(agent.registry, 'total'), 0);
    assert.equal(value(agent.registry, 'scx_rusty_dispatched_tasks', ['wsync']), 5);
  } finally {
    await agent.stop();
    await server.close();
  }
});

/** A source that counts, to show another source is not held up. */
test('a hanging server: the scx_stats read times out, the other source keeps reading, the error is said once', async () => {
  const sim = new RustySim(1, 1);
  const server = await rustyServer(sim);
  const log = memoryLogger();
  const src = new ScxStatsSource({ path: server.path, timeoutMs: 60, backoff: fastBackoff() });
  const ticks = new TickSource();
  const agent = new Agent({ sources: [src, ticks], sinks: [], intervalSeconds: 1, sourceTimeoutMs: 5000, log });
  try {
    await agent.start();
    sim.add('PINNED', 3);
    await agent.tick();
    assert.equal(value(agent.registry, 'scx_rusty_dispatched_tasks', ['pinned']), 3);
    server.hang = true;
    sim.add('PINNED', 100);
    for (let i = 0; i < 4; i++) await agent.tick();
    assert.equal(ticks.handle?.value, 6, 'the other source read every interval');
    assert.equal(value(agent.registry, 'scx_metrics_source_up', ['scx_stats']), 0);
    assert.equal(value(agent.registry, 'scx_metrics_source_up', ['ticks']), 1);
    assert.equal(value(agent.registry, 'scx_rusty_dispatched_tasks', ['pinned']), 3, 'exported counters stay');
    const said = log.lines.filter((l) => l.includes('source scx_stats:'));
    assert.equal(said.length, 1, said.join('\n'));
    assert.match(said[0] ?? '', /no response to "(stats|stats_meta)" from .* within 60 ms/);
    server.hang = false;
    await agent.tick();
    assert.equal(value(agent.registry, 'scx_metrics_source_up', ['scx_stats']), 1);
    assert.ok(log.lines.some((l) => l.includes('source scx_stats: reading again')));
  } finally {
    await agent.stop();
    await server.close();
  }
});

test('the scheduler is not up yet: said once, retried with backoff, picked up when it starts', async () => {
  const free = TestStatsServer.freePath();
  const log = memoryLogger();
  const src = new ScxStatsSource({ path: free.path, backoff: fastBackoff() });
  const agent = new Agent({ sources: [src], sinks: [], intervalSeconds: 1, log });
  let server: TestStatsServer | undefined;
  try {
    await agent.start();
    for (let i = 0; i < 3; i++) {
      await agent.tick();
    }
    const said = log.lines.filter((l) => l.includes('scx_stats'));
    assert.equal(said.length, 1, said.join('\n'));
    assert.match(said[0] ?? '', /no stats socket at .*stats \(ENOENT\)/);
    const sim = new RustySim(1, 1);
    server = await TestStatsServer.start({ meta: rustyMeta, targets: { top: sim.open } }, free.path);
    await agent.tick(); // connects and opens the reader
    sim.add('DSQ_DISPATCH', 8);
    await agent.tick();
    assert.equal(value(agent.registry, 'scx_rusty_dispatched_tasks', ['dsq']), 8);
  } finally {
    await agent.stop();
    await server?.close();
    free.cleanup();
  }
});

test('a restart: counters keep counting across the new connection, gauges stay registered once', async () => {
  const sim = new RustySim(1, 2);
  const server = await rustyServer(sim);
  const log = memoryLogger();
  const src = new ScxStatsSource({ path: server.path, backoff: fastBackoff() });
  const agent = new Agent({ sources: [src], sinks: [], intervalSeconds: 1, log });
  try {
    await agent.start();
    sim.add('PREV_IDLE', 10);
    await agent.tick();
    await server.restart();
    sim.add('PREV_IDLE', 1000); // happened while the old server went away: the new reader's baseline covers it
    await agent.tick(); // EOF: dropped
    await agent.tick(); // reconnects; the new reader opens with the current counters
    sim.add('PREV_IDLE', 5);
    await agent.tick();
    assert.equal(value(agent.registry, 'scx_rusty_dispatched_tasks', ['prev_idle']), 15);
    assert.equal(server.connections, 2);
    assert.equal(agent.registry.families().filter((f) => f.decl.name === 'd_load').length, 1);
    assert.equal(agent.registry.get('d_load')?.series.length, 2);
  } finally {
    await agent.stop();
    await server.close();
  }
});

test('bad input mid-session: one clear error each, connection dropped and retried, exported values stay', async () => {
  const sim = new RustySim(1, 1);
  const server = await rustyServer(sim);
  const log = memoryLogger();
  const src = new ScxStatsSource({ path: server.path, backoff: fastBackoff() });
  const agent = new Agent({ sources: [src], sinks: [], intervalSeconds: 1, log });
  const good = { ...sim.open()({}) as Record<string, unknown> };
  try {
    await agent.start();
    sim.add('GREEDY_LOCAL', 4);
    await agent.tick();
    const before = exported(agent.registry);
    const cases: [string, RegExp][] = [
      ['{"errno":0,"args":{"resp":{"total":', /is not JSON/],
      ['{"errno":0,"args":{"resp":[1,2]}}', /stats response top: expected an object \(struct ClusterStats\), got an array/],
      [JSON.stringify({ errno: 0, args: { resp: { ...good, total: 'many', cpu_busy: 99 } } }), /stats response \.total: expected a number, got a string "many"/],
      [JSON.stringify({ errno: 0, args: { resp: { ...good, nodes: { '0': 7 } } } }), /stats response \.nodes\.0: expected an object \(struct NodeStats\), got number 7/],
      [JSON.stringify({ errno: 0, args: { resp: { ...good, total: -3 } } }), /\.total: a count cannot be negative, got -3/],
      [JSON.stringify({ errno: 22, args: { resp: 'preempted by another sampler' } }), /"stats" failed with errno 22: preempted by another sampler/],
    ];
    let connections = server.connections;
    for (const [line, want] of cases) {
      server.injected.push(line);
      const lines = log.lines.length;
      await agent.tick();
      const said = log.lines.slice(lines).filter((l) => l.includes('source scx_stats'));
      assert.equal(said.length, 1, `one line for ${line.slice(0, 40)}: ${said.join(' | ')}`);
      assert.match(said[0] ?? '', want);
      assert.match(said[0] ?? '', /connection dropped; reconnecting with backoff/);
      assert.equal(value(agent.registry, 'cpu_busy'), 42.5, 'nothing of a rejected response is applied');
      assert.equal(value(agent.registry, 'scx_rusty_dispatched_tasks', ['greedy_local']), 4);
      assert.deepEqual(exported(agent.registry), before, 'no series added or lost');
      await agent.tick(); // recovers on a new connection
      assert.equal(server.connections, ++connections);
      assert.equal(value(agent.registry, 'scx_metrics_source_up', ['scx_stats']), 1);
    }
  } finally {
    await agent.stop();
    await server.close();
  }
});

test('a meta that loops or names an unknown struct: one clear error, retried, nothing registered', async () => {
  const server = await TestStatsServer.start({
    meta: {
      A: { name: 'A', top: 'true', fields: { x: { datum: 'u64' }, bs: { dict: { key: 'u64', datum: { struct: 'B' } } } } },
      B: { name: 'B', user: { _om_label: 'b' }, fields: { as: { dict: { key: 'u64', datum: { struct: 'A' } } } } },
    },
    targets: { top: () => () => ({ x: 1 }) },
  });
  const log = memoryLogger();
  const src = new ScxStatsSource({ path: server.path, backoff: fastBackoff() });
  const agent = new Agent({ sources: [src], sinks: [], intervalSeconds: 1, log });
  try {
    await agent.start();
    await agent.tick();
    assert.equal(server.connections, 2, 'dropped and retried');
    const said = log.lines.filter((l) => l.includes('scx_stats'));
    assert.equal(said.length, 1);
    assert.match(said[0] ?? '', /stats_meta loops: A -> B -> A/);
    assert.equal(agent.registry.get('x'), undefined);
    server.opts = { meta: { A: { name: 'A', top: 'true', fields: { x: { datum: 'u64' }, y: { dict: { key: 'u64', datum: { struct: 'Nope' } } } } } }, targets: server.opts.targets };
    await agent.tick();
    assert.ok(log.lines.length === 1, 'the agent says a failing source once until it recovers');
    await assert.rejects(Promise.resolve(src.collect()), /\.y names struct "Nope", which stats_meta does not define/);
  } finally {
    await agent.stop();
    await server.close();
  }
});

test('an unknown scheduler: every number is a gauge, said once; strings are info-style and follow changes', async () => {
  let mode = 'balanced';
  const server = await TestStatsServer.start({
    meta: {
      Stats: {
        name: 'Stats',
        top: 'true',
        fields: {
          nr_things: { datum: 'u64', desc: 'Number of things' },
          power_mode: { datum: 'string', desc: 'Current power mode' },
          l_total: { datum: 'u64' },
          hist: { array: 'u64', desc: 'a histogram' },
        },
      },
    },
    targets: { top: () => () => ({ nr_things: 3, power_mode: mode, l_total: 9, hist: [1, 2] }) },
  });
  const log = memoryLogger();
  const src = new ScxStatsSource({ path: server.path, backoff: fastBackoff() });
  const agent = new Agent({ sources: [src], sinks: [], intervalSeconds: 1, log });
  try {
    await agent.start();
    await agent.tick();
    mode = 'performance';
    await agent.tick();
    const reg = agent.registry;
    assert.equal(reg.get('nr_things')?.decl.kind, 'gauge');
    assert.equal(value(reg, 'nr_things'), 3);
    assert.deepEqual(
      reg.get('power_mode')?.series.map((s) => [s.labelValues.join(), (s as GaugeSeries).value]),
      [['performance', 1]],
      'the old string value is removed, the new one is 1',
    );
    assert.equal(value(reg, 'l_total_value'), 9, 'a name ending in _total is exported with _value');
    assert.equal(log.lines.filter((l) => l.includes('no typing overlay knows top struct Stats')).length, 1);
    assert.ok(log.lines.some((l) => l.includes('.hist: not exported: array of u64')));
    assert.ok(log.lines.some((l) => l.includes('.l_total: exported as "l_total_value"')));
    const notes = src.stats().find((s) => s.name === 'scx_stats_not_exported');
    assert.match(notes?.help ?? '', /\.hist: not exported: array of u64 \(arrays are not exported\)/);
  } finally {
    await agent.stop();
    await server.close();
  }
});

test('--scx-stats-typed-only: gauges of counted fields are left out, levels stay', async () => {
  const sim = new RustySim(1, 1);
  const server = await rustyServer(sim);
  const src = new ScxStatsSource({ path: server.path, typedOnly: true, overlay: 'rusty' });
  const agent = new Agent({ sources: [src], sinks: [], intervalSeconds: 1, log: memoryLogger() });
  try {
    await agent.start();
    sim.add('WAKE_SYNC', 2);
    await agent.tick();
    const names = new Set([...exported(agent.registry)].map((s) => s.slice(0, s.indexOf('{'))));
    for (const gone of ['total', 'wake_sync', 'kick_greedy', 'nr_migrations', 'time_used']) assert.ok(!names.has(gone), `${gone} left out`);
    for (const kept of ['cpu_busy', 'load', 'slice_us', 'd_load', 'scx_rusty_dispatched_tasks_total']) assert.ok(names.has(kept), `${kept} kept`);
    assert.equal(value(agent.registry, 'scx_rusty_dispatched_tasks', ['wsync']), 2);
  } finally {
    await agent.stop();
    await server.close();
  }
});

test('next to the BPF rusty profile: a family name it already holds is left out and said once, the rest exported', async () => {
  const { rustyStats } = await import('../../../profiles/rusty.js');
  const sim = new RustySim(1, 1);
  const server = await rustyServer(sim);
  const log = memoryLogger();
  const src = new ScxStatsSource({ path: server.path, backoff: fastBackoff() });
  const agent = new Agent({ sources: [src], sinks: [], intervalSeconds: 1, log });
  agent.registry.register(rustyStats); // what the BPF source registers for scx_rusty (PR #377 names)
  try {
    await agent.start();
    sim.add('KICK_GREEDY', 5);
    sim.add('WAKE_SYNC', 5);
    await agent.tick();
    await agent.tick();
    assert.equal(agent.registry.get('kick_greedy')?.decl.kind, 'counter', "the BPF source's counter keeps its name");
    const said = log.lines.filter((l) => l.includes('already registered'));
    assert.deepEqual(
      said.map((l) => /"(\w+)"/.exec(l)?.[1]).sort(),
      ['dl_preset', 'kick_greedy', 'repatriate'],
      said.join('\n'),
    );
    assert.equal(value(agent.registry, 'scx_rusty_greedy_kicks'), 5);
    assert.equal(value(agent.registry, 'scx_rusty_dispatched_tasks', ['wsync']), 5);
    assert.equal(value(agent.registry, 'cpu_busy'), 42.5);
    assert.equal(value(agent.registry, 'scx_metrics_source_up', ['scx_stats']), 1);
  } finally {
    await agent.stop();
    await server.close();
  }
});
