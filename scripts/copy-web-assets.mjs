// Copies the web view's page into dist beside its compiled server module: the page's own files from
// src/sinks/web/client and uPlot (chart library, MIT) from its npm package, so the view works offline and the
// npm package carries everything it serves. Run by `npm run build` and scripts/ensure-built.mjs after tsc.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const out = 'dist/src/sinks/web/client';
mkdirSync(out, { recursive: true });
for (const name of readdirSync('src/sinks/web/client')) copyFileSync(join('src/sinks/web/client', name), join(out, name));
const uplot = dirname(createRequire(import.meta.url).resolve('uplot/package.json'));
for (const name of ['uPlot.iife.min.js', 'uPlot.min.css']) copyFileSync(join(uplot, 'dist', name), join(out, name));
copyFileSync(join(uplot, 'LICENSE'), join(out, 'uPlot.LICENSE.txt'));
