/**
 * Whether this process may load tracing BPF programs: CAP_BPF with CAP_PERFMON (Linux >= 5.8), or
 * CAP_SYS_ADMIN (which implies both, and is what older kernels ask for). Read from /proc/self/status so the
 * probe can decide before touching bpf(2), and say once what is missing.
 */
import { readFileSync } from 'node:fs';

const CAP_SYS_ADMIN = 21n;
const CAP_PERFMON = 38n;
const CAP_BPF = 39n;

/** The effective capability set from the text of /proc/<pid>/status (`CapEff:` in hex). */
export function effectiveCaps(statusText: string): bigint {
  const m = /^CapEff:\s*([0-9a-fA-F]+)\s*$/m.exec(statusText);
  if (m === null) throw new Error('no CapEff line in /proc/self/status');
  return BigInt(`0x${m[1]}`);
}

const has = (caps: bigint, cap: bigint): boolean => ((caps >> cap) & 1n) === 1n;

/** Undefined when the capabilities allow loading the probe, else what is missing (for one log line). */
export function missingForProbe(caps: bigint): string | undefined {
  if (has(caps, CAP_SYS_ADMIN) || (has(caps, CAP_BPF) && has(caps, CAP_PERFMON))) return undefined;
  const lack = [!has(caps, CAP_BPF) && 'CAP_BPF', !has(caps, CAP_PERFMON) && 'CAP_PERFMON'].filter((x) => x !== false);
  return `${lack.join(' and ')} (root has them)`;
}

/** missingForProbe for this process. */
export function probePrivilegeProblem(statusPath = '/proc/self/status'): string | undefined {
  return missingForProbe(effectiveCaps(readFileSync(statusPath, 'utf8')));
}
