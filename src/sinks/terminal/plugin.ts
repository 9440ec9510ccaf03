/** The terminal report's flags: `--report text|json|none` (text by default), `--report-top N`. */
import type { SinkPlugin } from '../../cli/plugins.js';
import { UsageError, parsePositive, stringFlag } from '../../cli/flags.js';
import { TerminalSink } from './sink.js';

export const terminalPlugin: SinkPlugin = {
  name: 'terminal',
  flags: {
    report: { type: 'string', default: 'text', metavar: 'text|json|none', help: 'Periodic report on stdout' },
    'report-top': { type: 'string', default: '10', metavar: 'N', help: 'Label values shown per stat in the text report' },
  },
  create(values, env) {
    const format = stringFlag(values, 'report') ?? 'text';
    if (format !== 'text' && format !== 'json' && format !== 'none') {
      throw new UsageError(`--report: "${format}" is not text, json or none`);
    }
    const top = parsePositive('report-top', stringFlag(values, 'report-top') ?? '10', { integer: true });
    return format === 'none' ? [] : [new TerminalSink({ format, out: env.out, top })];
  },
};
