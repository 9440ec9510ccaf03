/**
 * Flag plumbing shared by the CLI and the source/sink plugins: each plugin declares its flags next to its
 * code, the CLI merges them, and values are validated by small parsers that throw UsageError with one line
 * naming the flag and what was expected (the CLI prints it and exits 2).
 */

export type FlagValue = string | boolean | string[] | undefined;
export type FlagValues = Readonly<Record<string, FlagValue>>;

/** One command-line flag, as node's util.parseArgs takes it plus help text. */
export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  readonly short?: string;
  readonly default?: string | boolean;
  /** Placeholder shown in --help, e.g. HOST:PORT. */
  readonly metavar?: string;
  readonly help: string;
  /**
   * Validates one given value (each one, for a repeatable flag) and throws UsageError naming `--flag`. The
   * CLI runs it on every flag the user gave, before any command or plugin sees the values, so a bad value is
   * an error even when the plugin that reads it is not enabled.
   */
  readonly check?: (flag: string, text: string) => void;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** A bad flag, value or config: printed as one line, exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A string flag's value (the last one when repeated), or undefined. */
export function stringFlag(values: FlagValues, name: string): string | undefined {
  const v = values[name];
  if (Array.isArray(v)) return v[v.length - 1];
  return typeof v === 'string' ? v : undefined;
}

/** A repeatable string flag's values. */
export function listFlag(values: FlagValues, name: string): string[] {
  const v = values[name];
  if (Array.isArray(v)) return v;
  return typeof v === 'string' ? [v] : [];
}

export function boolFlag(values: FlagValues, name: string): boolean {
  return values[name] === true;
}

/** Parses a positive (or zero when allowed) finite number, naming the flag on failure. */
export function parsePositive(flag: string, text: string, opts: { allowZero?: boolean; integer?: boolean } = {}): number {
  const n = Number(text);
  // Plain decimal only: Number() also takes 0x10, 0b1 and 1e3-free oddities like ' 2 ', which no one means.
  const ok = /^[+]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) && Number.isFinite(n) && (opts.allowZero === true ? n >= 0 : n > 0) && (opts.integer !== true || Number.isInteger(n));
  if (!ok) {
    const what = `${opts.integer === true ? 'an integer' : 'a number'} ${opts.allowZero === true ? '>= 0' : '> 0'}`;
    throw new UsageError(`--${flag}: "${text}" is not ${what}`);
  }
  return n;
}

/** A `check` for numbers > 0 (or >= 0, or integers): what parsePositive accepts. */
export function positive(opts: { allowZero?: boolean; integer?: boolean } = {}): (flag: string, text: string) => void {
  return (flag, text) => void parsePositive(flag, text, opts);
}

/** A `check` for one of the listed words. */
export function oneOf(choices: readonly string[]): (flag: string, text: string) => void {
  return (flag, text) => {
    if (!choices.includes(text)) throw new UsageError(`--${flag}: "${text}" is not ${choices.slice(0, -1).join(', ')} or ${choices[choices.length - 1]}`);
  };
}

/** Parses HOST:PORT (IPv6 as [::1]:9000; a bare :PORT means all interfaces). */
export function parseHostPort(flag: string, text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || port > 65535) throw new UsageError(`--${flag}: "${text}" is not HOST:PORT (e.g. 0.0.0.0:9000 or [::1]:9000)`);
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' ? '0.0.0.0' : host, port };
}
