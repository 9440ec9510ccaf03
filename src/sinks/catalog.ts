/** Every sink the CLI knows. */
import type { SinkPlugin } from '../cli/plugins.js';
import { terminalPlugin } from './terminal/plugin.js';
import { otlpPlugin } from './otlp/plugin.js';
import { remoteWritePlugin } from './remote-write/plugin.js';

export const sinkPlugins: readonly SinkPlugin[] = [terminalPlugin, otlpPlugin, remoteWritePlugin];
