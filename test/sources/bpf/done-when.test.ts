/**
 * The BPF issue's "Done when", as written: `scx-metrics run --scheduler rusty --bpf-pin PATH
 * --enable-prometheus` on a pinned map with scx_rusty's exact layout, scraped over HTTP, every series checked
 * against the per-CPU sums written, the page passed through promtool; then two agents reading one map at once.
 * Real processes, a real pinned map on a private bpffs, real HTTP, real promtool.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { exited, startCli, waitFor } from '../../helpers/cli.js';
import { hasCommand, needPeer, needRoot } from '../../helpers/peers.js';
import { BpfMap, MapType } from '../../../src/sources/bpf/sys.js';
import { mountBpffs } from './fixtures.js';

const PROMTOOL = '/usr/bin/promtool';

/** scx_rusty's `enum stat_idx` as the metrics change exported it (reference scx.md 1.1), in index order. */
const RUSTY_SERIES = [
  ...['wsync', 'wsync_prev_idle', 'prev_idle', 'greedy_idle', 'pinned', 'direct_dispatch', 'direct_greedy', 'direct_greedy_far', 'dsq', 'greedy_local', 'greedy_xnuma'].map(
    (type) => `dispatched_tasks_total{type="${type}"}`,
  ),
  'repatriate_total',
  'kick_greedy_total',
  'load_balance_total',
  'task_errors_total',
  'dl_clamped_total',
  'dl_preset_total',
];

/**
 * A pinned rusty-layout map (17 u64 per possible CPU) that remembers what was written, so the expected sums
 * are the test's own arithmetic, never read back through the code under test.
 */
class RustyPin {
  readonly map = BpfMap.create({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 17, name: 'stats' });
  /** cells[index][cpu slot]. */
  private readonly cells: bigint[][] = RUSTY_SERIES.map(() => new Array<bigint>(this.map.slots).fill(0n));

  /** Adds `f(index, slot)` to every cell and writes the map. */
  add(f: (index: number, slot: number) => number): void {
    this.cells.forEach((row, i) => {
      const v = this.map.newValue();
      row.forEach((x, s) => {
        row[s] = x + BigInt(f(i, s));
        v.writeBigUInt64LE(row[s], s * 8);
      });
      this.map.update(i, v);
    });
  }

  /** Per series, the sum over possible CPUs of what was written. */
  sums(): Map<string, number> {
    return new Map(RUSTY_SERIES.map((name, i) => [name, Number((this.cells[i] as bigint[]).reduce((a, b) => a + b, 0n))]));
  }

  /** What the map holds now, as the same sums (to show that readers never wrote to it). */
  inMap(): Map<string, number> {
    return new Map(
      RUSTY_SERIES.map((name, i) => {
        const v = this.map.lookup(i);
        assert.ok(v !== undefined);
        return [name, Number(this.map.u64s(v, 0).reduce((a, b) => a + b, 0n))];
      }),
    );
  }
}

/** `name{labels}` -> value for every sample line of a text exposition. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m !== null) out.set(m[1] as string, Number(m[2]));
  }
  return out;
}

/** A running `scx-metrics run ...` with its /metrics URL. */
async function agent(t: TestContext, pin: string, extra: readonly string[] = []) {
  const child = startCli(['run', '--scheduler', 'rusty', '--bpf-pin', pin, '--enable-prometheus', '--prometheus-listen', '127.0.0.1:0', ...extra]);
  t.after(() => child.kill('SIGKILL'));
  const serving = /serving (http:\/\/127\.0\.0\.1:\d+\/metrics)/;
  await waitFor(() => serving.test(child.output().stderr) || child.exitCode !== null, 30_000, 'the "serving" line');
  const url = serving.exec(child.output().stderr)?.[1];
  assert.ok(url !== undefined, `no serving line: ${child.output().stderr}`);
  const scrape = async (): Promise<string> => {
    const res = await fetch(url);
    assert.equal(res.status, 200);
    return res.text();
  };
  const collections = async (): Promise<number> => samples(await scrape()).get('scx_metrics_collections_total') ?? 0;
  return {
    child,
    scrape,
    /**
     * Scrapes once two more collections than now have completed: the first may have been under way when
     * the test wrote, the second began after the write, so it read all of it. `first`: the map was written
     * before the agent started, so its first collection suffices.
     */
    async scrapeAfterWrite(first = false): Promise<Map<string, number>> {
      const target = first ? 1 : (await collections()) + 2;
      const end = Date.now() + 60_000;
      while ((await collections()) < target) {
        assert.ok(Date.now() < end, `collection ${target} not reached: ${child.output().stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return samples(await scrape());
    },
    async stop(): Promise<void> {
      child.kill('SIGTERM');
      const { code } = await exited(child);
      assert.equal(code, 0, child.output().stderr);
      // Nothing went wrong with the map or the endpoint (unrelated host notes, e.g. no /proc/schedstat, may appear).
      assert.doesNotMatch(child.output().stderr, /^scx-metrics: (error: |warning: .*(bpf|prometheus))/m);
    },
  };
}

function assertSeries(got: Map<string, number>, want: Map<string, number>, who: string): void {
  for (const [name, v] of want) assert.equal(got.get(name), v, `${who}: ${name}`);
}

test('Done when: run --scheduler rusty --bpf-pin PATH --enable-prometheus exports the pinned map sums on /metrics; promtool accepts it; a write moves it by exactly that', async (t) => {
  if (!needRoot(t)) return;
  if (!needPeer(t, hasCommand(PROMTOOL, ['--version']), 'promtool (Debian package prometheus)')) return;
  const fs = mountBpffs();
  const pin = new RustyPin();
  t.after(() => {
    pin.map.close();
    fs.cleanup();
  });
  // Distinct per entry and per CPU, so a wrong index or a CPU counted twice or not at all changes a sum.
  pin.add((i, s) => 1_000_000 * (i + 1) + 101 * s + 7);
  const path = join(fs.dir, 'stats');
  pin.map.pin(path);

  const a = await agent(t, path); // exactly the command, with only the listening address pinned down
  const first = await a.scrapeAfterWrite(true);
  assertSeries(first, pin.sums(), 'first scrape');
  const text = await a.scrape();
  const check = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 20_000 });
  assert.equal(`${check.stdout}${check.stderr}`, '', 'promtool check metrics: no findings');
  assert.equal(check.status, 0);
  assert.match(text, /^# TYPE dispatched_tasks_total counter$/m);

  const before = pin.sums();
  pin.add((i, s) => 3 * (i + 1) + s); // a different amount per entry and CPU
  const next = await a.scrapeAfterWrite();
  for (const [name, v] of pin.sums()) {
    assert.equal(next.get(name), v, name);
    assert.equal((next.get(name) ?? 0) - (first.get(name) ?? 0), v - (before.get(name) ?? 0), `${name} moved by exactly what was written`);
  }
  await a.stop();
});

test('two agents reading one pinned map at once both export exactly the written totals, and neither writes to it', async (t) => {
  if (!needRoot(t)) return;
  const fs = mountBpffs();
  const pin = new RustyPin();
  t.after(() => {
    pin.map.close();
    fs.cleanup();
  });
  pin.add((i, s) => 500 * (i + 1) + 13 * s);
  const path = join(fs.dir, 'stats');
  pin.map.pin(path);
  const agents = await Promise.all([agent(t, path, ['--interval', '0.3']), agent(t, path, ['--interval', '0.3'])]);
  for (let round = 0; round < 3; round++) {
    if (round > 0) pin.add((i, s) => (round * 7 + i) * (s + 1));
    const scraped = await Promise.all(agents.map((a) => a.scrapeAfterWrite(round === 0)));
    scraped.forEach((got, k) => assertSeries(got, pin.sums(), `round ${round}, agent ${k}`));
    assert.deepEqual(pin.inMap(), pin.sums(), `round ${round}: the map still holds what the test wrote`);
  }
  await Promise.all(agents.map((a) => a.stop()));
});
