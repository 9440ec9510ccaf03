/** The JSON lines sink's flags: `--jsonl FILE` (appended) or `--jsonl -` (standard output). */
import type { SinkPlugin } from '../../plugin/plugin.js';
import { UsageError, stringFlag } from '../../plugin/flags.js';
import { queueSize, queueSizeFlags } from '../push/queue-flags.js';
import { JSONL_QUEUE_SIZE, JsonlSink } from './sink.js';

function jsonlPath(flag: string, path: string): void {
  if (path === '') throw new UsageError(`--${flag}: expected a file path or - for standard output`);
}

export const jsonlPlugin: SinkPlugin = {
  name: 'jsonl',
  enabledBy: 'jsonl',
  flags: {
    jsonl: { type: 'string', metavar: 'FILE', check: jsonlPath, help: 'Append one JSON object per interval to FILE (- for standard output); schema in docs' },
    ...queueSizeFlags('jsonl', 'Record', JSONL_QUEUE_SIZE),
  },
  create(values) {
    const path = stringFlag(values, 'jsonl');
    if (path === undefined) return [];
    jsonlPath('jsonl', path);
    if (path === '-' && (stringFlag(values, 'report') ?? 'text') !== 'none') {
      throw new UsageError('--jsonl -: standard output is taken by the terminal report; add --report none');
    }
    return [new JsonlSink({ path, queueSize: queueSize(values, 'jsonl', JSONL_QUEUE_SIZE) })];
  },
};
