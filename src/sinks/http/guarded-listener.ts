/**
 * An HTTP listener of the agent behind `--web-config`: the file's TLS settings choose plain HTTP or HTTPS
 * (web-listener.ts), its headers and basic auth stand in front of every path (web-guard.ts), and a change to
 * the file is taken without a restart (web-config-watch.ts). The Prometheus endpoint and the `--web` listener
 * both serve through one of these, so the rules are the same on every path the agent serves.
 */
import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http';
import { loadWebConfig, type WebConfig } from './web-config.js';
import { WebConfigWatcher, type WebConfigWatchOptions } from './web-config-watch.js';
import { WebGuard } from './web-guard.js';
import { WebListener } from './web-listener.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Where the web config comes from: `file` is re-read when it changes; `config`, when given, is its checked content. */
export interface WebConfigFile {
  readonly file: string;
  readonly config?: WebConfig;
  readonly watch?: WebConfigWatchOptions;
}

/** What the listener tells its owner, who words and counts it. */
export interface GuardedListenerEvents {
  /** A connection closed at the TLS layer: failed handshake (plain HTTP to the TLS port), refused certificate. */
  tlsError(err: Error): void;
  /** The file changed and its new content is in force. */
  reloaded(file: string): void;
  /** The file changed but cannot be taken; the running config stays. */
  problem(message: string): void;
}

export class GuardedListener {
  readonly server: Server;
  private readonly listener: WebListener;
  private readonly guard = new WebGuard();
  private readonly source: WebConfigFile | undefined;
  private readonly config: WebConfig | undefined;
  private watcher: WebConfigWatcher | undefined;

  /**
   * Reads the web config (throws its WebConfigError when `config` is not given and the file is bad). `before`
   * sees every request, answered or refused; `handler` only those the guard lets through.
   */
  constructor(source: WebConfigFile | undefined, http: ServerOptions & { headersTimeout: number }, handler: Handler, private readonly events: GuardedListenerEvents, before?: Handler) {
    this.source = source;
    this.config = source === undefined ? undefined : (source.config ?? loadWebConfig(source.file));
    this.guard.update(this.config);
    this.listener = new WebListener(
      this.config?.tls,
      http,
      (req, res) => {
        before?.(req, res);
        this.guard.handle(req, res, () => handler(req, res));
      },
      (err) => events.tlsError(err),
    );
    this.server = this.listener.server;
  }

  /** Whether it serves HTTPS. */
  get tls(): boolean {
    return this.listener.tls;
  }

  /** Follows the file for changes (call once listening); nothing without a web config. */
  watch(): void {
    const { source, config } = this;
    if (source === undefined || config === undefined || this.watcher !== undefined) return;
    const onChange = (next: WebConfig): void => {
      this.listener.applyTls(next.tls);
      this.guard.update(next);
      this.events.reloaded(source.file);
    };
    this.watcher = new WebConfigWatcher(source.file, config, onChange, (msg) => this.events.problem(msg), source.watch);
    this.watcher.start();
  }

  /** Stops following the file (the server is closed by its owner). */
  stopWatching(): void {
    this.watcher?.stop();
    this.watcher = undefined;
  }
}
