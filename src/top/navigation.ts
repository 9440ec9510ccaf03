/** Which line is selected and which stats are expanded, moved by key commands; kept by key across frames. */
import type { KeyCommand } from './keys.js';
import type { Row } from './rows.js';

export class Navigation {
  /** Keys of the expanded stats. */
  readonly expanded = new Set<string>();
  private selectedKey: string | undefined;
  private selectedIndex = 0;

  /**
   * The selected row's index in `rows`: the row with the selected key, else (that line went away) the
   * nearest index to where it was.
   */
  index(rows: readonly Row[]): number {
    if (rows.length === 0) return 0;
    const found = this.selectedKey === undefined ? -1 : rows.findIndex((r) => r.key === this.selectedKey);
    const i = found >= 0 ? found : Math.min(this.selectedIndex, rows.length - 1);
    this.select(rows, i);
    return i;
  }

  private select(rows: readonly Row[], i: number): void {
    this.selectedIndex = i;
    this.selectedKey = rows[i]?.key;
  }

  /** Applies one command; `page` is how many rows one screen shows. Returns true for quit. */
  apply(cmd: KeyCommand, rows: readonly Row[], page: number): boolean {
    if (cmd === 'quit') return true;
    if (rows.length === 0) return false;
    const i = this.index(rows);
    const row = rows[i] as Row;
    const last = rows.length - 1;
    const step = Math.max(1, page - 1);
    switch (cmd) {
      case 'up':
        this.select(rows, Math.max(0, i - 1));
        break;
      case 'down':
        this.select(rows, Math.min(last, i + 1));
        break;
      case 'pageUp':
        this.select(rows, Math.max(0, i - step));
        break;
      case 'pageDown':
        this.select(rows, Math.min(last, i + step));
        break;
      case 'home':
        this.select(rows, 0);
        break;
      case 'end':
        this.select(rows, last);
        break;
      case 'toggle':
        if (row.expandable) {
          if (this.expanded.has(row.key)) this.expanded.delete(row.key);
          else this.expanded.add(row.key);
        }
        break;
      case 'expand':
        if (row.expandable) this.expanded.add(row.key);
        break;
      case 'collapse': {
        // On a series line, collapse its stat and select the stat.
        const stat = row.depth === 1 ? rows.slice(0, i).reverse().find((r) => r.depth === 0) : row;
        if (stat !== undefined) {
          this.expanded.delete(stat.key);
          this.selectedKey = stat.key;
        }
        break;
      }
    }
    return false;
  }
}
