/**
 * The StatsD sink: each flush encodes the registry as StatsD lines (format.ts), packs them into datagrams of
 * at most `maxPacket` bytes and queues them on a DatagramSender, which sends over UDP or a UNIX datagram
 * socket. `flush()` does not wait for the network.
 */
import { healthStats } from '../../health.js';
import { CounterDeltas, HistogramDeltas } from '../push/deltas.js';
import { DatagramSender } from '../push/datagram-sender.js';
import { createTransport, type DatagramTarget, type DatagramTransport } from '../push/datagram-transport.js';
import { DatagramPacker } from '../push/packer.js';
import type { Sink, SinkContext, Snapshot } from '../../plugin/sink.js';
import { StatsdEncoder, type StatsdTags } from './format.js';

/** Datagram size defaults: a 1500-byte Ethernet MTU less headers on UDP; the DogStatsD agent's buffer on UNIX. */
export const STATSD_UDP_MAX_PACKET = 1432;
export const STATSD_UNIX_MAX_PACKET = 8192;
export const STATSD_QUEUE_SIZE = 1024;

export interface StatsdSinkOptions {
  readonly target: DatagramTarget;
  /** Tag dialect. Default `dogstatsd`. */
  readonly tags?: StatsdTags;
  /** Prepended to every metric name as is (include the separator: `scx.`). */
  readonly prefix?: string;
  /** Largest datagram in bytes. Default 1432 on UDP, 8192 on a UNIX socket. */
  readonly maxPacket?: number;
  /** Datagrams held while the peer is slow or down. Default 1024. */
  readonly queueSize?: number;
  /** Retry timing after a refusal (tests shorten it). */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  /** A transport to use instead of one made from `target` (tests). */
  readonly transport?: DatagramTransport;
}

export class StatsdSink implements Sink {
  readonly name = 'statsd';
  readonly maxPacket: number;
  private readonly opts: StatsdSinkOptions;
  private readonly encoder: StatsdEncoder;
  private readonly counters = new CounterDeltas();
  private readonly histograms = new HistogramDeltas();
  private sender: DatagramSender | undefined;
  private packer: DatagramPacker | undefined;

  constructor(opts: StatsdSinkOptions) {
    this.opts = opts;
    this.maxPacket = opts.maxPacket ?? (opts.target.kind === 'udp' ? STATSD_UDP_MAX_PACKET : STATSD_UNIX_MAX_PACKET);
    this.encoder = new StatsdEncoder(opts.tags ?? 'dogstatsd', opts.prefix ?? '');
  }

  /** The sender, once started (tests and benchmarks wait on `sender.idle()`). */
  get datagrams(): DatagramSender | undefined {
    return this.sender;
  }

  async start(ctx: SinkContext): Promise<void> {
    const transport = this.opts.transport ?? createTransport(this.opts.target);
    await transport.open();
    const sender = new DatagramSender({
      name: this.name,
      transport,
      queueSize: this.opts.queueSize ?? STATSD_QUEUE_SIZE,
      log: ctx.log,
      dropped: ctx.registry.family(healthStats.stats.sink_dropped).with({ sink: this.name }),
      retryBaseMs: this.opts.retryBaseMs,
      retryMaxMs: this.opts.retryMaxMs,
    });
    this.sender = sender;
    this.packer = new DatagramPacker(
      this.maxPacket,
      (d) => sender.push(d),
      (unit, lines) => {
        ctx.log.once(`sink:statsd:too-large`, `sink statsd: a line of ${unit.length} bytes does not fit --statsd-max-packet ${this.maxPacket}; not sent`);
        // Counted as dropped: the data exists and did not go out.
        ctx.registry.family(healthStats.stats.sink_dropped).with({ sink: this.name }).inc(lines);
      },
    );
  }

  flush(snapshot: Snapshot): void {
    const packer = this.packer;
    if (packer === undefined || this.sender === undefined) return;
    this.encoder.encode(snapshot.registry, this.counters, this.histograms, (unit, lines) => packer.add(unit, lines));
    packer.end();
    this.sender.endInterval();
  }

  async close(deadlineMs: number): Promise<void> {
    await this.sender?.close(deadlineMs);
  }
}
