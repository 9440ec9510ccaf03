/**
 * Linux capabilities by name and number (include/uapi/linux/capability.h), and the sets the agent keeps
 * after `--user`: parsing `CAP_BPF,CAP_PERFMON` and reading a process's sets from /proc/<pid>/status.
 */

/** Capability numbers, in the uapi's order (index = number). */
export const CAP_NAMES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

export type CapName = (typeof CAP_NAMES)[number];

/**
 * What following the running scheduler needs after the drop, each for the feature named (checked on Linux 7.2
 * in test/kernel/privilege.ktest.ts and docs/privilege.md):
 * - CAP_SYS_ADMIN: BPF_PROG_GET_NEXT_ID / _GET_FD_BY_ID and BPF_MAP_GET_FD_BY_ID, how a scheduler that starts
 *   later is found (the kernel asks for CAP_SYS_ADMIN itself, not CAP_BPF); it also makes bpf_capable() true,
 *   which the program's translated instructions (where .bss and arena globals are found) need.
 * - CAP_BPF, CAP_PERFMON: loading the built-in probe again when its first load failed (retried each interval).
 * - CAP_SYS_PTRACE: /proc/<pid>/fdinfo and maps of the loader (an arena without map_extra), and
 *   process_vm_readv of a second arena fixed at the same address (qmap's sub-scheduler).
 * - CAP_DAC_READ_SEARCH: opening a root-only bpffs pin again read-only (`--bpf-pin`) after a restart.
 */
export const FOLLOW_CAPS: readonly CapName[] = ['CAP_SYS_ADMIN', 'CAP_BPF', 'CAP_PERFMON', 'CAP_SYS_PTRACE', 'CAP_DAC_READ_SEARCH'];

/** The number of a capability name (`CAP_BPF` or `bpf`, any case), or undefined. */
export function capNumber(name: string): number | undefined {
  const upper = name.trim().toUpperCase();
  const i = CAP_NAMES.indexOf((upper.startsWith('CAP_') ? upper : `CAP_${upper}`) as CapName);
  return i < 0 ? undefined : i;
}

/** A set of capabilities as the kernel's 64-bit mask. */
export function capMask(names: readonly CapName[]): bigint {
  let m = 0n;
  for (const n of names) m |= 1n << BigInt(CAP_NAMES.indexOf(n));
  return m;
}

/** The names of the bits set in a mask (numbers past this table as `cap_<n>`). */
export function capNames(mask: bigint): string[] {
  const out: string[] = [];
  for (let i = 0; i < 64; i++) if (((mask >> BigInt(i)) & 1n) === 1n) out.push(CAP_NAMES[i] ?? `cap_${i}`);
  return out;
}

/**
 * Parses `--keep-caps`: `none`, or a comma-separated list of names (`CAP_BPF,CAP_PERFMON` or `bpf,perfmon`).
 * Throws an Error naming the unknown name and what is expected.
 */
export function parseCapList(text: string): CapName[] {
  if (text.trim().toLowerCase() === 'none') return [];
  const out: CapName[] = [];
  for (const part of text.split(',')) {
    const n = capNumber(part);
    if (n === undefined) throw new Error(`"${part.trim()}" is not a capability name (expected e.g. CAP_BPF,CAP_PERFMON, or none)`);
    const name = CAP_NAMES[n] as CapName;
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

/** A process's ids and capability sets, from the text of /proc/<pid>/status. */
export interface ProcessCreds {
  readonly uid: number;
  readonly gid: number;
  readonly groups: readonly number[];
  readonly effective: bigint;
  readonly permitted: bigint;
  readonly inheritable: bigint;
  readonly bounding: bigint;
  readonly ambient: bigint;
}

export function parseStatusCreds(text: string): ProcessCreds {
  const field = (name: string): string => {
    const m = new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(text);
    if (m === null) throw new Error(`no ${name} line in /proc/<pid>/status`);
    return (m[1] as string).trim();
  };
  const hex = (name: string): bigint => BigInt(`0x${field(name)}`);
  const ids = (name: string): number[] => field(name).split(/\s+/).filter((s) => s !== '').map(Number);
  return {
    uid: ids('Uid')[1] ?? NaN,
    gid: ids('Gid')[1] ?? NaN,
    groups: ids('Groups'),
    effective: hex('CapEff'),
    permitted: hex('CapPrm'),
    inheritable: hex('CapInh'),
    bounding: hex('CapBnd'),
    ambient: hex('CapAmb'),
  };
}
