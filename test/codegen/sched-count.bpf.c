// SPDX-License-Identifier: GPL-2.0
/*
 * Test program for the generated header: counts real scheduler events into the stats map the header
 * defines, through the header's stat_inc/stat_add. Built by test/codegen/c-header-bpf.test.ts with
 * clang -O2 -g -target bpf; the header comes from test/codegen/sched-count-stats.ts. Program names start
 * with gentest_ so the BPF source finds the map through them (kernel names keep 15 characters).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "sched_count_stats.h"

/* Counts the switch, then records this CPU's switch count so far in the switch_seq histogram. */
SEC("raw_tp/sched_switch")
int gentest_switch(void *ctx)
{
	__u32 key = SCHEDCOUNT_STAT_EVENTS_SWITCH;
	__u64 *n;

	stat_inc(SCHEDCOUNT_STAT_EVENTS_SWITCH);
	n = bpf_map_lookup_elem(&stats, &key);
	if (n)
		stat_hist_switch_seq(*n);
	return 0;
}

SEC("raw_tp/sched_wakeup")
int gentest_wakeup(void *ctx)
{
	stat_inc(SCHEDCOUNT_STAT_EVENTS_WAKEUP);
	return 0;
}

SEC("raw_tp/sched_wakeup_new")
int gentest_wakenew(void *ctx)
{
	stat_inc(SCHEDCOUNT_STAT_EVENTS_WAKEUP_NEW);
	return 0;
}

/* Every fork adds 3, so the test can tell stat_add from stat_inc. */
SEC("raw_tp/sched_process_fork")
int gentest_fork(void *ctx)
{
	stat_add(SCHEDCOUNT_STAT_FORK_WEIGHT, 3);
	return 0;
}

/*
 * Not attached; run by BPF_PROG_TEST_RUN with args (value, nr_bounds): returns the header's bucket for value,
 * so the test can hold it against user space's rule at every bound.
 */
SEC("raw_tp")
int gentest_log2(struct bpf_raw_tracepoint_args *ctx)
{
	return stat_log2_bucket(ctx->args[0], ctx->args[1]);
}

/* Not attached; run by BPF_PROG_TEST_RUN with args (value): records it in the recorded histogram. */
SEC("raw_tp")
int gentest_record(struct bpf_raw_tracepoint_args *ctx)
{
	return stat_hist_recorded(ctx->args[0]);
}

char LICENSE[] SEC("license") = "GPL";
