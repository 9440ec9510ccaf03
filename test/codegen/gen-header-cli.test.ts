import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { arch, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { hasCommand, needPeer } from '../helpers/peers.js';
import { RUSTY_DISPATCH_PATHS } from '../../profiles/rusty.js';

const multiarch = `/usr/include/${arch() === 'x64' ? 'x86_64' : arch() === 'arm64' ? 'aarch64' : arch()}-linux-gnu`;

test('gen-header usage errors are one line, exit 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scx-genhdr-'));
  try {
    writeFileSync(join(dir, 'empty.mjs'), 'export const x = 1;\n');
    for (const [args, re] of [
      [['gen-header'], /give exactly one of --scheduler NAME or --stats MODULE/],
      [['gen-header', '--scheduler', 'rusty', '--stats', 'x.js'], /give exactly one of/],
      [['gen-header', '--scheduler', 'nope'], /--scheduler: no profile "nope" \(profiles with a stats enum: rusty, simple, nest, flatcg\)$/m],
      [['gen-header', '--scheduler', 'central'], /stats "central" have no stats-enum slot in map "stats" \(\w+: a global BPF reference \(map "\.bss"\)/],
      [['gen-header', '--stats', join(dir, 'missing.mjs')], /--stats .*missing\.mjs: cannot import/],
      [['gen-header', '--stats', join(dir, 'empty.mjs')], /no StatSet exported as default or "stats" \(expected the result of defineStats; it exports x\)/],
      [['gen-header', '--scheduler', 'rusty', '--map-name', 'a-b'], /map name "a-b" is not a C identifier/],
    ] as const) {
      const r = runCli(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('gen-header --help lists only profiles with a stats enum; central keeps its own error', () => {
  const help = runCli(['gen-header', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--scheduler NAME +A built-in scheduler profile with a stats enum \(rusty, simple, nest, flatcg\)/);
  assert.ok(!help.stdout.includes('central'), help.stdout);
});

test('gen-header -o into a missing directory, or onto a directory: one line naming -o and the problem, exit 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scx-genhdr-'));
  try {
    for (const [out, why] of [
      [join(dir, 'missing', 'x.h'), 'ENOENT (no such directory)'],
      [dir, 'EISDIR (it is a directory)'],
    ] as const) {
      const r = runCli(['gen-header', '--scheduler', 'rusty', '-o', out]);
      assert.equal(r.status, 1, r.stderr);
      assert.equal(r.stderr, `scx-metrics: error: gen-header: cannot write -o ${out}: ${why}\n`);
      assert.equal(r.stdout, '');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("gen-header --scheduler rusty: the 17-entry enum in the profile's order, to stdout or -o FILE", () => {
  const r = runCli(['gen-header', '--scheduler', 'scx_rusty']);
  assert.equal(r.status, 0, r.stderr);
  const names = [...r.stdout.matchAll(/^\t(RUSTY_STAT_\w+) = (\d+),/gm)].map((m) => `${m[2]}:${m[1]}`);
  assert.deepEqual(names, [
    ...RUSTY_DISPATCH_PATHS.map((p, i) => `${i}:RUSTY_STAT_DISPATCHED_TASKS_${p.toUpperCase()}`),
    '11:RUSTY_STAT_REPATRIATE',
    '12:RUSTY_STAT_KICK_GREEDY',
    '13:RUSTY_STAT_LOAD_BALANCE',
    '14:RUSTY_STAT_TASK_ERRORS',
    '15:RUSTY_STAT_DL_CLAMPED',
    '16:RUSTY_STAT_DL_PRESET',
  ]);
  assert.match(r.stdout, /^#define RUSTY_NR_STATS 17$/m);
  const dir = mkdtempSync(join(tmpdir(), 'scx-genhdr-'));
  try {
    const out = join(dir, 'rusty.h');
    const w = runCli(['gen-header', '--scheduler', 'rusty', '-o', out]);
    assert.equal(w.status, 0, w.stderr);
    assert.equal(w.stdout, '');
    assert.equal(readFileSync(out, 'utf8'), r.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every enum profile header compiles for BPF, and its X-macro table prints the exported names from C', (t) => {
  if (!needPeer(t, hasCommand('clang'), 'clang (apt install clang)')) return;
  const dir = mkdtempSync(join(tmpdir(), 'scx-genhdr-'));
  try {
    for (const [name, P] of [['rusty', 'RUSTY'], ['simple', 'SIMPLE'], ['nest', 'NEST'], ['flatcg', 'FLATCG']] as const) {
      const h = join(dir, `${name}.h`);
      const gen = runCli(['gen-header', '--scheduler', name, '-o', h]);
      assert.equal(gen.status, 0, gen.stderr);
      const header = readFileSync(h, 'utf8');
      const first = /^\t(\w+) = 0,/m.exec(header)?.[1] as string;
      // BPF side: the map and helpers, used the way a scheduler would.
      writeFileSync(
        join(dir, `${name}.bpf.c`),
        `#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n#include "${name}.h"\n` +
          `SEC("raw_tp/sched_switch") int bump(void *ctx) { stat_inc(${first}); stat_add(${P}_NR_STATS - 1, 2); return 0; }\n` +
          `char LICENSE[] SEC("license") = "GPL";\n`,
      );
      execFileSync('clang', ['-O2', '-g', '-Wall', '-Werror', '-target', 'bpf', `-I${multiarch}`, `-I${dir}`, '-c', join(dir, `${name}.bpf.c`), '-o', join(dir, `${name}.bpf.o`)], { stdio: 'pipe' });
      // User-space side: the same header without __bpf__, its table expanded into a name array.
      writeFileSync(
        join(dir, `${name}.c`),
        `#include <stdio.h>\n#include "${name}.h"\n` +
          `#define ROW(idx, metric, labels, help) printf("%d %s{%s}\\n", (int)(idx), metric, labels);\n` +
          `int main(void) { ${P}_STATS(ROW) return 0; }\n`,
      );
      execFileSync('clang', ['-Wall', '-Werror', `-I${dir}`, join(dir, `${name}.c`), '-o', join(dir, name)], { stdio: 'pipe' });
      const rows = execFileSync(join(dir, name), { encoding: 'utf8' }).trimEnd().split('\n');
      const fromEnum = [...header.matchAll(/^\t\w+ = (\d+), +\/\* ([^{ ]+)(?:\{(.*)\})? \*\/$/gm)].map((m) => `${m[1]} ${m[2]}{${m[3] ?? ''}}`);
      assert.deepEqual(rows, fromEnum, `${name}: the C table and the enum comments agree`);
      if (name === 'rusty') assert.equal(rows[0], '0 dispatched_tasks_total{type="wsync"}');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
