/**
 * Helpers for the tests that run inside the sched_ext guest (test/kernel/*.ktest.ts, started by the harness
 * in harness/main.ts): the kernel tree's schedulers and bpftool, the agent as a user runs it, /metrics read
 * back. A scheduler that exits while a test runs fails that test with the scheduler's own output.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { startCli, waitFor } from '../helpers/cli.js';
import { freePort } from '../helpers/http-peer.js';

export const SCX = '/sys/kernel/sched_ext';

function env(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === '') throw new Error(`${name} is not set: real-kernel tests run inside the guest, through npm run test:kernel`);
  return v;
}

/** A scheduler binary: a name from the kernel tree's build (scx_simple, ...) or a path (the example's). */
export const schedulerBin = (name: string): string => (name.includes('/') ? name : join(env('SCX_KERNEL_BIN'), name));

/** The example scheduler's loader (examples/scx-declared, built by the harness). */
export const exampleBinary = (): string => env('SCX_KERNEL_EXAMPLE');

/** The text of a sysfs file, trimmed, or undefined when it does not exist. */
export function sysfs(rel: string): string | undefined {
  try {
    return readFileSync(join(SCX, rel), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** A scheduler's output kept for tests and failure messages: an hour of scx_qmap's prints, so counting them works. */
const OUTPUT_KEPT = 1 << 20;

/** A running scheduler from the kernel tree. */
export class Scheduler {
  private out = '';
  private exit: { code: number | null; signal: string | null } | undefined;
  /** Set when the test ends the scheduler on purpose: its exit is then no failure. */
  stopping = false;
  readonly child: ChildProcessWithoutNullStreams;

  readonly binary: string;

  private constructor(binary: string, args: readonly string[]) {
    this.child = spawn(schedulerBin(binary), args);
    this.binary = binary.split('/').at(-1) as string;
    const keep = (d: Buffer): void => {
      this.out = (this.out + d.toString('utf8')).slice(-OUTPUT_KEPT);
    };
    this.child.stdout.on('data', keep);
    this.child.stderr.on('data', keep);
    this.child.on('exit', (code, signal) => (this.exit = { code, signal }));
  }

  /** Starts `binary` and waits until sysfs shows `ops` enabled at the root (or, with `sub`, below it). */
  static async start(binary: string, ops: string, opts: { args?: readonly string[]; sub?: (dir: string) => boolean } = {}): Promise<Scheduler> {
    const s = new Scheduler(binary, opts.args ?? []);
    try {
      await s.waitUntil(() => (opts.sub === undefined ? sysfs('root/ops') === ops && sysfs('state') === 'enabled' : opts.sub(SCX)), 60_000, `${binary} to be enabled`);
    } catch (err) {
      // Not left running: it would hold sched_ext for every later test.
      s.stopping = true;
      s.child.kill('SIGKILL');
      throw err;
    }
    return s;
  }

  /** The scheduler's last output. */
  output(): string {
    return this.out;
  }

  /** Throws, with the scheduler's own output, when it has exited while the test needed it. */
  check(): void {
    if (this.exit !== undefined && !this.stopping) {
      const how = this.exit.signal === null ? `exited with status ${this.exit.code}` : `was killed by ${this.exit.signal}`;
      throw new Error(`${this.binary} ${how} during the test; its output:\n${this.out}`);
    }
  }

  /** Waits for `pred`, failing early if the scheduler exits meanwhile. */
  async waitUntil(pred: () => boolean, ms: number, what: string): Promise<void> {
    await waitFor(() => {
      this.check();
      return pred();
    }, ms, what);
  }

  /** SIGINT, then waits for the process to exit and for sysfs to show no scheduler at the root. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.exit === undefined) this.child.kill('SIGINT');
    await waitFor(() => this.exit !== undefined, 30_000, `${this.binary} to exit`);
    await waitFor(() => sysfs('root/ops') === undefined && sysfs('state') === 'disabled', 30_000, 'sched_ext to be disabled');
  }
}

/** `bpftool ... -j` with the tree's bpftool, parsed. */
export function bpftool(args: readonly string[]): unknown {
  const r = spawnSync(env('SCX_KERNEL_BPFTOOL'), [...args, '-j'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`bpftool ${args.join(' ')}: ${r.stderr || r.stdout}`);
  return JSON.parse(r.stdout) as unknown;
}

interface ProgJson {
  readonly id: number;
  readonly name?: string;
  readonly map_ids?: readonly number[];
}
interface MapJson {
  readonly id: number;
  readonly name?: string;
  readonly type?: string;
}

/** The map named `mapName` used by the programs whose names start with `progPrefix` (the running scheduler's). */
export function schedulerMap(progPrefix: string, mapName: string): number {
  const progs = bpftool(['prog', 'show']) as ProgJson[];
  const ids = new Set(progs.filter((p) => p.name?.startsWith(progPrefix) === true).flatMap((p) => p.map_ids ?? []));
  const maps = (bpftool(['map', 'show']) as MapJson[]).filter((m) => ids.has(m.id) && m.name === mapName);
  if (maps.length !== 1) throw new Error(`expected one map "${mapName}" of programs ${progPrefix}*, found ${maps.length}`);
  return (maps[0] as MapJson).id;
}

/** bpftool's raw bytes (`["0xda","0x01",...]`) as a little-endian unsigned integer. */
function leBytes(bytes: readonly string[]): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i] as string);
  return v;
}

/** A per-CPU array of u64 entries, each summed over CPUs (from bpftool's raw bytes, not its formatting). */
export function perCpuSums(mapId: number): bigint[] {
  const entries = bpftool(['map', 'dump', 'id', String(mapId)]) as { key: string[]; values: { cpu: number; value: string[] }[] }[];
  const out: bigint[] = [];
  for (const e of entries) out[Number(leBytes(e.key))] = e.values.reduce((s, v) => s + leBytes(v.value), 0n);
  return out;
}

/** The variables of a global-data map (`.bss`, `.data`) by name (bpftool's BTF-formatted dump). */
export function globals(mapId: number): Map<string, bigint> {
  const dump = bpftool(['map', 'dump', 'id', String(mapId)]) as { formatted?: { value: Record<string, Record<string, unknown>[]> } }[];
  const out = new Map<string, bigint>();
  for (const sec of Object.values(dump[0]?.formatted?.value ?? {})) {
    for (const v of sec) for (const [k, x] of Object.entries(v)) if (typeof x === 'number' || typeof x === 'string') out.set(k, BigInt(x));
  }
  if (out.size === 0) throw new Error(`map ${mapId}: bpftool gave no BTF-formatted variables`);
  return out;
}

/** One exposition's samples: `name{labels}` (labels as written) to value. */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\S+?(?:\{.*\})?) (\S+)/.exec(line);
    if (m !== null) out.set(m[1] as string, Number(m[2]));
  }
  return out;
}

/**
 * The agent, run as a user runs it, with /metrics on a free loopback port and the JSON report on stdout. The
 * interval is the default 2 s: a source's read is bounded by the interval, and under emulation with other
 * work on the host a 1 s bound was sometimes too short for the sysfs walk.
 */
export class Agent {
  readonly proc: ReturnType<typeof startCli>;
  private constructor(
    readonly port: number,
    args: readonly string[],
  ) {
    this.proc = startCli(['run', '--report', 'json', '--enable-prometheus', '--prometheus-listen', `127.0.0.1:${port}`, '--interval', '2', ...args]);
  }

  static async start(args: readonly string[] = []): Promise<Agent> {
    const a = new Agent(await freePort(), args);
    try {
      await a.reports(1);
    } catch (err) {
      await a.stop();
      throw err;
    }
    return a;
  }

  /** Starts the agent beside running schedulers; if it cannot start, they are stopped before the error goes on. */
  static async beside(schedulers: readonly Scheduler[], args: readonly string[] = []): Promise<Agent> {
    try {
      return await Agent.start(args);
    } catch (err) {
      for (const s of schedulers) await s.stop().catch(() => undefined);
      throw err;
    }
  }

  /** Report lines (one per collection) printed so far. */
  reportCount(): number {
    return this.proc.output().stdout.split('\n').filter((l) => l.startsWith('{')).length;
  }

  /** Waits for `n` more collections. */
  async reports(n: number): Promise<void> {
    const target = this.reportCount() + n;
    await waitFor(() => {
      if (this.proc.exitCode !== null) throw new Error(`the agent exited (${this.proc.exitCode}): ${this.proc.output().stderr}`);
      return this.reportCount() >= target;
    }, 60_000, `${n} collections`).catch((err: Error) => {
      throw new Error(`${err.message}; the agent's stderr:\n${this.proc.output().stderr}`);
    });
  }

  stderr(): string {
    return this.proc.output().stderr;
  }

  /**
   * One scrape on a connection of its own: a pooled keep-alive connection can be closed by the agent's
   * keep-alive timeout just as the next request goes out, which emulation's slow clock makes likely. A
   * failure says whether the agent is still running, with its stderr.
   */
  async metrics(): Promise<Map<string, number>> {
    const text = await new Promise<string>((resolve, reject) => {
      const req = get({ host: '127.0.0.1', port: this.port, path: '/metrics', agent: false, timeout: 15_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`/metrics answered ${res.statusCode}`))));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('/metrics: no answer within 15 s')));
      req.on('error', reject);
    }).catch((err: Error) => {
      const state = this.proc.exitCode === null ? 'the agent is running' : `the agent exited (${this.proc.exitCode})`;
      throw new Error(`scrape failed: ${err.message}; ${state}; its stderr:\n${this.proc.output().stderr}`);
    });
    return parseMetrics(text);
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    this.proc.kill('SIGINT');
    await waitFor(() => this.proc.exitCode !== null, 30_000, 'the agent to exit');
  }
}

/**
 * Reads the kernel's numbers before and after a scrape of values the agent collected in between. The
 * scrape's collections count comes first: a collection numbered two past it started after that scrape ended,
 * so after `before` was read, and the last scrape (taken once such a collection completed) ends before
 * `after` is read. Each exported value lies between the two reads. (Counting report lines instead is not
 * enough: lines printed while a slow read blocked the event loop arrive late and look new.)
 */
export async function bracket<T>(agent: Agent, read: () => T): Promise<{ before: T; metrics: Map<string, number>; after: T }> {
  const before = read();
  const metrics = await collectedAfter(agent);
  const after = read();
  return { before, metrics, after };
}

/**
 * A scrape whose values all come from collections that started after this call: it waits until the agent's
 * collections count is two past what a first scrape shows (polling, with a deadline).
 */
export async function collectedAfter(agent: Agent): Promise<Map<string, number>> {
  const seen = (await agent.metrics()).get('scx_metrics_collections_total') ?? 0;
  const end = Date.now() + 60_000;
  let metrics = await agent.metrics();
  while ((metrics.get('scx_metrics_collections_total') ?? 0) < seen + 2) {
    if (Date.now() > end) throw new Error('timed out waiting for two collections after the first read');
    await new Promise((r) => setTimeout(r, 200));
    metrics = await agent.metrics();
  }
  return metrics;
}

export const inGuest = existsSync(SCX) && process.env.SCX_KERNEL_BIN !== undefined;
