/** The sched_ext sysfs source and its helpers, for library users and other sources (profile auto-pick). */
export { SchedExtSource, type SchedExtSourceOptions } from './source.js';
export { schedExtEventStats, schedExtSubEventStats } from './events.js';
export { schedExtStats, schedExtSubStats, knownEvents } from './stats.js';
export { CgroupPaths, DEFAULT_CGROUP_ROOT, cgroup2Mount } from './cgroup-paths.js';
export { subSchedulerDirs, type SubSchedulerDir } from './hierarchy.js';
export { DEFAULT_SCHED_EXT_ROOT, schedExtRoot, loadedScheduler, schedulerName, parseEvents, type LoadedScheduler } from './sysfs.js';
