/** The sched_ext sysfs source and its helpers, for library users and other sources (profile auto-pick). */
export { SchedExtSource, schedExtEventStats, type SchedExtSourceOptions } from './source.js';
export { schedExtStats, knownEvents } from './stats.js';
export { DEFAULT_SCHED_EXT_ROOT, schedExtRoot, loadedScheduler, schedulerName, parseEvents, type LoadedScheduler } from './sysfs.js';
