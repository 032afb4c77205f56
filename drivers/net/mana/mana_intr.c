/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Interrupts: verbs async events (device removal, link changes) on the
 * interrupt thread, and RX queue interrupts through CQ arming.
 */

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <rte_alarm.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_interrupts.h>
#include <rte_pause.h>
#include <rte_malloc.h>
#include <bus_pci_driver.h>

#include "mana.h"

static int
mana_fd_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

/* Wait until the burst that may be inside a queue has left it. */
static void
mana_wait_burst(const uint8_t *in_burst)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	while (__atomic_load_n(in_burst, __ATOMIC_ACQUIRE))
		rte_pause();
}

void
mana_mark_removed(struct rte_eth_dev *dev)
{
	struct mana_priv *priv = mana_priv(dev);
	uint16_t i;

	priv->removed = 1;
	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		struct mana_rxq *rxq = dev->data->rx_queues[i];

		if (rxq == NULL)
			continue;
		__atomic_store_n(&rxq->removed, 1, __ATOMIC_RELAXED);
		mana_wait_burst(&rxq->in_burst);
	}
	for (i = 0; i < dev->data->nb_tx_queues; i++) {
		struct mana_txq *txq = dev->data->tx_queues[i];

		if (txq == NULL)
			continue;
		__atomic_store_n(&txq->removed, 1, __ATOMIC_RELAXED);
		mana_wait_burst(&txq->in_burst);
	}
}

void
mana_queues_resume(struct rte_eth_dev *dev)
{
	uint16_t i;

	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		struct mana_rxq *rxq = dev->data->rx_queues[i];

		if (rxq != NULL)
			__atomic_store_n(&rxq->removed, 0, __ATOMIC_RELEASE);
	}
	for (i = 0; i < dev->data->nb_tx_queues; i++) {
		struct mana_txq *txq = dev->data->tx_queues[i];

		if (txq != NULL)
			__atomic_store_n(&txq->removed, 0, __ATOMIC_RELEASE);
	}
}

void
mana_notify_removal(struct rte_eth_dev *dev)
{
	struct mana_priv *priv = mana_priv(dev);

	if (!priv->rmv_notified && dev->data->dev_conf.intr_conf.rmv) {
		priv->rmv_notified = true;
		rte_eth_dev_callback_process(dev, RTE_ETH_EVENT_INTR_RMV, NULL);
	}
}

static void
mana_intr_handler(void *arg)
{
	struct rte_eth_dev *dev = arg;
	struct mana_priv *priv = mana_priv(dev);
	struct ibv_async_event ev;
	bool fatal = false, lsc = false;

	while (ibv_get_async_event(priv->ctx, &ev) == 0) {
		enum ibv_event_type type = ev.event_type;

		ibv_ack_async_event(&ev);
		switch (type) {
		case IBV_EVENT_DEVICE_FATAL:
			fatal = true;
			break;
		case IBV_EVENT_PORT_ACTIVE:
		case IBV_EVENT_PORT_ERR:
			lsc = true;
			break;
		default:
			DRV_LOG(DEBUG, "port %u: async event %s ignored",
				dev->data->port_id, ibv_event_type_str(type));
			break;
		}
	}
	if (fatal) {
		mana_mark_removed(dev);
		/* the fd may stay readable: stop listening */
		if (priv->intr_registered) {
			rte_intr_callback_unregister_pending(priv->intr_handle,
							     mana_intr_handler,
							     dev, NULL);
			priv->intr_registered = false;
		}
		if (!priv->pci_removed && mana_pci_present(priv) && !priv->recovering) {
			/* service reset: the function stays, the IB device returns */
			DRV_LOG(WARNING, "port %u: %s reset (IBV_EVENT_DEVICE_FATAL): recovering for up to %u ms",
				dev->data->port_id, priv->ibdev_name,
				priv->recover_timeout_ms);
			mana_recover_begin(dev);
			return;
		}
		DRV_LOG(ERR, "port %u: %s removed (IBV_EVENT_DEVICE_FATAL): close the port; it can be probed again when the function returns",
			dev->data->port_id, priv->ibdev_name);
		mana_notify_removal(dev);
		return;
	}
	if (lsc)
		DRV_LOG(DEBUG, "port %u: verbs port state changed (the kernel interface's, not the vPort's)",
			dev->data->port_id);
}

/*
 * EAL's device event (a kernel uevent on the interrupt thread): the PCI
 * function is going away. The verbs context may not have said so yet.
 */
static void
mana_dev_event_cb(const char *name, enum rte_dev_event_type type, void *arg)
{
	struct rte_eth_dev *dev = arg;
	struct mana_priv *priv = mana_priv(dev);

	if (type != RTE_DEV_EVENT_REMOVE || priv->pci_removed)
		return;
	DRV_LOG(ERR, "port %u: %s removed (PCI removal event): close the port; it can be probed again when the function returns",
		dev->data->port_id, name);
	priv->pci_removed = true;
	priv->recovering = false;
	rte_eal_alarm_cancel(mana_recover_alarm, dev);
	mana_mark_removed(dev);
	/*
	 * Raise RMV from an alarm (the same thread) rather than from inside
	 * this callback, which close would otherwise wait for.
	 */
	if (rte_eal_alarm_set(1, mana_rmv_alarm, dev) != 0)
		mana_notify_removal(dev);
}

void
mana_rmv_alarm(void *arg)
{
	mana_notify_removal(arg);
}

int
mana_dev_event_install(struct rte_eth_dev *dev)
{
	struct mana_priv *priv = mana_priv(dev);
	int ret;

	ret = rte_dev_event_callback_register(priv->pci_dev->device.name,
					      mana_dev_event_cb, dev);
	if (ret == 0)
		priv->dev_event_registered = true;
	return ret;
}

void
mana_dev_event_uninstall(struct rte_eth_dev *dev)
{
	struct mana_priv *priv = mana_priv(dev);
	int ret;

	if (!priv->dev_event_registered)
		return;
	do {
		ret = rte_dev_event_callback_unregister(priv->pci_dev->device.name,
							mana_dev_event_cb, dev);
		if (ret == -EAGAIN)
			rte_delay_ms(1);
	} while (ret == -EAGAIN);
	priv->dev_event_registered = false;
}

int
mana_intr_install(struct rte_eth_dev *dev)
{
	struct mana_priv *priv = mana_priv(dev);
	int ret;

	ret = mana_fd_nonblock(priv->ctx->async_fd);
	if (ret != 0)
		return ret;
	priv->intr_handle = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_SHARED);
	if (priv->intr_handle == NULL)
		return -ENOMEM;
	if (rte_intr_fd_set(priv->intr_handle, priv->ctx->async_fd) != 0 ||
	    rte_intr_type_set(priv->intr_handle, RTE_INTR_HANDLE_EXT) != 0) {
		ret = -rte_errno;
		goto err;
	}
	ret = rte_intr_callback_register(priv->intr_handle, mana_intr_handler, dev);
	if (ret != 0)
		goto err;
	priv->intr_registered = true;
	return 0;
err:
	rte_intr_instance_free(priv->intr_handle);
	priv->intr_handle = NULL;
	return ret;
}

void
mana_intr_uninstall(struct rte_eth_dev *dev)
{
	struct mana_priv *priv = mana_priv(dev);
	int ret;

	if (priv->intr_handle == NULL)
		return;
	if (priv->intr_registered) {
		do {
			ret = rte_intr_callback_unregister(priv->intr_handle,
							   mana_intr_handler, dev);
			if (ret == -EAGAIN)
				rte_delay_ms(1);
		} while (ret == -EAGAIN);
		priv->intr_registered = false;
	}
	rte_intr_instance_free(priv->intr_handle);
	priv->intr_handle = NULL;
}

/* ------------------------------------------------------- RX interrupts -- */

int
mana_rx_intr_vec_install(struct rte_eth_dev *dev)
{
	uint16_t n = dev->data->nb_rx_queues, i;
	struct rte_intr_handle *h;
	int ret;

	h = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (h == NULL)
		return -ENOMEM;
	if (rte_intr_type_set(h, RTE_INTR_HANDLE_EXT) != 0 ||
	    rte_intr_vec_list_alloc(h, "mana_intr_vec", n) != 0) {
		ret = -rte_errno;
		goto err;
	}
	for (i = 0; i < n; i++) {
		struct mana_rxq *rxq = dev->data->rx_queues[i];
		int fd = rxq->channel->fd;

		ret = mana_fd_nonblock(fd);
		if (ret != 0)
			goto err;
		if (rte_intr_vec_list_index_set(h, i, RTE_INTR_VEC_RXTX_OFFSET + i) != 0 ||
		    rte_intr_efds_index_set(h, i, fd) != 0) {
			ret = -rte_errno;
			goto err;
		}
	}
	if (rte_intr_nb_efd_set(h, n) != 0 || rte_intr_max_intr_set(h, n + 1) != 0) {
		ret = -rte_errno;
		goto err;
	}
	dev->intr_handle = h;
	return 0;
err:
	rte_intr_vec_list_free(h);
	rte_intr_instance_free(h);
	DRV_LOG(ERR, "port %u: RX interrupt vector: %s", dev->data->port_id,
		strerror(-ret));
	return ret;
}

void
mana_rx_intr_vec_uninstall(struct rte_eth_dev *dev)
{
	struct rte_intr_handle *h = dev->intr_handle;

	if (h == NULL)
		return;
	rte_intr_free_epoll_fd(h);
	rte_intr_vec_list_free(h);
	rte_intr_instance_free(h);
	dev->intr_handle = NULL;
}
