/**
 * `top` running: frames from a feed go into the model, keys move the selection, and the screen is redrawn
 * on each frame, key and resize. Whatever ends it — q, Ctrl-C, SIGINT/SIGTERM, an exception anywhere — the
 * terminal is given back first.
 */
import { errorMessage } from '../support/log.js';
import type { TopFeed } from './feed.js';
import { parseKeys } from './keys.js';
import { TopModel } from './model.js';
import { Navigation } from './navigation.js';
import { render } from './render.js';
import { flatten } from './rows.js';
import type { Screen } from './screen.js';
import { textWidth } from './text-width.js';

export interface TopIo {
  readonly screen: Screen;
  /** Where keys come from (raw-mode stdin), when it is a terminal. */
  readonly keys: NodeJS.ReadableStream | undefined;
  /** Emits 'resize' when the terminal's size changes (a TTY stdout on SIGWINCH). */
  readonly resizes: NodeJS.EventEmitter;
}

/** Strips SGR escapes to measure a rendered line. */
function plainWidth(line: string): number {
  // eslint-disable-next-line no-control-regex
  return textWidth(line.replace(/\x1b\[[0-9;]*m/g, ''));
}

/**
 * The footer's message: the latest problem from the feed or a diagnostic from the sources (which would
 * otherwise write over the screen on stderr). Set before `runTop` starts, it is shown from the first draw.
 */
export class StatusLine {
  text = '';
  onChange: (() => void) | undefined;
  set(msg: string): void {
    const t = msg.trim();
    if (t === this.text) return;
    this.text = t;
    this.onChange?.();
  }
}

/** Runs until quit; resolves to the exit status (0). Rejects only if the feed cannot start. */
export async function runTop(feed: TopFeed, io: TopIo, status: StatusLine = new StatusLine()): Promise<number> {
  const model = new TopModel();
  const nav = new Navigation();
  let scroll = 0;
  let page = 1;
  let quit!: () => void;
  const quitting = new Promise<void>((resolve) => (quit = resolve));
  const { screen } = io;

  const redraw = (): void => {
    const rows = flatten(model.view(), nav.expanded);
    const selected = nav.index(rows);
    const out = render({ title: `scx-metrics top · ${feed.title}`, status: status.text, rows, selected, scroll, width: screen.width, height: screen.height });
    scroll = out.scroll;
    page = Math.max(1, out.page);
    screen.draw(out.lines, out.lines.map(plainWidth));
  };
  const onKeys = (chunk: string | Buffer): void => {
    for (const cmd of parseKeys(chunk.toString())) {
      if (nav.apply(cmd, flatten(model.view(), nav.expanded), page)) return quit();
    }
    redraw();
  };
  const onSignal = (): void => quit();
  // An exception while the screen is ours: give the terminal back, then say what happened, as Node would.
  const onFatal = (err: unknown): void => {
    screen.leave();
    process.stderr.write(`scx-metrics: error: ${err instanceof Error ? (err.stack ?? err.message) : errorMessage(err)}\n`);
    process.exit(1);
  };
  const onExit = (): void => screen.leave();

  process.on('uncaughtException', onFatal);
  process.on('unhandledRejection', onFatal);
  process.on('exit', onExit);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  io.resizes.on('resize', redraw);
  io.keys?.on('data', onKeys);
  try {
    screen.enter();
    status.onChange = redraw;
    redraw();
    // q works while the feed starts (attaching sources, the first read).
    await Promise.race([
      feed.start({
        frame: (f) => {
          model.update(f);
          redraw();
        },
        status: (msg) => status.set(msg),
      }),
      quitting,
    ]);
    await quitting;
  } finally {
    status.onChange = undefined;
    io.keys?.removeListener('data', onKeys);
    io.resizes.removeListener('resize', redraw);
    screen.leave();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('SIGHUP', onSignal);
    process.removeListener('uncaughtException', onFatal);
    process.removeListener('unhandledRejection', onFatal);
    process.removeListener('exit', onExit);
  }
  // The feed's last read is bounded by its own timeouts; the terminal is already back while it ends.
  await feed.stop();
  return 0;
}
