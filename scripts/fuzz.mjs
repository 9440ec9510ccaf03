// `npm run fuzz`: the property tests of test/fuzz with many more runs than `npm test` gives them and a new
// seed each time (printed, and printed by fast-check with any counterexample, so a failure can be re-run with
// FUZZ_SEED=<seed>). Prints each file's properties, runs and time, then the totals.
//   npm run fuzz -- [--scale N] [--seed N]     (default scale 25: 25 times the suite's runs)
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { scale: { type: 'string', default: '25' }, seed: { type: 'string' } } });
const seed = values.seed ?? String(Math.floor(Math.random() * 2 ** 31));
const report = join(tmpdir(), `scx-fuzz-${process.pid}.jsonl`);
const files = readdirSync('dist/test/fuzz').filter((f) => f.endsWith('.test.js')).sort();
console.log(`fuzz: scale ${values.scale}, seed ${seed} (re-run: npm run fuzz -- --scale ${values.scale} --seed ${seed})`);
let failed = 0;
let runs = 0;
const t0 = performance.now();
for (const f of files) {
  const t = performance.now();
  const r = spawnSync(process.execPath, ['--test', join('dist/test/fuzz', f)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    env: { ...process.env, FUZZ_SCALE: values.scale, FUZZ_SEED: seed, FUZZ_REPORT: report },
  });
  const seconds = ((performance.now() - t) / 1000).toFixed(1);
  if (r.status !== 0) {
    failed++;
    process.stdout.write(r.stdout);
  }
  console.log(`fuzz: ${f.replace(/\.test\.js$/, '')}: ${r.status === 0 ? 'ok' : 'FAILED'} in ${seconds} s`);
}
let lines = [];
try {
  lines = readFileSync(report, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
} catch {
  // no report: every file failed to start
}
rmSync(report, { force: true });
for (const l of lines) {
  runs += l.runs;
  console.log(`fuzz:   ${l.file}: ${l.properties} properties, ${l.runs} runs`);
}
console.log(`fuzz: ${runs} runs in ${((performance.now() - t0) / 1000).toFixed(1)} s, seed ${seed}: ${failed === 0 ? 'no failures' : `${failed} file(s) FAILED`}`);
process.exit(failed === 0 ? 0 : 1);
