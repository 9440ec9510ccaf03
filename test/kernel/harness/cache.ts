/**
 * Where the harness keeps what it fetched and built: outside the clone (a fresh clone reuses it), one folder
 * per kernel version, so a warm run costs only the boots. `SCX_KERNEL_CACHE` moves it.
 */
import { join } from 'node:path';

export const cacheRoot = process.env.SCX_KERNEL_CACHE ?? '/var/cache/scx-metrics-kernel';

/** The folders of one kernel version's artifacts. */
export interface KernelDirs {
  /** The kernel version string, e.g. `7.2.13+deb14-amd64` (what `uname -r` says in the guest). */
  readonly version: string;
  readonly root: string;
  /** The extracted linux-binary/linux-base/linux-modules packages. */
  readonly pkg: string;
  /** The extracted kernel source (the parts the builds need). */
  readonly src: string;
  /** The guest's BTF, as /sys/kernel/btf/vmlinux will show it. */
  readonly btf: string;
  /** tools/sched_ext's output: build/bin/scx_*, build/sbin/bpftool. */
  readonly schedExt: string;
  readonly initramfs: string;
  readonly logs: string;
}

export function kernelDirs(version: string): KernelDirs {
  const root = join(cacheRoot, version);
  return {
    version,
    root,
    pkg: join(root, 'pkg'),
    src: join(root, 'src'),
    btf: join(root, 'vmlinux.btf'),
    schedExt: join(root, 'sched_ext'),
    initramfs: join(root, 'initramfs.cpio.gz'),
    logs: join(root, 'logs'),
  };
}

/** The kernel image and its files inside the extracted packages. */
export function kernelFile(d: KernelDirs, name: 'vmlinuz' | 'config' | 'System.map'): string {
  return join(d.pkg, 'usr/lib/modules', d.version, name);
}

export function moduleDir(d: KernelDirs): string {
  return join(d.pkg, 'usr/lib/modules', d.version, 'kernel');
}
