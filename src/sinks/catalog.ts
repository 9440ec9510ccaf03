/** Every sink the CLI knows. */
import type { SinkPlugin } from '../cli/plugins.js';

export const sinkPlugins: readonly SinkPlugin[] = [];
