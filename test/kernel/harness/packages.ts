/**
 * The Debian packages the harness needs on the host, installed with apt-get when missing (as root; otherwise
 * the step fails naming them). clang-22 builds the whole tools/sched_ext tree, scx_qmap included: with
 * clang 19, 7.2's scx_qmap (counters in a BPF arena) is refused by the verifier (real-kernel.md).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cacheRoot } from './cache.js';
import { Step } from './step.js';

export const LLVM_SUFFIX = '-22';

export const HOST_PACKAGES = [
  'qemu-system-x86', 'busybox-static', 'cpio', 'xz-utils', 'zstd',
  `clang${LLVM_SUFFIX}`, `llvm${LLVM_SUFFIX}`, `lld${LLVM_SUFFIX}`, 'libelf-dev', 'zlib1g-dev', 'make', 'pkg-config',
];

function installed(pkg: string): boolean {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

export async function ensurePackages(): Promise<void> {
  const missing = HOST_PACKAGES.filter((p) => !installed(p));
  if (missing.length === 0) return;
  const step: Step = new Step('install host packages', join(cacheRoot, 'logs', 'packages.log'));
  if (process.getuid?.() !== 0) step.fail(`missing ${missing.join(' ')}; install them (apt-get install) or run as root`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await step.run('apt-get', ['update', '-qq'], { env });
  await step.run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
}
