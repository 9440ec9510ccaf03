/** The StatsD sink's flags: `--statsd udp://HOST:8125` or `unix:///PATH`, the tag dialect, prefix, sizes. */
import type { SinkPlugin } from '../../plugin/plugin.js';
import { UsageError, parsePositive, positive, stringFlag } from '../../plugin/flags.js';
import { UDP_MAX_PAYLOAD, parseDatagramTarget } from '../push/datagram-transport.js';
import { queueSize, queueSizeFlags } from '../push/queue-flags.js';
import { STATSD_TAG_DIALECTS, type StatsdTags } from './format.js';
import { STATSD_QUEUE_SIZE, StatsdSink } from './sink.js';

function statsdTarget(url: string): Exclude<ReturnType<typeof parseDatagramTarget>, string> {
  const target = parseDatagramTarget(url, 8125);
  if (typeof target === 'string') throw new UsageError(`--statsd: ${target}`);
  return target;
}

function statsdTags(flag: string, tags: string): void {
  if (!(STATSD_TAG_DIALECTS as readonly string[]).includes(tags)) throw new UsageError(`--${flag}: "${tags}" is not one of ${STATSD_TAG_DIALECTS.join(', ')}`);
}

export const statsdPlugin: SinkPlugin = {
  name: 'statsd',
  enabledBy: 'statsd',
  flags: {
    statsd: { type: 'string', metavar: 'URL', check: (_, text) => void statsdTarget(text), help: 'Send to a StatsD daemon or agent: udp://HOST:8125 or unix:///PATH (datagram socket)' },
    'statsd-tags': {
      type: 'string',
      default: 'dogstatsd',
      metavar: 'dogstatsd|telegraf|none',
      check: statsdTags,
      help: 'How labels are sent: DogStatsD |#k:v, Telegraf name,k=v, or none (plain StatsD, labels as name segments)',
    },
    'statsd-prefix': { type: 'string', metavar: 'PREFIX', help: 'Prepended to every metric name as given (e.g. "scx." or "myhost.")' },
    'statsd-max-packet': { type: 'string', metavar: 'BYTES', check: positive({ integer: true }), help: 'Largest datagram (default 1432 on UDP, 8192 on a UNIX socket)' },
    ...queueSizeFlags('statsd', 'Datagram', STATSD_QUEUE_SIZE),
  },
  create(values) {
    const url = stringFlag(values, 'statsd');
    if (url === undefined) return [];
    const target = statsdTarget(url);
    const tags = stringFlag(values, 'statsd-tags') ?? 'dogstatsd';
    statsdTags('statsd-tags', tags);
    const max = stringFlag(values, 'statsd-max-packet');
    const maxPacket = max === undefined ? undefined : parsePositive('statsd-max-packet', max, { integer: true });
    if (maxPacket !== undefined && target.kind === 'udp' && maxPacket > UDP_MAX_PAYLOAD) {
      throw new UsageError(`--statsd-max-packet: ${maxPacket} is larger than a UDP datagram can be (${UDP_MAX_PAYLOAD})`);
    }
    return [
      new StatsdSink({
        target,
        tags: tags as StatsdTags,
        prefix: stringFlag(values, 'statsd-prefix') ?? '',
        maxPacket,
        queueSize: queueSize(values, 'statsd', STATSD_QUEUE_SIZE),
      }),
    ];
  },
};
