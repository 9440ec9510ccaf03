// Renders that reuse state across scrapes (joined line segments, each series' last value text) against a
// fresh renderer and against formatValue, while values move between renders the way producers move them:
// integers, fractions, NaN, the infinities, -0, the longest text, back and forth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OpenMetricsRenderer } from '../../../src/sinks/prometheus/openmetrics.js';
import { Text004Renderer } from '../../../src/sinks/prometheus/text-004.js';
import { formatValue } from '../../../src/sinks/prometheus/numbers.js';
import { fixtureRegistry } from './fixture.js';

const POOL = [0, -0, 1, 7, 2 ** 31 - 1, 2 ** 31, 2 ** 53, -3, 0.1, 12.34, 0.30000000000000004, -0.0000012345678901234567, 1e21, 5e-324, Number.NaN, Infinity, -Infinity];

test('a long-lived renderer writes what a fresh one writes, and each gauge its value as formatValue spells it, as values move', () => {
  const { registry, fam } = fixtureRegistry();
  const kinds = ['nan', 'pos_inf', 'a', 'b', 'c'];
  const gauges = kinds.map((kind) => fam.special.with({ kind }));
  const depth = fam.queue_depth.with();
  const busy = fam.busy.with({ cpu: '0', mode: 'user' });
  const lived = [new Text004Renderer(), new OpenMetricsRenderer()] as const;
  const scratch = lived.map((r) => Buffer.alloc(r.maxBytes(registry) * 2));
  let seed = 11;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648);
  for (let round = 0; round < 500; round++) {
    // Some rounds move nothing, so every series takes its cached text.
    if (round % 5 !== 0) {
      for (const g of gauges) if (next() % 3 === 0) g.set(POOL[next() % POOL.length] as number);
      if (next() % 2 === 0) depth.set(POOL[next() % POOL.length] as number);
      if (next() % 2 === 0) busy.inc((next() % 1000) * 0.01);
    }
    const fresh = [new Text004Renderer(), new OpenMetricsRenderer()] as const;
    for (let f = 0; f < 2; f++) {
      const got = (lived[f] as Text004Renderer).renderInto(registry, scratch[f] as Buffer).toString();
      assert.equal(got, (fresh[f] as Text004Renderer).render(registry).toString(), `round ${round}, format ${f}`);
      gauges.forEach((g, i) => assert.ok(got.includes(`\nfx_special{kind="${kinds[i]}"} ${formatValue(g.value)}\n`), `round ${round}: ${kinds[i]} = ${g.value}`));
      assert.ok(got.includes(`\nfx_queue_depth ${formatValue(depth.value)}\n`), `round ${round}: queue_depth`);
    }
  }
});
