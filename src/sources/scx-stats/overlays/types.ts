/**
 * Typing overlays: what the scx_stats protocol does not say. Schedulers send each client per-interval deltas
 * (counts since that client's previous request), percentages of those deltas, and levels, all typed only as
 * u64/i64/float. An overlay says, per struct and field, which is which, so counts accumulate into monotonic
 * `_total` counters and percentages are turned back into the raw counts they were computed from.
 *
 * Overlays are declarations, read from each scheduler's `stats.rs` and the code that fills it; they are
 * applied at run time to whatever `stats_meta` the scheduler serves. Fields an overlay does not mention
 * stay gauges (and the source says so once).
 */
import type { Unit } from '../../../declare/types.js';

/** A field that holds a count. */
export interface CountField {
  readonly field: string;
  /** Counter name (before the `scx_<scheduler>_` prefix and `_total`). Default: the field's exported gauge name. */
  readonly name?: string;
  readonly help?: string;
  /** Base unit of the counter after `scale` (e.g. seconds for a µs field). */
  readonly unit?: Unit;
  /** Multiplier from the field's unit to the counter's (1e-6 for µs to seconds). Default 1. */
  readonly scale?: number;
  /** The field is a running total since the scheduler started, not a per-interval delta (counted with `absolute`). */
  readonly cumulative?: boolean;
}

/**
 * Fields that are shares of another count field of the same struct (`stat / total * 100`): the count is
 * rebuilt as `round(value * of / scale)`. Either each field becomes its own counter, or (with `group`) all of
 * them become one counter with a label whose value names the field.
 */
export interface ShareCounts {
  /** The count field the shares are of. */
  readonly of: string;
  /** 100 for percentages, 1 for fractions. */
  readonly scale: number;
  /** One labelled counter for all fields (rusty's dispatch paths add up to `total`). */
  readonly group?: { readonly name: string; readonly help: string; readonly label: string };
  /** Field -> label value (with `group`) or -> counter name ('' for the field's exported gauge name). */
  readonly fields: Readonly<Record<string, string>>;
}

export interface StructOverlay {
  /** Per-interval counts (or, with `cumulative`, running totals). A bare string is a field counted under its gauge name. */
  readonly counts?: readonly (string | CountField)[];
  /** Counts carried as shares of another count. */
  readonly shares?: readonly ShareCounts[];
  /** Levels: stay gauges. */
  readonly levels?: readonly string[];
  /** Why a field is typed the way it is, where it is not obvious. */
  readonly notes?: Readonly<Record<string, string>>;
}

/** A field in a monitor line: its name, or `[name, label as the scheduler prints it]`. */
export type MonitorField = string | readonly [field: string, label: string];

export interface ScxOverlay {
  /** The scheduler, as in `scx_<name>` and the sched_ext `ops` name; counters are prefixed `scx_<name>_`. */
  readonly scheduler: string;
  /** Recognised when the meta's top struct has this name ... */
  readonly top: string;
  /** ... and these fields. */
  readonly signature: readonly string[];
  readonly structs: Readonly<Record<string, StructOverlay>>;
  /**
   * Human report (`scx-metrics monitor`): lines of top-struct fields in the order the scheduler prints
   * them; a `[field, label]` pair prints the field under the scheduler's own short label (`tot=`).
   */
  readonly monitorLines?: readonly (readonly MonitorField[])[];
}
