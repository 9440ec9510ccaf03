/**
 * The web view's flag: `--web HOST:PORT` serves it on a listener of its own. With `--enable-prometheus` it is
 * also at `/` of the Prometheus listener (prometheus/plugin.ts), without this flag. `--web-config` applies to
 * both listeners.
 */
import type { SinkPlugin } from '../../plugin/plugin.js';
import { parseHostPort, stringFlag } from '../../plugin/flags.js';
import { webConfigFlag, webConfigFrom } from '../http/web-config-flag.js';
import { WebListenerSink } from './listener.js';

export const webPlugin: SinkPlugin = {
  name: 'web',
  enabledBy: 'web',
  flags: {
    web: { type: 'string', metavar: 'HOST:PORT', check: (flag, text) => void parseHostPort(flag, text), help: 'Serve the live web view (charts of every stat) at http://HOST:PORT/' },
    'web-config': webConfigFlag,
  },
  create(values, env) {
    const text = stringFlag(values, 'web');
    if (text === undefined) return [];
    const { host, port } = parseHostPort('web', text);
    return [new WebListenerSink({ host, port, intervalSeconds: env.intervalSeconds, webConfig: webConfigFrom(values) })];
  },
};
