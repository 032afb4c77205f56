/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * TX data path: completion reaping with CQE suppression, WQE building
 * (OOB offloads, SGL per segment, TSO, VLAN insertion), doorbells, and
 * tx_prepare.
 */

#include <rte_branch_prediction.h>
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

/*
 * Free transmitted mbufs: what rte_pktmbuf_free_bulk() does, inline, for
 * the common single-segment case; segments whose last reference drops go
 * back to their pool in bulk. Chains take the general path.
 */
static __rte_always_inline void
tx_free(struct rte_mbuf **mbufs, uint32_t n)
{
	void *batch[TX_FREE_BATCH];
	struct rte_mempool *pool = NULL;
	uint32_t i, nb = 0;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = mbufs[i];

		if (unlikely(m->nb_segs != 1)) {
			rte_pktmbuf_free(m);
			continue;
		}
		m = rte_pktmbuf_prefree_seg(m);
		if (unlikely(m == NULL))
			continue;
		if (unlikely(m->pool != pool)) {
			if (nb != 0)
				rte_mempool_put_bulk(pool, batch, nb);
			pool = m->pool;
			nb = 0;
		}
		batch[nb++] = m;
	}
	if (nb != 0)
		rte_mempool_put_bulk(pool, batch, nb);
}

uint32_t
mana_tx_reap(struct mana_txq *txq, uint32_t budget)
{
	struct rte_mbuf *to_free[TX_FREE_BATCH];
	struct mana_tx_desc *const desc = txq->desc;
	const uint32_t desc_mask = txq->desc_mask;
	const uint32_t desc_head = txq->desc_head;
	uint32_t desc_tail = txq->desc_tail, sq_tail = txq->sq_tail;
	uint32_t nfree = 0, freed = 0, consumed = 0;

	while (freed < budget) {
		const struct gdma_cqe *cqe;
		const struct mana_tx_comp_oob *oob;
		enum gdma_cq_poll r;
		uint32_t type, wqe_off;
		bool done;

		r = gdma_cq_poll(txq->cq_buf, txq->cq_log2, txq->cq_head, &cqe);
		if (r != GDMA_CQ_VALID) {
			if (unlikely(r == GDMA_CQ_OVERFLOW))
				txq->stats.cq_overflow++;
			break;
		}
		txq->cq_head++;
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
		/*
		 * spec §4.4: a CQE completes its WQE and every suppressed one
		 * before it. The WQE is the one at tx_wqe_offset (BU index mod
		 * 2^27) when that matches: an error in a suppressed WQE may
		 * produce its own CQE. Without a match, the first WQE that
		 * asked for a CQE is the one, as in-order completion implies.
		 */
		wqe_off = MANA_GET(oob, MANA_TXCOMP_TX_WQE_OFFSET);
		do {
			struct mana_tx_desc *d;
			bool match;

			if (unlikely(desc_head == desc_tail)) {
				txq->stats.spurious_cqe++;
				break;
			}
			d = &desc[desc_tail & desc_mask];
			match = (sq_tail & TX_WQE_OFFSET_MASK) == wqe_off;
			desc_tail++;
			sq_tail += d->wqe_bu;
			done = match || !d->suppressed;
			if (unlikely(done && type != CQE_TX_OKAY)) {
				/* dropped by the device: not transmitted after all */
				txq->stats.packets--;
				txq->stats.bytes -= d->m->pkt_len;
			}
			to_free[nfree++] = d->m;
			d->m = NULL;
			freed++;
			if (nfree == TX_FREE_BATCH) {
				tx_free(to_free, nfree);
				nfree = 0;
			}
		} while (!done);
	}
	txq->desc_tail = desc_tail;
	txq->sq_tail = sq_tail;
	if (nfree != 0)
		tx_free(to_free, nfree);
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

uint16_t
mana_tx_burst(void *q, struct rte_mbuf **pkts, uint16_t n)
{
	struct mana_txq *txq = q;
	uint32_t *last_oob = NULL;
	struct mana_tx_desc *last_desc = NULL;
	uint64_t bytes = 0;
	uint32_t sq_head, desc_head, desc_tail, sq_limit;
	uint64_t oob_word;
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
	 * The fast path keeps the producer positions in locals (stores into
	 * the ring would otherwise make the compiler reload them); the
	 * general path works on txq and is bracketed by write-back/reload.
	 */
	sq_head = txq->sq_head;
	desc_head = txq->desc_head;
	desc_tail = txq->desc_tail;
	/* one-BU WQEs fit while sq_head - sq_tail < ring size in BUs */
	sq_limit = txq->sq_tail + txq->sq_size / GDMA_WQE_BU_SIZE;
	oob_word = (uint64_t)(txq->oob_dw0 | MANA_VAL(MANA_TX_OOB_SUPRESS_TXCQE_GEN, 1)) |
		   ((uint64_t)txq->oob_dw1 << 32);

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i], *seg;
		uint64_t ol = m->ol_flags;
		struct gdma_sge sgl[MANA_TX_MAX_SGE];
		struct mana_tx_oob oob;
		struct gdma_wqe hdr;
		struct mana_tx_desc *d;
		uint32_t oob_size, nsge = 0, bu, data_unit = 0, hlen = 0;
		uint32_t off;
		bool lng, tso = false;

		if (unlikely(desc_head - desc_tail >= txq->nb_desc)) {
			txq->stats.ring_full++;
			break;
		}
		if (likely(m->nb_segs == 1 && m->data_len != 0 &&
			   !(ol & MANA_TX_OFFLOAD_MASK) && txq->long_vp_offset == 0)) {
			/*
			 * The common case: one segment, no offload, short OOB.
			 * The WQE is one BU (never wraps): write it in place as
			 * four 64-bit words, header, OOB, SGE address, SGE key
			 * and size.
			 */
			uintptr_t addr = rte_pktmbuf_mtod(m, uintptr_t);
			uint64_t *w;
			uint32_t lkey;

			if (unlikely(!mana_mr_lkey(txq->mr_table, &txq->mr_cache,
						   addr, m->data_len, &lkey))) {
				txq->stats.mr_miss++;
				break;
			}
			if (unlikely((int32_t)(sq_limit - sq_head) <= 0)) {
				txq->stats.ring_full++;
				break;
			}
			w = (uint64_t *)(txq->sq_buf +
				((sq_head * GDMA_WQE_BU_SIZE) & txq->sq_mask));
			w[0] = (uint64_t)gdma_wqe_hdr_dw1(1, INLINE_OOB_SMALL_SIZE, 0,
							  false) << 32;
			w[1] = oob_word;
			w[2] = addr;
			w[3] = (uint64_t)lkey | ((uint64_t)m->data_len << 32);
			sq_head++;
			last_oob = (uint32_t *)&w[1];
			d = &txq->desc[desc_head & txq->desc_mask];
			d->m = m;
			d->wqe_bu = 1;
			d->suppressed = 1;
			last_desc = d;
			desc_head++;
			bytes += m->pkt_len;
			continue;
		}
		txq->sq_head = sq_head;
		txq->desc_head = desc_head;
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
				goto stop;
			}
			if (tso && seg == m) {
				if (unlikely(len < hlen))
					goto stop;	/* refused by tx_prepare */
				sgl[nsge].address = addr;
				sgl[nsge].mem_key = lkey;
				sgl[nsge++].size = hlen;
				addr += hlen;
				len -= hlen;
				if (len == 0)
					continue;
			}
			if (unlikely(nsge == MANA_TX_MAX_SGE))
				goto stop;	/* refused by tx_prepare */
			sgl[nsge].address = addr;
			sgl[nsge].mem_key = lkey;
			sgl[nsge++].size = len;
		}
		if (unlikely(nsge == 0))
			goto stop;

		bu = gdma_wqe_size_bu(oob_size, nsge);
		if (unlikely(gdma_wq_free_bytes(txq->sq_size, txq->sq_head,
						txq->sq_tail) < bu * GDMA_WQE_BU_SIZE)) {
			txq->stats.ring_full++;
			break;
		}
		hdr.dw[0] = tso ? MANA_VAL(GDMA_WQE_LAST_VBYTES, hlen) : 0;
		hdr.dw[1] = gdma_wqe_hdr_dw1(nsge, oob_size, data_unit, tso);
		off = (txq->sq_head * GDMA_WQE_BU_SIZE) & txq->sq_mask;
		txq->sq_head += gdma_wq_write_wqe(txq->sq_buf, txq->sq_mask,
						  txq->sq_head, &hdr, &oob,
						  oob_size, sgl, nsge);
		last_oob = (uint32_t *)(txq->sq_buf + off + sizeof(hdr));
		d = &txq->desc[txq->desc_head & txq->desc_mask];
		d->m = m;
		d->wqe_bu = (uint16_t)bu;
		d->suppressed = 1;
		last_desc = d;
		txq->desc_head++;
		bytes += m->pkt_len;
		sq_head = txq->sq_head;
		desc_head = txq->desc_head;
	}
stop:
	txq->sq_head = sq_head;
	txq->desc_head = desc_head;
	if (last_desc != NULL) {
		/* the last WQE of the burst asks for a CQE (spec §4.4) */
		*last_oob &= ~MANA_VAL(MANA_TX_OOB_SUPRESS_TXCQE_GEN, 1);
		last_desc->suppressed = 0;
		gdma_ring_doorbell(txq->db_page, DOORBELL_OFFSET_SQ,
				   gdma_db_sq_value(txq->sq_id, sq_head * GDMA_WQE_BU_SIZE));
		txq->stats.doorbells++;
		txq->stats.packets += i;
		txq->stats.bytes += bytes;
	}
	__atomic_store_n(&txq->in_burst, 0, __ATOMIC_RELEASE);
	return i;
}

/* Segment count and lengths agree with the chain. */
static bool
tx_chain_ok(const struct rte_mbuf *m)
{
	const struct rte_mbuf *s;
	uint32_t len = 0, n = 0;

	for (s = m; s != NULL && n <= m->nb_segs; s = s->next) {
		len += s->data_len;
		n++;
	}
	return s == NULL && n == m->nb_segs && len == m->pkt_len;
}

uint16_t
mana_tx_prepare(void *q, struct rte_mbuf **pkts, uint16_t n)
{
	struct mana_txq *txq = q;
	/* a tag in the frame data is allowed on top of the MTU */
	uint32_t max_frame = (uint32_t)txq->priv->dev_data->mtu +
			     RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN;
	uint16_t i;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint64_t ol = m->ol_flags;
		uint32_t nsge = m->nb_segs;
		int ret;

		if (ol & RTE_MBUF_F_TX_OFFLOAD_MASK & ~MANA_TX_OFFLOAD_MASK) {
			rte_errno = ENOTSUP;
			return i;
		}
		if (m->pkt_len == 0 || !tx_chain_ok(m) ||
		    ((ol & (RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK |
			    RTE_MBUF_F_TX_TCP_SEG)) &&
		     (m->l2_len == 0 || m->l3_len == 0))) {
			rte_errno = EINVAL;
			return i;
		}
		if (ol & RTE_MBUF_F_TX_TCP_SEG) {
			uint32_t hlen = m->l2_len + m->l3_len + m->l4_len;

			if (hlen > MANA_TSO_MAX_HDR || m->tso_segsz == 0 ||
			    m->tso_segsz > MANA_TSO_MAX_MSS ||
			    m->data_len < hlen || m->pkt_len > MANA_TSO_MAX_SIZE ||
			    !(ol & (RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6))) {
				rte_errno = EINVAL;
				return i;
			}
			if (m->data_len > hlen)
				nsge++;	/* the first segment is split */
		} else if (m->pkt_len > max_frame ||
			   ((ol & RTE_MBUF_F_TX_VLAN) &&
			    m->pkt_len + RTE_VLAN_HLEN > max_frame)) {
			rte_errno = EINVAL;
			return i;
		}
		if (nsge > MANA_TX_MAX_SGE) {
			rte_errno = EINVAL;
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
