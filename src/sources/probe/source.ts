/**
 * The probe as a source: loads the BPF probe at attach, and each interval reads its maps into the
 * `scx_probe_*` families. Per-CPU series appear for CPUs that counted something, so a machine with many
 * possible but few online CPUs does not export rows of zeros.
 */
import type { StatSet } from '../../declare/types.js';
import { errorMessage } from '../../support/log.js';
import type { CounterSeries, Families, HistogramSeries } from '../../registry/index.js';
import { possibleCpus } from '../bpf/sys.js';
import { OnlineCpus } from '../online-cpus.js';
import type { Source, SourceContext } from '../../plugin/source.js';
import { SchedProbe, kernelLayout, type KernelLayout } from './probe.js';
import { EVENTS } from './programs.js';
import { probeStats } from './stats.js';

type ProbeFamilies = Families<typeof probeStats.stats>;

export interface ProbeSourceOptions {
  /**
   * Run-queue latency. Default (undefined): timed when the kernel's BTF gives what it needs; when it does not
   * (no /sys/kernel/btf/vmlinux, no task_struct.sched_info), that is said once and the probe counts events
   * only, which need no BTF; likewise when the kernel refuses the latency program (the verifier, lockdown).
   * `true`: required; attach then fails (and is retried) naming what is missing or refused.
   * `false`: off (see ProbeOptions.latency).
   */
  readonly latency?: boolean;
  /** Reads the kernel layout the latency program needs (default: kernelLayout() of the running kernel). */
  readonly kernelLayout?: () => KernelLayout;
}

/** A load error in one line: its first, and the verifier's reason when a log follows (its last statement). */
function oneLine(message: string): string {
  const lines = message.split('\n');
  const reason = lines.findLast((l) => l !== '' && l !== 'verifier log:' && !l.startsWith('processed ') && !/^\d+: /.test(l));
  return reason === undefined || reason === lines[0] ? (lines[0] as string) : `${lines[0]}: ${reason}`;
}

export class ProbeSource implements Source {
  readonly name = 'probe';
  private readonly latencyWanted: boolean | undefined;
  private readonly readLayout: () => KernelLayout;
  private probe: SchedProbe | undefined;
  private families: ProbeFamilies | undefined;
  /** The layout, or why BTF could not give it; it cannot change while the kernel runs, so it is read once. */
  private layout: KernelLayout | Error | undefined;
  /** Why the kernel refused the latency program while the counters loaded; it is not tried again. */
  private latencyRefused: string | undefined;
  /** Per event, handles by possible-CPU slot (created when that CPU first counts). */
  private readonly perCpu = new Map<string, (CounterSeries | undefined)[]>();
  private latency: HistogramSeries | undefined;
  private readonly online = new OnlineCpus();

  constructor(opts: ProbeSourceOptions = {}) {
    this.latencyWanted = opts.latency;
    this.readLayout = opts.kernelLayout ?? (() => kernelLayout());
  }

  stats(): readonly StatSet[] {
    return [probeStats];
  }

  attach(ctx: SourceContext): void {
    this.families = ctx.registry.register(probeStats);
    for (const e of EVENTS) ctx.lifetime?.track(this.families[e]);
    let refused: string | undefined;
    if (this.latencyWanted !== false && this.latencyRefused === undefined) {
      this.layout ??= this.tryReadLayout();
      if (!(this.layout instanceof Error)) {
        try {
          this.probe = SchedProbe.load({ layout: this.layout });
          this.latency = this.families.runqueue_latency.with();
          return;
        } catch (err) {
          // The verifier or lockdown may refuse the BTF-typed latency program where plain counters load.
          if (this.latencyWanted === true) throw err;
          refused = `the kernel refused the latency program: ${oneLine(errorMessage(err))}`;
        }
      }
      const why = refused ?? `cannot read the kernel's BTF: ${(this.layout as Error).message}`;
      if (this.latencyWanted === true) throw new Error(why);
      // The event counters need no BTF: keep them rather than lose the whole probe to the latency program.
      ctx.log.once('probe:latency', `probe: run-queue latency off, counting events only (${why})`);
    }
    this.probe = SchedProbe.load({ latency: false });
    // Remembered only once the counters loaded: if they failed too, both are tried again next interval.
    if (refused !== undefined) this.latencyRefused = refused;
  }

  private tryReadLayout(): KernelLayout | Error {
    try {
      return this.readLayout();
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  }

  collect(): void {
    const probe = this.probe;
    const fams = this.families;
    if (probe === undefined || fams === undefined) return;
    const r = probe.read();
    const cpus = possibleCpus().ids;
    // Per-CPU counts have a slot for every possible CPU: an offline CPU's is left unreported, so its series
    // expires after the grace period; when the CPU comes back its series is resolved again.
    const online = this.online.read();
    for (const e of EVENTS) {
      const counts = r.events[e];
      let handles = this.perCpu.get(e);
      if (handles === undefined) {
        handles = [];
        this.perCpu.set(e, handles);
      }
      for (let k = 0; k < counts.length; k++) {
        const v = counts[k] as bigint;
        if (online !== undefined && !online.has(String(cpus[k]))) continue;
        let h = handles[k];
        if (h === undefined || h.removed) {
          if (v === 0n) continue;
          h = fams[e].withValues([String(cpus[k])]);
          handles[k] = h;
        }
        h.absolute(Number(v));
      }
    }
    this.latency?.absolute(r.latencyBuckets.map(Number), Number(r.latencySumNs) / 1e9);
  }

  /** The loaded probe, for callers that detach it (tests stop counting before comparing). */
  get loaded(): SchedProbe | undefined {
    return this.probe;
  }

  close(): void {
    this.probe?.close();
    this.probe = undefined;
  }
}
