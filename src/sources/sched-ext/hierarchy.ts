/**
 * The sub-schedulers below the root scheduler's directory (Linux 7.x, CONFIG_EXT_SUB_SCHED). The kernel
 * (kernel/sched/ext/ext.c, scx_alloc_and_add_sched()) names the root scheduler's kobject `root` and a
 * sub-scheduler's `sub-<cgroup id>`, added to its parent's `sub` kset; every scheduler's directory has the same
 * two files, `ops` and `events` (scx_sched_attrs), and `sub/` only when its ops implement `sub_attach`, that is,
 * when it can have children of its own:
 *
 *     root/{ops,events,sub/}
 *     root/sub/sub-28/{ops,events}
 *     root/sub/sub-28/sub/sub-31/{ops,events,sub/}
 *
 * A directory is created when its scheduler attaches and deleted when it detaches, with a new kernfs node (and
 * so a new inode number) each time, which is how a scheduler that detached and attached again between two reads
 * is told from one that stayed.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** One sub-scheduler's directory. */
export interface SubSchedulerDir {
  /** The cgroup id as the directory name spells it (a u64 in decimal; kept as text, it may not fit a double). */
  readonly cgroupId: string;
  readonly dir: string;
  /** The directory's inode: a different one at the same path is a new attachment. */
  readonly ino: bigint;
}

const SUB_DIR = /^sub-(\d+)$/;

/**
 * Every sub-scheduler under `schedDir` (the root scheduler's directory), parents before their children. A
 * directory that disappears while it is being read is left out: its scheduler is detaching.
 */
export async function subSchedulerDirs(schedDir: string): Promise<SubSchedulerDir[]> {
  const out: SubSchedulerDir[] = [];
  const visit = async (parent: string): Promise<void> => {
    let names: string[];
    try {
      names = (await readdir(join(parent, 'sub'), { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch (err) {
      if (gone(err)) return;
      throw err;
    }
    const subs = names.flatMap((name) => {
      const m = SUB_DIR.exec(name);
      return m === null ? [] : [{ name, id: m[1] as string }];
    });
    // By id, so series are created in the same order on every host whatever readdir's order.
    subs.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : BigInt(a.id) > BigInt(b.id) ? 1 : 0));
    for (const { name, id } of subs) {
      const dir = join(parent, 'sub', name);
      let ino: bigint;
      try {
        ino = (await stat(dir, { bigint: true })).ino;
      } catch (err) {
        if (gone(err)) continue;
        throw err;
      }
      out.push({ cgroupId: id, dir, ino });
      await visit(dir);
    }
  };
  await visit(schedDir);
  return out;
}

/** The error of a path that does not exist (any more). */
function gone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
