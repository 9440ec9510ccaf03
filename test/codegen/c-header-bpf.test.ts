// End to end: declarations -> `scx-metrics gen-header` -> clang -target bpf -> libbpf load and attach to real
// scheduler tracepoints -> the BPF source reads the program's map -> the registry holds exactly what the
// program counted, compared with a direct read of the map after counting stopped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { arch, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent } from '../../src/agent.js';
import { memoryLogger } from '../../src/log.js';
import type { CounterSeries } from '../../src/registry/index.js';
import { BpfSource } from '../../src/sources/bpf/source.js';
import { BpfMap, mapInfo } from '../../src/sources/bpf/sys.js';
import { runCli } from '../helpers/cli.js';
import { hasCommand, needPeer, needRoot } from '../helpers/peers.js';
import { pingPong } from '../helpers/workload.js';
import { LoadedObject } from './libbpf.js';
import { schedCountStats } from './sched-count-stats.js';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
/** The C source stays in test/ (tsc does not copy it to dist/). */
const bpfSource = here('../../../test/codegen/sched-count.bpf.c');
const statsModule = here('./sched-count-stats.js');
const multiarch = `/usr/include/${arch() === 'x64' ? 'x86_64' : arch() === 'arm64' ? 'aarch64' : arch()}-linux-gnu`;

function libbpfLoads(): boolean {
  const r = spawnSync(process.execPath, ['-e', "require('koffi').load('libbpf.so.1')"], { cwd: here('../../..'), stdio: 'ignore' });
  return r.status === 0;
}

test('a BPF program built on the generated header counts real events; the agent exports exactly those counts', async (t) => {
  if (!needRoot(t)) return;
  if (!needPeer(t, hasCommand('clang'), 'clang (apt install clang)')) return;
  if (!needPeer(t, libbpfLoads(), 'libbpf.so.1 (apt install libbpf-dev)')) return;
  const dir = mkdtempSync(join(tmpdir(), 'scx-genhdr-'));
  let obj: LoadedObject | undefined;
  let agent: Agent | undefined;
  try {
    const header = join(dir, 'sched_count_stats.h');
    const gen = runCli(['gen-header', '--stats', statsModule, '-o', header]);
    assert.equal(gen.status, 0, gen.stderr);
    assert.match(gen.stderr, /latency is not in the stats map: no `from`/);
    assert.match(readFileSync(header, 'utf8'), /^#define SCHEDCOUNT_NR_STATS 4$/m);
    const objPath = join(dir, 'sched_count.bpf.o');
    execFileSync('clang', ['-O2', '-g', '-target', 'bpf', `-I${multiarch}`, `-I${dir}`, '-c', bpfSource, '-o', objPath], { stdio: 'pipe' });

    obj = new LoadedObject(objPath);
    assert.deepEqual(obj.programs, ['gentest_switch', 'gentest_wakeup', 'gentest_wakenew', 'gentest_fork']);
    const log = memoryLogger();
    // The source finds the map the way it finds a scheduler's: through the programs that own it.
    agent = new Agent({ sources: [new BpfSource({ stats: schedCountStats, programs: ['gentest_'] })], sinks: [], intervalSeconds: 60, log });
    await agent.start();
    pingPong(2000);
    obj.detach(); // counting stops: the numbers below are final
    await agent.tick();
    assert.deepEqual(log.lines.filter((l) => !l.includes(': info: ')), [], 'no warnings or errors');
    assert.ok(log.lines.some((l) => /reading map "stats" .* used by program gentest_/.test(l)), 'found through its programs');

    const map = BpfMap.byId(mapInfo(obj.mapFd('stats')).id, { readOnly: true });
    assert.ok(map !== undefined);
    const direct = (slot: number): number => {
      const v = map.lookup(slot);
      assert.ok(v !== undefined);
      return Number(map.sumU64(v));
    };
    const counted = [0, 1, 2, 3].map(direct);
    map.close();
    const reg = agent.registry;
    const series = (name: string, labels: readonly string[] = []): number =>
      (reg.get(name)?.series.find((s) => s.labelValues.join() === labels.join()) as CounterSeries | undefined)?.value ?? NaN;
    assert.deepEqual(
      [series('gentest_events', ['switch']), series('gentest_events', ['wakeup']), series('gentest_events', ['wakeup_new']), series('gentest_fork_weight')],
      counted,
    );
    assert.ok((counted[0] as number) >= 4000, `ping-pong switched ${counted[0]} times (expected >= 2 per round trip)`);
    assert.ok((counted[1] as number) >= 2000, 'wakeups counted');
    assert.ok((counted[3] as number) >= 3 && (counted[3] as number) % 3 === 0, 'stat_add(…, 3) per fork');
  } finally {
    await agent?.stop();
    obj?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
