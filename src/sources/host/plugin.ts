/** The host source's CLI flags and factory: always on; /proc/stat is required, pressure and schedstat optional. */
import type { SourcePlugin } from '../../plugin/plugin.js';
import { boolFlag, stringFlag } from '../../plugin/flags.js';
import { ProcFileSource } from './source.js';
import { pressureStats, procStatStats, schedstatStats } from './stats.js';

export const hostPlugin: SourcePlugin = {
  name: 'host',
  flags: {
    'proc-root': { type: 'string', default: '/proc', metavar: 'DIR', help: 'Where the proc filesystem is mounted' },
    'no-host': { type: 'boolean', help: 'Do not read the host counters from /proc' },
  },
  create(values) {
    if (boolFlag(values, 'no-host')) return [];
    const procRoot = stringFlag(values, 'proc-root') ?? '/proc';
    return [
      new ProcFileSource(procStatStats, 'stat', { procRoot }),
      new ProcFileSource(pressureStats, 'pressure/cpu', { procRoot, optional: true }),
      new ProcFileSource(schedstatStats, 'schedstat', { procRoot, optional: true }),
    ];
  },
};
