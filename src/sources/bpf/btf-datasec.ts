/**
 * Where each global variable lives inside a `.bss`/`.data` map, from the map's own BTF. libbpf loads a
 * scheduler's BTF with the DATASEC offsets filled in and sets the map's value type to that DATASEC, so the
 * offsets are the ones of the compiled object. They cannot come from the C source: clang lays `.bss` out in
 * order of first use, not of declaration. Format: include/uapi/linux/btf.h.
 */

const MAGIC = 0xeb9f;
const KIND_VAR = 14;
const KIND_DATASEC = 15;

/** A variable's place in its section: byte offset and size. */
export interface VarPlace {
  readonly offset: number;
  readonly size: number;
}

/** A DATASEC: its name (`.bss`) and its variables by name. */
export interface Datasec {
  readonly name: string;
  readonly vars: ReadonlyMap<string, VarPlace>;
}

/** Bytes of kind-specific data after the 12-byte `struct btf_type`, by kind. */
function extraBytes(kind: number, vlen: number): number {
  switch (kind) {
    case 1: // INT
    case 14: // VAR
    case 17: // DECL_TAG
      return 4;
    case 3: // ARRAY
      return 12;
    case 4: // STRUCT
    case 5: // UNION
    case 15: // DATASEC
    case 19: // ENUM64
      return 12 * vlen;
    case 6: // ENUM
    case 13: // FUNC_PROTO
      return 8 * vlen;
    case 2: case 7: case 8: case 9: case 10: case 11: case 12: case 16: case 18:
      return 0;
    default:
      throw new Error(`BTF: unknown type kind ${kind}`);
  }
}

/**
 * Reads the DATASEC with type id `typeId` from a raw BTF blob (as BTF_LOAD takes it and OBJ_GET_INFO_BY_FD
 * returns it). Throws naming what is wrong when the blob is malformed or the type is not a DATASEC.
 */
export function readDatasec(raw: Buffer, typeId: number): Datasec {
  if (raw.length < 24 || raw.readUInt16LE(0) !== MAGIC) throw new Error('BTF: bad magic (expected 0xeb9f)');
  const hdrLen = raw.readUInt32LE(4);
  const typeOff = hdrLen + raw.readUInt32LE(8);
  const typeEnd = typeOff + raw.readUInt32LE(12);
  const strOff = hdrLen + raw.readUInt32LE(16);
  const strEnd = strOff + raw.readUInt32LE(20);
  if (typeEnd > raw.length || strEnd > raw.length) throw new Error('BTF: sections run past the end of the blob');
  const str = (off: number): string => {
    const at = strOff + off;
    const end = raw.indexOf(0, at);
    return raw.toString('utf8', at, end < 0 || end > strEnd ? strEnd : end);
  };
  // One pass records where each type starts; ids count from 1.
  const starts: number[] = [0];
  for (let at = typeOff; at < typeEnd; ) {
    starts.push(at);
    const info = raw.readUInt32LE(at + 4);
    at += 12 + extraBytes((info >>> 24) & 0x1f, info & 0xffff);
  }
  const at = starts[typeId];
  if (typeId <= 0 || at === undefined) throw new Error(`BTF: no type id ${typeId} (the blob has ${starts.length - 1} types)`);
  const info = raw.readUInt32LE(at + 4);
  const kind = (info >>> 24) & 0x1f;
  if (kind !== KIND_DATASEC) throw new Error(`BTF: type ${typeId} is kind ${kind}, expected a DATASEC (${KIND_DATASEC})`);
  const vars = new Map<string, VarPlace>();
  const vlen = info & 0xffff;
  for (let i = 0; i < vlen; i++) {
    const si = at + 12 + 12 * i;
    const varAt = starts[raw.readUInt32LE(si)];
    if (varAt === undefined || ((raw.readUInt32LE(varAt + 4) >>> 24) & 0x1f) !== KIND_VAR) continue;
    vars.set(str(raw.readUInt32LE(varAt)), { offset: raw.readUInt32LE(si + 4), size: raw.readUInt32LE(si + 8) });
  }
  return { name: str(raw.readUInt32LE(at)), vars };
}
