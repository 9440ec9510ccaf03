/** The terminal report sink: after each collection, prints what changed over the interval to a stream. */
import type { Sink, SinkContext, Snapshot } from '../sink.js';
import type { Registry } from '../../registry/index.js';
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

  constructor(opts: TerminalSinkOptions) {
    this.opts = opts;
  }

  async start(ctx: SinkContext): Promise<void> {
    this.registry = ctx.registry;
  }

  flush(s: Snapshot): void {
    // The first flush is the baseline: cumulative counters (ctxt since boot) would otherwise report their
    // whole history as one interval.
    if (!this.primed) {
      this.tracker.baseline(s.registry);
      this.primed = true;
      return;
    }
    const report = this.tracker.report(s.registry, s.timeMs, s.intervalSeconds);
    const colour = this.opts.colour ?? (this.opts.out as { isTTY?: boolean }).isTTY === true;
    this.opts.out.write(this.opts.format === 'json' ? formatJson(report) : formatText(report, { colour, top: this.opts.top ?? 10 }));
  }
}
