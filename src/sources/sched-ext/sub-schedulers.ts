/**
 * The series of sub-schedulers (Linux 7.x): per attached sub-scheduler, `scx_sched_ext_sub_scheduler{cgroup_id,
 * cgroup,name,ops}` = 1 and its `events` as `scx_sched_ext_sub_event_<name>_total{cgroup_id,cgroup}`. The root
 * scheduler's series are the source's own (source.ts) and do not change.
 *
 * A sub-scheduler is known by its cgroup id. When its directory is gone its series are removed. When it comes
 * back it gets new series counting from the values it shows (its counters restarted at attach). When the
 * directory at the same path is a new one (another inode: it detached and attached again between two reads),
 * the series stay and the new values are counted as fresh counts, the rule the root follows when enable_seq
 * moves. Series are resolved when a sub-scheduler or one of its counters first shows up, never in steady
 * intervals.
 */
import { join, relative } from 'node:path';
import type { Logger } from '../../support/log.js';
import type { CounterDecl } from '../../declare/types.js';
import type { CounterSeries, Families, Family, Registry } from '../../registry/index.js';
import type { CgroupPaths } from './cgroup-paths.js';
import { type EventDecls, absolute } from './events.js';
import { subSchedulerDirs, type SubSchedulerDir } from './hierarchy.js';
import { schedExtSubStats } from './stats.js';
import { parseEvents, readOptional, schedulerName } from './sysfs.js';

interface Attached {
  /** The label values every series of this sub-scheduler has first: cgroup id, cgroup path. */
  readonly labels: readonly [string, string];
  ino: bigint;
  info: { readonly ops: string; readonly values: readonly string[] } | undefined;
  readonly events: Map<string, { readonly family: Family<CounterDecl>; readonly series: CounterSeries; readonly scale: number }>;
}

export class SubSchedulers {
  private readonly registry: Registry;
  private readonly fam: Families<typeof schedExtSubStats.stats>;
  private readonly paths: CgroupPaths;
  private readonly decls: EventDecls;
  private readonly log: Logger | undefined;
  /** The sysfs directory problems are named relative to. */
  private readonly base: string;
  private readonly attached = new Map<string, Attached>();

  constructor(opts: { registry: Registry; paths: CgroupPaths; decls: EventDecls; log: Logger | undefined; base: string }) {
    this.registry = opts.registry;
    this.fam = opts.registry.register(schedExtSubStats);
    this.paths = opts.paths;
    this.decls = opts.decls;
    this.log = opts.log;
    this.base = opts.base;
  }

  /**
   * Reads every sub-scheduler below `rootDir` (the root scheduler's directory; undefined when none is loaded,
   * so none can be attached) and updates their series. Malformed files are added to `problems`.
   */
  async collect(rootDir: string | undefined, problems: string[]): Promise<void> {
    const dirs = rootDir === undefined ? [] : await subSchedulerDirs(rootDir);
    const present = new Set(dirs.map((d) => d.cgroupId));
    for (const id of [...this.attached.keys()]) if (!present.has(id)) this.leave(id);
    const fresh = dirs.filter((d) => !this.attached.has(d.cgroupId)).map((d) => d.cgroupId);
    const paths = fresh.length === 0 ? undefined : await this.paths.resolve(fresh);
    for (const d of dirs) await this.read(d, paths?.get(d.cgroupId) ?? '', problems);
  }

  private async read(d: SubSchedulerDir, cgroup: string, problems: string[]): Promise<void> {
    // Read before anything is created: a directory whose files are gone is a scheduler detaching right now.
    const opsText = await readOptional(join(d.dir, 'ops'));
    const eventsText = await readOptional(join(d.dir, 'events'));
    if (opsText === undefined || eventsText === undefined) return;
    let att = this.attached.get(d.cgroupId);
    let restarted = false;
    if (att === undefined) {
      if (cgroup === '') this.log?.once(`sched_ext:cgroup:${d.cgroupId}`, `sched_ext: sub-scheduler ${this.name(d.dir)}: no directory with inode ${d.cgroupId} under ${this.paths.where}; its cgroup label is empty`);
      att = { labels: [d.cgroupId, cgroup], ino: d.ino, info: undefined, events: new Map() };
      this.attached.set(d.cgroupId, att);
    } else if (att.ino !== d.ino) {
      restarted = true;
      att.ino = d.ino;
    }
    this.setInfo(att, opsText.trim());

    const { events, problems: bad } = parseEvents(eventsText);
    for (const p of bad) problems.push(`${this.name(d.dir)}/${p}`);
    for (const e of events) {
      let b = att.events.get(e.name);
      if (b === undefined) {
        const ed = this.decls.get(e.name, this.log);
        if (ed === undefined) continue;
        const family = this.registry.family(ed.decl);
        b = { family, series: family.withValues(att.labels), scale: ed.scale };
        att.events.set(e.name, b);
      }
      absolute(b.series, e.value * b.scale, restarted);
    }
  }

  /** The info series for the ops string now shown; replaced when another scheduler took the cgroup. */
  private setInfo(att: Attached, ops: string): void {
    if (att.info?.ops === ops) return;
    if (att.info !== undefined) this.fam.sub_scheduler.remove(att.info.values);
    const values = [...att.labels, schedulerName(ops), ops];
    this.fam.sub_scheduler.withValues(values).set(1);
    att.info = { ops, values };
  }

  private leave(id: string): void {
    const att = this.attached.get(id);
    if (att === undefined) return;
    if (att.info !== undefined) this.fam.sub_scheduler.remove(att.info.values);
    for (const b of att.events.values()) b.family.remove(b.series.labelValues);
    this.attached.delete(id);
    // The cgroup may be renamed or removed before the id shows up again; look it up afresh then.
    this.paths.forget(id);
    this.log?.clear(`sched_ext:cgroup:${id}`);
  }

  private name(dir: string): string {
    return relative(this.base, dir);
  }
}
