/**
 * The web view's header: which sched_ext scheduler is loaded and which sources are up, and since when. Read
 * from the registry like any sink reads it (the agent's `scx_metrics_source_up` and sched_ext's
 * `scx_sched_ext_scheduler`), so it says what /metrics says.
 */
import { healthStats } from '../../health.js';
import type { GaugeSeries, Registry } from '../../registry/index.js';
import type { SourceStatus, StatusEvent } from './protocol.js';

/**
 * The family the sched_ext source exports the loaded scheduler in (1, with `name` and `ops` labels). Named
 * here rather than imported: sinks do not import sources.
 */
export const SCHEDULER_FAMILY = 'scx_sched_ext_scheduler';

export class StatusTracker {
  /** Per source: its state and when this tracker first saw it in that state. */
  private readonly seen = new Map<string, { up: boolean; sinceMs: number }>();
  private last = '';

  /** The `status` event's JSON when the header changed since the previous call, else undefined. */
  update(registry: Registry, nowMs: number): string | undefined {
    const sources: SourceStatus[] = [];
    const present = new Set<string>();
    const up = registry.get(healthStats.stats.source_up.name);
    for (const s of up?.series ?? []) {
      const name = s.labelValues[0] as string;
      const isUp = (s as GaugeSeries).value === 1;
      present.add(name);
      let st = this.seen.get(name);
      if (st === undefined || st.up !== isUp) {
        st = { up: isUp, sinceMs: nowMs };
        this.seen.set(name, st);
      }
      sources.push({ name, up: isUp, sinceMs: st.sinceMs });
    }
    // A source whose input went away has no series: forget it, so it counts anew when it comes back.
    for (const name of this.seen.keys()) if (!present.has(name)) this.seen.delete(name);
    let scheduler: StatusEvent['scheduler'] = null;
    for (const s of registry.get(SCHEDULER_FAMILY)?.series ?? []) {
      if ((s as GaugeSeries).value === 1) scheduler = { name: s.labelValues[0] ?? '', ops: s.labelValues[1] ?? '' };
    }
    const event: StatusEvent = { scheduler, sources };
    const text = JSON.stringify(event);
    if (text === this.last) return undefined;
    this.last = text;
    return text;
  }

  /** The last status sent (for a page that connects now). */
  get current(): string {
    return this.last;
  }
}
