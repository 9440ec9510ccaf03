// The page on label values it must not trust, on a hundred label values, and on series that come and go:
// an in-process agent with a source the test steers, served by the web view's own listener (real HTTP, real
// Chromium). Also prints the page's CPU share at one update per second with 200 series (printed, not asserted).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadavg } from 'node:os';
import { Agent } from '../../../src/agent.js';
import { counter, defineStats, gauge, histogram, log2Buckets } from '../../../src/declare/index.js';
import { memoryLogger } from '../../../src/support/log.js';
import type { Registry } from '../../../src/registry/index.js';
import { WebListenerSink } from '../../../src/sinks/web/listener.js';
import type { Source, SourceContext } from '../../../src/plugin/source.js';
import { launchChromium } from '../../helpers/browser.js';
import { panels, waitForPanels } from './page.js';

const EVIL = '<img src=x onerror="globalThis.__xss=1">';

const stats = defineStats({
  name: 'webtest',
  help: 'web view test stats',
  prefix: 'webtest',
  stats: {
    evil: counter({ help: 'Counter with a label value that looks like HTML', labels: { name: String } }),
    many: counter({ help: 'A hundred label values', labels: { value: String } }),
    churn: gauge({ help: 'Series that come and go', labels: { id: String } }),
    gone: gauge({ help: 'A family whose only series goes away' }),
    latency: histogram({ help: 'Latency', unit: 'seconds', buckets: log2Buckets(12, { scale: 1e-6 }) }),
  },
});

/** A source whose series the test changes between collections; its own name is HTML-looking too. */
class SteeredSource implements Source {
  readonly name = `<b>steered</b>`;
  registry: Registry | undefined;
  n = 0;
  stats() {
    return [stats];
  }
  attach(ctx: SourceContext): void {
    this.registry = ctx.registry;
  }
  collect(): void {
    const f = (this.registry as Registry).register(stats);
    this.n++;
    f.evil.with({ name: EVIL }).inc(3);
    f.evil.with({ name: 'plain' }).inc(1);
    for (let i = 0; i < 100; i++) f.many.with({ value: `v${i}` }).inc(i + 1);
    f.churn.with({ id: 'b' }).set(this.n);
    if (this.n <= 3) {
      f.churn.with({ id: 'a' }).set(1);
      f.gone.with().set(5);
    } else {
      f.churn.remove(['a']);
      f.gone.remove([]);
      f.churn.with({ id: 'c' }).set(2);
    }
    const h = f.latency.with();
    for (let i = 0; i < 50; i++) h.observe((i % 10) * 1e-5);
  }
}

test('label values are text, not HTML; a hundred label values fold into the top 8 and other; series and families come and go', async (t) => {
  const browser = await launchChromium(t);
  if (browser === undefined) return;
  const source = new SteeredSource();
  const web = new WebListenerSink({ host: '127.0.0.1', port: 0, window: 8, intervalSeconds: 0.3 });
  const agent = new Agent({ sources: [source], sinks: [web], intervalSeconds: 0.3, log: memoryLogger() });
  await agent.start();
  agent.run();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${web.address().port}/`);
    await waitForPanels(page, ['webtest_evil_total', 'webtest_many_total', 'webtest_churn', 'webtest_latency_seconds'], 2);

    const doc = await page.evaluate(() => {
      const g = globalThis as unknown as { __xss?: number; document: { querySelectorAll(s: string): { length: number }; getElementById(id: string): { textContent: string } } };
      return { xss: g.__xss, imgs: g.document.querySelectorAll('img').length, bold: g.document.querySelectorAll('b').length, sources: g.document.getElementById('sources').textContent };
    });
    assert.equal(doc.xss, undefined, 'no handler of a label value ran');
    assert.equal(doc.imgs, 0, 'no element was made from a label value');
    assert.equal(doc.bold, 0, 'no element was made from a source name');
    assert.ok(doc.sources.includes('<b>steered</b> up since'), doc.sources);
    let shown = await panels(page);
    const evil = shown['webtest_evil_total'];
    assert.ok(evil?.legend.some((l) => l.startsWith(`name=${EVIL}`)), `legend shows the value as text: ${JSON.stringify(evil?.legend)}`);
    // 3 of every 4 events carry the HTML-looking value.
    assert.ok(evil?.legend.some((l) => l.includes('75.0 %')), JSON.stringify(evil?.legend));

    const many = shown['webtest_many_total'];
    assert.ok(many !== undefined);
    assert.equal(many.labels.length, 9, 'the top 8 and one other');
    assert.ok(many.labels.includes('other (92 more)'), JSON.stringify(many.labels));
    assert.match(many.summary, /\(100 series\)/);
    // The busiest value (v99 adds 100 a collection) leads the legend with its share of 5050.
    assert.match(many.legend[0] ?? '', /^value=v99.*2\.0 %/);
    assert.ok(many.coloured > 50);

    // Series that went away leave once the window (8 frames) no longer holds them; new ones appear.
    await page.waitForFunction(
      () => {
        const s = (globalThis as unknown as { scxView: { panels: Map<string, { legend: { textContent: string } }> } }).scxView;
        const legend = s.panels.get('webtest_churn')?.legend.textContent ?? '';
        return !s.panels.has('webtest_gone') && legend.includes('id=c') && !legend.includes('id=a');
      },
      undefined,
      { timeout: 15_000, polling: 100 },
    );
    shown = await panels(page);
    assert.deepEqual(shown['webtest_churn']?.labels.slice().sort(), ['id=b', 'id=c']);
    const lat = shown['webtest_latency_seconds'];
    assert.deepEqual(lat?.labels, ['p50', 'p90', 'p99']);
    assert.ok((lat?.coloured ?? 0) > 20, 'percentile lines drawn');
    assert.deepEqual(errors, []);
  } finally {
    await agent.stop();
    await browser.close();
  }
});

/** Declarations for `n` series: labelled counters, gauges and one histogram. */
function twoHundred(): { set: ReturnType<typeof defineStats>; update(r: Registry, tick: number): void } {
  const set = defineStats({
    name: 'perf',
    help: 'perf',
    prefix: 'perf',
    stats: {
      a: counter({ help: 'a', labels: { cpu: String } }),
      b: counter({ help: 'b', labels: { cpu: String } }),
      c: counter({ help: 'c', labels: { type: String } }),
      d: gauge({ help: 'd', labels: { cpu: String } }),
      e: counter({ help: 'e' }),
      f: histogram({ help: 'f', unit: 'seconds', buckets: log2Buckets(20, { scale: 1e-6 }) }),
    },
  });
  return {
    set,
    update(r, tick) {
      const f = r.register(set);
      for (let i = 0; i < 64; i++) {
        f.a.with({ cpu: String(i) }).inc(100 + ((tick * 7 + i) % 13));
        f.b.with({ cpu: String(i) }).inc(i);
        f.d.with({ cpu: String(i) }).set((tick + i) % 5);
      }
      for (let i = 0; i < 6; i++) f.c.with({ type: `t${i}` }).inc(i * tick);
      f.e.with().inc(tick);
      f.f.with().observe(tick * 1e-6);
    },
  };
}

test('page CPU at one update per second with 200 series (printed from Chromium performance metrics, not asserted)', async (t) => {
  const browser = await launchChromium(t);
  if (browser === undefined) return;
  const p = twoHundred();
  let tick = 0;
  let reg: Registry | undefined;
  const source: Source = {
    name: 'perf',
    stats: () => [p.set],
    attach: (ctx) => void (reg = ctx.registry),
    collect: () => p.update(reg as Registry, ++tick),
  };
  const web = new WebListenerSink({ host: '127.0.0.1', port: 0, intervalSeconds: 1 });
  const agent = new Agent({ sources: [source], sinks: [web], intervalSeconds: 1, log: memoryLogger() });
  await agent.start();
  agent.run();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`http://127.0.0.1:${web.address().port}/`);
    await waitForPanels(page, ['perf_a_total', 'perf_d'], 3);
    const series = agentSeries(agent.registry);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    // CPU time (ProcessTime: the renderer, all its threads; ThreadTime: its main thread) is what the page
    // costs; TaskDuration is wall time spent in the main thread's tasks, which the machine's load inflates.
    const names = ['ProcessTime', 'ThreadTime', 'TaskDuration', 'ScriptDuration', 'LayoutDuration', 'RecalcStyleDuration'] as const;
    const sample = async (): Promise<{ m: Record<string, number>; wall: number }> => {
      const got = await cdp.send('Performance.getMetrics');
      return { m: Object.fromEntries(names.map((n) => [n, got.metrics.find((x) => x.name === n)?.value ?? NaN])), wall: performance.now() / 1000 };
    };
    const a = await sample();
    await new Promise((r) => setTimeout(r, 20_000));
    const b = await sample();
    const wall = b.wall - a.wall;
    const pct = (n: (typeof names)[number]): number => (100 * ((b.m[n] as number) - (a.m[n] as number))) / wall;
    const frames = await page.evaluate(() => (globalThis as unknown as { scxView: { frames: number } }).scxView.frames);
    assert.ok(Number.isFinite(pct('ProcessTime')) && pct('ProcessTime') > 0, `ProcessTime moved: ${a.m['ProcessTime']} -> ${b.m['ProcessTime']}`);
    const line =
      `web view page CPU: ${pct('ProcessTime').toFixed(2)}% of one core (Chromium renderer ProcessTime over ${wall.toFixed(1)} s, ${series} series, ` +
      `1 update/s, ${frames} frames taken; target < 5%); main thread ${pct('ThreadTime').toFixed(2)}% (ThreadTime), tasks ${pct('TaskDuration').toFixed(2)}% wall ` +
      `(script ${pct('ScriptDuration').toFixed(2)}%, layout ${pct('LayoutDuration').toFixed(2)}%, style ${pct('RecalcStyleDuration').toFixed(2)}%); load average ${loadavg()[0]?.toFixed(2)}`;
    t.diagnostic(line);
    console.log(line);
  } finally {
    await agent.stop();
    await browser.close();
  }
});

function agentSeries(r: Registry): number {
  let n = 0;
  for (const f of r.families()) n += f.series.length;
  return n;
}
