/**
 * `top --from URL`: reads a running agent's /metrics every interval. A failed or malformed read is shown as
 * the status and retried next interval; the stats already shown stay until a read succeeds again.
 */
import { errorMessage } from '../support/log.js';
import type { FeedEvents, TopFeed } from './feed.js';
import { parsePromText } from './prom-text.js';

export interface ScrapeFeedOptions {
  readonly url: URL;
  readonly intervalSeconds: number;
}

export class ScrapeFeed implements TopFeed {
  readonly title: string;
  private readonly opts: ScrapeFeedOptions;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private inflight: AbortController | undefined;

  constructor(opts: ScrapeFeedOptions) {
    this.opts = opts;
    this.title = `from ${opts.url.href} · every ${opts.intervalSeconds} s`;
  }

  async start(events: FeedEvents): Promise<void> {
    const period = this.opts.intervalSeconds * 1000;
    const begin = performance.now();
    let n = 0;
    const tick = async (): Promise<void> => {
      await this.read(events);
      if (this.stopped) return;
      // Aim at begin + n*period, as the agent does, so reads do not drift by the time each takes.
      n = Math.max(n + 1, Math.floor((performance.now() - begin) / period) + 1);
      this.timer = setTimeout(() => void tick(), Math.max(0, begin + n * period - performance.now()));
    };
    void tick();
  }

  private async read(events: FeedEvents): Promise<void> {
    const ac = new AbortController();
    this.inflight = ac;
    // A read may take most of the interval, never more: a hung agent is reported, not waited on.
    const timer = setTimeout(() => ac.abort(new Error(`no answer within ${Math.round(this.opts.intervalSeconds * 900)} ms`)), this.opts.intervalSeconds * 900);
    try {
      const res = await fetch(this.opts.url, { signal: ac.signal, headers: { accept: 'text/plain;version=0.0.4' } });
      const body = await res.text();
      if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
      const stats = parsePromText(body);
      const atMs = performance.now();
      if (this.stopped) return;
      events.frame({ atMs, stats });
      events.status('');
    } catch (err) {
      if (this.stopped) return;
      const why = ac.signal.aborted ? errorMessage(ac.signal.reason) : errorMessage(err);
      const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : '';
      events.status(`cannot read ${this.opts.url.href}: ${why}${cause}`);
    } finally {
      clearTimeout(timer);
      this.inflight = undefined;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.inflight?.abort(new Error('stopped'));
  }
}
