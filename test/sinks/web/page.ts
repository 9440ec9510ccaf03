/**
 * What the web view tests read from the page: its own state (`window.scxView`, set by app.js) and its
 * canvases' pixels, so "the chart drew points" is checked on what was drawn, not only on the data.
 */
import type { Page } from 'playwright-core';

// The few DOM shapes used in page.evaluate (the project compiles without the DOM library).
interface Canvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}
interface Elem {
  textContent: string | null;
  querySelector(sel: string): Canvas | null;
  querySelectorAll(sel: string): ArrayLike<Elem> & Iterable<Elem>;
}

export interface PanelState {
  /** Non-null values per chart series. */
  readonly points: readonly number[];
  /** Chart series' labels (uPlot's, in drawing order). */
  readonly labels: readonly string[];
  /** Coloured (non-grey) pixels on the panel's canvas: lines and fills, not the axes and grid. */
  readonly coloured: number;
  readonly summary: string;
  readonly legend: readonly string[];
}

/** Every panel on the page by family name. */
export async function panels(page: Page): Promise<Record<string, PanelState>> {
  return page.evaluate(() => {
    type P = { points(): number[]; plot: { series: { label?: string }[] } | null; root: Elem; summary: Elem; legend: Elem };
    const state = (globalThis as unknown as { scxView: { panels: Map<string, P> } }).scxView;
    const out: Record<string, PanelState> = {};
    for (const [name, p] of state.panels) {
      let coloured = 0;
      const canvas = p.root.querySelector('canvas');
      const ctx = canvas?.getContext('2d');
      if (canvas && ctx) {
        const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 0; i < d.length; i += 4) {
          const r = d[i] as number, g = d[i + 1] as number, b = d[i + 2] as number, a = d[i + 3] as number;
          if (a > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 60) coloured++;
        }
      }
      out[name] = {
        points: p.points(),
        labels: (p.plot?.series ?? []).slice(1).map((s) => s.label ?? ''),
        coloured,
        summary: p.summary.textContent ?? '',
        legend: [...p.legend.querySelectorAll('li')].map((li) => li.textContent ?? ''),
      };
    }
    return out;
  });
}

/**
 * Waits until every named panel has drawn at least `min` points in each of its chart series. Panels off screen
 * skip their redraws (as the page means them to), so each is scrolled into view, one after the other, and
 * waited on there: what is then checked is what was drawn, not the data the page holds.
 */
export async function waitForPanels(page: Page, names: readonly string[], min: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const name of names) {
    await page.waitForFunction(
      ({ name, min }) => {
        type P = { points(): number[]; root: { scrollIntoView(o: { block: string }): void } };
        const p = (globalThis as unknown as { scxView?: { panels: Map<string, P> } }).scxView?.panels.get(name);
        if (p === undefined) return false;
        const pts = p.points();
        if (pts.length > 0 && pts.every((x) => x >= min)) return true;
        p.root.scrollIntoView({ block: 'center' });
        return false;
      },
      { name, min },
      { timeout: Math.max(1, deadline - Date.now()), polling: 200 },
    );
  }
}

/** Frames the page has taken so far. */
export function frameCount(page: Page): Promise<number> {
  return page.evaluate(() => (globalThis as unknown as { scxView: { frames: number } }).scxView.frames);
}

/** Time (Unix s) of the last frame the page took. */
export function lastFrameTime(page: Page): Promise<number | undefined> {
  return page.evaluate(() => (globalThis as unknown as { scxView: { store: { times: number[] } } }).scxView.store.times.at(-1));
}

/**
 * One counter's per-second rates as its chart drew them, with the frame times and interval lengths. The panel
 * is scrolled into view and read once its drawing is up to date with the page's window (off-screen panels
 * lag on purpose).
 */
export async function chartedRates(page: Page, family: string, timeoutMs = 10_000): Promise<{ times: number[]; dts: number[]; rates: (number | null)[] }> {
  const handle = await page.waitForFunction(
    (family) => {
      type P = { view: { data: (number | null)[][] } | null; root: { scrollIntoView(o: { block: string }): void } };
      const s = (globalThis as unknown as { scxView: { store: { times: number[]; dts: number[] }; panels: Map<string, P> } }).scxView;
      const p = s.panels.get(family);
      const drawn = p?.view?.data;
      const times = s.store.times;
      if (p === undefined || drawn === undefined) return false;
      const dt = drawn[0] as number[];
      if (dt.length !== times.length || dt.at(-1) !== times.at(-1)) {
        p.root.scrollIntoView({ block: 'center' });
        return false;
      }
      return { times: [...dt], dts: [...s.store.dts], rates: [...(drawn[1] ?? [])] };
    },
    family,
    { timeout: timeoutMs, polling: 50 },
  );
  return (await handle.jsonValue()) as { times: number[]; dts: number[]; rates: (number | null)[] };
}

/** Samples of a text 0.0.4 exposition by `name{labels}`. */
export function parseExposition(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
    if (m !== null) out.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return out;
}
