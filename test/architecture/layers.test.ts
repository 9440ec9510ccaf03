/** Imports only point down: declarations → registry → plugin contract → sources, sinks, codegen → agent → CLI. */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { TIERS, edgesOf, importsOf, placeOf, sourceFiles, violations } from './layers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const files = sourceFiles(ROOT, ['src', 'profiles']);

test('every import in src/ and profiles/ points down, and every file is in a layer', () => {
  assert.ok(files.length > 100, `found only ${files.length} files under ${ROOT}`);
  const edges = edgesOf(ROOT, files);
  assert.ok(edges.length > 300, `found only ${edges.length} imports`);
  assert.deepEqual(violations(edges, files), []);
});

test('no source or sink imports the CLI, and the CLI is imported by nobody but itself', () => {
  const intoCli = edgesOf(ROOT, files).filter((e) => placeOf(e.to)?.layer === 'cli' && placeOf(e.from)?.layer !== 'cli');
  assert.deepEqual(intoCli, []);
});

test('the checker finds what the tree had before the plugin contract moved down', () => {
  // Edges of the kinds the tree held (a plugin importing the CLI's flags, gen-header reaching into the BPF
  // source, profiles and the BPF source importing each other, a sink importing a source), each caught.
  const edges = [
    { from: 'src/sources/bpf/plugin.ts', to: 'src/cli/flags.ts' },
    { from: 'src/codegen/enum-layout.ts', to: 'src/sources/bpf/layout.ts' },
    { from: 'profiles/rusty.ts', to: 'src/sources/bpf/profile.ts' },
    { from: 'src/sinks/otlp/resource.ts', to: 'src/sources/sched-ext-root.ts' },
    { from: 'src/registry/registry.ts', to: 'src/support/log.ts' },
  ];
  const found = violations(edges, edges.map((e) => e.from));
  assert.deepEqual(found, [
    'src/sources/bpf/plugin.ts (sources) imports src/cli/flags.ts (cli): a layer above it',
    'src/codegen/enum-layout.ts (codegen) imports src/sources/bpf/layout.ts (sources): a sibling layer',
    'profiles/rusty.ts (declarations) imports src/sources/bpf/profile.ts (sources): a layer above it',
    'src/sinks/otlp/resource.ts (sinks) imports src/sources/sched-ext-root.ts (sources): a sibling layer',
  ]);
  assert.deepEqual(violations([], ['src/newfolder/x.ts']), ['src/newfolder/x.ts: in no layer (add its folder to TIERS in test/architecture/layers.ts and to docs/architecture.md)']);
});

test('imports are read from type imports, re-exports and dynamic imports, not from comments or strings', () => {
  const text = [
    "import type { A } from '../registry/family.js';",
    "export { B } from './b.js';",
    "const m = await import('../cli/main.js');",
    "// import { C } from '../sinks/c.js';",
    "const s = \"from '../sources/d.js'\";",
    "import { readFileSync } from 'node:fs';",
  ].join('\n');
  assert.deepEqual(importsOf('src/plugin/x.ts', text), ['src/registry/family.ts', 'src/plugin/b.ts', 'src/cli/main.ts']);
});

test('the layers claim disjoint paths', () => {
  const all = TIERS.flat().flatMap((l) => l.paths);
  assert.equal(new Set(all).size, all.length);
});
