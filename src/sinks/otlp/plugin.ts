/** The OTLP sink's flags: `--otlp URL` turns it on; the rest tune encoding, temporality, resource and sending. */
import { queueSize as queueSizeFromFlags, queueSizeFlags } from '../push/queue-flags.js';
import type { SinkPlugin } from '../../cli/plugins.js';
import { listFlag, parsePositive, stringFlag } from '../../cli/flags.js';
import { parseChoice, parseHttpUrl, parsePairs } from '../push/flags.js';
import { schedExtRoot, schedExtRootFlag } from '../../sources/sched-ext-root.js';
import { resourceAttributes } from './resource.js';
import { OtlpSink } from './sink.js';

export const otlpPlugin: SinkPlugin = {
  name: 'otlp',
  flags: {
    ...schedExtRootFlag,
    otlp: { type: 'string', metavar: 'URL', help: 'Push to an OTLP/HTTP metrics endpoint, e.g. http://127.0.0.1:4318/v1/metrics' },
    'otlp-encoding': { type: 'string', default: 'protobuf', metavar: 'protobuf|json', help: 'OTLP body encoding' },
    'otlp-temporality': { type: 'string', default: 'cumulative', metavar: 'cumulative|delta', help: 'OTLP counter and histogram temporality' },
    'otlp-compression': { type: 'string', default: 'none', metavar: 'gzip|none', help: 'OTLP body compression' },
    'otlp-resource': { type: 'string', multiple: true, metavar: 'KEY=VALUE', help: 'OTLP resource attribute (adds to or overrides service.name, host.name, scx.scheduler.name)' },
    'otlp-header': { type: 'string', multiple: true, metavar: 'NAME=VALUE', help: 'Extra OTLP request header (e.g. authorization)' },
    'otlp-timeout': { type: 'string', default: '10', metavar: 'SECONDS', help: 'OTLP request timeout' },
    ...queueSizeFlags('otlp', 'OTLP request', 100),
  },
  create(values, env) {
    const target = stringFlag(values, 'otlp');
    if (target === undefined) return [];
    const url = parseHttpUrl('otlp', target);
    // A bare collector address gets the standard metrics path, as OTEL_EXPORTER_OTLP_ENDPOINT does.
    if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1/metrics';
    const encoding = parseChoice('otlp-encoding', stringFlag(values, 'otlp-encoding') ?? 'protobuf', ['protobuf', 'json']);
    const temporality = parseChoice('otlp-temporality', stringFlag(values, 'otlp-temporality') ?? 'cumulative', ['cumulative', 'delta']);
    const compression = parseChoice('otlp-compression', stringFlag(values, 'otlp-compression') ?? 'none', ['gzip', 'none']);
    const timeoutMs = parsePositive('otlp-timeout', stringFlag(values, 'otlp-timeout') ?? '10') * 1000;
    const queueSize = queueSizeFromFlags(values, 'otlp', 100);
    const resource = resourceAttributes({
      scheduler: stringFlag(values, 'scheduler'),
      schedExtRoot: schedExtRoot(values),
      env: env.env,
      pairs: parsePairs('otlp-resource', listFlag(values, 'otlp-resource')),
    });
    const headers = Object.fromEntries(parsePairs('otlp-header', listFlag(values, 'otlp-header')));
    return [new OtlpSink({ url, encoding, temporality, compression, resource, headers, timeoutMs, queueSize })];
  },
};
