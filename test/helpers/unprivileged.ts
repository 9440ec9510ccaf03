/**
 * Running the built project as an unprivileged user (nobody), for the tests that check what happens
 * without capabilities. A fresh clone can sit below a directory only its owner may enter (mktemp -d makes
 * 0700 ones), so when nobody cannot read the build in place, a copy of dist/, package.json and the runtime
 * dependencies is made once per test process in a world-readable temporary directory.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NOBODY = 65534;

/** The project root of the running build (dist/test/helpers -> root). */
const projectRoot = fileURLToPath(new URL('../../../', import.meta.url));

let root: string | undefined;

function nobodyCanRead(path: string): boolean {
  const check = `require('fs').accessSync(${JSON.stringify(path)}, require('fs').constants.R_OK)`;
  return spawnSync(process.execPath, ['-e', check], { uid: NOBODY, gid: NOBODY, stdio: 'ignore' }).status === 0;
}

/** Runtime dependencies by name, with their own dependencies (optional ones included) that are installed. */
function runtimeDeps(): string[] {
  const seen = new Set<string>();
  const visit = (pkgJson: string): void => {
    const pkg = JSON.parse(readFileSync(pkgJson, 'utf8')) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
    for (const name of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
      const dir = join(projectRoot, 'node_modules', name);
      if (seen.has(name) || !existsSync(dir)) continue;
      seen.add(name);
      visit(join(dir, 'package.json'));
    }
  };
  visit(join(projectRoot, 'package.json'));
  return [...seen];
}

/** A project root nobody can read: the checkout itself when possible, else a copy. */
export function nobodyRoot(): string {
  if (root !== undefined) return root;
  if (nobodyCanRead(join(projectRoot, 'dist', 'src', 'cli.js'))) return (root = projectRoot);
  const copy = mkdtempSync(join(tmpdir(), 'scx-metrics-nobody-'));
  chmodSync(copy, 0o755);
  cpSync(join(projectRoot, 'dist'), join(copy, 'dist'), { recursive: true });
  cpSync(join(projectRoot, 'package.json'), join(copy, 'package.json'));
  for (const dep of runtimeDeps()) cpSync(join(projectRoot, 'node_modules', dep), join(copy, 'node_modules', dep), { recursive: true });
  process.once('exit', () => rmSync(copy, { recursive: true, force: true }));
  return (root = copy);
}

/** A file of the build (e.g. `dist/src/cli.js`) at a path nobody can read. */
export function nobodyPath(relative: string): string {
  return join(nobodyRoot(), relative);
}
