/**
 * The probe's CLI flags. Default: on when the host source is on and the process may load BPF (root, or
 * CAP_BPF+CAP_PERFMON); otherwise it says why once and the host source carries on from /proc.
 * `--probe` asks for it regardless (a failure to load is then reported and retried like any source's);
 * `--no-probe` turns it off. Run-queue latency is on when the kernel's BTF allows it; on a kernel whose BTF
 * lacks what it needs the probe says so once and counts events only (no flag requires latency, so there is no
 * request to fail); `--no-probe-latency` turns it off without a word.
 */
import type { SourcePlugin } from '../../plugin/plugin.js';
import { UsageError, boolFlag } from '../../plugin/flags.js';
import { probePrivilegeProblem } from './privilege.js';
import { ProbeSource } from './source.js';

export const probePlugin: SourcePlugin = {
  name: 'probe',
  flags: {
    probe: { type: 'boolean', help: 'Count sched_switch/wakeup/migrate events and run-queue latency with a built-in BPF probe (default: on as root)' },
    'no-probe': { type: 'boolean', help: 'Do not load the built-in BPF probe' },
    'no-probe-latency': { type: 'boolean', help: 'Probe counts events only: no run-queue latency histogram, and no kernel BTF needed' },
  },
  create(values, env) {
    const on = boolFlag(values, 'probe');
    if (on && boolFlag(values, 'no-probe')) throw new UsageError('--probe and --no-probe contradict each other; give one');
    if (boolFlag(values, 'no-probe')) return [];
    if (!on) {
      if (boolFlag(values, 'no-host')) return [];
      let problem: string | undefined;
      try {
        problem = probePrivilegeProblem();
      } catch (err) {
        problem = err instanceof Error ? err.message : String(err);
      }
      if (problem !== undefined) {
        env.log.once('probe:privilege', `BPF probe off: needs ${problem}; host counters come from /proc only`);
        return [];
      }
    }
    return [new ProbeSource(boolFlag(values, 'no-probe-latency') ? { latency: false } : {})];
  },
};
