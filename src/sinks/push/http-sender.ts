/**
 * The push sender over HTTP(S) POSTs: one keep-alive connection per sink, each request bounded by the sink's
 * timeout (http-post.ts). The queue, retries and drop accounting are the generic sender's (sender.ts).
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { type HttpAnswer, httpPost } from './http-post.js';
import { PushSender, type PushSenderOptions, type Transport } from './sender.js';

export type { PushItem, SenderCounters, Verdict } from './sender.js';

export interface HttpSenderOptions extends Omit<PushSenderOptions<HttpAnswer>, 'transport'> {
  readonly url: URL;
  /** Headers sent with every request (Content-Type, User-Agent, protocol headers, user headers). */
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
}

/** POSTs to one URL over a single kept-alive connection. */
export function httpTransport(url: URL, headers: Readonly<Record<string, string>>, timeoutMs: number): Transport<HttpAnswer> {
  const agentOpts = { keepAlive: true, maxSockets: 1 };
  const agent = url.protocol === 'https:' ? new HttpsAgent(agentOpts) : new HttpAgent(agentOpts);
  return {
    send: (body, signal) => httpPost(url, body, { headers, timeoutMs, agent, signal }),
    close: () => agent.destroy(),
  };
}

export class HttpSender extends PushSender<HttpAnswer> {
  constructor(opts: HttpSenderOptions) {
    const { url, headers, timeoutMs, ...rest } = opts;
    super({ ...rest, transport: httpTransport(url, headers, timeoutMs) });
  }
}
