/**
 * A small eBPF assembler: named instructions and labels, so the probe's programs read like the assembly they
 * are and load with no compiler. Each instruction is 8 bytes, `{code u8, dst:4|src:4 u8, off s16, imm s32}`
 * little-endian (the 64-bit immediate load takes two slots). Only the instructions the probe needs are here;
 * the encodings are those of the kernel's Documentation/bpf/standardization/instruction-set.rst.
 */

/** Registers. R0 holds return values, R1-R5 helper arguments (clobbered by calls), R6-R9 are preserved, R10 is the read-only frame pointer. */
export const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5, R6 = 6, R7 = 7, R8 = 8, R9 = 9, R10 = 10;
export type Reg = number;

/** Helper function ids (include/uapi/linux/bpf.h, `___BPF_FUNC_MAPPER`). */
export const Helper = {
  mapLookupElem: 1,
} as const;

// Instruction classes, sizes, modes, ops.
const LD = 0x00, LDX = 0x01, ST = 0x02, STX = 0x03, JMP = 0x05, ALU64 = 0x07;
const W = 0x00, DW = 0x18;
const IMM = 0x00, MEM = 0x60;
const K = 0x00, X = 0x08;
const ADD = 0x00, SUB = 0x10, LSH = 0x60, RSH = 0x70, MOV = 0xb0;
const JA = 0x00, JEQ = 0x10, JGT = 0x20, JNE = 0x50, CALL = 0x80, EXIT = 0x90;
/** src_reg of a 64-bit immediate load whose imm is a map fd (BPF_PSEUDO_MAP_FD). */
const PSEUDO_MAP_FD = 1;

/** One instruction slot before label resolution. */
interface Slot {
  readonly code: number;
  readonly dst: Reg;
  readonly src: Reg;
  off: number;
  readonly imm: number;
  /** For jumps: the label to resolve into `off`. */
  readonly target?: string;
}

/** Thrown for an instruction that cannot be encoded (bad register, out-of-range field, unknown label). */
export class AsmError extends Error {
  override name = 'AsmError';
}

/**
 * Builds a program instruction by instruction. Jumps name labels placed with `label()`; `assemble()` resolves
 * them into relative offsets and returns the bytes BPF_PROG_LOAD takes.
 */
export class Asm {
  private readonly slots: Slot[] = [];
  private readonly labels = new Map<string, number>();

  /** The number of 8-byte slots so far (a 64-bit immediate load counts two). */
  get length(): number {
    return this.slots.length;
  }

  /** Marks the next instruction as the target `name`. */
  label(name: string): this {
    if (this.labels.has(name)) throw new AsmError(`label "${name}" placed twice`);
    this.labels.set(name, this.slots.length);
    return this;
  }

  /** dst = imm (sign-extended 32-bit). */
  movImm(dst: Reg, imm: number): this {
    return this.op(ALU64 | MOV | K, dst, 0, 0, imm);
  }
  /** dst = src. */
  mov(dst: Reg, src: Reg): this {
    return this.op(ALU64 | MOV | X, dst, src, 0, 0);
  }
  /** dst += imm. */
  addImm(dst: Reg, imm: number): this {
    return this.op(ALU64 | ADD | K, dst, 0, 0, imm);
  }
  /** dst += src. */
  add(dst: Reg, src: Reg): this {
    return this.op(ALU64 | ADD | X, dst, src, 0, 0);
  }
  /** dst -= src. */
  sub(dst: Reg, src: Reg): this {
    return this.op(ALU64 | SUB | X, dst, src, 0, 0);
  }
  /** dst <<= imm. */
  lshImm(dst: Reg, imm: number): this {
    return this.op(ALU64 | LSH | K, dst, 0, 0, imm);
  }
  /** dst >>= imm (logical). */
  rshImm(dst: Reg, imm: number): this {
    return this.op(ALU64 | RSH | K, dst, 0, 0, imm);
  }

  /** dst = *(u64 *)(src + off). */
  ldxDw(dst: Reg, src: Reg, off: number): this {
    return this.op(LDX | MEM | DW, dst, src, off, 0);
  }
  /** dst = *(u32 *)(src + off), zero-extended. */
  ldxW(dst: Reg, src: Reg, off: number): this {
    return this.op(LDX | MEM | W, dst, src, off, 0);
  }
  /** *(u64 *)(dst + off) = src. */
  stxDw(dst: Reg, off: number, src: Reg): this {
    return this.op(STX | MEM | DW, dst, src, off, 0);
  }
  /** *(u32 *)(dst + off) = imm. */
  stW(dst: Reg, off: number, imm: number): this {
    return this.op(ST | MEM | W, dst, 0, off, imm);
  }

  /** dst = the map behind `fd` (a 64-bit immediate load the kernel rewrites into the map's address). */
  ldMapFd(dst: Reg, fd: number): this {
    this.op(LD | IMM | DW, dst, PSEUDO_MAP_FD, 0, fd);
    return this.op(0, 0, 0, 0, 0);
  }

  /** Calls a helper; arguments in R1-R5, result in R0. */
  call(helper: number): this {
    return this.op(JMP | CALL, 0, 0, 0, helper);
  }
  /** Returns R0. */
  exit(): this {
    return this.op(JMP | EXIT, 0, 0, 0, 0);
  }
  /** goto label. */
  ja(label: string): this {
    return this.jump(JMP | JA | K, 0, 0, 0, label);
  }
  /** if dst == imm goto label. */
  jeqImm(dst: Reg, imm: number, label: string): this {
    return this.jump(JMP | JEQ | K, dst, 0, imm, label);
  }
  /** if dst != src goto label. */
  jne(dst: Reg, src: Reg, label: string): this {
    return this.jump(JMP | JNE | X, dst, src, 0, label);
  }
  /** if dst > imm goto label (unsigned). */
  jgtImm(dst: Reg, imm: number, label: string): this {
    return this.jump(JMP | JGT | K, dst, 0, imm, label);
  }
  /** if dst > src goto label (unsigned). */
  jgt(dst: Reg, src: Reg, label: string): this {
    return this.jump(JMP | JGT | X, dst, src, 0, label);
  }

  /** Resolves labels and encodes the program. */
  assemble(): Buffer {
    const out = Buffer.alloc(this.slots.length * 8);
    this.slots.forEach((s, pc) => {
      let off = s.off;
      if (s.target !== undefined) {
        const at = this.labels.get(s.target);
        if (at === undefined) throw new AsmError(`jump at ${pc} to unknown label "${s.target}"`);
        off = at - (pc + 1);
        checkRange('jump offset', off, -0x8000, 0x7fff);
      }
      out.writeUInt8(s.code, pc * 8);
      out.writeUInt8((s.src << 4) | s.dst, pc * 8 + 1);
      out.writeInt16LE(off, pc * 8 + 2);
      out.writeInt32LE(s.imm, pc * 8 + 4);
    });
    return out;
  }

  private op(code: number, dst: Reg, src: Reg, off: number, imm: number): this {
    checkReg(dst);
    checkReg(src);
    checkRange('offset', off, -0x8000, 0x7fff);
    checkRange('immediate', imm, -0x80000000, 0x7fffffff);
    this.slots.push({ code, dst, src, off, imm });
    return this;
  }

  private jump(code: number, dst: Reg, src: Reg, imm: number, target: string): this {
    checkReg(dst);
    checkReg(src);
    checkRange('immediate', imm, -0x80000000, 0x7fffffff);
    this.slots.push({ code, dst, src, off: 0, imm, target });
    return this;
  }
}

function checkReg(r: Reg): void {
  if (!Number.isInteger(r) || r < 0 || r > 10) throw new AsmError(`register r${r} does not exist (r0..r10)`);
}

function checkRange(what: string, v: number, lo: number, hi: number): void {
  if (!Number.isInteger(v) || v < lo || v > hi) throw new AsmError(`${what} ${v} is outside ${lo}..${hi}`);
}
