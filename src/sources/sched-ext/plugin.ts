/**
 * The sched_ext source's flags and factory: used when `--sched-ext-root` is given, or when the default
 * directory exists (auto-detection); `--no-sched-ext` turns it off.
 */
import { existsSync } from 'node:fs';
import type { SourcePlugin } from '../../cli/plugins.js';
import { boolFlag, stringFlag } from '../../cli/flags.js';
import { SchedExtSource } from './source.js';
import { DEFAULT_SCHED_EXT_ROOT } from './sysfs.js';

/** The plugin, with the directory it auto-detects (tests point it elsewhere). */
export function schedExtPluginFor(defaultRoot: string): SourcePlugin {
  return {
    name: 'sched_ext',
    flags: {
      'sched-ext-root': { type: 'string', metavar: 'DIR', help: `Where sched_ext's sysfs directory is (default: ${defaultRoot}, used when present)` },
      'no-sched-ext': { type: 'boolean', help: "Do not read sched_ext's state and event counters" },
    },
    create(values) {
      if (boolFlag(values, 'no-sched-ext')) return [];
      const explicit = stringFlag(values, 'sched-ext-root');
      if (explicit === undefined && !existsSync(defaultRoot)) return [];
      return [new SchedExtSource({ root: explicit ?? defaultRoot })];
    },
  };
}

export const schedExtPlugin: SourcePlugin = schedExtPluginFor(DEFAULT_SCHED_EXT_ROOT);
