/**
 * Builds examples/scx-declared against the kernel tree, the way the tree builds its own schedulers: the stats
 * header from stats.ts through the project's own `gen-header`, the BPF side with clang-22 under
 * `-Wall -Werror` with the tree's scx headers, a skeleton from the tree's bpftool, and the loader linked with
 * the tree's libbpf. Rebuilt whenever the example's sources or the header generated from its declarations
 * change (the output folder is named by a hash of them).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KernelDirs } from './cache.js';
import type { SchedExtBuild } from './build.js';
import { LLVM_SUFFIX } from './packages.js';
import { Step } from './step.js';

export interface ExampleBuild {
  /** The loader binary: run it to load and attach the scheduler. */
  readonly binary: string;
  /** The generated header, as the BPF side included it. */
  readonly header: string;
}

export async function buildExample(dirs: KernelDirs, tree: SchedExtBuild, project: string): Promise<ExampleBuild> {
  const step: Step = new Step('build examples/scx-declared', join(dirs.logs, 'example-build.log'));
  return step.guard(() => build(step, dirs, tree, project));
}

async function build(step: Step, dirs: KernelDirs, tree: SchedExtBuild, project: string): Promise<ExampleBuild> {
  // The key is what the build consumes: the example's sources (by name within the example, so every clone
  // shares it) and the header gen-header writes now (whatever part of the project changed its layout).
  const header = join(dirs.root, `example-header-${process.pid}.h`);
  await step.run(process.execPath, [join(project, 'dist/src/cli.js'), 'gen-header', '--stats', join(project, 'dist/examples/scx-declared/stats.js'), '-o', header]);
  const hash = createHash('sha256').update(readFileSync(header));
  const srcDir = join(project, 'examples/scx-declared');
  for (const f of readdirSync(srcDir).filter((n) => /\.(c|ts)$/.test(n)).sort()) hash.update(f).update(readFileSync(join(srcDir, f)));
  const out = join(dirs.root, `example-${hash.digest('hex').slice(0, 12)}`);
  const built: ExampleBuild = { binary: join(out, 'scx_declared'), header: join(out, 'scx_declared_stats.h') };
  if (existsSync(join(out, '.done'))) {
    rmSync(header);
    return built;
  }
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  renameSync(header, built.header);
  const clang = `clang${LLVM_SUFFIX}`;
  const scxInclude = join(dirs.src, 'tools/sched_ext/include');
  // The tree's BPF_CFLAGS (tools/sched_ext/Makefile), with the system headers clang itself would search.
  const sysIncludes = (await step.run('sh', ['-c', `${clang} -v -E - </dev/null 2>&1 | sed -n '/<...> search starts here:/,/End of search list./{ s| \\(/.*\\)|\\1|p }'`]))
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((d) => ['-idirafter', d.trim()]);
  const bpfObj = join(out, 'scx_declared.bpf.o');
  await step.run(clang, [
    '-g', '-O2', '-mcpu=v3', '-target', 'bpf', '-D__TARGET_ARCH_x86', '-mlittle-endian',
    '-Wall', '-Werror', '-Wno-compare-distinct-pointer-types', '-Wno-microsoft-anon-tag', '-fms-extensions',
    '-I', scxInclude, '-I', join(scxInclude, 'bpf-compat'), '-I', tree.include, '-I', join(dirs.src, 'tools/include/uapi'),
    '-I', join(dirs.src, 'include'), '-I', out, ...sysIncludes,
    '-c', join(srcDir, 'scx_declared.bpf.c'), '-o', bpfObj,
  ]);
  const linked = join(out, 'scx_declared.bpf.linked.o');
  await step.run(tree.bpftool, ['gen', 'object', linked, bpfObj]);
  const skel = await step.run(tree.bpftool, ['gen', 'skeleton', linked, 'name', 'scx_declared']);
  writeFileSync(join(out, 'scx_declared.bpf.skel.h'), skel);
  await step.run(clang, [
    '-g', '-O2', '-Wall', '-Werror', '-pthread', '-Wno-unused-command-line-argument',
    '-I', tree.include, '-I', join(dirs.src, 'tools/lib'), '-I', join(dirs.src, 'tools/include'), '-I', join(dirs.src, 'tools/include/uapi'),
    '-I', scxInclude, '-I', out,
    join(srcDir, 'scx_declared.c'), tree.libbpf, '-lelf', '-lz', '-lpthread', '-o', built.binary,
  ]);
  writeFileSync(join(out, '.done'), new Date().toISOString());
  return built;
}
