/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * RX data path: CQ polling, CQE decoding (single, coalesced, truncated),
 * mbuf delivery with offload flags, RQ refill and doorbells.
 */

#include <rte_alarm.h>
#include <rte_branch_prediction.h>
#include <rte_ether.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_net.h>
#include <rte_prefetch.h>

#include "mana.h"
#include "gdma_ring.h"

/*
 * Nothing here calls into rdma-core, takes a lock or divides. Every value
 * read from a CQE is checked before it is used: a CQE for a WQE that was
 * never posted, a length larger than the posted buffers, an unknown type or
 * a lapped CQ is counted and survived.
 */

#define RX_REFILL_BATCH		64	/* mbufs per rte_pktmbuf_alloc_bulk */

static __rte_always_inline uint64_t
rx_cq_db_value(uint32_t cq_id, uint32_t head, uint32_t depth, int arm)
{
	/* spec §6.2: tail_ptr = head mod 8N; depth is a power of two */
	uint32_t tail = head & (depth * 8u - 1);

	return (uint64_t)(cq_id & GDMA_QUEUE_ID_MASK) |
	       ((uint64_t)(tail & 0x7FFFFFFFu) << 32) |
	       ((uint64_t)(arm ? 1u : 0u) << 63);
}

static __rte_always_inline void
rx_cq_doorbell(struct mana_rxq *rxq, int arm)
{
	gdma_ring_doorbell(rxq->db_page, DOORBELL_OFFSET_CQ,
			   rx_cq_db_value(rxq->cq_id, rxq->cq_head,
					  rxq->nb_desc, arm));
	rxq->cq_unreported = 0;
	rxq->stats.cq_doorbells++;
}

static __rte_always_inline void
rx_ring_doorbell(struct mana_rxq *rxq)
{
	gdma_ring_doorbell(rxq->db_page, DOORBELL_OFFSET_RQ,
			   gdma_db_rq_value(rxq->wq_id,
					    rxq->wq_head * GDMA_WQE_BU_SIZE));
	rxq->stats.doorbells++;
}

void
mana_rx_cq_doorbell(struct mana_rxq *rxq, int arm)
{
	rx_cq_doorbell(rxq, arm);
}

void
mana_rx_ring_doorbell(struct mana_rxq *rxq)
{
	rx_ring_doorbell(rxq);
}

/* Post one RX WQE scattering into the chain @p m. */
static __rte_always_inline int
rx_post_one(struct mana_rxq *rxq, struct rte_mbuf *m)
{
	struct gdma_sge sgl[MANA_RX_MAX_SGE];
	struct gdma_wqe hdr;
	struct rte_mbuf *s = m;
	uint32_t i;

	for (i = 0; i < rxq->nb_sge; i++, s = s->next) {
		uintptr_t addr = rte_pktmbuf_mtod(s, uintptr_t);
		uint32_t lkey;

		if (unlikely(!mana_mr_lkey(rxq->mr_table, &rxq->mr_cache, addr,
					   rxq->seg_size, &lkey))) {
			rxq->stats.mr_miss++;
			return -1;
		}
		sgl[i].address = addr;
		sgl[i].mem_key = lkey;
		sgl[i].size = rxq->seg_size;
	}
	if (likely(rxq->nb_sge == 1)) {
		/*
		 * One SGE: the WQE is exactly one BU (spec §3.4) and never
		 * wraps; write it in place as four 64-bit words: header,
		 * zeroed inline OOB, SGE address, SGE key and size.
		 */
		uint64_t *w = (uint64_t *)(rxq->wq_buf +
			((rxq->wq_head * GDMA_WQE_BU_SIZE) & rxq->wq_mask));

		w[0] = (uint64_t)gdma_wqe_hdr_dw1(1, INLINE_OOB_SMALL_SIZE, 0, false) << 32;
		w[1] = 0;
		w[2] = sgl[0].address;
		w[3] = (uint64_t)sgl[0].mem_key | ((uint64_t)sgl[0].size << 32);
		rxq->wq_head++;
	} else {
		hdr.dw[0] = 0;
		hdr.dw[1] = gdma_wqe_hdr_dw1(rxq->nb_sge, INLINE_OOB_SMALL_SIZE, 0, false);
		rxq->wq_head += gdma_wq_write_wqe(rxq->wq_buf, rxq->wq_mask, rxq->wq_head,
						  &hdr, NULL, INLINE_OOB_SMALL_SIZE,
						  sgl, rxq->nb_sge);
	}
	rxq->desc[rxq->desc_head & rxq->desc_mask].m = m;
	rxq->desc_head++;
	rxq->wq_tmpl_slots = 0;	/* its key may not be the template's */
	return 0;
}

/*
 * Refill of single-SGE queues whose pool lies in one MR (lkey @p lkey):
 * mbufs straight from the pool (the lcore's cache when it has enough) into
 * the descriptor ring, one in-place WQE each, in runs that wrap neither
 * ring. The mbufs are not reset: a pool object has refcnt 1, nb_segs 1
 * and next NULL, and delivery writes every other field the application
 * reads. Stops early when the pool runs short: the general refill then
 * tries what is left.
 */
static __rte_always_inline uint32_t
rx_refill_fast(struct mana_rxq *rxq, uint32_t lkey)
{
	struct rte_mempool *mp = rxq->mp;
	struct rte_mempool_cache *cache = rte_mempool_default_cache(mp, rte_lcore_id());
	struct mana_rx_desc *const desc = rxq->desc;
	const uint32_t desc_mask = rxq->desc_mask, wq_mask = rxq->wq_mask;
	const uint64_t w0 = (uint64_t)gdma_wqe_hdr_dw1(1, INLINE_OOB_SMALL_SIZE, 0, false) << 32;
	const uint64_t w3 = (uint64_t)lkey | ((uint64_t)rxq->seg_size << 32);
	uint32_t desc_head = rxq->desc_head, wq_head = rxq->wq_head;
	uint32_t room = rxq->nb_desc - (desc_head - rxq->desc_tail);
	uint32_t posted = 0;
	const bool tmpl = rxq->wq_tmpl_lkey == lkey &&
			  rxq->wq_tmpl_slots > wq_mask / GDMA_WQE_BU_SIZE;

	while (room != 0) {
		uint32_t idx = desc_head & desc_mask;
		uint32_t woff = (wq_head * GDMA_WQE_BU_SIZE) & wq_mask;
		uint32_t run = RTE_MIN(room, rxq->nb_desc - idx);
		struct mana_rx_desc *d = &desc[idx], *end;
		uint64_t *w = (uint64_t *)(rxq->wq_buf + woff);

		run = RTE_MIN(run, (wq_mask + 1 - woff) / GDMA_WQE_BU_SIZE);
		end = d + run;
		if (cache != NULL && cache->len >= run) {
			/* what rte_mempool_get_bulk() copies, taken in place */
			void **objs = &cache->objs[cache->len - run];

			cache->len -= run;
			if (likely(tmpl)) {
				/* four at a time: only the address changes */
				uint32_t odd;

				for (odd = run & 3; odd != 0; odd--, d++, w += 4) {
					struct rte_mbuf *m = *objs++;

					d->m = m;
					w[2] = (uintptr_t)m->buf_addr + RTE_PKTMBUF_HEADROOM;
				}
				for (; d != end; d += 4, w += 16, objs += 4) {
					struct rte_mbuf *m0 = objs[0], *m1 = objs[1];
					struct rte_mbuf *m2 = objs[2], *m3 = objs[3];

					d[0].m = m0;
					d[1].m = m1;
					d[2].m = m2;
					d[3].m = m3;
					w[2] = (uintptr_t)m0->buf_addr + RTE_PKTMBUF_HEADROOM;
					w[6] = (uintptr_t)m1->buf_addr + RTE_PKTMBUF_HEADROOM;
					w[10] = (uintptr_t)m2->buf_addr + RTE_PKTMBUF_HEADROOM;
					w[14] = (uintptr_t)m3->buf_addr + RTE_PKTMBUF_HEADROOM;
				}
			} else {
				for (; d != end; d++, w += 4) {
					struct rte_mbuf *m = *objs++;

					d->m = m;
					w[0] = w0;
					w[1] = 0;
					w[2] = (uintptr_t)m->buf_addr + RTE_PKTMBUF_HEADROOM;
					w[3] = w3;
				}
			}
		} else {
			if (rte_mempool_get_bulk(mp, (void **)d, run) != 0)
				break;
			for (; d != end; d++, w += 4) {
				w[0] = w0;
				w[1] = 0;
				w[2] = (uintptr_t)d->m->buf_addr + RTE_PKTMBUF_HEADROOM;
				w[3] = w3;
			}
		}
		desc_head += run;
		wq_head += run;
		room -= run;
		posted += run;
	}
	rxq->desc_head = desc_head;
	rxq->wq_head = wq_head;
	if (!tmpl) {
		if (rxq->wq_tmpl_lkey != lkey) {
			rxq->wq_tmpl_lkey = lkey;
			rxq->wq_tmpl_slots = 0;
		}
		rxq->wq_tmpl_slots += posted;
	}
	return posted;
}

/* The general refill: any SGE count, any MR layout, a pool running short. */
static __rte_noinline uint32_t
rx_refill_general(struct mana_rxq *rxq, uint32_t posted)
{
	struct rte_mbuf *mbufs[RX_REFILL_BATCH];
	uint32_t nsge = rxq->nb_sge;
	uint32_t per_batch = RX_REFILL_BATCH / nsge;

	for (;;) {
		uint32_t room = rxq->nb_desc - (rxq->desc_head - rxq->desc_tail);
		uint32_t nwqe = RTE_MIN(room, per_batch);
		uint32_t w, k;

		if (nwqe == 0)
			break;
		if (unlikely(rte_pktmbuf_alloc_bulk(rxq->mp, mbufs, nwqe * nsge) != 0)) {
			if (nwqe > 1) {
				/* a nearly empty pool may still fill single WQEs */
				per_batch = 1;
				continue;
			}
			/* retried by the next burst: the RQ never shrinks for good */
			rxq->stats.nombuf++;
			break;
		}
		for (w = 0, k = 0; w < nwqe; w++, k += nsge) {
			struct rte_mbuf *head = mbufs[k];
			uint32_t j;

			for (j = 1; j < nsge; j++)
				mbufs[k + j - 1]->next = mbufs[k + j];
			head->nb_segs = nsge;
			if (unlikely(rx_post_one(rxq, head) != 0)) {
				for (; k < nwqe * nsge; k++) {
					mbufs[k]->next = NULL;
					mbufs[k]->nb_segs = 1;
					rte_pktmbuf_free_seg(mbufs[k]);
				}
				return posted;
			}
			posted++;
		}
	}
	return posted;
}

static __rte_always_inline uint32_t
rx_refill(struct mana_rxq *rxq)
{
	const struct mana_mr_table *t = __atomic_load_n(rxq->mr_table, __ATOMIC_ACQUIRE);
	uint32_t posted = 0, lkey;

	if (unlikely(rxq->wq_head == 0))
		rxq->wq_tmpl_slots = 0;	/* a new ring (or a rare wrap) */
	if (likely(rxq->nb_sge == 1) &&
	    mana_mr_pool_lkey(rxq->mr_table, &rxq->mr_cache, t, rxq->mp, &lkey)) {
		posted = rx_refill_fast(rxq, lkey);
		if (likely(rxq->desc_head - rxq->desc_tail == rxq->nb_desc))
			return posted;
	}
	return rx_refill_general(rxq, posted);
}

uint32_t
mana_rx_refill(struct mana_rxq *rxq)
{
	return rx_refill(rxq);
}

/*
 * rearm_data of a delivered single-segment mbuf: data_off, refcnt,
 * nb_segs and port, in one 64-bit store.
 */
static __rte_always_inline uint64_t
rx_rearm_word(uint16_t port)
{
	RTE_BUILD_BUG_ON(offsetof(struct rte_mbuf, data_off) !=
			 offsetof(struct rte_mbuf, rearm_data));
	RTE_BUILD_BUG_ON(offsetof(struct rte_mbuf, refcnt) !=
			 offsetof(struct rte_mbuf, rearm_data) + 2);
	RTE_BUILD_BUG_ON(offsetof(struct rte_mbuf, nb_segs) !=
			 offsetof(struct rte_mbuf, rearm_data) + 4);
	RTE_BUILD_BUG_ON(offsetof(struct rte_mbuf, port) !=
			 offsetof(struct rte_mbuf, rearm_data) + 6);
	return (uint64_t)RTE_PKTMBUF_HEADROOM | (1ull << 16) | (1ull << 32) |
	       ((uint64_t)port << 48);
}

static __rte_always_inline void
rx_write_rearm(struct rte_mbuf *m, uint64_t v)
{
	*(uint64_t *)((uint8_t *)m + offsetof(struct rte_mbuf, rearm_data)) = v;
}

/*
 * packet_type, pkt_len, data_len, vlan_tci and hash.rss of a
 * single-segment mbuf in two 64-bit stores.
 */
static __rte_always_inline void
rx_write_fields(struct rte_mbuf *m, uint32_t ptype, uint32_t len, uint64_t vlan16,
		uint32_t hash)
{
	uint64_t *f = (uint64_t *)&m->packet_type;

	RTE_BUILD_BUG_ON(offsetof(struct rte_mbuf, pkt_len) !=
			 offsetof(struct rte_mbuf, packet_type) + 4);
	RTE_BUILD_BUG_ON(offsetof(struct rte_mbuf, data_len) !=
			 offsetof(struct rte_mbuf, packet_type) + 8);
	RTE_BUILD_BUG_ON(offsetof(struct rte_mbuf, vlan_tci) !=
			 offsetof(struct rte_mbuf, packet_type) + 10);
	RTE_BUILD_BUG_ON(offsetof(struct rte_mbuf, hash.rss) !=
			 offsetof(struct rte_mbuf, packet_type) + 12);
	f[0] = ptype | ((uint64_t)len << 32);
	f[1] = len | vlan16 | ((uint64_t)hash << 32);
}

static __rte_always_inline uint64_t
rx_ol_flags(uint32_t f)
{
	uint64_t ol = 0;

	if (f & MANA_VAL(MANA_RXCOMP_RX_IPHDR_CSUM_SUCCEED, 1))
		ol |= RTE_MBUF_F_RX_IP_CKSUM_GOOD;
	else if (f & MANA_VAL(MANA_RXCOMP_RX_IPHDR_CSUM_FAIL, 1))
		ol |= RTE_MBUF_F_RX_IP_CKSUM_BAD;
	if (f & (MANA_VAL(MANA_RXCOMP_RX_TCP_CSUM_SUCCEED, 1) |
		 MANA_VAL(MANA_RXCOMP_RX_UDP_CSUM_SUCCEED, 1)))
		ol |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	else if (f & (MANA_VAL(MANA_RXCOMP_RX_TCP_CSUM_FAIL, 1) |
		      MANA_VAL(MANA_RXCOMP_RX_UDP_CSUM_FAIL, 1)))
		ol |= RTE_MBUF_F_RX_L4_CKSUM_BAD;
	if (f & (MANA_MASK(MANA_RXCOMP_RX_HASHTYPE) << MANA_RXCOMP_RX_HASHTYPE_SHIFT))
		ol |= RTE_MBUF_F_RX_RSS_HASH;
	return ol;
}

/*
 * Packet type. The CQE has no packet-type field, but a TCP or UDP hash type
 * says what L3 and L4 the device parsed (spec §10.2): use it, without
 * touching the packet data. Anything else (other L4, fragments, non-IP) is
 * parsed in software. Called after the VLAN tag handling: the tag is in
 * the data only when the device saw one and strip was not requested.
 */
static __rte_always_inline uint32_t
rx_ptype(struct rte_mbuf *m, uint32_t f)
{
	uint32_t ht = (f >> MANA_RXCOMP_RX_HASHTYPE_SHIFT) &
		      MANA_MASK(MANA_RXCOMP_RX_HASHTYPE);
	uint32_t l2 = (m->ol_flags & (RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED)) ==
		      RTE_MBUF_F_RX_VLAN ? RTE_PTYPE_L2_ETHER_VLAN : RTE_PTYPE_L2_ETHER;

	switch (ht) {
	case NDIS_HASH_TCP_IPV4:
		return l2 | RTE_PTYPE_L3_IPV4_EXT_UNKNOWN | RTE_PTYPE_L4_TCP;
	case NDIS_HASH_UDP_IPV4:
		return l2 | RTE_PTYPE_L3_IPV4_EXT_UNKNOWN | RTE_PTYPE_L4_UDP;
	case NDIS_HASH_TCP_IPV6:
		return l2 | RTE_PTYPE_L3_IPV6_EXT_UNKNOWN | RTE_PTYPE_L4_TCP;
	case NDIS_HASH_UDP_IPV6:
		return l2 | RTE_PTYPE_L3_IPV6_EXT_UNKNOWN | RTE_PTYPE_L4_UDP;
	default:
		return rte_net_get_ptype(m, NULL, RTE_PTYPE_L2_MASK |
					 RTE_PTYPE_L3_MASK | RTE_PTYPE_L4_MASK);
	}
}

/* Take the oldest posted WQE off the ring; NULL if none is posted. */
static __rte_always_inline struct rte_mbuf *
rx_pop(struct mana_rxq *rxq)
{
	struct mana_rx_desc *d;
	struct rte_mbuf *m;

	if (unlikely(rxq->desc_head == rxq->desc_tail))
		return NULL;
	d = &rxq->desc[rxq->desc_tail & rxq->desc_mask];
	m = d->m;
	d->m = NULL;
	rxq->desc_tail++;
	return m;
}

static __rte_always_inline struct rte_mbuf *
rx_deliver(struct mana_rxq *rxq, uint32_t len, uint32_t hash, uint32_t f)
{
	struct rte_mbuf *m = rx_pop(rxq);

	if (unlikely(m == NULL)) {
		/* the device completed a WQE we never posted */
		rxq->stats.errors++;
		return NULL;
	}
	if (unlikely(len == 0 || len > rxq->wqe_capacity)) {
		rxq->stats.errors++;
		rte_pktmbuf_free(m);
		return NULL;
	}
	if (rxq->nb_sge == 1) {
		/* it may come from the fast refill, not reset */
		rx_write_rearm(m, rx_rearm_word(rxq->port_id));
		m->data_len = (uint16_t)len;
	} else {
		struct rte_mbuf *s = m, *last = m;
		uint32_t left = len;
		uint16_t segs = 0;

		while (left > 0) {
			uint32_t l = RTE_MIN(left, rxq->seg_size);

			s->data_len = (uint16_t)l;
			left -= l;
			segs++;
			last = s;
			s = s->next;
		}
		last->next = NULL;
		m->nb_segs = segs;
		if (s != NULL)
			rte_pktmbuf_free(s);
	}
	m->pkt_len = len;
	m->port = rxq->port_id;
	m->ol_flags = (m->ol_flags & RTE_MBUF_F_EXTERNAL) | rx_ol_flags(f);
	m->hash.rss = hash;
	m->vlan_tci = 0;
	if (f & MANA_VAL(MANA_RXCOMP_RX_VLANTAG_PRESENT, 1)) {
		m->vlan_tci = (uint16_t)((f >> MANA_RXCOMP_RX_VLAN_ID_SHIFT) &
					 MANA_MASK(MANA_RXCOMP_RX_VLAN_ID));
		if (rxq->vlan_strip) {
			m->ol_flags |= RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
		} else if (unlikely(rte_vlan_insert(&m) != 0)) {
			/* no headroom for the tag: hand it over stripped */
			m->ol_flags |= RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
		} else {
			m->ol_flags |= RTE_MBUF_F_RX_VLAN;
		}
	}
	m->packet_type = rxq->parse_ptype ? rx_ptype(m, f) : 0;
	return m;
}

/*
 * The CQE at @p head carries owner bits of neither this lap nor the last:
 * counted, and the consumer resumes where gdma_cq_resync() says (the entry
 * itself, taken as this lap's, or the oldest one left after a lap).
 */
static __rte_noinline uint32_t
rx_cq_resync(struct mana_rxq *rxq, uint32_t head)
{
	uint32_t h = gdma_cq_resync(rxq->cq_buf, rxq->cq_log2, head);

	rxq->stats.cq_overflow++;
	rxq->stats.resyncs++;
	if (h == head)
		gdma_cq_take(rxq->cq_buf, rxq->cq_log2, head);
	return h;
}

/*
 * A ring behind the device (the WQEs the device still holds were taken
 * from the ring by an over-counting CQE): it can only be rebuilt. The
 * ring stops (inactive: no delivery, no refill) and the RX side is
 * rebuilt from an alarm on the interrupt thread.
 */
static __rte_noinline void
rx_desync(struct mana_rxq *rxq)
{
	struct mana_rxq *q0 = rxq->owner != NULL ? rxq->owner : rxq;

	rxq->stats.restarts++;
	rxq->desync = 1;
	rxq->active = false;
	RX_LOG(DEBUG, "rxq %u: ring behind the device, RX rebuilt", rxq->queue_id);
	if (!__atomic_exchange_n(&q0->priv->rx_resync_pending, 1, __ATOMIC_ACQ_REL))
		rte_eal_alarm_set(1, mana_rx_resync_alarm,
				  &rte_eth_devices[q0->port_id]);
}

/*
 * rx_wqe_offset @p off is not the oldest posted WQE's (spec §5.6: the
 * byte offset of the consumed WQE, every WQE wqe_bu BUs). Ahead within
 * the posted WQEs: the device filled the ones before it without a CQE we
 * could take (a CQE with a corrupt queue id, a lost one); they are freed
 * and counted, and the CQE is taken (returns true). A few WQEs behind the
 * oldest: the ring is behind the device (rx_desync(), returns false).
 * Anything else is a corrupt offset: counted, and the CQE is taken for
 * the oldest WQE. No division: a walk, on this rare path only.
 */
static __rte_noinline bool
rx_wqe_resync(struct mana_rxq *rxq, uint32_t off)
{
	const uint32_t wqe = rxq->wqe_bu * GDMA_WQE_BU_SIZE;
	const uint32_t base = rxq->desc_tail * wqe;
	uint32_t posted = rxq->desc_head - rxq->desc_tail, k, x;

	for (k = 1, x = base + wqe; k < posted; k++, x += wqe)
		if (x == off)
			break;
	if (k < posted) {
		rxq->stats.resyncs++;
		rxq->stats.resync_drops += k;
		while (k-- != 0)
			rte_pktmbuf_free(rx_pop(rxq));
		return true;
	}
	for (k = 1, x = base - wqe; k <= 2 * MANA_RXCOMP_OOB_NUM_PPI; k++, x -= wqe) {
		if (x == off) {
			rx_desync(rxq);
			return false;
		}
	}
	rxq->stats.bad_wqe_offset++;
	return true;
}

/* Decode one RX CQE into rxq->pend. */
static __rte_always_inline void
rx_decode(struct mana_rxq *rxq, const struct gdma_cqe *cqe)
{
	const struct mana_rxcomp_oob *oob =
		(const struct mana_rxcomp_oob *)cqe->cqe_data;
	uint32_t type = MANA_GET(&oob->cqe_hdr, MANA_CQE_HDR_CQE_TYPE);
	struct mana_rx_pend *p = &rxq->pend;
	uint32_t i, n = 0;

	p->idx = 0;
	p->cnt = 0;
	if (unlikely(MANA_GET(cqe, GDMA_CQE_IS_SQ) != 0 ||
		     MANA_GET(cqe, GDMA_CQE_WQ_NUM) != rxq->wq_id)) {
		rxq->stats.unknown_cqe++;
		return;
	}
	if (unlikely(oob->rx_wqe_offset != rxq->desc_tail * rxq->wqe_bu * GDMA_WQE_BU_SIZE) &&
	    !rx_wqe_resync(rxq, oob->rx_wqe_offset))
		return;
	p->flags = oob->flags;
	switch (type) {
	case CQE_RX_OKAY:
		p->len[0] = (uint16_t)MANA_GET(&oob->ppi[0].pkt_len_dw, MANA_PPI_PKT_LEN);
		p->hash[0] = oob->ppi[0].pkt_hash;
		n = 1;
		break;
	case CQE_RX_COALESCED_4:
		for (i = 0; i < MANA_RXCOMP_OOB_NUM_PPI; i++) {
			uint32_t l = MANA_GET(&oob->ppi[i].pkt_len_dw, MANA_PPI_PKT_LEN);

			if (l == 0)
				break;
			p->len[n] = (uint16_t)l;
			p->hash[n] = oob->ppi[i].pkt_hash;
			n++;
		}
		break;
	case CQE_RX_COALESCED_8: {
		const struct mana_rxcomp_perpkt_info_v2 *v2 =
			(const struct mana_rxcomp_perpkt_info_v2 *)oob->ppi;

		for (i = 0; i < MANA_RXCOMP_OOB_NUM_PPI; i++) {
			if (v2[i].pkt_len0 == 0)
				break;
			p->len[n] = v2[i].pkt_len0;
			p->hash[n++] = v2[i].pkt_hash0;
			if (v2[i].pkt_len1 == 0)
				break;
			p->len[n] = v2[i].pkt_len1;
			p->hash[n++] = v2[i].pkt_hash1;
		}
		break;
	}
	case CQE_RX_TRUNCATED: {
		/* the frame did not fit: drop it, it consumed one WQE */
		struct rte_mbuf *m = rx_pop(rxq);

		rxq->stats.truncated++;
		if (m != NULL)
			rte_pktmbuf_free(m);
		else
			rxq->stats.errors++;
		return;
	}
	default: {
		/*
		 * Every CQE on an RQ stands for at least one consumed WQE:
		 * drop one rather than let the RQ drain for good.
		 */
		struct rte_mbuf *m = rx_pop(rxq);

		rxq->stats.unknown_cqe++;
		if (m != NULL)
			rte_pktmbuf_free(m);
		RX_LOG(DEBUG, "rxq %u: CQE type %u dropped", rxq->queue_id, type);
		return;
	}
	}
	for (i = 0; i < n; i++)
		if (unlikely(p->len[i] > rxq->wqe_capacity))
			n = 0;	/* impossible lengths: the CQE is corrupt */
	if (unlikely(n == 0)) {
		/* no believable packet: still one WQE */
		struct rte_mbuf *m = rx_pop(rxq);

		rxq->stats.errors++;
		if (m != NULL)
			rte_pktmbuf_free(m);
		return;
	}
	if (n > 1)
		rxq->stats.coalesced++;
	p->cnt = (uint8_t)n;
}

/* ol_flags, packet type and VLAN for the flags of a CQE; fs->ok if fast. */
static __rte_noinline void
rx_fast_flags(const struct mana_rxq *rxq, struct mana_rx_fast *fs, uint32_t f)
{
	uint32_t ht = (f >> MANA_RXCOMP_RX_HASHTYPE_SHIFT) & MANA_MASK(MANA_RXCOMP_RX_HASHTYPE);

	fs->flags = f;
	fs->ok = 0;
	fs->ol = rx_ol_flags(f);
	fs->vlan = 0;
	if (f & MANA_VAL(MANA_RXCOMP_RX_VLANTAG_PRESENT, 1)) {
		/* a tag kept in the data is the general path's */
		if (!rxq->vlan_strip)
			return;
		fs->vlan = (uint16_t)((f >> MANA_RXCOMP_RX_VLAN_ID_SHIFT) &
				      MANA_MASK(MANA_RXCOMP_RX_VLAN_ID));
		fs->ol |= RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
	}
	fs->ptype = 0;
	if (rxq->parse_ptype) {
		/* the tag is stripped or absent: plain Ethernet */
		switch (ht) {
		case NDIS_HASH_TCP_IPV4:
			fs->ptype = RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV4_EXT_UNKNOWN |
				    RTE_PTYPE_L4_TCP;
			break;
		case NDIS_HASH_UDP_IPV4:
			fs->ptype = RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV4_EXT_UNKNOWN |
				    RTE_PTYPE_L4_UDP;
			break;
		case NDIS_HASH_TCP_IPV6:
			fs->ptype = RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV6_EXT_UNKNOWN |
				    RTE_PTYPE_L4_TCP;
			break;
		case NDIS_HASH_UDP_IPV6:
			fs->ptype = RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV6_EXT_UNKNOWN |
				    RTE_PTYPE_L4_UDP;
			break;
		default:
			return;	/* parsed in software */
		}
	}
	fs->ok = 1;
}

/*
 * The common CQE: OKAY or COALESCED_4 (the caller checked that it is for
 * our RQ) for the oldest posted WQE, every length plausible, all its packets fit in @p room (the
 * burst's room, at most the posted WQEs), flags the fast path handles.
 * Delivers them, the oldest posted WQEs from @p desc_tail on, to @p pkts
 * and returns how many; returns 0 with nothing consumed otherwise (the
 * general path then decodes the CQE). Mbufs written before a length
 * turns out bad are still the ring's.
 */
static __rte_always_inline uint32_t
rx_fast_cqe(const struct mana_rxq *rxq, struct mana_rx_fast *fs, const struct gdma_cqe *cqe,
	    struct rte_mbuf **pkts, uint32_t room, uint32_t desc_tail, uint64_t *bytes)
{
	const struct mana_rxcomp_oob *oob = (const struct mana_rxcomp_oob *)cqe->cqe_data;
	const struct mana_rxcomp_perpkt_info *ppi = oob->ppi;
	uint32_t type = MANA_GET(&oob->cqe_hdr, MANA_CQE_HDR_CQE_TYPE);
	const struct mana_rx_desc *const desc = rxq->desc;
	const uint32_t mask = rxq->desc_mask, cap = rxq->wqe_capacity;
	uint32_t i, lim, max, ptype, f = oob->flags;
	uint64_t b = 0, rearm, ol, f1;

	/* the CQE is for the oldest posted WQE (one BU each here), or decoded */
	if (unlikely(oob->rx_wqe_offset != desc_tail * GDMA_WQE_BU_SIZE))
		return 0;
	if (likely(type == CQE_RX_COALESCED_4))
		max = MANA_RXCOMP_OOB_NUM_PPI;
	else if (type == CQE_RX_OKAY)
		max = 1;
	else
		return 0;
	/* fs->flags is only ever a word the fast path takes */
	if (unlikely(f != fs->flags)) {
		rx_fast_flags(rxq, fs, f);
		if (unlikely(!fs->ok)) {
			fs->flags = ~0u;
			return 0;
		}
	}
	rearm = fs->rearm;
	ol = fs->ol;
	f1 = (uint64_t)fs->vlan << 16;
	ptype = fs->ptype;
	lim = RTE_MIN(max, room);
	if (likely((desc_tail & mask) + lim <= mask + 1)) {
		/* the posted WQEs do not wrap the ring: no masking */
		const struct mana_rx_desc *d = &desc[desc_tail & mask];

		for (i = 0; i < lim; i++) {
			uint32_t len = MANA_GET(&ppi[i].pkt_len_dw, MANA_PPI_PKT_LEN);
			struct rte_mbuf *m;

			if (unlikely(len - 1 >= cap)) {
				if (len == 0)
					break;
				return 0;	/* an impossible length: the CQE is corrupt */
			}
			m = d[i].m;
			rx_write_rearm(m, rearm);
			m->ol_flags = ol;
			rx_write_fields(m, ptype, len, f1, ppi[i].pkt_hash);
			pkts[i] = m;
			b += len;
		}
	} else {
		for (i = 0; i < lim; i++) {
			uint32_t len = MANA_GET(&ppi[i].pkt_len_dw, MANA_PPI_PKT_LEN);
			struct rte_mbuf *m;

			if (unlikely(len - 1 >= cap)) {
				if (len == 0)
					break;
				return 0;
			}
			m = desc[(desc_tail + i) & mask].m;
			rx_write_rearm(m, rearm);
			m->ol_flags = ol;
			rx_write_fields(m, ptype, len, f1, ppi[i].pkt_hash);
			pkts[i] = m;
			b += len;
		}
	}
	if (unlikely(i == 0))
		return 0;	/* an OKAY of length 0, or no room */
	if (unlikely(i == lim && lim < max &&
		     MANA_GET(&ppi[i].pkt_len_dw, MANA_PPI_PKT_LEN) != 0))
		return 0;	/* more packets than fit */
	*bytes += b;
	return i;
}

uint16_t
mana_rx_burst(void *q, struct rte_mbuf **pkts, uint16_t n)
{
	struct mana_rxq *rxq = q;
	struct mana_rx_pend *p = &rxq->pend;
	const struct gdma_cqe *cq_ring, *cq_end, *cqe, *cur;
	uint32_t cq_head, cq_shift, expected, desc_tail, avail, fast_id, coalesced = 0;
	bool pending;
	uint16_t cfg;
	uint64_t bytes = 0;
	uint16_t nrx = 0;

	if (unlikely(rxq->removed))
		return 0;
	__atomic_store_n(&rxq->in_burst, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (unlikely(rxq->removed | rxq->paused | !rxq->active))
		goto out;

	/*
	 * The fast CQE path writes single-segment mbufs whole; a pool with
	 * pinned external buffers (never in the pool cache) keeps the
	 * general path, which preserves their flag. fast_id is what
	 * cqe_info's is_sq and wq_num must read for it (is_sq 0, our RQ);
	 * an impossible value turns it off.
	 */
	fast_id = rxq->nb_sge == 1 && rxq->mr_cache.pool == rxq->mp ?
		  rxq->wq_id : UINT32_MAX;
	/* vlan_strip and parse_ptype, adjacent bools; bit 15: decoded for it */
	RTE_BUILD_BUG_ON(offsetof(struct mana_rxq, parse_ptype) !=
			 offsetof(struct mana_rxq, vlan_strip) + 1);
	memcpy(&cfg, &rxq->vlan_strip, sizeof(cfg));
	cfg |= 0x8000;
	if (unlikely(rxq->fast.cfg != cfg)) {
		rxq->fast.cfg = cfg;
		rxq->fast.rearm = rx_rearm_word(rxq->port_id);
		rxq->fast.flags = ~0u;
		rxq->fast.ok = 0;
	}
	/*
	 * gdma_cq_poll(), incrementally: the CQE at the consumer head and
	 * the owner bits its next write carries.
	 */
	cq_shift = rxq->cq_log2;
	cq_head = rxq->cq_head;
	cq_ring = rxq->cq_buf;
	cq_end = cq_ring + (1u << cq_shift);
	cqe = &cq_ring[cq_head & ((1u << cq_shift) - 1)];
	expected = (cq_head >> cq_shift) & GDMA_CQE_OWNER_MASK;
	desc_tail = rxq->desc_tail;
	avail = rxq->desc_head - desc_tail;
	pending = p->idx < p->cnt;
	while (nrx < n) {
		uint32_t info, owner, k;

		if (unlikely(pending)) {
			struct rte_mbuf *m;
			uint32_t len = p->len[p->idx];

			rxq->desc_tail = desc_tail;
			m = rx_deliver(rxq, len, p->hash[p->idx], p->flags);
			desc_tail = rxq->desc_tail;
			avail = rxq->desc_head - desc_tail;
			p->idx++;
			pending = p->idx < p->cnt;
			if (likely(m != NULL)) {
				pkts[nrx++] = m;
				bytes += len;
			}
			continue;
		}
		info = __atomic_load_n(&cqe->cqe_info, __ATOMIC_ACQUIRE);
		owner = info >> GDMA_CQE_OWNER_BITS_SHIFT;
		if (owner != expected) {
			uint32_t h;

			if (likely(owner == ((expected - 1) & GDMA_CQE_OWNER_MASK)))
				break;
			h = rx_cq_resync(rxq, cq_head);
			if (h != cq_head) {
				/* lapped: on from the oldest CQE left */
				cq_head = h;
				cqe = &cq_ring[cq_head & ((1u << cq_shift) - 1)];
				expected = (cq_head >> cq_shift) & GDMA_CQE_OWNER_MASK;
				continue;
			}
			info = cqe->cqe_info;	/* taken as this lap's */
		}
		rte_io_rmb();
		cq_head++;
		cur = cqe++;
		if (unlikely(cqe == cq_end)) {
			cqe = cq_ring;
			expected = (expected + 1) & GDMA_CQE_OWNER_MASK;
		}
		if (likely((info & (GDMA_QUEUE_ID_MASK | MANA_VAL(GDMA_CQE_IS_SQ, 1))) ==
			   fast_id)) {
			k = rx_fast_cqe(rxq, &rxq->fast, cur, &pkts[nrx], RTE_MIN((uint32_t)(n - nrx), avail),
					desc_tail, &bytes);
			if (likely(k != 0)) {
				nrx += k;
				desc_tail += k;
				avail -= k;
				if (k > 1)
					coalesced++;
				continue;
			}
		}
		rxq->desc_tail = desc_tail;
		rx_decode(rxq, cur);
		desc_tail = rxq->desc_tail;
		avail = rxq->desc_head - desc_tail;
		pending = p->idx < p->cnt;
		if (unlikely(rxq->desync))
			break;
	}
	rxq->desc_tail = desc_tail;
	rxq->stats.coalesced += coalesced;
	if (cq_head != rxq->cq_head) {
		/*
		 * Report consumption before re-posting WQEs, every time: the
		 * device then never sees more than N unreported CQEs (spec
		 * §6.4 needs one ring per 4 wraps at least; Linux also rings
		 * once per poll).
		 */
		rxq->cq_unreported += cq_head - rxq->cq_head;
		rxq->cq_head = cq_head;
		rx_cq_doorbell(rxq, 0);
	}
	if (rxq->desc_head - desc_tail != rxq->nb_desc && rx_refill(rxq) != 0)
		rx_ring_doorbell(rxq);
	rxq->stats.packets += nrx;
	rxq->stats.bytes += bytes;
out:
	__atomic_store_n(&rxq->in_burst, 0, __ATOMIC_RELEASE);
	return nrx;
}

uint32_t
mana_rx_queue_count(void *q)
{
	struct mana_rxq *rxq = q;
	uint32_t head = rxq->cq_head;
	uint32_t count = rxq->pend.cnt - rxq->pend.idx;
	uint32_t i;

	if (rxq->removed || !rxq->active)
		return 0;
	for (i = 0; i < rxq->nb_desc; i++) {
		const struct gdma_cqe *cqe;
		const struct mana_rxcomp_oob *oob;
		uint32_t type, k;

		if (gdma_cq_poll(rxq->cq_buf, rxq->cq_log2, head + i, &cqe) !=
		    GDMA_CQ_VALID)
			break;
		oob = (const struct mana_rxcomp_oob *)cqe->cqe_data;
		type = MANA_GET(&oob->cqe_hdr, MANA_CQE_HDR_CQE_TYPE);
		if (type == CQE_RX_OKAY) {
			count++;
		} else if (type == CQE_RX_COALESCED_4) {
			for (k = 0; k < MANA_RXCOMP_OOB_NUM_PPI; k++) {
				if (MANA_GET(&oob->ppi[k].pkt_len_dw, MANA_PPI_PKT_LEN) == 0)
					break;
				count++;
			}
		} else if (type == CQE_RX_COALESCED_8) {
			/* two packets per ppi slot (spec §5.5), as rx_decode() reads them */
			const struct mana_rxcomp_perpkt_info_v2 *v2 =
				(const struct mana_rxcomp_perpkt_info_v2 *)oob->ppi;

			for (k = 0; k < MANA_RXCOMP_OOB_NUM_PPI; k++) {
				if (v2[k].pkt_len0 == 0)
					break;
				count++;
				if (v2[k].pkt_len1 == 0)
					break;
				count++;
			}
		}
	}
	return RTE_MIN(count, rxq->desc_head - rxq->desc_tail);
}

int
mana_rx_descriptor_status(void *q, uint16_t offset)
{
	struct mana_rxq *rxq = q;

	if (offset >= rxq->nb_desc)
		return -EINVAL;
	if (offset < mana_rx_queue_count(q))
		return RTE_ETH_RX_DESC_DONE;
	if (offset < rxq->desc_head - rxq->desc_tail)
		return RTE_ETH_RX_DESC_AVAIL;
	return RTE_ETH_RX_DESC_UNAVAIL;
}
