/**
 * One map entry's series, created when the entry is first read rather than when the source attaches.
 *
 * Every series the registry holds is exported, and a counter or histogram made before anything was read
 * renders as 0: a scheduler whose maps cannot be found (not loaded, or of another shape than its profile)
 * would then look like an idle one on a dashboard. Created on the first read, a series means a value came
 * from a map. Once created it stays: a map that goes away later (a restart) keeps its series at their last
 * values, and the counter rules carry them on when the map comes back.
 *
 * Per-CPU entries have a slot per possible CPU. While a CPU is offline its slot's handle is a detached one
 * (updated, never exported), so its series goes unreported and expires after the grace period; when the CPU
 * comes back its series is resolved again.
 */
import type { CounterSeries, Family, GaugeSeries, HistogramSeries } from '../../registry/index.js';
import type { OnlineCpus } from '../online-cpus.js';

export type Handle = CounterSeries | GaugeSeries | HistogramSeries;

export class EntrySeries {
  private readonly family: Family;
  private readonly labelSets: readonly (readonly string[])[];
  /** For per-CPU entries: the CPU label value of each handle, and the online CPUs the source last read. */
  private readonly cpus: { readonly labels: readonly string[]; readonly online: OnlineCpus } | undefined;
  private handles: Handle[] | undefined;
  /** The online set the handles were last matched to (null: not matched yet). */
  private matched: ReadonlySet<string> | undefined | null = null;

  /**
   * `labelSets`: one per handle, in the family's label order (one, or one per possible CPU); `cpus`, for a
   * per-CPU entry, the CPU of each handle and where the online CPUs are read.
   */
  constructor(family: Family, labelSets: readonly (readonly string[])[], cpus?: { readonly labels: readonly string[]; readonly online: OnlineCpus }) {
    this.family = family;
    this.labelSets = labelSets;
    this.cpus = cpus;
  }

  /** How many handles the entry has, known before any is created (the source lays out its slots by it). */
  get count(): number {
    return this.labelSets.length;
  }

  /** Whether the entry has been read, so its series exist. */
  get created(): boolean {
    return this.handles !== undefined;
  }

  /** Removes the series, if created (their scheduler is gone); a later read creates them afresh. */
  remove(): void {
    if (this.handles === undefined) return;
    for (const l of this.labelSets) this.family.remove(l);
    this.handles = undefined;
    this.matched = null;
  }

  /**
   * The handles, created now if this is the entry's first read. Call only with a value read in hand. For a
   * per-CPU entry, offline CPUs get detached handles.
   */
  get(): Handle[] {
    const hs = (this.handles ??= this.labelSets.map((l) => this.family.withValues(l)));
    const cpus = this.cpus;
    if (cpus === undefined) return hs;
    const online = cpus.online.current;
    if (online === this.matched) return hs;
    this.matched = online;
    for (let k = 0; k < hs.length; k++) {
      const on = online === undefined || online.has(cpus.labels[k] as string);
      const h = hs[k] as Handle;
      if (on && (h.removed || h.id < 0)) hs[k] = this.family.withValues(this.labelSets[k] as string[]);
      else if (!on && h.id >= 0) hs[k] = this.family.detached(this.labelSets[k] as string[]);
    }
    return hs;
  }
}
