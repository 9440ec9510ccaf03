/**
 * The real-kernel harness's own pieces, on the host: the Debian source it takes the archive's URI from, the
 * ELF section reader that extracts the guest's BTF, and, when the kernel is in the cache, a guest that hangs
 * (killed at its deadline) or cannot come up (one line naming the step and the console log).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { hostDebianUri } from './harness/debian.js';
import { elfSection } from './harness/kernel.js';
import { cacheRoot, kernelDirs, kernelFile, type KernelDirs } from './harness/cache.js';
import { buildInitramfs } from './harness/initramfs.js';
import { StepError } from './harness/step.js';
import { bootAndRun } from './harness/vm.js';
import type { TestContext } from 'node:test';
import { needPeer } from '../helpers/peers.js';

function aptDir(files: Record<string, string>): string {
  const etc = mkdtempSync(join(tmpdir(), 'apt-etc-'));
  mkdirSync(join(etc, 'sources.list.d'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(etc, name), text);
  return etc;
}

test("hostDebianUri: the machine's Debian archive from deb822 and one-line sources, never security or other archives", () => {
  const deb822 = aptDir({
    'sources.list.d/debian.sources': [
      'Types: deb',
      'URIs: http://mirror.example/debian-security',
      'Suites: bookworm-security',
      '',
      'Types: deb',
      'URIs: http://mirror.example/debian/',
      'Suites: bookworm bookworm-updates',
      'Components: main',
    ].join('\n'),
    'sources.list.d/other.list': 'deb https://packages.example/apt stable main\n',
  });
  assert.equal(hostDebianUri(deb822), 'http://mirror.example/debian');
  const oneLine = aptDir({ 'sources.list': '# comment\ndeb [signed-by=/k.gpg] http://other.example/debian bookworm main\n' });
  assert.equal(hostDebianUri(oneLine), 'http://other.example/debian');
  const disabled = aptDir({ 'sources.list.d/debian.sources': 'Types: deb\nURIs: http://mirror.example/debian\nEnabled: no\n' });
  assert.equal(hostDebianUri(disabled), undefined);
  assert.equal(hostDebianUri(aptDir({})), undefined);
});

test('elfSection: finds a named section of a real ELF64 object, undefined for a missing one or a non-ELF file', (t) => {
  if (!needPeer(t, spawnSync('cc', ['--version']).status === 0, 'cc to build an ELF object')) return;
  const dir = mkdtempSync(join(tmpdir(), 'elf-'));
  writeFileSync(join(dir, 'a.c'), '__attribute__((section(".scxtest"), used)) static const char mark[] = "scx-metrics-elf";\n');
  assert.equal(spawnSync('cc', ['-c', join(dir, 'a.c'), '-o', join(dir, 'a.o')]).status, 0);
  const elf = readFileSync(join(dir, 'a.o'));
  assert.equal(elfSection(elf, '.scxtest')?.toString('latin1'), 'scx-metrics-elf\0');
  assert.equal(elfSection(elf, '.BTF'), undefined);
  assert.equal(elfSection(Buffer.from('not an elf file at all, but long enough to read'), '.BTF'), undefined);
});

/** The newest kernel the harness has fetched (npm run test:kernel fills the cache; .ci/run runs it first). */
function cachedKernel(t: TestContext): KernelDirs | undefined {
  const versions = existsSync(cacheRoot) ? readdirSync(cacheRoot).filter((v) => existsSync(join(cacheRoot, v, 'pkg/.done'))).sort() : [];
  const v = versions.at(-1);
  const ok = v !== undefined && existsSync(kernelFile(kernelDirs(v), 'vmlinuz')) && spawnSync('qemu-system-x86_64', ['--version']).status === 0;
  if (!needPeer(t, ok, `a kernel in ${cacheRoot} and qemu-system-x86_64 (npm run test:kernel fetches them)`)) return undefined;
  return kernelDirs(v as string);
}

test('a guest that hangs is killed at its deadline: one line naming the step and the console log', async (t) => {
  const dirs = cachedKernel(t);
  if (dirs === undefined) return;
  const initramfs = await buildInitramfs(dirs);
  await assert.rejects(bootAndRun({ dirs, initramfs, script: 'sleep 600\n', deadlineMs: 60_000 }), (err: unknown) => {
    assert.ok(err instanceof StepError);
    assert.match(err.message, /^kernel harness: boot the guest failed \(killed: still running after 60 s \(deadline\)\); log: \/.*console\.log$/);
    assert.match(readFileSync(err.log, 'utf8'), /scx-guest: up/);
    return true;
  });
});

test('a guest that cannot come up (an initramfs that is not one) fails in one line naming the step and the console log', async (t) => {
  const dirs = cachedKernel(t);
  if (dirs === undefined) return;
  const bad = join(mkdtempSync(join(tmpdir(), 'initrd-')), 'garbage.cpio.gz');
  writeFileSync(bad, 'not an initramfs');
  await assert.rejects(bootAndRun({ dirs, initramfs: bad, script: 'true\n', deadlineMs: 120_000, bootMs: 100_000 }), (err: unknown) => {
    assert.ok(err instanceof StepError);
    assert.match(err.message, /^kernel harness: boot the guest failed \((the guest did not come up|killed: no "scx-guest: up" line).*\); log: \/.*console\.log$/);
    return true;
  });
});
