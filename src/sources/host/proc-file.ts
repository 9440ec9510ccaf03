/**
 * Parsing of the line-oriented /proc files the host source reads (/proc/stat, /proc/schedstat,
 * /proc/pressure/cpu): each line is a key followed by fields, either plain numbers or `name=value` pairs.
 */

/** A /proc file as key → fields. Duplicate keys keep the first line. */
export type ProcLines = ReadonlyMap<string, readonly string[]>;

export function parseProcLines(text: string): ProcLines {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    const key = parts[0];
    if (key === undefined || key === '' || out.has(key)) continue;
    out.set(key, parts.slice(1));
  }
  return out;
}

/** A field as a number, accepting `name=value` fields by name. Undefined when missing, not a number or not finite. */
export function numberField(fields: readonly string[] | undefined, at: number | string): number | undefined {
  if (fields === undefined) return undefined;
  let text: string | undefined;
  if (typeof at === 'number') text = fields[at];
  else {
    const prefix = `${at}=`;
    text = fields.find((f) => f.startsWith(prefix))?.slice(prefix.length);
  }
  if (text === undefined || !/^\d+(\.\d+)?$/.test(text)) return undefined;
  // 400 digits parse as Infinity, which no counter can recover from: that is garbage, not a number.
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/** The per-CPU keys of a file (`cpu0`, `cpu1`, ...; the aggregate `cpu` line is left out) and their CPU numbers. */
export function cpuKeys(lines: ProcLines): { key: string; cpu: string }[] {
  const out: { key: string; cpu: string }[] = [];
  for (const key of lines.keys()) {
    const m = /^cpu(\d+)$/.exec(key);
    if (m !== null) out.push({ key, cpu: m[1] as string });
  }
  return out;
}
