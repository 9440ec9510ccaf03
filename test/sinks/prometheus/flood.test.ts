// The listener under a connection flood, over real loopback sockets: 1000 slowloris clients (headers sent a
// line a second, reconnecting as soon as they are closed) must not keep a scrape out. The sink runs in its
// own process so the flood and the server do not share one event loop. Each scrape from a new client must
// be answered within 1 s: a functional bound (a refused or queued scrape takes far longer), not a benchmark.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { get } from './http.js';

const SLOW_CLIENTS = 1000;
const SCRAPES = 20;

/** A child process speaking one JSON object a line on stdout. */
interface Child {
  readonly proc: ChildProcess;
  readonly lines: Record<string, unknown>[];
  next(pred: (m: Record<string, unknown>) => boolean, ms: number): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

function startChild(script: string, args: string[]): Child {
  const proc = spawn(process.execPath, [fileURLToPath(new URL(script, import.meta.url)), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  let buf = '';
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      lines.push(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
      buf = buf.slice(nl + 1);
    }
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return {
    proc,
    lines,
    next: async (pred, ms) => {
      const end = Date.now() + ms;
      for (;;) {
        const m = lines.find(pred);
        if (m !== undefined) return m;
        if (proc.exitCode !== null || Date.now() > end) throw new Error(`${script}: no such line within ${ms} ms; got ${JSON.stringify(lines)}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 100);
        });
      }
    },
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}

async function scrapesUnderFlood(opts: object): Promise<{ latencies: number[]; flood: { closes: number; answered408: number }; logs: string[] }> {
  const sink = startChild('./sink-child.js', [JSON.stringify(opts)]);
  const flood: Child[] = [];
  try {
    const port = (await sink.next((m) => m.port !== undefined, 20_000)).port as number;
    flood.push(startChild('./slowloris-child.js', [String(port), String(SLOW_CLIENTS)]));
    await (flood[0] as Child).next((m) => m.open !== undefined, 30_000);
    // Past the first reconnects, into the steady flood.
    await new Promise((r) => setTimeout(r, 1500));
    const latencies: number[] = [];
    for (let i = 0; i < SCRAPES; i++) {
      const t0 = performance.now();
      const r = await get(port, '/metrics');
      latencies.push(performance.now() - t0);
      assert.equal(r.status, 200, `scrape ${i}`);
      assert.match(r.body.toString(), /^fx_dispatched_tasks_total\{type="wsync"\} /m, `scrape ${i} has the metrics`);
      await new Promise((r2) => setTimeout(r2, 250));
    }
    const f = flood[0] as Child;
    await f.stop();
    const stats = f.lines.find((m) => m.closes !== undefined) as { closes: number; answered408: number };
    await sink.stop();
    return { latencies, flood: stats, logs: sink.lines.flatMap((m) => (typeof m.log === 'string' ? [m.log] : [])) };
  } finally {
    for (const f of flood) await f.stop();
    await sink.stop();
  }
}

test(`${SLOW_CLIENTS} slowloris connections at the default cap (fd budget): every new scrape is answered within 1 s`, { timeout: 120_000 }, async (t) => {
  const { latencies, flood, logs } = await scrapesUnderFlood({});
  const worst = Math.max(...latencies);
  t.diagnostic(`worst scrape ${worst.toFixed(0)} ms of ${SCRAPES}; flood ${JSON.stringify(flood)}`);
  assert.ok(worst < 1000, `scrape latencies ms: ${latencies.map((l) => l.toFixed(0)).join(' ')}; flood ${JSON.stringify(flood)}; sink log: ${logs.join(' | ')}`);
  // The flood was held, not refused: the slow clients were cut off by the header timeout (408), not closed.
  assert.ok(flood.answered408 >= SLOW_CLIENTS, `flood ${JSON.stringify(flood)}`);
});

test(`${SLOW_CLIENTS} slowloris connections against a cap of 900: the oldest unfinished are evicted, every new scrape is answered within 1 s`, { timeout: 120_000 }, async (t) => {
  const { latencies, flood: stats, logs } = await scrapesUnderFlood({ maxConnections: 900 });
  const worst = Math.max(...latencies);
  t.diagnostic(`worst scrape ${worst.toFixed(0)} ms of ${SCRAPES}; flood ${JSON.stringify(stats)}`);
  assert.ok(worst < 1000, `scrape latencies ms: ${latencies.map((l) => l.toFixed(0)).join(' ')}; flood ${JSON.stringify(stats)}; sink log: ${logs.join(' | ')}`);
  // The flood really was over the cap: the sink closed slow clients to make room, and said so once.
  assert.ok(stats.closes > SLOW_CLIENTS - 900, `evictions seen by the flood: ${stats.closes}`);
  assert.equal(logs.filter((l) => l.includes('900 connections open: closing the oldest')).length, 1, logs.join('\n'));
});
