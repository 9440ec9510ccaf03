/**
 * `--web-config FILE`, declared by every sink with a listener of its own (the Prometheus endpoint, `--web`):
 * one spec, so the CLI shows one flag, and one reader that turns a bad file into a UsageError naming it, so the
 * agent stops at startup with one line.
 */
import { UsageError, stringFlag, type FlagSpec, type FlagValues } from '../../plugin/flags.js';
import type { WebConfigFile } from './guarded-listener.js';
import { loadWebConfig, WebConfigError } from './web-config.js';

export const WEB_CONFIG_FLAG = 'web-config';

export const webConfigFlag: FlagSpec = {
  type: 'string',
  metavar: 'FILE',
  help: 'TLS, basic auth and headers for every listener: the Prometheus endpoint and --web (exporter toolkit web config; re-read on change)',
};

/** The checked web config the flag names, or undefined when it is not given. */
export function webConfigFrom(values: FlagValues): WebConfigFile | undefined {
  const file = stringFlag(values, WEB_CONFIG_FLAG);
  if (file === undefined) return undefined;
  try {
    return { file, config: loadWebConfig(file) };
  } catch (err) {
    if (err instanceof WebConfigError) throw new UsageError(`--${WEB_CONFIG_FLAG}: ${err.message}`);
    throw err;
  }
}
