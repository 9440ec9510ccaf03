import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectors } from './promql.js';

test('selectors: metric names and matchers, not functions, keywords, label lists, strings or durations', () => {
  const expr = `1 - (
    sum without (cpu, mode) (rate(scx_host_cpu_seconds_total{mode=~"idle|iowait", cpu!="x,}"}[1m] offset 5m))
      / ignoring (type) group_left ()
    (instance:dispatched_tasks:rate5m > 0.5e-3)
  ) and on(instance) histogram_quantile(0.99, sum by (le) (rate(lat_seconds_bucket{instance=~"$instance"}[$__rate_interval])))
  or label_replace(up, "dst", "$1", "src", "(.*)") unless {__name__="named", job='j'} # comment metric_in_comment
  or topk(5, count_values("v", x_total))`;
  assert.deepEqual(selectors(expr), [
    { name: 'scx_host_cpu_seconds_total', matchers: [{ label: 'mode', op: '=~', value: 'idle|iowait' }, { label: 'cpu', op: '!=', value: 'x,}' }] },
    { name: 'instance:dispatched_tasks:rate5m', matchers: [] },
    { name: 'lat_seconds_bucket', matchers: [{ label: 'instance', op: '=~', value: '$instance' }] },
    { name: 'up', matchers: [] },
    { name: 'named', matchers: [{ label: '__name__', op: '=', value: 'named' }, { label: 'job', op: '=', value: 'j' }] },
    { name: 'x_total', matchers: [] },
  ]);
  assert.throws(() => selectors('rate(x{a="b}[1m])'), /unterminated string|unbalanced/);
  assert.throws(() => selectors('x{a}'), /cannot read label matchers \{a\}/);
});
