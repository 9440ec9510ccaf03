/** Every sink the CLI knows. */
import type { SinkPlugin } from '../cli/plugins.js';
import { prometheusPlugin } from './prometheus/plugin.js';
import { terminalPlugin } from './terminal/plugin.js';

export const sinkPlugins: readonly SinkPlugin[] = [terminalPlugin, prometheusPlugin];
