/**
 * Runs `top`'s app in this terminal with a feed that draws one frame and then throws from a timer: an
 * uncaught exception while the screen is taken, for the test that the terminal is given back anyway.
 */
import type { ReadStream, WriteStream } from 'node:tty';
import { runTop } from '../../src/top/app.js';
import { Screen } from '../../src/top/screen.js';
import type { TopFeed } from '../../src/top/feed.js';

const feed: TopFeed = {
  title: 'a feed that throws',
  async start(events) {
    events.frame({ atMs: performance.now(), stats: [{ name: 'before_the_throw', kind: 'gauge', help: '', series: [{ labels: [], value: 42 }] }] });
    setTimeout(() => {
      throw new Error('boom from the feed');
    }, 1500);
  },
  async stop() {},
};

const out = process.stdout as WriteStream;
const keys = process.stdin as ReadStream;
void runTop(feed, { screen: new Screen(out, keys), keys, resizes: out });
