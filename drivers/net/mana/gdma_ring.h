/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * GDMA queue engine: WQE sizing and posting with SGL wrap, CQ owner-bit
 * polling and doorbell writes, on raw queue memory with no ethdev types.
 */

#ifndef MANA_GDMA_RING_H
#define MANA_GDMA_RING_H

/*
 * Head and tail, as the kernel's struct gdma_queue comment fixes them:
 *
 *  - WQ (SQ/RQ): head is the producer, a free-running u32 count of basic
 *    units (32 bytes) written by software; tail is the consumer, also in BUs,
 *    advanced by software when a WQE's completion is processed. The ring
 *    offset of BU index i is (i * 32) mod S. The doorbell carries head * 32.
 *  - CQ: head is the software consumer count of CQEs, starting at N (the
 *    depth) so that the first lap expects owner bits 1. The device writes
 *    its k-th CQE to slot k mod N with owner bits ((k / N) + 1) & 7.
 *
 * Callers in the data path pass power-of-two ring sizes so that modulo is a
 * mask; the helpers assert nothing and never divide.
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_atomic.h>
#include <rte_io.h>

#include "gdma.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Bytes of a WQE before its SGL: header plus inline OOB. */
static inline uint32_t
gdma_wqe_sgl_offset(uint32_t oob_size)
{
	return (uint32_t)sizeof(struct gdma_wqe) + oob_size;
}

/**
 * Size in basic units of a WQE with an inline OOB of @p oob_size bytes
 * (8 or 24) and @p num_sge SGEs. A WQE with no SGE still has room for
 * the dummy SGE (spec §3.1).
 */
static inline uint32_t
gdma_wqe_size_bu(uint32_t oob_size, uint32_t num_sge)
{
	uint32_t n = num_sge ? num_sge : 1;
	uint32_t bytes = gdma_wqe_sgl_offset(oob_size) +
			 n * (uint32_t)sizeof(struct gdma_sge);

	return (bytes + GDMA_WQE_BU_SIZE - 1) / GDMA_WQE_BU_SIZE;
}

/** Ring bytes still free for posting, given head and tail in BUs. */
static inline uint32_t
gdma_wq_free_bytes(uint32_t ring_size, uint32_t head_bu, uint32_t tail_bu)
{
	return ring_size - (head_bu - tail_bu) * GDMA_WQE_BU_SIZE;
}

/** Header dword 1 for a WQE: num_sge, inline OOB size and data unit. */
static inline uint32_t
gdma_wqe_hdr_dw1(uint32_t num_sge, uint32_t oob_size, uint32_t data_unit,
		 bool oob_in_sgl)
{
	return MANA_VAL(GDMA_WQE_NUM_SGE, num_sge) |
	       MANA_VAL(GDMA_WQE_INLINE_OOB_SIZE_DIV4, oob_size / 4) |
	       MANA_VAL(GDMA_WQE_CLIENT_OOB_IN_SGL, oob_in_sgl ? 1 : 0) |
	       MANA_VAL(GDMA_WQE_CLIENT_DATA_UNIT, data_unit);
}

/**
 * Write one WQE into a work-queue ring.
 *
 * @param ring       ring base
 * @param ring_mask  ring size in bytes minus one (size is a power of two)
 * @param head_bu    producer position in BUs
 * @param hdr        the 8-byte header, already encoded
 * @param oob        inline OOB, @p oob_size bytes (8 or 24); NULL writes zeros
 * @param sgl        @p num_sge SGEs; they wrap at the end of the ring
 *
 * The header and OOB never cross the ring end (they fit in the first BU).
 * The caller has checked the free space. Returns the WQE size in BUs.
 */
static inline uint32_t
gdma_wq_write_wqe(uint8_t *ring, uint32_t ring_mask, uint32_t head_bu,
		  const struct gdma_wqe *hdr, const void *oob, uint32_t oob_size,
		  const struct gdma_sge *sgl, uint32_t num_sge)
{
	uint32_t ring_size = ring_mask + 1;
	uint32_t off = (head_bu * GDMA_WQE_BU_SIZE) & ring_mask;
	uint32_t sgl_off = off + gdma_wqe_sgl_offset(oob_size);
	uint32_t sgl_bytes = num_sge * (uint32_t)sizeof(struct gdma_sge);
	uint8_t *p = ring + off;

	memcpy(p, hdr, sizeof(*hdr));
	if (oob != NULL)
		memcpy(p + sizeof(*hdr), oob, oob_size);
	else
		memset(p + sizeof(*hdr), 0, oob_size);

	if (sgl_off >= ring_size) {
		/* header + OOB end exactly at the ring end */
		memcpy(ring, sgl, sgl_bytes);
	} else if (sgl_off + sgl_bytes <= ring_size) {
		memcpy(ring + sgl_off, sgl, sgl_bytes);
	} else {
		uint32_t first = ring_size - sgl_off;

		memcpy(ring + sgl_off, sgl, first);
		memcpy(ring, (const uint8_t *)sgl + first, sgl_bytes - first);
	}
	return gdma_wqe_size_bu(oob_size, num_sge);
}

/** Outcome of looking at the CQE slot at the consumer head. */
enum gdma_cq_poll {
	GDMA_CQ_EMPTY = 0,	/**< nothing new */
	GDMA_CQ_VALID = 1,	/**< a new CQE; head may advance */
	GDMA_CQ_OVERFLOW = -1,	/**< the device lapped the consumer */
};

/**
 * Look at the CQE at consumer @p head of a CQ of depth 1 << @p log2_depth.
 * On GDMA_CQ_VALID, *@p cqe points at the entry and a read barrier has been
 * issued after the owner bits were read, so the rest may be read.
 */
static inline enum gdma_cq_poll
gdma_cq_poll(const struct gdma_cqe *ring, uint32_t log2_depth, uint32_t head,
	     const struct gdma_cqe **cqe)
{
	const struct gdma_cqe *e = &ring[head & ((1u << log2_depth) - 1)];
	uint32_t expected = (head >> log2_depth) & GDMA_CQE_OWNER_MASK;
	uint32_t previous = (expected - 1) & GDMA_CQE_OWNER_MASK;
	uint32_t info = __atomic_load_n(&e->cqe_info, __ATOMIC_ACQUIRE);
	uint32_t owner = info >> GDMA_CQE_OWNER_BITS_SHIFT;

	if (owner == previous)
		return GDMA_CQ_EMPTY;
	if (owner != expected)
		return GDMA_CQ_OVERFLOW;
	rte_io_rmb();
	*cqe = e;
	return GDMA_CQ_VALID;
}

/* Owner bits of the CQ slot for consumer @p head. */
static inline uint32_t
gdma_cq_slot_owner(const struct gdma_cqe *ring, uint32_t log2_depth, uint32_t head)
{
	const struct gdma_cqe *e = &ring[head & ((1u << log2_depth) - 1)];

	return __atomic_load_n(&e->cqe_info, __ATOMIC_ACQUIRE) >> GDMA_CQE_OWNER_BITS_SHIFT;
}

/*
 * After gdma_cq_poll() returned GDMA_CQ_OVERFLOW at @p head: where the
 * consumer resumes. The owner bits at @p head are neither this lap's nor
 * the previous lap's. If the next slot is not written yet, or holds its
 * own lap's bits while @p head's are more than one lap ahead, the device
 * has not lapped the consumer (a device that had would have written the
 * next slot in a later lap too, and @p head exactly one lap on): the one
 * entry at @p head carries wrong owner bits, and the consumer takes it as
 * this lap's CQE, whose fields it checks like any other's (returns
 * @p head). Otherwise the device did lap it: the oldest CQE still in the
 * ring is the one after the last written, found where the owner bits step
 * back a lap; returns its head (later than @p head: the entries in
 * between are lost).
 */
static inline uint32_t
gdma_cq_resync(const struct gdma_cqe *ring, uint32_t log2_depth, uint32_t head)
{
	const uint32_t depth = 1u << log2_depth;
	uint32_t expected = (head >> log2_depth) & GDMA_CQE_OWNER_MASK;
	uint32_t owner = gdma_cq_slot_owner(ring, log2_depth, head);
	uint32_t laps = (owner - expected) & GDMA_CQE_OWNER_MASK;
	uint32_t next = gdma_cq_slot_owner(ring, log2_depth, head + 1);
	uint32_t next_expected = ((head + 1) >> log2_depth) & GDMA_CQE_OWNER_MASK;
	uint32_t i;

	if (next == ((next_expected - 1) & GDMA_CQE_OWNER_MASK) ||
	    (laps != 1 && next == next_expected))
		return head;
	/* as far ahead of each slot's lap as of @p head's: the last lap's writes */
	for (i = 1; i < depth; i++) {
		uint32_t exp_i = ((head + i) >> log2_depth) & GDMA_CQE_OWNER_MASK;

		if (((gdma_cq_slot_owner(ring, log2_depth, head + i) - exp_i) &
		     GDMA_CQE_OWNER_MASK) != laps)
			break;
	}
	/* slot head + i holds the oldest CQE left, laps - 1 laps on */
	return head + i + (laps - 1) * depth;
}

/*
 * Take the entry at @p head, whose owner bits gdma_cq_resync() found wrong,
 * as this lap's CQE: its owner bits are set to this lap's, so that the
 * next lap finds it consumed until the device writes it again.
 */
static inline const struct gdma_cqe *
gdma_cq_take(struct gdma_cqe *ring, uint32_t log2_depth, uint32_t head)
{
	struct gdma_cqe *e = &ring[head & ((1u << log2_depth) - 1)];
	uint32_t expected = (head >> log2_depth) & GDMA_CQE_OWNER_MASK;
	uint32_t info = __atomic_load_n(&e->cqe_info, __ATOMIC_ACQUIRE);

	info &= ~(GDMA_CQE_OWNER_MASK << GDMA_CQE_OWNER_BITS_SHIFT);
	__atomic_store_n(&e->cqe_info, info | (expected << GDMA_CQE_OWNER_BITS_SHIFT),
			 __ATOMIC_RELAXED);
	rte_io_rmb();
	return e;
}

/** Owner bits the device writes into its @p k-th CQE (k from 0). */
static inline uint32_t
gdma_cqe_owner_for(uint64_t k, uint32_t depth)
{
	return (uint32_t)((k / depth) + 1) & GDMA_CQE_OWNER_MASK;
}

/**
 * Ring a 64-bit doorbell: make every earlier store to queue memory visible,
 * then one aligned 64-bit store to the doorbell register.
 */
static inline void
gdma_ring_doorbell(void *db_page, uint32_t offset, uint64_t value)
{
	rte_wmb();
	rte_write64_relaxed(value, (volatile uint8_t *)db_page + offset);
}

#ifdef __cplusplus
}
#endif

#endif /* MANA_GDMA_RING_H */
