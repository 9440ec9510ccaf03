/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scx_declared's loader: loads and attaches the scheduler, then prints each stats slot once a second by the
 * names the generated header gives (the same names scx-metrics exports), until SIGINT or the scheduler exits.
 */
#include <stdio.h>
#include <unistd.h>
#include <signal.h>
#include <assert.h>
#include <bpf/bpf.h>
#include <scx/common.h>
#include "scx_declared_stats.h"
#include "scx_declared.bpf.skel.h"

static volatile int exit_req;

static void sigint_handler(int sig)
{
	exit_req = 1;
}

#define SLOT_NAME(idx, metric, labels, help) [idx] = metric,
#define SLOT_LABELS(idx, metric, labels, help) [idx] = labels,
static const char *slot_names[DECLARED_NR_STATS] = { DECLARED_STATS(SLOT_NAME) };
static const char *slot_labels[DECLARED_NR_STATS] = { DECLARED_STATS(SLOT_LABELS) };

static void print_stats(struct scx_declared *skel)
{
	int nr_cpus = libbpf_num_possible_cpus();
	__u64 cnts[nr_cpus];
	__u32 idx;

	assert(nr_cpus > 0);
	for (idx = 0; idx < DECLARED_NR_STATS; idx++) {
		__u64 sum = 0;
		int cpu;

		if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.stats), &idx, cnts) < 0)
			continue;
		for (cpu = 0; cpu < nr_cpus; cpu++)
			sum += cnts[cpu];
		printf("%s{%s} %llu\n", slot_names[idx], slot_labels[idx], (unsigned long long)sum);
	}
	printf("\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct scx_declared *skel;
	struct bpf_link *link;
	__u64 ecode;

	signal(SIGINT, sigint_handler);
	signal(SIGTERM, sigint_handler);
restart:
	skel = SCX_OPS_OPEN(declared_ops, scx_declared);
	SCX_OPS_LOAD(skel, declared_ops, scx_declared, uei);
	link = SCX_OPS_ATTACH(skel, declared_ops, scx_declared);

	while (!exit_req && !UEI_EXITED(skel, uei)) {
		print_stats(skel);
		sleep(1);
	}

	bpf_link__destroy(link);
	ecode = UEI_REPORT(skel, uei);
	scx_declared__destroy(skel);

	if (UEI_ECODE_RESTART(ecode))
		goto restart;
	return 0;
}
