/** The spectatord sink's flags: `--spectatord LOCATION`, histogram mode, sizes. */
import type { SinkPlugin } from '../../plugin/plugin.js';
import { UsageError, parsePositive, positive, stringFlag } from '../../plugin/flags.js';
import { UDP_MAX_PAYLOAD, parseDatagramTarget } from '../push/datagram-transport.js';
import { queueSize, queueSizeFlags } from '../push/queue-flags.js';
import { SPECTATORD_HISTOGRAM_MODES, type SpectatordHistograms } from './format.js';
import { SPECTATORD_QUEUE_SIZE, SPECTATORD_UDP, SpectatordSink, type SpectatordLocation } from './sink.js';

/** The daemon reads into a 64 KiB buffer and NUL-terminates what it read. */
const DAEMON_MAX_DATAGRAM = 65535;

/** `default`/`unix`, `udp`, `udp://HOST:PORT`, `unix:///PATH` or an absolute path. */
export function parseSpectatordLocation(text: string): SpectatordLocation {
  if (text === 'default' || text === 'unix') return 'default';
  if (text === 'udp') return SPECTATORD_UDP;
  const t = parseDatagramTarget(text.startsWith('/') ? `unix://${text}` : text, 1234);
  if (typeof t === 'string') throw new UsageError(`--spectatord: ${t}, or default (the daemon's UNIX socket, else UDP 127.0.0.1:1234)`);
  return t;
}

function histogramMode(flag: string, mode: string): void {
  if (!(SPECTATORD_HISTOGRAM_MODES as readonly string[]).includes(mode)) throw new UsageError(`--${flag}: "${mode}" is not one of ${SPECTATORD_HISTOGRAM_MODES.join(', ')}`);
}

export const spectatordPlugin: SinkPlugin = {
  name: 'spectatord',
  enabledBy: 'spectatord',
  flags: {
    spectatord: {
      type: 'string',
      metavar: 'LOCATION',
      check: (_, text) => void parseSpectatordLocation(text),
      help: 'Send to spectatord: default (/run/spectatord/spectatord.unix when present, else udp://127.0.0.1:1234), udp://HOST:PORT or unix:///PATH',
    },
    'spectatord-histograms': {
      type: 'string',
      default: 'buckets',
      metavar: 'buckets|distribution',
      check: histogramMode,
      help: 'Histograms as exact monotonic bucket counters, or as percentile distribution samples (D, T for seconds) at bucket midpoints',
    },
    'spectatord-max-samples': { type: 'string', default: '1000', metavar: 'N', check: positive({ integer: true }), help: 'Distribution mode: most samples per histogram series per interval' },
    'spectatord-max-packet': { type: 'string', default: '32768', metavar: 'BYTES', check: positive({ integer: true }), help: 'Largest datagram' },
    ...queueSizeFlags('spectatord', 'Datagram', SPECTATORD_QUEUE_SIZE),
  },
  create(values) {
    const text = stringFlag(values, 'spectatord');
    if (text === undefined) return [];
    const location = parseSpectatordLocation(text);
    const histograms = stringFlag(values, 'spectatord-histograms') ?? 'buckets';
    histogramMode('spectatord-histograms', histograms);
    const maxPacket = parsePositive('spectatord-max-packet', stringFlag(values, 'spectatord-max-packet') ?? '32768', { integer: true });
    const limit = location !== 'default' && location.kind === 'udp' ? UDP_MAX_PAYLOAD : DAEMON_MAX_DATAGRAM;
    if (maxPacket > limit) throw new UsageError(`--spectatord-max-packet: ${maxPacket} is larger than ${limit}, the largest datagram the transport or the daemon takes`);
    return [
      new SpectatordSink({
        location,
        histograms: histograms as SpectatordHistograms,
        maxSamples: parsePositive('spectatord-max-samples', stringFlag(values, 'spectatord-max-samples') ?? '1000', { integer: true }),
        maxPacket,
        queueSize: queueSize(values, 'spectatord', SPECTATORD_QUEUE_SIZE),
      }),
    ];
  },
};
