/**
 * A receiver-side parser of the spectatord line protocol, written from the protocol table (ecosystem.md 2.5)
 * and the daemon's parser (server/spectatord.cc), independent of the encoder under test. It rejects what the
 * daemon would reject or silently rewrite: unknown types, options on types that take none, names or tags
 * outside the valid character set and lengths, separators inside names, values that do not parse for the type.
 */

export interface SpectatordLine {
  readonly type: string;
  readonly option: number | undefined;
  readonly name: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Meter symbols and what they are (the protocol table). */
export const METER_TYPES: Readonly<Record<string, string>> = {
  c: 'counter',
  C: 'monotonic counter (double)',
  U: 'monotonic counter (uint64)',
  X: 'monotonic sampled',
  g: 'gauge',
  m: 'max gauge',
  d: 'distribution summary',
  D: 'percentile distribution summary',
  t: 'timer (seconds)',
  T: 'percentile timer (seconds)',
  A: 'age gauge',
};

const VALID = /^[-._A-Za-z0-9~^]+$/;
const DOUBLE = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$|^[-+]?(?:nan|inf|infinity)$/i;

export function parseSpectatordLine(line: string): SpectatordLine {
  const fail = (why: string): never => {
    throw new Error(`bad spectatord line ${JSON.stringify(line)}: ${why}`);
  };
  const first = line.indexOf(':');
  if (first < 1) fail('no "<type>:" prefix');
  const head = line.slice(0, first);
  const [type = '', opt, ...more] = head.split(',');
  if (!(type in METER_TYPES) || type.length !== 1) fail(`unknown meter type "${type}"`);
  if (more.length > 0) fail('more than one option');
  let option: number | undefined;
  if (opt !== undefined) {
    if (type !== 'g' && type !== 'X') fail(`type ${type} takes no option`);
    if (!/^\d+$/.test(opt) || Number(opt) <= 0) fail(`option "${opt}" is not a positive integer`);
    option = Number(opt);
    if (type === 'g' && option < 5) fail('gauge TTL under the 5 s minimum');
  }
  const rest = line.slice(first + 1);
  const last = rest.lastIndexOf(':');
  if (last < 0) fail('no ":<value>"');
  const id = rest.slice(0, last);
  const valueText = rest.slice(last + 1);
  const [name = '', ...tagParts] = id.split(',');
  if (!VALID.test(name)) fail(`name "${name}" has characters outside -._A-Za-z0-9~^`);
  if (name.length < 2 || name.length > 255) fail(`name length ${name.length} outside 2..255`);
  const tags: Record<string, string> = {};
  for (const part of tagParts) {
    const eq = part.indexOf('=');
    if (eq < 0) fail(`tag "${part}" has no "="`);
    const k = part.slice(0, eq);
    const v = part.slice(eq + 1);
    if (!VALID.test(k) || !VALID.test(v)) fail(`tag "${part}" has characters outside -._A-Za-z0-9~^ (or is empty)`);
    if (k.length < 2 || k.length > 60) fail(`tag key "${k}" length outside 2..60`);
    if (v.length > 120) fail(`tag value length ${v.length} over 120`);
    if (k in tags) fail(`tag "${k}" twice`);
    tags[k] = v;
  }
  if (type === 'U' ? !/^\d+$/.test(valueText) : !DOUBLE.test(valueText)) fail(`value "${valueText}" does not parse for type ${type}`);
  return { type, option, name, tags, value: Number(valueText) };
}

/** The id as the daemon keys meters: name plus sorted tags. */
export function meterKey(l: Pick<SpectatordLine, 'name' | 'tags'>): string {
  const tags = Object.entries(l.tags)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`);
  return [l.name, ...tags].join(',');
}
