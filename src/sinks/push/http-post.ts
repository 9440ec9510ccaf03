/**
 * One HTTP(S) POST with a whole-request deadline: connecting, sending and reading the answer must all finish
 * within `timeoutMs`, so a peer that accepts and never answers costs a bounded wait. Response bodies are
 * read up to a cap (push peers answer with small status messages).
 */
import http from 'node:http';
import https from 'node:https';

export interface HttpAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** The body, at most `maxBodyBytes`. */
  readonly body: Buffer;
}

export interface PostOptions {
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Keep-alive agent (one per sink); node's global agent when absent. */
  readonly agent?: http.Agent;
  /** Aborts the request (shutdown deadline). */
  readonly signal?: AbortSignal;
  readonly maxBodyBytes?: number;
}

/** POSTs `body` to `url`. Rejects on network errors, the deadline or an abort; any HTTP status resolves. */
export function httpPost(url: URL, body: Uint8Array, opts: PostOptions): Promise<HttpAnswer> {
  const max = opts.maxBodyBytes ?? 64 * 1024;
  return new Promise((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.request(url, {
      method: 'POST',
      headers: { ...opts.headers, 'Content-Length': String(body.length) },
      agent: opts.agent,
      signal: opts.signal,
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < max) chunks.push(c.subarray(0, max - size));
        size += c.length;
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
      res.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    req.end(body);
  });
}

/**
 * The delay a `Retry-After` header asks for, in ms (delta-seconds or an HTTP date), or undefined when absent
 * or unreadable.
 */
export function retryAfterMs(value: string | undefined, nowMs = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
