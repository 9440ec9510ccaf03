/**
 * The scheduler probe as kernel objects: creates its map, loads the hand-assembled programs of programs.ts
 * and attaches them to the scheduler tracepoints, then reads what they counted. No compiler and no libbpf:
 * only bpf(2) through sys.ts and, for the latency, the kernel's BTF.
 */
import { AttachType, BpfMap, MapType, ProgType, closeFd, progLoad, progRunStats, rawTracepointOpen } from '../bpf/sys.js';
import { Btf, BtfError, VMLINUX_BTF } from '../bpf/btf.js';
import {
  EVENTS,
  EVENT_SLOTS,
  LATENCY_BOUNDS,
  LATENCY_FIRST_SLOT,
  LATENCY_SUM_SLOT,
  STATS_SLOTS,
  countProgram,
  switchProgram,
  type ProbeEvent,
} from './programs.js';

/** What the latency program learns from BTF once: it does not change while the kernel runs. */
export interface KernelLayout {
  /** BTF id of the `btf_trace_sched_switch` typedef: what the `tp_btf` program attaches to. */
  readonly switchTracepointId: number;
  /** Byte offsets in `struct task_struct` of `sched_info.run_delay` and `sched_info.last_queued`. */
  readonly runDelayOffset: number;
  readonly lastQueuedOffset: number;
}

/**
 * The running kernel's BTF; a kernel without it (no CONFIG_DEBUG_INFO_BTF) gets a BtfError saying so and what
 * still works, rather than a bare ENOENT.
 */
export function vmlinuxBtf(path = VMLINUX_BTF): Btf {
  try {
    return Btf.vmlinux(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new BtfError(`no ${path}: the kernel publishes no BTF (CONFIG_DEBUG_INFO_BTF), which run-queue latency needs; --no-probe-latency counts events without it`);
  }
}

/** Reads the layout the latency program needs from the kernel's BTF; throws a BtfError naming what is missing. */
export function kernelLayout(btf: Btf = vmlinuxBtf()): KernelLayout {
  const field = (member: string, size: number): number => {
    let place;
    try {
      place = btf.memberPlace('task_struct', member);
    } catch (err) {
      if (!(err instanceof BtfError) || !member.startsWith('sched_info.')) throw err;
      throw new BtfError(`${err.message}: run-queue latency reads the kernel's own sched_info (CONFIG_SCHED_INFO, selected by CONFIG_SCHEDSTATS or CONFIG_TASK_DELAY_ACCT); --no-probe-latency counts events without it`);
    }
    if (place.size !== size) throw new BtfError(`task_struct.${member} is ${place.size} bytes in the kernel's BTF; the probe expects ${size}`);
    return place.offset;
  };
  const runDelayOffset = field('sched_info.run_delay', 8);
  const lastQueuedOffset = field('sched_info.last_queued', 8);
  const switchTracepointId = btf.find('btf_trace_sched_switch', 'typedef');
  if (switchTracepointId === undefined || btf.rawTracepointArgs('sched_switch') < 3) {
    throw new BtfError("the kernel's BTF has no btf_trace_sched_switch typedef passing (preempt, prev, next)");
  }
  return { switchTracepointId, runDelayOffset, lastQueuedOffset };
}

/** One read of the probe's maps. */
export interface ProbeReading {
  /** Per event, one cumulative count per possible-CPU slot (slot k is CPU `cpus[k]`). */
  readonly events: Readonly<Record<ProbeEvent, readonly bigint[]>>;
  /** Run-queue latency: cumulative per-bucket counts summed over CPUs (LATENCY_BOUNDS buckets, then +Inf). */
  readonly latencyBuckets: readonly bigint[];
  /** Sum of all recorded latencies, ns. */
  readonly latencySumNs: bigint;
}

export interface ProbeOptions {
  /**
   * Time run-queue latency (default true). Off, sched_switch only counts too (a little cheaper), no BTF is
   * needed, and the histogram stays empty.
   */
  readonly latency?: boolean;
  /** The kernel layout; default: read from /sys/kernel/btf/vmlinux (only when latency is on). */
  readonly layout?: KernelLayout;
}

/** The loaded, attached probe. `detach()` stops counting but keeps the map readable; `close()` frees all. */
export class SchedProbe {
  /** Whether latency is timed. */
  readonly latency: boolean;
  private readonly maps: BpfMap[] = [];
  private progs: number[] = [];
  private links: number[] = [];
  private tracepoints: string[] = [];
  private stats!: BpfMap;

  private constructor(latency: boolean) {
    this.latency = latency;
  }

  /** Creates the map, loads and attaches the programs. On any failure everything created so far is closed. */
  static load(opts: ProbeOptions = {}): SchedProbe {
    const probe = new SchedProbe(opts.latency ?? true);
    try {
      const layout = probe.latency ? (opts.layout ?? kernelLayout()) : undefined;
      probe.stats = BpfMap.create({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: STATS_SLOTS * 8, maxEntries: 1, name: 'scxp_stats' });
      probe.maps.push(probe.stats);
      const stats = probe.stats.fd;
      for (const e of EVENTS) {
        const name = `scxp_${e.slice(6)}`.slice(0, 15);
        if (e === 'sched_switch' && layout !== undefined) {
          const insns = switchProgram({ statsFd: stats, ...layout });
          probe.attach(e, name, { type: ProgType.TRACING, insns, expectedAttachType: AttachType.TRACE_RAW_TP, attachBtfId: layout.switchTracepointId });
        } else {
          probe.attach(e, name, { type: ProgType.RAW_TRACEPOINT, insns: countProgram(stats, e) });
        }
      }
      return probe;
    } catch (err) {
      probe.close();
      throw err;
    }
  }

  private attach(tracepoint: string, name: string, spec: { type: number; insns: Buffer; expectedAttachType?: number; attachBtfId?: number }): void {
    // GPL-compatible: the verifier lets only such programs read kernel structs through BTF-typed pointers.
    const prog = progLoad({ ...spec, name, license: 'Dual MIT/GPL' });
    this.progs.push(prog);
    this.tracepoints.push(tracepoint);
    // A BTF-typed program named its tracepoint by attachBtfId at load, so it attaches with no name.
    this.links.push(rawTracepointOpen(spec.attachBtfId === undefined ? tracepoint : undefined, prog));
  }

  /** True while the programs are attached. */
  get attached(): boolean {
    return this.links.length > 0;
  }

  /** Reads the counting map (one lookup of its one per-CPU element). */
  read(): ProbeReading {
    const m = this.stats;
    const v = m.lookup(0);
    if (v === undefined) throw new Error('probe map scxp_stats has no element 0');
    const events = {} as Record<ProbeEvent, bigint[]>;
    for (const e of EVENTS) events[e] = m.u64s(v, EVENT_SLOTS[e] * 8);
    const latencyBuckets: bigint[] = [];
    for (let i = 0; i <= LATENCY_BOUNDS; i++) latencyBuckets.push(m.sumU64(v, (LATENCY_FIRST_SLOT + i) * 8));
    return { events, latencyBuckets, latencySumNs: m.sumU64(v, LATENCY_SUM_SLOT * 8) };
  }

  /**
   * Per attached program, the kernel's run count and time (non-zero only while BPF run-time statistics are
   * on: sys.ts enableRunTimeStats), for the bench.
   */
  runStats(): { readonly tracepoint: string; readonly runTimeNs: bigint; readonly runCount: bigint }[] {
    return this.progs.map((fd, i) => ({ tracepoint: this.tracepoints[i] as string, ...progRunStats(fd) }));
  }

  /** Detaches the programs: counting stops, the map stays readable. Idempotent. */
  detach(): void {
    for (const fd of this.links) closeFd(fd);
    for (const fd of this.progs) closeFd(fd);
    this.links = [];
    this.progs = [];
    this.tracepoints = [];
  }

  /** Detaches and closes the map. Idempotent. */
  close(): void {
    this.detach();
    for (const m of this.maps) m.close();
  }
}
