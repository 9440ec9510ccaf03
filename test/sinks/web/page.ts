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

/** Waits until every named panel has drawn at least `min` points in each of its chart series. */
export async function waitForPanels(page: Page, names: readonly string[], min: number, timeoutMs = 20_000): Promise<void> {
  await page.waitForFunction(
    ({ names, min }) => {
      const state = (globalThis as unknown as { scxView: { panels: Map<string, { points(): number[] }> } }).scxView;
      return names.every((n) => {
        const pts = state?.panels.get(n)?.points() ?? [];
        return pts.length > 0 && pts.every((x) => x >= min);
      });
    },
    { names, min },
    { timeout: timeoutMs, polling: 200 },
  );
}

/** Frames the page has taken so far. */
export function frameCount(page: Page): Promise<number> {
  return page.evaluate(() => (globalThis as unknown as { scxView: { frames: number } }).scxView.frames);
}

/** The page's window: frame times (Unix s), interval lengths, and one counter's per-second rates as charted. */
export function chartedRates(page: Page, family: string): Promise<{ times: number[]; dts: number[]; rates: (number | null)[] }> {
  return page.evaluate((family) => {
    const s = (globalThis as unknown as {
      scxView: { store: { times: number[]; dts: number[] }; panels: Map<string, { view: { data: (number | null)[][] } | null }> };
    }).scxView;
    const data = s.panels.get(family)?.view?.data;
    return { times: [...s.store.times], dts: [...s.store.dts], rates: data === undefined ? [] : [...(data[1] ?? [])] };
  }, family);
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
