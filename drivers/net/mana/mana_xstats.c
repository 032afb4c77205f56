/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Basic, per-queue and extended statistics from the queues' burst counters
 * (an RX queue's summed over its hardware RQs).
 */

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "mana.h"

struct mana_xstat_desc {
	const char *name;
	size_t off;
};

#define RXS(n, f) { n, offsetof(struct mana_rxq_stats, f) }
#define TXS(n, f) { n, offsetof(struct mana_txq_stats, f) }
#define TXE(n, t) { n, offsetof(struct mana_txq_stats, err_cqe) + \
		       ((t) - MANA_CQE_TX_FIRST) * sizeof(uint64_t) }

static const struct mana_xstat_desc mana_rx_xstats[] = {
	RXS("packets", packets),
	RXS("bytes", bytes),
	RXS("errors", errors),
	RXS("no_mbuf", nombuf),
	RXS("truncated", truncated),
	RXS("coalesced_cqes", coalesced),
	RXS("unknown_cqes", unknown_cqe),
	RXS("cq_overflows", cq_overflow),
	RXS("doorbells", doorbells),
	RXS("cq_doorbells", cq_doorbells),
	RXS("mr_misses", mr_miss),
	RXS("bad_wqe_offsets", bad_wqe_offset),
	RXS("cq_resyncs", resyncs),
	RXS("resync_drops", resync_drops),
	RXS("restarts", restarts),
};

static const struct mana_xstat_desc mana_tx_xstats[] = {
	TXS("packets", packets),
	TXS("bytes", bytes),
	TXS("error_cqes", errors),
	TXE("cqe_sa_drop", CQE_TX_SA_DROP),
	TXE("cqe_mtu_drop", CQE_TX_MTU_DROP),
	TXE("cqe_invalid_oob", CQE_TX_INVALID_OOB),
	TXE("cqe_invalid_eth_type", CQE_TX_INVALID_ETH_TYPE),
	TXE("cqe_hdr_processing_error", CQE_TX_HDR_PROCESSING_ERROR),
	TXE("cqe_vf_disabled", CQE_TX_VF_DISABLED),
	TXE("cqe_vport_idx_out_of_range", CQE_TX_VPORT_IDX_OUT_OF_RANGE),
	TXE("cqe_vport_disabled", CQE_TX_VPORT_DISABLED),
	TXE("cqe_vlan_tagging_violation", CQE_TX_VLAN_TAGGING_VIOLATION),
	TXS("unknown_cqes", unknown_cqe),
	TXS("spurious_cqes", spurious_cqe),
	TXS("cq_overflows", cq_overflow),
	TXS("doorbells", doorbells),
	TXS("cq_doorbells", cq_doorbells),
	TXS("mr_misses", mr_miss),
	TXS("ring_full", ring_full),
	TXS("bad_pkt_drops", bad_pkt_drops),
	TXS("bad_wqe_offsets", bad_wqe_offset),
	TXS("cq_resyncs", resyncs),
	TXS("restarts", restarts),
};

#define N_RX RTE_DIM(mana_rx_xstats)
#define N_TX RTE_DIM(mana_tx_xstats)

int
mana_dev_stats_get(MANA_STATS_GET_PARAMS(dev, st))
{
	MANA_QSTATS_STRUCT *q = MANA_QSTATS(st);
	uint16_t i;

	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		const struct mana_rxq *rxq = dev->data->rx_queues[i];
		struct mana_rxq_stats rs;

		if (rxq == NULL)
			continue;
		mana_rxq_stats_sum(rxq, &rs);	/* over the queue's hardware RQs */
		st->ipackets += rs.packets;
		st->ibytes += rs.bytes;
		st->ierrors += rs.errors + rs.truncated;
		st->rx_nombuf += rs.nombuf;
		if (q != NULL && i < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			q->q_ipackets[i] = rs.packets;
			q->q_ibytes[i] = rs.bytes;
			q->q_errors[i] = rs.errors + rs.truncated;
		}
	}
	for (i = 0; i < dev->data->nb_tx_queues; i++) {
		const struct mana_txq *txq = dev->data->tx_queues[i];

		if (txq == NULL)
			continue;
		st->opackets += txq->stats.packets;
		st->obytes += txq->stats.bytes;
		st->oerrors += txq->stats.errors;
		if (q != NULL && i < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			q->q_opackets[i] = txq->stats.packets;
			q->q_obytes[i] = txq->stats.bytes;
		}
	}
	return 0;
}

int
mana_dev_stats_reset(struct rte_eth_dev *dev)
{
	uint16_t i;

	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		struct mana_rxq *rxq = dev->data->rx_queues[i];

		if (rxq != NULL)
			mana_rxq_stats_clear(rxq);
	}
	for (i = 0; i < dev->data->nb_tx_queues; i++) {
		struct mana_txq *txq = dev->data->tx_queues[i];

		if (txq != NULL)
			memset(&txq->stats, 0, sizeof(txq->stats));
	}
	return 0;
}

static unsigned int
mana_xstats_count(struct rte_eth_dev *dev)
{
	return dev->data->nb_rx_queues * N_RX + dev->data->nb_tx_queues * N_TX;
}

int
mana_dev_xstats_get_names(struct rte_eth_dev *dev,
			  struct rte_eth_xstat_name *names, unsigned int n)
{
	unsigned int total = mana_xstats_count(dev), k = 0, j;
	uint16_t i;

	if (names == NULL || n < total)
		return (int)total;
	for (i = 0; i < dev->data->nb_rx_queues; i++)
		for (j = 0; j < N_RX; j++)
			snprintf(names[k++].name, sizeof(names[0].name),
				 "rx_q%u_%s", i, mana_rx_xstats[j].name);
	for (i = 0; i < dev->data->nb_tx_queues; i++)
		for (j = 0; j < N_TX; j++)
			snprintf(names[k++].name, sizeof(names[0].name),
				 "tx_q%u_%s", i, mana_tx_xstats[j].name);
	return (int)total;
}

int
mana_dev_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xs,
		    unsigned int n)
{
	unsigned int total = mana_xstats_count(dev), k = 0, j;
	uint16_t i;

	if (xs == NULL || n < total)
		return (int)total;
	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		const struct mana_rxq *rxq = dev->data->rx_queues[i];
		struct mana_rxq_stats rs;

		if (rxq != NULL)
			mana_rxq_stats_sum(rxq, &rs);	/* over the queue's hardware RQs */
		for (j = 0; j < N_RX; j++, k++) {
			xs[k].id = k;
			xs[k].value = rxq == NULL ? 0 : *(const uint64_t *)
				((const uint8_t *)&rs + mana_rx_xstats[j].off);
		}
	}
	for (i = 0; i < dev->data->nb_tx_queues; i++) {
		const struct mana_txq *txq = dev->data->tx_queues[i];

		for (j = 0; j < N_TX; j++, k++) {
			xs[k].id = k;
			xs[k].value = txq == NULL ? 0 : *(const uint64_t *)
				((const uint8_t *)&txq->stats + mana_tx_xstats[j].off);
		}
	}
	return (int)total;
}

int
mana_dev_xstats_reset(struct rte_eth_dev *dev)
{
	return mana_dev_stats_reset(dev);
}
