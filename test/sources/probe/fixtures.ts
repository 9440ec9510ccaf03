/** Test fixtures for the probe: BTF of kernels that lack what the latency program needs. */
import { Btf } from '../../../src/sources/bpf/btf.js';
import { btfBlob } from '../bpf/fixtures.js';

/** The BTF of a kernel built without CONFIG_SCHED_INFO: `struct task_struct { int pid; }` and nothing else. */
export function btfWithoutSchedInfo(): Btf {
  const strs = Buffer.from('\0int\0task_struct\0pid\0', 'latin1');
  const types = Buffer.alloc(16 + 24);
  types.writeUInt32LE(1, 0); // "int"
  types.writeUInt32LE(1 << 24, 4);
  types.writeUInt32LE(4, 8);
  types.writeUInt32LE(32, 12);
  types.writeUInt32LE(5, 16); // "task_struct"
  types.writeUInt32LE((4 << 24) | 1, 20);
  types.writeUInt32LE(4, 24);
  types.writeUInt32LE(17, 28); // "pid", type 1, offset 0
  types.writeUInt32LE(1, 32);
  types.writeUInt32LE(0, 36);
  return new Btf(btfBlob(types, strs), "the kernel's BTF");
}
