/**
 * A context-switch-heavy workload: two processes passing one byte back and forth over a pair of pipes
 * (the classic lat_ctx ping-pong), written in Perl because perl-base is on every Debian system and needs no
 * build. Each round trip blocks and wakes each side once, so it costs at least two context switches.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const PINGPONG = `
my ($n, $stat) = @ARGV;
$| = 1;
sub schedstat { if ($stat) { open(my $f, '<', '/proc/self/schedstat') or die; print "schedstat $$ ", scalar(<$f>); } }
schedstat();
pipe(my $r1, my $w1) or die; pipe(my $r2, my $w2) or die;
my $pid = fork() // die;
if ($pid == 0) { schedstat(); close $w1; close $r2; my $b; while (sysread($r1, $b, 1)) { syswrite($w2, $b, 1) } schedstat(); exit 0; }
close $r1; close $w2; my $b;
for (1..$n) { syswrite($w1, "x", 1); sysread($r2, $b, 1) == 1 or die "short read"; }
close $w1; waitpid($pid, 0); schedstat();
`;

/**
 * Runs `roundTrips` ping-pong round trips and returns when both processes have exited. `cpu` pins both to one
 * CPU (taskset), so every round trip is two switches between them with no idle CPU in between.
 */
export function pingPong(roundTrips: number, opts: { cpu?: number } = {}): void {
  run(roundTrips, opts, false);
}

/** The kernel's scheduling statistics of one task (/proc/<pid>/schedstat, CONFIG_SCHED_INFO). */
export interface SchedStat {
  /** Time spent waiting on a run queue, ns. */
  readonly runDelayNs: bigint;
  /** Times the task was switched in after waiting. */
  readonly pcount: bigint;
}

/**
 * pingPong(), and what the kernel's scheduling statistics of each of the two processes moved by while they
 * ran the workload (each reads its own /proc/self/schedstat as it starts and as it finishes).
 */
export function pingPongSchedStats(roundTrips: number, opts: { cpu?: number } = {}): SchedStat[] {
  const first = new Map<string, SchedStat>();
  const moved: SchedStat[] = [];
  for (const m of run(roundTrips, opts, true).matchAll(/^schedstat (\d+) \d+ (\d+) (\d+)$/gm)) {
    const now = { runDelayNs: BigInt(m[2] as string), pcount: BigInt(m[3] as string) };
    const start = first.get(m[1] as string);
    if (start === undefined) first.set(m[1] as string, now);
    else moved.push({ runDelayNs: now.runDelayNs - start.runDelayNs, pcount: now.pcount - start.pcount });
  }
  return moved;
}

function run(roundTrips: number, opts: { cpu?: number }, schedstat: boolean): string {
  const argv = ['perl', '-e', PINGPONG, String(roundTrips), schedstat ? '1' : '0'];
  const [cmd, ...args] = opts.cpu === undefined ? argv : ['taskset', '-c', String(opts.cpu), ...argv];
  const r = spawnSync(cmd as string, args, { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) throw new Error(`ping-pong workload failed: ${r.error?.message ?? r.stderr}`);
  return r.stdout;
}

/** The kernel's context-switch count since boot (/proc/stat `ctxt`). */
export function procCtxt(): bigint {
  const m = /^ctxt (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
  if (m === null) throw new Error('/proc/stat has no ctxt line');
  return BigInt(m[1] as string);
}


/**
 * Two threads of one process ping-ponging: a Node worker thread and the main thread hand a turn back and
 * forth with Atomics.wait/notify on a SharedArrayBuffer (futex waits and wakes underneath). Each side waits
 * once per round trip. The child times only the loop (not Node's start-up) and counts the system's context
 * switches over it; `cpu` pins the whole process to one CPU.
 */
const THREADS = `
const { Worker } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const ctxt = () => BigInt(/^ctxt (\\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))[1]);
const n = Number(process.argv[1]);
const a = new Int32Array(new SharedArrayBuffer(8));
const w = new Worker(\`const { workerData } = require('node:worker_threads'); const a = new Int32Array(workerData);
for (;;) { while (Atomics.load(a, 0) === 0) Atomics.wait(a, 0, 0); if (a[1] === 1) break; Atomics.store(a, 0, 0); Atomics.notify(a, 0); }\`,
  { eval: true, workerData: a.buffer });
w.once('online', () => {
  const c0 = ctxt();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) { Atomics.store(a, 0, 1); Atomics.notify(a, 0); while (Atomics.load(a, 0) === 1) Atomics.wait(a, 0, 1); }
  const ns = process.hrtime.bigint() - t0;
  const switches = ctxt() - c0;
  a[1] = 1; Atomics.store(a, 0, 1); Atomics.notify(a, 0);
  w.once('exit', () => process.stdout.write(ns + ' ' + switches));
});
`;

/** threadPingPong's result: the loop's wall time and the context switches the system made meanwhile. */
export interface LoopRun {
  readonly ms: number;
  readonly switches: number;
}

/** Runs `roundTrips` round trips between two threads of a fresh Node process (see THREADS). */
export function threadPingPong(roundTrips: number, opts: { cpu?: number } = {}): LoopRun {
  const argv = [process.execPath, '-e', THREADS, String(roundTrips)];
  const [cmd, ...args] = opts.cpu === undefined ? argv : ['taskset', '-c', String(opts.cpu), ...argv];
  const r = spawnSync(cmd as string, args, { encoding: 'utf8' });
  const m = /^(\d+) (\d+)$/.exec(r.stdout);
  if (r.error !== undefined || r.status !== 0 || m === null) throw new Error(`thread ping-pong workload failed: ${r.error?.message ?? (r.stderr || r.stdout)}`);
  return { ms: Number(m[1]) / 1e6, switches: Number(m[2]) };
}
