/**
 * The sched_ext source's flags and factory: used when its directory exists (auto-detection) or when
 * `--sched-ext-root` names another one (then a missing tree is said once); `--no-sched-ext` turns it off.
 */
import { existsSync } from 'node:fs';
import type { SourcePlugin } from '../../plugin/plugin.js';
import { boolFlag, stringFlag } from '../../plugin/flags.js';
import { SchedExtSource } from './source.js';
import { DEFAULT_SCHED_EXT_ROOT, schedExtRootFlag } from './sysfs.js';

/** The plugin, with the directory it auto-detects (tests point it elsewhere). */
export function schedExtPluginFor(defaultRoot: string): SourcePlugin {
  return {
    name: 'sched_ext',
    flags: {
      ...schedExtRootFlag,
      'no-sched-ext': { type: 'boolean', help: "Do not read sched_ext's state and event counters" },
    },
    create(values) {
      if (boolFlag(values, 'no-sched-ext')) return [];
      // The shared flag has a default, so "asked for" means a directory other than the default one.
      const given = stringFlag(values, 'sched-ext-root');
      const root = given === undefined || given === DEFAULT_SCHED_EXT_ROOT ? defaultRoot : given;
      if (root === defaultRoot && !existsSync(root)) return [];
      return [new SchedExtSource({ root })];
    },
  };
}

export const schedExtPlugin: SourcePlugin = schedExtPluginFor(DEFAULT_SCHED_EXT_ROOT);
