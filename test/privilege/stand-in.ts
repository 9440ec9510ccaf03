/** A scheduler stand-in for privilege tests: scx_simple's stats map and a program named like its own. */
import { BpfMap, MapType, closeFd } from '../../src/sources/bpf/sys.js';
import { loadOwner } from '../sources/bpf/fixtures.js';

/** scx_simple's stats map (2 per-CPU u64 entries: local, global) holding `local`/`global` summed over CPUs, and its owner program. */
export function simpleStandIn(local: number, global: number): { close: () => void } {
  const map = BpfMap.create({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 2, name: 'stats' });
  [local, global].forEach((sum, i) => {
    const v = map.newValue();
    v.writeBigUInt64LE(BigInt(sum), 0); // CPU slot 0 holds it all; the others stay 0
    map.update(i, v);
  });
  const prog = loadOwner(`simple_u${process.pid % 100000}`, [map.fd], { bump: false });
  return {
    close: () => {
      closeFd(prog);
      map.close();
    },
  };
}

/** Polls /metrics until `series` appears (or 15 s pass; a refused connection is retried); returns the last page. */
export async function scrapeUntil(port: number, series: string): Promise<string> {
  const end = Date.now() + 15_000;
  let text = '';
  while (!text.includes(series) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 200));
    text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
      (r) => r.text(),
      () => '',
    );
  }
  return text;
}
