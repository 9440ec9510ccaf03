/**
 * `npm run test:kernel`: prepares a real sched_ext kernel (prepare.ts), boots it under QEMU and runs the
 * real-kernel tests (dist/test/kernel/*.ktest.js) with node's test runner inside it, as root, printing the
 * runner's output as it comes. Arguments go to `node --test` (`-- --test-name-pattern=simple`).
 *
 * A step that fails prints one line naming the step and its log. Outside CI the suite is then skipped with
 * that line (exit 0); under CI=true it fails (exit 1).
 */
import { readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepare } from './prepare.js';
import { StepError } from './step.js';
import { GUEST_SHARE } from './initramfs.js';
import { bootAndRun } from './vm.js';

const inCI = process.env.CI === 'true';
/** The clone's root (this file is dist/test/kernel/harness/main.js). */
const project = resolve(fileURLToPath(new URL('../../../..', import.meta.url)));
const KERNEL_FEATURE_TESTS = ['dist/test/sources/bpf/arena.test.js'];
const say = (line: string): void => void process.stdout.write(`# ${line}\n`);

/** The environment the guest tests read: see test/kernel/guest.ts. */
function guestScript(testArgs: readonly string[], files: readonly string[], env: Record<string, string>): string {
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  return [
    'set -u',
    ...Object.entries(env).map(([k, v]) => `export ${k}=${q(v)}`),
    `cd ${q(project)}`,
    `node --test --test-concurrency=1 --test-reporter=spec ${testArgs.map(q).join(' ')} ${files.map(q).join(' ')}`,
    '',
  ].join('\n');
}

async function main(): Promise<number> {
  const started = Date.now();
  const testDir = join(project, 'dist/test/kernel');
  // With the real-kernel tests, the host tests that need a kernel feature this host lacks (BPF arenas: the
  // host refuses to create one) and skip on it with a line: here they run for real.
  const ktests = readdirSync(testDir).filter((f) => f.endsWith('.ktest.js')).sort().map((f) => join('dist/test/kernel', f));
  if (ktests.length === 0) throw new Error(`no real-kernel tests under ${testDir}`);
  if (process.getuid?.() !== 0) throw new Error('needs root: it installs host packages, writes its cache under /var/cache, boots QEMU and loads BPF in the guest');
  const files = [...ktests, ...KERNEL_FEATURE_TESTS];
  const p = await prepare(project, say);
  const env: Record<string, string> = {
    SCX_KERNEL_BIN: p.schedExt.bin,
    SCX_KERNEL_BPFTOOL: p.schedExt.bpftool,
    SCX_KERNEL_SRC: p.dirs.src,
    SCX_KERNEL_EXAMPLE: p.example.binary,
    SCX_KERNEL_SHARE: GUEST_SHARE,
    CI: process.env.CI ?? '',
    NO_COLOR: '1',
  };
  say(`booting ${p.dirs.version} under QEMU (TCG) to run ${files.length} test files`);
  const r = await bootAndRun({
    dirs: p.dirs,
    initramfs: p.initramfs,
    script: guestScript(process.argv.slice(2), files, env),
    deadlineMs: Number(process.env.SCX_KERNEL_DEADLINE_S ?? 1800) * 1000,
    onOutput: (chunk) => process.stdout.write(chunk),
  });
  const took = `${((Date.now() - started) / 1000).toFixed(0)} s in all`;
  if (r.status === 0) {
    rmSync(r.share, { recursive: true, force: true });
    say(`guest finished with status 0 after ${took}`);
  } else say(`guest finished with status ${r.status} after ${took} (console log ${r.consoleLog})`);
  return r.status;
}

main().then(
  (status) => process.exit(status),
  (err: unknown) => {
    const line = err instanceof StepError ? err.message : `kernel harness: ${(err as Error).message}`;
    process.stderr.write(`${line}\n`);
    if (inCI) process.exit(1);
    process.stdout.write(`# skipped: the real-kernel suite (${line})\n`);
    process.exit(0);
  },
);
