/**
 * The layers of the code base, bottom first, and a checker that every import points down. A file may import
 * its own layer and the layers of lower tiers; layers of one tier (sources, sinks, codegen) are siblings and
 * may not import each other. docs/architecture.md draws the same table.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import ts from 'typescript';

export interface Layer {
  readonly name: string;
  /** Folders (ending in /) or single files, relative to the repository root. */
  readonly paths: readonly string[];
}

/** Tiers bottom first; each tier's layers are siblings. */
export const TIERS: readonly (readonly Layer[])[] = [
  [
    { name: 'support', paths: ['src/support/'] },
    { name: 'privilege', paths: ['src/privilege/'] },
  ],
  [{ name: 'declare', paths: ['src/declare/'] }],
  [{ name: 'bpf-layout', paths: ['src/bpf-layout/'] }],
  [{ name: 'declarations', paths: ['profiles/', 'src/health.ts'] }],
  [{ name: 'registry', paths: ['src/registry/'] }],
  [{ name: 'plugin', paths: ['src/plugin/'] }],
  [
    { name: 'sources', paths: ['src/sources/'] },
    { name: 'sinks', paths: ['src/sinks/'] },
    { name: 'codegen', paths: ['src/codegen/'] },
  ],
  [{ name: 'agent', paths: ['src/agent.ts'] }],
  // Views built on a running agent or on the sources: `top`, generated dashboards, the host's findings.
  [
    { name: 'top', paths: ['src/top/'] },
    { name: 'dashboards', paths: ['src/dashboards/'] },
    { name: 'doctor', paths: ['src/doctor/'] },
  ],
  [
    { name: 'cli', paths: ['src/cli/', 'src/cli.ts'] },
    { name: 'package', paths: ['src/index.ts'] },
  ],
];

/** Where a file sits: its layer and tier, or undefined when no layer claims it. */
export function placeOf(file: string, tiers: readonly (readonly Layer[])[] = TIERS): { layer: string; tier: number } | undefined {
  for (const [tier, layers] of tiers.entries()) {
    for (const layer of layers) {
      if (layer.paths.some((p) => (p.endsWith('/') ? file.startsWith(p) : file === p))) return { layer: layer.name, tier };
    }
  }
  return undefined;
}

export interface Edge {
  readonly from: string;
  readonly to: string;
}

/** The relative imports of one file's text (static, `import type`, `export … from` and `import('…')` with a literal), as repository paths of .ts files. */
export function importsOf(file: string, text: string): string[] {
  const info = ts.preProcessFile(text, true, true);
  const out: string[] = [];
  for (const ref of info.importedFiles) {
    if (!ref.fileName.startsWith('.')) continue;
    out.push(normalize(join(dirname(file), ref.fileName)).replace(/\.js$/, '.ts'));
  }
  return out;
}

/** Every import that does not point down, and every file no layer claims, as one line each. */
export function violations(edges: readonly Edge[], files: readonly string[], tiers: readonly (readonly Layer[])[] = TIERS): string[] {
  const problems: string[] = [];
  for (const f of files) if (placeOf(f, tiers) === undefined) problems.push(`${f}: in no layer (add its folder to TIERS in test/architecture/layers.ts and to docs/architecture.md)`);
  for (const { from, to } of edges) {
    const a = placeOf(from, tiers);
    const b = placeOf(to, tiers);
    if (a === undefined || b === undefined) continue;
    if (a.layer === b.layer || b.tier < a.tier) continue;
    const how = b.tier === a.tier ? 'a sibling layer' : 'a layer above it';
    problems.push(`${from} (${a.layer}) imports ${to} (${b.layer}): ${how}`);
  }
  return problems;
}

/** The .ts files under the given roots of the repository at `root`, as paths relative to it. */
export function sourceFiles(root: string, roots: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(join(root, dir))) {
      const path = join(dir, name);
      if (statSync(join(root, path)).isDirectory()) walk(path);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
    }
  };
  for (const r of roots) walk(r);
  return out.sort();
}

/** The import edges between the given files of the repository at `root`. */
export function edgesOf(root: string, files: readonly string[]): Edge[] {
  return files.flatMap((from) => importsOf(from, readFileSync(join(root, from), 'utf8')).map((to) => ({ from, to: relative('.', to) })));
}
