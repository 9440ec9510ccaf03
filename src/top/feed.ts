/** Where `top` gets its frames: the in-process agent, or a running agent's /metrics. */
import type { Frame } from './frame.js';

export interface FeedEvents {
  frame(f: Frame): void;
  /** A problem to show ('' when it cleared). The feed keeps trying; it never throws for a failed read. */
  status(msg: string): void;
}

export interface TopFeed {
  /** One line on what is watched, for the title bar. */
  readonly title: string;
  /** Starts reading; rejects only when the feed cannot start at all. */
  start(events: FeedEvents): Promise<void>;
  stop(): Promise<void>;
}
