/** The flags of the source and sink plugins, for the commands that build them, and what they tell about each other. */
import { sinkPlugins } from '../sinks/catalog.js';
import { sourcePlugins } from '../sources/catalog.js';
import type { FlagSpecs, FlagValues } from '../plugin/flags.js';
import type { PluginEnv, SinkPlugin, SourcePlugin } from '../plugin/plugin.js';
import type { Source } from '../plugin/source.js';
import type { Sink } from '../plugin/sink.js';

function merged(plugins: readonly (SourcePlugin | SinkPlugin)[]): FlagSpecs {
  const out: Record<string, FlagSpecs[string]> = {};
  for (const p of plugins) Object.assign(out, p.flags);
  return out;
}

/** The source plugins' flags: what `describe` takes, since it builds sources only. */
export function sourceFlags(): FlagSpecs {
  return merged(sourcePlugins);
}

/** Every source and sink plugin's flags: what `run` takes. */
export function pluginFlags(): FlagSpecs {
  return merged([...sourcePlugins, ...sinkPlugins]);
}

/**
 * One warning per given flag that no enabled plugin reads: every plugin declaring it is a sink whose
 * enabling flag was not given (`--otlp-timeout` without `--otlp`). Flags a source also declares always count.
 */
export function flagsWithoutEffect(given: ReadonlySet<string>, values: FlagValues): string[] {
  const enabled = (p: SourcePlugin | SinkPlugin): boolean => {
    const by = 'enabledBy' in p ? p.enabledBy : undefined;
    if (by === undefined) return true;
    const v = values[by];
    return v !== undefined && v !== false && !(Array.isArray(v) && v.length === 0);
  };
  const out: string[] = [];
  for (const flag of given) {
    const owners = [...sourcePlugins, ...sinkPlugins].filter((p) => flag in p.flags);
    if (owners.length === 0 || owners.some(enabled)) continue;
    const needs = owners.map((p) => `--${(p as SinkPlugin).enabledBy as string}`);
    const list = needs.length === 1 ? needs[0] : `${needs.slice(0, -1).join(', ')} or ${needs[needs.length - 1]}`;
    out.push(`--${flag} has no effect without ${list}`);
  }
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
