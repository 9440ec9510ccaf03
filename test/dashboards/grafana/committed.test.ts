// deploy/grafana/ is the generator's output: each committed dashboard equals what `scx-metrics dashboard
// --grafana` writes now (regenerate with `node scripts/gen-dashboards.mjs`), and no other file is there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { committedDashboards } from '../../../src/dashboards/grafana/committed.js';
import { generate, modelProblems } from './check.js';

const DIR = fileURLToPath(new URL('../../../../deploy/grafana/', import.meta.url));

test('deploy/grafana: every committed dashboard is what the generator writes now, and valid', () => {
  const list = committedDashboards();
  assert.deepEqual(readdirSync(DIR).filter((f) => f.endsWith('.json')).sort(), list.map((c) => c.file).sort(), 'no hand-made or stale dashboard beside the generated ones');
  assert.ok(list.some((c) => c.file === 'scx-rusty.json') && list.some((c) => c.file === 'scx-metrics.json'));
  for (const c of list) {
    const { text, dashboard } = generate(c.args);
    const committed = readFileSync(join(DIR, c.file), 'utf8');
    assert.ok(committed === text, `deploy/grafana/${c.file} differs from \`scx-metrics dashboard --grafana ${c.args.join(' ')}\`: run node scripts/gen-dashboards.mjs`);
    assert.deepEqual(modelProblems(dashboard), [], c.file);
  }
});
