/**
 * cgroup ids to cgroup paths. A sub-scheduler's sysfs directory is named by its cgroup's id only
 * (`sub-<cgroup_id()>`), and the kernel keeps the path to itself (`sch->cgrp_path` is not in sysfs). On cgroup2
 * the id is the kernfs node id, and on 64-bit kernels that is the inode number of the cgroup's directory
 * (include/linux/kernfs.h `kernfs_id_ino()`: "id is ino if ino_t is 64bit; otherwise, low 32bits"), so walking
 * the cgroup2 mount and comparing directory inodes finds the path. (On 32-bit kernels the id carries a
 * generation in its high bits and matching the low bits alone could name the wrong cgroup; there the path
 * stays unknown.)
 *
 * The walk stays on the filesystem it starts on: on a hybrid host /sys/fs/cgroup is a tmpfs holding cgroup v1
 * hierarchies, whose directories have small kernfs inode numbers too and would give wrong answers. That is also
 * why the default root is the cgroup2 mount named in /proc/self/mountinfo (/sys/fs/cgroup/unified there), and
 * /sys/fs/cgroup only when none is listed.
 *
 * A walk touches every cgroup directory, which on a systemd host is hundreds, so each id is looked up once and
 * kept until `forget(id)` (the source forgets a sub-scheduler's id when it leaves). Ids asked for together share
 * one walk. An id not found (the cgroup is hidden in a container) is kept as unknown too, so it does not cost a
 * walk every interval.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export const DEFAULT_CGROUP_ROOT = '/sys/fs/cgroup';

/**
 * The mount point of the cgroup2 filesystem in a /proc/<pid>/mountinfo text, or undefined when none is
 * mounted. Mount points are written with octal escapes (`\040` for a space).
 */
export function cgroup2Mount(mountinfo: string): string | undefined {
  for (const line of mountinfo.split('\n')) {
    // `<id> <parent> <maj:min> <root> <mount point> <options> [optional fields] - <fstype> <source> <super options>`
    const [mine, theirs] = line.split(' - ');
    if (theirs === undefined || theirs.split(' ')[0] !== 'cgroup2') continue;
    const point = mine?.split(' ')[4];
    if (point !== undefined) return point.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  }
  return undefined;
}

export class CgroupPaths {
  private root: string | undefined;
  /** By id as sysfs spells it; '' for not found. */
  private readonly known = new Map<string, string>();

  /** `root`: where cgroup2 is mounted; default: found in /proc/self/mountinfo. */
  constructor(root?: string) {
    this.root = root;
  }

  /** The directory walked (after the first `resolve` when it is found from mountinfo). */
  get where(): string {
    return this.root ?? DEFAULT_CGROUP_ROOT;
  }

  /**
   * The paths of these ids relative to the cgroup2 root, as the kernel's `cgroup_path()` writes them
   * (`/work/batch`), or '' when not found. Ids not yet known are found in one walk.
   */
  async resolve(ids: readonly string[]): Promise<ReadonlyMap<string, string>> {
    const wanted = new Map<bigint, string>();
    for (const id of ids) if (!this.known.has(id) && /^\d+$/.test(id)) wanted.set(BigInt(id), id);
    if (wanted.size > 0) {
      for (const [, id] of wanted) this.known.set(id, '');
      await this.walk(wanted);
    }
    const out = new Map<string, string>();
    for (const id of ids) out.set(id, this.known.get(id) ?? '');
    return out;
  }

  /** Drops a cached answer, so the id is looked up again when it is asked for next. */
  forget(id: string): void {
    this.known.delete(id);
  }

  private async mount(): Promise<string> {
    if (this.root === undefined) {
      let found: string | undefined;
      try {
        found = cgroup2Mount(await readFile('/proc/self/mountinfo', 'utf8'));
      } catch {
        // No /proc: the default is the best guess.
      }
      this.root = found ?? DEFAULT_CGROUP_ROOT;
    }
    return this.root;
  }

  /** Breadth-first from the root; stops once every wanted id is found. Directories that vanish meanwhile are skipped. */
  private async walk(wanted: Map<bigint, string>): Promise<void> {
    const root = await this.mount();
    let dev: bigint | undefined;
    let level: { dir: string; rel: string }[] = [{ dir: root, rel: '/' }];
    while (level.length > 0 && wanted.size > 0) {
      const next: { dir: string; rel: string }[] = [];
      for (const { dir, rel } of level) {
        let st;
        try {
          st = await stat(dir, { bigint: true });
        } catch {
          continue;
        }
        dev ??= st.dev;
        if (st.dev !== dev) continue;
        const name = wanted.get(st.ino);
        if (name !== undefined) {
          this.known.set(name, rel);
          wanted.delete(st.ino);
          if (wanted.size === 0) return;
        }
        let entries;
        try {
          entries = await readdir(dir, { withFileTypes: true });
        } catch {
          continue;
        }
        // Dirent says whether an entry is a directory without following symlinks, so the walk cannot loop.
        for (const e of entries) if (e.isDirectory()) next.push({ dir: join(dir, e.name), rel: rel === '/' ? `/${e.name}` : `${rel}/${e.name}` });
      }
      level = next;
    }
  }
}
