/** Flag parsers shared by the HTTP push sinks: endpoint URLs and repeatable KEY=VALUE pairs. */
import { UsageError, oneOf } from '../../plugin/flags.js';

/** An http(s) URL, or a UsageError naming the flag. */
export function parseHttpUrl(flag: string, text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--${flag}: "${text}" is not a URL (expected http://HOST:PORT/PATH)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--${flag}: "${text}" is not an http:// or https:// URL`);
  }
  return url;
}

/** A `check` for an http(s) URL. */
export const httpUrl = (flag: string, text: string): void => void parseHttpUrl(flag, text);

/** A `check` for one KEY=VALUE pair. */
export const pair = (flag: string, text: string): void => void parsePairs(flag, [text]);

/** Repeated KEY=VALUE values as pairs, in order; the key must be non-empty. */
export function parsePairs(flag: string, texts: readonly string[]): [string, string][] {
  return texts.map((t) => {
    const eq = t.indexOf('=');
    if (eq <= 0) throw new UsageError(`--${flag}: "${t}" is not KEY=VALUE`);
    return [t.slice(0, eq), t.slice(eq + 1)];
  });
}

/** One of the listed words, or a UsageError listing them. */
export function parseChoice<const T extends string>(flag: string, text: string, choices: readonly T[]): T {
  oneOf(choices)(flag, text);
  return text as T;
}
