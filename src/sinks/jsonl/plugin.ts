/** The JSON lines sink's flags: `--jsonl FILE` (appended) or `--jsonl -` (standard output). */
import type { SinkPlugin } from '../../cli/plugins.js';
import { UsageError, stringFlag } from '../../cli/flags.js';
import { queueSize, queueSizeFlags } from '../push/queue-flags.js';
import { JSONL_QUEUE_SIZE, JsonlSink } from './sink.js';

export const jsonlPlugin: SinkPlugin = {
  name: 'jsonl',
  flags: {
    jsonl: { type: 'string', metavar: 'FILE', help: 'Append one JSON object per interval to FILE (- for standard output); schema in docs' },
    ...queueSizeFlags('jsonl', 'Record', JSONL_QUEUE_SIZE),
  },
  create(values) {
    const path = stringFlag(values, 'jsonl');
    if (path === undefined) return [];
    if (path === '') throw new UsageError('--jsonl: expected a file path or - for standard output');
    if (path === '-' && (stringFlag(values, 'report') ?? 'text') !== 'none') {
      throw new UsageError('--jsonl -: standard output is taken by the terminal report; add --report none');
    }
    return [new JsonlSink({ path, queueSize: queueSize(values, 'jsonl', JSONL_QUEUE_SIZE) })];
  },
};
