/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * RX queue set-up: queue memory, verbs CQs/WQs, the indirection table and
 * RSS QP that steer the vPort, and their teardown.
 */

#include <errno.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_mempool.h>

#include "mana.h"
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
	rxq->pend.idx = 0;
	rxq->pend.cnt = 0;
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

static bool
rx_distinct(const uint16_t *t, uint32_t n)
{
	uint32_t i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			if (t[i] == t[j])
				return false;
	return true;
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

/* Destroy the verbs objects of the RX side; tolerates half-built state. */
static void
rx_destroy(struct rte_eth_dev *dev)
{
	struct mana_priv *priv = mana_priv(dev);
	uint16_t i;
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
		rxq->active = false;
		if (rxq->wq != NULL) {
			ret = ibv_destroy_wq(rxq->wq);
			if (ret != 0)
				DRV_LOG(DEBUG, "ibv_destroy_wq: %s", strerror(ret));
			rxq->wq = NULL;
		}
		if (rxq->cq != NULL) {
			ret = ibv_destroy_cq(rxq->cq);
			if (ret != 0)
				DRV_LOG(DEBUG, "ibv_destroy_cq: %s", strerror(ret));
			rxq->cq = NULL;
		}
		if (rxq->channel != NULL) {
			ret = ibv_destroy_comp_channel(rxq->channel);
			if (ret != 0)
				DRV_LOG(DEBUG, "ibv_destroy_comp_channel: %s", strerror(ret));
			rxq->channel = NULL;
		}
		rxq_free_mbufs(rxq);
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

int
mana_rx_start(struct rte_eth_dev *dev)
{
	struct mana_priv *priv = mana_priv(dev);
	struct ibv_wq *tbl[MANA_INDIRECT_TABLE_SIZE];
	uint16_t reta[MANA_INDIRECT_TABLE_SIZE];
	uint16_t nq = dev->data->nb_rx_queues;
	uint32_t period, log2p, i;
	int ret;

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
		mana_set_alloc_socket(priv, (int)rxq->socket);
		if (dev->data->dev_conf.intr_conf.rxq) {
			rxq->channel = ibv_create_comp_channel(priv->ctx);
			if (rxq->channel == NULL) {
				ret = -(errno ? errno : ENOMEM);
				DRV_LOG(ERR, "port %u rxq %u: ibv_create_comp_channel: %s",
					dev->data->port_id, i, strerror(-ret));
				goto err;
			}
		}
		rxq->cq = ibv_create_cq(priv->ctx, (int)rxq->nb_desc, NULL,
					rxq->channel, (int)i);
		if (rxq->cq == NULL) {
			ret = -(errno ? errno : ENOMEM);
			DRV_LOG(ERR, "port %u rxq %u: ibv_create_cq(%u): %s",
				dev->data->port_id, i, rxq->nb_desc, strerror(-ret));
			goto err;
		}
		rxq->wq = ibv_create_wq(priv->ctx, &(struct ibv_wq_init_attr){
			.wq_type = IBV_WQT_RQ,
			.max_wr = rxq->nb_desc,
			.max_sge = rxq->nb_sge,
			.pd = priv->parent_pd,
			.cq = rxq->cq,
		});
		if (rxq->wq == NULL) {
			ret = -(errno ? errno : ENOMEM);
			DRV_LOG(ERR, "port %u rxq %u: ibv_create_wq(%u WRs, %u SGEs): %s",
				dev->data->port_id, i, rxq->nb_desc, rxq->nb_sge,
				strerror(-ret));
			goto err;
		}
	}

	/*
	 * The device replicates a verbs table of 2^k entries over its 64
	 * (spec §10.3), and mana_ib creates one hardware RQ per entry, so an
	 * RQ may appear only once. Pass the shortest power-of-two period of
	 * the table when its entries are distinct; otherwise the largest
	 * power-of-two set of distinct queues, in table order.
	 */
	rx_reta(dev, reta);
	for (period = 1; period < MANA_INDIRECT_TABLE_SIZE; period <<= 1) {
		for (i = 0; i < MANA_INDIRECT_TABLE_SIZE; i++)
			if (reta[i] != reta[i & (period - 1)])
				break;
		if (i == MANA_INDIRECT_TABLE_SIZE)
			break;
	}
	if (!rx_distinct(reta, period)) {
		uint16_t uniq[MANA_INDIRECT_TABLE_SIZE];
		uint32_t m = 0, k;

		for (i = 0; i < MANA_INDIRECT_TABLE_SIZE; i++) {
			for (k = 0; k < m; k++)
				if (uniq[k] == reta[i])
					break;
			if (k == m)
				uniq[m++] = reta[i];
		}
		period = rte_align32prevpow2(m);
		for (i = 0; i < MANA_INDIRECT_TABLE_SIZE; i++)
			reta[i] = uniq[i & (period - 1)];
		if (!priv->reta_warned)
			DRV_LOG(WARNING, "port %u: the device steers to each RX queue at most once in a power-of-two table: RSS spreads over %u of the %u queues in the table (queues %u..)",
				dev->data->port_id, period, m, uniq[0]);
		priv->reta_warned = true;
	}
	memcpy(priv->reta_eff, reta, sizeof(priv->reta_eff));
	log2p = rte_log2_u32(period);
	for (i = 0; i < period; i++)
		tbl[i] = ((struct mana_rxq *)dev->data->rx_queues[reta[i]])->wq;
	priv->ind_table = ibv_create_rwq_ind_table(priv->ctx,
		&(struct ibv_rwq_ind_table_init_attr){
			.log_ind_tbl_size = log2p,
			.ind_tbl = tbl,
		});
	if (priv->ind_table == NULL) {
		ret = -(errno ? errno : ENOMEM);
		DRV_LOG(ERR, "port %u: ibv_create_rwq_ind_table(%u entries): %s",
			dev->data->port_id, period, strerror(-ret));
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
			DRV_LOG(ERR, "port %u: RSS QP over %u RX queues (table of %u): %s",
				dev->data->port_id, nq, period, strerror(-ret));
		goto err;
	}

	for (i = 0; i < nq; i++) {
		struct mana_rxq *rxq = dev->data->rx_queues[i];
		struct manadv_rwq dv_wq;
		struct manadv_cq dv_cq;
		struct manadv_obj obj = {
			.cq = { .in = rxq->cq, .out = &dv_cq },
			.rwq = { .in = rxq->wq, .out = &dv_wq },
		};
		uint32_t k;

		ret = manadv_init_obj(&obj, MANADV_OBJ_CQ | MANADV_OBJ_RWQ);
		if (ret != 0) {
			ret = -ret;
			DRV_LOG(ERR, "port %u rxq %u: manadv_init_obj: %s",
				dev->data->port_id, i, strerror(-ret));
			goto err;
		}
		rxq->active = false;
		for (k = 0; k < period; k++)
			if (reta[k] == i)
				rxq->active = true;
		if (!rxq->active)
			continue;	/* no hardware RQ: nothing to post */
		if (dv_cq.count != rxq->nb_desc || !rte_is_power_of_2(dv_wq.size) ||
		    dv_wq.size < MANA_MIN_QSIZE ||
		    dv_wq.size < rxq->nb_desc * rxq->wqe_bu * GDMA_WQE_BU_SIZE) {
			DRV_LOG(ERR, "port %u rxq %u: unexpected queue geometry (CQ %u entries, RQ %u bytes)",
				dev->data->port_id, i, dv_cq.count, dv_wq.size);
			ret = -EPROTO;
			goto err;
		}
		rxq->wq_buf = dv_wq.buf;
		rxq->wq_size = dv_wq.size;
		rxq->wq_mask = dv_wq.size - 1;
		rxq->wq_id = dv_wq.wq_id;
		rxq->db_page = dv_wq.db_page;
		rxq->wq_head = 0;
		rxq->cq_buf = dv_cq.buf;
		rxq->cq_id = dv_cq.cq_id;
		rxq->cq_log2 = rte_log2_u32(rxq->nb_desc);
		rxq->cq_head = rxq->nb_desc;	/* spec §2.2: starts at N */
		rxq->cq_unreported = 0;
		rxq->desc_head = 0;
		rxq->desc_tail = 0;
		rxq->pend.idx = 0;
		rxq->pend.cnt = 0;
		memset(&rxq->mr_cache, 0, sizeof(rxq->mr_cache));
		if (mana_rx_refill(rxq) == 0) {
			DRV_LOG(ERR, "port %u rxq %u: no RX buffer could be posted (mempool %s empty or not registered)",
				dev->data->port_id, i, rxq->mp->name);
			ret = -ENOMEM;
			goto err;
		}
		rxq->active = true;
		mana_rx_ring_doorbell(rxq);
	}
	return 0;
err:
	rx_destroy(dev);
	return ret;
}

void
mana_rx_stop(struct rte_eth_dev *dev)
{
	rx_destroy(dev);
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
		__atomic_store_n(&rxq->paused, paused, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (!paused)
			continue;
		while (__atomic_load_n(&rxq->in_burst, __ATOMIC_ACQUIRE))
			rte_pause();
	}
}

int
mana_rx_restart(struct rte_eth_dev *dev)
{
	int ret;

	rx_pause(dev, 1);
	rx_destroy(dev);
	ret = mana_rx_start(dev);
	rx_pause(dev, 0);
	if (ret != 0)
		DRV_LOG(ERR, "port %u: RX could not be restarted: %s",
			dev->data->port_id, strerror(-ret));
	return ret;
}
