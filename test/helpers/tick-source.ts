/** A source that counts its own reads: the "other source" that must keep going while one under test fails. */
import { counter, defineStats } from '../../src/declare/index.js';
import type { CounterSeries } from '../../src/registry/index.js';
import type { Source, SourceContext } from '../../src/plugin/source.js';

export class TickSource implements Source {
  readonly name = 'ticks';
  private readonly set = defineStats({ name: 'ticks', help: 't', stats: { test_ticks: counter({ help: 'ticks' }) } });
  handle: CounterSeries | undefined;
  stats() {
    return [this.set];
  }
  attach(ctx: SourceContext): void {
    this.handle = ctx.registry.register(this.set).test_ticks.with();
  }
  collect(): void {
    this.handle?.inc();
  }
}
