/**
 * The spectatord sink: each flush encodes the registry as spectatord lines (format.ts), packs them into
 * datagrams and queues them on a DatagramSender (UDP, or the daemon's UNIX datagram socket through koffi).
 */
import { statSync } from 'node:fs';
import { healthStats } from '../../health.js';
import { HistogramDeltas } from '../push/deltas.js';
import { DatagramSender } from '../push/datagram-sender.js';
import { UDP_MAX_PAYLOAD, createTransport, targetUrl, type DatagramTarget, type DatagramTransport } from '../push/datagram-transport.js';
import { DatagramPacker } from '../push/packer.js';
import type { CounterSeries } from '../../registry/series.js';
import type { Sink, SinkContext, Snapshot } from '../../plugin/sink.js';
import { SpectatordEncoder, type SpectatordHistograms } from './format.js';

/** The daemon's defaults, as its clients use them. */
export const SPECTATORD_UNIX_PATH = '/run/spectatord/spectatord.unix';
export const SPECTATORD_UDP: DatagramTarget = { kind: 'udp', host: '127.0.0.1', port: 1234 };
/** The spectator clients' buffer size; the daemon reads datagrams of up to 64 KiB. */
export const SPECTATORD_MAX_PACKET = 32768;
export const SPECTATORD_QUEUE_SIZE = 256;

/**
 * Where to send: a target, or `default`: the daemon's UNIX socket when it exists at start, else UDP
 * 127.0.0.1:1234 (what the spectator clients do).
 */
export type SpectatordLocation = DatagramTarget | 'default';

export interface SpectatordSinkOptions {
  readonly location: SpectatordLocation;
  readonly histograms?: SpectatordHistograms;
  /** Distribution mode: most sample lines per series per interval. Default 1000. */
  readonly maxSamples?: number;
  /** Largest datagram in bytes. Default 32768. */
  readonly maxPacket?: number;
  /** Datagrams held while the daemon is slow or down. Default 256. */
  readonly queueSize?: number;
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  /** Where `default` looks for the UNIX socket (tests point it elsewhere). */
  readonly defaultUnixPath?: string;
  readonly transport?: DatagramTransport;
}

/** True when `path` exists and is a socket. */
function isSocket(path: string): boolean {
  try {
    return statSync(path).isSocket();
  } catch {
    return false;
  }
}

export class SpectatordSink implements Sink {
  readonly name = 'spectatord';
  readonly maxPacket: number;
  private readonly opts: SpectatordSinkOptions;
  private readonly encoder: SpectatordEncoder;
  private readonly deltas: HistogramDeltas | undefined;
  private sender: DatagramSender | undefined;
  private packer: DatagramPacker | undefined;
  private ctx: SinkContext | undefined;
  /** `scx_metrics_sink_dropped_total{sink="spectatord"}`, resolved at start. */
  private dropped: CounterSeries | undefined;
  /** The target chosen at start. */
  target: DatagramTarget | undefined;

  constructor(opts: SpectatordSinkOptions) {
    this.opts = opts;
    this.maxPacket = opts.maxPacket ?? SPECTATORD_MAX_PACKET;
    this.encoder = new SpectatordEncoder({ histograms: opts.histograms, maxSamples: opts.maxSamples });
    this.deltas = this.encoder.histograms === 'distribution' ? new HistogramDeltas() : undefined;
  }

  get datagrams(): DatagramSender | undefined {
    return this.sender;
  }

  async start(ctx: SinkContext): Promise<void> {
    this.ctx = ctx;
    let target: DatagramTarget;
    if (this.opts.location === 'default') {
      const path = this.opts.defaultUnixPath ?? SPECTATORD_UNIX_PATH;
      if (isSocket(path)) target = { kind: 'unix', path };
      else {
        target = SPECTATORD_UDP;
        ctx.log.info(`sink spectatord: no socket at ${path}; sending to ${targetUrl(target)}`);
      }
    } else target = this.opts.location;
    this.target = target;
    const transport = this.opts.transport ?? createTransport(target);
    await transport.open();
    const dropped = ctx.registry.family(healthStats.stats.sink_dropped).with({ sink: this.name });
    this.dropped = dropped;
    const sender = new DatagramSender({
      name: this.name,
      transport,
      queueSize: this.opts.queueSize ?? SPECTATORD_QUEUE_SIZE,
      log: ctx.log,
      dropped,
      retryBaseMs: this.opts.retryBaseMs,
      retryMaxMs: this.opts.retryMaxMs,
    });
    this.sender = sender;
    this.packer = new DatagramPacker(
      target.kind === 'udp' ? Math.min(this.maxPacket, UDP_MAX_PAYLOAD) : this.maxPacket,
      (d) => sender.push(d),
      (line, lines) => {
        ctx.log.once('sink:spectatord:too-large', `sink spectatord: a line of ${line.length} bytes does not fit --spectatord-max-packet ${this.maxPacket}; not sent`);
        dropped.inc(lines);
      },
    );
  }

  flush(snapshot: Snapshot): void {
    const { packer, sender, ctx, dropped } = this;
    if (packer === undefined || sender === undefined || ctx === undefined || dropped === undefined) return;
    this.encoder.encode(snapshot.registry, this.deltas, {
      line: (text) => packer.add(text),
      problem: (key, message) => ctx.log.once(`sink:spectatord:${key}`, `sink spectatord: ${message}`),
      capped: (n) => {
        ctx.log.once('sink:spectatord:capped', `sink spectatord: more than ${this.encoder.maxSamples} observations of one histogram in an interval; the rest are dropped (--spectatord-max-samples)`);
        dropped.inc(n);
      },
    });
    packer.end();
    sender.endInterval();
  }

  async close(deadlineMs: number): Promise<void> {
    await this.sender?.close(deadlineMs);
  }
}
