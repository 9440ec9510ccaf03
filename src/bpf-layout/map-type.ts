/** Map types by uapi value (`enum bpf_map_type`), for the few this project reads or creates. */
export const MapType = { HASH: 1, ARRAY: 2, PERCPU_HASH: 5, PERCPU_ARRAY: 6, STRUCT_OPS: 26, ARENA: 33 } as const;

/** Name of a map type for messages: `percpu_array`, or the number when unknown here. */
export function mapTypeName(type: number): string {
  for (const [k, v] of Object.entries(MapType)) if (v === type) return k.toLowerCase();
  return `type ${type}`;
}
