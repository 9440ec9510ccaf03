// Runs every compiled test file with node's test runner. Test files live under test/ and compile to
// dist/test/**/*.test.js. Extra arguments are passed to node --test (e.g. --test-name-pattern).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}
const files = find('dist/test').sort();
if (files.length === 0) {
  console.error('run-tests: no compiled tests under dist/test');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...process.argv.slice(2), ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
