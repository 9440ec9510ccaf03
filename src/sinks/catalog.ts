/** Every sink the CLI knows. */
import type { SinkPlugin } from '../plugin/plugin.js';
import { jsonlPlugin } from './jsonl/plugin.js';
import { spectatordPlugin } from './spectatord/plugin.js';
import { statsdPlugin } from './statsd/plugin.js';
import { prometheusPlugin } from './prometheus/plugin.js';
import { terminalPlugin } from './terminal/plugin.js';
import { otlpPlugin } from './otlp/plugin.js';
import { remoteWritePlugin } from './remote-write/plugin.js';
import { webPlugin } from './web/plugin.js';
import { userSinkPlugin } from './user-plugin.js';

export const sinkPlugins: readonly SinkPlugin[] = [
  terminalPlugin,
  prometheusPlugin,
  statsdPlugin,
  spectatordPlugin,
  otlpPlugin,
  remoteWritePlugin,
  jsonlPlugin,
  webPlugin,
  userSinkPlugin,
];
