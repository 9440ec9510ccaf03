/**
 * A window of another process's memory, read with process_vm_readv(2): how the agent reads an arena it
 * cannot map itself. Every mapping of an arena must sit at the arena's one user address, and this process
 * has only one range there: with two arenas fixed at the same `map_extra` (scx_qmap at the root and as a
 * sub-scheduler, both at 1 << 44), the second cannot be mapped here, but its loader has it mapped at that
 * address, so the window is copied from the loader's memory instead. A read costs one syscall copying the
 * window (a few hundred bytes), not a memory load; when the loader exits the read fails (ESRCH) like a map
 * that went away.
 */
import { type GlobalsReader, processVmRead } from './sys.js';

export class ProcessWindow implements GlobalsReader {
  readonly length: number;
  /** Reused by every read: the source consumes each read's bytes before the next one. */
  private readonly buf: Buffer;
  private closed = false;

  /** `addr`: where the window starts in process `pid`; read once here so a reader that cannot read is never returned. */
  constructor(
    readonly pid: number,
    readonly addr: bigint,
    length: number,
  ) {
    this.length = length;
    this.buf = Buffer.alloc(length);
    this.read();
  }

  read(): Buffer {
    if (this.closed) throw new Error('process window is closed');
    processVmRead(this.pid, this.addr, this.buf);
    return this.buf;
  }

  close(): void {
    this.closed = true;
  }
}
