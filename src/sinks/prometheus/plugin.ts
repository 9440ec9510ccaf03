/**
 * The Prometheus sink's flags: `--enable-prometheus` (off by default, as in scx_rusty) and
 * `--prometheus-listen HOST:PORT` (default 0.0.0.0:9000). The address is checked even when the sink is off,
 * so a typo is reported before anyone enables it. `--web-config FILE` (the exporter toolkit's format: TLS,
 * basic auth, headers; shared with `--web`, ../http/web-config-flag.ts) is read and checked here, so a bad file
 * stops the agent at startup with one line.
 */
import type { SinkPlugin } from '../../plugin/plugin.js';
import { boolFlag, parseHostPort, stringFlag } from '../../plugin/flags.js';
import { webConfigFlag, webConfigFrom } from '../http/web-config-flag.js';
import { WebViewSink } from '../web/sink.js';
import { PrometheusSink } from './server.js';

export const DEFAULT_LISTEN = '0.0.0.0:9000';

export const prometheusPlugin: SinkPlugin = {
  name: 'prometheus',
  enabledBy: 'enable-prometheus',
  flags: {
    'enable-prometheus': { type: 'boolean', help: 'Serve /metrics for Prometheus (text 0.0.4 or OpenMetrics 1.0)' },
    'prometheus-listen': { type: 'string', default: DEFAULT_LISTEN, metavar: 'HOST:PORT', check: (flag, text) => void parseHostPort(flag, text), help: 'Address of the Prometheus endpoint' },
    'web-config': webConfigFlag,
  },
  create(values, env) {
    const { host, port } = parseHostPort('prometheus-listen', stringFlag(values, 'prometheus-listen') ?? DEFAULT_LISTEN);
    if (!boolFlag(values, 'enable-prometheus')) return [];
    // The web view lives at / of the same listener, behind the same web config; it is a sink of its own (it
    // encodes each collection).
    const web = new WebViewSink({ intervalSeconds: env.intervalSeconds, metricsPath: '/metrics' });
    return [new PrometheusSink({ host, port, routes: web, webConfig: webConfigFrom(values) }), web];
  },
};
