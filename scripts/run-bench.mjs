// Runs every compiled benchmark (dist/bench/**/*.bench.js) one after another, each in its own process so
// one comparison's heap and JIT state do not colour the next. Pass names to run a subset:
//   npm run bench -- render counter
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, basename } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.bench.js')) out.push(p);
  }
  return out;
}
const filters = process.argv.slice(2);
const files = find('dist/bench')
  .sort()
  .filter((f) => filters.length === 0 || filters.some((x) => basename(f).includes(x)));
if (files.length === 0) {
  console.error('run-bench: no benchmarks matched');
  process.exit(1);
}
let failed = 0;
for (const f of files) {
  console.log(`\n=== ${basename(f, '.bench.js')}`);
  const r = spawnSync(process.execPath, ['--expose-gc', f], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
