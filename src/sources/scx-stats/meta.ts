/**
 * Walks `stats_meta` from the top struct the way scxstats_to_openmetrics.py does, and says what each field
 * becomes:
 * - an `i64`/`u64`/`float` datum: a number named `<_om_prefix of its struct><field>`;
 * - a dict whose datum is a struct: the struct's fields, labelled by the struct's `_om_label` with the dict
 *   keys as values (labels accumulate outer to inner);
 * - a field with `_om_skip`: skipped.
 * The script skips everything else; here strings become info-style series (value 1, the string in a label)
 * and arrays, dicts of scalars and directly nested structs are listed as not exported, with the reason.
 * Pure: no I/O, no registry.
 */
import { ScxStatsProtocolError, type MetaField, type MetaKind, type MetaStruct, type StatsMeta } from './protocol.js';

const NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A number the script would export as a gauge. */
export interface NumberField {
  readonly kind: 'number';
  /** The field name within its struct. */
  readonly field: string;
  /** Where it sits, `.nodes.doms.load` style (the script's omid). */
  readonly path: string;
  /** The struct that owns the field. */
  readonly struct: string;
  /** `_om_prefix` of the owning struct + field: the script's gauge name. */
  readonly omName: string;
  /** Label names, outer to inner. */
  readonly labels: readonly string[];
  readonly desc: string | undefined;
  readonly scalar: 'i64' | 'u64' | 'float';
}

/** A string, exported info-style: `<omName>{<labels>, <labelName>="<value>"} 1`. */
export interface StringField {
  readonly kind: 'string';
  readonly field: string;
  readonly path: string;
  readonly struct: string;
  readonly omName: string;
  readonly labels: readonly string[];
  /** The label that carries the string. */
  readonly labelName: string;
  readonly desc: string | undefined;
}

/** A dict of structs: one child struct per key. */
export interface DictField {
  readonly kind: 'dict';
  readonly field: string;
  readonly path: string;
  readonly label: string;
  readonly child: PlannedStruct;
}

/** A field that is not exported, and why. */
export interface SkippedField {
  readonly kind: 'skipped';
  readonly field: string;
  readonly path: string;
  readonly reason: string;
}

export type PlannedField = NumberField | StringField | DictField | SkippedField;

/** One struct as reached along one path from the top. */
export interface PlannedStruct {
  readonly name: string;
  readonly labels: readonly string[];
  readonly fields: ReadonlyMap<string, PlannedField>;
}

export interface MetaPlan {
  /** Name of the top struct. */
  readonly top: string;
  readonly root: PlannedStruct;
  readonly numbers: readonly NumberField[];
  readonly strings: readonly StringField[];
  readonly skipped: readonly SkippedField[];
}

const RESERVED_LABELS = new Set(['le', 'quantile']);

/**
 * The top struct: the last struct marked `top` in the response, as the script picks it (servers send
 * structs sorted by name). Throws when there is none.
 */
export function topStruct(meta: StatsMeta): string {
  let top: string | undefined;
  for (const [name, s] of Object.entries(meta)) if (s.top !== undefined) top = name;
  if (top === undefined) throw new ScxStatsProtocolError(`stats_meta has no struct marked "top" (structs: ${Object.keys(meta).join(', ') || 'none'})`);
  return top;
}

/**
 * Plans the export of `meta` from its top struct. Throws ScxStatsProtocolError for a meta that cannot be
 * walked: no top struct, a reference to a struct it does not define, or a loop.
 */
export function planMeta(meta: StatsMeta): MetaPlan {
  const top = topStruct(meta);
  const numbers: NumberField[] = [];
  const strings: StringField[] = [];
  const skipped: SkippedField[] = [];
  const names = new Map<string, string>(); // exported name -> path that took it

  const structOf = (name: string, path: string, stack: readonly string[]): MetaStruct => {
    const s = meta[name];
    if (s === undefined) throw new ScxStatsProtocolError(`stats_meta: ${path} names struct "${name}", which stats_meta does not define`);
    if (stack.includes(name)) throw new ScxStatsProtocolError(`stats_meta loops: ${[...stack, name].join(' -> ')} (at ${path})`);
    return s;
  };

  const walk = (sname: string, s: MetaStruct, base: string, labels: readonly string[], stack: readonly string[]): PlannedStruct => {
    const prefix = s.user?._om_prefix ?? '';
    const fields = new Map<string, PlannedField>();
    const skip = (field: string, path: string, reason: string): void => {
      const f: SkippedField = { kind: 'skipped', field, path, reason };
      fields.set(field, f);
      skipped.push(f);
    };
    for (const [field, f] of Object.entries(s.fields)) {
      const path = `${base}.${field}`;
      // Struct references are checked before _om_skip: a meta naming a struct it lacks is broken either way.
      checkRefs(f, path, [...stack, sname], structOf);
      if (f.user?._om_skip !== undefined) {
        skip(field, path, '_om_skip');
        continue;
      }
      if ('datum' in f && typeof f.datum === 'string') {
        const omName = prefix + field;
        if (!NAME.test(omName)) {
          skip(field, path, `"${omName}" is not a valid metric name`);
          continue;
        }
        const taken = names.get(omName);
        if (taken !== undefined) {
          skip(field, path, `name "${omName}" is already used by ${taken}`);
          continue;
        }
        if (f.datum === 'string') {
          const labelName = stringLabel(field, labels);
          if (labelName === undefined) {
            skip(field, path, `string field name "${field}" is not usable as a label name`);
            continue;
          }
          names.set(omName, path);
          const sf: StringField = { kind: 'string', field, path, struct: sname, omName, labels, labelName, desc: f.desc };
          fields.set(field, sf);
          strings.push(sf);
        } else {
          names.set(omName, path);
          const nf: NumberField = { kind: 'number', field, path, struct: sname, omName, labels, desc: f.desc, scalar: f.datum };
          fields.set(field, nf);
          numbers.push(nf);
        }
        continue;
      }
      if ('dict' in f && typeof f.dict.datum === 'object') {
        const childName = f.dict.datum.struct;
        const child = structOf(childName, path, [...stack, sname]);
        const label = child.user?._om_label ?? '';
        if (label === '') {
          skip(field, path, `nested struct ${childName} has no _om_label`);
          continue;
        }
        if (!NAME.test(label) || label.startsWith('__') || RESERVED_LABELS.has(label) || labels.includes(label)) {
          skip(field, path, `_om_label "${label}" of ${childName} is not a usable label name here (labels so far: ${labels.join(', ') || 'none'})`);
          continue;
        }
        const planned = walk(childName, child, path, [...labels, label], [...stack, sname]);
        fields.set(field, { kind: 'dict', field, path, label, child: planned });
        continue;
      }
      skip(field, path, unsupportedReason(f));
    }
    return { name: sname, labels, fields };
  };

  const topMeta = structOf(top, top, []);
  const root = walk(top, topMeta, '', [], []);
  return { top, root, numbers, strings, skipped };
}

/** The label carrying a string field's value: the field name, or `<field>_value` when that is taken. */
function stringLabel(field: string, labels: readonly string[]): string | undefined {
  const ok = (n: string): boolean => NAME.test(n) && !n.startsWith('__') && !RESERVED_LABELS.has(n) && !labels.includes(n);
  if (ok(field)) return field;
  const alt = `${field}_value`;
  return ok(alt) ? alt : undefined;
}

function unsupportedReason(f: MetaField): string {
  if ('array' in f) return `array of ${kindText(f.array)} (arrays are not exported)`;
  if ('dict' in f) return `dict of ${kindText(f.dict.datum)} (only dicts of structs are exported)`;
  if ('datum' in f && typeof f.datum === 'object') return `struct ${f.datum.struct} nested outside a dict (not exported)`;
  return 'unsupported type';
}

function kindText(k: MetaKind): string {
  return typeof k === 'string' ? k : `struct ${k.struct}`;
}

/** Every struct a field refers to must exist and must not be on the current path. */
function checkRefs(f: MetaField, path: string, stack: readonly string[], structOf: (n: string, p: string, s: readonly string[]) => MetaStruct): void {
  const refs: MetaKind[] = 'datum' in f ? [f.datum] : 'array' in f ? [f.array] : [f.dict.key, f.dict.datum];
  for (const k of refs) {
    if (typeof k === 'object') {
      const s = structOf(k.struct, path, stack);
      // Walk referenced structs that the export itself does not descend into, so loops through them are caught too.
      if ('dict' in f && k === f.dict.datum) continue;
      for (const [fname, sub] of Object.entries(s.fields)) checkRefs(sub, `${path}.${fname}`, [...stack, k.struct], structOf);
    }
  }
}
