/**
 * The one BTF reader (include/uapi/linux/btf.h, Documentation/bpf/btf.rst): header, type section walk and
 * string lookup, with the three questions this project asks of it:
 *
 * - where a struct member lives (`memberPlace`): the probe's hand-assembled programs have no CO-RE
 *   relocations, so offsets come from the running kernel's BTF at load time;
 * - how many arguments a raw tracepoint passes (`rawTracepointArgs`), from the same kernel BTF;
 * - where each global variable lives in a `.bss`/`.data` map (`datasec`), from the map's own BTF: libbpf
 *   loads a scheduler's BTF with the DATASEC offsets of the compiled object, which the C source cannot give
 *   (clang lays `.bss` out in order of first use); and where an arena's globals live in the arena's data
 *   (`findDatasec('.addr_space.1')`, `placeIn` for a member of a struct variable), from the program's BTF;
 * - where a sched_ext struct_ops map's value keeps the scheduler's name, cgroup id and program ids
 *   (`placeIn`, `funcPointerMembers` on `struct bpf_struct_ops_sched_ext_ops`), from the kernel's BTF.
 *
 * Getting the bytes is not this module's job: /sys/kernel/btf/vmlinux is a file, a map's BTF comes from
 * sys.ts (`btfRawById`).
 */
import { readFileSync } from 'node:fs';

/** Where the running kernel publishes its BTF (CONFIG_DEBUG_INFO_BTF=y). */
export const VMLINUX_BTF = '/sys/kernel/btf/vmlinux';

const MAGIC = 0xeb9f;

/** BTF kinds (BTF_KIND_*), numbered from 1 in btf.h's order. */
enum Kind { Int = 1, Ptr, Array, Struct, Union, Enum, Fwd, Typedef, Volatile, Const, Restrict, Func, FuncProto, Var, Datasec, Float, DeclTag, TypeTag, Enum64 }

/** Thrown when the BTF is malformed or lacks what was asked for; the message names the type or member. */
export class BtfError extends Error {
  override name = 'BtfError';
}

interface TypeEntry {
  /** Byte offset of the 12-byte `struct btf_type` in the buffer. */
  readonly at: number;
  readonly nameOff: number;
  readonly kind: Kind;
  readonly vlen: number;
  readonly kindFlag: boolean;
  /** `size` for sized kinds, `type` (the referenced id) for the others. */
  readonly sizeOrType: number;
}

/** A place inside a struct or a data section: byte offset from its start, and size in bytes. */
export interface Place {
  readonly offset: number;
  readonly size: number;
}

/** A variable in a DATASEC: its place in the section and its type's id. */
export interface VarPlace extends Place {
  readonly type: number;
}

/** A DATASEC: its name (`.bss`), size in bytes and its variables by name. */
export interface Datasec {
  readonly name: string;
  readonly size: number;
  readonly vars: ReadonlyMap<string, VarPlace>;
}

/** Parsed BTF: the type table (ids from 1) and the string section. */
export class Btf {
  private readonly buf: Buffer;
  /** What the messages call this BTF, e.g. "the kernel's BTF". */
  private readonly origin: string;
  private readonly strOff: number;
  private readonly strLen: number;
  /**
   * offsets[id] is where type `id` starts in the buffer (index 0, void, is unused). Entries are decoded on
   * demand: the kernel's BTF has ~100k types, and an object per type (plus a name index) made loading the
   * probe the agent's largest memory peak, for the handful of types ever looked up.
   */
  private readonly offsets: Uint32Array;

  /** Parses a raw blob (as BTF_LOAD takes it and OBJ_GET_INFO_BY_FD returns it); `origin` names it in errors. */
  constructor(buf: Buffer, origin = 'the BTF') {
    this.buf = buf;
    this.origin = origin;
    if (buf.length < 24 || buf.readUInt16LE(0) !== MAGIC) {
      throw new BtfError(`not little-endian BTF (magic ${buf.length >= 2 ? `0x${buf.readUInt16LE(0).toString(16)}` : 'missing'}, expected 0xeb9f)`);
    }
    const hdrLen = buf.readUInt32LE(4);
    const typeOff = hdrLen + buf.readUInt32LE(8);
    const typeLen = buf.readUInt32LE(12);
    this.strOff = hdrLen + buf.readUInt32LE(16);
    this.strLen = buf.readUInt32LE(20);
    if (typeOff + typeLen > buf.length || this.strOff + this.strLen > buf.length) throw new BtfError('BTF sections run past the end of the data');
    const end = typeOff + typeLen;
    const walk = (visit: (id: number, at: number) => void): number => {
      let p = typeOff;
      let id = 0;
      while (p < end) {
        const info = buf.readUInt32LE(p + 4);
        visit(++id, p);
        p += 12 + extraBytes(((info >>> 24) & 0x1f), info & 0xffff);
      }
      return p;
    };
    let n = 0;
    const p = walk((id) => (n = id));
    if (p !== end) throw new BtfError('BTF type section ends inside a type');
    this.offsets = new Uint32Array(n + 1);
    walk((id, at) => (this.offsets[id] = at));
  }

  /** Reads the running kernel's BTF. */
  static vmlinux(path = VMLINUX_BTF): Btf {
    return new Btf(readFileSync(path), "the kernel's BTF");
  }

  /** The number of types (the highest id). */
  get count(): number {
    return this.offsets.length - 1;
  }

  /** The id of the named type of that kind, or undefined. */
  find(name: string, kind: 'struct' | 'typedef'): number | undefined {
    const want = kind === 'struct' ? Kind.Struct : Kind.Typedef;
    // A scan comparing name bytes in place: a few look-ups per load, no index kept.
    const wanted = Buffer.from(`${name}\0`);
    for (let id = 1; id < this.offsets.length; id++) {
      const at = this.offsets[id] as number;
      if ((((this.buf.readUInt32LE(at + 4) >>> 24) & 0x1f) as Kind) !== want) continue;
      const nameOff = this.buf.readUInt32LE(at);
      if (nameOff === 0 || nameOff + wanted.length > this.strLen) continue;
      const start = this.strOff + nameOff;
      if (this.buf.compare(wanted, 0, wanted.length, start, start + wanted.length) === 0) return id;
    }
    return undefined;
  }

  /**
   * Where `member` of `struct <structName>` is, in bytes from the struct's start. `member` may be a path
   * into nested structs (`sched_info.last_queued`). Members inside anonymous structs and unions are found
   * too (their offsets add up). Throws for a bitfield or a missing member.
   */
  memberPlace(structName: string, member: string): Place {
    const id = this.find(structName, 'struct');
    if (id === undefined) throw new BtfError(`struct ${structName} is not in ${this.origin}`);
    return this.placeIn(id, member, `struct ${structName}`);
  }

  /**
   * Where `member` (a path, `a.b`; empty for the whole type) lives inside the type with id `typeId`, in bytes
   * from its start; `what` names the type in errors. Throws for a bitfield or a missing member.
   */
  placeIn(typeId: number, member: string, what: string): Place {
    let found: { bits: number; type: number; bitfield: boolean } = { bits: 0, type: typeId, bitfield: false };
    for (const name of member === '' ? [] : member.split('.')) {
      const inner = this.resolve(found.type);
      const next = inner.kind === Kind.Struct || inner.kind === Kind.Union ? this.searchMember(this.resolveId(found.type), name, found.bits) : undefined;
      if (next === undefined) throw new BtfError(`${what} has no member "${member}" in ${this.origin}`);
      found = next;
    }
    if (found.bits % 8 !== 0 || found.bitfield) throw new BtfError(`${what}.${member} is a bitfield; expected a byte-aligned member`);
    return { offset: found.bits / 8, size: this.sizeOf(found.type) };
  }

  /** The name of the type with this id ('' for an anonymous one). Throws for an id not in this BTF. */
  typeName(id: number): string {
    return this.str(this.type(id).nameOff);
  }

  /**
   * The byte offsets, from the start of type `typeId`, of the function pointer members of the struct or union at
   * `member` inside it (a path; empty for the type itself), through typedefs, members of anonymous structs
   * and unions included. A struct_ops value's function pointers are such
   * members: the kernel stores each attached program's id there (kernel/bpf/bpf_struct_ops.c).
   */
  funcPointerMembers(typeId: number, member = ''): number[] {
    let at = { bits: 0, type: typeId };
    for (const name of member === '' ? [] : member.split('.')) {
      const next = this.searchMember(this.resolveId(at.type), name, at.bits);
      if (next === undefined) throw new BtfError(`type ${typeId} has no member "${member}" in ${this.origin}`);
      at = next;
    }
    const out: number[] = [];
    const visit = (id: number, baseBits: number): void => {
      const t = this.type(this.resolveId(id));
      if (t.kind !== Kind.Struct && t.kind !== Kind.Union) throw new BtfError(`type ${id} in ${this.origin} is kind ${t.kind}, expected a struct or union`);
      for (let i = 0; i < t.vlen; i++) {
        const m = t.at + 12 + i * 12;
        const type = this.buf.readUInt32LE(m + 4);
        const raw = this.buf.readUInt32LE(m + 8);
        const bits = baseBits + (t.kindFlag ? raw & 0xffffff : raw);
        const inner = this.resolve(type);
        if (inner.kind === Kind.Ptr && inner.sizeOrType !== 0 && this.resolve(inner.sizeOrType).kind === Kind.FuncProto && bits % 8 === 0) out.push(bits / 8);
        else if (this.buf.readUInt32LE(m) === 0 && (inner.kind === Kind.Struct || inner.kind === Kind.Union)) visit(type, bits);
      }
    };
    visit(at.type, at.bits);
    return [...new Set(out)].sort((a, b) => a - b);
  }

  /** The id of the DATASEC named `name` (`.addr_space.1`), or undefined. */
  findDatasec(name: string): number | undefined {
    for (let id = 1; id < this.offsets.length; id++) {
      const t = this.entry(id);
      if (t !== undefined && t.kind === Kind.Datasec && this.str(t.nameOff) === name) return id;
    }
    return undefined;
  }

  /**
   * The number of arguments a raw tracepoint hands its BPF program: the kernel's `btf_trace_<name>` typedef
   * is a pointer to a function prototype whose first parameter is the context, then one per tracepoint arg.
   */
  rawTracepointArgs(tracepoint: string): number {
    const id = this.find(`btf_trace_${tracepoint}`, 'typedef');
    if (id === undefined) throw new BtfError(`tracepoint ${tracepoint} has no btf_trace_${tracepoint} typedef in ${this.origin}`);
    const ptr = this.type(this.type(id).sizeOrType);
    const proto = ptr.kind === Kind.Ptr ? this.type(ptr.sizeOrType) : ptr;
    if (proto.kind !== Kind.FuncProto) throw new BtfError(`btf_trace_${tracepoint} is not a pointer to a function prototype`);
    return proto.vlen - 1;
  }

  /**
   * The DATASEC with type id `typeId` (a `.bss` map's value type): its name and each variable's place.
   * Entries that are not variables (functions of a `.ksyms` section) are left out.
   */
  datasec(typeId: number): Datasec {
    const t = this.entry(typeId);
    if (t === undefined) throw new BtfError(`${this.origin} has no type id ${typeId} (it has ${this.count} types)`);
    if (t.kind !== Kind.Datasec) throw new BtfError(`type ${typeId} in ${this.origin} is kind ${t.kind}, expected a DATASEC (${Kind.Datasec})`);
    const vars = new Map<string, VarPlace>();
    for (let i = 0; i < t.vlen; i++) {
      const si = t.at + 12 + 12 * i;
      const v = this.entry(this.buf.readUInt32LE(si));
      if (v === undefined || v.kind !== Kind.Var) continue;
      vars.set(this.str(v.nameOff), { offset: this.buf.readUInt32LE(si + 4), size: this.buf.readUInt32LE(si + 8), type: v.sizeOrType });
    }
    return { name: this.str(t.nameOff), size: t.sizeOrType, vars };
  }

  /** The size in bytes of a type, through typedefs and qualifiers. */
  sizeOf(id: number): number {
    for (let hops = 0; hops < 32; hops++) {
      const t = this.type(id);
      switch (t.kind) {
        case Kind.Int:
        case Kind.Struct:
        case Kind.Union:
        case Kind.Enum:
        case Kind.Enum64:
        case Kind.Float:
          return t.sizeOrType;
        case Kind.Ptr:
          return 8;
        case Kind.Typedef:
        case Kind.Volatile:
        case Kind.Const:
        case Kind.Restrict:
        case Kind.TypeTag:
          id = t.sizeOrType;
          continue;
        case Kind.Array: {
          const elem = this.buf.readUInt32LE(t.at + 12);
          return this.sizeOf(elem) * this.buf.readUInt32LE(t.at + 20);
        }
        default:
          throw new BtfError(`type ${id} (kind ${t.kind}) has no size`);
      }
    }
    throw new BtfError(`type ${id}: typedef chain too long`);
  }

  private searchMember(structId: number, member: string, baseBits: number): { bits: number; type: number; bitfield: boolean } | undefined {
    const t = this.type(structId);
    for (let i = 0; i < t.vlen; i++) {
      const m = t.at + 12 + i * 12;
      const name = this.str(this.buf.readUInt32LE(m));
      const type = this.buf.readUInt32LE(m + 4);
      const raw = this.buf.readUInt32LE(m + 8);
      // With kind_flag set, the top 8 bits are a bitfield size and the low 24 the bit offset.
      const bits = baseBits + (t.kindFlag ? raw & 0xffffff : raw);
      const bitfield = t.kindFlag && raw >>> 24 !== 0;
      if (name === member) return { bits, type, bitfield };
      if (name === '') {
        const inner = this.resolve(type);
        if (inner.kind === Kind.Struct || inner.kind === Kind.Union) {
          const found = this.searchMember(this.resolveId(type), member, bits);
          if (found !== undefined) return found;
        }
      }
    }
    return undefined;
  }

  private resolveId(id: number): number {
    for (let hops = 0; hops < 32; hops++) {
      const t = this.type(id);
      if (t.kind !== Kind.Typedef && t.kind !== Kind.Volatile && t.kind !== Kind.Const && t.kind !== Kind.Restrict && t.kind !== Kind.TypeTag) return id;
      id = t.sizeOrType;
    }
    throw new BtfError(`type ${id}: typedef chain too long`);
  }

  private resolve(id: number): TypeEntry {
    return this.type(this.resolveId(id));
  }

  /** The decoded type with this id, or undefined when there is none. */
  private entry(id: number): TypeEntry | undefined {
    if (!(id > 0 && id < this.offsets.length)) return undefined;
    const at = this.offsets[id] as number;
    const info = this.buf.readUInt32LE(at + 4);
    return {
      at,
      nameOff: this.buf.readUInt32LE(at),
      kind: ((info >>> 24) & 0x1f) as Kind,
      vlen: info & 0xffff,
      kindFlag: (info & 0x80000000) !== 0,
      sizeOrType: this.buf.readUInt32LE(at + 8),
    };
  }

  private type(id: number): TypeEntry {
    const t = this.entry(id);
    if (t === undefined) throw new BtfError(`type id ${id} is not in ${this.origin} (it has ${this.count} types)`);
    return t;
  }

  private str(off: number): string {
    if (off >= this.strLen) throw new BtfError(`string offset ${off} is past the string section`);
    const start = this.strOff + off;
    const limit = this.strOff + this.strLen;
    const end = this.buf.indexOf(0, start);
    return this.buf.toString('utf8', start, end < 0 || end > limit ? limit : end);
  }
}

/** Bytes that follow the 12-byte `struct btf_type` for each kind. */
function extraBytes(kind: Kind, vlen: number): number {
  switch (kind) {
    case Kind.Int:
    case Kind.Var:
    case Kind.DeclTag:
      return 4;
    case Kind.Array:
      return 12;
    case Kind.Struct:
    case Kind.Union:
    case Kind.Datasec:
    case Kind.Enum64:
      return 12 * vlen;
    case Kind.Enum:
    case Kind.FuncProto:
      return 8 * vlen;
    case Kind.Ptr:
    case Kind.Fwd:
    case Kind.Typedef:
    case Kind.Volatile:
    case Kind.Const:
    case Kind.Restrict:
    case Kind.Func:
    case Kind.Float:
    case Kind.TypeTag:
      return 0;
    default:
      throw new BtfError(`unknown BTF kind ${kind as number}; this reader knows kinds 1..19`);
  }
}
