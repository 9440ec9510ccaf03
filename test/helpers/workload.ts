/**
 * A context-switch-heavy workload: two processes passing one byte back and forth over a pair of pipes
 * (the classic lat_ctx ping-pong), written in Perl because perl-base is on every Debian system and needs no
 * build. Each round trip blocks and wakes each side once, so it costs at least two context switches.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const PINGPONG = `
my $n = shift;
pipe(my $r1, my $w1) or die; pipe(my $r2, my $w2) or die;
my $pid = fork() // die;
if ($pid == 0) { close $w1; close $r2; my $b; while (sysread($r1, $b, 1)) { syswrite($w2, $b, 1) } exit 0; }
close $r1; close $w2; my $b;
for (1..$n) { syswrite($w1, "x", 1); sysread($r2, $b, 1) == 1 or die "short read"; }
close $w1; waitpid($pid, 0);
`;

/**
 * Runs `roundTrips` ping-pong round trips and returns when both processes have exited. `cpu` pins both to one
 * CPU (taskset), so every round trip is two switches between them with no idle CPU in between.
 */
export function pingPong(roundTrips: number, opts: { cpu?: number } = {}): void {
  const argv = ['perl', '-e', PINGPONG, String(roundTrips)];
  const [cmd, ...args] = opts.cpu === undefined ? argv : ['taskset', '-c', String(opts.cpu), ...argv];
  const r = spawnSync(cmd as string, args, { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) throw new Error(`ping-pong workload failed: ${r.error?.message ?? r.stderr}`);
}

/** The kernel's context-switch count since boot (/proc/stat `ctxt`). */
export function procCtxt(): bigint {
  const m = /^ctxt (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
  if (m === null) throw new Error('/proc/stat has no ctxt line');
  return BigInt(m[1] as string);
}

