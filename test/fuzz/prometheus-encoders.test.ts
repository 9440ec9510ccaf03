/**
 * For any registry content (any Unicode in help and label values, any doubles), the text 0.0.4 exposition
 * passes `promtool check metrics` with no findings, and the OpenMetrics exposition is read back exactly by
 * python3-prometheus-client's OpenMetrics parser: every family's help, every label value, every value.
 * Cases are generated from the suite seed (fuzz: more cases, a new seed) and concatenated into one
 * exposition per peer call (each case has its own metric prefix); a batch that fails is retried case by case
 * to name the first failing case.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { OpenMetricsRenderer } from '../../src/sinks/prometheus/openmetrics.js';
import { Text004Renderer } from '../../src/sinks/prometheus/text-004.js';
import type { Registry } from '../../src/registry/index.js';
import type { HistogramSeries, Series } from '../../src/registry/series.js';
import { hasCommand, needPeer } from '../helpers/peers.js';
import { countRuns, fuzzRuns, scaled } from './params.js';
import { buildRegistry, registryCase, type RegistryCase } from './registry-content.js';

const PROMTOOL = '/usr/bin/promtool';
const PYTHON = '/usr/bin/python3';

function cases(n: number): RegistryCase[] {
  const { seed } = fuzzRuns(0);
  countRuns(n);
  return fc.sample(registryCase, { seed, numRuns: n });
}

function promtool(text: string): { ok: boolean; output: string } {
  const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 });
  const output = `${r.stdout}${r.stderr}`;
  return { ok: r.status === 0 && output === '', output };
}

test('fuzz: the text 0.0.4 exposition of any registry content passes promtool check metrics', (t) => {
  if (!needPeer(t, hasCommand(PROMTOOL, ['--version']), 'promtool (Debian package prometheus)')) return;
  const all = cases(scaled(400));
  const texts = all.map((c, i) => new Text004Renderer().render(buildRegistry(c, i)).toString());
  const batch = 200;
  for (let at = 0; at < texts.length; at += batch) {
    const r = promtool(texts.slice(at, at + batch).join(''));
    if (r.ok) continue;
    const bad = texts.slice(at, at + batch).findIndex((x) => !promtool(x).ok);
    assert.fail(`promtool refused case ${at + bad}: ${promtool(texts[at + bad] ?? '').output}\ncase: ${JSON.stringify(all[at + bad])}\ntext:\n${texts[at + bad]}`);
  }
  // The check has teeth: a broken exposition among the good ones is refused.
  assert.equal(promtool(`${texts.join('')}c_broken{x="} 1\n`).ok, false);
});

interface PyFamily {
  name: string;
  type: string;
  unit: string;
  documentation: string;
  samples: [string, Record<string, string>, string][];
}

/** Parses each text with the OpenMetrics parser; per text, its families or the parser's error. */
function parseOpenMetrics(texts: readonly string[]): ({ families: PyFamily[] } | { error: string })[] {
  const script = [
    'import json, sys',
    'from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse',
    'out = []',
    'for text in json.load(sys.stdin):',
    '    try:',
    '        fams = list(parse(text))',
    '        out.append({"families": [{"name": f.name, "type": f.type, "unit": f.unit, "documentation": f.documentation,',
    '            "samples": [[s.name, s.labels, repr(float(s.value))] for s in f.samples]} for f in fams]})',
    '    except Exception as e:',
    '        out.append({"error": repr(e)})',
    'json.dump(out, sys.stdout)',
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', script], { input: JSON.stringify(texts), encoding: 'utf8', timeout: 120_000, maxBuffer: 256 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as ({ families: PyFamily[] } | { error: string })[];
}

const pyNumber = (s: string): number => (s === 'nan' ? Number.NaN : s === 'inf' ? Number.POSITIVE_INFINITY : s === '-inf' ? Number.NEGATIVE_INFINITY : Number(s));
/** What UTF-8 output can carry of a JS string: lone surrogates become U+FFFD. */
const wellFormed = (s: string): string => (s as string & { toWellFormed(): string }).toWellFormed();

/** Checks one parsed case against the registry it was rendered from; returns the first difference. */
function compare(registry: Registry, parsed: { families: PyFamily[] } | { error: string }): string | undefined {
  if ('error' in parsed) return `parser error: ${parsed.error}`;
  const byName = new Map(parsed.families.map((f) => [f.name, f]));
  for (const fam of registry.families()) {
    const name = fam.decl.name;
    const got = byName.get(name);
    // A family with no series has nothing to parse back (the parser yields no family without samples).
    if (got === undefined && fam.series.length === 0) continue;
    if (got === undefined) return `family ${name} missing`;
    if (got.type !== fam.decl.kind) return `${name}: type ${got.type}`;
    if (got.documentation !== wellFormed(fam.decl.help)) return `${name}: help ${JSON.stringify(got.documentation)} != ${JSON.stringify(fam.decl.help)}`;
    const sample = (sname: string, labels: Record<string, string>): number | undefined => {
      const key = JSON.stringify(Object.entries(labels).sort());
      const s = got.samples.find(([n, l]) => n === sname && JSON.stringify(Object.entries(l).sort()) === key);
      return s === undefined ? undefined : pyNumber(s[2]);
    };
    for (const s of fam.series as readonly Series[]) {
      const labels = Object.fromEntries(fam.labelNames.map((l, i) => [l, wellFormed(s.labelValues[i] as string)]));
      const same = (a: number | undefined, b: number): boolean => a !== undefined && (Object.is(a, b) || a === b);
      if (fam.decl.kind === 'histogram') {
        const h = s as HistogramSeries;
        const inf = sample(`${name}_bucket`, { ...labels, le: '+Inf' });
        if (!same(inf, h.count)) return `${name}${JSON.stringify(labels)}: +Inf bucket ${inf} != ${h.count}`;
      } else {
        const v = (s as { value: number }).value;
        const got1 = sample(fam.decl.kind === 'counter' ? `${name}_total` : name, labels);
        if (!same(got1, v)) return `${name}${JSON.stringify(labels)}: ${got1} != ${v}`;
      }
    }
  }
  return undefined;
}

test('fuzz: the OpenMetrics exposition of any registry content is read back exactly by the OpenMetrics parser', (t) => {
  if (!needPeer(t, hasCommand(PYTHON, ['-c', 'import prometheus_client.openmetrics.parser']), 'python3-prometheus-client (/usr/bin/python3)')) return;
  const all = cases(scaled(400));
  const registries = all.map((c, i) => buildRegistry(c, i));
  const texts = registries.map((r) => new OpenMetricsRenderer().render(r).toString());
  const parsed = parseOpenMetrics(texts);
  assert.equal(parsed.length, texts.length);
  for (let i = 0; i < texts.length; i++) {
    const problem = compare(registries[i] as Registry, parsed[i] as { families: PyFamily[] });
    if (problem !== undefined) assert.fail(`case ${i}: ${problem}\ncase: ${JSON.stringify(all[i])}\ntext:\n${texts[i]}`);
  }
  // The comparison has teeth: a changed help text is caught.
  const tampered = parseOpenMetrics([texts.find((x) => x.includes('# HELP')) ?? ''])[0] as { families: PyFamily[] };
  const idx = texts.findIndex((x) => x.includes('# HELP'));
  const fam0 = tampered.families[0];
  if (fam0 !== undefined) fam0.documentation += '!';
  assert.notEqual(compare(registries[idx] as Registry, tampered), undefined);
});
