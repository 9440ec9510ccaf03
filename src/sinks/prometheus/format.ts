/** What an exposition format offers the HTTP sink: its exact Content-Type and a renderer. */
import type { Registry } from '../../registry/index.js';

export interface ExpositionFormat {
  /** The one concrete Content-Type sent with this format's body. */
  readonly contentType: string;
  /** The whole exposition of the registry's current values. */
  render(registry: Registry): string;
}
