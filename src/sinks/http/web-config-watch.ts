/**
 * Re-reads the web config when it or a file it names changes: fs.watch on their folders (an editor or a
 * certificate manager replaces files by rename, which a watch on the file itself would lose) plus a slow
 * poll for filesystems without notifications. A change is taken only when the content digest differs, and
 * only when the new config checks out; otherwise the running config stays and the problem is said once.
 */
import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { loadWebConfig, WebConfigError, type WebConfig } from './web-config.js';

export interface WebConfigWatchOptions {
  /** Also re-check this often, ms. Default 5000. */
  readonly pollMs?: number;
  /** Wait this long after a change event for the writer to finish, ms. Default 200. */
  readonly settleMs?: number;
}

export class WebConfigWatcher {
  private current: WebConfig;
  private watchers: FSWatcher[] = [];
  private watched = '';
  private poll: NodeJS.Timeout | undefined;
  private settle: NodeJS.Timeout | undefined;
  private lastProblem = '';

  constructor(
    private readonly file: string,
    initial: WebConfig,
    private readonly onChange: (config: WebConfig) => void,
    private readonly onProblem: (message: string) => void,
    private readonly opts: WebConfigWatchOptions = {},
  ) {
    this.current = initial;
  }

  start(): void {
    this.rewatch();
    this.poll = setInterval(() => this.check(), this.opts.pollMs ?? 5000);
    this.poll.unref();
  }

  stop(): void {
    clearInterval(this.poll);
    clearTimeout(this.settle);
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }

  /** Re-reads now; returns whether a new config was taken. */
  check(): boolean {
    let next: WebConfig;
    try {
      next = loadWebConfig(this.file);
    } catch (err) {
      const message = err instanceof WebConfigError ? err.message : `web config ${this.file}: ${(err as Error).message}`;
      if (message !== this.lastProblem) {
        this.lastProblem = message;
        this.onProblem(message);
      }
      return false;
    }
    this.lastProblem = '';
    if (next.digest === this.current.digest) return false;
    try {
      this.onChange(next);
    } catch (err) {
      // The listener refused it (TLS switched on or off): keep the running config, say so once.
      const message = `web config ${this.file}: ${(err as Error).message}`;
      if (message !== this.lastProblem) {
        this.lastProblem = message;
        this.onProblem(message);
      }
      return false;
    }
    this.current = next;
    this.rewatch();
    return true;
  }

  private rewatch(): void {
    const dirs = [...new Set(this.current.files.map((f) => dirname(f)))].sort();
    if (dirs.join('\0') === this.watched) return;
    for (const w of this.watchers) w.close();
    this.watchers = [];
    this.watched = dirs.join('\0');
    for (const d of dirs) {
      try {
        const w = watch(d, { persistent: false }, () => this.soon());
        w.on('error', () => undefined); // The poll still covers this folder.
        this.watchers.push(w);
      } catch {
        // No notifications here (folder gone, inotify limit): the poll covers it.
      }
    }
  }

  private soon(): void {
    clearTimeout(this.settle);
    this.settle = setTimeout(() => this.check(), this.opts.settleMs ?? 200);
    this.settle.unref();
  }
}
