/**
 * The scx_stats source: keeps one connection to a scheduler's stats socket, asks for `stats_meta` on every
 * (re)connect, builds declarations from it, and applies one `stats` response per interval. Any failure
 * (no server yet, EOF on restart, timeout, errno, malformed line or shape) closes the connection and fails
 * the interval; the next attempt waits for a jittered exponential backoff, so a missing scheduler costs one
 * cheap connect now and then. Series already exported stay as they are until fresh values arrive; a series a
 * successful read no longer carries (a dict key or info string that went away) is removed after the grace
 * period (SourceContext.lifetime).
 */
import { Backoff } from '../../support/backoff.js';
import type { StatSet } from '../../declare/types.js';
import { errorMessage } from '../../support/log.js';
import type { Family } from '../../registry/index.js';
import type { Source, SourceContext } from '../../plugin/source.js';
import { DEFAULT_SCX_STATS_PATH, ScxStatsClient, type PreparedRequest } from './client.js';
import { MetaExport } from './export.js';
import { planMeta } from './meta.js';
import { matchOverlay, overlayByName, overlays, type ScxOverlay } from './overlays/index.js';
import type { StatsMeta } from './protocol.js';

export interface ScxStatsSourceOptions {
  /** Socket path. Default /var/run/scx/root/stats. */
  readonly path?: string;
  /** Connect, write and read timeout, each, in ms. Default 1000. */
  readonly timeoutMs?: number;
  /** Longest response line accepted. Default 4 MiB. */
  readonly maxLineBytes?: number;
  /** `auto` (match the meta), `none` (gauges only) or a scheduler name. Default `auto`. */
  readonly overlay?: string;
  /** Leave out the gauges of fields the overlay turns into counters. */
  readonly typedOnly?: boolean;
  /** A meta already fetched (by the CLI's probe), so `stats()` can answer before the first read. */
  readonly initialMeta?: StatsMeta;
  /** Delay between reconnect attempts. Default 500 ms doubling up to 10 s, jittered. */
  readonly backoff?: Backoff;
}

export class ScxStatsSource implements Source {
  readonly name = 'scx_stats';
  readonly path: string;
  private readonly client: ScxStatsClient;
  private readonly opts: ScxStatsSourceOptions;
  private readonly backoff: Backoff;
  private readonly statsRequest: PreparedRequest;
  private readonly owned = new Map<string, Family>();
  private ctx: SourceContext | undefined;
  private current: Current | undefined;
  private nextAttemptAt = 0;
  private lastError = '';
  private up = false;

  constructor(opts: ScxStatsSourceOptions = {}) {
    this.opts = opts;
    this.path = opts.path ?? DEFAULT_SCX_STATS_PATH;
    const t = opts.timeoutMs ?? 1000;
    this.client = new ScxStatsClient({ path: this.path, connectTimeoutMs: t, readTimeoutMs: t, writeTimeoutMs: t, maxLineBytes: opts.maxLineBytes });
    this.backoff = opts.backoff ?? new Backoff(500, 10_000);
    this.statsRequest = this.client.prepare('stats', { target: 'top' });
    if (opts.initialMeta !== undefined) {
      try {
        this.current = this.prepare(opts.initialMeta);
      } catch {
        // A meta that cannot be walked is reported by the first collect, which fetches it again.
      }
    }
  }

  /** The declarations of the meta seen last (none before the first connection). */
  stats(): readonly StatSet[] {
    return this.current?.exp.sets ?? [];
  }

  /** The overlay in use, if any. */
  get overlay(): ScxOverlay | undefined {
    return this.current?.overlay;
  }

  attach(ctx: SourceContext): void {
    this.ctx = ctx;
  }

  async collect(): Promise<void> {
    if (!this.client.connected) await this.connect();
    const exp = this.current?.exp;
    if (exp === undefined) throw new Error('no stats_meta yet');
    try {
      const resp = await this.client.send(this.statsRequest);
      exp.apply(resp); // checks the whole response before applying any of it
    } catch (err) {
      this.drop(err);
      throw new Error(`${this.path}: ${errorMessage(err)} (connection dropped; reconnecting with backoff)`);
    }
    this.backoff.reset();
    if (!this.up) {
      this.up = true;
      const ov = this.current?.overlay;
      this.ctx?.log.info(`scx_stats: reading ${this.path}: top struct ${exp.top}, ${ov === undefined ? 'no typing overlay (gauges only)' : `${ov.scheduler} overlay`}`);
    }
  }

  close(): void {
    this.client.close();
  }

  private async connect(): Promise<void> {
    const wait = this.nextAttemptAt - Date.now();
    if (wait > 0) throw new Error(`${this.lastError} (next attempt in ${Math.ceil(wait)} ms)`);
    try {
      await this.client.connect();
      const meta = await this.client.statsMeta();
      this.use(meta);
    } catch (err) {
      this.drop(err);
      throw new Error(this.lastError);
    }
  }

  private drop(err: unknown): void {
    this.client.close();
    this.up = false;
    this.lastError = errorMessage(err);
    this.nextAttemptAt = Date.now() + this.backoff.next();
  }

  /** Switches to the export for `meta` (kept when the meta is unchanged, e.g. after a scheduler restart). */
  private use(meta: StatsMeta): void {
    const key = JSON.stringify(meta);
    if (this.current?.key !== key) this.current = this.prepare(meta, key);
    const cur = this.current;
    const ctx = this.ctx;
    if (cur === undefined || cur.bound || ctx === undefined) return;
    // Said when an export is first put to use: once per distinct meta.
    for (const w of cur.warnings) ctx.log.once(`scx_stats:${w}`, `scx_stats: ${w}`);
    for (const n of cur.exp.notes) ctx.log.info(`scx_stats: ${n}`);
    for (const p of cur.exp.bind(ctx.registry, this.owned)) ctx.log.once(`scx_stats:clash:${p}`, `scx_stats: ${p}`);
    // Dict keys and info strings come and go with the scheduler's layers, cgroups and modes: a series the
    // server stops sending is removed after the grace period (families of an earlier meta included).
    for (const fam of this.owned.values()) ctx.lifetime?.track(fam);
    cur.bound = true;
  }

  private prepare(meta: StatsMeta, key = JSON.stringify(meta)): Current {
    const plan = planMeta(meta);
    const choice = this.opts.overlay ?? 'auto';
    const warnings: string[] = [];
    let overlay: ScxOverlay | undefined;
    if (choice === 'auto') {
      overlay = matchOverlay(meta, plan.top);
      if (overlay === undefined) {
        warnings.push(`no typing overlay knows top struct ${plan.top} (known: ${overlays.map((o) => o.scheduler).join(', ')}); every number is exported as a gauge`);
      }
    } else if (choice !== 'none') {
      overlay = overlayByName(choice);
      if (overlay !== undefined && overlay.top !== plan.top) {
        warnings.push(`the ${overlay.scheduler} overlay expects top struct ${overlay.top}, the server's is ${plan.top}`);
      }
    }
    const exp = new MetaExport(plan, { overlay, typedOnly: this.opts.typedOnly, origin: this.path });
    return { key, exp, bound: false, overlay, warnings };
  }
}

interface Current {
  readonly key: string;
  readonly exp: MetaExport;
  bound: boolean;
  readonly overlay: ScxOverlay | undefined;
  /** Said once when this export is first used. */
  readonly warnings: readonly string[];
}
