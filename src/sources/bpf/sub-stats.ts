/**
 * The families a sub-scheduler's own BPF stats are exported in. A sub-scheduler running a profiled object
 * (`scx_qmap -c DIR`) has the same stats as the root one, but its numbers are its own, so they need a label
 * naming the cgroup. Adding labels to the root's families would change their label names (every existing
 * query and recording rule of the root's series would break, and one family would mix label sets), so the
 * sub-schedulers get families of their own: the same names with `_sub` after the profile's prefix, and
 * `cgroup_id` (as sysfs spells it in `sub-<id>`) and `cgroup` (the path, as sched_ext's sysfs series write it)
 * first:
 *
 *     scx_qmap_enqueued_tasks_total 1234                                       (root)
 *     scx_qmap_sub_enqueued_tasks_total{cgroup_id="28",cgroup="/subtest"} 56   (sub-scheduler on /subtest)
 *
 * A profile without a prefix (rusty's metrics-era names) gets `sub_` in front.
 *
 * The set is built once per profile set, so every sub-scheduler of a profile registers the same declaration
 * objects (the registry shares a family only for the same object).
 */
import { DeclarationError } from '../../declare/naming.js';
import type { StatDecl, StatSet } from '../../declare/types.js';

/** The labels a sub-scheduler's series carry first. */
export const SUB_LABELS = ['cgroup_id', 'cgroup'] as const;

const built = new WeakMap<StatSet, StatSet>();

/** `scx_qmap_enqueued_tasks` → `scx_qmap_sub_enqueued_tasks`: `_sub` where the key starts, after the prefix. */
export function subFamilyName(decl: Pick<StatDecl, 'name' | 'key'>): string {
  const stem = decl.key.endsWith('_total') ? decl.key.slice(0, -'_total'.length) : decl.key;
  if (decl.name.startsWith(stem)) return `sub_${decl.name}`;
  const at = decl.name.indexOf(`_${stem}`);
  if (at < 0) return `sub_${decl.name}`;
  return `${decl.name.slice(0, at)}_sub${decl.name.slice(at)}`;
}

/** The sub-scheduler families of a profile's set (built once per set). */
export function subStatSet(set: StatSet): StatSet {
  const have = built.get(set);
  if (have !== undefined) return have;
  const stats: Record<string, StatDecl> = {};
  for (const [key, decl] of Object.entries(set.stats)) {
    for (const l of SUB_LABELS) if (l in decl.labels) throw new DeclarationError(`stat "${key}": already has a "${l}" label; cannot export it per sub-scheduler`);
    stats[key] = Object.freeze({
      ...decl,
      name: subFamilyName(decl),
      help: `${decl.help}; of the sub-scheduler on the cgroup`,
      labels: Object.freeze({ cgroup_id: String, cgroup: String, ...decl.labels }),
    });
  }
  const out: StatSet = Object.freeze({ name: `${set.name}_sub`, help: `${set.help}, per sub-scheduler`, stats: Object.freeze(stats) });
  built.set(set, out);
  return out;
}
