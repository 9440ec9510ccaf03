/**
 * The push encoders, for any registry content (any Unicode in label values, any doubles), over two
 * flushes: remote_write and OTLP/protobuf bodies decode with independent decoders (prometheus-remote-write's
 * and OpenTelemetry's generated protobufjs types) and carry every series' label values exactly; every
 * spectatord line parses with the protocol parser; every StatsD line is one `name:value|type[|#tags]` line;
 * every JSON line parses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Registry } from '../../src/registry/index.js';
import type { Series } from '../../src/registry/series.js';
import { JsonlEncoder } from '../../src/sinks/jsonl/format.js';
import { OtlpProtobufEncoder } from '../../src/sinks/otlp/encode-protobuf.js';
import { PointValues } from '../../src/sinks/otlp/points.js';
import { CounterDeltas, HistogramDeltas } from '../../src/sinks/push/deltas.js';
import { RemoteWriteEncoder } from '../../src/sinks/remote-write/encode.js';
import { SpectatordEncoder } from '../../src/sinks/spectatord/format.js';
import { StatsdEncoder, STATSD_TAG_DIALECTS } from '../../src/sinks/statsd/format.js';
import { ExportMetricsServiceRequest, toJsonView } from '../helpers/otlp-proto.js';
import { decodeWriteRequest } from '../helpers/prompb.js';
import { parseSpectatordLine } from '../helpers/spectatord-protocol.js';
import { fuzzRuns } from './params.js';
import { buildRegistry, registryCase } from './registry-content.js';

const wellFormed = (s: string): string => (s as string & { toWellFormed(): string }).toWellFormed();

/** Every (label name, value) pair of every series, as UTF-8 output can carry it; empty values left out. */
function labelPairs(registry: Registry): Set<string> {
  const out = new Set<string>();
  for (const fam of registry.families()) {
    for (const s of fam.series as readonly Series[]) fam.labelNames.forEach((n, i) => (s.labelValues[i] === '' ? undefined : out.add(`${n}=${wellFormed(s.labelValues[i] as string)}`)));
  }
  return out;
}

test('fuzz: remote_write requests decode with prometheus-remote-write and carry every label value exactly', () => {
  fc.assert(
    fc.property(registryCase, (c) => {
      const registry = buildRegistry(c, 0);
      const enc = new RemoteWriteEncoder(500);
      for (let flush = 0; flush < 2; flush++) {
        const seen = new Set<string>();
        let samples = 0;
        for (const item of enc.encode(registry, 1_700_000_000_000 + flush * 1000)) {
          const series = decodeWriteRequest(item.body);
          for (const ts of series) {
            assert.equal(ts.samples.length, 1);
            samples++;
            for (const l of ts.labels) if (l.name !== '__name__' && l.name !== 'le' && l.value !== '') seen.add(`${l.name}=${l.value}`);
          }
        }
        assert.deepEqual(seen, labelPairs(registry));
        assert.ok(samples >= registry.families().reduce((a, f) => a + f.series.length, 0));
      }
    }),
    fuzzRuns(300),
  );
});

test('fuzz: OTLP/protobuf requests decode with the OpenTelemetry types and carry every attribute value exactly', () => {
  fc.assert(
    fc.property(registryCase, fc.constantFrom('delta', 'cumulative' as const), (c, temporality) => {
      const registry = buildRegistry(c, 0);
      const enc = new OtlpProtobufEncoder({ resource: [['service.name', 'fuzz']], scopeName: 'scx-metrics', scopeVersion: 'fuzz', temporality }, new PointValues(temporality));
      for (let flush = 0; flush < 2; flush++) {
        const { body, points } = enc.encode(registry, 1_700_000_000_000 + flush * 1000);
        const view = JSON.stringify(toJsonView(ExportMetricsServiceRequest, ExportMetricsServiceRequest.decode(body)));
        const seen = new Set<string>();
        for (const m of view.matchAll(/\{"key":"((?:[^"\\]|\\.)*)","value":\{"stringValue":"((?:[^"\\]|\\.)*)"\}\}/g)) {
          const key = JSON.parse(`"${m[1]}"`) as string;
          if (key !== 'service.name') seen.add(`${key}=${JSON.parse(`"${m[2]}"`) as string}`);
        }
        for (const pair of labelPairs(registry)) assert.ok(seen.has(pair), `attribute ${JSON.stringify(pair)} missing`);
        assert.equal(points > 0, registry.families().some((f) => f.series.length > 0));
      }
    }),
    fuzzRuns(300),
  );
});

test('fuzz: spectatord, StatsD and JSON lines stay well-formed for any content', () => {
  fc.assert(
    fc.property(registryCase, fc.constantFrom(...STATSD_TAG_DIALECTS), fc.constantFrom('buckets', 'distribution' as const), (c, dialect, histograms) => {
      const registry = buildRegistry(c, 0);
      const spectatord = new SpectatordEncoder({ histograms });
      const sdDeltas = new HistogramDeltas();
      const statsd = new StatsdEncoder(dialect);
      const stDeltas = [new CounterDeltas(), new HistogramDeltas()] as const;
      const jsonl = new JsonlEncoder();
      const jDeltas = new CounterDeltas();
      for (let flush = 0; flush < 2; flush++) {
        spectatord.encode(registry, sdDeltas, {
          line: (l) => {
            for (const one of l.split('\n').filter((x) => x !== '')) {
              const parsed = parseSpectatordLine(one);
              assert.ok(!Number.isNaN(parsed.value) || one.endsWith(':NaN'), one);
            }
          },
          problem: () => undefined,
          capped: () => undefined,
        });
        statsd.encode(registry, stDeltas[0], stDeltas[1], (unit) => {
          for (const line of unit.split('\n').filter((x) => x !== '')) {
            assert.match(line, /^[^:|\n]+:-?[\d.e+-]+\|(c|g|ms|h|d)(\|@[\d.]+)?(\|#[^\n]*)?$/, `statsd line ${JSON.stringify(line)}`);
          }
        });
        const { text } = jsonl.encode({ registry, timeMs: 1_700_000_000_000 + flush, intervalSeconds: 1, final: false }, jDeltas);
        for (const line of text.split('\n').filter((x) => x !== '')) JSON.parse(line);
      }
    }),
    fuzzRuns(300),
  );
});
