/**
 * remote_write encode + snappy of 10,000 series: our encoder (from the registry) and snappyjs, vs the
 * `prometheus-remote-write` npm package's pushTimeseries (protobufjs + snappyjs) for the same series,
 * labels and values, with its `fetch` option given a function that keeps the body and sends nothing (so
 * both sides stop at the compressed body). Its input objects are built once, outside the timing, which
 * favours the peer. Target >= 2x.
 */
import { cpus } from 'node:os';
import { createRequire } from 'node:module';
import { RemoteWriteEncoder } from '../src/sinks/remote-write/encode.js';
import { snappyCompress, snappyUncompress } from '../src/sinks/remote-write/snappy.js';
import { formatGoFloat } from '../src/support/go-float.js';
import { counterSampleName } from '../src/declare/naming.js';
import type { HistogramSeries } from '../src/registry/index.js';
import { decodeWriteRequest, seriesKey } from '../test/helpers/prompb.js';
import { BUCKETS, benchData, benchRegistry } from './series.js';
import { compareAsync, machineLine, verdict } from './harness.js';

interface PrwSeries {
  labels: Record<string, string>;
  samples: { value: number; timestamp: number }[];
}
interface Prw {
  pushTimeseries(ts: PrwSeries[], opts: { url: string; fetch: (url: string, init: { body: Uint8Array }) => Promise<{ status: number; statusText: string; text(): Promise<string> }> }): Promise<{ status: number }>;
}
const prw = createRequire(import.meta.url)('prometheus-remote-write') as Prw;

const data = benchData();
const reg = benchRegistry(data);
const now = Date.now();

// The same time series for the peer, as a scrape shows them: counters _total, histograms _bucket/_sum/_count.
const theirInput: PrwSeries[] = [];
for (const fam of reg.families()) {
  const d = fam.decl;
  for (const s of fam.series) {
    const base: Record<string, string> = {};
    fam.labelNames.forEach((n, i) => (base[n] = s.labelValues[i] as string));
    const one = (name: string, value: number, extra: Record<string, string> = {}): void => {
      theirInput.push({ labels: { __name__: name, ...base, ...extra }, samples: [{ value, timestamp: now }] });
    };
    if (d.kind === 'counter') one(counterSampleName(d.name), (s as unknown as { value: number }).value);
    else if (d.kind === 'gauge') one(d.name, (s as unknown as { value: number }).value);
    else {
      const h = s as HistogramSeries;
      let cum = 0;
      [...BUCKETS, Infinity].forEach((le, i) => {
        cum += h.counts[i] as number;
        one(`${d.name}_bucket`, cum, { le: formatGoFloat(le) });
      });
      one(`${d.name}_sum`, h.sum);
      one(`${d.name}_count`, h.count);
    }
  }
}
let lastBody: Uint8Array = new Uint8Array();
const keepBody = async (_url: string, init: { body: Uint8Array }) => {
  lastBody = init.body;
  return { status: 200, statusText: 'OK', text: async () => '' };
};

const steady = new RemoteWriteEncoder(1_000_000);
const oursBody = (enc: RemoteWriteEncoder): Uint8Array => snappyCompress((enc.encode(reg, now)[0] ?? { body: new Uint8Array() }).body);

// Same series: both bodies decode to the same set of series and values.
await prw.pushTimeseries(theirInput, { url: 'http://127.0.0.1:9/', fetch: keepBody });
const digest = (b: Uint8Array): string =>
  decodeWriteRequest(snappyUncompress(b))
    .map((s) => `${seriesKey({ ...s, labels: [...s.labels].sort((x, y) => (x.name < y.name ? -1 : 1)) })}=${s.samples[0]?.value}@${s.samples[0]?.timestamp}`)
    .sort()
    .join('\n');
const ours = oursBody(steady);
if (digest(ours) !== digest(lastBody)) throw new Error('not the same series and values');
const samples = theirInput.length;

let total = 0;
const r = await compareAsync(
  {
    oursSteady: async () => {
      total += oursBody(steady).length;
    },
    oursCold: async () => {
      total += oursBody(new RemoteWriteEncoder(1_000_000)).length;
    },
    prometheusRemoteWrite: async () => {
      await prw.pushTimeseries(theirInput, { url: 'http://127.0.0.1:9/', fetch: keepBody });
      total += lastBody.length;
    },
  },
  data.length,
  11,
  3,
);

console.log(`remote_write encode + snappy of ${data.length} series (${samples} samples; ${ours.length} bytes ours, ${lastBody.length} theirs), median of 11 (${machineLine()}, ${cpus()[0]?.model ?? 'cpu'})`);
verdict('steady (the agent every interval) vs prometheus-remote-write', r.oursSteady as number, r.prometheusRemoteWrite as number, 2, { unit: 'ns/series' });
verdict('cold (new encoder, nothing cached) vs prometheus-remote-write', r.oursCold as number, r.prometheusRemoteWrite as number, 2, { unit: 'ns/series' });
if (total === 0) throw new Error('nothing encoded');
