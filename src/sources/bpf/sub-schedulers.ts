/**
 * The BPF stats of sub-schedulers (Linux 7.x): each sub-scheduler whose ops name has a profile (`scx_qmap -c
 * /sys/fs/cgroup/subtest` is `qmap`) gets a BpfSource of its own, scoped to its cgroup (scope.ts: its programs
 * are those its struct_ops map lists, so the root's maps are never read for it nor its maps for the root), whose
 * series go to the profile's sub families with `cgroup_id` and `cgroup` labels (sub-stats.ts).
 *
 * Which sub-schedulers exist is read from sysfs each interval (`<root>/root/sub/sub-<id>/ops`, a readdir and
 * one small read per sub-scheduler); maps are only looked for when one appears (and after its programs go).
 * A sub-scheduler that detaches has its source closed and its series removed. One that comes back at the same
 * cgroup (same or new directory) keeps its source: the source finds the new maps and counts on, as the root's
 * does across a restart.
 */
import { join } from 'node:path';
import type { StatSet } from '../../declare/types.js';
import { errorMessage } from '../../support/log.js';
import type { Source, SourceContext } from '../../plugin/source.js';
import { CgroupPaths } from '../sched-ext/cgroup-paths.js';
import { subSchedulerDirs } from '../sched-ext/hierarchy.js';
import { readOptional } from '../sched-ext/sysfs.js';
import type { SchedulerProfile } from '../../bpf-layout/profile.js';
import type { SchedulerScope } from './scope.js';
import type { BpfSource } from './source.js';

export interface SubSchedulerBpfOptions {
  /** The sched_ext sysfs directory (`/sys/kernel/sched_ext`). */
  readonly root: string;
  /** The profile of a sub-scheduler's ops name, if it has one. */
  readonly profileFor: (ops: string) => SchedulerProfile | undefined;
  /** Builds the map source for a profile and a sub-scheduler's scope. */
  readonly build: (profile: SchedulerProfile, scope: SchedulerScope) => BpfSource;
  /** Where cgroup ids are turned into paths (default: the cgroup2 mount). */
  readonly paths?: CgroupPaths;
}

interface Sub {
  readonly profile: SchedulerProfile;
  readonly source: BpfSource;
}

export class SubSchedulerBpfSource implements Source {
  readonly name = 'bpf:sub';
  private readonly opts: SubSchedulerBpfOptions;
  private readonly paths: CgroupPaths;
  private ctx: SourceContext | undefined;
  /** By cgroup id. */
  private readonly subs = new Map<string, Sub>();

  constructor(opts: SubSchedulerBpfOptions) {
    this.opts = opts;
    this.paths = opts.paths ?? new CgroupPaths();
  }

  stats(): readonly StatSet[] {
    return [...new Set([...this.subs.values()].flatMap((s) => s.source.stats()))];
  }

  attach(ctx: SourceContext): void {
    this.ctx = ctx;
  }

  /** Present while a profiled sub-scheduler runs: most hosts have none, and then nothing is claimed read. */
  present(): boolean {
    return this.subs.size > 0;
  }

  async collect(): Promise<void> {
    const ctx = this.ctx;
    if (ctx === undefined) throw new Error('bpf:sub: collect() before attach()');
    const found = new Map<string, SchedulerProfile>();
    for (const d of await subSchedulerDirs(join(this.opts.root, 'root'))) {
      const ops = (await readOptional(join(d.dir, 'ops')))?.trim();
      const profile = ops === undefined || ops === '' ? undefined : this.opts.profileFor(ops);
      if (profile !== undefined) found.set(d.cgroupId, profile);
    }
    for (const [id, sub] of [...this.subs]) {
      if (found.get(id)?.name !== sub.profile.name) this.leave(id, sub);
    }
    const fresh = [...found.keys()].filter((id) => !this.subs.has(id));
    const paths = fresh.length === 0 ? undefined : await this.paths.resolve(fresh);
    const problems: string[] = [];
    for (const id of fresh) {
      const profile = found.get(id) as SchedulerProfile;
      // One sub-scheduler that cannot be set up must not keep the others from being read; it is tried again next interval.
      try {
        const source = this.opts.build(profile, { kind: 'sub', cgroupId: id, cgroup: paths?.get(id) ?? '' });
        source.attach(ctx);
        this.subs.set(id, { profile, source });
        ctx.log.info(`reading BPF stats of the sched_ext sub-scheduler on cgroup ${id} (${paths?.get(id) || 'path unknown'}) with profile ${profile.name}`);
      } catch (err) {
        problems.push(`sub-scheduler on cgroup ${id}: ${errorMessage(err)}`);
      }
    }
    for (const [id, sub] of this.subs) {
      try {
        sub.source.collect();
      } catch (err) {
        problems.push(`sub-scheduler on cgroup ${id}: ${errorMessage(err)}`);
      }
    }
    if (problems.length > 0) throw new Error(problems.join('; '));
  }

  close(): void {
    for (const sub of this.subs.values()) sub.source.close();
    this.subs.clear();
  }

  private leave(id: string, sub: Sub): void {
    sub.source.close();
    sub.source.removeSeries();
    this.subs.delete(id);
    this.paths.forget(id);
    this.ctx?.log.info(`the sched_ext sub-scheduler on cgroup ${id} is gone; stopped reading its BPF stats and removed their series`);
  }
}
