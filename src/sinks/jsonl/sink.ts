/**
 * The JSON lines sink: one record per interval (format.ts) appended to a file, or written to stdout for `-`.
 * Writes go through a stream whose file writes run on libuv's thread pool, so a slow disk or a stalled pipe
 * reader never blocks the loop; at most `queueSize` records wait to be written, beyond which a record is
 * dropped and its metrics counted in `scx_metrics_sink_dropped_total{sink="jsonl"}`. After a write error
 * (disk full, a reader that went away) the file is opened again at the next interval.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { healthStats } from '../../health.js';
import { errorMessage, type Logger } from '../../log.js';
import type { CounterSeries } from '../../registry/series.js';
import { CounterDeltas } from '../push/deltas.js';
import type { Sink, SinkContext, Snapshot } from '../sink.js';
import { JsonlEncoder } from './format.js';

export const JSONL_QUEUE_SIZE = 64;

export interface JsonlSinkOptions {
  /** A file to append to, or `-` for standard output. */
  readonly path: string;
  /** Records waiting to be written. Default 64. */
  readonly queueSize?: number;
}

export class JsonlSink implements Sink {
  readonly name = 'jsonl';
  private readonly opts: JsonlSinkOptions;
  private readonly encoder = new JsonlEncoder();
  private readonly deltas = new CounterDeltas();
  private stream: WriteStream | undefined;
  private opening: Promise<void> | undefined;
  private pending = 0;
  private log: Logger | undefined;
  private dropped: CounterSeries | undefined;
  private droppedInterval = 0;
  private dropReason = '';

  constructor(opts: JsonlSinkOptions) {
    this.opts = opts;
  }

  private get where(): string {
    return this.opts.path === '-' ? 'standard output' : this.opts.path;
  }

  /** Opens the file (creating it, appending); rejects with the path and the reason when it cannot. */
  async start(ctx: SinkContext): Promise<void> {
    this.log = ctx.log;
    this.dropped = ctx.registry.family(healthStats.stats.sink_dropped).with({ sink: this.name });
    await this.open();
  }

  private async open(): Promise<void> {
    if (this.opts.path === '-') {
      // fs streams write on the thread pool; process.stdout writes to a pipe synchronously on Linux.
      this.attach(createWriteStream('/dev/stdout', { fd: 1, autoClose: false }));
      return;
    }
    let handle;
    try {
      handle = await open(this.opts.path, 'a');
    } catch (err) {
      throw new Error(`sink jsonl: cannot open ${this.opts.path} for appending: ${errorMessage(err)}`);
    }
    this.attach(handle.createWriteStream());
  }

  private attach(stream: WriteStream): void {
    stream.on('error', (err) => {
      this.log?.once(`sink:jsonl:write`, `sink jsonl: cannot write to ${this.where}: ${err.message} (records are dropped; retrying each interval)`);
      if (this.stream === stream) this.stream = undefined;
      this.pending = 0;
    });
    this.stream = stream;
  }

  flush(snapshot: Snapshot): void {
    const { text, metrics } = this.encoder.encode(snapshot, this.deltas);
    const stream = this.stream;
    if (stream === undefined || stream.destroyed) {
      this.drop(metrics, `${this.where} is not writable`);
      this.reopen();
    } else if (this.pending >= (this.opts.queueSize ?? JSONL_QUEUE_SIZE)) {
      this.drop(metrics, `${this.pending} records still waiting to be written to ${this.where}`);
    } else {
      this.pending++;
      stream.write(`${text}\n`, (err) => {
        if (this.stream === stream) this.pending = Math.max(0, this.pending - 1);
        if (err === undefined || err === null) this.log?.clear('sink:jsonl:write', `sink jsonl: writing to ${this.where} again`);
        else this.drop(metrics, `${this.where}: ${err.message}`);
      });
    }
    if (this.droppedInterval > 0) {
      this.log?.warn(`sink jsonl: dropped ${this.droppedInterval} metrics in the last interval (${this.dropReason})`);
      this.droppedInterval = 0;
    }
  }

  private drop(metrics: number, why: string): void {
    this.dropped?.inc(metrics);
    this.droppedInterval += metrics;
    this.dropReason = why;
  }

  private reopen(): void {
    if (this.opening !== undefined || this.opts.path === '-') return;
    this.opening = this.open()
      .catch((err) => this.log?.once('sink:jsonl:write', errorMessage(err)))
      .finally(() => (this.opening = undefined));
  }

  /** Ends the stream, waiting at most `deadlineMs` for buffered records to reach the file. */
  async close(deadlineMs: number): Promise<void> {
    const stream = this.stream;
    this.stream = undefined;
    if (stream === undefined || stream.destroyed) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => {
        stream.once('error', () => resolve());
        stream.end(() => resolve());
      }),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs))),
    ]);
    clearTimeout(timer);
    if (!stream.writableFinished) stream.destroy();
  }
}
