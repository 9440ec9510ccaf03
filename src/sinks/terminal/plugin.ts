/** The terminal report's flags: `--report text|json|none` (text by default), `--report-top N`. */
import type { SinkPlugin } from '../../plugin/plugin.js';
import { UsageError, parsePositive, positive, stringFlag } from '../../plugin/flags.js';
import { TerminalSink } from './sink.js';

function reportFormat(flag: string, format: string): asserts format is 'text' | 'json' | 'none' {
  if (format !== 'text' && format !== 'json' && format !== 'none') throw new UsageError(`--${flag}: "${format}" is not text, json or none`);
}

export const terminalPlugin: SinkPlugin = {
  name: 'terminal',
  flags: {
    report: { type: 'string', default: 'text', metavar: 'text|json|none', check: reportFormat, help: 'Periodic report on stdout' },
    'report-top': { type: 'string', default: '10', metavar: 'N', check: positive({ integer: true }), help: 'Label values shown per stat in the text report' },
  },
  create(values, env) {
    const format = stringFlag(values, 'report') ?? 'text';
    reportFormat('report', format);
    const top = parsePositive('report-top', stringFlag(values, 'report-top') ?? '10', { integer: true });
    return format === 'none' ? [] : [new TerminalSink({ format, out: env.out, top })];
  },
};
