import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planMeta, topStruct } from '../../../src/sources/scx-stats/meta.js';
import { ScxStatsProtocolError, checkMeta, type StatsMeta } from '../../../src/sources/scx-stats/protocol.js';
import { rustyMeta } from './rusty.js';

const meta = (m: unknown): StatsMeta => checkMeta(m);

test('rusty: numbers named _om_prefix + field, labels from _om_label outer to inner, _om_skip arrays listed', () => {
  const plan = planMeta(meta(rustyMeta));
  assert.equal(plan.top, 'ClusterStats');
  const byName = new Map(plan.numbers.map((n) => [n.omName, n.labels.join(',')]));
  assert.equal(byName.get('total'), '');
  assert.equal(byName.get('n_load'), 'node');
  assert.equal(byName.get('d_load'), 'node,domain');
  assert.equal(byName.get('d_imbal'), 'node,domain');
  assert.equal(plan.numbers.length, 24 + 3 + 3, '24 top numbers, 3 per node, 3 per domain');
  assert.deepEqual(
    plan.skipped.map((s) => `${s.path}: ${s.reason}`),
    ['.direct_greedy_cpus: _om_skip', '.kick_greedy_cpus: _om_skip'],
  );
  assert.equal(plan.numbers.find((n) => n.omName === 'd_delta')?.path, '.nodes.doms.delta');
});

test('strings become info-style fields; arrays, dicts of scalars and bare nested structs are listed with a reason', () => {
  const plan = planMeta(
    meta({
      Top: {
        name: 'Top',
        top: 'true',
        fields: {
          power_mode: { datum: 'string', desc: 'Current power mode' },
          hist: { array: 'u64' },
          fallback_cpus: { dict: { key: 'u64', datum: 'u64' } },
          inner: { datum: { struct: 'Inner' } },
          layers: { dict: { key: 'string', datum: { struct: 'Layer' } } },
        },
      },
      Inner: { name: 'Inner', fields: { x: { datum: 'u64' } } },
      Layer: { name: 'Layer', user: { _om_prefix: 'l_', _om_label: 'layer_name' }, fields: { layer_name: { datum: 'string' }, util: { datum: 'float' } } },
    }),
  );
  assert.deepEqual(
    plan.strings.map((s) => [s.omName, s.labels.join(','), s.labelName]),
    [
      ['power_mode', '', 'power_mode'],
      ['l_layer_name', 'layer_name', 'layer_name_value'],
    ],
  );
  const reasons = Object.fromEntries(plan.skipped.map((s) => [s.path, s.reason]));
  assert.match(reasons['.hist'] ?? '', /array of u64 \(arrays are not exported\)/);
  assert.match(reasons['.fallback_cpus'] ?? '', /dict of u64 \(only dicts of structs are exported\)/);
  assert.match(reasons['.inner'] ?? '', /struct Inner nested outside a dict/);
  assert.deepEqual(plan.numbers.map((n) => n.omName), ['l_util']);
});

test('the top struct is the last one marked top, as the script picks it', () => {
  const m = meta({
    SchedSample: { name: 'SchedSample', top: 'true', fields: { pid: { datum: 'i64' } } },
    SysStats: { name: 'SysStats', top: 'true', fields: { mseq: { datum: 'u64' } } },
  });
  assert.equal(topStruct(m), 'SysStats');
  assert.throws(() => planMeta(meta({ A: { name: 'A', fields: {} } })), /no struct marked "top" \(structs: A\)/);
});

test('a meta that loops or names an unknown struct is one clear error', () => {
  const loop = meta({
    A: { name: 'A', top: 'true', fields: { bs: { dict: { key: 'u64', datum: { struct: 'B' } } } } },
    B: { name: 'B', user: { _om_label: 'b' }, fields: { as: { dict: { key: 'u64', datum: { struct: 'A' } } } } },
  });
  assert.throws(() => planMeta(loop), (e: unknown) => e instanceof ScxStatsProtocolError && /stats_meta loops: A -> B -> A \(at \.bs\.as\)/.test(e.message));
  const self = meta({ A: { name: 'A', top: 'true', fields: { again: { array: { struct: 'A' } } } } });
  assert.throws(() => planMeta(self), /stats_meta loops: A -> A/);
  const unknown = meta({ A: { name: 'A', top: 'true', fields: { xs: { dict: { key: 'u64', datum: { struct: 'Missing' } } } } } });
  assert.throws(() => planMeta(unknown), /\.xs names struct "Missing", which stats_meta does not define/);
  const skippedUnknown = meta({ A: { name: 'A', top: 'true', fields: { xs: { array: { struct: 'Gone' }, user: { _om_skip: 'true' } } } } });
  assert.throws(() => planMeta(skippedUnknown), /names struct "Gone"/);
});

test('a dict of structs without _om_label, a label used twice, and duplicate names are skipped with the reason', () => {
  const plan = planMeta(
    meta({
      T: {
        name: 'T',
        top: 'true',
        fields: {
          load: { datum: 'float' },
          a: { dict: { key: 'u64', datum: { struct: 'NoLabel' } } },
          b: { dict: { key: 'u64', datum: { struct: 'N' } } },
        },
      },
      NoLabel: { name: 'NoLabel', fields: { x: { datum: 'u64' } } },
      N: { name: 'N', user: { _om_label: 'node' }, fields: { load: { datum: 'float' }, again: { dict: { key: 'u64', datum: { struct: 'N2' } } } } },
      N2: { name: 'N2', user: { _om_label: 'node', _om_prefix: 'x_' }, fields: { y: { datum: 'u64' } } },
    }),
  );
  const reasons = Object.fromEntries(plan.skipped.map((s) => [s.path, s.reason]));
  assert.match(reasons['.a'] ?? '', /nested struct NoLabel has no _om_label/);
  assert.match(reasons['.b.load'] ?? '', /name "load" is already used by \.load/);
  assert.match(reasons['.b.again'] ?? '', /_om_label "node" of N2 is not a usable label name here/);
});

test('checkMeta refuses payloads that are not stats_meta', () => {
  assert.throws(() => checkMeta([1, 2]), /expected an object of structs by name, got an array/);
  assert.throws(() => checkMeta({ A: { name: 'A' } }), /struct "A" has no "fields" object/);
  assert.throws(() => checkMeta({ A: { name: 'A', fields: { x: { datum: 'bool' } } } }), /A\.x: type "bool" is not i64, u64, float, string/);
  assert.throws(() => checkMeta({ A: { name: 'A', fields: { x: { list: 'u64' } } } }), /expected "datum", "array" or "dict"/);
});
