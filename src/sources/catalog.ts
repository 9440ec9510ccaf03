/** Every source the CLI knows, in the order they are created. */
import type { SourcePlugin } from '../cli/plugins.js';
import { bpfPlugin } from './bpf/plugin.js';
import { hostPlugin } from './host/plugin.js';
import { probePlugin } from './probe/plugin.js';

export const sourcePlugins: readonly SourcePlugin[] = [hostPlugin, bpfPlugin, probePlugin];
