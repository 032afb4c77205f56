/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * RX queue set-up: queue memory, verbs CQs/WQs, the indirection table and
 * RSS QP that steer the vPort, and their teardown.
 */

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include <rte_alarm.h>
#include <rte_malloc.h>
#include <rte_mempool.h>

#include "mana.h"
#include "mana_rx_plan.h"
#include "gdma_ring.h"

static void
rxq_free_mbufs(struct mana_rxq *rxq)
{
	while (rxq->desc_tail != rxq->desc_head) {
		struct mana_rx_desc *d = &rxq->desc[rxq->desc_tail & rxq->desc_mask];

		if (d->m != NULL)
			rte_pktmbuf_free(d->m);
		d->m = NULL;
		rxq->desc_tail++;
	}
	rxq->desc_head = 0;
	rxq->desc_tail = 0;
	rxq->desync = 0;
	rxq->pend.idx = 0;
	rxq->pend.cnt = 0;
}

/* ------------------------------------------------------------ sub-rings */

#define RXQ_STATS_N (sizeof(struct mana_rxq_stats) / sizeof(uint64_t))

static void
rxq_stats_add(struct mana_rxq_stats *to, const struct mana_rxq_stats *from)
{
	uint64_t *t = (uint64_t *)to;
	const uint64_t *f = (const uint64_t *)from;
	size_t i;

	RTE_BUILD_BUG_ON(sizeof(struct mana_rxq_stats) % sizeof(uint64_t) != 0);
	for (i = 0; i < RXQ_STATS_N; i++)
		t[i] += f[i];
}

void
mana_rxq_stats_sum(const struct mana_rxq *rxq, struct mana_rxq_stats *out)
{
	uint32_t r;

	*out = rxq->stats;
	rxq_stats_add(out, &rxq->ring_stats);
	for (r = 1; r < RTE_DIM(rxq->ring); r++)
		if (rxq->ring[r] != NULL)
			rxq_stats_add(out, &rxq->ring[r]->stats);
}

void
mana_rxq_stats_clear(struct mana_rxq *rxq)
{
	uint32_t r;

	memset(&rxq->stats, 0, sizeof(rxq->stats));
	memset(&rxq->ring_stats, 0, sizeof(rxq->ring_stats));
	for (r = 1; r < RTE_DIM(rxq->ring); r++)
		if (rxq->ring[r] != NULL)
			memset(&rxq->ring[r]->stats, 0, sizeof(rxq->ring[r]->stats));
}

uint32_t
mana_rxq_nb_desc(const struct mana_rxq *rxq)
{
	uint32_t r, n = 0;

	if (rxq->nb_ring <= 1)
		return rxq->nb_ring == 1 ? rxq->nb_desc : rxq->nb_desc_setup;
	for (r = 0; r < rxq->nb_ring; r++)
		n += rxq->ring[r]->nb_desc;
	return n;
}

/*
 * A sub-ring of @p rxq with @p nb_desc descriptors: a copy of ring 0's
 * configuration (sized WQEs, mempool, MR table, offloads) with ring state
 * of its own. NULL when memory is short.
 */
static struct mana_rxq *
rxq_ring_alloc(struct mana_rxq *rxq, uint32_t nb_desc)
{
	struct mana_rxq *s;

	s = rte_malloc_socket("mana_rxq_ring", sizeof(*s), RTE_CACHE_LINE_SIZE,
			      rxq->socket);
	if (s == NULL)
		return NULL;
	memcpy(s, rxq, sizeof(*s));
	s->desc = rte_zmalloc_socket("mana_rx_desc", nb_desc * sizeof(*s->desc),
				     RTE_CACHE_LINE_SIZE, rxq->socket);
	if (s->desc == NULL) {
		rte_free(s);
		return NULL;
	}
	s->nb_desc = nb_desc;
	s->desc_mask = nb_desc - 1;
	s->desc_head = 0;
	s->desc_tail = 0;
	s->desync = 0;
	memset(&s->pend, 0, sizeof(s->pend));
	memset(&s->stats, 0, sizeof(s->stats));
	memset(&s->mr_cache, 0, sizeof(s->mr_cache));
	s->active = false;
	s->removed = 0;
	s->paused = 0;
	s->in_burst = 0;
	s->armed = 0;
	s->cq = NULL;
	s->wq = NULL;
	s->channel = NULL;	/* ring 0's channel serves every ring */
	memset(s->ring, 0, sizeof(s->ring));
	s->nb_ring = 0;
	s->ring_next = 0;
	s->owner = rxq;
	memset(&s->ring_stats, 0, sizeof(s->ring_stats));
	return s;
}

/* Free the sub-rings (not ring 0) of @p rxq; their verbs objects are gone. */
static void
rxq_rings_free(struct mana_rxq *rxq)
{
	uint32_t r;

	for (r = 1; r < RTE_DIM(rxq->ring); r++) {
		struct mana_rxq *s = rxq->ring[r];

		if (s == NULL)
			continue;
		rxq_stats_add(&rxq->ring_stats, &s->stats);
		rxq_free_mbufs(s);
		rte_free(s->desc);
		rte_free(s);
		rxq->ring[r] = NULL;
	}
	rxq->nb_ring = 0;
	rxq->ring_next = 0;
}

int
mana_dev_rx_queue_setup(struct rte_eth_dev *dev, uint16_t idx,
			uint16_t nb_desc, unsigned int socket,
			const struct rte_eth_rxconf *conf,
			struct rte_mempool *mp)
{
	struct mana_priv *priv = mana_priv(dev);
	struct mana_rxq *rxq;
	uint32_t n = rte_align32pow2(RTE_MAX(nb_desc, (uint16_t)MANA_MIN_DESC));
	uint32_t room;

	if (priv->removed)
		return -EIO;
	if (n > priv->max_desc) {
		DRV_LOG(ERR, "port %u rxq %u: %u descriptors, at most %u",
			dev->data->port_id, idx, nb_desc, priv->max_desc);
		return -EINVAL;
	}
	room = rte_pktmbuf_data_room_size(mp);
	if (room <= RTE_PKTMBUF_HEADROOM + RTE_ETHER_MIN_LEN) {
		DRV_LOG(ERR, "port %u rxq %u: mempool %s data room %u too small",
			dev->data->port_id, idx, mp->name, room);
		return -EINVAL;
	}
	if (dev->data->rx_queues[idx] != NULL) {
		mana_dev_rx_queue_release(dev, idx);
		dev->data->rx_queues[idx] = NULL;
	}
	rxq = rte_zmalloc_socket("mana_rxq", sizeof(*rxq), RTE_CACHE_LINE_SIZE,
				 socket);
	if (rxq == NULL)
		return -ENOMEM;
	rxq->desc = rte_zmalloc_socket("mana_rx_desc", n * sizeof(*rxq->desc),
				       RTE_CACHE_LINE_SIZE, socket);
	if (rxq->desc == NULL) {
		rte_free(rxq);
		return -ENOMEM;
	}
	rxq->priv = priv;
	rxq->nb_desc = n;
	rxq->desc_mask = n - 1;
	rxq->nb_desc_req = nb_desc;
	rxq->nb_desc_setup = n;
	rxq->socket = socket;
	rxq->conf = *conf;
	rxq->conf.offloads |= dev->data->dev_conf.rxmode.offloads;
	rxq->mp = mp;
	rxq->seg_size = room - RTE_PKTMBUF_HEADROOM;
	rxq->port_id = dev->data->port_id;
	rxq->queue_id = idx;
	rxq->mr_table = &priv->mr.table;
	rxq->removed = priv->removed;
	dev->data->rx_queues[idx] = rxq;
	return 0;
}

void
mana_dev_rx_queue_release(struct rte_eth_dev *dev, uint16_t idx)
{
	struct mana_rxq *rxq = dev->data->rx_queues[idx];

	if (rxq == NULL)
		return;
	rxq_rings_free(rxq);
	rxq_free_mbufs(rxq);
	rte_free(rxq->desc);
	rte_free(rxq);
	dev->data->rx_queues[idx] = NULL;
}

uint32_t
mana_rx_frame_size(uint16_t mtu)
{
	/* a tag the device did not strip still has to fit */
	return (uint32_t)mtu + RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN;
}

/* Fill @p reta with the 64-entry table in force. */
static void
rx_reta(struct rte_eth_dev *dev, uint16_t reta[MANA_INDIRECT_TABLE_SIZE])
{
	struct mana_priv *priv = mana_priv(dev);
	uint16_t nq = dev->data->nb_rx_queues;
	bool rss = (dev->data->dev_conf.rxmode.mq_mode & RTE_ETH_MQ_RX_RSS_FLAG) &&
		   priv->rss_hf != 0 && nq > 1;
	uint32_t i;

	for (i = 0; i < MANA_INDIRECT_TABLE_SIZE; i++) {
		if (!rss)
			reta[i] = 0;
		else if (priv->reta_set && priv->reta[i] < nq)
			reta[i] = priv->reta[i];
		else
			reta[i] = (uint16_t)(i % nq);
	}
}

static uint64_t
rx_hash_fields(uint64_t hf)
{
	uint64_t f = 0;

	if (hf & (RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_TCP |
		  RTE_ETH_RSS_NONFRAG_IPV4_UDP))
		f |= IBV_RX_HASH_SRC_IPV4 | IBV_RX_HASH_DST_IPV4;
	if (hf & (RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_NONFRAG_IPV6_TCP |
		  RTE_ETH_RSS_NONFRAG_IPV6_UDP))
		f |= IBV_RX_HASH_SRC_IPV6 | IBV_RX_HASH_DST_IPV6;
	if (hf & (RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV6_TCP |
		  RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_NONFRAG_IPV6_UDP))
		f |= IBV_RX_HASH_SRC_PORT_TCP | IBV_RX_HASH_DST_PORT_TCP |
		     IBV_RX_HASH_SRC_PORT_UDP | IBV_RX_HASH_DST_PORT_UDP;
	return f;
}

/* Destroy the WQ (@p cq false) or the CQ (@p cq true) of one ring. */
static void
rxq_ring_destroy(struct mana_rxq *r, bool cq)
{
	int ret;

	r->active = false;
	if (!cq && r->wq != NULL) {
		ret = ibv_destroy_wq(r->wq);
		if (ret != 0)
			DRV_LOG(DEBUG, "ibv_destroy_wq: %s", strerror(ret));
		r->wq = NULL;
	}
	if (cq && r->cq != NULL) {
		ret = ibv_destroy_cq(r->cq);
		if (ret != 0)
			DRV_LOG(DEBUG, "ibv_destroy_cq: %s", strerror(ret));
		r->cq = NULL;
	}
}

/* Acknowledge every event waiting on the queue's completion channel. */
static void
rxq_channel_drain(struct mana_rxq *rxq)
{
	struct ibv_cq *cq;
	void *ctx;

	if (rxq->channel == NULL)
		return;
	while (ibv_get_cq_event(rxq->channel, &cq, &ctx) == 0)
		ibv_ack_cq_events(cq, 1);
}

/*
 * Destroy the verbs objects of the RX side; tolerates half-built state.
 * @p keep_channels: the completion channels stay (their fds are in the
 * application's epoll sets), drained; used when RX is rebuilt while the
 * port runs.
 */
static void
rx_destroy(struct rte_eth_dev *dev, bool keep_channels)
{
	struct mana_priv *priv = mana_priv(dev);
	uint16_t i;
	uint32_t r;
	int ret;

	if (priv->rss_qp != NULL) {
		ret = ibv_destroy_qp(priv->rss_qp);
		if (ret != 0)
			DRV_LOG(DEBUG, "ibv_destroy_qp(RSS): %s", strerror(ret));
		priv->rss_qp = NULL;
	}
	if (priv->ind_table != NULL) {
		ret = ibv_destroy_rwq_ind_table(priv->ind_table);
		if (ret != 0)
			DRV_LOG(DEBUG, "ibv_destroy_rwq_ind_table: %s", strerror(ret));
		priv->ind_table = NULL;
	}
	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		struct mana_rxq *rxq = dev->data->rx_queues[i];

		if (rxq == NULL)
			continue;
		/* WQs, then the events they caused, then the CQs, then the channel */
		rxq_ring_destroy(rxq, false);
		for (r = 1; r < RTE_DIM(rxq->ring); r++)
			if (rxq->ring[r] != NULL)
				rxq_ring_destroy(rxq->ring[r], false);
		rxq_channel_drain(rxq);
		rxq_ring_destroy(rxq, true);
		for (r = 1; r < RTE_DIM(rxq->ring); r++)
			if (rxq->ring[r] != NULL)
				rxq_ring_destroy(rxq->ring[r], true);
		if (rxq->channel != NULL && !keep_channels) {
			ret = ibv_destroy_comp_channel(rxq->channel);
			if (ret != 0)
				DRV_LOG(DEBUG, "ibv_destroy_comp_channel: %s", strerror(ret));
			rxq->channel = NULL;
		}
		rxq->armed = 0;
		rxq_rings_free(rxq);
		rxq_free_mbufs(rxq);
		rxq->ring[0] = NULL;
		rxq->nb_desc = rxq->nb_desc_setup;
		rxq->desc_mask = rxq->nb_desc - 1;
	}
}

/* Size the WQEs of @p rxq for the port's MTU. */
static int
rxq_size_wqe(struct rte_eth_dev *dev, struct mana_rxq *rxq)
{
	uint32_t frame = mana_rx_frame_size(dev->data->mtu);
	uint32_t nsge = (frame + rxq->seg_size - 1) / rxq->seg_size;

	if (nsge > 1 && !(rxq->conf.offloads & RTE_ETH_RX_OFFLOAD_SCATTER)) {
		DRV_LOG(ERR, "port %u rxq %u: %u-byte mbufs cannot hold a %u-byte frame (MTU %u): enable the scatter offload or use larger mbufs",
			dev->data->port_id, rxq->queue_id, rxq->seg_size, frame,
			dev->data->mtu);
		return -EINVAL;
	}
	if (nsge > MANA_RX_MAX_SGE) {
		DRV_LOG(ERR, "port %u rxq %u: a %u-byte frame needs %u mbufs of %u bytes, at most %u: use larger mbufs",
			dev->data->port_id, rxq->queue_id, frame, nsge,
			rxq->seg_size, MANA_RX_MAX_SGE);
		return -EINVAL;
	}
	rxq->nb_sge = (uint16_t)nsge;
	rxq->wqe_bu = (uint16_t)gdma_wqe_size_bu(INLINE_OOB_SMALL_SIZE, nsge);
	rxq->wqe_capacity = nsge * rxq->seg_size;
	rxq->vlan_strip = !!(rxq->conf.offloads & RTE_ETH_RX_OFFLOAD_VLAN_STRIP);
	rxq->parse_ptype = !rxq->priv->ptypes_off;
	return 0;
}

/*
 * Hardware RQs the device lets this port have: the verbs table size, the
 * RQ count and the CQs left after the TX queues' ones (spec §8).
 */
static uint32_t
rx_max_rq(struct rte_eth_dev *dev)
{
	const struct ibv_device_attr_ex *a = &mana_priv(dev)->dev_attr;
	uint32_t n = MANA_INDIRECT_TABLE_SIZE;
	uint32_t ntx = dev->data->nb_tx_queues;

	if (a->max_wq_type_rq > 0)
		n = RTE_MIN(n, a->max_wq_type_rq);
	if (a->rss_caps.max_rwq_indirection_table_size > 0)
		n = RTE_MIN(n, a->rss_caps.max_rwq_indirection_table_size);
	if (a->orig_attr.max_cq > 0)
		n = RTE_MIN(n, (uint32_t)a->orig_attr.max_cq > ntx ?
			    (uint32_t)a->orig_attr.max_cq - ntx : 1u);
	return RTE_MAX(n, 1u);
}

/*
 * Point the port at the single-ring fast-path functions when every queue
 * has at most one RQ, at the multi-ring ones otherwise. On a port that
 * runs (RETA or key update, recovery) ethdev's copy is updated too.
 */
static void
rx_set_burst(struct rte_eth_dev *dev)
{
	bool multi = false;
	uint16_t i;

	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		const struct mana_rxq *rxq = dev->data->rx_queues[i];

		if (rxq != NULL && rxq->nb_ring > 1)
			multi = true;
	}
	dev->rx_pkt_burst = multi ? mana_rx_burst_multi : mana_rx_burst;
	dev->rx_queue_count = multi ? mana_rx_queue_count_multi : mana_rx_queue_count;
	dev->rx_descriptor_status = multi ? mana_rx_descriptor_status_multi :
					    mana_rx_descriptor_status;
	if (dev->data->dev_started) {
		struct rte_eth_fp_ops *fp = &rte_eth_fp_ops[dev->data->port_id];

		__atomic_store_n(&fp->rx_pkt_burst, dev->rx_pkt_burst, __ATOMIC_RELEASE);
		__atomic_store_n(&fp->rx_queue_count, dev->rx_queue_count, __ATOMIC_RELEASE);
		__atomic_store_n(&fp->rx_descriptor_status, dev->rx_descriptor_status,
				 __ATOMIC_RELEASE);
	}
}

static const char *
rx_plan_cause(enum mana_rx_plan_cause c)
{
	switch (c) {
	case MANA_RX_PLAN_RQ_LIMIT:
		return "the device allows fewer RX queues (hardware RQs) than the table's period";
	case MANA_RX_PLAN_DESC_LIMIT:
		return "an RX queue has too few descriptors for its share of the table";
	default:
		return "";
	}
}

/*
 * SGEs to ask the RQ for: WQEs of at least twice the size the ring posts
 * (nb_sge SGEs), so that the ring holds twice nb_desc of them. The device
 * then never sees its tail overrun the ring even if a CQE over-counted
 * its packets and the ring posted past the device's consumer (mana_rx.c
 * finds out at the next CQE and RX is rebuilt). Past 7 SGEs the largest
 * WQE cannot be twice as large: no slack.
 */
static uint32_t
rxq_wq_sge(uint32_t nb_sge)
{
	uint32_t want = 2 * gdma_wqe_size_bu(INLINE_OOB_SMALL_SIZE, nb_sge), s;

	for (s = nb_sge; s < MANA_RX_MAX_SGE; s++)
		if (gdma_wqe_size_bu(INLINE_OOB_SMALL_SIZE, s) >= want)
			break;
	return s;
}

/* Create the CQ and WQ of one ring of application queue @p q. */
static int
rxq_ring_create(struct rte_eth_dev *dev, struct mana_rxq *rxq, struct mana_rxq *r,
		uint16_t q)
{
	struct mana_priv *priv = mana_priv(dev);
	int ret;

	r->cq = ibv_create_cq(priv->ctx, (int)r->nb_desc, NULL, rxq->channel, (int)q);
	if (r->cq == NULL) {
		ret = -(errno ? errno : ENOMEM);
		DRV_LOG(ERR, "port %u rxq %u: ibv_create_cq(%u): %s",
			dev->data->port_id, q, r->nb_desc, strerror(-ret));
		return ret;
	}
	r->wq = ibv_create_wq(priv->ctx, &(struct ibv_wq_init_attr){
		.wq_type = IBV_WQT_RQ,
		.max_wr = r->nb_desc,
		.max_sge = rxq_wq_sge(r->nb_sge),
		.pd = priv->parent_pd,
		.cq = r->cq,
	});
	if (r->wq == NULL) {
		ret = -(errno ? errno : ENOMEM);
		DRV_LOG(ERR, "port %u rxq %u: ibv_create_wq(%u WRs, %u SGEs): %s",
			dev->data->port_id, q, r->nb_desc, rxq_wq_sge(r->nb_sge),
			strerror(-ret));
		return ret;
	}
	return 0;
}

/* Map one ring onto its hardware RQ and CQ (now that they exist) and fill it. */
static int
rxq_ring_open(struct rte_eth_dev *dev, struct mana_rxq *r, uint16_t q)
{
	struct manadv_rwq dv_wq;
	struct manadv_cq dv_cq;
	struct manadv_obj obj = {
		.cq = { .in = r->cq, .out = &dv_cq },
		.rwq = { .in = r->wq, .out = &dv_wq },
	};
	int ret;

	ret = manadv_init_obj(&obj, MANADV_OBJ_CQ | MANADV_OBJ_RWQ);
	if (ret != 0) {
		DRV_LOG(ERR, "port %u rxq %u: manadv_init_obj: %s",
			dev->data->port_id, q, strerror(ret));
		return -ret;
	}
	if (dv_cq.count != r->nb_desc || !rte_is_power_of_2(dv_wq.size) ||
	    dv_wq.size < MANA_MIN_QSIZE ||
	    dv_wq.size < r->nb_desc * r->wqe_bu * GDMA_WQE_BU_SIZE) {
		DRV_LOG(ERR, "port %u rxq %u: unexpected queue geometry (CQ %u entries, RQ %u bytes)",
			dev->data->port_id, q, dv_cq.count, dv_wq.size);
		return -EPROTO;
	}
	r->wq_buf = dv_wq.buf;
	r->wq_size = dv_wq.size;
	r->wq_mask = dv_wq.size - 1;
	r->wq_id = dv_wq.wq_id;
	r->db_page = dv_wq.db_page;
	r->wq_head = 0;
	r->cq_buf = dv_cq.buf;
	r->cq_id = dv_cq.cq_id;
	r->cq_log2 = rte_log2_u32(r->nb_desc);
	r->cq_head = r->nb_desc;	/* spec §2.2: starts at N */
	r->cq_unreported = 0;
	r->desc_head = 0;
	r->desc_tail = 0;
	r->desync = 0;
	r->pend.idx = 0;
	r->pend.cnt = 0;
	memset(&r->mr_cache, 0, sizeof(r->mr_cache));
	if (mana_rx_refill(r) == 0) {
		DRV_LOG(ERR, "port %u rxq %u: no RX buffer could be posted (mempool %s empty or not registered)",
			dev->data->port_id, q, r->mp->name);
		return -ENOMEM;
	}
	r->active = true;
	mana_rx_ring_doorbell(r);
	return 0;
}

int
mana_rx_reta_check(struct rte_eth_dev *dev, const uint16_t reta[MANA_INDIRECT_TABLE_SIZE])
{
	uint32_t nb_desc[MANA_MAX_QUEUES];
	uint16_t nq = dev->data->nb_rx_queues, i;
	struct mana_rx_plan plan;

	if (nq == 0 || nq > MANA_MAX_QUEUES)
		return 0;
	for (i = 0; i < nq; i++) {
		const struct mana_rxq *rxq = dev->data->rx_queues[i];

		if (rxq == NULL)
			return 0;	/* checked again at start */
		nb_desc[i] = rxq->nb_desc_setup;
	}
	mana_rx_plan_make(reta, nq, rx_max_rq(dev), nb_desc, &plan);
	if (plan.cause == MANA_RX_PLAN_EXACT)
		return 0;
	if (plan.cause == MANA_RX_PLAN_DESC_LIMIT)
		DRV_LOG(ERR, "port %u: RETA refused: %s (rxq %u: %u descriptors, at least %u per hardware RQ): it needs %u hardware RQs; give the RX queues more descriptors or use a table that repeats every %u entries",
			dev->data->port_id, rx_plan_cause(plan.cause), plan.short_queue,
			nb_desc[plan.short_queue], MANA_RX_RING_MIN,
			mana_rx_plan_period(reta), plan.period);
	else
		DRV_LOG(ERR, "port %u: RETA refused: %s (at most %u): it needs %u hardware RQs; use a table that repeats every %u entries",
			dev->data->port_id, rx_plan_cause(plan.cause), rx_max_rq(dev),
			mana_rx_plan_period(reta), plan.period);
	return -EINVAL;
}

/*
 * The RX side (spec §7.2 step 6, §10.3). The table in force decides the
 * hardware RQs: with P its shortest power-of-two period, RQ j (j < P)
 * serves application queue reta[j], and the RQs, each once, form the
 * verbs table of size P that the device replicates over its 64 entries.
 * An application queue named k times in the period owns k RQs (sub-rings),
 * which share its descriptors (mana_rx_plan.h).
 */
int
mana_rx_start(struct rte_eth_dev *dev)
{
	struct mana_priv *priv = mana_priv(dev);
	struct ibv_wq *tbl[MANA_INDIRECT_TABLE_SIZE];
	uint16_t want[MANA_INDIRECT_TABLE_SIZE];
	uint32_t nb_desc[MANA_MAX_QUEUES];
	uint8_t used[MANA_MAX_QUEUES];
	uint16_t nq = dev->data->nb_rx_queues;
	struct mana_rx_plan plan;
	uint32_t i, r;
	int ret;

	if (nq > MANA_MAX_QUEUES)
		return -EINVAL;
	if (nq == 0) {
		/* a TX-only port: no RQ, no RSS QP (the vPort steers nowhere) */
		rx_set_burst(dev);
		return 0;
	}
	for (i = 0; i < nq; i++) {
		struct mana_rxq *rxq = dev->data->rx_queues[i];

		if (rxq == NULL) {
			DRV_LOG(ERR, "port %u: rxq %u not set up", dev->data->port_id, i);
			ret = -EINVAL;
			goto err;
		}
		ret = rxq_size_wqe(dev, rxq);
		if (ret != 0)
			goto err;
		nb_desc[i] = rxq->nb_desc_setup;
	}

	rx_reta(dev, want);
	mana_rx_plan_make(want, nq, rx_max_rq(dev), nb_desc, &plan);
	if (plan.cause != MANA_RX_PLAN_EXACT && !priv->reta_warned) {
		if (plan.cause == MANA_RX_PLAN_DESC_LIMIT)
			DRV_LOG(WARNING, "port %u: %s (rxq %u: %u descriptors, at least %u per hardware RQ): the table in force repeats its first %u entries; give the RX queues more descriptors for the exact table",
				dev->data->port_id, rx_plan_cause(plan.cause),
				plan.short_queue, nb_desc[plan.short_queue],
				MANA_RX_RING_MIN, plan.period);
		else
			DRV_LOG(WARNING, "port %u: %s (at most %u): the table in force repeats its first %u entries",
				dev->data->port_id, rx_plan_cause(plan.cause),
				rx_max_rq(dev), plan.period);
		priv->reta_warned = true;
	}
	memcpy(priv->reta_eff, plan.reta, sizeof(priv->reta_eff));

	for (i = 0; i < nq; i++) {
		struct mana_rxq *rxq = dev->data->rx_queues[i];
		uint32_t k = mana_rx_plan_rings(plan.reta, plan.period, (uint16_t)i);
		uint32_t d = mana_rx_plan_ring_desc(rxq->nb_desc_setup, k);

		mana_set_alloc_socket(priv, (int)rxq->socket);
		rxq->owner = NULL;
		rxq->ring[0] = rxq;
		rxq->ring_next = 0;
		rxq->nb_desc = k > 0 ? d : rxq->nb_desc_setup;
		rxq->desc_mask = rxq->nb_desc - 1;
		for (r = 1; r < k; r++) {
			rxq->ring[r] = rxq_ring_alloc(rxq, d);
			if (rxq->ring[r] == NULL) {
				ret = -ENOMEM;
				goto err;
			}
		}
		rxq->nb_ring = (uint16_t)k;
		if (dev->data->dev_conf.intr_conf.rxq && rxq->channel == NULL) {
			/* one channel per application queue, shared by its CQs */
			rxq->channel = ibv_create_comp_channel(priv->ctx);
			if (rxq->channel == NULL) {
				ret = -(errno ? errno : ENOMEM);
				DRV_LOG(ERR, "port %u rxq %u: ibv_create_comp_channel: %s",
					dev->data->port_id, i, strerror(-ret));
				goto err;
			}
			/* drained without blocking (rx_destroy, intr_disable) */
			ret = fcntl(rxq->channel->fd, F_GETFL);
			if (ret < 0 || fcntl(rxq->channel->fd, F_SETFL, ret | O_NONBLOCK) < 0) {
				ret = -errno;
				DRV_LOG(ERR, "port %u rxq %u: completion channel: %s",
					dev->data->port_id, i, strerror(-ret));
				goto err;
			}
		}
		for (r = 0; r < k; r++) {
			ret = rxq_ring_create(dev, rxq, rxq->ring[r], (uint16_t)i);
			if (ret != 0)
				goto err;
		}
	}

	memset(used, 0, sizeof(used));
	for (i = 0; i < plan.period; i++) {
		struct mana_rxq *rxq = dev->data->rx_queues[plan.reta[i]];

		tbl[i] = rxq->ring[used[plan.reta[i]]++]->wq;
	}
	priv->ind_table = ibv_create_rwq_ind_table(priv->ctx,
		&(struct ibv_rwq_ind_table_init_attr){
			.log_ind_tbl_size = rte_log2_u32(plan.period),
			.ind_tbl = tbl,
		});
	if (priv->ind_table == NULL) {
		ret = -(errno ? errno : ENOMEM);
		DRV_LOG(ERR, "port %u: ibv_create_rwq_ind_table(%u entries): %s",
			dev->data->port_id, plan.period, strerror(-ret));
		goto err;
	}
	priv->rss_qp = ibv_create_qp_ex(priv->ctx, &(struct ibv_qp_init_attr_ex){
		.qp_type = IBV_QPT_RAW_PACKET,
		.comp_mask = IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_IND_TABLE |
			     IBV_QP_INIT_ATTR_RX_HASH,
		.pd = priv->parent_pd,
		.rwq_ind_tbl = priv->ind_table,
		.rx_hash_conf = {
			.rx_hash_function = IBV_RX_HASH_FUNC_TOEPLITZ,
			.rx_hash_key_len = MANA_HASH_KEY_SIZE,
			.rx_hash_key = priv->rss_key,
			.rx_hash_fields_mask = rx_hash_fields(priv->rss_hf),
		},
	});
	if (priv->rss_qp == NULL) {
		ret = -(errno ? errno : ENOMEM);
		if (ret == -EBUSY || ret == -ENODEV)
			DRV_LOG(ERR, "port %u: vPort of %s is in use: run 'ip link set %s down' (RSS QP: %s)",
				dev->data->port_id, priv->ifname, priv->ifname,
				strerror(-ret));
		else
			DRV_LOG(ERR, "port %u: RSS QP over %u RX queues (%u hardware RQs): %s",
				dev->data->port_id, nq, plan.period, strerror(-ret));
		goto err;
	}

	for (i = 0; i < nq; i++) {
		struct mana_rxq *rxq = dev->data->rx_queues[i];

		for (r = 0; r < rxq->nb_ring; r++) {
			ret = rxq_ring_open(dev, rxq->ring[r], (uint16_t)i);
			if (ret != 0)
				goto err;
		}
	}
	rx_set_burst(dev);
	return 0;
err:
	rx_destroy(dev, false);
	return ret;
}

void
mana_rx_stop(struct rte_eth_dev *dev)
{
	rte_eal_alarm_cancel(mana_rx_resync_alarm, dev);
	__atomic_store_n(&mana_priv(dev)->rx_resync_pending, 0, __ATOMIC_RELEASE);
	rx_destroy(dev, false);
}

/* Take every RX queue away from the bursts and wait for them to leave. */
static void
rx_pause(struct rte_eth_dev *dev, uint8_t paused)
{
	uint16_t i;

	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		struct mana_rxq *rxq = dev->data->rx_queues[i];

		if (rxq == NULL)
			continue;
		/* releasing: the rebuilt rings are visible before the queue is */
		if (paused)
			__atomic_store_n(&rxq->paused, paused, __ATOMIC_RELAXED);
		else
			__atomic_store_n(&rxq->paused, paused, __ATOMIC_RELEASE);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (!paused)
			continue;
		while (__atomic_load_n(&rxq->in_burst, __ATOMIC_ACQUIRE))
			rte_pause();
	}
}

/*
 * A ring found itself behind the device (mana_rx.c, rx_desync()): the
 * device still holds WQEs whose buffers the ring handed out. Only new
 * hardware RQs stop it; RX is rebuilt as for a RETA update, TX untouched.
 */
void
mana_rx_resync_alarm(void *arg)
{
	struct rte_eth_dev *dev = arg;
	struct mana_priv *priv = mana_priv(dev);

	__atomic_store_n(&priv->rx_resync_pending, 0, __ATOMIC_RELEASE);
	if (!priv->started || priv->removed || priv->recovering)
		return;
	DRV_LOG(WARNING, "port %u: an RX ring fell out of step with the device (rx_q*_restarts): RX rebuilt",
		dev->data->port_id);
	mana_rx_restart(dev);
}

int
mana_rx_restart(struct rte_eth_dev *dev)
{
	int ret;

	rx_pause(dev, 1);
	rx_destroy(dev, true);
	ret = mana_rx_start(dev);
	rx_pause(dev, 0);
	if (ret != 0)
		DRV_LOG(ERR, "port %u: RX could not be restarted: %s",
			dev->data->port_id, strerror(-ret));
	return ret;
}
