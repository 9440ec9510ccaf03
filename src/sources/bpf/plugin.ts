/**
 * The BPF source's CLI: `--scheduler NAME` picks a profile; without it the source follows the running
 * scheduler named by <sched-ext-root>/root/ops, whenever one with a profile starts or another replaces it;
 * `--bpf-pin` / `--bpf-map-id` point at maps directly. Either way the root scheduler's maps are looked for among
 * the root's own programs (scope.ts), and sub-schedulers with a profile are read by a source of their own
 * (sub-schedulers.ts).
 */
import { findProfile, profiles } from '../../../profiles/index.js';
import type { SourcePlugin } from '../../plugin/plugin.js';
import { type FlagValues, UsageError, boolFlag, listFlag, parsePositive, stringFlag } from '../../plugin/flags.js';
import { schedExtRoot, schedExtRootFlag } from '../../plugin/sched-ext-root.js';
import { planMaps } from '../../bpf-layout/layout.js';
import type { SchedulerProfile } from '../../bpf-layout/profile.js';
import { loadProfileModule } from './profile-module.js';
import { RunningSchedulerSource } from './running.js';
import type { SchedulerScope } from './scope.js';
import { BpfSource, type MapLocation } from './source.js';
import { SubSchedulerBpfSource } from './sub-schedulers.js';

/** The profile whose ops name the running scheduler reports (exactly, or followed by `_<version>`). */
export function profileForOps(ops: string, extra: readonly SchedulerProfile[] = []): SchedulerProfile | undefined {
  return [...extra, ...Object.values(profiles)].find((p) => ops === p.ops || ops.startsWith(`${p.ops}_`));
}

/** `NAME=VALUE` when NAME is one of the profile's maps, else the whole text for the profile's only map. */
function mapArgs(flag: string, texts: readonly string[], maps: readonly string[]): [string, string][] {
  return texts.map((text) => {
    const eq = text.indexOf('=');
    if (eq > 0 && maps.includes(text.slice(0, eq))) return [text.slice(0, eq), text.slice(eq + 1)];
    if (maps.length !== 1) throw new UsageError(`--${flag}: "${text}" must be NAME=VALUE with NAME one of the profile's maps: ${maps.join(', ')}`);
    return [maps[0] as string, text];
  });
}

function locations(values: FlagValues, profile: SchedulerProfile): Record<string, MapLocation> {
  const maps = planMaps(profile.stats).map((p) => p.name);
  const out: Record<string, MapLocation> = {};
  const set = (flag: string, name: string, loc: MapLocation): void => {
    if (out[name] !== undefined) throw new UsageError(`--${flag}: map "${name}" is given twice`);
    out[name] = loc;
  };
  for (const [name, path] of mapArgs('bpf-pin', listFlag(values, 'bpf-pin'), maps)) {
    if (path === '') throw new UsageError(`--bpf-pin: empty path for map "${name}"`);
    set('bpf-pin', name, { pin: path });
  }
  for (const [name, id] of mapArgs('bpf-map-id', listFlag(values, 'bpf-map-id'), maps)) {
    set('bpf-map-id', name, { id: parsePositive('bpf-map-id', id, { integer: true }) });
  }
  return out;
}

export const bpfPlugin: SourcePlugin = {
  name: 'bpf',
  flags: {
    scheduler: {
      type: 'string',
      metavar: 'NAME',
      help: `Read this scheduler's BPF stats (${Object.keys(profiles).join(', ')}); default: the running one, when it has a profile`,
    },
    'bpf-pin': { type: 'string', multiple: true, metavar: '[MAP=]PATH', help: 'Open the stats map from this bpffs pin instead of finding it through the scheduler' },
    'bpf-map-id': { type: 'string', multiple: true, metavar: '[MAP=]ID', help: 'Open the stats map with this id instead of finding it through the scheduler' },
    'bpf-per-cpu': { type: 'boolean', help: 'Keep a cpu label on per-CPU BPF stats instead of summing over CPUs' },
    'bpf-reset-on-read': {
      type: 'boolean',
      help: "Zero each BPF stats entry after reading it (scx_rusty's old behaviour; breaks any other reader)",
    },
    profile: {
      type: 'string',
      multiple: true,
      metavar: 'MODULE',
      help: 'A JavaScript module exporting a scheduler profile (defineProfile) as default or "profile"; its scheduler is read like a built-in one',
    },
    ...schedExtRootFlag,
  },
  async create(values) {
    const name = stringFlag(values, 'scheduler');
    // The user's profiles come first, so one may stand in for a built-in profile of the same name.
    const extra: SchedulerProfile[] = [];
    for (const path of listFlag(values, 'profile')) extra.push(await loadProfileModule(path));
    const direct = listFlag(values, 'bpf-pin').length + listFlag(values, 'bpf-map-id').length > 0;
    const root: SchedulerScope = { kind: 'root' };
    // The root's maps may come from flags; a sub-scheduler's are always found through its own programs.
    const build = (profile: SchedulerProfile, scope: SchedulerScope = root): BpfSource =>
      new BpfSource({
        stats: profile.stats,
        programs: profile.programs,
        maps: scope.kind === 'root' ? locations(values, profile) : {},
        perCpu: boolFlag(values, 'bpf-per-cpu'),
        resetOnRead: boolFlag(values, 'bpf-reset-on-read'),
        scope,
        ...(scope.kind === 'sub' ? { name: `bpf:${profile.stats.name}:sub-${scope.cgroupId}` } : {}),
      });
    const profileFor = (ops: string): SchedulerProfile | undefined => profileForOps(ops, extra);
    // Sub-schedulers with a profile are read whatever the root runs (each is its own scheduler).
    const subs = new SubSchedulerBpfSource({ root: schedExtRoot(values), profileFor, build });
    if (name === undefined) {
      if (direct) throw new UsageError('--bpf-pin/--bpf-map-id need --scheduler NAME to know the map layout');
      // No scheduler named: follow the one <root>/root/ops names, whenever it starts or changes.
      return [new RunningSchedulerSource({ root: schedExtRoot(values), profileFor, build }), subs];
    }
    const profile = extra.find((p) => p.name === name) ?? findProfile(name);
    if (profile === undefined) {
      throw new UsageError(`--scheduler: no profile "${name}" (profiles: ${[...extra.map((p) => p.name), ...Object.keys(profiles)].join(', ')})`);
    }
    return [build(profile), subs];
  },
};
