/** Help text rendering for commands built from FlagSpecs. */
import type { FlagSpecs } from '../plugin/flags.js';

export function formatFlags(specs: FlagSpecs): string {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const short = spec.short !== undefined ? `-${spec.short}, ` : '    ';
    const arg = spec.type === 'string' ? ` ${spec.metavar ?? 'VALUE'}` : '';
    const def = spec.default !== undefined && spec.type === 'string' ? ` (default ${String(spec.default)})` : '';
    return [`  ${short}--${name}${arg}`, `${spec.help}${def}${spec.multiple === true ? ' [repeatable]' : ''}`];
  });
  const width = Math.min(36, Math.max(...rows.map(([l]) => (l as string).length)) + 2);
  return rows.map(([l, r]) => ((l as string).length >= width ? `${l}\n${' '.repeat(width)}${r}` : `${(l as string).padEnd(width)}${r}`)).join('\n');
}
