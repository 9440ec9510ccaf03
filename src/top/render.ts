/**
 * Draws `top` as lines of text for a terminal of a given size: a title bar, column headings, one row per
 * line of the model (scrolled to keep the selection in view), and a footer with the keys and the status.
 * Pure: the same input gives the same lines, each at most `width` columns, at most `height` lines.
 */
import { formatSeconds, formatValue } from './format.js';
import type { Row } from './rows.js';
import { sparkline } from './sparkline.js';
import { fit, fitRight, printable, textWidth, truncate } from './text-width.js';

export interface RenderInput {
  /** Says what is watched (the agent's sources, or the URL). */
  readonly title: string;
  /** The latest problem (a failed scrape, a source warning), or ''. */
  readonly status: string;
  readonly rows: readonly Row[];
  readonly selected: number;
  /** The first row shown last time; adjusted to keep `selected` in view. */
  readonly scroll: number;
  readonly width: number;
  readonly height: number;
  /** Use inverse video for the title and the selected row (off in tests that read plain text). */
  readonly colour?: boolean;
}

export interface Rendered {
  readonly lines: string[];
  readonly scroll: number;
  /** Rows that fit on one screen (the page size for PgUp/PgDn). */
  readonly page: number;
}

const INVERSE = '\x1b[7m';
const RESET = '\x1b[0m';
/** Value column: "12.3k" right-aligned, then the unit column ("/s" for rates). */
const VALUE_W = 8;
const UNIT_W = 3;
const HELP = 'q quit  ↑↓/jk move  ⏎/space expand';

export function render(input: RenderInput): Rendered {
  const { width, height, rows } = input;
  const colour = input.colour ?? true;
  if (width <= 0 || height <= 0) return { lines: [], scroll: 0, page: 0 };
  const page = Math.max(0, height - 3);
  let scroll = Math.min(input.scroll, Math.max(0, rows.length - page));
  if (input.selected < scroll) scroll = input.selected;
  if (page > 0 && input.selected >= scroll + page) scroll = input.selected - page + 1;
  scroll = Math.max(0, scroll);

  const cols = columns(rows, width);
  const bar = (s: string): string => (colour ? `${INVERSE}${fit(s, width)}${RESET}` : fit(s, width));
  const lines: string[] = [bar(printable(input.title))];
  lines.push(fit(`  ${fit('STAT', cols.name - 2)} ${fitRight('NOW', VALUE_W)}${' '.repeat(UNIT_W)}${cols.spark > 0 ? ` ${'HISTORY'}` : ''}`, width));
  if (rows.length === 0 && page > 0) lines.push(fit('  waiting for the first read…', width));
  for (let i = scroll; i < Math.min(rows.length, scroll + page); i++) {
    const text = row(rows[i] as Row, cols, width);
    lines.push(i === input.selected && colour ? `${INVERSE}${text}${RESET}` : text);
  }
  while (lines.length < height - 1) lines.push(' '.repeat(width));
  const status = input.status === '' ? '' : ` │ ${printable(input.status)}`;
  lines.push(fit(`${HELP}${status}`, width));
  return { lines: lines.slice(0, height), scroll, page };
}

interface Columns {
  readonly name: number;
  readonly spark: number;
}

/** Name column as wide as the longest name up to about half the width; the sparkline takes the rest. */
function columns(rows: readonly Row[], width: number): Columns {
  const fixed = 1 + VALUE_W + UNIT_W;
  let longest = 12;
  for (const r of rows) longest = Math.max(longest, textWidth(label(r)));
  const name = Math.min(longest, Math.max(12, Math.floor((width - fixed) * 0.55)));
  const spark = width - name - fixed - 1;
  if (spark >= 8) return { name, spark };
  return { name: Math.max(1, width - fixed), spark: 0 };
}

function label(r: Row): string {
  if (r.depth === 1) return `    ${printable(r.label)}`;
  const mark = !r.expandable ? '  ' : r.expanded ? '▾ ' : '▸ ';
  return `${mark}${r.label}${r.expandable ? ` (${r.count})` : ''}`;
}

function row(r: Row, cols: Columns, width: number): string {
  const unit = r.kind === 'gauge' ? '' : '/s';
  let text = `${fit(label(r), cols.name)} ${fitRight(formatValue(r.line.value), VALUE_W)}${fit(unit, UNIT_W)}`;
  if (cols.spark > 0) {
    // A histogram's mean observation comes before its sparkline: the rate alone hides what was observed.
    const detail = r.kind === 'histogram' ? `avg ${(r.seconds ? formatSeconds : formatValue)(r.line.mean)} ` : '';
    const room = cols.spark - textWidth(detail);
    text += ` ${room >= 4 ? detail + sparkline(r.line.history, room) : sparkline(r.line.history, cols.spark)}`;
  }
  return fit(truncate(text, width), width);
}
