/**
 * Headless Chromium from Debian (`chromium`, installed by .ci/run), driven by playwright-core with the system
 * executable: playwright downloads no browser of its own here.
 */
import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { needPeer } from './peers.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A headless Chromium, or undefined when it is not installed (the test is then skipped, or fails under CI). */
export async function launchChromium(t: TestContext): Promise<Browser | undefined> {
  if (!needPeer(t, existsSync(CHROMIUM), `needs Chromium at ${CHROMIUM} (apt-get install chromium)`)) return undefined;
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--disable-gpu', '--disable-dev-shm-usage'] });
}

/** Where tests put screenshots: dist/screenshots (the README's copy is committed under docs/). */
export const SCREENSHOT_DIR = new URL('../../screenshots/', import.meta.url);
