/** The remote_write sink's flags: `--remote-write URL` turns it on. */
import { queueSize as queueSizeFromFlags, queueSizeFlags } from '../push/queue-flags.js';
import type { SinkPlugin } from '../../plugin/plugin.js';
import { listFlag, parsePositive, positive, stringFlag } from '../../plugin/flags.js';
import { httpUrl, pair, parseHttpUrl, parsePairs } from '../push/flags.js';
import { RemoteWriteSink } from './sink.js';

export const remoteWritePlugin: SinkPlugin = {
  name: 'remote_write',
  enabledBy: 'remote-write',
  flags: {
    'remote-write': { type: 'string', metavar: 'URL', check: httpUrl, help: 'Push with Prometheus remote_write 1.0, e.g. http://127.0.0.1:9090/api/v1/write' },
    'remote-write-max-samples': { type: 'string', default: '2000', metavar: 'N', check: positive({ integer: true }), help: 'Samples per remote_write request at most' },
    'remote-write-header': { type: 'string', multiple: true, metavar: 'NAME=VALUE', check: pair, help: 'Extra remote_write request header (e.g. authorization, X-Scope-OrgID)' },
    'remote-write-timeout': { type: 'string', default: '30', metavar: 'SECONDS', check: positive(), help: 'remote_write request timeout' },
    ...queueSizeFlags('remote-write', 'remote_write request', 100),
  },
  create(values) {
    const target = stringFlag(values, 'remote-write');
    if (target === undefined) return [];
    const url = parseHttpUrl('remote-write', target);
    const maxSamples = parsePositive('remote-write-max-samples', stringFlag(values, 'remote-write-max-samples') ?? '2000', { integer: true });
    const timeoutMs = parsePositive('remote-write-timeout', stringFlag(values, 'remote-write-timeout') ?? '30') * 1000;
    const queueSize = queueSizeFromFlags(values, 'remote-write', 100);
    const headers = Object.fromEntries(parsePairs('remote-write-header', listFlag(values, 'remote-write-header')));
    return [new RemoteWriteSink({ url, maxSamples, headers, timeoutMs, queueSize })];
  },
};
