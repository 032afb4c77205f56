/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Test helpers on ethdev statistics that hold on every DPDK from 22.11 to
 * 25.11: extended statistics by name, and the per-queue counters. DPDK 25.11
 * removed rte_eth_stats' q_* arrays, so a queue's counters are read from the
 * driver's rx_q<N>_<what> and tx_q<N>_<what> xstats; where the arrays still
 * exist (MTEST_HAVE_QSTATS), tests check that both agree.
 */

#ifndef MANA_MTEST_ETH_H
#define MANA_MTEST_ETH_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_version.h>

#if RTE_VERSION < RTE_VERSION_NUM(25, 11, 0, 0)
#define MTEST_HAVE_QSTATS 1
#endif

/*
 * Calls @p fn(name, value, arg) for each xstat of @p port; 0, or -EIO when
 * the port's xstats cannot be read.
 */
static inline int
mtest_xstats_each(uint16_t port, void (*fn)(const char *, uint64_t, void *), void *arg)
{
	struct rte_eth_xstat_name *names;
	struct rte_eth_xstat *xs;
	int n = rte_eth_xstats_get_names(port, NULL, 0), i, ret = -EIO;

	if (n <= 0)
		return -EIO;
	names = calloc(n, sizeof(*names));
	xs = calloc(n, sizeof(*xs));
	if (names != NULL && xs != NULL && rte_eth_xstats_get_names(port, names, n) == n &&
	    rte_eth_xstats_get(port, xs, n) == n) {
		for (i = 0; i < n; i++)
			if (xs[i].id < (uint64_t)n)
				fn(names[xs[i].id].name, xs[i].value, arg);
		ret = 0;
	}
	free(names);
	free(xs);
	return ret;
}

struct mtest_xstat_query {
	const char *name;	/* exact name, or NULL for a per-queue sum */
	const char *dir;	/* "rx" or "tx" */
	const char *what;	/* "packets", "bytes", ... */
	int queue;		/* one queue, or -1 for all */
	int found;
	uint64_t value;
};

static inline void
mtest_xstat_match(const char *nm, uint64_t v, void *arg)
{
	struct mtest_xstat_query *qr = arg;
	char pfx[16], rest[48];
	unsigned int q;

	if (qr->name != NULL) {
		if (strcmp(nm, qr->name) != 0)
			return;
	} else if (sscanf(nm, "%15[a-z]_q%u_%47s", pfx, &q, rest) != 3 ||
		   strcmp(pfx, qr->dir) != 0 || strcmp(rest, qr->what) != 0 ||
		   (qr->queue >= 0 && q != (unsigned int)qr->queue)) {
		return;
	}
	qr->found++;
	qr->value += v;
}

/* The xstat called @p name into @p val: 0, -ENOENT if there is none, -EIO. */
static inline int
mtest_xstat(uint16_t port, const char *name, uint64_t *val)
{
	struct mtest_xstat_query qr = { .name = name };

	if (mtest_xstats_each(port, mtest_xstat_match, &qr) != 0)
		return -EIO;
	if (qr.found != 1)
		return -ENOENT;
	*val = qr.value;
	return 0;
}

/*
 * The per-queue xstat "<dir>_q<queue>_<what>" (queue -1: the sum over every
 * queue). UINT64_MAX when no such xstat exists.
 */
static inline uint64_t
mtest_qstat(uint16_t port, const char *dir, int queue, const char *what)
{
	struct mtest_xstat_query qr = { .dir = dir, .what = what, .queue = queue };

	if (mtest_xstats_each(port, mtest_xstat_match, &qr) != 0 || qr.found == 0)
		return UINT64_MAX;
	return qr.value;
}

#endif /* MANA_MTEST_ETH_H */
