// Regenerates deploy/grafana/ from the declarations: the host dashboard and one per built-in scheduler
// profile, written by `scx-metrics dashboard --grafana` itself. test/dashboards/grafana/committed.test.ts
// checks that the committed files are exactly what this writes.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const { committedDashboards } = await import(join(root, 'dist/src/dashboards/grafana/committed.js'));
for (const { file, args } of committedDashboards()) {
  execFileSync(process.execPath, [join(root, 'dist/src/cli.js'), 'dashboard', '--grafana', ...args, '-o', join(root, 'deploy/grafana', file)], { stdio: 'inherit' });
  console.log(`deploy/grafana/${file}`);
}
