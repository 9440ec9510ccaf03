/**
 * Builds examples/scx-declared against the kernel tree, the way the tree builds its own schedulers: the stats
 * header from stats.ts through the project's own `gen-header`, the BPF side with clang-22 under
 * `-Wall -Werror` with the tree's scx headers, a skeleton from the tree's bpftool, and the loader linked with
 * the tree's libbpf. Rebuilt whenever the example, its declarations or the header generator change (the
 * output folder is named by a hash of them).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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

/** Every file whose change must rebuild the example: its sources, its declarations, the generator. */
function inputs(project: string): string[] {
  const ex = join(project, 'examples/scx-declared');
  const gen = join(project, 'dist/src/codegen');
  return [
    ...readdirSync(ex).filter((f) => /\.(c|ts)$/.test(f)).map((f) => join(ex, f)),
    ...readdirSync(gen).filter((f) => f.endsWith('.js')).map((f) => join(gen, f)),
  ].sort();
}

export async function buildExample(dirs: KernelDirs, tree: SchedExtBuild, project: string): Promise<ExampleBuild> {
  const hash = createHash('sha256');
  for (const f of inputs(project)) hash.update(f).update(readFileSync(f));
  const out = join(dirs.root, `example-${hash.digest('hex').slice(0, 12)}`);
  const built: ExampleBuild = { binary: join(out, 'scx_declared'), header: join(out, 'scx_declared_stats.h') };
  if (existsSync(join(out, '.done'))) return built;
  const step: Step = new Step('build examples/scx-declared', join(dirs.logs, 'example-build.log'));
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const src = join(project, 'examples/scx-declared');
  const clang = `clang${LLVM_SUFFIX}`;
  const scxInclude = join(dirs.src, 'tools/sched_ext/include');
  await step.run(process.execPath, [join(project, 'dist/src/cli.js'), 'gen-header', '--stats', join(project, 'dist/examples/scx-declared/stats.js'), '-o', built.header]);
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
    '-c', join(src, 'scx_declared.bpf.c'), '-o', bpfObj,
  ]);
  const linked = join(out, 'scx_declared.bpf.linked.o');
  await step.run(tree.bpftool, ['gen', 'object', linked, bpfObj]);
  const skel = await step.run(tree.bpftool, ['gen', 'skeleton', linked, 'name', 'scx_declared']);
  writeFileSync(join(out, 'scx_declared.bpf.skel.h'), skel);
  await step.run(clang, [
    '-g', '-O2', '-Wall', '-Werror', '-pthread', '-Wno-unused-command-line-argument',
    '-I', tree.include, '-I', join(dirs.src, 'tools/lib'), '-I', join(dirs.src, 'tools/include'), '-I', join(dirs.src, 'tools/include/uapi'),
    '-I', scxInclude, '-I', out,
    join(src, 'scx_declared.c'), tree.libbpf, '-lelf', '-lz', '-lpthread', '-o', built.binary,
  ]);
  writeFileSync(join(out, '.done'), new Date().toISOString());
  return built;
}
