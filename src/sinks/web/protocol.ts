/**
 * The web view's wire format: what the agent sends the page over server-sent events at `/api/events`. One
 * stream per page; the browser's EventSource reconnects by itself. Every event's data is one JSON object:
 *
 * - `hello` (first, on every connection): who is talking. A page that reconnects and sees another `agent.id`
 *   knows the agent restarted and drops what it holds.
 * - `schema`: the series, in the order of a frame's values. Sent on connection and whenever a series appears
 *   or disappears; frames name the schema they follow.
 * - `status`: the header: the running scheduler, each source's state and since when. Sent on connection and
 *   when it changes.
 * - `frame`: one collection interval. Sent after every collection but the first (the baseline that rates are
 *   measured from). On connection the frames still in the agent's window come first, each after its schema.
 *
 * Values: a counter's per-second rate over the interval, a gauge's value (null when not finite), a
 * histogram's per-bucket counts over the interval (bucket i for `bounds[i]`, the last for +Inf).
 */

/** Version of this format, in `hello`; a page refuses another. */
export const PROTOCOL_VERSION = 1;

export interface HelloEvent {
  readonly protocol: number;
  readonly agent: {
    /** Random per agent process: a different id after a reconnection means the agent restarted. */
    readonly id: string;
    readonly version: string;
    /** When the web view started, Unix ms. */
    readonly startedMs: number;
  };
  readonly intervalSeconds: number;
  /** Frames the agent keeps and the page keeps at most. */
  readonly window: number;
  /** Path of the Prometheus exposition on the same listener, when there is one. */
  readonly metricsPath: string | null;
}

export interface SchemaFamily {
  /** The exposed name (`scx_host_context_switches_total` for a counter, as /metrics writes its sample). */
  readonly name: string;
  readonly kind: 'counter' | 'gauge' | 'histogram';
  readonly help: string;
  readonly unit: string;
  readonly labels: readonly string[];
  /** Label values of each series, in `labels` order. */
  readonly series: readonly (readonly string[])[];
  /** Upper bounds of a histogram's buckets, in base units. */
  readonly bounds?: readonly number[];
}

export interface SchemaEvent {
  readonly id: number;
  readonly families: readonly SchemaFamily[];
}

export interface SourceStatus {
  readonly name: string;
  readonly up: boolean;
  /** Since when the source has been in this state (as far as this agent saw), Unix ms. */
  readonly sinceMs: number;
}

export interface StatusEvent {
  /** The loaded sched_ext scheduler, or null when there is none (or no sched_ext source). */
  readonly scheduler: { readonly name: string; readonly ops: string } | null;
  readonly sources: readonly SourceStatus[];
}

export interface FrameEvent {
  /** Wall-clock time of the collection, Unix ms. */
  readonly t: number;
  /** Seconds the interval lasted (the rates' denominator). */
  readonly dt: number;
  /** The schema whose series order `v` follows. */
  readonly schema: number;
  readonly v: readonly (number | null | readonly number[])[];
}
