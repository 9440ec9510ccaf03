/** Every sink the CLI knows. */
import type { SinkPlugin } from '../cli/plugins.js';
import { terminalPlugin } from './terminal/plugin.js';

export const sinkPlugins: readonly SinkPlugin[] = [terminalPlugin];
