import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CgroupPaths, DEFAULT_CGROUP_ROOT, cgroup2Mount } from '../../../src/sources/sched-ext/cgroup-paths.js';

test('cgroup2Mount: the cgroup2 mount of a hybrid host, of a unified one, an escaped mount point, none', () => {
  // A hybrid host's /proc/self/mountinfo (this machine's): v1 hierarchies on a tmpfs, cgroup2 at unified/.
  const hybrid = [
    '30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
    '31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
    '39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd',
    '40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
  ].join('\n');
  assert.equal(cgroup2Mount(hybrid), '/sys/fs/cgroup/unified');
  assert.equal(cgroup2Mount('35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n'), '/sys/fs/cgroup');
  assert.equal(cgroup2Mount('99 1 0:50 / /mnt/my\\040cgroups rw - cgroup2 none rw\n'), '/mnt/my cgroups');
  assert.equal(cgroup2Mount('30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw\n'), undefined);
  assert.equal(DEFAULT_CGROUP_ROOT, '/sys/fs/cgroup');
});

test('CgroupPaths: ids (directory inodes) to paths as cgroup_path() writes them, one walk for several, cached until forgotten', async () => {
  const root = mkdtempSync(join(tmpdir(), 'scx-metrics-cgroup-'));
  try {
    for (const d of ['a/b/c', 'a/d', 'e']) mkdirSync(join(root, d), { recursive: true });
    const id = (d: string): string => String(statSync(join(root, d)).ino);
    const paths = new CgroupPaths(root);
    const got = await paths.resolve([id('a/b/c'), id('e'), '4000000000', id('a')]);
    assert.deepEqual([...got], [
      [id('a/b/c'), '/a/b/c'],
      [id('e'), '/e'],
      ['4000000000', ''],
      [id('a'), '/a'],
    ]);
    assert.equal(paths.where, root);
    // Cached: the answer stays after the directory is gone, until the id is forgotten.
    const c = id('a/b/c');
    rmSync(join(root, 'a/b/c'), { recursive: true });
    assert.equal((await paths.resolve([c])).get(c), '/a/b/c');
    paths.forget(c);
    assert.equal((await paths.resolve([c])).get(c), '');
    // A missing root is not an error: nothing is found.
    assert.equal((await new CgroupPaths(join(root, 'missing')).resolve(['12'])).get('12'), '');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
