/**
 * The probe on a kernel whose BTF lacks what the latency program needs, or that refuses that program: by
 * default it says so once and keeps counting events (which need no BTF) from the real kernel; a caller that
 * requires latency gets the failure.
 * The kernel's BTF is replaced by one without task_struct.sched_info (CONFIG_SCHED_INFO off), by a missing
 * /sys/kernel/btf/vmlinux, or by a layout whose offset the verifier rejects; everything else (maps, programs,
 * tracepoints, the verifier, the agent loop) is real.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from '../../../src/agent.js';
import { BtfError } from '../../../src/sources/bpf/btf.js';
import { memoryLogger } from '../../../src/support/log.js';
import type { CounterSeries, GaugeSeries } from '../../../src/registry/index.js';
import { kernelLayout, vmlinuxBtf } from '../../../src/sources/probe/probe.js';
import { ProbeSource } from '../../../src/sources/probe/source.js';
import { needRoot } from '../../helpers/peers.js';
import { pingPong } from '../../helpers/workload.js';
import { btfWithoutSchedInfo } from './fixtures.js';

const NO_VMLINUX = '/nonexistent/sys/kernel/btf/vmlinux';

test('vmlinuxBtf: a kernel without /sys/kernel/btf/vmlinux gets a BtfError naming CONFIG_DEBUG_INFO_BTF and --no-probe-latency', () => {
  assert.throws(() => vmlinuxBtf(NO_VMLINUX), (err: unknown) => {
    assert.ok(err instanceof BtfError);
    assert.match(err.message, /^no \/nonexistent\/sys\/kernel\/btf\/vmlinux: .*CONFIG_DEBUG_INFO_BTF.*--no-probe-latency/);
    return true;
  });
});

const BTF_UNREADABLE = /\(cannot read the kernel's BTF: /;
const KERNELS = [
  { kernel: 'without sched_info', layout: () => kernelLayout(btfWithoutSchedInfo()), why: [BTF_UNREADABLE, /CONFIG_SCHED_INFO.*--no-probe-latency/] },
  { kernel: 'without /sys/kernel/btf/vmlinux', layout: () => kernelLayout(vmlinuxBtf(NO_VMLINUX)), why: [BTF_UNREADABLE, /CONFIG_DEBUG_INFO_BTF.*--no-probe-latency/] },
  // BTF reads fine but the verifier rejects the latency program: run_delay placed far past task_struct's end.
  {
    kernel: 'whose verifier rejects the latency program',
    layout: () => ({ ...kernelLayout(), runDelayOffset: 32_760 }),
    why: [/\(the kernel refused the latency program: BPF_PROG_LOAD .*EACCES: .*task_struct.*32760[^\n]*\)$/],
  },
];

for (const { kernel, layout, why } of KERNELS) {
  test(`probe on a kernel ${kernel}: latency off said once, real event counts keep flowing over several intervals`, async (t) => {
    if (!needRoot(t)) return;
    const log = memoryLogger();
    const agent = new Agent({ sources: [new ProbeSource({ kernelLayout: layout })], sinks: [], intervalSeconds: 1, log });
    try {
      await agent.start();
      const switches = (): number => (agent.registry.get('scx_probe_sched_switch')?.series ?? []).reduce((a, s) => a + (s as CounterSeries).value, 0);
      let last = switches();
      for (let i = 0; i < 4; i++) {
        pingPong(200); // at least two switches per round trip
        await agent.collect();
        const now = switches();
        assert.ok(now - last >= 400, `interval ${i}: ${now - last} switches counted, the workload made at least 400`);
        last = now;
      }
      assert.ok((agent.registry.get('scx_probe_sched_wakeup')?.series.length ?? 0) > 0, 'wakeups counted too');
      assert.equal(agent.registry.get('scx_probe_runqueue_latency_seconds')?.series.length, 0, 'no latency series');
      const up = agent.registry.get('scx_metrics_source_up')?.withValues(['probe']) as GaugeSeries;
      assert.equal(up.value, 1);
      const said = log.lines.filter((l) => /latency/.test(l));
      assert.equal(said.length, 1, log.lines.join('\n'));
      assert.match(said[0] ?? '', /^scx-metrics: warning: probe: run-queue latency off, counting events only \(/);
      for (const re of why) assert.match(said[0] ?? '', re);
      assert.deepEqual(log.lines.filter((l) => /cannot attach|will retry/.test(l)), []);
    } finally {
      await agent.stop();
    }
  });
}

test('probe that requires latency (latency: true) on a kernel without sched_info: attach fails naming it, said once, retried', async () => {
  const log = memoryLogger();
  const agent = new Agent({ sources: [new ProbeSource({ latency: true, kernelLayout: () => kernelLayout(btfWithoutSchedInfo()) })], sinks: [], intervalSeconds: 1, log });
  try {
    await agent.start();
    for (let i = 0; i < 3; i++) await agent.collect();
    const errors = agent.registry.get('scx_metrics_source_errors')?.withValues(['probe']) as CounterSeries;
    assert.equal(errors.value, 5, 'one failed attach each time: at start, at its first collection, then three more');
    const said = log.lines.filter((l) => /probe/.test(l));
    assert.equal(said.length, 1, log.lines.join('\n'));
    assert.match(said[0] ?? '', /source probe: cannot attach \(will retry\): cannot read the kernel's BTF: .*CONFIG_SCHED_INFO.*--no-probe-latency/);
    assert.equal(agent.registry.get('scx_probe_sched_switch')?.series.length ?? 0, 0, 'nothing loaded');
  } finally {
    await agent.stop();
  }
});
