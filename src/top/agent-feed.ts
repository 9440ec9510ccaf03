/** `top` over sources in this process: an agent whose one sink hands each collection to `top` as a frame. */
import { Agent } from '../agent.js';
import type { Logger } from '../support/log.js';
import type { Source } from '../plugin/source.js';
import type { FeedEvents, TopFeed } from './feed.js';
import { registryFrame } from './registry-frame.js';

export interface AgentFeedOptions {
  readonly sources: readonly Source[];
  readonly intervalSeconds: number;
  readonly log: Logger;
}

export class AgentFeed implements TopFeed {
  readonly title: string;
  private readonly opts: AgentFeedOptions;
  private agent: Agent | undefined;

  constructor(opts: AgentFeedOptions) {
    this.opts = opts;
    const names = opts.sources.map((s) => s.name);
    this.title = `sources: ${names.length === 0 ? 'none' : names.join(', ')} · every ${opts.intervalSeconds} s`;
  }

  async start(events: FeedEvents): Promise<void> {
    const sink = { name: 'top', flush: (snap: { registry: Parameters<typeof registryFrame>[0] }) => events.frame(registryFrame(snap.registry, performance.now())) };
    this.agent = new Agent({ sources: this.opts.sources, sinks: [sink], intervalSeconds: this.opts.intervalSeconds, log: this.opts.log });
    await this.agent.start();
    this.agent.run();
  }

  async stop(): Promise<void> {
    await this.agent?.stop();
  }
}
