// Makes a fresh clone runnable: installs dependencies when node_modules is missing or older than
// package.json, then compiles TypeScript. `--force` always compiles from an empty dist/ (npm test); otherwise compile when
// dist/ is missing or older than any source file.
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execSync } from 'node:child_process';

const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);
function newest(dir) {
  let m = 0;
  if (!existsSync(dir)) return m;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    m = Math.max(m, s.isDirectory() ? newest(p) : s.mtimeMs);
  }
  return m;
}
const run = (cmd) => execSync(cmd, { stdio: ['ignore', 'inherit', 'inherit'] });

const stamp = 'node_modules/.package-lock.json';
if (!existsSync(stamp) || mtime(stamp) < mtime('package.json')) {
  console.error('scx-metrics: installing dependencies (npm install)');
  run('npm install --no-audit --no-fund --include=optional');
}
const built = mtime('dist/src/cli.js');
const sources = Math.max(newest('src'), newest('test'), newest('bench'), newest('profiles'), mtime('tsconfig.json'));
if (process.argv.includes('--force')) {
  // A full build from nothing: tsc never deletes the output of a source that was removed or renamed, and a
  // stale compiled test would still run.
  rmSync('dist', { recursive: true, force: true });
}
if (process.argv.includes('--force') || built === 0 || built < sources) {
  console.error('scx-metrics: compiling (tsc)');
  run('npx tsc -p tsconfig.json');
}
// The web view's page (not TypeScript: tsc does not copy it). Cheap, so always.
run('node scripts/copy-web-assets.mjs');
