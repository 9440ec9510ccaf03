/**
 * A small benchmark harness: warm up, then time several runs of a batch and keep the median, so one
 * noisy run on a shared machine does not decide a ratio. Every comparison runs both sides in one process,
 * interleaved run by run.
 */

export interface Timing {
  /** Median nanoseconds per operation. */
  readonly nsPerOp: number;
  readonly runs: readonly number[];
}

/** Times `batch()` (which performs `opsPerBatch` operations) `runs` times after `warmup` untimed calls. */
export function time(batch: () => void, opsPerBatch: number, runs = 9, warmup = 3): Timing {
  for (let i = 0; i < warmup; i++) batch();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    batch();
    out.push(Number(process.hrtime.bigint() - t0) / opsPerBatch);
  }
  return { nsPerOp: median(out), runs: out };
}

/** Interleaves the candidates run by run so machine noise hits each alike; returns median ns/op each. */
export function compare(cands: Readonly<Record<string, () => void>>, opsPerBatch: number, runs = 9, warmup = 3): Record<string, number> {
  const names = Object.keys(cands);
  for (let w = 0; w < warmup; w++) for (const n of names) cands[n]?.();
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < runs; r++) {
    for (const n of names) {
      const t0 = process.hrtime.bigint();
      cands[n]?.();
      samples[n]?.push(Number(process.hrtime.bigint() - t0) / opsPerBatch);
    }
  }
  return Object.fromEntries(names.map((n) => [n, median(samples[n] ?? [])]));
}

/** Async variant of compare for candidates that await (I/O, async renderers). */
export async function compareAsync(cands: Readonly<Record<string, () => Promise<void>>>, opsPerBatch: number, runs = 9, warmup = 3): Promise<Record<string, number>> {
  const names = Object.keys(cands);
  for (let w = 0; w < warmup; w++) for (const n of names) await cands[n]?.();
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < runs; r++) {
    for (const n of names) {
      const t0 = process.hrtime.bigint();
      await cands[n]?.();
      samples[n]?.push(Number(process.hrtime.bigint() - t0) / opsPerBatch);
    }
  }
  return Object.fromEntries(names.map((n) => [n, median(samples[n] ?? [])]));
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/**
 * Prints one comparison line: `label: ours X ns, peer Y ns, ratio R (target >= T: met)`. `higherIsBetter`
 * false means the ratio is ours/peer and must stay at or below the target.
 */
export function verdict(label: string, ours: number, peer: number, target: number, opts: { unit?: string; atMost?: boolean } = {}): boolean {
  const unit = opts.unit ?? 'ns/op';
  const ratio = opts.atMost === true ? ours / peer : peer / ours;
  const met = opts.atMost === true ? ratio <= target : ratio >= target;
  const rel = opts.atMost === true ? `<= ${target}x` : `>= ${target}x`;
  console.log(`${label}: ours ${fmt(ours)} ${unit}, peer ${fmt(peer)} ${unit}, ratio ${ratio.toFixed(2)}x (target ${rel}: ${met ? 'met' : 'NOT met'})`);
  return met;
}

function fmt(n: number): string {
  return n >= 100 ? n.toFixed(0) : n.toPrecision(3);
}

/** The machine line every benchmark prints first, so figures are read with their context. */
export function machineLine(): string {
  return `node ${process.version}, ${process.platform}/${process.arch}`;
}
