/** The terminal report sink: after each collection, prints what changed over the interval to a stream. */
import { outputGone, type Sink, type SinkContext, type Snapshot } from '../../plugin/sink.js';
import type { CounterSeries, Registry } from '../../registry/index.js';
import type { Logger } from '../../support/log.js';
import { healthStats } from '../../health.js';

/** Bytes of earlier reports a stream may still hold before the next report is skipped. */
const MAX_PENDING_BYTES = 256 * 1024;
import { IntervalTracker } from './interval.js';
import { formatJson } from './json.js';
import { formatText } from './text.js';

export interface TerminalSinkOptions {
  readonly format: 'text' | 'json';
  readonly out: NodeJS.WritableStream;
  /** ANSI colour; default: when `out` is a TTY. */
  readonly colour?: boolean;
  /** Label values shown per family in text (default 10). */
  readonly top?: number;
}

export class TerminalSink implements Sink {
  readonly name = 'terminal';
  private readonly tracker = new IntervalTracker();
  private readonly opts: TerminalSinkOptions;
  private registry: Registry | undefined;
  private primed = false;
  private closed = false;
  private log: Logger | undefined;
  private dropped: CounterSeries | undefined;

  constructor(opts: TerminalSinkOptions) {
    this.opts = opts;
  }

  async start(ctx: SinkContext): Promise<void> {
    this.registry = ctx.registry;
    this.log = ctx.log;
    this.dropped = ctx.registry.family(healthStats.stats.sink_dropped).with({ sink: this.name });
    // A reader that went away (`| head`) ends the report for good; the agent decides whether that ends it too.
    this.opts.out.on('error', (err: NodeJS.ErrnoException) => {
      if (this.closed) return;
      this.closed = true;
      const why = err.code === 'EPIPE' ? 'its reader went away (EPIPE)' : `${err.code ?? err.message} writing the report`;
      outputGone(ctx, `terminal report stopped: ${why}`);
    });
  }

  flush(s: Snapshot): void {
    // The first flush is the baseline: cumulative counters (ctxt since boot) would otherwise report their
    // whole history as one interval.
    if (!this.primed) {
      this.tracker.baseline(s.registry);
      this.primed = true;
      return;
    }
    if (this.closed) return;
    const report = this.tracker.report(s.registry, s.timeMs, s.intervalSeconds);
    // A stalled reader (a paused pager, throttled journald) must not grow memory without bound: while the
    // stream still holds more than a cap of earlier reports, this one is skipped and counted.
    const pending = (this.opts.out as { writableLength?: number }).writableLength ?? 0;
    if (pending > MAX_PENDING_BYTES) {
      this.dropped?.inc();
      this.log?.once('terminal:stalled', `terminal report: the reader is not keeping up; reports are skipped until it does`);
      return;
    }
    this.log?.clear('terminal:stalled', 'terminal report: the reader caught up');
    const colour = this.opts.colour ?? (this.opts.out as { isTTY?: boolean }).isTTY === true;
    this.opts.out.write(this.opts.format === 'json' ? formatJson(report) : formatText(report, { colour, top: this.opts.top ?? 10 }));
  }
}
