// One panel per family: counters as per-second rates (labelled ones as a stacked share of the family's
// rate), gauges as lines, histograms as percentile lines. Many label values are folded: the top few by
// volume get their own colour and the rest one "other" line. Every label value is set as text, never HTML.

const PALETTE = ['#2e90fa', '#f79009', '#12b76a', '#ee46bc', '#7a5af8', '#f04438', '#06aed4', '#a15c07', '#66c61c', '#667085'];
const OTHER = '#98a2b3';
/** Series drawn on their own per panel; the rest fold into "other". */
export const TOP = 8;
const QUANTILES = [0.5, 0.9, 0.99];
const HEIGHT = 150;

/** A number with an SI prefix, three significant digits. */
export function fmt(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e9) return `${(v / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e3) return `${(v / 1e3).toPrecision(3)}k`;
  if (a >= 1) return v.toPrecision(3);
  if (a >= 1e-3) return `${(v * 1e3).toPrecision(3)}m`;
  if (a >= 1e-6) return `${(v * 1e6).toPrecision(3)}µ`;
  return `${(v * 1e9).toPrecision(3)}n`;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

const labelText = (names, values) => (names.length === 0 ? '' : names.map((n, i) => `${n}=${values[i]}`).join(' '));

function last(values) {
  for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null) return values[i];
  return null;
}

/** The q-quantile of bucket counts, interpolated inside the bucket as PromQL's histogram_quantile does. */
export function quantile(q, bounds, counts) {
  let total = 0;
  for (const c of counts) total += c;
  if (!(total > 0)) return null;
  const rank = q * total;
  let cum = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    if (c > 0 && cum + c >= rank) {
      if (i >= bounds.length) return bounds[bounds.length - 1];
      const lower = i === 0 ? Math.min(0, bounds[0]) : bounds[i - 1];
      return lower + ((bounds[i] - lower) * (rank - cum)) / c;
    }
    cum += c;
  }
  return bounds[bounds.length - 1];
}

/**
 * Which series get a colour of their own: the top `n` by `score`, except that a series already shown keeps its
 * slot (so its colour) while it stays among the top 2n with a score above 0. Without that, series of similar size trade places
 * every frame: colours jump, and the chart is rebuilt on each swap. Returns the columns in slot order.
 * @param {{ key: string }[]} cols
 * @param {(c: any) => number} score
 * @param {string[]} prev the keys shown last time, in slot order
 */
export function pick(cols, score, prev, n) {
  const scored = cols.map((c) => ({ c, s: score(c) })).sort((a, b) => b.s - a.s);
  const ranked = scored.map((r) => r.c);
  const size = Math.min(n, ranked.length);
  const rank = new Map(ranked.map((c, i) => [c.key, i]));
  // A series with nothing to show (a first frame's slots are picked before any volume) holds no slot.
  const slots = prev.map((k) => {
    const i = rank.get(k);
    return i !== undefined && i < 2 * n && scored[i].s > 0 ? k : null;
  });
  while (slots.length > size) {
    const free = slots.lastIndexOf(null);
    if (free >= 0) slots.splice(free, 1);
    else {
      let worst = 0;
      for (let i = 1; i < slots.length; i++) if (rank.get(slots[i]) > rank.get(slots[worst])) worst = i;
      slots.splice(worst, 1);
    }
  }
  while (slots.length < size) slots.push(null);
  const taken = new Set(slots);
  let next = 0;
  for (let i = 0; i < slots.length; i++) {
    if (slots[i] !== null) continue;
    while (taken.has(ranked[next].key)) next++;
    slots[i] = ranked[next].key;
    taken.add(slots[i]);
  }
  const byKey = new Map(cols.map((c) => [c.key, c]));
  return slots.map((k) => byKey.get(k));
}

/**
 * What a family's chart shows now: a signature (the chart is rebuilt only when it changes: the kind and the
 * number of series, whose colours are fixed by position), the uPlot series and data (copies: the store's
 * columns keep growing after a draw), the legend rows, a summary line, and the keys shown (for `pick`).
 */
function view(fam, times, prev) {
  const { meta } = fam;
  const cols = [...fam.cols.values()];
  const unit = meta.unit === '' ? '' : ` ${meta.unit}`;
  if (meta.kind === 'counter' && meta.labels.length === 0) {
    const values = cols[0].values;
    return { sig: 'rate', stacked: false, data: [times.slice(), values.slice()], series: [{ label: 'rate', color: PALETTE[0] }], legend: [], summary: `${fmt(last(values))}${unit}/s`, keys: [] };
  }
  if (meta.kind === 'counter') return shareView(meta, cols, times, unit, prev);
  if (meta.kind === 'gauge') {
    const shown = pick(cols, (c) => Math.abs(last(c.values) ?? 0), prev, TOP);
    const series = shown.map((c, i) => ({ label: labelText(meta.labels, c.labels) || 'value', color: PALETTE[i % PALETTE.length] }));
    const legend = meta.labels.length === 0 ? [] : shown.map((c, i) => ({ color: series[i].color, label: series[i].label, value: `${fmt(last(c.values))}${unit}` }));
    const more = cols.length - shown.length;
    return {
      sig: `gauge ${series.length}`,
      stacked: false,
      data: [times.slice(), ...shown.map((c) => c.values.slice())],
      series,
      legend,
      summary: meta.labels.length === 0 ? `${fmt(last(shown[0].values))}${unit}` : `${cols.length} series${more > 0 ? `, ${shown.length} of the largest shown` : ''}`,
      keys: shown.map((c) => c.key),
    };
  }
  // Histogram: percentile lines of each interval's observations, for the busiest few series.
  const shown = pick(cols, (c) => c.total, prev, 3);
  const series = [];
  const data = [times.slice()];
  shown.forEach((c, si) => {
    for (const [qi, q] of QUANTILES.entries()) {
      const name = `p${q * 100}${meta.labels.length > 0 ? ` ${labelText(meta.labels, c.labels)}` : ''}`;
      series.push({ label: name, color: PALETTE[(si * QUANTILES.length + qi) % PALETTE.length] });
      data.push(c.values.map((v) => (v === null ? null : quantile(q, meta.bounds ?? [], v))));
    }
  });
  const legend = series.map((s, i) => ({ color: s.color, label: s.label, value: `${fmt(last(data[i + 1]))}${unit}` }));
  return { sig: `histogram ${series.length}`, stacked: false, log: true, data, series, legend, summary: `${cols.length} series, per-interval percentiles`, keys: shown.map((c) => c.key) };
}

/** A labelled counter: each label set's share of the family's rate, stacked to 100 %. */
function shareView(meta, cols, times, unit, prev) {
  const shown = pick(cols, (c) => c.total, prev, TOP);
  const inShown = new Set(shown);
  const rest = cols.filter((c) => !inShown.has(c));
  const n = times.length;
  const totals = new Array(n).fill(0);
  for (const c of cols) for (let i = 0; i < n; i++) totals[i] += c.values[i] ?? 0;
  const rows = shown.map((c, k) => ({ label: labelText(meta.labels, c.labels), color: PALETTE[k % PALETTE.length], values: c.values }));
  if (rest.length > 0) {
    const other = new Array(n).fill(0);
    for (const c of rest) for (let i = 0; i < n; i++) other[i] += c.values[i] ?? 0;
    rows.push({ label: `other (${rest.length} more)`, color: OTHER, values: other });
  }
  // Cumulative shares, bottom row first; drawn top-down so each fill paints over the one above it.
  const cum = new Array(n).fill(0);
  const stacks = rows.map((r) =>
    r.values.map((v, i) => {
      if (!(totals[i] > 0)) return null;
      cum[i] += (100 * (v ?? 0)) / totals[i];
      return cum[i];
    }),
  );
  const lastTotal = totals[n - 1] ?? 0;
  return {
    sig: `share ${rows.length}${rest.length > 0 ? ' other' : ''}`,
    stacked: true,
    data: [times.slice(), ...stacks.slice().reverse()],
    series: rows.slice().reverse().map((r) => ({ label: r.label, color: r.color, fill: `${r.color}cc` })),
    legend: rows.map((r) => {
      const v = r.values[n - 1] ?? 0;
      return { color: r.color, label: r.label, value: `${lastTotal > 0 ? ((100 * v) / lastTotal).toFixed(1) : '–'} % · ${fmt(v)}/s` };
    }),
    summary: `total ${fmt(lastTotal)}${unit}/s, share by ${meta.labels.join(', ')} (${cols.length} series)`,
    keys: shown.map((c) => c.key),
  };
}

export class Panel {
  constructor(fam, parent) {
    this.name = fam.meta.name;
    this.root = el('section', 'panel');
    this.root.dataset.family = this.name;
    this.title = el('h2', '', this.name);
    this.summary = el('div', 'help');
    this.help = el('div', 'help', fam.meta.help);
    this.chart = el('div', 'chart');
    this.legend = el('ul', 'legend');
    this.root.append(this.title, this.summary, this.chart, this.legend, this.help);
    parent.append(this.root);
    this.plot = null;
    this.sig = null;
    this.view = null;
    this.legendSig = null;
    /** The legend's value nodes, in row order (numbers change in place while the rows stay). */
    this.legendValues = [];
    /** Whether the panel is on screen: off-screen panels are redrawn only when they scroll into view. */
    this.visible = true;
    this.dirty = false;
  }

  update(fam, times) {
    this.fam = fam;
    this.times = times;
    if (!this.visible && this.plot !== null) {
      this.dirty = true;
      return;
    }
    this.dirty = false;
    const v = view(fam, times, this.view?.keys ?? []);
    this.view = v;
    if (this.summary.textContent !== v.summary) this.summary.textContent = v.summary;
    if (this.plot === null || v.sig !== this.sig) this.build(v);
    else {
      // Same series slots: which label set a slot holds may change, and uPlot keeps labels for its own
      // legend only (off), so they are set in place rather than rebuilding the chart.
      v.series.forEach((s, i) => (this.plot.series[i + 1].label = s.label));
      this.plot.setData(v.data);
    }
    this.renderLegend(v.legend);
  }

  /** Called by the page's IntersectionObserver. */
  setVisible(visible) {
    this.visible = visible;
    if (visible && this.dirty) this.update(this.fam, this.times);
  }

  build(v) {
    if (this.plot !== null) this.plot.destroy();
    this.sig = v.sig;
    const width = Math.max(200, this.chart.clientWidth || 400);
    const opts = {
      width,
      height: HEIGHT,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: v.stacked ? { range: [0, 100] } : v.log ? { distr: 3, log: 2 } : {} },
      axes: [{}, { size: 56, values: (u, ticks) => ticks.map((t) => (v.stacked ? `${t}%` : fmt(t))) }],
      series: [{}, ...v.series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5, ...(s.fill ? { fill: s.fill } : {}), points: { show: false }, spanGaps: false }))],
    };
    // uPlot takes the label only for its legend, which is off; the legend below is ours, built from text nodes.
    this.plot = new uPlot(opts, v.data, this.chart);
  }

  renderLegend(rows) {
    // Same rows as last time: only the numbers change (no new nodes, no relayout of the list).
    const sig = rows.map((r) => r.color + r.label).join('\u0000');
    if (sig === this.legendSig) {
      rows.forEach((r, i) => {
        if (this.legendValues[i].textContent !== r.value) this.legendValues[i].textContent = r.value;
      });
      return;
    }
    this.legendSig = sig;
    this.legendValues = [];
    const items = rows.map((r) => {
      const li = el('li');
      const sw = el('span', 'swatch');
      sw.style.background = r.color;
      const value = el('span', 'value', r.value);
      this.legendValues.push(value);
      li.append(sw, el('span', 'label', r.label), value);
      li.title = r.label;
      return li;
    });
    this.legend.replaceChildren(...items);
  }

  resize() {
    if (this.plot !== null) this.plot.setSize({ width: Math.max(200, this.chart.clientWidth), height: HEIGHT });
  }

  destroy() {
    if (this.plot !== null) this.plot.destroy();
    this.root.remove();
  }

  /** For tests: points of each chart series at its last draw (non-null values; off-screen panels lag). */
  points() {
    return this.view === null ? [] : this.view.data.slice(1).map((d) => d.filter((x) => x !== null).length);
  }
}
