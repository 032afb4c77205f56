/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * TX data path: completion reaping with CQE suppression, WQE building
 * (OOB offloads, SGL per segment, TSO, VLAN insertion), doorbells, and
 * tx_prepare.
 */

#include <rte_alarm.h>
#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_net.h>

#include "mana.h"
#include "gdma_ring.h"

/*
 * Nothing here calls into rdma-core, takes a lock or divides. tx_burst
 * accepts a prefix of the packets: a packet it cannot take (ring full,
 * memory not registered, too many segments) stays with the caller.
 */

#define TX_FREE_BATCH	64
#define TX_WQE_OFFSET_MASK	MANA_MASK(MANA_TXCOMP_TX_WQE_OFFSET)

static __rte_always_inline void
tx_cq_doorbell(struct mana_txq *txq)
{
	uint32_t tail = txq->cq_head & (txq->nb_desc * 8u - 1);

	gdma_ring_doorbell(txq->db_page, DOORBELL_OFFSET_CQ,
			   (uint64_t)(txq->cq_id & GDMA_QUEUE_ID_MASK) |
			   ((uint64_t)(tail & 0x7FFFFFFFu) << 32));
	txq->cq_unreported = 0;
	txq->stats.cq_doorbells++;
}

/* How much tx_free_range() has to check of each mbuf. */
enum tx_free_mode {
	TX_FREE_ANY,		/* general path in the range: check everything */
	TX_FREE_FAST_RANGE,	/* fast path only: direct, single segment, one pool */
	TX_FREE_FAST_FREE,	/* ...and MBUF_FAST_FREE: one pool, refcnt 1 */
};

/*
 * Free the transmitted mbufs of descriptors [from, to). The common case,
 * a direct single-segment mbuf holding the only reference, from the same
 * pool as the first one, goes back to its pool in bulk without being
 * written: it is already in the state a pool object must be in (refcnt 1,
 * nb_segs 1, next NULL). A range the fast path posted alone is known to be
 * direct single-segment mbufs of one pool (the TX fast path tested it, and
 * a sent mbuf is the driver's); with RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE the application
 * also guarantees one pool and refcnt 1. Anything else takes
 * rte_pktmbuf_free().
 */
static __rte_always_inline void
tx_free_range(struct mana_txq *txq, uint32_t from, uint32_t to,
	      enum tx_free_mode mode)
{
	void *batch[TX_FREE_BATCH];
	struct rte_mbuf *slow[TX_FREE_BATCH];
	struct mana_tx_desc *const desc = txq->desc;
	const uint32_t mask = txq->desc_mask;
	struct rte_mempool *pool = desc[from & mask].m->pool;
	struct rte_mempool_cache *cache = rte_mempool_default_cache(pool, rte_lcore_id());

	while (from != to) {
		uint32_t idx = from & mask;
		uint32_t span = RTE_MIN(to - from, txq->nb_desc - idx);
		const struct mana_tx_desc *d, *end;
		void **objs = batch;
		uint32_t nb = 0, ns = 0, j;

		span = RTE_MIN(span, (uint32_t)TX_FREE_BATCH);
		d = &desc[idx];
		end = d + span;
		from += span;
		/*
		 * Straight into the lcore's mempool cache when it has room,
		 * as rte_mempool_put_bulk() would copy them there.
		 */
		if (cache != NULL && cache->len + span <= cache->flushthresh)
			objs = &cache->objs[cache->len];
		for (; d != end; d++) {
			struct rte_mbuf *m = d->m;
			bool simple;

			if (mode == TX_FREE_FAST_FREE) {
				simple = true;
			} else if (mode == TX_FREE_FAST_RANGE) {
				simple = rte_mbuf_refcnt_read(m) == 1 && m->next == NULL;
			} else {
				uint32_t refs_segs;

				/* refcnt and nb_segs are adjacent: both 1 */
				memcpy(&refs_segs, &m->refcnt, sizeof(refs_segs));
				simple = refs_segs == (1u | (1u << 16)) &&
					 RTE_MBUF_DIRECT(m) && m->next == NULL &&
					 m->pool == pool;
			}
			if (likely(simple))
				objs[nb++] = m;
			else
				slow[ns++] = m;
		}
		if (objs != batch)
			cache->len += nb;
		else if (nb != 0)
			rte_mempool_put_bulk(pool, batch, nb);
		/* after the cache is consistent again: these may go there too */
		for (j = 0; j < ns; j++)
			rte_pktmbuf_free(slow[j]);
	}
}

/* Reclaim a range that the general path posted to: slow, all cases. */
static __rte_noinline void
tx_free_general(struct mana_txq *txq, uint32_t from, uint32_t to)
{
	uint32_t i;

	/* back to the fast path's implicit one BU */
	for (i = from; i != to; i++)
		txq->desc[i & txq->desc_mask].wqe_bu_extra = 0;
	tx_free_range(txq, from, to, TX_FREE_ANY);
}

/* Free [from, to) the way the range was posted. */
static __rte_always_inline void
tx_free_any(struct mana_txq *txq, uint32_t from, uint32_t to, bool general, bool fast_free)
{
	if (unlikely(general))
		tx_free_general(txq, from, to);
	else if (fast_free)
		tx_free_range(txq, from, to, TX_FREE_FAST_FREE);
	else
		tx_free_range(txq, from, to, TX_FREE_FAST_RANGE);
}

/* An error CQE's own WQE was dropped: not transmitted after all. */
static __rte_noinline void
tx_unsent(struct mana_txq *txq, const struct rte_mbuf *m)
{
	/* saturating: the counters may have been reset since the burst */
	if (txq->stats.packets != 0)
		txq->stats.packets--;
	txq->stats.bytes -= RTE_MIN(txq->stats.bytes, (uint64_t)m->pkt_len);
}

/*
 * A CQE that is not for the last WQE of the oldest range. Completions are
 * in order (spec §4.4, §5.6): a CQE for an outstanding WQE completes it and
 * everything before it, across ranges (the CQEs of earlier ranges were
 * lost), or part of a range (an error in a suppressed WQE brings its own
 * CQE). A tx_wqe_offset naming no outstanding WQE is counted; the CQE then
 * stands for the oldest range, the one that asked for a CQE, so that a
 * corrupt offset costs no ring space. Returns the descriptors freed.
 */
static __rte_noinline uint32_t
tx_reap_walk(struct mana_txq *txq, uint32_t wqe_off, uint32_t type, bool fast_free)
{
	struct mana_tx_desc *const desc = txq->desc;
	const uint32_t mask = txq->desc_mask;
	uint32_t desc_tail = txq->desc_tail, sq_tail = txq->sq_tail, freed = 0;
	bool in_window, done = false;

	in_window = ((wqe_off - sq_tail) & TX_WQE_OFFSET_MASK) < txq->sq_head - sq_tail;
	if (!in_window)
		txq->stats.bad_wqe_offset++;
	while (!done && desc_tail != txq->desc_head) {
		uint32_t from = desc_tail, range_end = desc[desc_tail & mask].range_end;
		bool general = desc[desc_tail & mask].range_general != 0;

		do {
			const struct mana_tx_desc *d = &desc[desc_tail & mask];

			done = in_window && (sq_tail & TX_WQE_OFFSET_MASK) == wqe_off;
			desc_tail++;
			sq_tail += d->wqe_bu_extra + 1;
		} while (!done && desc_tail != range_end);
		done |= !in_window;
		if (desc_tail != range_end) {
			desc[desc_tail & mask].range_end = range_end;
			desc[desc_tail & mask].range_general = general;
		}
		if (done && type != CQE_TX_OKAY)
			tx_unsent(txq, desc[(desc_tail - 1) & mask].m);
		freed += desc_tail - from;
		tx_free_any(txq, from, desc_tail, general, fast_free);
	}
	txq->desc_tail = desc_tail;
	txq->sq_tail = sq_tail;
	return freed;
}

uint32_t
mana_tx_reap(struct mana_txq *txq, uint32_t budget)
{
	struct mana_tx_desc *const desc = txq->desc;
	const uint32_t desc_mask = txq->desc_mask;
	const uint32_t desc_head = txq->desc_head;
	const bool fast_free = (txq->conf.offloads & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE) != 0;
	bool general;
	uint32_t desc_tail = txq->desc_tail, sq_tail = txq->sq_tail;
	uint32_t cq_head = txq->cq_head, freed = 0, consumed = 0;

	while (freed < budget) {
		const struct gdma_cqe *cqe;
		const struct mana_tx_comp_oob *oob;
		const struct mana_tx_desc *last;
		enum gdma_cq_poll r;
		uint32_t type, wqe_off, range_end, from;

		r = gdma_cq_poll(txq->cq_buf, txq->cq_log2, cq_head, &cqe);
		if (unlikely(r != GDMA_CQ_VALID)) {
			uint32_t h;

			if (r == GDMA_CQ_EMPTY)
				break;
			/* wrong owner bits: resume where the device is */
			txq->stats.cq_overflow++;
			txq->stats.resyncs++;
			h = gdma_cq_resync(txq->cq_buf, txq->cq_log2, cq_head);
			if (h != cq_head) {
				consumed += h - cq_head;
				cq_head = h;
				continue;
			}
			cqe = gdma_cq_take(txq->cq_buf, txq->cq_log2, cq_head);
		}
		cq_head++;
		consumed++;
		if (unlikely(MANA_GET(cqe, GDMA_CQE_IS_SQ) != 1 ||
			     MANA_GET(cqe, GDMA_CQE_WQ_NUM) != txq->sq_id)) {
			txq->stats.unknown_cqe++;
			continue;
		}
		oob = (const struct mana_tx_comp_oob *)cqe->cqe_data;
		type = MANA_GET(&oob->cqe_hdr, MANA_CQE_HDR_CQE_TYPE);
		if (unlikely(type != CQE_TX_OKAY)) {
			txq->stats.errors++;
			if (type > MANA_CQE_TX_FIRST && type <= MANA_CQE_TX_LAST)
				txq->stats.err_cqe[type - MANA_CQE_TX_FIRST]++;
			else
				txq->stats.unknown_cqe++;
			TX_LOG(DEBUG, "txq %u: CQE type %u", txq->queue_id, type);
		}
		if (unlikely(desc_head == desc_tail)) {
			txq->stats.spurious_cqe++;
			continue;
		}
		/*
		 * spec §4.4: a CQE completes its WQE and every suppressed one
		 * before it. The common case, a CQE for the last WQE of the
		 * oldest range, reclaims that range at once; anything else
		 * takes the walk.
		 */
		wqe_off = MANA_GET(oob, MANA_TXCOMP_TX_WQE_OFFSET);
		range_end = desc[desc_tail & desc_mask].range_end;
		last = &desc[(range_end - 1) & desc_mask];
		if (unlikely((last->wqe_start & TX_WQE_OFFSET_MASK) != wqe_off)) {
			txq->desc_tail = desc_tail;
			txq->sq_tail = sq_tail;
			freed += tx_reap_walk(txq, wqe_off, type, fast_free);
			desc_tail = txq->desc_tail;
			sq_tail = txq->sq_tail;
			continue;
		}
		from = desc_tail;
		general = desc[desc_tail & desc_mask].range_general != 0;
		desc_tail = range_end;
		sq_tail = last->wqe_start + last->wqe_bu_extra + 1;
		if (unlikely(type != CQE_TX_OKAY))
			tx_unsent(txq, last->m);
		freed += desc_tail - from;
		tx_free_any(txq, from, desc_tail, general, fast_free);
	}
	txq->desc_tail = desc_tail;
	txq->sq_tail = sq_tail;
	txq->cq_head = cq_head;
	if (consumed != 0) {
		/*
		 * Report consumption before posting more WQEs, every time:
		 * the device then never sees more than N unreported CQEs
		 * (spec §6.4 needs one ring per 4 wraps at least; Linux also
		 * rings once per poll).
		 */
		txq->cq_unreported += consumed;
		tx_cq_doorbell(txq);
	}
	return freed;
}

/* lkey of a direct mbuf's data when its pool is not the cached one. */
static __rte_noinline bool
tx_lkey_slow(struct mana_txq *txq, const struct mana_mr_table *t,
	     struct rte_mbuf *m, uintptr_t addr, uint32_t len, uint32_t *lkey)
{
	if (mana_mr_pool_lkey(txq->mr_table, &txq->mr_cache, t, m->pool, lkey))
		return true;
	return mana_mr_lkey(txq->mr_table, &txq->mr_cache, addr, len, lkey);
}

/* Packets the fast path can post from here: descriptors and one BU each. */
static __rte_always_inline uint32_t
tx_room(const struct mana_txq *txq, uint32_t sq_head, uint32_t desc_head)
{
	uint32_t descs = txq->nb_desc - (desc_head - txq->desc_tail);
	uint32_t bus = txq->sq_size / GDMA_WQE_BU_SIZE - (sq_head - txq->sq_tail);

	return RTE_MIN(descs, bus);
}

/* tx_post_general(): the packet breaks the device contract, drop it. */
#define TX_POST_DROP	UINT32_MAX

/*
 * Post one packet the general way: several segments, offloads, the long
 * OOB. Returns its size in BUs, 0 if it cannot be posted now (the burst
 * stops there: ring full, memory not registered), TX_POST_DROP if no WQE
 * may describe it (mana_tx_check(): the burst drops and counts it).
 */
static __rte_noinline uint32_t
tx_post_general(struct mana_txq *txq, struct rte_mbuf *m, uint32_t sq_head)
{
	uint64_t ol = m->ol_flags;
	struct gdma_sge sgl[MANA_TX_MAX_SGE];
	struct mana_tx_oob oob;
	struct gdma_wqe hdr;
	struct rte_mbuf *seg;
	uint32_t oob_size, nsge = 0, bu, data_unit = 0, hlen = 0;
	bool lng, tso = false;

	if (unlikely(mana_tx_check(m) != 0))
		return TX_POST_DROP;
	lng = txq->long_vp_offset != 0 || (ol & RTE_MBUF_F_TX_VLAN);
	oob_size = lng ? INLINE_OOB_LARGE_SIZE : INLINE_OOB_SMALL_SIZE;
	oob.dw[0] = txq->oob_dw0 | MANA_VAL(MANA_TX_OOB_SUPRESS_TXCQE_GEN, 1);
	oob.dw[1] = txq->oob_dw1;
	if (lng) {
		oob.dw[0] |= MANA_VAL(MANA_TX_OOB_PKT_FMT, MANA_LONG_PKT_FMT);
		oob.dw[2] = 0;
		oob.dw[3] = MANA_VAL(MANA_TX_OOB_LONG_VP_OFFSET, txq->long_vp_offset);
		oob.dw[4] = 0;
		oob.dw[5] = 0;
		if (ol & RTE_MBUF_F_TX_VLAN) {
			uint16_t tci = m->vlan_tci;

			oob.dw[2] = MANA_VAL(MANA_TX_OOB_INJECT_VLAN_PRI_TAG, 1) |
				    MANA_VAL(MANA_TX_OOB_PCP, tci >> 13) |
				    MANA_VAL(MANA_TX_OOB_DEI, (tci >> 12) & 1) |
				    MANA_VAL(MANA_TX_OOB_VLAN_ID, tci & 0xFFF);
		}
	}
	if (ol & (RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK |
		  RTE_MBUF_F_TX_TCP_SEG)) {
		if (ol & RTE_MBUF_F_TX_IPV4)
			oob.dw[0] |= MANA_VAL(MANA_TX_OOB_IS_OUTER_IPV4, 1);
		else if (ol & RTE_MBUF_F_TX_IPV6)
			oob.dw[0] |= MANA_VAL(MANA_TX_OOB_IS_OUTER_IPV6, 1);
		if (ol & RTE_MBUF_F_TX_IP_CKSUM)
			oob.dw[0] |= MANA_VAL(MANA_TX_OOB_COMP_IPHDR_CSUM, 1);
		if (ol & RTE_MBUF_F_TX_TCP_SEG) {
			tso = true;
			hlen = m->l2_len + m->l3_len + m->l4_len;
			data_unit = m->tso_segsz;
			if (ol & RTE_MBUF_F_TX_IPV4)
				oob.dw[0] |= MANA_VAL(MANA_TX_OOB_COMP_IPHDR_CSUM, 1);
			oob.dw[0] |= MANA_VAL(MANA_TX_OOB_COMP_TCP_CSUM, 1);
			oob.dw[1] |= MANA_VAL(MANA_TX_OOB_TRANS_OFF,
					      m->l2_len + m->l3_len);
		} else if ((ol & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_TCP_CKSUM) {
			oob.dw[0] |= MANA_VAL(MANA_TX_OOB_COMP_TCP_CSUM, 1);
			oob.dw[1] |= MANA_VAL(MANA_TX_OOB_TRANS_OFF,
					      m->l2_len + m->l3_len);
		} else if ((ol & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_UDP_CKSUM) {
			/* both reference drivers leave trans_off 0 for UDP */
			oob.dw[0] |= MANA_VAL(MANA_TX_OOB_COMP_UDP_CSUM, 1);
		}
	}

	/* SGL: one SGE per non-empty segment; TSO headers alone in SGE 0 */
	for (seg = m; seg != NULL; seg = seg->next) {
		uintptr_t addr = rte_pktmbuf_mtod(seg, uintptr_t);
		uint32_t len = seg->data_len;
		uint32_t lkey;

		if (unlikely(len == 0))
			continue;
		if (unlikely(!mana_mr_lkey(txq->mr_table, &txq->mr_cache,
					   addr, len, &lkey))) {
			txq->stats.mr_miss++;
			return 0;
		}
		if (tso && seg == m) {
			sgl[nsge].address = addr;
			sgl[nsge].mem_key = lkey;
			sgl[nsge++].size = hlen;
			addr += hlen;
			len -= hlen;
			if (len == 0)
				continue;
		}
		sgl[nsge].address = addr;
		sgl[nsge].mem_key = lkey;
		sgl[nsge++].size = len;
	}
	bu = gdma_wqe_size_bu(oob_size, nsge);
	if (unlikely(gdma_wq_free_bytes(txq->sq_size, sq_head,
					txq->sq_tail) < bu * GDMA_WQE_BU_SIZE)) {
		txq->stats.ring_full++;
		return 0;
	}
	hdr.dw[0] = tso ? MANA_VAL(GDMA_WQE_LAST_VBYTES, hlen) : 0;
	hdr.dw[1] = gdma_wqe_hdr_dw1(nsge, oob_size, data_unit, tso);
	gdma_wq_write_wqe(txq->sq_buf, txq->sq_mask, sq_head, &hdr, &oob,
			  oob_size, sgl, nsge);
	return bu;
}

/*
 * A burst that took nothing: if the ring is full and no completion came
 * for MANA_TX_STALL_MS, the CQEs that would free it were lost (a device
 * that lies or loses them): the queue is rebuilt from an alarm on the
 * interrupt thread, which frees what it held.
 */
static __rte_noinline void
tx_stall_check(struct mana_txq *txq)
{
	uint64_t now;

	if (tx_room(txq, txq->sq_head, txq->desc_head) != 0) {
		txq->stall_tsc = 0;
		return;
	}
	now = rte_get_timer_cycles();
	if (txq->stall_tsc == 0 || txq->stall_tail != txq->desc_tail) {
		txq->stall_tsc = now;
		txq->stall_tail = txq->desc_tail;
		return;
	}
	if (now - txq->stall_tsc < rte_get_timer_hz() * MANA_TX_STALL_MS / 1000 ||
	    txq->restart_pending)
		return;
	txq->stats.restarts++;
	txq->restart_pending = 1;
	TX_LOG(DEBUG, "txq %u: full for %u ms without a completion", txq->queue_id,
	       MANA_TX_STALL_MS);
	rte_eal_alarm_set(1, mana_tx_resync_alarm, txq);
}

uint16_t
mana_tx_burst(void *q, struct rte_mbuf **pkts, uint16_t n)
{
	struct mana_txq *txq = q;
	struct mana_tx_desc *const desc = txq->desc;
	const struct mana_mr_table *t;
	const struct rte_mempool *pool;
	uint32_t *last_oob;
	uint64_t bytes = 0, oob_word, hdr_word, fast_mask;
	uint32_t sq_head, desc_head, first, lim, pool_lkey, desc_mask, sq_mask;
	uint32_t general = 0, dropped = 0;
	uint8_t *sq_buf;
	uint16_t i;

	if (unlikely(txq->removed))
		return 0;
	/* see mana_mark_removed(): a removal waits for this flag to drop */
	__atomic_store_n(&txq->in_burst, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (unlikely(txq->removed)) {
		__atomic_store_n(&txq->in_burst, 0, __ATOMIC_RELEASE);
		return 0;
	}
	if (txq->desc_head != txq->desc_tail)
		mana_tx_reap(txq, UINT32_MAX);

	/*
	 * Everything the loop needs is in locals: stores into the ring would
	 * otherwise make the compiler reload queue fields. lim is how many
	 * packets fit if each takes one descriptor and one BU; the general
	 * path, whose WQEs are larger, recomputes it.
	 */
	sq_head = txq->sq_head;
	desc_head = txq->desc_head;
	first = desc_head;
	desc_mask = txq->desc_mask;
	sq_mask = txq->sq_mask;
	sq_buf = txq->sq_buf;
	lim = RTE_MIN((uint32_t)n, tx_room(txq, sq_head, desc_head));
	oob_word = (uint64_t)(txq->oob_dw0 | MANA_VAL(MANA_TX_OOB_SUPRESS_TXCQE_GEN, 1)) |
		   ((uint64_t)txq->oob_dw1 << 32);
	hdr_word = (uint64_t)gdma_wqe_hdr_dw1(1, INLINE_OOB_SMALL_SIZE, 0, false) << 32;
	/* the fast path: one direct segment, no offload, short OOB */
	fast_mask = txq->long_vp_offset != 0 ? UINT64_MAX :
		    MANA_TX_OFFLOAD_MASK | RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL;
	t = __atomic_load_n(txq->mr_table, __ATOMIC_ACQUIRE);
	pool = txq->mr_cache.pool_table == t ? txq->mr_cache.pool : NULL;
	pool_lkey = txq->mr_cache.pool_lkey;

	i = 0;
	while (i < lim) {
		/* a run of slots that wraps neither ring: no masking inside */
		uint32_t run = RTE_MIN(lim - i, txq->nb_desc - (desc_head & desc_mask));
		uint32_t sq_left = (sq_mask + 1 - ((sq_head * GDMA_WQE_BU_SIZE) & sq_mask)) /
				   GDMA_WQE_BU_SIZE;
		uint64_t *w = (uint64_t *)(sq_buf + ((sq_head * GDMA_WQE_BU_SIZE) & sq_mask));
		struct mana_tx_desc *d = &desc[desc_head & desc_mask];
		struct rte_mbuf **p = &pkts[i], **end;
		struct rte_mbuf *m;
		uint32_t bu, k;

		run = RTE_MIN(run, sq_left);
		end = p + run;
		for (; p != end; p++, w += 4, d++) {
			uint32_t len, lkey = pool_lkey;
			uintptr_t addr;

			m = *p;
			len = m->data_len;
			/* one direct segment of a whole header, no offload, short OOB */
			if (unlikely((m->ol_flags & fast_mask) || m->nb_segs != 1 ||
				     len < RTE_ETHER_HDR_LEN))
				break;
			addr = rte_pktmbuf_mtod(m, uintptr_t);
			if (unlikely(m->pool != pool)) {
				/* a range of several pools is reaped the general way */
				if (p != &pkts[i] || desc_head != first)
					general = 1;
				if (unlikely(!tx_lkey_slow(txq, t, m, addr, len, &lkey))) {
					txq->stats.mr_miss++;
					lim = 0;	/* stop after this run */
					break;
				}
				if (txq->mr_cache.pool == m->pool &&
				    txq->mr_cache.pool_table == t) {
					pool = m->pool;
					pool_lkey = lkey;
				}
			}
			/*
			 * The WQE is one BU: four 64-bit words, header, OOB,
			 * SGE address, SGE key and size.
			 */
			w[0] = hdr_word;
			w[1] = oob_word;
			w[2] = addr;
			w[3] = (uint64_t)lkey | ((uint64_t)len << 32);
			d->m = m;
			bytes += m->pkt_len;	/* as the reaper takes it back */
		}
		k = (uint32_t)(p - &pkts[i]);
		i += k;
		sq_head += k;
		desc_head += k;
		if (k == run || i >= lim)
			continue;
		/* pkts[i], and any general packets right after it, the general way */
		m = pkts[i];
		do {
			bu = tx_post_general(txq, m, sq_head);
			if (unlikely(bu == 0))
				goto done;
			if (unlikely(bu == TX_POST_DROP)) {
				/* taken and dropped: no WQE may describe it */
				rte_pktmbuf_free(m);
				txq->stats.bad_pkt_drops++;
				dropped++;
				i++;
				if (i >= lim)
					break;
				m = pkts[i];
				continue;
			}
			d = &desc[desc_head & desc_mask];
			d->m = m;
			d->wqe_bu_extra = bu - 1;
			general = 1;
			sq_head += bu;
			desc_head++;
			bytes += m->pkt_len;
			i++;
			lim = i + RTE_MIN((uint32_t)(n - i), tx_room(txq, sq_head, desc_head));
			if (i >= lim)
				break;
			m = pkts[i];
		} while ((m->ol_flags & fast_mask) || m->nb_segs != 1 ||
			 m->data_len < RTE_ETHER_HDR_LEN);
	}
done:
	if (i < n && lim != 0 && i == lim)
		txq->stats.ring_full++;
	if (unlikely(i == 0))
		tx_stall_check(txq);
	if (desc_head != first) {
		struct mana_tx_desc *last = &desc[(desc_head - 1) & desc_mask];
		uint32_t start = sq_head - last->wqe_bu_extra - 1;

		/* the last WQE of the burst asks for a CQE (spec §4.4) */
		last_oob = (uint32_t *)(sq_buf + ((start * GDMA_WQE_BU_SIZE) & sq_mask) +
					sizeof(struct gdma_wqe));
		*last_oob &= ~MANA_VAL(MANA_TX_OOB_SUPRESS_TXCQE_GEN, 1);
		last->wqe_start = start;
		desc[first & desc_mask].range_end = desc_head;
		desc[first & desc_mask].range_general = general;
		txq->sq_head = sq_head;
		txq->desc_head = desc_head;
		gdma_ring_doorbell(txq->db_page, DOORBELL_OFFSET_SQ,
				   gdma_db_sq_value(txq->sq_id, sq_head * GDMA_WQE_BU_SIZE));
		txq->stats.doorbells++;
		txq->stats.packets += i - dropped;
		txq->stats.bytes += bytes;
	}
	__atomic_store_n(&txq->in_burst, 0, __ATOMIC_RELEASE);
	return i;
}

/* Ethertype at @p off of the first segment, host order. */
static inline uint16_t
tx_be16(const struct rte_mbuf *m, uint32_t off)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *) + off;

	return (uint16_t)((p[0] << 8) | p[1]);
}

/*
 * What the device contract needs of a packet before a WQE describes it
 * (spec §4.3, §3.1): a chain whose segments, lengths and SGE count agree,
 * at least an Ethernet header, and offload flags that agree with each
 * other, with l2/l3/l4_len and with the headers, which are in the first
 * segment. 0 or the errno tx_prepare gives. The TX general path calls it
 * on every packet it posts, so that a packet tx_prepare never saw cannot
 * make a WQE the device forbids either.
 */
int
mana_tx_check(const struct rte_mbuf *m)
{
	const uint64_t ol = m->ol_flags;
	const uint64_t l4 = ol & RTE_MBUF_F_TX_L4_MASK;
	const bool tso = (ol & RTE_MBUF_F_TX_TCP_SEG) != 0;
	const bool v4 = (ol & RTE_MBUF_F_TX_IPV4) != 0, v6 = (ol & RTE_MBUF_F_TX_IPV6) != 0;
	const struct rte_mbuf *s;
	const uint8_t *ip;
	uint32_t n = 0, len = 0, sges = 0, l2 = m->l2_len, l3 = m->l3_len;
	uint32_t l4len = m->l4_len, min_l4, hlen, tcp_hl;
	uint8_t proto;

	for (s = m; s != NULL && n < m->nb_segs; s = s->next) {
		len += s->data_len;
		sges += s->data_len != 0;
		n++;
	}
	if (s != NULL || n != m->nb_segs || len != m->pkt_len || len < RTE_ETHER_HDR_LEN)
		return EINVAL;
	if (!(ol & (RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG)))
		return sges <= MANA_TX_MAX_SGE ? 0 : EINVAL;
	if (l4 == RTE_MBUF_F_TX_SCTP_CKSUM)
		return ENOTSUP;
	/* exactly one IP version; IP checksum on IPv4; TSO on TCP only */
	if (v4 == v6 || ((ol & RTE_MBUF_F_TX_IP_CKSUM) && !v4) ||
	    (tso && l4 != 0 && l4 != RTE_MBUF_F_TX_TCP_CKSUM))
		return EINVAL;
	if ((l2 != RTE_ETHER_HDR_LEN && l2 != RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN) ||
	    (v4 && (l3 < sizeof(struct rte_ipv4_hdr) || l3 > 60)) ||
	    (v6 && l3 != sizeof(struct rte_ipv6_hdr)))
		return EINVAL;
	min_l4 = tso || l4 == RTE_MBUF_F_TX_TCP_CKSUM ? 20 : l4 == RTE_MBUF_F_TX_UDP_CKSUM ? 8 : 0;
	if ((tso && l4len == 0) || (l4len != 0 && (l4len < min_l4 || l4len > 60 ||
	    (min_l4 == 8 && l4len != 8))))
		return EINVAL;
	hlen = l2 + l3 + (l4len != 0 ? l4len : min_l4);
	if (m->data_len < hlen)
		return EINVAL;	/* headers out of the first segment */
	if ((l2 > RTE_ETHER_HDR_LEN && tx_be16(m, 12) != RTE_ETHER_TYPE_VLAN) ||
	    tx_be16(m, l2 - 2) != (v4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6))
		return EINVAL;
	ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, l2);
	if (v4) {
		if (ip[0] >> 4 != 4 || (ip[0] & 0xF) * 4u != l3)
			return EINVAL;
		proto = ip[9];
		/* the device takes the L4 length from the IP header */
		if (!tso && min_l4 != 0 &&
		    (uint32_t)tx_be16(m, l2 + 2) > len - l2)
			return EINVAL;
	} else {
		if (ip[0] >> 4 != 6)
			return EINVAL;
		proto = ip[6];
		if (!tso && min_l4 != 0 &&
		    (uint32_t)tx_be16(m, l2 + 4) + l3 > len - l2)
			return EINVAL;
	}
	if (min_l4 == 20) {
		if (proto != IPPROTO_TCP)
			return EINVAL;
		tcp_hl = (uint32_t)(ip[l3 + 12] >> 4) * 4u;
		if (tcp_hl < 20 || (l4len != 0 && tcp_hl != l4len))
			return EINVAL;
	} else if (min_l4 == 8 && proto != IPPROTO_UDP) {
		return EINVAL;
	}
	if (tso) {
		if (m->tso_segsz == 0 || m->tso_segsz > MANA_TSO_MAX_MSS ||
		    hlen > MANA_TSO_MAX_HDR || len <= hlen || len > MANA_TSO_MAX_SIZE)
			return EINVAL;
		if (m->data_len > hlen)
			sges++;	/* the first segment is split */
	}
	return sges <= MANA_TX_MAX_SGE ? 0 : EINVAL;
}

/* The queue offload that flags @p ol of a packet need, or 0. */
static uint64_t
tx_offloads_needed(const struct rte_mbuf *m)
{
	uint64_t ol = m->ol_flags, need = 0;

	if (ol & RTE_MBUF_F_TX_IP_CKSUM)
		need |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
	if ((ol & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_TCP_CKSUM)
		need |= RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
	if ((ol & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_UDP_CKSUM)
		need |= RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	if (ol & RTE_MBUF_F_TX_TCP_SEG)
		need |= RTE_ETH_TX_OFFLOAD_TCP_TSO;
	if (ol & RTE_MBUF_F_TX_VLAN)
		need |= RTE_ETH_TX_OFFLOAD_VLAN_INSERT;
	if (m->nb_segs > 1)
		need |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	return need;
}

/* Every non-empty segment lies in registered memory (a local cache copy). */
static bool
tx_mem_registered(struct mana_txq *txq, const struct rte_mbuf *m)
{
	struct mana_mr_cache c = txq->mr_cache;
	const struct rte_mbuf *s;
	uint32_t lkey;

	for (s = m; s != NULL; s = s->next)
		if (s->data_len != 0 &&
		    !mana_mr_lkey(txq->mr_table, &c, rte_pktmbuf_mtod(s, uintptr_t),
				  s->data_len, &lkey))
			return false;
	return true;
}

/*
 * Refuse, with rte_errno, what the device would drop or the contract
 * forbids (mana_tx_check), every offload the port does not offer
 * (ENOTSUP) or the queue was not configured with (EINVAL), frames the
 * device would drop for their length (MTU, VLAN insertion on a tagged
 * frame: EINVAL) and packets in unregistered memory (EFAULT).
 */
static int
tx_prepare_check(struct mana_txq *txq, const struct rte_mbuf *m)
{
	uint64_t ol = m->ol_flags;
	uint32_t limit = (uint32_t)txq->priv->dev_data->mtu + RTE_ETHER_HDR_LEN;
	uint8_t et_buf[2];
	const uint8_t *et;
	bool tagged;
	int ret;

	if ((ol & RTE_MBUF_F_TX_OFFLOAD_MASK & ~MANA_TX_OFFLOAD_MASK) ||
	    (ol & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_SCTP_CKSUM)
		return ENOTSUP;
	ret = mana_tx_check(m);
	if (ret != 0)
		return ret;
	if (tx_offloads_needed(m) & ~txq->conf.offloads)
		return EINVAL;
	/* a tagged frame may be 4 bytes longer; an inserted tag counts */
	et = rte_pktmbuf_read(m, 12, sizeof(et_buf), et_buf);
	tagged = et[0] == (RTE_ETHER_TYPE_VLAN >> 8) && et[1] == (RTE_ETHER_TYPE_VLAN & 0xFF);
	if (tagged && (ol & RTE_MBUF_F_TX_VLAN))
		return EINVAL;	/* the device refuses a second tag */
	if (tagged)
		limit += RTE_VLAN_HLEN;
	if (ol & RTE_MBUF_F_TX_TCP_SEG) {
		if ((uint32_t)m->l2_len + m->l3_len + m->l4_len + m->tso_segsz > limit)
			return EINVAL;
	} else if (m->pkt_len > limit) {
		return EINVAL;
	}
	if (!tx_mem_registered(txq, m))
		return EFAULT;
	return 0;
}

uint16_t
mana_tx_prepare(void *q, struct rte_mbuf **pkts, uint16_t n)
{
	struct mana_txq *txq = q;
	uint16_t i;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint64_t ol = m->ol_flags;
		int ret;

		ret = tx_prepare_check(txq, m);
		if (ret != 0) {
			rte_errno = ret;
			return i;
		}
		ret = rte_validate_tx_offload(m);
		if (ret != 0) {
			rte_errno = -ret;
			return i;
		}
		ret = rte_net_intel_cksum_prepare(m);
		if (ret != 0) {
			rte_errno = -ret;
			return i;
		}
		if (ol & RTE_MBUF_F_TX_TCP_SEG) {
			/* spec §4.3: length fields zero for TSO */
			if (ol & RTE_MBUF_F_TX_IPV4) {
				struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m,
					struct rte_ipv4_hdr *, m->l2_len);

				ip->total_length = 0;
				ip->hdr_checksum = 0;
			} else {
				struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(m,
					struct rte_ipv6_hdr *, m->l2_len);

				ip->payload_len = 0;
			}
		}
	}
	return i;
}

int
mana_tx_descriptor_status(void *q, uint16_t offset)
{
	struct mana_txq *txq = q;

	if (offset >= txq->nb_desc)
		return -EINVAL;
	if (offset < txq->desc_head - txq->desc_tail)
		return RTE_ETH_TX_DESC_FULL;
	return RTE_ETH_TX_DESC_DONE;
}
