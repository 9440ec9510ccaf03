/**
 * The OTLP sink's flags: `--otlp URL` turns it on; the rest tune the protocol (OTLP/HTTP protobuf or JSON,
 * OTLP/gRPC), temporality, resource and sending.
 */
import type { Logger } from '../../support/log.js';
import { queueSize as queueSizeFromFlags, queueSizeFlags } from '../push/queue-flags.js';
import type { SinkPlugin } from '../../plugin/plugin.js';
import { type FlagValues, listFlag, oneOf, parsePositive, positive, stringFlag, UsageError } from '../../plugin/flags.js';
import { httpUrl, pair, parseChoice, parseHttpUrl, parsePairs } from '../push/flags.js';
import { schedExtRoot, schedExtRootFlag } from '../../plugin/sched-ext-root.js';
import { resourceAttributes } from './resource.js';
import { OtlpSink } from './sink.js';

export const otlpPlugin: SinkPlugin = {
  name: 'otlp',
  enabledBy: 'otlp',
  flags: {
    ...schedExtRootFlag,
    otlp: { type: 'string', metavar: 'URL', check: httpUrl, help: 'Push to an OTLP collector: http://127.0.0.1:4318/v1/metrics (HTTP), http://127.0.0.1:4317 (gRPC)' },
    'otlp-protocol': {
      type: 'string',
      metavar: 'http/protobuf|http/json|grpc',
      check: oneOf(['http/protobuf', 'http/json', 'grpc']),
      help: 'OTLP protocol (default: OTEL_EXPORTER_OTLP_METRICS_PROTOCOL, OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf)',
    },
    'otlp-encoding': { type: 'string', metavar: 'protobuf|json', check: oneOf(['protobuf', 'json']), help: 'OTLP/HTTP body encoding (same as --otlp-protocol http/protobuf|http/json)' },
    'otlp-temporality': { type: 'string', default: 'cumulative', metavar: 'cumulative|delta', check: oneOf(['cumulative', 'delta']), help: 'OTLP counter and histogram temporality' },
    'otlp-compression': { type: 'string', default: 'none', metavar: 'gzip|none', check: oneOf(['gzip', 'none']), help: 'OTLP body compression' },
    'otlp-resource': { type: 'string', multiple: true, metavar: 'KEY=VALUE', check: pair, help: 'OTLP resource attribute (adds to or overrides service.name, host.name, scx.scheduler.name)' },
    'otlp-header': { type: 'string', multiple: true, metavar: 'NAME=VALUE', check: pair, help: 'Extra OTLP request header (e.g. authorization)' },
    'otlp-timeout': { type: 'string', default: '10', metavar: 'SECONDS', check: positive(), help: 'OTLP request timeout' },
    ...queueSizeFlags('otlp', 'OTLP request', 100),
  },
  create(values, env) {
    const target = stringFlag(values, 'otlp');
    if (target === undefined) return [];
    const url = parseHttpUrl('otlp', target);
    const protocol = otlpProtocol(values, env.env, env.log);
    const bare = url.pathname === '/' || url.pathname === '';
    if (protocol === 'grpc' && !bare) {
      throw new UsageError(`--otlp: a gRPC target has no path (got "${url.pathname}"); expected http://HOST:4317 or https://HOST:4317`);
    }
    // A bare collector address gets the standard metrics path, as OTEL_EXPORTER_OTLP_ENDPOINT does.
    if (protocol !== 'grpc' && bare) url.pathname = '/v1/metrics';
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
    const transport = protocol === 'grpc' ? 'grpc' : 'http';
    const encoding = protocol === 'http/json' ? 'json' : 'protobuf';
    return [new OtlpSink({ url, transport, encoding, temporality, compression, resource, headers, timeoutMs, queueSize })];
  },
};

const PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const;
type OtlpProtocol = (typeof PROTOCOLS)[number];

/**
 * The protocol: `--otlp-protocol`, else `--otlp-encoding` (OTLP/HTTP), else the OTel SDK variables, else
 * http/protobuf. An unknown variable value is warned about and ignored, as the OTel SDK configuration spec
 * asks of environment variables; an unknown or conflicting flag is a usage error.
 */
function otlpProtocol(values: FlagValues, env: NodeJS.ProcessEnv, log: Logger): OtlpProtocol {
  const flag = stringFlag(values, 'otlp-protocol');
  const encodingFlag = stringFlag(values, 'otlp-encoding');
  const encoding = encodingFlag === undefined ? undefined : parseChoice('otlp-encoding', encodingFlag, ['protobuf', 'json']);
  if (flag !== undefined) {
    const protocol = parseChoice('otlp-protocol', flag, PROTOCOLS);
    if (encoding !== undefined && protocol !== `http/${encoding}`) {
      throw new UsageError(`--otlp-encoding ${encoding} contradicts --otlp-protocol ${protocol}; give one of them`);
    }
    return protocol;
  }
  if (encoding !== undefined) return `http/${encoding}`;
  for (const name of ['OTEL_EXPORTER_OTLP_METRICS_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const v = env[name]?.trim();
    if (v === undefined || v === '') continue;
    if ((PROTOCOLS as readonly string[]).includes(v)) return v as OtlpProtocol;
    log.warn(`sink otlp: ignoring ${name}="${v}" (expected http/protobuf, http/json or grpc)`);
  }
  return 'http/protobuf';
}
