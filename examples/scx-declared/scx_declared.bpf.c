/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scx_declared: a global FIFO sched_ext scheduler (scx_simple's FIFO mode) whose stats come from a TypeScript
 * declaration (stats.ts) through `scx-metrics gen-header`. Nothing here names a stat slot by hand: the enum,
 * the map and the helpers are in the generated scx_declared_stats.h.
 */
#include <scx/common.bpf.h>
#include "scx_declared_stats.h"

char _license[] SEC("license") = "GPL";

UEI_DEFINE(uei);

#define SHARED_DSQ 0

s32 BPF_STRUCT_OPS(declared_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	bool is_idle = false;
	s32 cpu;

	cpu = scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &is_idle);
	if (is_idle) {
		stat_inc(DECLARED_STAT_ENQUEUED_TASKS_LOCAL);
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, SCX_SLICE_DFL, 0);
	}
	return cpu;
}

void BPF_STRUCT_OPS(declared_enqueue, struct task_struct *p, u64 enq_flags)
{
	stat_inc(DECLARED_STAT_ENQUEUED_TASKS_GLOBAL);
	scx_bpf_dsq_insert(p, SHARED_DSQ, SCX_SLICE_DFL, enq_flags);
}

void BPF_STRUCT_OPS(declared_dispatch, s32 cpu, struct task_struct *prev)
{
	if (scx_bpf_dsq_move_to_local(SHARED_DSQ, 0))
		stat_inc(DECLARED_STAT_DISPATCHES);
}

void BPF_STRUCT_OPS(declared_stopping, struct task_struct *p, bool runnable)
{
	u64 left = p->scx.slice;

	/* A yield sets the slice to 0, which counts as the whole slice used. */
	stat_hist_slice_used((SCX_SLICE_DFL - (left < SCX_SLICE_DFL ? left : SCX_SLICE_DFL)) / 1000);
}

s32 BPF_STRUCT_OPS_SLEEPABLE(declared_init)
{
	return scx_bpf_create_dsq(SHARED_DSQ, -1);
}

void BPF_STRUCT_OPS(declared_exit, struct scx_exit_info *ei)
{
	UEI_RECORD(uei, ei);
}

SCX_OPS_DEFINE(declared_ops,
	       .select_cpu		= (void *)declared_select_cpu,
	       .enqueue			= (void *)declared_enqueue,
	       .dispatch		= (void *)declared_dispatch,
	       .stopping		= (void *)declared_stopping,
	       .init			= (void *)declared_init,
	       .exit			= (void *)declared_exit,
	       .name			= "declared");
