/**
 * The Prometheus sink's flags: `--enable-prometheus` (off by default, as in scx_rusty) and
 * `--prometheus-listen HOST:PORT` (default 0.0.0.0:9000). The address is checked even when the sink is off,
 * so a typo is reported before anyone enables it.
 */
import type { SinkPlugin } from '../../plugin/plugin.js';
import { boolFlag, parseHostPort, stringFlag } from '../../plugin/flags.js';
import { WebViewSink } from '../web/sink.js';
import { PrometheusSink } from './server.js';

export const DEFAULT_LISTEN = '0.0.0.0:9000';

export const prometheusPlugin: SinkPlugin = {
  name: 'prometheus',
  enabledBy: 'enable-prometheus',
  flags: {
    'enable-prometheus': { type: 'boolean', help: 'Serve /metrics for Prometheus (text 0.0.4 or OpenMetrics 1.0)' },
    'prometheus-listen': { type: 'string', default: DEFAULT_LISTEN, metavar: 'HOST:PORT', check: (flag, text) => void parseHostPort(flag, text), help: 'Address of the Prometheus endpoint' },
  },
  create(values, env) {
    const { host, port } = parseHostPort('prometheus-listen', stringFlag(values, 'prometheus-listen') ?? DEFAULT_LISTEN);
    if (!boolFlag(values, 'enable-prometheus')) return [];
    // The web view lives at / of the same listener; it is a sink of its own (it encodes each collection).
    const web = new WebViewSink({ intervalSeconds: env.intervalSeconds, metricsPath: '/metrics' });
    return [new PrometheusSink({ host, port, routes: web }), web];
  },
};
