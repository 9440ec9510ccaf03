// The web view of a real agent (the CLI as a child process, host source), opened in headless Chromium: the
// charts draw the host's series, the rates charted equal what /metrics counted over the same intervals, the
// header names the sources, the page survives an agent restart, and `--web` serves it without Prometheus.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { exitedWithin, startCli, waitFor } from '../../helpers/cli.js';
import { launchChromium, SCREENSHOT_DIR } from '../../helpers/browser.js';
import { freePort } from '../../helpers/datagram-peers.js';
import { get } from '../prometheus/http.js';
import { chartedRates, frameCount, lastFrameTime, panels, parseExposition, waitForPanels } from './page.js';

/** Unlabelled counters whose charted rate is compared with /metrics. */
const RATES = ['scx_host_context_switches_total', 'scx_host_forks_total', 'scx_metrics_collections_total'];
/** Panels the host source always has. */
const HOST_PANELS = [...RATES, 'scx_host_cpu_seconds_total', 'scx_host_runnable_tasks'];
/**
 * Tolerance of the rate comparison: relative, float rounding only. The page's rate times the interval length
 * it was divided by is the counter's change, so the sum over the frames between two scrapes is exact up to
 * rounding.
 */
const RELATIVE_TOLERANCE = 1e-9;

function agent(extra: readonly string[]): ReturnType<typeof startCli> {
  return startCli(['run', '--interval', '1', '--report', 'none', ...extra]);
}

async function listening(child: ReturnType<typeof startCli>, what: RegExp): Promise<void> {
  await waitFor(() => what.test(child.output().stderr) || child.exitCode !== null, 20_000, `agent to listen (${what})`);
  if (child.exitCode !== null) throw new Error(`agent exited ${child.exitCode}: ${child.output().stderr}`);
}

async function stop(child: ReturnType<typeof startCli>): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await exitedWithin(child, 10_000, 'agent after SIGTERM');
}

/**
 * Scrapes /metrics right after the page took a frame (far from the next collection, so the scrape holds
 * exactly the values of that frame's collection). Returns the samples and that frame's time (Unix s).
 */
async function scrapeAfterFrame(page: Page, port: number): Promise<{ samples: Map<string, number>; frameTime: number; receivedMs: number }> {
  const n = await frameCount(page);
  await page.waitForFunction((n) => (globalThis as unknown as { scxView: { frames: number } }).scxView.frames > n, n, { timeout: 10_000, polling: 10 });
  const frameTime = await lastFrameTime(page);
  const r = await get(port, '/metrics');
  const receivedMs = Date.now();
  assert.equal(r.status, 200);
  return { samples: parseExposition(r.body.toString('utf8')), frameTime: frameTime as number, receivedMs };
}

test('the page of a running agent charts the host series; charted rates equal /metrics; header; screenshot', async (t) => {
  const browser = await launchChromium(t);
  if (browser === undefined) return;
  const port = await freePort('tcp');
  const child = agent(['--enable-prometheus', '--prometheus-listen', `127.0.0.1:${port}`]);
  try {
    await listening(child, /prometheus: serving/);
    const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`http://127.0.0.1:${port}/`);
    await waitForPanels(page, HOST_PANELS, 2);
    const shown = await panels(page);
    for (const name of HOST_PANELS) {
      const p = shown[name];
      assert.ok(p !== undefined, `panel ${name}`);
      assert.ok(p.coloured > 50, `${name}: the chart drew its series (${p.coloured} coloured pixels)`);
    }
    // Every CPU mode stacks to 100 %: the top of the stacked share is the whole.
    const cpu = shown['scx_host_cpu_seconds_total'];
    assert.ok(cpu !== undefined && cpu.labels.length >= 2 && /share by cpu, mode/.test(cpu.summary), JSON.stringify(cpu));
    const stackTop = await page.evaluate(() => {
      const s = (globalThis as unknown as { scxView: { panels: Map<string, { view: { data: (number | null)[][] } }> } }).scxView;
      return (s.panels.get('scx_host_cpu_seconds_total')?.view.data[1] ?? []).filter((x) => x !== null);
    });
    assert.ok(stackTop.length >= 2 && stackTop.every((x) => Math.abs((x) - 100) < 1e-6), `stack tops: ${stackTop.join(',')}`);

    // Rates: over the frames between two scrapes, rate x interval summed equals the counters' change.
    let compared = false;
    for (let attempt = 0; attempt < 3 && !compared; attempt++) {
      const a = await scrapeAfterFrame(page, port);
      await new Promise((r) => setTimeout(r, 3000));
      const b = await scrapeAfterFrame(page, port);
      const all = await page.evaluate(() => [...(globalThis as unknown as { scxView: { store: { times: number[] } } }).scxView.store.times]);
      // A collection between the frame and the scrape would make the scrape newer than the frame: retry.
      if (all.some((x) => (x > a.frameTime && x * 1000 <= a.receivedMs) || (x > b.frameTime && x * 1000 <= b.receivedMs))) continue;
      for (const name of RATES) {
        const { times, dts, rates } = await chartedRates(page, name);
        let sum = 0;
        let frames = 0;
        for (let i = 0; i < times.length; i++) {
          if ((times[i] as number) > a.frameTime && (times[i] as number) <= b.frameTime) {
            sum += (rates[i] as number) * (dts[i] as number);
            frames++;
          }
        }
        const want = (b.samples.get(name) as number) - (a.samples.get(name) as number);
        assert.ok(frames >= 2, `${name}: ${frames} frames between the scrapes`);
        assert.ok(Math.abs(sum - want) <= RELATIVE_TOLERANCE * Math.max(1, Math.abs(want)), `${name}: page ${sum} vs /metrics ${want} over ${frames} frames`);
        t.diagnostic(`${name}: charted ${(sum / frames).toFixed(3)}/interval avg, /metrics change ${want} over ${frames} frames`);
      }
      compared = true;
    }
    assert.ok(compared, 'rates compared (a scrape was never clear of a collection in 3 tries)');

    // Header: sources as /metrics has them, and the scheduler (none on a host without sched_ext).
    const metrics = parseExposition((await get(port, '/metrics')).body.toString('utf8'));
    const header = await page.evaluate(() => ({
      scheduler: (globalThis as unknown as { document: { getElementById(id: string): { textContent: string } } }).document.getElementById('scheduler').textContent,
      sources: (globalThis as unknown as { document: { getElementById(id: string): { textContent: string } } }).document.getElementById('sources').textContent,
      conn: (globalThis as unknown as { scxView: { conn: string } }).scxView.conn,
    }));
    for (const [key, v] of metrics) {
      const m = /^scx_metrics_source_up\{source="([^"]+)"\}$/.exec(key);
      if (m !== null) assert.ok(header.sources.includes(`${m[1]} ${v === 1 ? 'up' : 'down'} since`), `header has ${m[1]}: ${header.sources}`);
    }
    const sched = [...metrics].find(([k, v]) => k.startsWith('scx_sched_ext_scheduler{') && v === 1);
    if (sched === undefined) assert.equal(header.scheduler, 'no sched_ext scheduler');
    else assert.ok(header.scheduler.includes(/name="([^"]*)"/.exec(sched[0])?.[1] ?? '?'), header.scheduler);
    assert.equal(header.conn, 'live');
    assert.deepEqual(errors, []);
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const shot = fileURLToPath(new URL('web-view.png', SCREENSHOT_DIR));
    await page.screenshot({ path: shot, fullPage: false });
    t.diagnostic(`screenshot: ${shot}`);
  } finally {
    await stop(child);
    await browser.close();
  }
});

test('an agent restart: the page says the agent is unreachable, then that it restarted, and charts again', async (t) => {
  const browser = await launchChromium(t);
  if (browser === undefined) return;
  const port = await freePort('tcp');
  const args = ['--enable-prometheus', '--prometheus-listen', `127.0.0.1:${port}`];
  let child = agent(args);
  try {
    await listening(child, /prometheus: serving/);
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await waitForPanels(page, ['scx_host_context_switches_total'], 2);
    await stop(child);
    await page.waitForFunction(() => (globalThis as unknown as { scxView: { conn: string } }).scxView.conn === 'down', undefined, { timeout: 10_000 });
    const conn = await page.evaluate(() => (globalThis as unknown as { document: { getElementById(id: string): { textContent: string } } }).document.getElementById('conn').textContent);
    assert.match(conn, /unreachable/);
    child = agent(args);
    await listening(child, /prometheus: serving/);
    await page.waitForFunction(() => (globalThis as unknown as { scxView: { restarts: number; conn: string } }).scxView.restarts === 1, undefined, { timeout: 15_000 });
    const notice = await page.evaluate(() => (globalThis as unknown as { document: { getElementById(id: string): { textContent: string } } }).document.getElementById('notice').textContent);
    assert.match(notice, /agent restarted/);
    // The old window is gone and the new agent's frames are charted.
    await waitForPanels(page, ['scx_host_context_switches_total'], 2);
    const { times } = await chartedRates(page, 'scx_host_context_switches_total');
    assert.ok(times.length >= 2 && times.length <= 6, `window after restart holds only the new agent's frames: ${times.length}`);
    assert.equal(await page.evaluate(() => (globalThis as unknown as { scxView: { conn: string } }).scxView.conn), 'live');
  } finally {
    await stop(child);
    await browser.close();
  }
});

test('--web HOST:PORT serves the page on its own listener, without --enable-prometheus', async (t) => {
  const browser = await launchChromium(t);
  if (browser === undefined) return;
  const port = await freePort('tcp');
  const child = agent(['--web', `127.0.0.1:${port}`]);
  try {
    await listening(child, /web: serving the web view/);
    assert.doesNotMatch(child.output().stderr, /prometheus: serving/);
    const m = await get(port, '/metrics');
    assert.equal(m.status, 404);
    assert.match(m.body.toString(), /the web view is at \//);
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await waitForPanels(page, ['scx_host_context_switches_total', 'scx_host_cpu_seconds_total'], 2);
    const metricsLink = await page.evaluate(() => (globalThis as unknown as { document: { getElementById(id: string): { hidden: boolean } } }).document.getElementById('metrics').hidden);
    assert.equal(metricsLink, true, 'no /metrics link without a Prometheus endpoint');
  } finally {
    await stop(child);
    await browser.close();
  }
});
