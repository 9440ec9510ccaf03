/**
 * The online CPUs, for per-CPU series: BPF per-CPU values have a slot for every possible CPU, online or not,
 * so an offline CPU still reads (its last value). Sources leave offline CPUs' series unreported, and the
 * series lifetime (registry/lifetime.ts) removes them after the grace period.
 */
import { readFileSync } from 'node:fs';
import { parseCpuList } from './bpf/sys.js';

export class OnlineCpus {
  private text = '';
  private set: ReadonlySet<string> | undefined;
  /** What the last `read()` returned: the set the source's handles follow this collection. */
  current: ReadonlySet<string> | undefined;

  constructor(private readonly path = '/sys/devices/system/cpu/online') {}

  /**
   * The online CPU ids as label values, read again on each call (one small sysfs read). The same Set object
   * is returned while the list is unchanged, so callers can skip work by identity. Undefined when the file
   * cannot be read or parsed: then every CPU counts as online, as before.
   */
  read(): ReadonlySet<string> | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
      if (text !== this.text || this.set === undefined) {
        this.set = new Set(parseCpuList(text).map(String));
        this.text = text;
      }
    } catch {
      return (this.current = undefined);
    }
    return (this.current = this.set);
  }
}
