/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * RX queues of several hardware RQs: the burst over their sub-rings, queue
 * count, descriptor status and RX interrupts of such queues.
 */

#include <errno.h>

#include <rte_branch_prediction.h>
#include <rte_mbuf.h>

#include "mana.h"
#include "gdma_ring.h"

/*
 * Ring 0 (the application's struct mana_rxq) carries the gate of the whole
 * queue: removal (mana_mark_removed) and RX rebuilds (rx_pause) set its
 * removed or paused flag and wait for its in_burst to drop. The burst below
 * holds ring 0's in_burst while it polls the other rings, so they never go
 * away under it. mana_rx_burst() on ring 0 itself drops in_burst on its
 * way out: the gate is taken again, and the flags read again, after it;
 * the queue may have been rebuilt in between (RETA update), so the ring
 * count is read again too.
 */
static __rte_always_inline bool
rxm_enter(struct mana_rxq *rxq)
{
	__atomic_store_n(&rxq->in_burst, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (unlikely(rxq->removed | rxq->paused)) {
		__atomic_store_n(&rxq->in_burst, 0, __ATOMIC_RELEASE);
		return false;
	}
	return true;
}

/*
 * Whether mana_rx_burst() on ring @p s would find nothing to do: no packet
 * decoded and not delivered, every descriptor posted, no new CQE. Reads
 * only; the ring cannot go away (ring 0's gate is held). Skipping such a
 * ring saves mana_rx_burst()'s own gate, a full fence, per idle ring.
 */
static __rte_always_inline bool
rxm_ring_idle(const struct mana_rxq *s)
{
	const struct gdma_cqe *cqe;

	if (s->pend.idx < s->pend.cnt || s->desc_head - s->desc_tail != s->nb_desc)
		return false;
	if (!s->active)
		return true;
	return gdma_cq_poll(s->cq_buf, s->cq_log2, s->cq_head, &cqe) == GDMA_CQ_EMPTY;
}

uint16_t
mana_rx_burst_multi(void *q, struct rte_mbuf **pkts, uint16_t n)
{
	struct mana_rxq *rxq = q;
	uint32_t k, r, i, start;
	uint16_t nrx = 0;

	if (unlikely(rxq->removed) || !rxm_enter(rxq))
		return 0;
	k = rxq->nb_ring;
	if (k <= 1) {
		__atomic_store_n(&rxq->in_burst, 0, __ATOMIC_RELEASE);
		return mana_rx_burst(rxq, pkts, n);
	}
	start = rxq->ring_next;
	if (unlikely(start >= k))
		start = 0;
	rxq->ring_next = (uint16_t)(start + 1 == k ? 0 : start + 1);
	for (i = 0, r = start; i < k && nrx < n; i++) {
		struct mana_rxq *s = rxq->ring[r];

		r = r + 1 == k ? 0 : r + 1;
		if (rxm_ring_idle(s))
			continue;
		nrx += mana_rx_burst(s, pkts + nrx, (uint16_t)(n - nrx));
		if (s != rxq)
			continue;
		if (!rxm_enter(rxq))
			return nrx;	/* the queue was taken away meanwhile */
		/* or taken and rebuilt with other rings: take the new layout */
		k = rxq->nb_ring;
		if (r >= k)
			r = 0;
	}
	__atomic_store_n(&rxq->in_burst, 0, __ATOMIC_RELEASE);
	return nrx;
}

uint32_t
mana_rx_queue_count_multi(void *q)
{
	struct mana_rxq *rxq = q;
	uint32_t r, n = 0;

	if (rxq->nb_ring <= 1)
		return mana_rx_queue_count(rxq);
	if (rxq->removed)
		return 0;
	for (r = 0; r < rxq->nb_ring; r++)
		n += mana_rx_queue_count(rxq->ring[r]);
	return n;
}

int
mana_rx_descriptor_status_multi(void *q, uint16_t offset)
{
	struct mana_rxq *rxq = q;
	uint32_t k = rxq->nb_ring;

	if (k <= 1)
		return mana_rx_descriptor_status(rxq, offset);
	/* every ring of a queue has as many descriptors as ring 0 */
	if (offset >= k * rxq->nb_desc)
		return -EINVAL;
	return mana_rx_descriptor_status(rxq->ring[offset % k], (uint16_t)(offset / k));
}

int
mana_rx_multi_intr_enable(struct rte_eth_dev *dev, uint16_t qid)
{
	struct mana_rxq *rxq = dev->data->rx_queues[qid];
	uint32_t r;

	if (rxq == NULL || rxq->channel == NULL)
		return -EINVAL;
	if (rxq->removed)
		return -EIO;
	/* spec §6.4: arm through the CQ doorbell, not ibv_req_notify_cq() */
	for (r = 0; r < rxq->nb_ring; r++) {
		struct mana_rxq *s = rxq->ring[r];

		if (!s->active)
			continue;
		mana_rx_cq_doorbell(s, 1);
		s->armed = 1;
	}
	return 0;
}

int
mana_rx_multi_intr_disable(struct rte_eth_dev *dev, uint16_t qid)
{
	struct mana_rxq *rxq = dev->data->rx_queues[qid];
	struct ibv_cq *cq;
	void *ctx;
	uint32_t r;

	if (rxq == NULL || rxq->channel == NULL)
		return -EINVAL;
	for (r = 0; r < rxq->nb_ring; r++)
		rxq->ring[r]->armed = 0;
	/* the channel is the queue's: an event names the ring's CQ */
	while (ibv_get_cq_event(rxq->channel, &cq, &ctx) == 0)
		ibv_ack_cq_events(cq, 1);
	return 0;
}
