/**
 * Arbitrary registry content for the encoder properties: families of every kind with help text and label
 * values drawn from all of Unicode (control characters, quotes, backslashes, newlines, astral planes, lone
 * surrogates), and values from the whole double range (NaN and the infinities on gauges). Names come from a
 * small word list so they are valid and lint-clean; a case's families share its own prefix, so many cases
 * can be concatenated into one exposition and checked by one peer call.
 */
import fc from 'fast-check';
import { counter, defineStats, gauge, histogram, log2Buckets } from '../../src/declare/index.js';
import type { StatDecl } from '../../src/declare/types.js';
import { Registry } from '../../src/registry/index.js';

export interface FamilyCase {
  readonly key: string;
  readonly kind: 'counter' | 'gauge' | 'histogram';
  readonly help: string;
  readonly unit: '' | 'seconds' | 'bytes';
  readonly labels: readonly string[];
  readonly buckets: readonly number[] | 'log2';
  /** Label values, then the values applied in order (inc for counters, set for gauges, observe for histograms). */
  readonly series: readonly { readonly labelValues: readonly string[]; readonly values: readonly number[] }[];
}

export interface RegistryCase {
  readonly families: readonly FamilyCase[];
}

/** Any UTF-16 text: mostly well-formed Unicode of every plane, sometimes the characters formats escape. */
export const anyUnicode = (maxLength: number): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: fc.constantFrom('"', '\\', '\n', '\r', '\t', '\u0000', '#', '{', '}', '=', ',', ' ', 'é', '日', '😀', '\u2028', '\ud800', '\udfff', 'a'), maxLength }),
  );

const WORDS = ['load', 'tasks', 'dsq', 'wake', 'slice', 'nr', 'lat', 'busy', 'x1', 'q'] as const;
const LABELS = ['cpu', 'layer', 'mode', 'dom', 'kind', 'node', 'reason'] as const;

const family: fc.Arbitrary<FamilyCase> = fc
  .record({
    key: fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 3 }).map((ws) => ws.join('_')),
    kind: fc.constantFrom('counter', 'gauge', 'histogram'),
    help: fc.tuple(fc.constantFrom('Help', 'Tasks', 'Ünïcode'), anyUnicode(40)).map(([a, b]) => a + b),
    unit: fc.constantFrom('', 'seconds', 'bytes'),
    labels: fc.uniqueArray(fc.constantFrom(...LABELS), { maxLength: 3 }),
    buckets: fc.oneof(fc.constant('log2' as const), fc.uniqueArray(fc.double({ min: -1e9, max: 1e9, noNaN: true }), { comparator: 'SameValueZero', minLength: 1, maxLength: 5 }).map((b) => [...b].sort((x, y) => x - y))),
  })
  .chain((f) =>
    fc.record({
      ...Object.fromEntries(Object.entries(f).map(([k, v]) => [k, fc.constant(v)])),
      series: fc.array(
        fc.record({
          // The registry refuses NUL in label values (it joins series keys): LabelError, by design.
          labelValues: fc.tuple(...f.labels.map(() => anyUnicode(12).map((v) => v.replaceAll('\u0000', '')))),
          values: fc.array(
            f.kind === 'counter'
              ? fc.oneof(fc.double({ min: 0, max: 1e300, noNaN: true }), fc.nat())
              : f.kind === 'gauge'
                ? fc.oneof(fc.double(), fc.integer())
                : fc.oneof(fc.double({ min: -1e12, max: 1e12, noNaN: true }), fc.nat(100)),
            { maxLength: 4 },
          ),
        }),
        { maxLength: 4 },
      ),
    }) as unknown as fc.Arbitrary<FamilyCase>,
  );

export const registryCase: fc.Arbitrary<RegistryCase> = fc.record({
  families: fc.uniqueArray(family, { selector: (f) => f.key, maxLength: 5 }),
});

function declOf(f: FamilyCase): StatDecl {
  const labels = Object.fromEntries(f.labels.map((l) => [l, String]));
  const base = { help: f.help, unit: f.unit, labels };
  if (f.kind === 'counter') return counter(base);
  if (f.kind === 'gauge') return gauge(base);
  return histogram({ ...base, buckets: f.buckets === 'log2' ? log2Buckets(4) : f.buckets });
}

/** Registers a case under prefix `c<n>` into `registry` (a new one by default) and applies its values. */
export function buildRegistry(c: RegistryCase, n: number, registry = new Registry()): Registry {
  if (c.families.length === 0) return registry;
  const set = defineStats({ name: `case${n}`, help: `fuzz case ${n}`, prefix: `c${n}`, stats: Object.fromEntries(c.families.map((f) => [f.key, declOf(f)])) });
  const fams = registry.register(set) as Record<string, { withValues(v: readonly string[]): unknown }>;
  for (const f of c.families) {
    const fam = fams[f.key];
    if (fam === undefined) throw new Error(`family ${f.key} not registered`);
    for (const s of f.series) {
      const series = fam.withValues(s.labelValues) as { inc?(v: number): void; set?(v: number): void; observe?(v: number): void };
      for (const v of s.values) {
        if (f.kind === 'counter') series.inc?.(v);
        else if (f.kind === 'gauge') series.set?.(v);
        else series.observe?.(v);
      }
    }
  }
  return registry;
}
