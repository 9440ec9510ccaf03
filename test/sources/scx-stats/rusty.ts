/**
 * A stand-in for scx_rusty's stats server, built from scx.md section 3.1 (stats.rs and main.rs
 * `cluster_stats`): its real `stats_meta` (ClusterStats top, NodeStats `n_`/node, DomainStats `d_`/domain),
 * and per-connection readers that answer with the delta of a simulated BPF `stats` map since that
 * connection's previous request, percentages computed as `stat / total * 100` (NaN, sent as null, when the
 * interval is empty).
 */
import type { Opener } from './server.js';

/** The BPF `enum stat_idx` of scx_rusty, in order. */
export const RUSTY_STATS = [
  'WAKE_SYNC',
  'SYNC_PREV_IDLE',
  'PREV_IDLE',
  'GREEDY_IDLE',
  'PINNED',
  'DIRECT_DISPATCH',
  'DIRECT_GREEDY',
  'DIRECT_GREEDY_FAR',
  'DSQ_DISPATCH',
  'GREEDY_LOCAL',
  'GREEDY_XNUMA',
  'REPATRIATE',
  'KICK_GREEDY',
  'LOAD_BALANCE',
  'TASK_GET_ERR',
  'DL_CLAMP',
  'DL_PRESET',
] as const;
export type RustyStat = (typeof RUSTY_STATS)[number];

const field = (datum: string, desc?: string, user?: Record<string, string>): Record<string, unknown> => ({
  datum,
  ...(desc === undefined ? {} : { desc }),
  ...(user === undefined ? {} : { user }),
});
const loadFields = {
  load: field('float', 'sum of weight * duty_cycle for all tasks'),
  imbal: field('float', 'load imbalance from average'),
  delta: field('float', 'load migrated for load balancing'),
};

/** scx_rusty's stats_meta. */
export const rustyMeta = {
  ClusterStats: {
    name: 'ClusterStats',
    top: 'true',
    fields: {
      at_us: field('u64', 'timestamp'),
      lb_at_us: field('u64', 'timestamp of the last load balancing'),
      total: field('u64', '# sched events during the period'),
      slice_us: field('u64', 'scheduling slice in usecs'),
      cpu_busy: field('float', 'CPU busy % (100% means all CPU)'),
      load: field('float', 'sum of weight * duty_cycle for all tasks'),
      nr_migrations: field('u64', '# of migrations from load balancing'),
      task_get_err: field('u64', '# of BPF task get errors'),
      time_used: field('float', 'time spent running scheduler userspace'),
      sync_prev_idle: field('float', '% WAKE_SYNC directly dispatched to idle previous CPU'),
      wake_sync: field('float', '% WAKE_SYNC directly dispatched to waker CPU'),
      prev_idle: field('float', '% directly dispatched to idle previous CPU'),
      greedy_idle: field('float', '% directly dispatched to idle previous CPU in a different domain'),
      pinned: field('float', '% directly dispatched to CPU due to restricted to one CPU'),
      direct: field('float', '% directly dispatched to CPU (--kthreads-local or local domain)'),
      greedy: field('float', '% directly dispatched to CPU (foreign domain, local node)'),
      greedy_far: field('float', '% directly dispatched to CPU (foreign node)'),
      dsq_dispatch: field('float', '% scheduled from local domain'),
      greedy_local: field('float', '% scheduled from foreign domain'),
      greedy_xnuma: field('float', '% scheduled from foreign node'),
      kick_greedy: field('float', '% foreign domain CPU kicked on enqueue'),
      repatriate: field('float', '% repatriated to local domain on enqueue'),
      dl_clamp: field('float', '% accumulated vtime budget clamped'),
      dl_preset: field('float', '% accumulated vtime budget used as-is'),
      direct_greedy_cpus: { array: 'u64', user: { _om_skip: 'true' } },
      kick_greedy_cpus: { array: 'u64', user: { _om_skip: 'true' } },
      nodes: { desc: 'per-node statistics', dict: { key: 'u64', datum: { struct: 'NodeStats' } } },
    },
  },
  NodeStats: {
    name: 'NodeStats',
    user: { _om_prefix: 'n_', _om_label: 'node' },
    fields: { ...loadFields, doms: { desc: 'per-domain statistics', dict: { key: 'u64', datum: { struct: 'DomainStats' } } } },
  },
  DomainStats: { name: 'DomainStats', user: { _om_prefix: 'd_', _om_label: 'domain' }, fields: { ...loadFields } },
};

/** The percentage fields of ClusterStats and the BPF stat each is a share of `total` for. */
export const RUSTY_PCT: Readonly<Record<string, RustyStat>> = {
  sync_prev_idle: 'SYNC_PREV_IDLE',
  wake_sync: 'WAKE_SYNC',
  prev_idle: 'PREV_IDLE',
  greedy_idle: 'GREEDY_IDLE',
  pinned: 'PINNED',
  direct: 'DIRECT_DISPATCH',
  greedy: 'DIRECT_GREEDY',
  greedy_far: 'DIRECT_GREEDY_FAR',
  dsq_dispatch: 'DSQ_DISPATCH',
  greedy_local: 'GREEDY_LOCAL',
  greedy_xnuma: 'GREEDY_XNUMA',
  kick_greedy: 'KICK_GREEDY',
  repatriate: 'REPATRIATE',
  dl_clamp: 'DL_CLAMP',
  dl_preset: 'DL_PRESET',
};

/** The 11 dispatch paths that add up to `total`. */
export const DISPATCH_PATHS: readonly RustyStat[] = RUSTY_STATS.slice(0, 11);

/** A simulated scx_rusty: cumulative BPF counters the test advances, a topology, and loads. */
export class RustySim {
  readonly counters = new Float64Array(RUSTY_STATS.length);
  timeUsed = 0;
  nodes: number;
  domsPerNode: number;
  /** Per-domain load, by `node:dom`. */
  load = (node: number, dom: number): number => 100 + node * 10 + dom;

  constructor(nodes = 2, domsPerNode = 2) {
    this.nodes = nodes;
    this.domsPerNode = domsPerNode;
  }

  add(stat: RustyStat, n: number): void {
    const i = RUSTY_STATS.indexOf(stat);
    this.counters[i] = (this.counters[i] as number) + n;
  }

  /** StatsOps.open: the reader remembers the counters at open and at each read (per connection). */
  readonly open: Opener = () => {
    let prev = Float64Array.from(this.counters);
    let prevTime = this.timeUsed;
    return () => {
      const cur = Float64Array.from(this.counters);
      const d = (s: RustyStat): number => Math.max(0, (cur[RUSTY_STATS.indexOf(s)] as number) - (prev[RUSTY_STATS.indexOf(s)] as number));
      const total = DISPATCH_PATHS.reduce((a, s) => a + d(s), 0);
      const resp: Record<string, unknown> = {
        at_us: 1_700_000_000_000_000,
        lb_at_us: 1_699_999_999_900_000,
        total,
        slice_us: 20000,
        cpu_busy: 42.5,
        load: 0,
        nr_migrations: d('LOAD_BALANCE'),
        task_get_err: d('TASK_GET_ERR'),
        time_used: this.timeUsed - prevTime,
        direct_greedy_cpus: [0xff, 0],
        kick_greedy_cpus: [0x0f, 0],
      };
      for (const [fieldName, stat] of Object.entries(RUSTY_PCT)) resp[fieldName] = (d(stat) / total) * 100;
      const nodes: Record<string, unknown> = {};
      let sum = 0;
      for (let n = 0; n < this.nodes; n++) {
        const doms: Record<string, unknown> = {};
        let nodeLoad = 0;
        for (let k = 0; k < this.domsPerNode; k++) {
          const id = n * this.domsPerNode + k;
          const l = this.load(n, id);
          nodeLoad += l;
          doms[String(id)] = { load: l, imbal: l - 100, delta: 0 };
        }
        sum += nodeLoad;
        nodes[String(n)] = { load: nodeLoad, imbal: 0.5, delta: -0.25, doms };
      }
      resp.load = sum;
      resp.nodes = nodes;
      prev = cur;
      prevTime = this.timeUsed;
      return resp;
    };
  };
}
