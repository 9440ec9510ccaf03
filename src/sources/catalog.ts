/** Every source the CLI knows, in the order they are created. */
import type { SourcePlugin } from '../plugin/plugin.js';
import { bpfPlugin } from './bpf/plugin.js';
import { hostPlugin } from './host/plugin.js';
import { probePlugin } from './probe/plugin.js';
import { schedExtPlugin } from './sched-ext/plugin.js';
import { scxStatsPlugin } from './scx-stats/plugin.js';

export const sourcePlugins: readonly SourcePlugin[] = [hostPlugin, bpfPlugin, probePlugin, schedExtPlugin, scxStatsPlugin];
