/**
 * What a source or sink brings to the CLI: its flags and a factory. The catalogs (sources/catalog.ts,
 * sinks/catalog.ts) list the plugins; adding a backend is one new folder and one line there.
 */
import type { Logger } from '../support/log.js';
import type { Sink } from './sink.js';
import type { Source } from './source.js';
import type { FlagSpecs, FlagValues } from './flags.js';

/** What factories may use besides their flags. */
export interface PluginEnv {
  readonly log: Logger;
  readonly intervalSeconds: number;
  /** Where reports go (stdout). */
  readonly out: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
}

export interface SourcePlugin {
  readonly name: string;
  readonly flags: FlagSpecs;
  /** The sources these flags ask for (none when the plugin is not enabled). Throws UsageError on bad values. */
  create(values: FlagValues, env: PluginEnv): Source[] | Promise<Source[]>;
}

export interface SinkPlugin {
  readonly name: string;
  /**
   * The flag that turns the sink on (`otlp` for `--otlp URL`); undefined when it is on by default (the
   * terminal report). Its other flags, given without it, are warned about as having no effect.
   */
  readonly enabledBy?: string;
  readonly flags: FlagSpecs;
  create(values: FlagValues, env: PluginEnv): Sink[] | Promise<Sink[]>;
}
