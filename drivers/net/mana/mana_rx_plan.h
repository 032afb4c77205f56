/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * RX queue plan: from the 64-entry table wanted to the hardware RQs that
 * realise it (period, RQs per application queue, table in force).
 */

#ifndef MANA_RX_PLAN_H
#define MANA_RX_PLAN_H

/*
 * The device replicates a verbs indirection table of 2^k distinct RQs over
 * its 64 entries (spec §7.2 step 6, §10.3). With P the shortest
 * power-of-two period of the wanted table (reta[j] == reta[j mod P] for all
 * j), P hardware RQs, RQ j serving application queue reta[j], give exactly
 * that table: entry j -> RQ j mod P -> reta[j mod P] = reta[j].
 *
 * Two limits can make P too large: the RQs the device allows, and the
 * descriptors of a queue, which its RQs share (each RQ at least
 * MANA_RX_RING_MIN descriptors). Then P is halved until both hold, and
 * entry j maps to reta[j mod P]: the table in force.
 *
 * Pure functions, no EAL: unit tested in app/test-mana/unit/test_rx_plan.c.
 */

#include <stdbool.h>
#include <stdint.h>

#include "gdma.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Fewest descriptors of one hardware RQ: its CQ is one 4 KiB page. */
#define MANA_RX_RING_MIN	64u

/** Why the table in force differs from the table wanted. */
enum mana_rx_plan_cause {
	MANA_RX_PLAN_EXACT = 0,		/**< the table in force is the one wanted */
	MANA_RX_PLAN_RQ_LIMIT,		/**< the device allows fewer RQs than the period */
	MANA_RX_PLAN_DESC_LIMIT,	/**< a queue has too few descriptors for its RQs */
};

struct mana_rx_plan {
	uint32_t period;		/**< P: hardware RQs, a power of two <= 64 */
	enum mana_rx_plan_cause cause;
	uint16_t short_queue;		/**< DESC_LIMIT: the first queue short of descriptors */
	uint16_t reta[MANA_INDIRECT_TABLE_SIZE];	/**< table in force */
};

/** Shortest power-of-two period of a 64-entry table. */
static inline uint32_t
mana_rx_plan_period(const uint16_t reta[MANA_INDIRECT_TABLE_SIZE])
{
	uint32_t p, j;

	for (p = 1; p < MANA_INDIRECT_TABLE_SIZE; p <<= 1) {
		for (j = p; j < MANA_INDIRECT_TABLE_SIZE; j++)
			if (reta[j] != reta[j & (p - 1)])
				break;
		if (j == MANA_INDIRECT_TABLE_SIZE)
			break;
	}
	return p;
}

/** Largest power of two <= @p n (n >= 1), at most 64. */
static inline uint32_t
mana_rx_plan_pow2_floor(uint32_t n)
{
	uint32_t p = 1;

	while (p * 2 <= n && p < MANA_INDIRECT_TABLE_SIZE)
		p <<= 1;
	return p;
}

/** Entries of queue @p q in the first @p period entries of @p reta. */
static inline uint32_t
mana_rx_plan_rings(const uint16_t *reta, uint32_t period, uint16_t q)
{
	uint32_t j, n = 0;

	for (j = 0; j < period; j++)
		n += reta[j] == q;
	return n;
}

/**
 * Plan the hardware RQs for the wanted table @p want over @p nq queues.
 * @p max_rq: RQs the device allows (>= 1); @p nb_desc[q]: descriptors of
 * queue q (>= MANA_RX_RING_MIN). Every entry of @p want must be < @p nq.
 */
static inline void
mana_rx_plan_make(const uint16_t want[MANA_INDIRECT_TABLE_SIZE], uint16_t nq,
		  uint32_t max_rq, const uint32_t *nb_desc, struct mana_rx_plan *plan)
{
	uint32_t p = mana_rx_plan_period(want), j;
	uint16_t q;

	plan->cause = MANA_RX_PLAN_EXACT;
	plan->short_queue = 0;
	max_rq = mana_rx_plan_pow2_floor(max_rq ? max_rq : 1);
	if (p > max_rq) {
		p = max_rq;
		plan->cause = MANA_RX_PLAN_RQ_LIMIT;
	}
	for (;;) {
		bool fits = true;

		for (q = 0; q < nq && fits; q++) {
			if (mana_rx_plan_rings(want, p, q) * MANA_RX_RING_MIN > nb_desc[q]) {
				fits = false;
				if (plan->cause == MANA_RX_PLAN_EXACT) {
					plan->cause = MANA_RX_PLAN_DESC_LIMIT;
					plan->short_queue = q;
				}
			}
		}
		if (fits || p == 1)
			break;
		p >>= 1;
	}
	plan->period = p;
	for (j = 0; j < MANA_INDIRECT_TABLE_SIZE; j++)
		plan->reta[j] = want[j & (p - 1)];
}

/**
 * Descriptors of each of the @p rings RQs of a queue of @p nb_desc:
 * the largest power of two with rings x that <= nb_desc.
 */
static inline uint32_t
mana_rx_plan_ring_desc(uint32_t nb_desc, uint32_t rings)
{
	uint32_t d = MANA_RX_RING_MIN;

	if (rings <= 1)
		return nb_desc;
	while (d * 2 * rings <= nb_desc)
		d <<= 1;
	return d;
}

#ifdef __cplusplus
}
#endif

#endif /* MANA_RX_PLAN_H */
