/**
 * Fetches Debian unstable's current kernel (image, config, modules) and its source, checks that it has
 * sched_ext, and extracts the guest's BTF. Each part is done once per kernel version and kept in the cache.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot, kernelDirs, kernelFile, moduleDir, type KernelDirs } from './cache.js';
import { PrivateApt, hostDebianUri } from './debian.js';
import { Step } from './step.js';

/** The kernel source parts tools/sched_ext's build needs (bpftool's disassembler is in kernel/bpf). */
const SOURCE_PARTS = ['tools', 'kernel/bpf', 'kernel/sched', 'include', 'arch/x86/include', 'scripts', 'Makefile'];

/** Modules the guest's initramfs loads, in order, to mount the host's root over 9p with an overlay. */
export const GUEST_MODULES = ['fs/netfs/netfs', 'net/9p/9pnet', 'net/9p/9pnet_virtio', 'fs/9p/9p', 'fs/overlayfs/overlay'];

const REQUIRED_CONFIG = ['CONFIG_SCHED_CLASS_EXT', 'CONFIG_DEBUG_INFO_BTF', 'CONFIG_BPF_SYSCALL', 'CONFIG_VIRTIO_PCI', 'CONFIG_SERIAL_8250_CONSOLE'];

/** What was fetched: where it is and what it has. */
export interface FetchedKernel {
  readonly dirs: KernelDirs;
  /** Config options of note (`CONFIG_EXT_SUB_SCHED=y` ...), for the line that says which kernel was taken. */
  readonly config: Readonly<Record<string, string>>;
}

/** sid's current amd64 kernel (what linux-image-amd64 depends on), or the cached one when the index is out of reach. */
async function currentVersion(step: Step, apt: PrivateApt): Promise<string> {
  try {
    await apt.update(step);
    const dep = await apt.field(step, 'linux-image-amd64', 'Depends');
    const version = /linux-image-(\S+-amd64)\b/.exec(dep ?? '')?.[1];
    if (version === undefined) step.fail(`linux-image-amd64 in sid names no kernel (Depends: ${dep ?? 'none'})`);
    return version;
  } catch (err) {
    const cached = cachedVersion();
    if (cached === undefined) throw err;
    step.note(`package index unavailable; using the cached kernel ${cached}`);
    return cached;
  }
}

const done = (dir: string): string => join(dir, '.done');

/** The newest version already in the cache, for a run whose package index cannot be fetched. */
function cachedVersion(): string | undefined {
  if (!existsSync(cacheRoot)) return undefined;
  const vs = readdirSync(cacheRoot).filter((v) => existsSync(done(join(cacheRoot, v, 'pkg'))));
  return vs.sort().at(-1);
}

export async function fetchKernel(): Promise<FetchedKernel> {
  const logs = join(cacheRoot, 'logs');
  const step: Step = new Step('fetch the kernel (Debian unstable)', join(logs, 'fetch.log'));
  const uri = hostDebianUri();
  if (uri === undefined) step.fail("no Debian source in /etc/apt to take the archive's URI from");
  const apt = new PrivateApt(join(cacheRoot, 'apt'), uri);
  const version = await currentVersion(step, apt);
  const dirs = kernelDirs(version);
  await step.guard(() => mkdirSync(dirs.root, { recursive: true }));
  if (!existsSync(done(dirs.pkg))) await step.guard(async () => {
    // One folder per version: linux-source-7.2 is one name for every 7.2 upload, and an older one must not be taken.
    const debs = join(cacheRoot, 'debs', version);
    const series = sourceSeries(version);
    const binary = (await apt.field(step, `linux-binary-${version}`, 'Version')) !== undefined;
    // Since 7.x the image is split into binary, base and modules; before, linux-image-* held them all.
    const pkgs = binary ? [`linux-binary-${version}`, `linux-base-${version}`, `linux-modules-${version}`] : [`linux-image-${version}`];
    await apt.download(step, debs, [...pkgs, `linux-source-${series}`]);
    const tmp = `${dirs.pkg}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    for (const p of pkgs) await step.run('dpkg-deb', ['-x', debFile(debs, p), tmp]);
    rmSync(dirs.pkg, { recursive: true, force: true });
    renameSync(tmp, dirs.pkg);
    writeFileSync(done(dirs.pkg), version);
  });
  const config = checkConfig(step, dirs);
  if (!existsSync(done(dirs.src))) await step.guard(() => extractSource(step, dirs, join(cacheRoot, 'debs', version), `linux-source-${sourceSeries(version)}`));
  if (!existsSync(dirs.btf)) await step.guard(() => extractBtf(step, dirs));
  return { dirs, config };
}

/** `7.2` of `7.2.13+deb14-amd64`: linux-source packages are named by series. */
function sourceSeries(version: string): string {
  return /^(\d+\.\d+)/.exec(version)?.[1] ?? version;
}

function debFile(dir: string, pkg: string): string {
  const f = readdirSync(dir).filter((n) => n.startsWith(`${pkg}_`) && n.endsWith('.deb')).sort().at(-1);
  if (f === undefined) throw new Error(`${pkg}: no .deb in ${dir}`);
  return join(dir, f);
}

/** Fails unless the config has sched_ext and what the guest needs; returns the options worth saying. */
function checkConfig(step: Step, dirs: KernelDirs): Record<string, string> {
  const path = kernelFile(dirs, 'config');
  if (!existsSync(path)) step.fail(`${path} is missing from the kernel packages`);
  const text = readFileSync(path, 'utf8');
  const value = (opt: string): string => new RegExp(`^${opt}=(\\S+)`, 'm').exec(text)?.[1] ?? 'n';
  for (const opt of REQUIRED_CONFIG) if (value(opt) !== 'y') step.fail(`${dirs.version}'s config has ${opt}=${value(opt)}; the real-kernel tests need =y`);
  for (const m of GUEST_MODULES) if (!existsSync(join(moduleDir(dirs), `${m}.ko.xz`))) step.fail(`module ${m}.ko.xz is not in ${dirs.version}'s modules`);
  const out: Record<string, string> = {};
  for (const opt of ['CONFIG_SCHED_CLASS_EXT', 'CONFIG_EXT_SUB_SCHED', 'CONFIG_SCHED_INFO', 'CONFIG_SCHEDSTATS']) out[opt] = value(opt);
  return out;
}

async function extractSource(step: Step, dirs: KernelDirs, debs: string, pkg: string): Promise<void> {
  const tmp = `${dirs.src}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  await step.run('dpkg-deb', ['-x', debFile(debs, pkg), `${tmp}/deb`]);
  const tarball = readdirSync(join(tmp, 'deb/usr/src')).find((n) => n.endsWith('.tar.xz'));
  if (tarball === undefined) step.fail(`${pkg} holds no source tarball`);
  const top = tarball.replace(/\.tar\.xz$/, '');
  await step.run('tar', ['-xJf', join(tmp, 'deb/usr/src', tarball), '-C', tmp, ...SOURCE_PARTS.map((p) => `${top}/${p}`)]);
  rmSync(dirs.src, { recursive: true, force: true });
  renameSync(join(tmp, top), dirs.src);
  rmSync(tmp, { recursive: true, force: true });
  writeFileSync(done(dirs.src), pkg);
}

/**
 * The guest's BTF without booting it: the `.BTF` section of the vmlinux inside vmlinuz (the bytes the guest
 * serves as /sys/kernel/btf/vmlinux). The kernel tree's extract-vmlinux unpacks the image.
 */
async function extractBtf(step: Step, dirs: KernelDirs): Promise<void> {
  const vmlinux = join(dirs.root, 'vmlinux');
  await step.run('sh', ['-c', `"$0" "$1" > "$2"`, join(dirs.src, 'scripts/extract-vmlinux'), kernelFile(dirs, 'vmlinuz'), vmlinux]);
  const btf = elfSection(readFileSync(vmlinux), '.BTF');
  if (btf === undefined) step.fail(`${vmlinux} has no .BTF section`);
  // Written whole, then renamed: a run killed midway must not leave a short file the next run takes as done.
  writeFileSync(`${dirs.btf}.tmp`, btf);
  renameSync(`${dirs.btf}.tmp`, dirs.btf);
  rmSync(vmlinux);
}

/** A section's bytes from a little-endian ELF64 file. */
export function elfSection(elf: Buffer, name: string): Buffer | undefined {
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) return undefined;
  const shoff = Number(elf.readBigUInt64LE(0x28));
  const shentsize = elf.readUInt16LE(0x3a);
  const shnum = elf.readUInt16LE(0x3c);
  const shstrndx = elf.readUInt16LE(0x3e);
  const header = (i: number): { name: number; offset: number; size: number } => {
    const at = shoff + i * shentsize;
    return { name: elf.readUInt32LE(at), offset: Number(elf.readBigUInt64LE(at + 0x18)), size: Number(elf.readBigUInt64LE(at + 0x20)) };
  };
  const strtab = header(shstrndx);
  for (let i = 0; i < shnum; i++) {
    const h = header(i);
    const start = strtab.offset + h.name;
    const n = elf.toString('latin1', start, elf.indexOf(0, start));
    if (n === name) return elf.subarray(h.offset, h.offset + h.size);
  }
  return undefined;
}
