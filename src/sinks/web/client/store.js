// The page's bounded window: one column of values per series, aligned with the frame times, at most
// `window` frames long. A series that appears is filled with nulls before its first frame; one that is gone
// gets nulls, and its column is dropped once no value of it is left in the window. Each column keeps the sum
// of its values in the window (`total`; bucket counts summed for histograms), so ranking series by volume
// costs one read per series, not a pass over the window.

/** @typedef {{ name: string, kind: 'counter'|'gauge'|'histogram', help: string, unit: string, labels: string[], series: string[][], bounds?: number[] }} SchemaFamily */

const SEP = '\u0000';

/** A value's weight in its column's total: the number, or a histogram frame's observation count. */
function volume(v) {
  if (typeof v === 'number') return v;
  let s = 0;
  for (const c of v) s += c;
  return s;
}

export class Store {
  /** @param {number} window frames kept */
  constructor(window) {
    this.window = Math.max(2, window);
    this.clear();
  }

  clear() {
    /** Frame times, Unix seconds (uPlot's x). */
    this.times = [];
    /** Seconds each frame's interval lasted. */
    this.dts = [];
    /** Family name -> { meta: SchemaFamily, cols: Map<key, Column> } */
    this.families = new Map();
    /** Schema id -> [{ fam, key, labels }] in frame value order. */
    this.schemas = new Map();
  }

  /** @param {{ id: number, families: SchemaFamily[] }} schema */
  addSchema(schema) {
    const order = [];
    for (const fam of schema.families) {
      for (const values of fam.series) order.push({ fam, key: fam.name + SEP + values.join(SEP), labels: values });
    }
    this.schemas.set(schema.id, order);
    // Frames only ever follow a recent schema; keep a few for a backlog that spans changes.
    for (const id of this.schemas.keys()) if (id < schema.id - 16) this.schemas.delete(id);
  }

  /**
   * Adds one frame; false when its schema is unknown or it is not newer than the last (a reconnection
   * resends the window).
   * @param {{ t: number, dt: number, schema: number, v: (number|null|number[])[] }} frame
   */
  addFrame(frame) {
    const order = this.schemas.get(frame.schema);
    const t = frame.t / 1000;
    if (order === undefined || (this.times.length > 0 && t <= this.times[this.times.length - 1])) return false;
    const n = this.times.length;
    this.times.push(t);
    this.dts.push(frame.dt);
    const seen = new Set();
    for (let i = 0; i < order.length; i++) {
      const { fam, key, labels } = order[i];
      let f = this.families.get(fam.name);
      if (f === undefined) {
        f = { meta: fam, cols: new Map() };
        this.families.set(fam.name, f);
      }
      f.meta = fam;
      let col = f.cols.get(key);
      if (col === undefined) {
        col = { key, labels, values: new Array(n).fill(null), present: 0, total: 0 };
        f.cols.set(key, col);
      }
      const v = frame.v[i] ?? null;
      col.values.push(v);
      if (v !== null) {
        col.present++;
        col.total += volume(v);
      }
      seen.add(col);
    }
    for (const f of this.families.values()) for (const col of f.cols.values()) if (!seen.has(col)) col.values.push(null);
    if (this.times.length > this.window) this.shift();
    return true;
  }

  shift() {
    this.times.shift();
    this.dts.shift();
    for (const [name, f] of this.families) {
      for (const [key, col] of f.cols) {
        const v = col.values.shift();
        if (v !== null) {
          col.present--;
          col.total -= volume(v);
        }
        if (col.present === 0) f.cols.delete(key);
      }
      if (f.cols.size === 0) this.families.delete(name);
    }
  }
}
