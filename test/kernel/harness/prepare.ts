/**
 * Everything a guest run needs, fetched and built once per kernel version (cached; see cache.ts): host
 * packages, the kernel and its source, tools/sched_ext, the initramfs; the example scheduler whenever it changes.
 */
import { join } from 'node:path';
import type { KernelDirs } from './cache.js';
import { buildSchedExt, type SchedExtBuild } from './build.js';
import { buildExample, type ExampleBuild } from './example.js';
import { buildInitramfs } from './initramfs.js';
import { fetchKernel } from './kernel.js';
import { ensurePackages } from './packages.js';

export interface Prepared {
  readonly dirs: KernelDirs;
  readonly config: Readonly<Record<string, string>>;
  readonly schedExt: SchedExtBuild;
  readonly example: ExampleBuild;
  readonly initramfs: string;
}

/** Runs the steps in order, each said on one line as it starts (to `say`), each failing with one line. */
export async function prepare(project: string, say: (line: string) => void): Promise<Prepared> {
  await ensurePackages();
  const t0 = Date.now();
  const { dirs, config } = await fetchKernel();
  const opts = Object.entries(config).map(([k, v]) => `${k}=${v}`).join(', ');
  say(`kernel: Debian unstable's Linux ${dirs.version} (${opts}); cache ${dirs.root}`);
  const schedExt = await buildSchedExt(dirs);
  const example = await buildExample(dirs, schedExt, project);
  const initramfs = await buildInitramfs(dirs);
  say(`artifacts ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (schedulers in ${schedExt.bin}; logs in ${join(dirs.root, 'logs')})`);
  return { dirs, config, schedExt, example, initramfs };
}
