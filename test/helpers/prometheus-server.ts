/**
 * A real Prometheus server for tests: started on a loopback port with its remote-write receiver and a
 * temporary storage directory, queried over its HTTP API, always killed and cleaned up by `stop()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCommand } from './peers.js';
import { freePort } from './http-peer.js';

export const PROMETHEUS = '/usr/bin/prometheus';
export const hasPrometheus = (): boolean => hasCommand(PROMETHEUS, ['--version']);

export interface PrometheusServer {
  readonly url: string;
  readonly writeUrl: string;
  readonly port: number;
  /** An instant query; resolves to the result vector as [labels, value] pairs. */
  query(expr: string, timeSeconds?: number): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  /** Polls `query` until `pred` holds on its result; rejects after `ms`. */
  queryUntil(expr: string, pred: (r: { metric: Record<string, string>; value: [number, string] }[]) => boolean, ms?: number, timeSeconds?: number): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  stop(): Promise<void>;
  output(): string;
}

/** `config`: the prometheus.yml to run with (scrape targets, rule files); default: no scrapes, for remote write. */
export async function startPrometheus(opts: { port?: number; readyMs?: number; config?: string } = {}): Promise<PrometheusServer> {
  const port = opts.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'scx-prom-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, opts.config ?? 'global:\n  scrape_interval: 1h\nscrape_configs: []\n');
  let out = '';
  const child: ChildProcess = spawn(
    PROMETHEUS,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const end = Date.now() + (opts.readyMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited early: ${out.trim().split('\n').slice(-3).join(' | ')}`);
    }
    try {
      const r = await fetch(`${url}/-/ready`);
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > end) {
      await stop();
      throw new Error(`prometheus not ready within ${opts.readyMs ?? 30_000} ms: ${out.slice(-500)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const query: PrometheusServer['query'] = async (expr, timeSeconds) => {
    const params = new URLSearchParams({ query: expr });
    if (timeSeconds !== undefined) params.set('time', String(timeSeconds));
    const r = await fetch(`${url}/api/v1/query?${params.toString()}`);
    const doc = (await r.json()) as { status: string; error?: string; data?: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    if (doc.status !== 'success') throw new Error(`query ${expr}: ${doc.error ?? r.status}`);
    return doc.data?.result ?? [];
  };
  return {
    url,
    writeUrl: `${url}/api/v1/write`,
    port,
    query,
    async queryUntil(expr, pred, ms = 15_000, timeSeconds) {
      const stopAt = Date.now() + ms;
      for (;;) {
        const r = await query(expr, timeSeconds);
        if (pred(r)) return r;
        if (Date.now() > stopAt) throw new Error(`query ${expr}: condition not met within ${ms} ms; last result ${JSON.stringify(r)}`);
        await new Promise((res) => setTimeout(res, 100));
      }
    },
    stop,
    output: () => out,
  };
}
