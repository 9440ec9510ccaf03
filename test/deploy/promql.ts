/**
 * A small PromQL reader for the mixin's tests: finds the series selectors in an expression (metric name and
 * label matchers), skipping strings, ranges, numbers, function calls, aggregation operators, keywords and
 * the label lists of by/without/on/ignoring/group_left/group_right. Enough for the expressions we write; it
 * does not validate (promtool and Prometheus do that).
 */

/** One label matcher of a selector. */
export interface Matcher {
  readonly label: string;
  readonly op: '=' | '!=' | '=~' | '!~';
  readonly value: string;
}

/** A series selector: `name{matchers}`; `name` is undefined for a bare `{...}` selector. */
export interface Selector {
  readonly name: string | undefined;
  readonly matchers: readonly Matcher[];
}

const AGGREGATORS = ['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio'];
const KEYWORDS = new Set([...AGGREGATORS, 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan', 'atan2']);
/** Keywords followed by a parenthesised list of label names (not expressions). */
const LABEL_LISTS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

/** Index just past the string literal that starts at `i`. */
function skipString(s: string, i: number): number {
  const q = s[i];
  let j = i + 1;
  while (j < s.length && s[j] !== q) j += s[j] === '\\' && q !== '`' ? 2 : 1;
  if (j >= s.length) throw new Error(`unterminated string at ${i} in ${s}`);
  return j + 1;
}

/** Index just past the bracket that closes the one at `i` (strings inside are skipped). */
function skipBracket(s: string, i: number, open: string, close: string): number {
  let depth = 0;
  for (let j = i; j < s.length; ) {
    const c = s[j] as string;
    if (c === '"' || c === "'" || c === '`') {
      j = skipString(s, j);
      continue;
    }
    if (c === open) depth++;
    if (c === close && --depth === 0) return j + 1;
    j++;
  }
  throw new Error(`unbalanced ${open} at ${i} in ${s}`);
}

function unquote(lit: string): string {
  if (lit.startsWith('`')) return lit.slice(1, -1);
  return lit.slice(1, -1).replace(/\\(.)/g, '$1');
}

/** The matchers inside `{...}` (without the braces). */
function parseMatchers(body: string): Matcher[] {
  const out: Matcher[] = [];
  const re = /\s*([a-zA-Z_]\w*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)\s*,?/y;
  let i = 0;
  while (i < body.length) {
    if (/^\s*$/.test(body.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(body);
    if (m === null) throw new Error(`cannot read label matchers {${body}} at ${i}`);
    out.push({ label: m[1] as string, op: m[2] as Matcher['op'], value: unquote(m[3] as string) });
    i = re.lastIndex;
  }
  return out;
}

/** Every series selector in a PromQL expression, in order. */
export function selectors(expr: string): Selector[] {
  const out: Selector[] = [];
  const s = expr;
  let i = 0;
  const nextChar = (j: number): { c: string | undefined; at: number } => {
    while (j < s.length && /\s/.test(s[j] as string)) j++;
    return { c: s[j], at: j };
  };
  while (i < s.length) {
    const c = s[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#') {
      const nl = s.indexOf('\n', i);
      i = nl < 0 ? s.length : nl + 1;
    } else if (c === '"' || c === "'" || c === '`') {
      i = skipString(s, i);
    } else if (c === '[') {
      i = skipBracket(s, i, '[', ']');
    } else if (c === '{') {
      const end = skipBracket(s, i, '{', '}');
      const matchers = parseMatchers(s.slice(i + 1, end - 1));
      out.push({ name: matchers.find((m) => m.label === '__name__' && m.op === '=')?.value, matchers });
      i = end;
    } else if (/[0-9.]/.test(c)) {
      // Numbers and durations (1, 0.5, 1e-3, 0x1f, 5m, 1h30m).
      const m = /^(0x[0-9a-fA-F]+|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)([a-z]+\d*)*/.exec(s.slice(i));
      i += m === null ? 1 : m[0].length;
    } else if (/[a-zA-Z_:]/.test(c)) {
      const id = (/^[a-zA-Z_:][\w:]*/.exec(s.slice(i)) as RegExpExecArray)[0];
      i += id.length;
      const next = nextChar(i);
      if (LABEL_LISTS.has(id)) {
        if (next.c === '(') i = skipBracket(s, next.at, '(', ')');
      } else if (KEYWORDS.has(id) || next.c === '(') {
        // an operator, keyword or function name
      } else if (next.c === '{') {
        const end = skipBracket(s, next.at, '{', '}');
        out.push({ name: id, matchers: parseMatchers(s.slice(next.at + 1, end - 1)) });
        i = end;
      } else {
        out.push({ name: id, matchers: [] });
      }
    } else {
      i++;
    }
  }
  return out;
}
