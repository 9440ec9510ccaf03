/** The lines `top` lists: every stat, and under an expanded one its series. */
import type { LineView, StatView } from './model.js';
import type { StatKind } from './frame.js';

export interface Row {
  /** The line's key (LineView.key): selection and expansion follow it across frames. */
  readonly key: string;
  /** 0 for a stat, 1 for one of its series. */
  readonly depth: 0 | 1;
  /** The stat's name, or the series' labels. */
  readonly label: string;
  readonly kind: StatKind;
  /** True for a stat with labelled series, which can be expanded. */
  readonly expandable: boolean;
  readonly expanded: boolean;
  /** The stat's unit is seconds (its name ends in `_seconds`): means are shown as durations. */
  readonly seconds: boolean;
  /** Series count of a stat (for "(n)" after its name). */
  readonly count: number;
  readonly line: LineView;
}

/** A stat can be expanded when it has labels: one unlabelled series has nothing more to show. */
export function isExpandable(stat: StatView): boolean {
  return stat.series.length > 1 || (stat.series.length === 1 && stat.series[0]?.labelText !== '');
}

export function flatten(stats: readonly StatView[], expanded: ReadonlySet<string>): Row[] {
  const out: Row[] = [];
  for (const st of stats) {
    const expandable = isExpandable(st);
    const seconds = st.name.endsWith('_seconds');
    const open = expandable && expanded.has(st.key);
    out.push({ key: st.key, depth: 0, label: st.name, kind: st.kind, seconds, expandable, expanded: open, count: st.series.length, line: st });
    if (open) for (const s of st.series) out.push({ key: s.key, depth: 1, label: s.labelText, kind: st.kind, seconds, expandable: false, expanded: false, count: 1, line: s });
  }
  return out;
}
