import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LocateError, locate, stillThere } from '../../../src/sources/bpf/discover.js';
import { planMaps } from '../../../src/bpf-layout/layout.js';
import { BpfMap, MapType, permissionHint } from '../../../src/sources/bpf/sys.js';
import { rusty } from '../../../profiles/index.js';
import { exited, waitFor } from '../../helpers/cli.js';
import { needRoot } from '../../helpers/peers.js';
import { NOBODY, nobodyPath } from '../../helpers/unprivileged.js';
import { mountBpffs } from './fixtures.js';

const plan = planMaps(rusty.stats)[0];
if (plan === undefined) throw new Error('rusty has a stats map');

function rustyMap(): BpfMap {
  return BpfMap.create({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 17, name: 'stats' });
}

/** Runs `f` with BpfMap.fromPin wrapped: `after` runs once, right after the first open returns. */
function afterFirstOpen<T>(after: (path: string) => void, f: () => T): T {
  const original = BpfMap.fromPin.bind(BpfMap);
  let done = false;
  BpfMap.fromPin = (path, opts) => {
    const map = original(path, opts);
    if (!done) {
      done = true;
      after(path);
    }
    return map;
  };
  try {
    return f();
  } finally {
    BpfMap.fromPin = original;
  }
}

const openFds = (): number => readdirSync('/proc/self/fd').length;

test('pin replaced between the open and the inode check: the map kept is the one the pin names now', (t) => {
  if (!needRoot(t)) return;
  const fs = mountBpffs();
  const old = rustyMap();
  const next = rustyMap();
  try {
    const path = join(fs.dir, 'stats');
    old.pin(path);
    const loc = afterFirstOpen(
      (p) => {
        rmSync(p);
        next.pin(p);
      },
      () => locate(plan, { kind: 'pin', path }, { writable: 'no', profile: 'rusty' }),
    );
    try {
      assert.equal(loc.map.info.id, next.info.id, 'the map opened is the one now pinned, not the replaced one');
      assert.equal(stillThere(loc), true);
    } finally {
      loc.map.close();
    }
  } finally {
    old.close();
    next.close();
    fs.cleanup();
  }
});

test('pin removed right after the open: one clear error and no fd left open', (t) => {
  if (!needRoot(t)) return;
  const fs = mountBpffs();
  const map = rustyMap();
  try {
    const path = join(fs.dir, 'stats');
    map.pin(path);
    const before = openFds();
    assert.throws(
      () => afterFirstOpen((p) => rmSync(p), () => locate(plan, { kind: 'pin', path }, { writable: 'no', profile: 'rusty' })),
      (e: unknown) => e instanceof LocateError && e.message === `no pinned map at ${path}`,
    );
    assert.equal(openFds(), before, 'the fd of the map opened before the pin vanished is closed');
  } finally {
    map.close();
    fs.cleanup();
  }
});

test('a map of the wrong shape: one line naming map, profile, expected and found', (t) => {
  if (!needRoot(t)) return;
  const fs = mountBpffs();
  const map = BpfMap.create({ type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 17, name: 'stats' });
  try {
    const path = join(fs.dir, 'stats');
    map.pin(path);
    const before = openFds();
    assert.throws(
      () => locate(plan, { kind: 'pin', path }, { writable: 'no', profile: 'rusty' }),
      (e: unknown) =>
        e instanceof LocateError &&
        e.namesMap &&
        e.message ===
          `map "stats" (id ${map.info.id}) does not fit profile rusty (percpu_array layout): expected type percpu_array, value size 8, found type array, value size 4`,
    );
    assert.equal(openFds(), before);
  } finally {
    map.close();
    fs.cleanup();
  }
});

test('--bpf-reset-on-read on a read-only pin, unprivileged: says it needs write access to the pin', async (t) => {
  if (!needRoot(t)) return; // root to switch to nobody
  const fs = mountBpffs();
  const map = rustyMap();
  const path = join(fs.dir, 'stats');
  map.pin(path);
  chmodSync(path, 0o644);
  const args = ['run', '--scheduler', 'rusty', '--bpf-pin', path, '--bpf-reset-on-read', '--report', 'json', '--interval', '0.2', '--no-host'];
  const child = spawn(process.execPath, [nobodyPath('dist/src/cli.js'), ...args], { uid: NOBODY, gid: NOBODY });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  try {
    await waitFor(() => /cannot open the pin/.test(stderr), 15_000, 'the pin error');
    child.kill('SIGTERM');
    await exited(child);
    const line = stderr.split('\n').find((l) => /cannot open the pin/.test(l)) ?? '';
    assert.match(line, new RegExp(`map "stats": cannot open the pin ${path} \\(BPF_OBJ_GET: EACCES\\): needs read and write access to the pin, because --bpf-reset-on-read zeroes the map`));
    assert.match(line, /the pin is mode 0644, owner uid 0, and this process runs as uid 65534/);
  } finally {
    child.kill('SIGKILL');
    map.close();
    fs.cleanup();
  }
});

test('a pin without read access: says it needs read access to the pin', async (t) => {
  if (!needRoot(t)) return;
  const fs = mountBpffs();
  const map = rustyMap();
  const path = join(fs.dir, 'stats');
  map.pin(path);
  chmodSync(path, 0o600);
  const script = `import(${JSON.stringify(nobodyPath('dist/src/sources/bpf/discover.js'))}).then(async (d) => {
    const { planMaps } = await import(${JSON.stringify(nobodyPath('dist/src/bpf-layout/layout.js'))});
    const { rusty } = await import(${JSON.stringify(nobodyPath('dist/profiles/index.js'))});
    try { d.locate(planMaps(rusty.stats)[0], { kind: 'pin', path: ${JSON.stringify(path)} }, { writable: 'no', profile: 'rusty' }); console.log('opened'); }
    catch (e) { console.log(e.name + ': ' + e.message); }
  });`;
  const child = spawn(process.execPath, ['-e', script], { uid: NOBODY, gid: NOBODY });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  try {
    await exited(child);
    assert.equal(stdout.trim(), `LocateError: cannot open the pin ${path} (BPF_OBJ_GET: EACCES): needs read access to the pin; the pin is mode 0600, owner uid 0, and this process runs as uid 65534`);
  } finally {
    map.close();
    fs.cleanup();
  }
});

test('EPERM hints: BPF_OBJ_GET_INFO_BY_FD needs no capability; pins are checked by file mode, not CAP_BPF', () => {
  const info = permissionHint('BPF_OBJ_GET_INFO_BY_FD') ?? '';
  assert.match(info, /needs no capability/);
  assert.doesNotMatch(info, /^needs CAP_/);
  assert.doesNotMatch(permissionHint('BPF_OBJ_GET') ?? '', /CAP_BPF/);
  assert.equal(permissionHint('BPF_MAP_GET_NEXT_ID'), 'needs CAP_SYS_ADMIN');
  assert.equal(permissionHint('BPF_NOPE'), undefined);
});
