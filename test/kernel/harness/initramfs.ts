/**
 * The guest's initramfs: static busybox, the five modules that mount the host's root over 9p, and an init
 * that puts a tmpfs overlay over that root (so the guest can write without touching the host), moves the
 * kernel filesystems in, chroots, runs the share's `run.sh`, writes its exit status back to the share and
 * powers off. Node and the built project then run unchanged from the host's own root. The host's /tmp stays
 * visible (through the overlay, not a fresh tmpfs): a clone there (CI's) is what the guest runs.
 */
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { moduleDir, type KernelDirs } from './cache.js';
import { GUEST_MODULES } from './kernel.js';
import { Step } from './step.js';

const BUSYBOX = '/bin/busybox';

/** Where the results share is mounted inside the guest's root. */
export const GUEST_SHARE = '/scx-share';

const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in ${GUEST_MODULES.map((m) => m.split('/').at(-1)).join(' ')}; do insmod /lib/modules/$m.ko || { echo "scx-guest: insmod $m failed"; poweroff -f; }; done
mkdir -p /lower /rw /newroot
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose host /lower || { echo "scx-guest: mounting the host root failed"; poweroff -f; }
mount -t tmpfs -o size=1536m tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /newroot || { echo "scx-guest: overlay failed"; poweroff -f; }
mkdir -p /newroot${GUEST_SHARE}
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 share /newroot${GUEST_SHARE} || { echo "scx-guest: mounting the share failed"; poweroff -f; }
for d in proc sys dev; do mount --move /$d /newroot/$d; done
mount -t tmpfs tmpfs /newroot/run
mount -t tmpfs tmpfs /newroot/dev/shm 2>/dev/null
mkdir -p /newroot/dev/pts && mount -t devpts devpts /newroot/dev/pts
mount -t bpf bpf /newroot/sys/fs/bpf
mount -t cgroup2 none /newroot/sys/fs/cgroup
mount -t tracefs tracefs /newroot/sys/kernel/tracing 2>/dev/null
ip link set lo up
echo "scx-guest: up, kernel $(uname -r)"
chroot /newroot /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb LANG=C.UTF-8 /bin/sh ${GUEST_SHARE}/run.sh
echo $? > /newroot${GUEST_SHARE}/rc
sync
poweroff -f
`;

/** Builds (or reuses) the initramfs for this kernel; its name carries a hash of the init and module list. */
export async function buildInitramfs(dirs: KernelDirs): Promise<string> {
  const key = createHash('sha256').update(INIT).update(readFileSync(BUSYBOX)).digest('hex').slice(0, 12);
  const out = join(dirs.root, `initramfs-${key}.cpio.gz`);
  if (existsSync(out)) return out;
  const step: Step = new Step('build the initramfs', join(dirs.logs, 'initramfs.log'));
  if (!existsSync(BUSYBOX)) step.fail(`${BUSYBOX} is missing (Debian package busybox-static)`);
  await step.guard(() => writeTree(step, dirs, out));
  return out;
}

/** The initramfs's files, packed with cpio and gzipped into `out` (written whole, then renamed). */
async function writeTree(step: Step, dirs: KernelDirs, out: string): Promise<void> {
  const tree = join(dirs.root, 'initramfs.tree');
  rmSync(tree, { recursive: true, force: true });
  for (const d of ['bin', 'dev', 'proc', 'sys', 'lib/modules']) mkdirSync(join(tree, d), { recursive: true });
  copyFileSync(BUSYBOX, join(tree, 'bin/busybox'));
  chmodSync(join(tree, 'bin/busybox'), 0o755);
  writeFileSync(join(tree, 'init'), INIT, { mode: 0o755 });
  for (const m of GUEST_MODULES) {
    const name = m.split('/').at(-1) as string;
    await step.run('sh', ['-c', 'xz -dc "$0" > "$1"', join(moduleDir(dirs), `${m}.ko.xz`), join(tree, 'lib/modules', `${name}.ko`)]);
  }
  const cpio = join(dirs.root, 'initramfs.cpio');
  await step.run('sh', ['-c', 'cd "$0" && find . | LC_ALL=C sort | cpio -o -H newc --quiet > "$1"', tree, cpio]);
  writeFileSync(`${out}.tmp`, gzipSync(readFileSync(cpio)));
  renameSync(`${out}.tmp`, out);
  rmSync(cpio);
  rmSync(tree, { recursive: true, force: true });
}
