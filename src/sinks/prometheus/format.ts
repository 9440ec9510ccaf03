/**
 * What an exposition format offers the HTTP sink: its exact Content-Type and a renderer that writes UTF-8
 * bytes. `render` allocates its output; a server that scrapes often reuses buffers with `maxBytes` and
 * `renderInto`, which saves an allocation (and its page faults) of the whole exposition per scrape.
 */
import type { Registry } from '../../registry/index.js';

export interface ExpositionFormat {
  /** The one concrete Content-Type sent with this format's body. */
  readonly contentType: string;
  /** The whole exposition of the registry's current values, as UTF-8 bytes (`.toString()` for text). */
  render(registry: Registry): Buffer;
  /** An upper bound of the exposition's size for the registry as it is now. */
  maxBytes(registry: Registry): number;
  /**
   * Renders into `buf` (at least `maxBytes(registry)` long, else RangeError) and returns the written part, a
   * view of `buf`: it stays valid only while `buf` is not written again.
   */
  renderInto(registry: Registry, buf: Buffer): Buffer;
}
