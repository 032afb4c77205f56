/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * TX queue set-up: software rings, the raw QP and CQ of every TX queue, and
 * their teardown.
 */

#include <errno.h>
#include <string.h>

#include <rte_alarm.h>
#include <rte_malloc.h>

#include "mana.h"
#include "gdma_ring.h"

static void
txq_free_mbufs(struct mana_txq *txq)
{
	while (txq->desc_tail != txq->desc_head) {
		struct mana_tx_desc *d = &txq->desc[txq->desc_tail & txq->desc_mask];

		if (d->m != NULL)
			rte_pktmbuf_free(d->m);
		d->m = NULL;
		d->wqe_bu_extra = 0;	/* the fast path's WQEs leave it 0 */
		txq->desc_tail++;
	}
	txq->desc_head = 0;
	txq->desc_tail = 0;
	txq->sq_head = 0;
	txq->sq_tail = 0;
}

int
mana_dev_tx_queue_setup(struct rte_eth_dev *dev, uint16_t idx,
			uint16_t nb_desc, unsigned int socket,
			const struct rte_eth_txconf *conf)
{
	struct mana_priv *priv = mana_priv(dev);
	struct mana_txq *txq;
	uint32_t n = rte_align32pow2(RTE_MAX(nb_desc, (uint16_t)MANA_MIN_DESC));

	if (priv->removed)
		return -EIO;
	if (n > priv->max_desc) {
		DRV_LOG(ERR, "port %u txq %u: %u descriptors, at most %u",
			dev->data->port_id, idx, nb_desc, priv->max_desc);
		return -EINVAL;
	}
	if (dev->data->tx_queues[idx] != NULL) {
		mana_dev_tx_queue_release(dev, idx);
		dev->data->tx_queues[idx] = NULL;
	}
	txq = rte_zmalloc_socket("mana_txq", sizeof(*txq), RTE_CACHE_LINE_SIZE,
				 socket);
	if (txq == NULL)
		return -ENOMEM;
	txq->desc = rte_zmalloc_socket("mana_tx_desc", n * sizeof(*txq->desc),
				       RTE_CACHE_LINE_SIZE, socket);
	if (txq->desc == NULL) {
		rte_free(txq);
		return -ENOMEM;
	}
	txq->priv = priv;
	txq->nb_desc = n;
	txq->desc_mask = n - 1;
	txq->nb_desc_req = nb_desc;
	txq->socket = socket;
	txq->conf = *conf;
	txq->conf.offloads |= dev->data->dev_conf.txmode.offloads;
	txq->port_id = dev->data->port_id;
	txq->queue_id = idx;
	txq->mr_table = &priv->mr.table;
	txq->removed = priv->removed;
	dev->data->tx_queues[idx] = txq;
	return 0;
}

void
mana_dev_tx_queue_release(struct rte_eth_dev *dev, uint16_t idx)
{
	struct mana_txq *txq = dev->data->tx_queues[idx];

	if (txq == NULL)
		return;
	txq_free_mbufs(txq);
	rte_free(txq->desc);
	rte_free(txq);
	dev->data->tx_queues[idx] = NULL;
}

/* Destroy the QP and CQ of @p txq and free every mbuf it holds. */
static void
txq_close(struct mana_txq *txq)
{
	int ret;

	if (txq->qp != NULL) {
		ret = ibv_destroy_qp(txq->qp);
		if (ret != 0)
			DRV_LOG(DEBUG, "ibv_destroy_qp: %s", strerror(ret));
		txq->qp = NULL;
	}
	if (txq->cq != NULL) {
		ret = ibv_destroy_cq(txq->cq);
		if (ret != 0)
			DRV_LOG(DEBUG, "ibv_destroy_cq: %s", strerror(ret));
		txq->cq = NULL;
	}
	txq_free_mbufs(txq);
	txq->stall_tsc = 0;
}

void
mana_tx_stop(struct rte_eth_dev *dev)
{
	uint16_t i;

	for (i = 0; i < dev->data->nb_tx_queues; i++) {
		struct mana_txq *txq = dev->data->tx_queues[i];

		if (txq == NULL)
			continue;
		rte_eal_alarm_cancel(mana_tx_resync_alarm, txq);
		txq->restart_pending = 0;
		txq_close(txq);
	}
}

/* Create the CQ and raw QP of TX queue @p i and take its queue memory. */
static int
txq_open(struct rte_eth_dev *dev, struct mana_txq *txq, uint16_t i)
{
	struct mana_priv *priv = mana_priv(dev);
	struct manadv_qp dv_qp;
	struct manadv_cq dv_cq;
	struct manadv_obj obj;
	int ret;

	mana_set_alloc_socket(priv, (int)txq->socket);
	txq->cq = ibv_create_cq(priv->ctx, (int)txq->nb_desc, NULL, NULL, 0);
	if (txq->cq == NULL) {
		ret = -(errno ? errno : ENOMEM);
		DRV_LOG(ERR, "port %u txq %u: ibv_create_cq(%u): %s",
			dev->data->port_id, i, txq->nb_desc, strerror(-ret));
		return ret;
	}
	/*
	 * libmana sizes the SQ as max_send_wr WQEs of max_send_sge
	 * SGEs with the short OOB: asking for the SGE maximum gives
	 * 512 bytes per descriptor, enough for any WQE we build.
	 */
	txq->qp = ibv_create_qp(priv->parent_pd, &(struct ibv_qp_init_attr){
		.send_cq = txq->cq,
		.recv_cq = txq->cq,
		.qp_type = IBV_QPT_RAW_PACKET,
		.cap = {
			.max_send_wr = txq->nb_desc,
			.max_send_sge = MANA_TX_MAX_SGE,
		},
	});
	if (txq->qp == NULL) {
		ret = -(errno ? errno : ENOMEM);
		if (ret == -EBUSY || ret == -ENODEV)
			DRV_LOG(ERR, "port %u: vPort of %s is in use by the kernel: run 'ip link set %s down' (txq %u: %s)",
				dev->data->port_id, priv->ifname,
				priv->ifname, i, strerror(-ret));
		else
			DRV_LOG(ERR, "port %u txq %u: ibv_create_qp(%u WRs): %s",
				dev->data->port_id, i, txq->nb_desc,
				strerror(-ret));
		return ret;
	}
	memset(&obj, 0, sizeof(obj));
	obj.qp.in = txq->qp;
	obj.qp.out = &dv_qp;
	obj.cq.in = txq->cq;
	obj.cq.out = &dv_cq;
	ret = manadv_init_obj(&obj, MANADV_OBJ_QP | MANADV_OBJ_CQ);
	if (ret != 0) {
		ret = -ret;
		DRV_LOG(ERR, "port %u txq %u: manadv_init_obj: %s",
			dev->data->port_id, i, strerror(-ret));
		return ret;
	}
	if (dv_cq.count != txq->nb_desc || !rte_is_power_of_2(dv_qp.sq_size) ||
	    dv_qp.sq_size < MANA_MIN_QSIZE) {
		DRV_LOG(ERR, "port %u txq %u: unexpected queue geometry (CQ %u entries, SQ %u bytes)",
			dev->data->port_id, i, dv_cq.count, dv_qp.sq_size);
		ret = -EPROTO;
		return ret;
	}
	txq->sq_buf = dv_qp.sq_buf;
	txq->sq_size = dv_qp.sq_size;
	txq->sq_mask = dv_qp.sq_size - 1;
	txq->sq_id = dv_qp.sq_id;
	txq->db_page = dv_qp.db_page;
	txq->sq_head = 0;
	txq->sq_tail = 0;
	txq->cq_buf = dv_cq.buf;
	txq->cq_id = dv_cq.cq_id;
	txq->cq_log2 = rte_log2_u32(txq->nb_desc);
	txq->cq_head = txq->nb_desc;	/* spec §2.2 */
	txq->cq_unreported = 0;
	txq->desc_head = 0;
	txq->desc_tail = 0;
	memset(&txq->mr_cache, 0, sizeof(txq->mr_cache));
	txq->oob_dw0 = MANA_VAL(MANA_TX_OOB_VCQ_NUM, txq->cq_id);
	txq->oob_dw1 = MANA_VAL(MANA_TX_OOB_VSQ_FRAME,
				mana_tx_vsq_frame(txq->sq_id));
	if (dv_qp.tx_vp_offset > MANA_SHORT_VPORT_OFFSET_MAX) {
		txq->long_vp_offset = dv_qp.tx_vp_offset;
	} else {
		txq->long_vp_offset = 0;
		txq->oob_dw1 |= MANA_VAL(MANA_TX_OOB_SHORT_VP_OFFSET,
					 dv_qp.tx_vp_offset);
	}
	return 0;
}

int
mana_tx_start(struct rte_eth_dev *dev)
{
	uint16_t i;
	int ret;

	for (i = 0; i < dev->data->nb_tx_queues; i++) {
		struct mana_txq *txq = dev->data->tx_queues[i];

		if (txq == NULL) {
			DRV_LOG(ERR, "port %u: txq %u not set up", dev->data->port_id, i);
			ret = -EINVAL;
			goto err;
		}
		ret = txq_open(dev, txq, i);
		if (ret != 0)
			goto err;
	}
	return 0;
err:
	mana_tx_stop(dev);
	return ret;
}

/*
 * A TX queue that lost step with the device (mana_tx.c: full, no
 * completion for MANA_TX_STALL_MS): taken from the bursts, its QP and CQ
 * destroyed (the device stops with them), its mbufs freed, and built anew.
 */
void
mana_tx_resync_alarm(void *arg)
{
	struct mana_txq *txq = arg;
	struct rte_eth_dev *dev = &rte_eth_devices[txq->port_id];
	struct mana_priv *priv = txq->priv;
	int ret;

	txq->restart_pending = 0;
	if (!priv->started || priv->removed || priv->recovering)
		return;
	DRV_LOG(WARNING, "port %u txq %u: no completion for %u ms with the ring full (tx_q%u_restarts): queue rebuilt",
		dev->data->port_id, txq->queue_id, MANA_TX_STALL_MS, txq->queue_id);
	__atomic_store_n(&txq->removed, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	while (__atomic_load_n(&txq->in_burst, __ATOMIC_ACQUIRE))
		rte_pause();
	txq_close(txq);
	ret = txq_open(dev, txq, txq->queue_id);
	if (ret != 0) {
		DRV_LOG(ERR, "port %u txq %u: could not be rebuilt (%s): stop and start the port",
			dev->data->port_id, txq->queue_id, strerror(-ret));
		txq_close(txq);
		return;	/* stays taken from the bursts */
	}
	__atomic_store_n(&txq->removed, priv->removed, __ATOMIC_RELEASE);
}
