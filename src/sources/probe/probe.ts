/**
 * The scheduler probe as kernel objects: creates its two maps, loads the hand-assembled programs of
 * programs.ts and attaches them to raw tracepoints, then reads what they counted. No compiler and no libbpf:
 * only bpf(2) through sys.ts and the kernel's BTF for `task_struct.pid`.
 */
import { BpfMap, MapType, ProgType, closeFd, progLoad, progRunStats, rawTracepointOpen } from '../bpf/sys.js';
import { Btf } from '../bpf/btf.js';
import {
  EVENTS,
  EVENT_SLOTS,
  LATENCY_BOUNDS,
  LATENCY_FIRST_SLOT,
  LATENCY_SUM_SLOT,
  STATS_SLOTS,
  WAKETS_ENTRIES,
  WAKETS_KEY_SIZE,
  WAKETS_PID_OFFSET,
  WAKETS_VALUE_SIZE,
  countProgram,
  exitProgram,
  switchProgram,
  wakeupProgram,
  type ProbeEvent,
  type ProgramParams,
} from './programs.js';

/** What the probe learns from BTF once: it does not change while the kernel runs. */
export interface KernelLayout {
  /** Byte offset of `pid` in `struct task_struct` (read once per task, when it is first stamped). */
  readonly pidOffset: number;
  /** sched_switch passes prev_state (Linux >= 5.18), so preempted tasks are timed too. */
  readonly switchHasPrevState: boolean;
}

/** Reads the layout the programs need from the kernel's BTF; throws a BtfError naming what is missing. */
export function kernelLayout(btf: Btf = Btf.vmlinux()): KernelLayout {
  const pid = btf.memberPlace('task_struct', 'pid');
  if (pid.size !== 4) throw new Error(`task_struct.pid is ${pid.size} bytes in this kernel's BTF; the probe expects a 4-byte pid_t`);
  return { pidOffset: pid.offset, switchHasPrevState: btf.rawTracepointArgs('sched_switch') >= 4 };
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
   * Time run-queue latency (default true). Off, every program only counts its event: a fraction of the
   * cost per event (no clock read or hash lookup), no BTF needed, and the histogram stays empty.
   */
  readonly latency?: boolean;
  /** The kernel layout; default: read from /sys/kernel/btf/vmlinux (only when latency is on). */
  readonly layout?: KernelLayout;
}

/** The loaded, attached probe. `detach()` stops counting but keeps the maps readable; `close()` frees all. */
export class SchedProbe {
  /** Whether latency is timed. */
  readonly latency: boolean;
  private readonly maps: BpfMap[] = [];
  private progs: number[] = [];
  private links: number[] = [];
  private tracepoints: string[] = [];
  private stats!: BpfMap;
  private wakets: BpfMap | undefined;

  private constructor(latency: boolean) {
    this.latency = latency;
  }

  /** Creates the maps, loads and attaches the programs. On any failure everything created so far is closed. */
  static load(opts: ProbeOptions = {}): SchedProbe {
    const probe = new SchedProbe(opts.latency ?? true);
    try {
      probe.stats = probe.map('scxp_stats', MapType.PERCPU_ARRAY, 4, STATS_SLOTS * 8, 1);
      const stats = probe.stats.fd;
      if (!probe.latency) {
        for (const e of EVENTS) probe.attach(e, `scxp_${e.slice(6)}`.slice(0, 15), countProgram(stats, e));
        return probe;
      }
      const layout = opts.layout ?? kernelLayout();
      const wakets = probe.map('scxp_wakets', MapType.HASH, WAKETS_KEY_SIZE, WAKETS_VALUE_SIZE, WAKETS_ENTRIES);
      probe.wakets = wakets;
      const p: ProgramParams = { statsFd: stats, waketsFd: wakets.fd, ...layout };
      probe.attach('sched_wakeup', 'scxp_wakeup', wakeupProgram(p, 'sched_wakeup'));
      probe.attach('sched_wakeup_new', 'scxp_wakeup_new', wakeupProgram(p, 'sched_wakeup_new'));
      probe.attach('sched_migrate_task', 'scxp_migrate', countProgram(stats, 'sched_migrate_task'));
      probe.attach('sched_process_free', 'scxp_free', exitProgram(p));
      probe.attach('sched_switch', 'scxp_switch', switchProgram(p));
      return probe;
    } catch (err) {
      probe.close();
      throw err;
    }
  }

  private map(name: string, type: number, keySize: number, valueSize: number, maxEntries: number): BpfMap {
    const m = BpfMap.create({ type, keySize, valueSize, maxEntries, name });
    this.maps.push(m);
    return m;
  }

  private attach(tracepoint: string, name: string, insns: Buffer): void {
    // The GPL-compatible licence string is what lets the programs call bpf_probe_read_kernel.
    const prog = progLoad({ type: ProgType.RAW_TRACEPOINT, insns, name, license: 'Dual MIT/GPL' });
    this.progs.push(prog);
    this.tracepoints.push(tracepoint);
    this.links.push(rawTracepointOpen(tracepoint, prog));
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

  /** The pids of the tasks `wakets` holds an entry for (seen runnable and not yet freed); empty with latency off. */
  trackedPids(): number[] {
    if (this.wakets === undefined) return [];
    const b = this.wakets.lookupBatch();
    return Array.from({ length: b.count }, (_, i) => b.values.readUInt32LE(i * WAKETS_VALUE_SIZE + WAKETS_PID_OFFSET));
  }

  /**
   * Per attached program, the kernel's run count and time (non-zero only while BPF run-time statistics are
   * on: sys.ts enableRunTimeStats), for the bench.
   */
  runStats(): { readonly tracepoint: string; readonly runTimeNs: bigint; readonly runCount: bigint }[] {
    return this.progs.map((fd, i) => ({ tracepoint: this.tracepoints[i] as string, ...progRunStats(fd) }));
  }

  /** Detaches the programs: counting stops, the maps stay readable. Idempotent. */
  detach(): void {
    for (const fd of this.links) closeFd(fd);
    for (const fd of this.progs) closeFd(fd);
    this.links = [];
    this.progs = [];
    this.tracepoints = [];
  }

  /** Detaches and closes the maps. Idempotent. */
  close(): void {
    this.detach();
    for (const m of this.maps) m.close();
  }
}
