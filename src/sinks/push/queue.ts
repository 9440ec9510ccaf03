/**
 * The bounded queue every push sink owns. `flush()` encodes and pushes; a separate sender drains. When the
 * peer is slow or down the queue fills, and what does not fit is dropped and counted instead of growing
 * memory or stalling collection.
 */
export class BoundedQueue<T> {
  private readonly items: T[] = [];
  readonly capacity: number;
  /** Items dropped because the queue was full, since creation. */
  dropped = 0;

  constructor(capacity: number) {
    if (!(capacity >= 1)) throw new RangeError(`queue capacity must be >= 1, got ${capacity}`);
    this.capacity = capacity;
  }

  /** Adds an item; when full, drops the oldest (fresh data beats stale) and counts it. Returns false on a drop. */
  push(item: T): boolean {
    let ok = true;
    if (this.items.length >= this.capacity) {
      this.items.shift();
      this.dropped++;
      ok = false;
    }
    this.items.push(item);
    return ok;
  }

  /** The oldest item, left in place (sent, then `shift()`ed on success). */
  peek(): T | undefined {
    return this.items[0];
  }

  shift(): T | undefined {
    return this.items.shift();
  }

  /** Removes and returns everything. */
  drain(): T[] {
    return this.items.splice(0, this.items.length);
  }

  get length(): number {
    return this.items.length;
  }
}

/** Kept here for the push sinks that import it from this module; it lives in src/backoff.ts. */
export { Backoff } from '../../support/backoff.js';
