/** The flags of every source and sink plugin, merged for the commands that build them. */
import { sinkPlugins } from '../sinks/catalog.js';
import { sourcePlugins } from '../sources/catalog.js';
import type { FlagSpecs } from './flags.js';
import type { PluginEnv } from './plugins.js';
import type { FlagValues } from './flags.js';
import type { Source } from '../sources/source.js';
import type { Sink } from '../sinks/sink.js';

export function pluginFlags(): FlagSpecs {
  const out: Record<string, FlagSpecs[string]> = {};
  for (const p of [...sourcePlugins, ...sinkPlugins]) Object.assign(out, p.flags);
  return out;
}

export async function createSources(values: FlagValues, env: PluginEnv): Promise<Source[]> {
  const out: Source[] = [];
  for (const p of sourcePlugins) out.push(...(await p.create(values, env)));
  return out;
}

export async function createSinks(values: FlagValues, env: PluginEnv): Promise<Sink[]> {
  const out: Sink[] = [];
  for (const p of sinkPlugins) out.push(...(await p.create(values, env)));
  return out;
}
