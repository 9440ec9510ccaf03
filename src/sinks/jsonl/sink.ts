/**
 * The JSON lines sink: one record per interval (format.ts) appended to a file, or written to stdout for `-`.
 * Writes never block the loop: a file is written through an fs stream (libuv's thread pool); a pipe or
 * socket on stdout through a libuv stream of its own, which waits for room without holding a thread. Both
 * are bounded: a record is dropped, its metrics counted in `scx_metrics_sink_dropped_total{sink="jsonl"}`,
 * when `queueSize` records or more than `maxBufferedBytes` bytes are still waiting (a slow disk, a stalled
 * reader). After a write error (disk full) a file is opened again at the next interval; standard output
 * cannot be, so after its first error (EPIPE: the reader went away) the sink stops writing and reports its
 * output gone (sink.ts `outputGone`): said once while other sinks go on; the agent ends when none does.
 */
import { createWriteStream, fstatSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { healthStats } from '../../health.js';
import { errorMessage, type Logger } from '../../support/log.js';
import type { CounterSeries } from '../../registry/series.js';
import { CounterDeltas } from '../push/deltas.js';
import { outputGone, type Sink, type SinkContext, type Snapshot } from '../../plugin/sink.js';
import { JsonlEncoder } from './format.js';

export const JSONL_QUEUE_SIZE = 64;
/** Bytes waiting to be written beyond which records are dropped. */
export const JSONL_MAX_BUFFERED_BYTES = 1 << 20;

export interface JsonlSinkOptions {
  /** A file to append to, or `-` for standard output. */
  readonly path: string;
  /** Records waiting to be written. Default 64. */
  readonly queueSize?: number;
  /** Bytes waiting to be written beyond which records are dropped. Default 1 MiB. */
  readonly maxBufferedBytes?: number;
}

export class JsonlSink implements Sink {
  readonly name = 'jsonl';
  private readonly opts: JsonlSinkOptions;
  private readonly encoder = new JsonlEncoder();
  private readonly deltas = new CounterDeltas();
  private stream: Writable | undefined;
  /** Standard output failed (EPIPE, ...): nothing more is written to it. */
  private stdoutGone = false;
  private opening: Promise<void> | undefined;
  private pending = 0;
  private log: Logger | undefined;
  private ctx: SinkContext | undefined;
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
    this.ctx = ctx;
    this.dropped = ctx.registry.family(healthStats.stats.sink_dropped).with({ sink: this.name });
    await this.open();
  }

  private async open(): Promise<void> {
    if (this.opts.path === '-') {
      this.attach(stdoutStream());
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

  private attach(stream: Writable): void {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (this.opts.path === '-') {
        const ctx = this.ctx;
        if (!this.stdoutGone && ctx !== undefined) {
          outputGone(ctx, `sink jsonl: cannot write to standard output: ${err.code ?? err.message}${err.code === 'EPIPE' ? ' (its reader went away)' : ''}; no more records are written to it`);
        }
        this.stdoutGone = true;
        stream.destroy();
      } else this.log?.once(`sink:jsonl:write`, `sink jsonl: cannot write to ${this.where}: ${err.message} (records are dropped; retrying each interval)`);
      if (this.stream === stream) this.stream = undefined;
      this.pending = 0;
    });
    this.stream = stream;
  }

  flush(snapshot: Snapshot): void {
    const { text, metrics } = this.encoder.encode(snapshot, this.deltas);
    const stream = this.stream;
    const maxBytes = this.opts.maxBufferedBytes ?? JSONL_MAX_BUFFERED_BYTES;
    if (this.stdoutGone) {
      // Said once when it happened; still counted, as every record not written is.
      this.dropped?.inc(metrics);
      return;
    } else if (stream === undefined || stream.destroyed) {
      this.drop(metrics, `${this.where} is not writable`);
      this.reopen();
    } else if (this.pending >= (this.opts.queueSize ?? JSONL_QUEUE_SIZE)) {
      this.drop(metrics, `${this.pending} records still waiting to be written to ${this.where}`);
    } else if (stream.writableLength > maxBytes) {
      this.drop(metrics, `${stream.writableLength} bytes still waiting to be written to ${this.where}, more than ${maxBytes}`);
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

/**
 * Standard output as a stream of our own. A pipe or socket gets a libuv stream: it waits for room with epoll
 * (an fs write would hold a thread-pool thread on a stalled blocking pipe, and fail with EAGAIN on a
 * non-blocking one), writes asynchronously once the pipe is full, and can be destroyed at shutdown with
 * writes still pending (process.stdout cannot, and keeps the process alive). A file, a terminal or
 * /dev/null is written with fs writes, which complete.
 */
function stdoutStream(): Writable {
  let pipe = false;
  try {
    const st = fstatSync(1);
    pipe = st.isFIFO() || st.isSocket();
  } catch {
    // A closed fd 1: the fs stream reports EBADF on the first write.
  }
  return pipe ? new Socket({ fd: 1, readable: false, writable: true }) : createWriteStream('', { fd: 1, autoClose: false });
}
