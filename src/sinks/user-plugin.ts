/** `--sink ./my-sink.js` (repeatable): loads user sink modules (the contract is in user.ts). */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SinkPlugin } from '../plugin/plugin.js';
import { UsageError, listFlag } from '../plugin/flags.js';
import type { Sink } from '../plugin/sink.js';
import { UserSinkError, loadUserSink } from './user.js';

export const userSinkPlugin: SinkPlugin = {
  name: 'user',
  enabledBy: 'sink',
  flags: {
    sink: {
      type: 'string',
      multiple: true,
      metavar: 'MODULE',
      help: 'Load a sink module (an ES module whose default export is a Sink or a factory); path relative to the working directory',
    },
  },
  async create(values, env) {
    const out: Sink[] = [];
    for (const path of listFlag(values, 'sink')) {
      if (path === '') throw new UsageError('--sink: expected the path of an ES module');
      // Paths only (relative to the working directory) or file: URLs, never a package lookup from our install.
      const url = path.startsWith('file:') ? path : pathToFileURL(resolve(path)).href;
      try {
        out.push(await loadUserSink(url, { log: env.log, intervalSeconds: env.intervalSeconds, env: env.env, path }));
      } catch (err) {
        if (err instanceof UserSinkError) throw new UsageError(`--sink ${err.message}`);
        throw err;
      }
    }
    return out;
  },
};
