/**
 * `scx-metrics doctor`'s findings: what this host offers the agent and what to do about what is missing, one
 * finding per topic. Every input comes from the caller (paths, this process's status text, and which sources
 * `run` would start, found by `run`'s own plugins), so the same checks run on any host and on fixtures.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { errorMessage } from '../support/log.js';
import { probeScxStats } from '../sources/scx-stats/client.js';
import { runningScheduler } from '../plugin/sched-ext-root.js';
import { effectiveCaps, missingForProbe } from '../sources/probe/privilege.js';

/** One line of the report: `ok` when the host has it, else what it costs and what to do. */
export interface Finding {
  readonly ok: boolean;
  readonly topic: string;
  readonly text: string;
}

export interface DoctorInputs {
  readonly schedExtRoot: string;
  readonly scxStatsPath: string;
  readonly procRoot: string;
  /** The kernel's BTF (/sys/kernel/btf/vmlinux). */
  readonly btfPath: string;
  /** The text of /proc/self/status (capabilities). */
  readonly statusText: string;
  /** Where `run --enable-prometheus` would listen. */
  readonly listen: { readonly host: string; readonly port: number };
  /** The profile the agent would read a running scheduler with, by its ops name. */
  profileFor(ops: string): string | undefined;
  /**
   * The sources `run` with the same flags would start (found by `run`'s own detection), each with whether it
   * has something to read now or waits for it (an optional /proc file this kernel lacks, a scheduler to follow).
   */
  sources(): Promise<readonly { readonly name: string; readonly waiting: boolean }[]>;
}

const CAP_SYS_ADMIN = 21n;

function readTrim(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function schedExt(inp: DoctorInputs): Finding {
  if (!existsSync(inp.schedExtRoot)) {
    return {
      ok: false,
      topic: 'sched_ext',
      text: `not in this kernel (${inp.schedExtRoot} is missing): boot a Linux 6.12+ kernel built with CONFIG_SCHED_CLASS_EXT=y; host counters (/proc) and the probe work without it`,
    };
  }
  const state = readTrim(join(inp.schedExtRoot, 'state')) ?? 'unknown';
  return { ok: true, topic: 'sched_ext', text: `in the kernel (${inp.schedExtRoot}, state ${state})` };
}

async function scheduler(inp: DoctorInputs): Promise<Finding[]> {
  const socket = existsSync(inp.scxStatsPath);
  let answers: string | undefined;
  if (socket) {
    try {
      answers = `answers (${Object.keys(await probeScxStats(inp.scxStatsPath)).length} stats structs)`;
    } catch {
      answers = undefined;
    }
  }
  const socketFinding: Finding = !socket
    ? { ok: false, topic: 'stats socket', text: `none at ${inp.scxStatsPath}: the Rust scx schedulers (scx_rusty, scx_lavd, ...) serve one; the kernel tree's do not, their BPF maps are read instead` }
    : answers !== undefined
      ? { ok: true, topic: 'stats socket', text: `${inp.scxStatsPath} ${answers}: run reads it` }
      : { ok: false, topic: 'stats socket', text: `${inp.scxStatsPath} exists but does not answer: its scheduler has exited; run --scx-stats ${inp.scxStatsPath} waits for it` };
  if (!existsSync(inp.schedExtRoot)) return [{ ok: false, topic: 'scheduler', text: 'none can run without sched_ext' }, socketFinding];
  const ops = runningScheduler(inp.schedExtRoot);
  if (ops === undefined) {
    return [{ ok: false, topic: 'scheduler', text: 'none running: start one (scx_simple, scx_rusty, ...); run picks it up when it starts' }, socketFinding];
  }
  const profile = inp.profileFor(ops);
  const sched: Finding =
    profile !== undefined
      ? { ok: true, topic: 'scheduler', text: `"${ops}" running; its BPF maps are read with profile ${profile}` }
      : {
          ok: answers !== undefined,
          topic: 'scheduler',
          text: `"${ops}" running with no BPF profile: ${answers !== undefined ? 'its stats come from the stats socket' : 'only sched_ext\'s own counters are read; give its profile with --profile MODULE (defineProfile)'}`,
        };
  return [sched, socketFinding];
}

function privilege(inp: DoctorInputs): Finding[] {
  let caps: bigint;
  try {
    caps = effectiveCaps(inp.statusText);
  } catch (err) {
    return [{ ok: false, topic: 'BPF permission', text: `unknown: ${errorMessage(err)}` }];
  }
  const probe = missingForProbe(caps);
  const admin = ((caps >> CAP_SYS_ADMIN) & 1n) === 1n;
  return [
    probe === undefined
      ? { ok: true, topic: 'BPF permission', text: 'may load the built-in probe (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN)' }
      : { ok: false, topic: 'BPF permission', text: `the probe needs ${probe}: run as root, or with the unit in deploy/systemd/` },
    admin
      ? { ok: true, topic: 'BPF maps', text: "may find a scheduler's maps by id (CAP_SYS_ADMIN)" }
      : { ok: false, topic: 'BPF maps', text: "cannot find a scheduler's maps: BPF_PROG_GET_NEXT_ID and BPF_MAP_GET_FD_BY_ID need CAP_SYS_ADMIN; run as root (--user NAME drops the rest), or with the unit in deploy/systemd/" },
  ];
}

function kernelFiles(inp: DoctorInputs): Finding[] {
  const btf = existsSync(inp.btfPath);
  const schedstat = join(inp.procRoot, 'schedstat');
  const psi = join(inp.procRoot, 'pressure', 'cpu');
  const psiText = readTrim(psi);
  return [
    btf
      ? { ok: true, topic: 'BTF', text: `${inp.btfPath} present: the probe measures run-queue latency` }
      : { ok: false, topic: 'BTF', text: `${inp.btfPath} missing: the probe counts events only (no latency histogram); needs a kernel with CONFIG_DEBUG_INFO_BTF=y` },
    existsSync(schedstat)
      ? { ok: true, topic: 'schedstat', text: `${schedstat} present: per-CPU running, waiting and timeslices` }
      : { ok: false, topic: 'schedstat', text: `${schedstat} missing: no scx_host_schedstat_* series; needs a kernel built with CONFIG_SCHEDSTATS=y` },
    psiText !== undefined
      ? { ok: true, topic: 'PSI', text: `${psi} present: CPU pressure totals` }
      : {
          ok: false,
          topic: 'PSI',
          text: `${psi} ${existsSync(psi) ? 'not readable (PSI disabled at boot)' : 'missing'}: no scx_host_cpu_pressure_* series; needs CONFIG_PSI=y, and psi=1 on the kernel command line when CONFIG_PSI_DEFAULT_DISABLED=y`,
        },
  ];
}

async function sources(inp: DoctorInputs): Promise<Finding> {
  try {
    const made = await inp.sources();
    const list = (waiting: boolean): string => {
      const counts = new Map<string, number>();
      for (const m of made) if (m.waiting === waiting) counts.set(m.name, (counts.get(m.name) ?? 0) + 1);
      return [...counts].map(([n, c]) => (c > 1 ? `${n} (${c})` : n)).join(', ');
    };
    const now = list(false);
    const later = list(true);
    const text = `run would read ${now === '' ? 'nothing yet' : now}${later === '' ? '' : `; and wait for ${later}`}`;
    return { ok: now !== '', topic: 'sources', text: made.length === 0 ? 'run would start none: check the --no-* flags' : text };
  } catch (err) {
    return { ok: false, topic: 'sources', text: `run would not start: ${errorMessage(err)}` };
  }
}

/** Whether host:port can be listened on now (the listener is closed again at once). */
export function portFinding(listen: { readonly host: string; readonly port: number }): Promise<Finding> {
  const where = `${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}`;
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'EADDRINUSE'
          ? 'in use by another process: pass --prometheus-listen HOST:PORT with a free port'
          : err.code === 'EACCES'
            ? 'refused (a port below 1024 needs root or CAP_NET_BIND_SERVICE): pick a port from 1024 up'
            : `cannot be listened on (${err.code ?? err.message}): check the address`;
      resolve({ ok: false, topic: 'port', text: `${where} ${why}` });
    });
    server.listen({ host: listen.host, port: listen.port, exclusive: true }, () => {
      server.close(() => resolve({ ok: true, topic: 'port', text: `${where} is free for --enable-prometheus` }));
    });
  });
}

/** Every finding, in the report's order. */
export async function diagnose(inp: DoctorInputs): Promise<Finding[]> {
  return [schedExt(inp), ...(await scheduler(inp)), ...privilege(inp), ...kernelFiles(inp), await sources(inp), await portFinding(inp.listen)];
}

/** One line: `ok      topic: text` or `missing topic: text`. */
export function formatFinding(f: Finding): string {
  return `${f.ok ? 'ok     ' : 'missing'} ${f.topic}: ${f.text}`;
}
