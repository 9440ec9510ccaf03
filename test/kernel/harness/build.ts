/**
 * Builds the kernel tree's tools/sched_ext (its own libbpf and bpftool, then scx_simple, scx_central,
 * scx_flatcg, scx_qmap, ...) against the guest's BTF, with clang-22. Once per kernel version.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { KernelDirs } from './cache.js';
import { LLVM_SUFFIX } from './packages.js';
import { Step } from './step.js';

/** What the guest tests use from the build. */
export interface SchedExtBuild {
  /** scx_simple, scx_central, ... */
  readonly bin: string;
  /** The tree's bpftool, new enough for the guest's maps (arena, struct_ops). */
  readonly bpftool: string;
  /** Headers (libbpf's, vmlinux.h) and libbpf.a, for building the example scheduler against the same tree. */
  readonly include: string;
  readonly libbpf: string;
}

export function schedExtBuild(dirs: KernelDirs): SchedExtBuild {
  const b = join(dirs.schedExt, 'build');
  return { bin: join(b, 'bin'), bpftool: join(b, 'sbin/bpftool'), include: join(b, 'include'), libbpf: join(b, 'obj/libbpf/libbpf.a') };
}

export async function buildSchedExt(dirs: KernelDirs): Promise<SchedExtBuild> {
  const out = schedExtBuild(dirs);
  const stamp = join(dirs.schedExt, '.done');
  if (existsSync(stamp)) return out;
  const step: Step = new Step('build tools/sched_ext', join(dirs.logs, 'sched_ext-build.log'));
  await step.guard(() => {
    rmSync(dirs.schedExt, { recursive: true, force: true });
    mkdirSync(dirs.schedExt, { recursive: true });
  });
  await step.run('make', ['-j', String(cpus().length), `LLVM=${LLVM_SUFFIX}`, `VMLINUX_BTF=${dirs.btf}`, `O=${dirs.schedExt}`], {
    cwd: join(dirs.src, 'tools/sched_ext'),
  });
  for (const s of ['scx_simple', 'scx_central', 'scx_flatcg', 'scx_qmap']) if (!existsSync(join(out.bin, s))) step.fail(`${s} was not built`);
  if (!existsSync(out.bpftool)) step.fail('bpftool was not built');
  writeFileSync(stamp, new Date().toISOString());
  return out;
}
