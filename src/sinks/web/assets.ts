/**
 * The page's static files, served from memory. They are copied next to this module at build time
 * (scripts/copy-web-assets.mjs: the page from src/sinks/web/client, uPlot from its npm package), so the view
 * works offline and nothing comes from a CDN.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
};

/** Where the build puts the page: `client/` beside the compiled module. */
export const ASSET_DIR = fileURLToPath(new URL('./client/', import.meta.url));

/**
 * Reads every asset of `dir` by file name. Throws, naming the directory and the fix, when the page was not
 * built (a plain `tsc` compiles the agent but does not copy the page).
 */
export function loadAssets(dir = ASSET_DIR): ReadonlyMap<string, Asset> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    names = [];
  }
  if (!names.includes('index.html') || !names.includes('uPlot.iife.min.js')) {
    throw new Error(`web view: the page is not built in ${dir} (expected index.html and uPlot.iife.min.js); run npm run build`);
  }
  const out = new Map<string, Asset>();
  for (const name of names) {
    const type = TYPES[extname(name)];
    if (type !== undefined) out.set(name, { type, body: readFileSync(`${dir}${name}`) });
  }
  return out;
}
