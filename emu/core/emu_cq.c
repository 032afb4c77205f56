/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * mana-emu completion queues: CQE writes with owner bits, CQ doorbells,
 * consumer tracking, overflow and 8-wrap checks, arm and events.
 */

#include <inttypes.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "emu_priv.h"

/*
 * Consumer tracking. The driver's CQ head starts at N and the doorbell
 * carries it modulo 8N (spec §6.2). The core keeps the consumer as a 64-bit
 * count c of CQEs consumed (head = c + N); on each doorbell it takes the
 * largest c not beyond the producer that matches the reported value.
 *
 * Overflow: there is no device-visible consumer between doorbells, so the
 * device cannot stall the way hardware might; it always writes (laps) and
 * reports an overflow only when it is certain: a doorbell reporting consumer
 * c while the producer has written k > c + N CQEs means more than N
 * unconsumed entries existed, so some were overwritten before being read.
 * The 8-wrap rule is checked on every write: k - c >= 8N -> cq_db_missed
 * (reported once until the next CQ doorbell).
 */

static void
emu_cq_event(struct emu_wq *wq)
{
	struct emu_cq *cq = &wq->cq;

	cq->armed = false;
	wq->st.events++;
	if (cq->ev_cb != NULL)
		cq->ev_cb(cq->ev_arg, cq->id);
	if (cq->ev_fd >= 0) {
		uint64_t one = 1;
		ssize_t r = write(cq->ev_fd, &one, sizeof(one));

		(void)r;
	}
}

static void
emu_cq_trace(struct emu_dev *dev, const struct emu_wq *wq, uint32_t slot,
	     const uint32_t *d, uint32_t info)
{
	char b1[512], b2[128];
	uint32_t full[16];

	memcpy(full, d, GDMA_COMP_DATA_SIZE);
	full[GDMA_CQE_INFO_DW] = info;

	if (wq->type == EMU_WQ_SQ)
		mana_fmt_decode(b1, sizeof(b1), mana_tx_comp_oob_fields,
				MANA_FIELDS_N(mana_tx_comp_oob_fields), d, 0);
	else
		mana_fmt_decode(b1, sizeof(b1), mana_rxcomp_oob_fields,
				MANA_FIELDS_N(mana_rxcomp_oob_fields), d, 0);
	mana_fmt_decode(b2, sizeof(b2), gdma_cqe_info_fields,
			MANA_FIELDS_N(gdma_cqe_info_fields),
			full, 1);
	if (wq->type == EMU_WQ_RQ)
		emu_trace(dev, "CQE cq %#x slot %u: %s ppi0 len=%u hash=%#x %s",
			  wq->cq.id, slot, b1, d[2] & 0xFFFF, d[4], b2);
	else
		emu_trace(dev, "CQE cq %#x slot %u: %s %s", wq->cq.id, slot, b1, b2);
}

/*
 * RX: one packet more in @p d than the WQEs consumed, a copy of the last.
 * False when the CQE has no room (or is not a packet CQE).
 */
static bool
emu_cq_overcount(uint32_t d[15])
{
	uint32_t type = MANA_GET(d, MANA_CQE_HDR_CQE_TYPE), i;

	if (type == CQE_RX_OKAY || type == CQE_RX_COALESCED_4) {
		for (i = 1; i < MANA_RXCOMP_OOB_NUM_PPI; i++)
			if (MANA_GET(&d[2 + 3 * i], MANA_PPI_PKT_LEN) == 0)
				break;
		if (i == MANA_RXCOMP_OOB_NUM_PPI)
			return false;
		d[2 + 3 * i] = d[2 + 3 * (i - 1)];
		d[2 + 3 * i + 2] = d[2 + 3 * (i - 1) + 2];
		MANA_SET(d, MANA_CQE_HDR_CQE_TYPE, CQE_RX_COALESCED_4);
		return true;
	}
	if (type == CQE_RX_COALESCED_8) {
		struct mana_rxcomp_perpkt_info_v2 v;

		for (i = 0; i < MANA_RXCOMP_OOB_NUM_PPI; i++) {
			memcpy(&v, &d[2 + 3 * i], sizeof(v));
			if (v.pkt_len0 == 0 || v.pkt_len1 == 0)
				break;
		}
		if (i == MANA_RXCOMP_OOB_NUM_PPI || (i == 0 && v.pkt_len0 == 0))
			return false;
		if (v.pkt_len0 == 0) {
			struct mana_rxcomp_perpkt_info_v2 prev;

			memcpy(&prev, &d[2 + 3 * (i - 1)], sizeof(prev));
			v.pkt_len0 = prev.pkt_len1;
			v.pkt_hash0 = prev.pkt_hash1;
		} else {
			v.pkt_len1 = v.pkt_len0;
			v.pkt_hash1 = v.pkt_hash0;
		}
		memcpy(&d[2 + 3 * i], &v, sizeof(v));
		return true;
	}
	return false;
}

/*
 * emu_fault_forge_cqe(): lie in the CQE about to be written (@p d, @p
 * info). Returns false when the CQE is lost (not written).
 */
static bool
emu_cq_forge(struct emu_dev *dev, struct emu_wq *wq, uint32_t d[15], uint32_t *info)
{
	uint32_t type = wq->type == EMU_WQ_SQ ? EMU_FORGE_SQ : EMU_FORGE_RQ;
	uint32_t owner;

	if (dev->forge_count == 0 || !(dev->forge_types & type))
		return true;
	switch (dev->forge_kind) {
	case EMU_FORGE_WQ_NUM:
		*info = (*info & ~(MANA_MASK(GDMA_CQE_WQ_NUM) << GDMA_CQE_WQ_NUM_SHIFT)) |
			MANA_VAL(GDMA_CQE_WQ_NUM, wq->id ^ 0x5A5u);
		break;
	case EMU_FORGE_WQE_OFFSET:
		if (wq->type == EMU_WQ_SQ)
			MANA_SET(d, MANA_TXCOMP_TX_WQE_OFFSET,
				 MANA_GET(d, MANA_TXCOMP_TX_WQE_OFFSET) ^ 0x4000000u);
		else
			d[14] ^= 0x80000000u;
		break;
	case EMU_FORGE_OVERCOUNT:
		if (wq->type == EMU_WQ_SQ || !emu_cq_overcount(d))
			return true;	/* not this one */
		break;
	case EMU_FORGE_OWNER:
		owner = ((*info >> GDMA_CQE_OWNER_BITS_SHIFT) + 2) & GDMA_CQE_OWNER_MASK;
		*info = (*info & ~(GDMA_CQE_OWNER_MASK << GDMA_CQE_OWNER_BITS_SHIFT)) |
			(owner << GDMA_CQE_OWNER_BITS_SHIFT);
		break;
	case EMU_FORGE_LOST:
		dev->forge_count--;
		dev->forged++;
		if (dev->trace)
			emu_trace(dev, "CQE of WQ %#x forged: lost", wq->id);
		return false;
	default:
		return true;
	}
	dev->forge_count--;
	dev->forged++;
	if (dev->trace)
		emu_trace(dev, "CQE of WQ %#x forged: kind %u", wq->id, dev->forge_kind);
	return true;
}

void
emu_cq_write(struct emu_dev *dev, struct emu_wq *wq, const uint32_t data[15])
{
	struct emu_cq *cq = &wq->cq;
	uint64_t k = cq->k;
	uint32_t slot = (uint32_t)(k % cq->depth);
	struct gdma_cqe *e = (struct gdma_cqe *)(cq->buf + (size_t)slot * GDMA_CQE_SIZE);
	uint32_t owner = (uint32_t)((k / cq->depth) + 1) & GDMA_CQE_OWNER_MASK;
	uint32_t info;
	uint32_t g[15];

	if (k - cq->consumer >= (uint64_t)MANA_CQ_DB_WRAPS_MAX * cq->depth &&
	    !cq->missed_reported) {
		cq->missed_reported = true;
		emu_violation(dev, EMU_VIOL_CQ_DB_MISSED, cq->id, slot,
			      "CQ doorbell not rung for %u wraps (%" PRIu64
			      " CQEs written, consumer reported %" PRIu64 ")",
			      MANA_CQ_DB_WRAPS_MAX, k, cq->consumer);
	}
	if (cq->garbage) {
		uint32_t i;

		for (i = 0; i < 15; i++)
			g[i] = (uint32_t)emu_rand(dev);
		data = g;
	}
	info = MANA_VAL(GDMA_CQE_WQ_NUM, wq->id) |
	       MANA_VAL(GDMA_CQE_IS_SQ, wq->type == EMU_WQ_SQ) |
	       MANA_VAL(GDMA_CQE_OWNER_BITS, owner);
	if (dev->forge_count != 0) {
		if (data != g)
			memcpy(g, data, sizeof(g));
		data = g;
		if (!emu_cq_forge(dev, wq, g, &info))
			return;
	}
	memcpy(e->cqe_data, data, GDMA_COMP_DATA_SIZE);
	/* bytes 0..59 first, then the owner dword */
	__atomic_store_n(&e->cqe_info, info, __ATOMIC_RELEASE);
	cq->k = k + 1;
	wq->st.cqes++;
	if (dev->trace)
		emu_cq_trace(dev, wq, slot, data, info);
	if (cq->armed)
		emu_cq_event(wq);
}

void
emu_cq_doorbell(struct emu_dev *dev, struct emu_wq *wq, uint64_t value)
{
	struct emu_cq *cq = &wq->cq;
	uint64_t n = cq->depth, m = 8 * n;
	uint64_t tail = (value >> 32) & 0x7FFFFFFFu;
	bool arm = (value >> 63) & 1;
	uint64_t c;

	wq->st.cq_doorbells++;
	if (dev->trace)
		emu_trace(dev, "CQ doorbell cq %#x tail_ptr %" PRIu64 " arm %d (written %"
			  PRIu64 ")", cq->id, tail, arm, cq->k);
	if (tail >= m) {
		emu_violation(dev, EMU_VIOL_CQ_DB_BAD_TAIL, cq->id, (uint32_t)tail,
			      "CQ doorbell tail_ptr %" PRIu64 " >= 8 * depth %" PRIu64,
			      tail, m);
	} else {
		/*
		 * The consumer is known modulo 8N only: take the largest value
		 * not beyond the producer. It is the true one unless the driver
		 * is 8N or more behind, which is the cq_db_missed violation.
		 */
		uint64_t d = (cq->k + n + m - tail) % m;

		c = cq->k - d;
		if (d > cq->k) {
			emu_violation(dev, EMU_VIOL_CQ_DB_BAD_TAIL, cq->id, (uint32_t)tail,
				      "CQ doorbell tail_ptr %" PRIu64 " reports a consumer beyond the %"
				      PRIu64 " CQEs written", tail, cq->k);
		} else if (c < cq->consumer) {
			emu_violation(dev, EMU_VIOL_CQ_DB_BAD_TAIL, cq->id, (uint32_t)tail,
				      "CQ doorbell moves the consumer back from %" PRIu64
				      " to %" PRIu64 " (%" PRIu64 " CQEs written)",
				      cq->consumer, c, cq->k);
		} else {
			if (cq->k - c > n) {
				wq->st.cq_overflows++;
				emu_violation(dev, EMU_VIOL_CQ_OVERFLOW, cq->id, (uint32_t)tail,
					      "%" PRIu64 " CQEs outstanding in a CQ of depth %" PRIu64,
					      cq->k - c, n);
			}
			cq->consumer = c;
			cq->missed_reported = false;
		}
	}
	if (arm) {
		wq->st.cq_arms++;
		cq->armed = true;
		/*
		 * CQEs the driver has not consumed yet fire the event at once:
		 * otherwise a CQE written between the driver's last poll and
		 * its arm would never wake it (the lost-wakeup race NAPI-style
		 * consumers rely on the device to close).
		 */
		if (cq->consumer < cq->k)
			emu_cq_event(wq);
	}
}
