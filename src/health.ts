/** The agent's own health, declared like any other stats so every sink exports it. */
import { counter, defineStats, gauge } from './declare/define.js';

export const healthStats = defineStats({
  name: 'scx_metrics',
  help: "scx-metrics' own health: collection time, source errors, sink drops",
  prefix: 'scx_metrics',
  stats: {
    collections: counter({ help: 'Collection intervals completed' }),
    collection_duration: gauge({ help: 'Wall time of the last collection, all sources together', unit: 'seconds' }),
    // One series per source the agent runs. A source whose input does not exist on this host (an optional
    // file such as /proc/schedstat on a kernel without it, no sched_ext scheduler for the BPF source to follow:
    // Source.present() false) has no source_* series at all, like a source that was never created (no
    // sched_ext, no scx_stats socket): absent is not down.
    source_up: gauge({ help: '1 when the source read successfully in the last interval, else 0', labels: { source: String } }),
    source_errors: counter({ help: 'Intervals in which a source failed to read', labels: { source: String } }),
    source_duration: gauge({ help: "Wall time of the source's last read", unit: 'seconds', labels: { source: String } }),
    sink_dropped: counter({ help: 'Items a push sink dropped because its queue was full or its peer failed', labels: { sink: String } }),
    sink_errors: counter({ help: 'Errors a sink met while sending or serving', labels: { sink: String } }),
    // One series per metric that reached the cardinality limit (--cardinality-limit).
    series_folded: counter({
      help: 'New label sets folded into a metric\'s overflow series (all labels "__overflow__") because it held --cardinality-limit series',
      labels: { metric: String },
    }),
    series_expired: counter({ help: 'Series removed because their source stopped reporting them for --series-grace intervals', labels: { source: String } }),
    // Errors no call of the agent's could catch: thrown from a timer or event handler a source, sink or user
    // module started, or a rejection nothing handled. `owner` is `sink:NAME`, `source:NAME`, `module:PATH`, or
    // `unknown` when the code that failed was not started by any of them.
    escaped_errors: counter({ help: 'Exceptions and rejections that escaped a source, sink or user module and were contained', labels: { owner: String } }),
  },
});
