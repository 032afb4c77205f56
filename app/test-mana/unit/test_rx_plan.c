/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Unit tests of the RX queue plan: table period, hardware RQs per queue,
 * the table in force under the RQ and descriptor limits, ring sizes.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bitops.h>
#include <rte_common.h>

#include "mana_rx_plan.h"
#include "mtest.h"

#define T MANA_INDIRECT_TABLE_SIZE

static void
table_mod(uint16_t *t, uint16_t nq)
{
	uint32_t j;

	for (j = 0; j < T; j++)
		t[j] = (uint16_t)(j % nq);
}

static void
desc_all(uint32_t *d, uint32_t n)
{
	uint32_t q;

	for (q = 0; q < 64; q++)
		d[q] = n;
}

/* Shortest power-of-two period. */
static int
test_period(void)
{
	uint16_t t[T];
	uint32_t j;

	table_mod(t, 1);
	MTEST_ASSERT_EQ(mana_rx_plan_period(t), 1);
	table_mod(t, 2);
	MTEST_ASSERT_EQ(mana_rx_plan_period(t), 2);
	table_mod(t, 3);
	MTEST_ASSERT_EQ(mana_rx_plan_period(t), 64);
	table_mod(t, 8);
	MTEST_ASSERT_EQ(mana_rx_plan_period(t), 8);
	table_mod(t, 64);
	MTEST_ASSERT_EQ(mana_rx_plan_period(t), 64);
	/* period 8 whose halves differ only at one entry */
	for (j = 0; j < T; j++)
		t[j] = (j % 8) == 5 ? 1 : 0;
	MTEST_ASSERT_EQ(mana_rx_plan_period(t), 8);
	/* a single differing last entry needs all 64 */
	table_mod(t, 1);
	t[63] = 2;
	MTEST_ASSERT_EQ(mana_rx_plan_period(t), 64);
	/* repeated queues inside the period: 0,0,1,1 */
	for (j = 0; j < T; j++)
		t[j] = (j % 4) / 2;
	MTEST_ASSERT_EQ(mana_rx_plan_period(t), 4);
	return MTEST_SUCCESS;
}

/* Default tables of 1..8 queues with enough descriptors: exact. */
static int
test_exact(void)
{
	struct mana_rx_plan p;
	uint32_t d[64];
	uint16_t t[T], nq;

	desc_all(d, 2048);
	for (nq = 1; nq <= 8; nq++) {
		uint32_t sum = 0, q;

		table_mod(t, nq);
		mana_rx_plan_make(t, nq, 64, d, &p);
		MTEST_ASSERT(p.cause == MANA_RX_PLAN_EXACT, "nq %u: cause %d", nq, p.cause);
		MTEST_ASSERT_EQ(p.period, rte_is_power_of_2(nq) ? nq : 64);
		MTEST_ASSERT_MEM_EQ(p.reta, t, sizeof(t));
		for (q = 0; q < nq; q++) {
			uint32_t k = mana_rx_plan_rings(p.reta, p.period, (uint16_t)q);
			uint32_t rd = mana_rx_plan_ring_desc(d[q], k);

			MTEST_ASSERT(k >= 1, "nq %u: queue %u has no RQ", nq, q);
			MTEST_ASSERT(k * rd <= d[q] && rd >= MANA_RX_RING_MIN &&
				     rte_is_power_of_2(rd),
				     "nq %u queue %u: %u rings of %u descriptors", nq, q, k, rd);
			sum += k;
		}
		MTEST_ASSERT_EQ(sum, p.period);
	}
	return MTEST_SUCCESS;
}

/* Fewer RQs than the period: largest allowed power of two, reta[j mod P]. */
static int
test_rq_limit(void)
{
	struct mana_rx_plan p;
	uint32_t d[64], j;
	uint16_t t[T];

	desc_all(d, 2048);
	table_mod(t, 3);
	mana_rx_plan_make(t, 3, 16, d, &p);
	MTEST_ASSERT(p.cause == MANA_RX_PLAN_RQ_LIMIT, "cause %d", p.cause);
	MTEST_ASSERT_EQ(p.period, 16);
	for (j = 0; j < T; j++)
		MTEST_ASSERT_EQ(p.reta[j], t[j % 16]);
	/* not a power of two: 48 RQs allow 32 */
	mana_rx_plan_make(t, 3, 48, d, &p);
	MTEST_ASSERT_EQ(p.period, 32);
	MTEST_ASSERT(p.cause == MANA_RX_PLAN_RQ_LIMIT, "cause %d", p.cause);
	/* a period within the limit is untouched */
	table_mod(t, 4);
	mana_rx_plan_make(t, 4, 4, d, &p);
	MTEST_ASSERT(p.cause == MANA_RX_PLAN_EXACT && p.period == 4, "cause %d period %u",
		     p.cause, p.period);
	/* one RQ: everything to reta[0] */
	mana_rx_plan_make(t, 4, 1, d, &p);
	MTEST_ASSERT_EQ(p.period, 1);
	for (j = 0; j < T; j++)
		MTEST_ASSERT_EQ(p.reta[j], 0);
	return MTEST_SUCCESS;
}

/* A queue's descriptors bound its RQs (each >= 64 descriptors). */
static int
test_desc_limit(void)
{
	static const uint16_t want8[8] = { 0, 1, 2, 0, 1, 2, 0, 1 };
	struct mana_rx_plan p;
	uint32_t d[64], j;
	uint16_t t[T];

	desc_all(d, 256);	/* 4 RQs per queue at most */
	table_mod(t, 3);
	mana_rx_plan_make(t, 3, 64, d, &p);
	MTEST_ASSERT(p.cause == MANA_RX_PLAN_DESC_LIMIT, "cause %d", p.cause);
	MTEST_ASSERT_EQ(p.short_queue, 0);
	MTEST_ASSERT_EQ(p.period, 8);	/* 3, 3, 2 RQs */
	for (j = 0; j < T; j++)
		MTEST_ASSERT_EQ(p.reta[j], want8[j % 8]);
	MTEST_ASSERT_EQ(mana_rx_plan_ring_desc(256, 3), 64);
	MTEST_ASSERT_EQ(mana_rx_plan_ring_desc(256, 2), 128);
	MTEST_ASSERT_EQ(mana_rx_plan_ring_desc(256, 1), 256);
	MTEST_ASSERT_EQ(mana_rx_plan_ring_desc(2048, 22), 64);
	MTEST_ASSERT_EQ(mana_rx_plan_ring_desc(2048, 7), 256);
	/* only queue 2 is short */
	desc_all(d, 2048);
	d[2] = 64;
	mana_rx_plan_make(t, 3, 64, d, &p);
	MTEST_ASSERT(p.cause == MANA_RX_PLAN_DESC_LIMIT && p.short_queue == 2,
		     "cause %d queue %u", p.cause, p.short_queue);
	MTEST_ASSERT_EQ(p.period, 4);	/* 0,1,2,0 names queue 2 once */
	return MTEST_SUCCESS;
}

/* Random tables: the invariants of every plan. */
static int
test_random(void)
{
	uint32_t seed = 12345, iter;

	for (iter = 0; iter < 20000; iter++) {
		struct mana_rx_plan p;
		uint32_t d[64], j, q, max_rq;
		uint16_t t[T], nq;
		bool fits2 = true;

		seed = seed * 1103515245u + 12345u;
		nq = (uint16_t)(1 + (seed >> 16) % 16);
		seed = seed * 1103515245u + 12345u;
		max_rq = 1 + (seed >> 16) % 64;
		for (q = 0; q < 64; q++) {
			seed = seed * 1103515245u + 12345u;
			d[q] = 64u << ((seed >> 16) % 6);
		}
		for (j = 0; j < T; j++) {
			seed = seed * 1103515245u + 12345u;
			t[j] = (uint16_t)((seed >> 16) % nq);
		}
		if (iter % 3 == 0)	/* also short periods */
			for (j = 8; j < T; j++)
				t[j] = t[j % 8];
		mana_rx_plan_make(t, nq, max_rq, d, &p);
		MTEST_ASSERT(rte_is_power_of_2(p.period) && p.period <= max_rq,
			     "iter %u: period %u, max_rq %u", iter, p.period, max_rq);
		for (j = 0; j < T; j++) {
			MTEST_ASSERT(p.reta[j] == t[j % p.period], "iter %u entry %u", iter, j);
			if (p.cause == MANA_RX_PLAN_EXACT)
				MTEST_ASSERT(p.reta[j] == t[j], "iter %u: exact but entry %u differs",
					     iter, j);
		}
		for (q = 0; q < nq; q++) {
			uint32_t k = mana_rx_plan_rings(t, p.period, (uint16_t)q);

			MTEST_ASSERT(k * MANA_RX_RING_MIN <= d[q] || p.period == 1,
				     "iter %u: queue %u, %u RQs, %u descriptors", iter, q, k, d[q]);
			if (k > 0)
				MTEST_ASSERT(k * mana_rx_plan_ring_desc(d[q], k) <= d[q],
					     "iter %u queue %u: rings exceed the queue", iter, q);
			if (mana_rx_plan_rings(t, p.period * 2, (uint16_t)q) * MANA_RX_RING_MIN >
			    d[q])
				fits2 = false;
		}
		/* P is the largest that fits, unless it is the whole period */
		if (p.period < mana_rx_plan_period(t) && p.period * 2 <= max_rq)
			MTEST_ASSERT(!fits2, "iter %u: period %u, %u would fit", iter,
				     p.period, p.period * 2);
	}
	return MTEST_SUCCESS;
}

static const struct mtest_case cases[] = {
	{ "period", test_period },
	{ "exact", test_exact },
	{ "rq_limit", test_rq_limit },
	{ "desc_limit", test_desc_limit },
	{ "random", test_random },
};

int
main(int argc, char **argv)
{
	return mtest_run("rx_plan", cases, MTEST_N(cases), argc, argv);
}
