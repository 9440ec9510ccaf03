// Type test: tsc (part of `npm test`) fails this file if a misspelt label name or closed value compiles,
// because each `@ts-expect-error` below must meet an error. The runtime half checks the same calls throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { counter, defineStats, gauge } from '../../src/declare/index.js';
import { LabelError, Registry } from '../../src/registry/index.js';

const stats = defineStats({
  name: 'typed',
  help: 'type test',
  stats: {
    dispatched_tasks: counter({ help: 'dispatches', labels: { type: ['wsync', 'prev_idle'] } }),
    load: gauge({ help: 'load', labels: { node: String } }),
    plain: counter({ help: 'no labels' }),
  },
});

test('closed label values and label names are checked at compile time and at run time', () => {
  const fam = new Registry().register(stats);
  fam.dispatched_tasks.with({ type: 'wsync' }).inc();
  fam.load.with({ node: 'anything' }).set(1);
  fam.plain.with().inc();

  // @ts-expect-error: 'wsycn' is not one of the closed values
  assert.throws(() => fam.dispatched_tasks.with({ type: 'wsycn' }), LabelError);
  // @ts-expect-error: misspelt label name
  assert.throws(() => fam.dispatched_tasks.with({ typ: 'wsync' }), LabelError);
  // @ts-expect-error: missing required labels
  assert.throws(() => fam.load.with(), LabelError);
  // @ts-expect-error: a counter handle has no set()
  // eslint-disable-next-line @typescript-eslint/no-unsafe-call
  assert.throws(() => fam.plain.with().set(3), TypeError);
});
