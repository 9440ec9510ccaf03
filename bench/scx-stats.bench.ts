/**
 * One interval of the scx_stats source (request, read the line, JSON.parse, check against the meta, apply
 * to the registry including rusty's rebuilt counters) vs a bare request/response round trip of the same
 * bytes over the same kind of socket (write the request, read up to the newline, nothing else). The server
 * is a separate process answering every `stats` with a rusty-sized response: ClusterStats' 27 fields and
 * 4 nodes x 8 domains. Target: the source's interval costs at most 2x the bare round trip.
 */
import { spawn } from 'node:child_process';
import { createConnection, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from '../src/registry/index.js';
import { memoryLogger } from '../src/support/log.js';
import { ScxStatsSource } from '../src/sources/scx-stats/source.js';
import { RustySim, rustyMeta, RUSTY_STATS } from '../test/sources/scx-stats/rusty.js';
import { serde } from '../test/sources/scx-stats/server.js';
import { machineLine, median, verdict } from './harness.js';


// A rusty response with activity on every path, encoded once: the server sends these bytes every time.
const sim = new RustySim(4, 8);
const read = sim.open();
RUSTY_STATS.forEach((s, i) => sim.add(s, 1000 + i * 37));
sim.timeUsed = 0.004;
const statsLine = `${serde({ errno: 0, args: { resp: read({}) } })}\n`;
const metaLine = `${serde({ errno: 0, args: { resp: rustyMeta } })}\n`;

const dir = mkdtempSync(join(tmpdir(), 'scx-bench-'));
const path = join(dir, 'stats');
const serverCode = `
import { createServer } from 'node:net';
const [path, stats, meta] = process.argv.slice(1);
createServer((s) => {
  let buf = '';
  s.setEncoding('utf8');
  s.on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      s.write(line.includes('"stats_meta"') ? meta : stats);
    }
  });
}).listen(path, () => process.stdout.write('ready\\n'));
`;
const server = spawn(process.execPath, ['--input-type=module', '-e', serverCode, path, statsLine, metaLine], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise<void>((resolve) => server.stdout.once('data', () => resolve()));

// Ours: the real source on a registry.
const registry = new Registry();
const source = new ScxStatsSource({ path, timeoutMs: 5000 });
source.attach({ registry, log: memoryLogger() });
await source.collect();

// Bare: the same request bytes, the response read up to its newline and dropped.
const request = Buffer.from('{"req":"stats","args":{"target":"top"}}\n');
const sock: Socket = await new Promise((resolve) => {
  const s = createConnection({ path }, () => resolve(s));
});
let waiting: (() => void) | undefined;
sock.on('data', (chunk: Buffer) => {
  if (chunk.indexOf(10) >= 0) waiting?.();
});
const bare = (): Promise<void> =>
  new Promise<void>((resolve) => {
    waiting = resolve;
    sock.write(request);
  });

// The two alternate op by op, so both meet the same machine (a shared, noisy one), and each op starts after
// the same 1 ms pause, so both find the server process idle, as a real interval (seconds apart) does. Each
// op is timed and the medians compared, so an op that happened to be preempted does not decide the ratio.
const N = 1500;
const pause = (): Promise<void> => new Promise((r) => setTimeout(r, 1));
const oursNs: number[] = [];
const bareNs: number[] = [];
for (let i = 0; i < 400; i++) {
  await source.collect(); // warm-up
  await bare();
}
for (let i = 0; i < N; i++) {
  await pause();
  const t0 = process.hrtime.bigint();
  await source.collect();
  const t1 = process.hrtime.bigint();
  await pause();
  const t2 = process.hrtime.bigint();
  await bare();
  const t3 = process.hrtime.bigint();
  oursNs.push(Number(t1 - t0));
  bareNs.push(Number(t3 - t2));
}
const r = { ours: median(oursNs), bare: median(bareNs) };

const series = registry.families().reduce((a, f) => a + f.series.length, 0);
console.log(`scx_stats source interval vs bare round trip, ${statsLine.length} byte response, ${series} series, median of ${N} alternating ops each (${machineLine()})`);
verdict('request + parse + apply vs bare request/response', r.ours, r.bare, 2, { atMost: true });

// The timed loops really applied: 1 + 400 warm-up + N intervals of the same counts.
const fam = registry.get('scx_rusty_dispatched_tasks');
const wsync = fam?.series.find((s) => s.labelValues[0] === 'wsync') as { value: number } | undefined;
const intervals = 1 + 400 + N;
if (wsync?.value !== 1000 * intervals) throw new Error(`wsync total ${wsync?.value}, expected ${1000 * intervals}`);

source.close();
sock.destroy();
server.kill();
rmSync(dir, { recursive: true, force: true });
