/**
 * Counter update through a series handle vs prom-client `counter.inc(labels)` and OpenTelemetry JS
 * `counter.add(1, attributes)`, same label set. Targets: >= 10x prom-client, >= 3x OpenTelemetry.
 */
import { cpus } from 'node:os';
import client from 'prom-client';
import { MeterProvider, PeriodicExportingMetricReader, InMemoryMetricExporter, AggregationTemporality } from '@opentelemetry/sdk-metrics';
import { counter, defineStats } from '../src/declare/index.js';
import { Registry } from '../src/registry/index.js';
import { compare, machineLine, verdict } from './harness.js';

const N = 1_000_000;
const labels = { type: 'wsync', node: '0' } as const;

// ours
const stats = defineStats({
  name: 'b',
  help: 'bench',
  stats: { dispatched_tasks: counter({ help: 'd', labels: { type: ['wsync', 'prev_idle'], node: String } }) },
});
const handle = new Registry().register(stats).dispatched_tasks.with(labels);

// prom-client
const promReg = new client.Registry();
const promCounter = new client.Counter({ name: 'dispatched_tasks_total', help: 'd', labelNames: ['type', 'node'] as const, registers: [promReg] });
const promLabels = { type: 'wsync', node: '0' };
const promBound = promCounter.labels(promLabels);

// OpenTelemetry: a provider with a reader, so measurements are aggregated for real.
const reader = new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 3_600_000 });
const provider = new MeterProvider({ readers: [reader] });
const otelCounter = provider.getMeter('bench').createCounter('dispatched_tasks');
const otelAttrs = { type: 'wsync', node: '0' };

const r = compare(
  {
    ours: () => {
      for (let i = 0; i < N; i++) handle.inc(1);
    },
    promClient: () => {
      for (let i = 0; i < N; i++) promCounter.inc(promLabels, 1);
    },
    promClientBound: () => {
      for (let i = 0; i < N; i++) promBound.inc(1);
    },
    otel: () => {
      for (let i = 0; i < N; i++) otelCounter.add(1, otelAttrs);
    },
  },
  N,
  7,
  2,
);

console.log(`counter update, ${N} calls per run, median of 7 (${machineLine()}, ${cpus()[0]?.model ?? 'cpu'})`);
verdict('vs prom-client counter.inc(labels, 1)', r.ours as number, r.promClient as number, 10);
verdict('vs OpenTelemetry counter.add(1, attributes)', r.ours as number, r.otel as number, 3);
console.log(`(for reference: prom-client bound child .labels(...).inc(1): ${(r.promClientBound as number).toFixed(1)} ns/op)`);
// The handle's total proves the timed loops really ran: (2 warm-ups + 7 runs) x N increments.
if (handle.value !== 9 * N) throw new Error(`handle total ${handle.value}, expected ${9 * N}`);
await provider.shutdown();
