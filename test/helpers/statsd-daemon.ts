/**
 * The real StatsD daemon (npm `statsd`, Etsy's) as a test peer: started on free ports with a config and a tiny
 * backend module written here, which prints every flush (counters and gauges as the daemon computed them) as
 * one JSON line on stdout. The test reads what the daemon flushed, not what we sent.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './datagram-peers.js';

export interface StatsdFlush {
  readonly counters: Readonly<Record<string, number>>;
  readonly gauges: Readonly<Record<string, number>>;
}

export interface StatsdDaemon {
  readonly port: number;
  readonly flushes: StatsdFlush[];
  /** Sum of a counter over every flush so far (StatsD counters reset at each flush). */
  counterTotal(key: string): number;
  /** The gauge's value at the latest flush that had it. */
  gauge(key: string): number | undefined;
  stop(): Promise<void>;
  output(): string;
}

const BACKEND = `
exports.init = function (startup, config, events) {
  events.on('flush', function (ts, metrics) {
    process.stdout.write('FLUSH ' + JSON.stringify({ counters: metrics.counters, gauges: metrics.gauges }) + '\\n');
  });
  return true;
};
`;

/** The daemon's entry point, or undefined when the package is not installed. */
export function statsdEntry(): string | undefined {
  try {
    return createRequire(import.meta.url).resolve('statsd/stats.js');
  } catch {
    return undefined;
  }
}

export async function startStatsd(flushMs = 200): Promise<StatsdDaemon> {
  const entry = statsdEntry();
  if (entry === undefined) throw new Error('the statsd package is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'scx-statsd-daemon-'));
  const backend = join(dir, 'backend.js');
  writeFileSync(backend, BACKEND);
  const port = await freePort('udp');
  const mgmt = await freePort('tcp');
  const config = join(dir, 'config.js');
  writeFileSync(
    config,
    `{ port: ${port}, address: '127.0.0.1', mgmt_port: ${mgmt}, mgmt_address: '127.0.0.1', flushInterval: ${flushMs},` +
      ` backends: [${JSON.stringify(backend)}], automaticConfigReload: false }`,
  );
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [entry, config], { cwd: dir });
  const flushes: StatsdFlush[] = [];
  let out = '';
  let buf = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.startsWith('FLUSH ')) flushes.push(JSON.parse(line.slice(6)) as StatsdFlush);
      else out += `${line}\n`;
    }
  });
  return {
    port,
    flushes,
    counterTotal: (key) => flushes.reduce((sum, f) => sum + (f.counters[key] ?? 0), 0),
    gauge: (key) => {
      for (let i = flushes.length - 1; i >= 0; i--) {
        const v = flushes[i]?.gauges[key];
        if (v !== undefined) return v;
      }
      return undefined;
    },
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
