/**
 * Exponential backoff with full jitter, capped: what every reconnecting peer (push sinks, the scx_stats
 * client) uses so a dead peer is retried ever more slowly, and many agents do not retry in lockstep.
 */
export class Backoff {
  private attempt = 0;
  constructor(
    private readonly baseMs = 200,
    private readonly maxMs = 30_000,
  ) {}

  /** The next delay in ms: half the capped exponential step, plus up to half again at random. */
  next(): number {
    const cap = Math.min(this.maxMs, this.baseMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return Math.round(cap / 2 + (Math.random() * cap) / 2);
  }

  /** Call after a success: the next failure starts again from the base delay. */
  reset(): void {
    this.attempt = 0;
  }
}
