/**
 * One interval's read of a 64-entry per-CPU u64 stats map through the BPF source (liveness check of the
 * owning program, one batch lookup, per-CPU sums, 64 counter updates) vs one bare MAP_LOOKUP_BATCH of the
 * same map, the syscall floor. Target: the source at most 1.3x the floor. Needs root (real kernel maps).
 */
import { counter, defineStats } from '../src/declare/index.js';
import { Registry } from '../src/registry/index.js';
import { memoryLogger } from '../src/support/log.js';
import { BpfSource } from '../src/sources/bpf/source.js';
import { statsIndex } from '../src/bpf-layout/ref.js';
import { BpfMap, MapType, ProgType, closeFd, possibleCpus, progLoad } from '../src/sources/bpf/sys.js';
import { compare, machineLine, verdict } from './harness.js';

if (process.getuid?.() !== 0) {
  console.log('bpf-read: skipped (needs root for real BPF maps)');
  process.exit(0);
}

const ENTRIES = 64;
const INTERVALS = 2000;
const slots = Array.from({ length: ENTRIES }, (_, i) => `s${i}`);
const set = defineStats({ name: 'bench', help: 'bench', prefix: 'bench', stats: { events: counter({ help: 'e', labels: { slot: slots }, from: statsIndex() }) } });

const map = BpfMap.create({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: ENTRIES, name: 'stats' });
for (let i = 0; i < ENTRIES; i++) {
  const v = map.newValue();
  for (let s = 0; s < map.slots; s++) v.writeBigUInt64LE(BigInt(i * 1_000_003 + s), s * 8);
  map.update(i, v);
}
// A program owning the map (r1 = map; r0 = 0; exit), as a scheduler's struct_ops programs own theirs.
const insns = Buffer.alloc(32);
insns.writeUInt8(0x18, 0);
insns.writeUInt8(0x11, 1); // dst r1, src 1 = BPF_PSEUDO_MAP_FD
insns.writeInt32LE(map.fd, 4);
insns.writeUInt8(0xb7, 16); // r0 = 0
insns.writeUInt8(0x95, 24); // exit
const prefix = `bench${process.pid % 100000}_`;
const prog = progLoad({ type: ProgType.RAW_TRACEPOINT, name: `${prefix}own`, insns });

const source = new BpfSource({ stats: set, programs: [prefix] });
const registry = new Registry();
source.attach({ registry, log: memoryLogger() });
source.collect(); // attach (program scan) outside the timing
const floorMap = BpfMap.byId(map.info.id, { readOnly: true });
if (floorMap === undefined) throw new Error('map vanished');

let sink = 0;
const r = compare(
  {
    source: () => {
      for (let i = 0; i < INTERVALS; i++) source.collect();
    },
    batch: () => {
      for (let i = 0; i < INTERVALS; i++) sink += floorMap.lookupBatch().count;
    },
  },
  INTERVALS,
  9,
  2,
);

console.log(`bpf-read: ${ENTRIES}-entry per-CPU u64 map, ${possibleCpus().slots} possible CPUs, ${INTERVALS} intervals per run, median of 9 (${machineLine()})`);
verdict('source collect() vs bare MAP_LOOKUP_BATCH', r.source as number, r.batch as number, 1.3, { atMost: true });
const fam = registry.get('bench_events');
const want = Array.from({ length: map.slots }, (_, s) => 63 * 1_000_003 + s).reduce((a, b) => a + b, 0);
const got = (fam?.withValues(['s63']) as { value: number } | undefined)?.value;
if (got !== want || sink !== 11 * INTERVALS * ENTRIES) throw new Error(`bench read wrong values: ${got} vs ${want}`);
source.close();
floorMap.close();
closeFd(prog);
map.close();
