/**
 * The scx_stats wire protocol (sched-ext/scx `rust/scx_stats`), as data: one JSON object per `\n`-terminated
 * line each way. A request is `{"req": CMD, "args": {STRING: STRING}}`; a response is
 * `{"errno": INT, "args": {"resp": VALUE}}`, where a non-zero errno comes with a string `resp` saying what
 * went wrong. Commands: `stats` (arg `target`, default `top`; the whole args map reaches the scheduler) and
 * `stats_meta`. No I/O here: the client frames lines, this module encodes and checks them.
 */

/** The metadata type of one value: a scalar kind, or a nested struct by name. */
export type MetaScalar = 'i64' | 'u64' | 'float' | 'string';
export type MetaKind = MetaScalar | { readonly struct: string };

/** How a field is typed in `stats_meta`: a single datum, an array of data, or a dict (integer or string keys). */
export type MetaData =
  | { readonly datum: MetaKind }
  | { readonly array: MetaKind }
  | { readonly dict: { readonly key: MetaKind; readonly datum: MetaKind } };

/** One field of a stats struct. `user` holds `_`-prefixed attributes such as `_om_skip`. */
export type MetaField = MetaData & {
  readonly desc?: string;
  readonly user?: Readonly<Record<string, string>>;
};

/** One stats struct. `top` is `"true"` on the struct `stats` reports by default; `user` may hold `_om_prefix`, `_om_label`. */
export interface MetaStruct {
  readonly name: string;
  readonly desc?: string;
  readonly top?: string;
  readonly user?: Readonly<Record<string, string>>;
  readonly fields: Readonly<Record<string, MetaField>>;
}

/** The `stats_meta` payload: every struct the server registered, by name. */
export type StatsMeta = Readonly<Record<string, MetaStruct>>;

/** A protocol violation: the peer is not speaking scx_stats as documented. The connection cannot be trusted. */
export class ScxStatsProtocolError extends Error {
  override name = 'ScxStatsProtocolError';
}

/** The server answered with a non-zero errno; `message` carries its `resp` text. */
export class ScxStatsErrnoError extends Error {
  override name = 'ScxStatsErrnoError';
  constructor(
    readonly errno: number,
    readonly resp: string,
    readonly req: string,
  ) {
    super(`"${req}" failed with errno ${errno}: ${firstLine(resp)}`);
  }
}

function firstLine(s: string): string {
  // scx_stats sends anyhow's debug format: the error, a blank line, then "Caused by:" lines. Keep it one line.
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

/** One request line (with its `\n`). Args are strings on the wire; anything else is refused by servers. */
export function encodeRequest(req: string, args: Readonly<Record<string, string>> = {}): string {
  return `${JSON.stringify({ req, args })}\n`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The `resp` of one response line. Throws ScxStatsProtocolError when the line is not JSON or not shaped like
 * a response, ScxStatsErrnoError when the server reports an error.
 */
export function decodeResponse(line: string, req: string): unknown {
  let msg: unknown;
  try {
    msg = JSON.parse(line);
  } catch (err) {
    throw new ScxStatsProtocolError(`response to "${req}" is not JSON (${(err as Error).message}): ${preview(line)}`);
  }
  if (!isObject(msg) || typeof msg.errno !== 'number' || !Number.isInteger(msg.errno) || !isObject(msg.args)) {
    throw new ScxStatsProtocolError(`response to "${req}" is not {"errno": INT, "args": {"resp": ...}}: ${preview(line)}`);
  }
  const resp = msg.args.resp ?? null;
  if (msg.errno !== 0) throw new ScxStatsErrnoError(msg.errno, typeof resp === 'string' ? resp : JSON.stringify(resp), req);
  return resp;
}

/** The start of a line, for error messages. */
export function preview(line: string, max = 120): string {
  return line.length <= max ? JSON.stringify(line) : `${JSON.stringify(line.slice(0, max))}... (${line.length} chars)`;
}

/**
 * Checks that a `stats_meta` payload has the documented shape (structs with a `fields` map whose entries are
 * `datum`, `array` or `dict`). Cross-references (unknown structs, loops) are checked where the meta is walked.
 */
export function checkMeta(resp: unknown): StatsMeta {
  if (!isObject(resp)) throw new ScxStatsProtocolError(`stats_meta: expected an object of structs by name, got ${typeName(resp)}`);
  for (const [name, s] of Object.entries(resp)) {
    if (!isObject(s) || !isObject(s.fields)) {
      throw new ScxStatsProtocolError(`stats_meta: struct "${name}" has no "fields" object`);
    }
    if (s.user !== undefined && !isObject(s.user)) throw new ScxStatsProtocolError(`stats_meta: struct "${name}": "user" is not an object`);
    for (const [fname, f] of Object.entries(s.fields)) {
      const where = `stats_meta: ${name}.${fname}`;
      if (!isObject(f)) throw new ScxStatsProtocolError(`${where}: expected an object, got ${typeName(f)}`);
      if (f.user !== undefined && !isObject(f.user)) throw new ScxStatsProtocolError(`${where}: "user" is not an object`);
      if ('datum' in f) checkKind(where, f.datum);
      else if ('array' in f) checkKind(where, f.array);
      else if ('dict' in f && isObject(f.dict)) {
        checkKind(`${where} (dict key)`, f.dict.key);
        checkKind(`${where} (dict datum)`, f.dict.datum);
      } else throw new ScxStatsProtocolError(`${where}: expected "datum", "array" or "dict"`);
    }
  }
  return resp as unknown as StatsMeta;
}

function checkKind(where: string, k: unknown): void {
  if (k === 'i64' || k === 'u64' || k === 'float' || k === 'string') return;
  if (isObject(k) && typeof k.struct === 'string') return;
  throw new ScxStatsProtocolError(`${where}: type ${JSON.stringify(k)} is not i64, u64, float, string or {"struct": NAME}`);
}

/** A short description of a JSON value's type, for error messages. */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `a string ${preview(v, 40)}`;
  return v === undefined ? 'nothing' : `${typeof v} ${JSON.stringify(v)}`;
}
