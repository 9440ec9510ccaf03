/**
 * The agent's own cost: `scx-metrics run` with the host source at a 1 s interval and /metrics scraped every
 * second, for 60 s (BENCH_AGENT_SECONDS to change). CPU from /proc/<pid>/stat (utime+stime over the window),
 * RSS sampled from /proc/<pid>/status. Targets: under 0.5% of one core and under 80 MB RSS.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { machineLine } from './harness.js';

const seconds = Number(process.env.BENCH_AGENT_SECONDS ?? 60);
const cli = fileURLToPath(new URL('../src/cli.js', import.meta.url));
const CLK_TCK = 100;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

function cpuTicks(pid: number): number {
  // Fields after the parenthesised command: utime is the 14th field overall, stime the 15th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]);
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0);
}

const port = await freePort();
const child = spawn(process.execPath, [cli, 'run', '--interval', '1', '--report', 'none', '--enable-prometheus', '--prometheus-listen', `127.0.0.1:${port}`], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
const pid = child.pid as number;
const url = `http://127.0.0.1:${port}/metrics`;
// Wait for the listener, then let start-up (module loading, JIT) settle before measuring.
for (let i = 0; ; i++) {
  try {
    if ((await fetch(url)).ok) break;
  } catch {
    if (i > 100) throw new Error('agent did not start');
  }
  await new Promise((r) => setTimeout(r, 100));
}
await new Promise((r) => setTimeout(r, 3000));

const t0 = performance.now();
const c0 = cpuTicks(pid);
let maxRss = rssKb(pid);
let scrapes = 0;
let bytes = 0;
while (performance.now() - t0 < seconds * 1000) {
  const body = await (await fetch(url)).text();
  bytes = body.length;
  scrapes++;
  maxRss = Math.max(maxRss, rssKb(pid));
  await new Promise((r) => setTimeout(r, 1000));
}
const wall = (performance.now() - t0) / 1000;
const cpuPct = ((cpuTicks(pid) - c0) / CLK_TCK / wall) * 100;
child.kill('SIGTERM');

console.log(`agent: host source, 1 s interval, ${scrapes} scrapes of ${bytes} bytes over ${wall.toFixed(0)} s (${machineLine()})`);
console.log(`CPU: ${cpuPct.toFixed(3)}% of one core (target < 0.5%: ${cpuPct < 0.5 ? 'met' : 'NOT met'}); resolution ${(100 / CLK_TCK / wall).toFixed(3)}%`);
console.log(`RSS: max ${(maxRss / 1024).toFixed(1)} MB (target < 80 MB: ${maxRss / 1024 < 80 ? 'met' : 'NOT met'})`);
