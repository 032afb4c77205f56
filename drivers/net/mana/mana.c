/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * net_mana PCI driver: IB device discovery, devargs, one ethdev per vPort,
 * and the control-path ethdev operations.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* dladdr */
#endif
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include <rte_alarm.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_kvargs.h>
#include <rte_malloc.h>
#include <bus_pci_driver.h>
#include <ethdev_pci.h>

#include "mana.h"

RTE_LOG_REGISTER_SUFFIX(mana_logtype_init, init, NOTICE);
RTE_LOG_REGISTER_SUFFIX(mana_logtype_driver, driver, NOTICE);
RTE_LOG_REGISTER_SUFFIX(mana_logtype_rx, rx, NOTICE);
RTE_LOG_REGISTER_SUFFIX(mana_logtype_tx, tx, NOTICE);

#define MANA_DEVARG_MAC		"mac"
#define MANA_DEVARG_RECOVERY_TIMEOUT	"recovery_timeout_ms"

static const char * const mana_valid_args[] = {
	MANA_DEVARG_MAC,
	MANA_DEVARG_RECOVERY_TIMEOUT,
	NULL,
};

/* DPDK's default RSS key, used when the application gives none. */
static const uint8_t mana_default_rss_key[MANA_HASH_KEY_SIZE] = {
	0x2c, 0xc6, 0x81, 0xd1, 0x5b, 0xdb, 0xf4, 0xf7,
	0xfc, 0xa2, 0x83, 0x19, 0xdb, 0x1a, 0x3e, 0x94,
	0x6b, 0x9e, 0x38, 0xd9, 0x2c, 0x9c, 0x03, 0xd1,
	0xad, 0x99, 0x44, 0xa7, 0xd9, 0x56, 0x3d, 0x59,
	0x06, 0x3c, 0x25, 0xf3, 0xfc, 0x1f, 0xdc, 0x2a,
};

/* ------------------------------------------------- verbs buffer allocator */

/*
 * libmana allocates queue rings through these (control path only). They
 * are tracked so that a port whose device was removed, where destroy verbs
 * fail and libmana keeps its buffers, still returns every byte at close.
 */
static void *
mana_buf_alloc(size_t size, void *data)
{
	struct mana_priv *priv = data;
	void *p;

	if (priv->n_bufs == priv->cap_bufs) {
		uint32_t cap = priv->cap_bufs ? priv->cap_bufs * 2 : 32;
		void **b = realloc(priv->bufs, cap * sizeof(*b));

		if (b == NULL)
			return NULL;
		priv->bufs = b;
		priv->cap_bufs = cap;
	}
	/* page aligned and zeroed, as CQs require (spec §2.2, §7.3) */
	p = rte_zmalloc_socket("mana_verbs_buf", size, 4096, priv->alloc_socket);
	if (p != NULL)
		priv->bufs[priv->n_bufs++] = p;
	return p;
}

static void
mana_buf_free(void *ptr, void *data)
{
	struct mana_priv *priv = data;
	uint32_t i;

	for (i = 0; i < priv->n_bufs; i++) {
		if (priv->bufs[i] == ptr) {
			priv->bufs[i] = priv->bufs[--priv->n_bufs];
			break;
		}
	}
	rte_free(ptr);
}

/* Buffers libmana did not give back: free them once the device is gone. */
static void
mana_bufs_release(struct mana_priv *priv)
{
	uint32_t i;

	if (priv->n_bufs != 0 && !priv->removed) {
		DRV_LOG(WARNING, "port %u: %u queue buffers still held by libmana",
			priv->dev_data->port_id, priv->n_bufs);
		return;
	}
	for (i = 0; i < priv->n_bufs; i++)
		rte_free(priv->bufs[i]);
	free(priv->bufs);
	priv->bufs = NULL;
	priv->n_bufs = 0;
	priv->cap_bufs = 0;
}

void
mana_set_alloc_socket(struct mana_priv *priv, int socket)
{
	priv->alloc_socket = socket;
}

static int mana_read_line(const char *path, char *buf, size_t len);
static int mana_dev_reset(struct rte_eth_dev *dev);
static int mana_dev_start(struct rte_eth_dev *dev);

/* ------------------------------------------------------------- ethdev ops */

static int
mana_dev_configure(struct rte_eth_dev *dev)
{
	struct mana_priv *priv = mana_priv(dev);
	struct rte_eth_rss_conf *rss = &dev->data->dev_conf.rx_adv_conf.rss_conf;

	if (priv->removed)
		return -EIO;
	if (dev->data->dev_conf.rxmode.mq_mode & RTE_ETH_MQ_RX_RSS_FLAG)
		dev->data->dev_conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_RSS_HASH;
	if (rss->rss_key != NULL) {
		if (rss->rss_key_len != MANA_HASH_KEY_SIZE) {
			DRV_LOG(ERR, "port %u: RSS key of %u bytes, the device takes %u",
				dev->data->port_id, rss->rss_key_len, MANA_HASH_KEY_SIZE);
			return -EINVAL;
		}
		memcpy(priv->rss_key, rss->rss_key, MANA_HASH_KEY_SIZE);
	} else {
		memcpy(priv->rss_key, mana_default_rss_key, MANA_HASH_KEY_SIZE);
	}
	priv->rss_hf = rss->rss_hf & MANA_RSS_HF;
	priv->reta_set = false;
	priv->reta_warned = false;
	return 0;
}

static int
mana_dev_infos_get(struct rte_eth_dev *dev, struct rte_eth_dev_info *info)
{
	struct mana_priv *priv = mana_priv(dev);

	info->max_rx_queues = priv->max_queues;
	info->max_tx_queues = priv->max_queues;
	info->min_mtu = MANA_MIN_MTU;
	info->max_mtu = MANA_MAX_MTU;
	info->min_rx_bufsize = RTE_ETHER_MIN_LEN;
	info->max_rx_pktlen = MANA_MAX_MTU + RTE_ETHER_HDR_LEN;
	info->max_mac_addrs = 1;
	info->rx_offload_capa = MANA_RX_OFFLOADS;
	info->tx_offload_capa = MANA_TX_OFFLOADS;
	info->rx_queue_offload_capa = RTE_ETH_RX_OFFLOAD_SCATTER |
				      RTE_ETH_RX_OFFLOAD_VLAN_STRIP;
	info->tx_queue_offload_capa = 0;
	info->dev_capa = 0;
	info->reta_size = MANA_INDIRECT_TABLE_SIZE;
	info->hash_key_size = MANA_HASH_KEY_SIZE;
	info->flow_type_rss_offloads = MANA_RSS_HF;
	info->rx_desc_lim = (struct rte_eth_desc_lim){
		.nb_max = priv->max_desc,
		.nb_min = MANA_MIN_DESC,
		.nb_align = 1,
		.nb_seg_max = MANA_RX_MAX_SGE,
		.nb_mtu_seg_max = MANA_RX_MAX_SGE,
	};
	info->tx_desc_lim = (struct rte_eth_desc_lim){
		.nb_max = priv->max_desc,
		.nb_min = MANA_MIN_DESC,
		.nb_align = 1,
		.nb_seg_max = MANA_TX_MAX_SGE,
		.nb_mtu_seg_max = MANA_TX_MAX_SGE,
	};
	info->default_rxportconf.ring_size = RTE_MIN(MANA_DEFAULT_DESC, priv->max_desc);
	info->default_txportconf.ring_size = RTE_MIN(MANA_DEFAULT_DESC, priv->max_desc);
	info->default_rxportconf.nb_queues = 1;
	info->default_txportconf.nb_queues = 1;
	info->default_rxportconf.burst_size = 32;
	info->default_txportconf.burst_size = 32;
	info->speed_capa = RTE_ETH_LINK_SPEED_100G | RTE_ETH_LINK_SPEED_200G;
	info->err_handle_mode = RTE_ETH_ERROR_HANDLE_MODE_PROACTIVE;
	return 0;
}

static const uint32_t *
mana_dev_supported_ptypes_get(MANA_PTYPES_GET_PARAMS(dev))
{
	/* from the completion's hash type, or what rte_net_get_ptype() reports */
	static const uint32_t ptypes[] = {
		RTE_PTYPE_L2_ETHER,
		RTE_PTYPE_L2_ETHER_VLAN,
		RTE_PTYPE_L2_ETHER_QINQ,
		RTE_PTYPE_L3_IPV4,
		RTE_PTYPE_L3_IPV4_EXT,
		RTE_PTYPE_L3_IPV4_EXT_UNKNOWN,
		RTE_PTYPE_L3_IPV6,
		RTE_PTYPE_L3_IPV6_EXT,
		RTE_PTYPE_L3_IPV6_EXT_UNKNOWN,
		RTE_PTYPE_L4_TCP,
		RTE_PTYPE_L4_UDP,
		RTE_PTYPE_L4_FRAG,
		RTE_PTYPE_L4_SCTP,
		RTE_PTYPE_UNKNOWN,	/* terminator before 24.03, not counted */
	};

	RTE_SET_USED(dev);
	MANA_PTYPES_RETURN(ptypes, RTE_DIM(ptypes) - 1);
}

/*
 * mana_ib reports a port ACTIVE only while the kernel interface is up, and
 * the interface must be down for a raw QP to own the vPort: the verbs port
 * state says nothing here. The vPort carries traffic whenever the port is
 * started; the speed is the nominal one mana_ib reports (4X EDR).
 */
/*
 * Packet types cost a parse per packet: an application that asks for
 * none (rte_eth_dev_set_ptypes(port, RTE_PTYPE_UNKNOWN, ...)) gets none.
 * Takes effect at the next start.
 */
static int
mana_dev_ptypes_set(struct rte_eth_dev *dev, uint32_t ptype_mask)
{
	mana_priv(dev)->ptypes_off = ptype_mask == RTE_PTYPE_UNKNOWN;
	return 0;
}

static int
mana_dev_link_update(struct rte_eth_dev *dev, int wait __rte_unused)
{
	struct mana_priv *priv = mana_priv(dev);
	struct rte_eth_link link = {
		.link_speed = RTE_ETH_SPEED_NUM_NONE,
		.link_duplex = RTE_ETH_LINK_FULL_DUPLEX,
		.link_autoneg = RTE_ETH_LINK_FIXED,
		.link_status = RTE_ETH_LINK_DOWN,
	};

	if (priv->started && !priv->removed && !priv->admin_down) {
		link.link_status = RTE_ETH_LINK_UP;
		link.link_speed = RTE_ETH_SPEED_NUM_100G;
	}
	return rte_eth_linkstatus_set(dev, &link);
}

static int
mana_dev_set_link_up(struct rte_eth_dev *dev)
{
	struct mana_priv *priv = mana_priv(dev);

	if (priv->removed)
		return -EIO;
	priv->admin_down = false;
	mana_dev_link_update(dev, 0);
	return 0;
}

static int
mana_dev_set_link_down(struct rte_eth_dev *dev)
{
	struct mana_priv *priv = mana_priv(dev);

	if (priv->removed)
		return -EIO;
	/* The vPort link is Azure's: only the reported state follows. */
	priv->admin_down = true;
	mana_dev_link_update(dev, 0);
	return 0;
}

/*
 * The vPort delivers everything the vNIC receives (its MAC, broadcast and
 * the multicast Azure forwards); there is no filter to open or close, so
 * both modes are accepted as already in effect.
 */
static int
mana_dev_promisc_allmulti(struct rte_eth_dev *dev)
{
	return mana_priv(dev)->removed ? -EIO : 0;
}

static int
mana_dev_mac_addr_set(struct rte_eth_dev *dev, struct rte_ether_addr *addr)
{
	struct mana_priv *priv = mana_priv(dev);
	char want[RTE_ETHER_ADDR_FMT_SIZE], own[RTE_ETHER_ADDR_FMT_SIZE];

	if (priv->removed)
		return -EIO;
	if (rte_is_same_ether_addr(addr, &priv->mac))
		return 0;
	rte_ether_format_addr(want, sizeof(want), addr);
	rte_ether_format_addr(own, sizeof(own), &priv->mac);
	DRV_LOG(ERR, "port %u: MAC %s refused: Azure assigns the vPort MAC, only %s is possible",
		dev->data->port_id, want, own);
	return -ENOTSUP;
}

/* Write @p mtu to the vPort's kernel interface, which the device enforces. */
static int
mana_kernel_mtu_set(struct mana_priv *priv, uint16_t mtu)
{
	char path[PATH_MAX], val[16];
	int fd, len, ret;

	snprintf(path, sizeof(path), "%s/device/net/%s/mtu", priv->ibdev_path,
		 priv->ifname);
	if (mana_read_line(path, val, sizeof(val)) == 0 &&
	    strtoul(val, NULL, 10) == mtu)
		return 0;
	fd = open(path, O_WRONLY);
	if (fd < 0) {
		ret = -errno;
		DRV_LOG(ERR, "port %u: cannot set MTU %u through %s: %s (needs root)",
			priv->dev_data->port_id, mtu, path, strerror(errno));
		return ret;
	}
	len = snprintf(val, sizeof(val), "%u\n", mtu);
	ret = write(fd, val, len) == len ? 0 : -errno;
	close(fd);
	if (ret != 0)
		DRV_LOG(ERR, "port %u: writing MTU %u to %s: %s",
			priv->dev_data->port_id, mtu, path, strerror(-ret));
	return ret;
}

/*
 * A started port's RX buffers cannot take @p mtu: say in one line all it
 * takes, so the restart the user does next succeeds.
 */
static void
mtu_refused_log(struct rte_eth_dev *dev, const struct mana_rxq *rxq, uint16_t mtu)
{
	uint32_t frame = mana_rx_frame_size(mtu);
	bool scatter = rxq->conf.offloads & RTE_ETH_RX_OFFLOAD_SCATTER;
	uint32_t nsge = (frame + rxq->seg_size - 1) / rxq->seg_size;

	if (scatter && nsge <= MANA_RX_MAX_SGE)
		DRV_LOG(ERR, "port %u: MTU %u (%u-byte frames) does not fit rxq %u's posted buffers (%u bytes): stop the port, set the MTU, then start it",
			dev->data->port_id, mtu, frame, rxq->queue_id, rxq->wqe_capacity);
	else
		DRV_LOG(ERR, "port %u: MTU %u (%u-byte frames) does not fit rxq %u's %u-byte mbufs: stop the port, set the MTU, and before starting it %s%u bytes after the headroom",
			dev->data->port_id, mtu, frame, rxq->queue_id, rxq->seg_size,
			scatter ? "set the queue up with mbufs of at least " :
			"enable RTE_ETH_RX_OFFLOAD_SCATTER on the queue or set it up with mbufs of at least ",
			scatter ? (frame + MANA_RX_MAX_SGE - 1) / MANA_RX_MAX_SGE : frame);
}

static int
mana_dev_mtu_set(struct rte_eth_dev *dev, uint16_t mtu)
{
	struct mana_priv *priv = mana_priv(dev);
	uint16_t i;

	if (priv->removed)
		return -EIO;
	if (mtu < MANA_MIN_MTU || mtu > MANA_MAX_MTU)
		return -EINVAL;
	if (dev->data->dev_started) {
		for (i = 0; i < dev->data->nb_rx_queues; i++) {
			struct mana_rxq *rxq = dev->data->rx_queues[i];

			if (rxq != NULL && rxq->active &&
			    mana_rx_frame_size(mtu) > rxq->wqe_capacity) {
				mtu_refused_log(dev, rxq, mtu);
				return -EINVAL;
			}
		}
	}
	return mana_kernel_mtu_set(priv, mtu);
}

static int
mana_dev_start(struct rte_eth_dev *dev)
{
	struct mana_priv *priv = mana_priv(dev);
	uint16_t i;
	int ret;

	if (priv->removed)
		return -EIO;
	/* rte_eth_dev_configure() may have changed the MTU without mtu_set */
	if (mana_kernel_mtu_set(priv, dev->data->mtu) != 0)
		DRV_LOG(WARNING, "port %u: the device may drop frames above the kernel interface's MTU",
			dev->data->port_id);
	ret = mana_mr_start(priv);
	if (ret != 0)
		return ret;
	/* spec §7.2: raw (TX) QPs configure the vPort, before the RSS QP */
	ret = mana_tx_start(dev);
	if (ret != 0)
		goto err_tx;
	ret = mana_rx_start(dev);
	if (ret != 0)
		goto err_rx;
	if (dev->data->dev_conf.intr_conf.rxq) {
		ret = mana_rx_intr_vec_install(dev);
		if (ret != 0)
			goto err_intr;
	}
	for (i = 0; i < dev->data->nb_rx_queues; i++)
		dev->data->rx_queue_state[i] = RTE_ETH_QUEUE_STATE_STARTED;
	for (i = 0; i < dev->data->nb_tx_queues; i++)
		dev->data->tx_queue_state[i] = RTE_ETH_QUEUE_STATE_STARTED;
	priv->started = true;
	mana_dev_link_update(dev, 0);
	return 0;
err_intr:
	mana_rx_stop(dev);
err_rx:
	mana_tx_stop(dev);
err_tx:
	mana_mr_gc(priv);
	return ret;
}

/* Stop the port's queues; no burst may run on it. */
static void
mana_port_stop(struct rte_eth_dev *dev)
{
	struct mana_priv *priv = mana_priv(dev);
	struct rte_eth_link link = { .link_status = RTE_ETH_LINK_DOWN };
	uint16_t i;

	mana_rx_intr_vec_uninstall(dev);
	mana_rx_stop(dev);
	mana_tx_stop(dev);
	mana_mr_gc(priv);
	for (i = 0; i < dev->data->nb_rx_queues; i++)
		dev->data->rx_queue_state[i] = RTE_ETH_QUEUE_STATE_STOPPED;
	for (i = 0; i < dev->data->nb_tx_queues; i++)
		dev->data->tx_queue_state[i] = RTE_ETH_QUEUE_STATE_STOPPED;
	priv->started = false;
	rte_eth_linkstatus_set(dev, &link);
}

/*
 * eth_dev_ops dev_stop. During a recovery the recovery alarm owns the
 * verbs objects: wait for it to be idle, stop, and let the recovery go on
 * without restarting the port.
 */
static int
mana_dev_stop(struct rte_eth_dev *dev)
{
	struct mana_priv *priv = mana_priv(dev);
	bool recovering = priv->recovering;

	if (recovering)
		rte_eal_alarm_cancel(mana_recover_alarm, dev);
	mana_port_stop(dev);
	if (recovering && priv->recovering) {
		priv->restart_after_recovery = false;
		rte_eal_alarm_set(priv->recover_poll_us, mana_recover_alarm, dev);
	}
	return 0;
}

/* Free every verbs object and allocation of the port; tolerates half-built. */
static void
mana_priv_release(struct mana_priv *priv)
{
	int ret;

	mana_mr_release(priv);
	if (priv->parent_pd != NULL) {
		ret = ibv_dealloc_pd(priv->parent_pd);
		if (ret != 0)
			DRV_LOG(DEBUG, "ibv_dealloc_pd(parent): %s", strerror(ret));
		priv->parent_pd = NULL;
	}
	if (priv->pd != NULL) {
		ret = ibv_dealloc_pd(priv->pd);
		if (ret != 0)
			DRV_LOG(DEBUG, "ibv_dealloc_pd: %s", strerror(ret));
		priv->pd = NULL;
	}
	if (priv->ctx != NULL) {
		ibv_close_device(priv->ctx);
		priv->ctx = NULL;
	}
	mana_bufs_release(priv);
}

static int
mana_dev_close(struct rte_eth_dev *dev)
{
	struct mana_priv *priv = mana_priv(dev);
	uint16_t i;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return 0;
	priv->recovering = false;
	rte_eal_alarm_cancel(mana_recover_alarm, dev);
	rte_eal_alarm_cancel(mana_rmv_alarm, dev);
	if (priv->started)
		mana_port_stop(dev);
	for (i = 0; i < dev->data->nb_rx_queues; i++)
		mana_dev_rx_queue_release(dev, i);
	for (i = 0; i < dev->data->nb_tx_queues; i++)
		mana_dev_tx_queue_release(dev, i);
	mana_intr_uninstall(dev);
	mana_dev_event_uninstall(dev);
	mana_priv_release(priv);
	return 0;
}

static int
mana_dev_rss_hash_update(struct rte_eth_dev *dev, struct rte_eth_rss_conf *conf)
{
	struct mana_priv *priv = mana_priv(dev);
	uint8_t old_key[MANA_HASH_KEY_SIZE];
	uint64_t old_hf = priv->rss_hf;
	int ret;

	if (priv->removed)
		return -EIO;
	if (conf->rss_hf & ~MANA_RSS_HF) {
		DRV_LOG(ERR, "port %u: RSS types %#" PRIx64 " not supported",
			dev->data->port_id, conf->rss_hf & ~MANA_RSS_HF);
		return -EINVAL;
	}
	if (conf->rss_key != NULL && conf->rss_key_len != MANA_HASH_KEY_SIZE) {
		DRV_LOG(ERR, "port %u: RSS key of %u bytes, the device takes %u",
			dev->data->port_id, conf->rss_key_len, MANA_HASH_KEY_SIZE);
		return -EINVAL;
	}
	memcpy(old_key, priv->rss_key, sizeof(old_key));
	if (conf->rss_key != NULL)
		memcpy(priv->rss_key, conf->rss_key, MANA_HASH_KEY_SIZE);
	priv->rss_hf = conf->rss_hf;
	if (!priv->started)
		return 0;
	ret = mana_rx_restart(dev);
	if (ret != 0) {
		memcpy(priv->rss_key, old_key, sizeof(old_key));
		priv->rss_hf = old_hf;
		if (mana_rx_restart(dev) != 0)
			DRV_LOG(ERR, "port %u: RX stays down after a failed RSS update",
				dev->data->port_id);
	}
	return ret;
}

static int
mana_dev_rss_hash_conf_get(struct rte_eth_dev *dev, struct rte_eth_rss_conf *conf)
{
	struct mana_priv *priv = mana_priv(dev);

	if (conf->rss_key != NULL) {
		if (conf->rss_key_len < MANA_HASH_KEY_SIZE)
			return -EINVAL;
		memcpy(conf->rss_key, priv->rss_key, MANA_HASH_KEY_SIZE);
	}
	conf->rss_key_len = MANA_HASH_KEY_SIZE;
	conf->rss_hf = priv->rss_hf;
	return 0;
}

static int
mana_dev_reta_update(struct rte_eth_dev *dev,
		     struct rte_eth_rss_reta_entry64 *conf, uint16_t size)
{
	struct mana_priv *priv = mana_priv(dev);
	uint16_t old[MANA_INDIRECT_TABLE_SIZE];
	bool old_set = priv->reta_set;
	uint16_t i;
	int ret;

	if (priv->removed)
		return -EIO;
	if (size != MANA_INDIRECT_TABLE_SIZE) {
		DRV_LOG(ERR, "port %u: RETA of %u entries, the device has %u",
			dev->data->port_id, size, MANA_INDIRECT_TABLE_SIZE);
		return -EINVAL;
	}
	for (i = 0; i < size; i++) {
		const struct rte_eth_rss_reta_entry64 *c = &conf[i / RTE_ETH_RETA_GROUP_SIZE];
		uint16_t j = i % RTE_ETH_RETA_GROUP_SIZE;

		if ((c->mask & RTE_BIT64(j)) && c->reta[j] >= dev->data->nb_rx_queues) {
			DRV_LOG(ERR, "port %u: RETA entry %u names queue %u of %u",
				dev->data->port_id, i, c->reta[j],
				dev->data->nb_rx_queues);
			return -EINVAL;
		}
	}
	memcpy(old, priv->reta, sizeof(old));
	if (!priv->reta_set)
		for (i = 0; i < size; i++)
			priv->reta[i] = i % RTE_MAX(dev->data->nb_rx_queues, 1);
	for (i = 0; i < size; i++) {
		const struct rte_eth_rss_reta_entry64 *c = &conf[i / RTE_ETH_RETA_GROUP_SIZE];
		uint16_t j = i % RTE_ETH_RETA_GROUP_SIZE;

		if (c->mask & RTE_BIT64(j))
			priv->reta[i] = c->reta[j];
	}
	/* 0 only for a table that will be in force as asked */
	ret = mana_rx_reta_check(dev, priv->reta);
	if (ret != 0) {
		memcpy(priv->reta, old, sizeof(old));
		return ret;
	}
	priv->reta_set = true;
	priv->reta_warned = false;
	if (!priv->started)
		return 0;
	ret = mana_rx_restart(dev);
	if (ret != 0) {
		memcpy(priv->reta, old, sizeof(old));
		priv->reta_set = old_set;
		if (mana_rx_restart(dev) != 0)
			DRV_LOG(ERR, "port %u: RX stays down after a failed RETA update",
				dev->data->port_id);
	}
	return ret;
}

static int
mana_dev_reta_query(struct rte_eth_dev *dev,
		    struct rte_eth_rss_reta_entry64 *conf, uint16_t size)
{
	struct mana_priv *priv = mana_priv(dev);
	uint16_t nq = RTE_MAX(dev->data->nb_rx_queues, 1);
	uint16_t i;

	if (size != MANA_INDIRECT_TABLE_SIZE)
		return -EINVAL;
	for (i = 0; i < size; i++) {
		struct rte_eth_rss_reta_entry64 *c = &conf[i / RTE_ETH_RETA_GROUP_SIZE];
		uint16_t j = i % RTE_ETH_RETA_GROUP_SIZE;

		if (c->mask & RTE_BIT64(j))
			c->reta[j] = priv->started ? priv->reta_eff[i] :
				     priv->reta_set ? priv->reta[i] : i % nq;
	}
	return 0;
}

static void
mana_dev_rxq_info_get(struct rte_eth_dev *dev, uint16_t qid,
		      struct rte_eth_rxq_info *qinfo)
{
	struct mana_rxq *rxq = dev->data->rx_queues[qid];

	qinfo->mp = rxq->mp;
	qinfo->nb_desc = mana_rxq_nb_desc(rxq);	/* over all its hardware RQs */
	qinfo->conf = rxq->conf;
	qinfo->scattered_rx = rxq->nb_sge > 1;
	qinfo->rx_buf_size = rxq->seg_size;
}

static void
mana_dev_txq_info_get(struct rte_eth_dev *dev, uint16_t qid,
		      struct rte_eth_txq_info *qinfo)
{
	struct mana_txq *txq = dev->data->tx_queues[qid];

	qinfo->nb_desc = txq->nb_desc;
	qinfo->conf = txq->conf;
}

static int
mana_dev_rx_burst_mode_get(struct rte_eth_dev *dev __rte_unused,
			   uint16_t qid __rte_unused,
			   struct rte_eth_burst_mode *mode)
{
	snprintf(mode->info, sizeof(mode->info), "Scalar");
	return 0;
}

static int
mana_dev_tx_burst_mode_get(struct rte_eth_dev *dev __rte_unused,
			   uint16_t qid __rte_unused,
			   struct rte_eth_burst_mode *mode)
{
	snprintf(mode->info, sizeof(mode->info), "Scalar");
	return 0;
}

static int
mana_dev_tx_done_cleanup(void *q, uint32_t free_cnt)
{
	struct mana_txq *txq = q;

	if (txq->removed)
		return -EIO;
	return (int)mana_tx_reap(txq, free_cnt ? free_cnt : UINT32_MAX);
}

static const struct eth_dev_ops mana_dev_ops = {
	.dev_configure = mana_dev_configure,
	.dev_start = mana_dev_start,
	.dev_stop = mana_dev_stop,
	.dev_close = mana_dev_close,
	.dev_reset = mana_dev_reset,
	.dev_set_link_up = mana_dev_set_link_up,
	.dev_set_link_down = mana_dev_set_link_down,
	.promiscuous_enable = mana_dev_promisc_allmulti,
	.promiscuous_disable = mana_dev_promisc_allmulti,
	.allmulticast_enable = mana_dev_promisc_allmulti,
	.allmulticast_disable = mana_dev_promisc_allmulti,
	.link_update = mana_dev_link_update,
	.stats_get = mana_dev_stats_get,
	.stats_reset = mana_dev_stats_reset,
	.xstats_get = mana_dev_xstats_get,
	.xstats_get_names = mana_dev_xstats_get_names,
	.xstats_reset = mana_dev_xstats_reset,
	.dev_infos_get = mana_dev_infos_get,
	.dev_supported_ptypes_get = mana_dev_supported_ptypes_get,
	.dev_ptypes_set = mana_dev_ptypes_set,
	.mtu_set = mana_dev_mtu_set,
	.mac_addr_set = mana_dev_mac_addr_set,
	.reta_update = mana_dev_reta_update,
	.reta_query = mana_dev_reta_query,
	.rss_hash_update = mana_dev_rss_hash_update,
	.rss_hash_conf_get = mana_dev_rss_hash_conf_get,
	.rx_queue_setup = mana_dev_rx_queue_setup,
	.rx_queue_release = mana_dev_rx_queue_release,
	.tx_queue_setup = mana_dev_tx_queue_setup,
	.tx_queue_release = mana_dev_tx_queue_release,
	.rx_queue_intr_enable = mana_rx_multi_intr_enable,
	.rx_queue_intr_disable = mana_rx_multi_intr_disable,
	.rxq_info_get = mana_dev_rxq_info_get,
	.txq_info_get = mana_dev_txq_info_get,
	.rx_burst_mode_get = mana_dev_rx_burst_mode_get,
	.tx_burst_mode_get = mana_dev_tx_burst_mode_get,
	.tx_done_cleanup = mana_dev_tx_done_cleanup,
};

/* ------------------------------------------------------------------ probe */

struct mana_probe_args {
	struct rte_ether_addr macs[MANA_MAX_MAC_ARGS];
	unsigned int n_macs;
	uint32_t recover_timeout_ms;
};

static int
mana_arg_mac(const char *key, const char *value, void *opaque)
{
	struct mana_probe_args *a = opaque;
	struct rte_ether_addr mac;
	unsigned int i;

	if (value == NULL || value[0] == '\0') {
		INIT_LOG(ERR, "%s needs a value: %s=xx:xx:xx:xx:xx:xx", key, key);
		return -EINVAL;
	}
	if (a->n_macs == MANA_MAX_MAC_ARGS) {
		INIT_LOG(ERR, "more than %u %s= arguments", MANA_MAX_MAC_ARGS, key);
		return -E2BIG;
	}
	if (rte_ether_unformat_addr(value, &mac) != 0) {
		INIT_LOG(ERR, "%s=%s is not a MAC address (expected xx:xx:xx:xx:xx:xx)",
			 key, value);
		return -EINVAL;
	}
	for (i = 0; i < a->n_macs; i++) {
		if (rte_is_same_ether_addr(&a->macs[i], &mac)) {
			INIT_LOG(ERR, "%s=%s given twice: name each port once", key, value);
			return -EINVAL;
		}
	}
	a->macs[a->n_macs++] = mac;
	return 0;
}

static int
mana_arg_recovery_timeout(const char *key, const char *value, void *opaque)
{
	struct mana_probe_args *a = opaque;
	unsigned long v;
	char *end;

	if (value == NULL || value[0] == '\0') {
		INIT_LOG(ERR, "%s needs a value: %s=<milliseconds from 1 to %u>", key, key,
			 MANA_RECOVER_TIMEOUT_MAX_MS);
		return -EINVAL;
	}
	errno = 0;
	v = strtoul(value, &end, 10);
	if (value[0] < '0' || value[0] > '9' || *end != '\0' || errno != 0 ||
	    v == 0 || v > MANA_RECOVER_TIMEOUT_MAX_MS) {
		INIT_LOG(ERR, "%s=%s is invalid: give milliseconds from 1 to %u (default %u)",
			 key, value, MANA_RECOVER_TIMEOUT_MAX_MS,
			 MANA_RECOVER_TIMEOUT_MS);
		return -EINVAL;
	}
	a->recover_timeout_ms = (uint32_t)v;
	return 0;
}

static int
mana_parse_devargs(const struct rte_devargs *devargs, struct mana_probe_args *a)
{
	struct rte_kvargs *kvlist;
	int ret;

	memset(a, 0, sizeof(*a));
	a->recover_timeout_ms = MANA_RECOVER_TIMEOUT_MS;
	if (devargs == NULL || devargs->args == NULL || devargs->args[0] == '\0')
		return 0;
	kvlist = rte_kvargs_parse(devargs->args, mana_valid_args);
	if (kvlist == NULL) {
		INIT_LOG(ERR, "cannot parse devargs \"%s\" (accepted: mac=<address>, up to %u times; %s=<ms>)",
			 devargs->args, MANA_MAX_MAC_ARGS,
			 MANA_DEVARG_RECOVERY_TIMEOUT);
		return -EINVAL;
	}
	ret = rte_kvargs_process(kvlist, MANA_DEVARG_MAC, mana_arg_mac, a);
	if (ret == 0 && rte_kvargs_count(kvlist, MANA_DEVARG_RECOVERY_TIMEOUT) > 1) {
		INIT_LOG(ERR, "%s= given more than once", MANA_DEVARG_RECOVERY_TIMEOUT);
		ret = -EINVAL;
	}
	if (ret == 0)
		ret = rte_kvargs_process(kvlist, MANA_DEVARG_RECOVERY_TIMEOUT,
					 mana_arg_recovery_timeout, a);
	rte_kvargs_free(kvlist);
	return ret < 0 ? ret : 0;
}

/* Read the first line of a sysfs file into @p buf; 0 or a negative errno. */
static int
mana_read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return -errno;
	if (fgets(buf, (int)len, f) == NULL) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* Is @p ibdev the IB device of the PCI function @p addr? */
static bool
mana_ibdev_is_pci(struct ibv_device *ibdev, const struct rte_pci_addr *addr)
{
	char path[PATH_MAX], line[256];
	bool match = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/device/uevent", ibdev->ibdev_path);
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL) {
		struct rte_pci_addr a;

		if (strncmp(line, "PCI_SLOT_NAME=", 14) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		if (rte_pci_addr_parse(line + 14, &a) == 0 &&
		    rte_pci_addr_cmp(&a, addr) == 0)
			match = true;
		break;
	}
	fclose(f);
	return match;
}

/* MAC and interface name of the netdev whose dev_port is @p port - 1. */
static int
mana_port_mac(const char *ibdev_path, unsigned int port,
	      struct rte_ether_addr *mac, char ifname[IF_NAMESIZE])
{
	char dir[PATH_MAX], path[PATH_MAX + 300], line[64];
	struct dirent *de;
	int ret = -ENOENT;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/device/net", ibdev_path);
	d = opendir(dir);
	if (d == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/dev_port", dir, de->d_name);
		if (mana_read_line(path, line, sizeof(line)) != 0 ||
		    strtoul(line, NULL, 0) != port - 1)
			continue;
		snprintf(path, sizeof(path), "%s/%s/address", dir, de->d_name);
		if (mana_read_line(path, line, sizeof(line)) != 0 ||
		    rte_ether_unformat_addr(line, mac) != 0)
			continue;
		rte_strscpy(ifname, de->d_name, IF_NAMESIZE);
		ret = 0;
		break;
	}
	closedir(d);
	return ret;
}

/* Open @p ibdev for one vPort; fills the verbs part of @p priv. */

/*
 * libmana of rdma-core 44 to 49 takes at most 256 entries per CQ, WQ and
 * SQ, whatever the kernel reports (a Debian 12 VM on a newer Azure kernel
 * sees max_qp_wr 2048): a CQ of 257 entries tells, refused with EINVAL by
 * libmana before the kernel is asked. The context's allocators are set.
 */
static bool
mana_libmana_caps_queues(struct ibv_context *ctx)
{
	struct ibv_cq *cq = ibv_create_cq(ctx, MANA_LIBMANA44_MAX_DESC + 1, NULL, NULL, 0);

	if (cq != NULL) {
		ibv_destroy_cq(cq);
		return false;
	}
	return errno == EINVAL;
}
static int
mana_priv_open(struct mana_priv *priv, struct ibv_device *ibdev)
{
	struct manadv_ctx_allocators alloc = {
		.alloc = mana_buf_alloc,
		.free = mana_buf_free,
		.data = priv,
	};
	uint32_t maxd;
	int ret;

	priv->ctx = ibv_open_device(ibdev);
	if (priv->ctx == NULL) {
		ret = -(errno ? errno : ENODEV);
		INIT_LOG(ERR, "%s: ibv_open_device: %s (is /dev/infiniband accessible?)",
			 ibdev->name, strerror(-ret));
		return ret;
	}
	ret = ibv_query_device_ex(priv->ctx, NULL, &priv->dev_attr);
	if (ret != 0) {
		ret = -ret;
		INIT_LOG(ERR, "%s: ibv_query_device_ex: %s", ibdev->name, strerror(-ret));
		goto err;
	}
	ret = manadv_set_context_attr(priv->ctx, MANADV_CTX_ATTR_BUF_ALLOCATORS, &alloc);
	if (ret != 0) {
		ret = -ret;
		INIT_LOG(ERR, "%s: manadv_set_context_attr: %s (rdma-core >= 44 with libmana is needed)",
			 ibdev->name, strerror(-ret));
		goto err;
	}
	priv->pd = ibv_alloc_pd(priv->ctx);
	if (priv->pd == NULL) {
		ret = -(errno ? errno : ENOMEM);
		INIT_LOG(ERR, "%s: ibv_alloc_pd: %s", ibdev->name, strerror(-ret));
		goto err;
	}
	priv->parent_pd = ibv_alloc_parent_domain(priv->ctx,
		&(struct ibv_parent_domain_init_attr){
			.pd = priv->pd,
			.comp_mask = IBV_PARENT_DOMAIN_INIT_ATTR_PD_CONTEXT,
			.pd_context = (void *)(uintptr_t)priv->ib_port,
		});
	if (priv->parent_pd == NULL) {
		ret = -(errno ? errno : ENOMEM);
		INIT_LOG(ERR, "%s: ibv_alloc_parent_domain: %s", ibdev->name,
			 strerror(-ret));
		goto err;
	}
	maxd = RTE_MIN((uint32_t)priv->dev_attr.orig_attr.max_qp_wr,
		       (uint32_t)priv->dev_attr.orig_attr.max_cqe);
	maxd = RTE_MIN(maxd, (uint32_t)UINT16_MAX + 1);
	if (maxd < MANA_MIN_DESC) {
		INIT_LOG(ERR, "%s: device allows %u descriptors, %u needed",
			 ibdev->name, maxd, MANA_MIN_DESC);
		ret = -ENOTSUP;
		goto err;
	}
	/* the kernel's limit is not the only one: rdma-core's may be lower */
	if (maxd > MANA_LIBMANA44_MAX_DESC && mana_libmana_caps_queues(priv->ctx))
		maxd = MANA_LIBMANA44_MAX_DESC;
	priv->max_desc = (uint16_t)RTE_MIN(rte_align32prevpow2(maxd), 32768u);
	if (priv->max_desc <= 256)
		INIT_LOG(NOTICE, "%s: queues of at most %u descriptors (libmana of rdma-core 44 to 48 and its kernels): in OVS-DPDK set options:n_rxq_desc=%u options:n_txq_desc=%u on each dpdk port (OVS asks for 2048; newer rdma-core and kernels allow it)",
			 ibdev->name, priv->max_desc, priv->max_desc, priv->max_desc);
	priv->max_queues = (uint16_t)RTE_MIN(RTE_MIN(
		(uint32_t)priv->dev_attr.orig_attr.max_qp,
		(uint32_t)priv->dev_attr.orig_attr.max_cq / 2),
		(uint32_t)MANA_MAX_QUEUES);
	if (priv->max_queues == 0) {
		INIT_LOG(ERR, "%s: device reports no queues", ibdev->name);
		ret = -ENOTSUP;
		goto err;
	}
	return 0;
err:
	mana_priv_release(priv);
	return ret;
}

static int
mana_probe_port(struct rte_pci_device *pci_dev, struct ibv_device *ibdev,
		unsigned int port, const struct rte_ether_addr *mac,
		const char *ifname, const struct mana_probe_args *args)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	struct rte_eth_dev *dev;
	struct mana_priv *priv;
	int ret;

	snprintf(name, sizeof(name), "%s_port%u", pci_dev->device.name, port);
	dev = rte_eth_dev_allocate(name);
	if (dev == NULL) {
		INIT_LOG(ERR, "%s: cannot allocate an ethdev", name);
		return -ENOMEM;
	}
	priv = rte_zmalloc_socket(name, sizeof(*priv), RTE_CACHE_LINE_SIZE,
				  pci_dev->device.numa_node);
	if (priv == NULL) {
		ret = -ENOMEM;
		goto err_priv;
	}
	dev->data->dev_private = priv;
	priv->dev_data = dev->data;
	priv->pci_dev = pci_dev;
	priv->ib_port = (uint8_t)port;
	priv->mac = *mac;
	priv->recover_timeout_ms = args->recover_timeout_ms;
	rte_spinlock_init(&priv->mr.lock);
	priv->alloc_socket = pci_dev->device.numa_node;
	rte_strscpy(priv->ibdev_name, ibdev->name, sizeof(priv->ibdev_name));
	rte_strscpy(priv->ibdev_path, ibdev->ibdev_path, sizeof(priv->ibdev_path));
	rte_strscpy(priv->ifname, ifname, sizeof(priv->ifname));
	memcpy(priv->rss_key, mana_default_rss_key, MANA_HASH_KEY_SIZE);

	ret = mana_priv_open(priv, ibdev);
	if (ret != 0)
		goto err_open;
	dev->data->mac_addrs = rte_zmalloc(name, sizeof(struct rte_ether_addr), 0);
	if (dev->data->mac_addrs == NULL) {
		ret = -ENOMEM;
		goto err_mac;
	}
	dev->data->mac_addrs[0] = *mac;
	dev->device = &pci_dev->device;
	dev->dev_ops = &mana_dev_ops;
	dev->rx_pkt_burst = mana_rx_burst;
	dev->tx_pkt_burst = mana_tx_burst;
	dev->tx_pkt_prepare = mana_tx_prepare;
	dev->rx_queue_count = mana_rx_queue_count;
	dev->rx_descriptor_status = mana_rx_descriptor_status;
	dev->tx_descriptor_status = mana_tx_descriptor_status;
	dev->data->dev_flags |= RTE_ETH_DEV_INTR_RMV;
	dev->data->numa_node = pci_dev->device.numa_node;
	dev->data->mtu = RTE_ETHER_MTU;
	ret = mana_intr_install(dev);
	if (ret != 0)
		INIT_LOG(WARNING, "%s: no async events, removal will not be detected: %s",
			 name, strerror(-ret));
	ret = mana_dev_event_install(dev);
	if (ret != 0)
		INIT_LOG(WARNING, "%s: no PCI removal events: %s", name, strerror(-ret));
	rte_eth_dev_probing_finish(dev);
	INIT_LOG(INFO, "%s: port %u, %s port %u (%s) MAC " RTE_ETHER_ADDR_PRT_FMT,
		 name, dev->data->port_id, ibdev->name, port, ifname,
		 RTE_ETHER_ADDR_BYTES(mac));
	return 0;
err_mac:
	mana_priv_release(priv);
err_open:
err_priv:
	rte_eth_dev_release_port(dev);
	return ret;
}

/* Pick the Ethernet IB device of the PCI function (spec §7.2, §7.6). */
static struct ibv_device *
mana_find_ibdev(struct ibv_device **list, int n, const struct rte_pci_addr *addr,
		uint8_t *nports)
{
	struct ibv_device *best = NULL;
	int best_rank = 0, i;

	for (i = 0; i < n; i++) {
		struct ibv_device_attr_ex attr;
		struct ibv_context *ctx;
		int rank = 0;

		if (!mana_ibdev_is_pci(list[i], addr))
			continue;
		ctx = ibv_open_device(list[i]);
		if (ctx == NULL) {
			INIT_LOG(WARNING, "%s: ibv_open_device: %s", list[i]->name,
				 strerror(errno));
			continue;
		}
		if (ibv_query_device_ex(ctx, NULL, &attr) == 0) {
			if (attr.orig_attr.vendor_part_id == MANA_GDMA_DEVICE_MANA &&
			    attr.raw_packet_caps != 0)
				rank = 2;	/* the Ethernet device of IB-eth kernels */
			else if (attr.orig_attr.vendor_part_id == 0)
				rank = 1;	/* older kernels: one device */
		}
		if (rank > best_rank) {
			best = list[i];
			best_rank = rank;
			*nports = attr.orig_attr.phys_port_cnt;
		}
		ibv_close_device(ctx);
	}
	return best;
}

/*
 * Find the vPort again by PCI address and MAC (after a service reset the IB
 * device comes back under a new name) and open it. The queues keep their
 * removed flags. 0 on success, -ENODEV while the vPort is not back, another
 * negative errno value otherwise.
 */
static int
mana_reopen(struct rte_eth_dev *dev)
{
	struct mana_priv *priv = mana_priv(dev);
	struct ibv_device **list, *ibdev;
	uint8_t nports = 0;
	unsigned int p;
	int n, ret = -ENODEV;

	if (priv->pci_removed)
		return -ENODEV;
	list = ibv_get_device_list(&n);
	if (list == NULL)
		return -ENODEV;
	ibdev = mana_find_ibdev(list, n, &priv->pci_dev->addr, &nports);
	for (p = 1; ibdev != NULL && p <= nports; p++) {
		struct rte_ether_addr mac;
		char ifname[IF_NAMESIZE];

		if (mana_port_mac(ibdev->ibdev_path, p, &mac, ifname) != 0 ||
		    !rte_is_same_ether_addr(&mac, &priv->mac))
			continue;
		priv->ib_port = (uint8_t)p;
		rte_strscpy(priv->ibdev_name, ibdev->name, sizeof(priv->ibdev_name));
		rte_strscpy(priv->ibdev_path, ibdev->ibdev_path, sizeof(priv->ibdev_path));
		rte_strscpy(priv->ifname, ifname, sizeof(priv->ifname));
		ret = mana_priv_open(priv, ibdev);
		break;
	}
	ibv_free_device_list(list);
	if (ret != 0)
		return ret;
	priv->removed = 0;
	priv->rmv_notified = false;
	if (mana_intr_install(dev) != 0)
		DRV_LOG(WARNING, "port %u: no async events after reopening %s",
			dev->data->port_id, priv->ibdev_name);
	return 0;
}

/* Drop every verbs object of a port; no burst may run on it. */
static void
mana_teardown(struct rte_eth_dev *dev)
{
	struct mana_priv *priv = mana_priv(dev);

	if (priv->started)
		mana_port_stop(dev);
	mana_intr_uninstall(dev);
	mana_priv_release(priv);
}

/*
 * eth_dev_ops dev_reset: drop every verbs object and open the vPort again.
 * The application configures the port again afterwards.
 */
static int
mana_dev_reset(struct rte_eth_dev *dev)
{
	struct mana_priv *priv = mana_priv(dev);
	int ret;

	priv->recovering = false;
	rte_eal_alarm_cancel(mana_recover_alarm, dev);
	mana_teardown(dev);
	ret = mana_reopen(dev);
	if (ret != 0) {
		DRV_LOG(ERR, "port %u: reset: the vPort with MAC " RTE_ETHER_ADDR_PRT_FMT " is not back on %s: %s",
			dev->data->port_id, RTE_ETHER_ADDR_BYTES(&priv->mac),
			priv->pci_dev->device.name, strerror(-ret));
		return ret;
	}
	mana_queues_resume(dev);
	return 0;
}

void
mana_recover_begin(struct rte_eth_dev *dev)
{
	struct mana_priv *priv = mana_priv(dev);

	priv->recovering = true;
	priv->restart_after_recovery = priv->started;
	priv->recover_deadline = rte_get_timer_cycles() +
		rte_get_timer_hz() * priv->recover_timeout_ms / 1000;
	priv->recover_poll_us = MANA_RECOVER_POLL_MIN_US;
	/* armed first: a callback that closes the port cancels it */
	rte_eal_alarm_set(priv->recover_poll_us, mana_recover_alarm, dev);
	rte_eth_dev_callback_process(dev, RTE_ETH_EVENT_ERR_RECOVERING, NULL);
}

bool
mana_pci_present(const struct mana_priv *priv)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", rte_pci_get_sysfs_path(),
		 priv->pci_dev->device.name);
	return access(path, F_OK) == 0;
}

/*
 * Service reset (spec §9, vf-hotplug §5.3): the PCI function stayed, the
 * IB device went away and comes back. Poll for it from an alarm on the
 * interrupt thread, then rebuild the port with its configuration.
 */
void
mana_recover_alarm(void *arg)
{
	struct rte_eth_dev *dev = arg;
	struct mana_priv *priv = mana_priv(dev);
	bool restart = priv->restart_after_recovery;
	int ret;

	if (!priv->recovering)
		return;
	if (priv->pci_removed || !mana_pci_present(priv)) {
		/* the reset turned into a removal */
		DRV_LOG(ERR, "port %u: %s was removed, not reset: close the port; it can be probed again when the function returns",
			dev->data->port_id, priv->pci_dev->device.name);
		priv->recovering = false;
		mana_notify_removal(dev);
		return;
	}
	mana_teardown(dev);
	ret = mana_reopen(dev);
	if (ret == -ENODEV && !mana_pci_present(priv)) {
		/* the function left while we looked for its IB device */
		DRV_LOG(ERR, "port %u: %s was removed, not reset: close the port; it can be probed again when the function returns",
			dev->data->port_id, priv->pci_dev->device.name);
		priv->recovering = false;
		mana_notify_removal(dev);
		return;
	}
	if (ret == -ENODEV && rte_get_timer_cycles() < priv->recover_deadline) {
		priv->recover_poll_us = RTE_MIN(priv->recover_poll_us * 2,
						(uint32_t)MANA_RECOVER_POLL_MAX_US);
		rte_eal_alarm_set(priv->recover_poll_us, mana_recover_alarm, dev);
		return;
	}
	if (ret == 0 && restart) {
		ret = mana_dev_start(dev);
		if (ret != 0)
			mana_teardown(dev);
	}
	priv->recovering = false;
	if (ret != 0) {
		priv->removed = 1;
		DRV_LOG(ERR, "port %u: %s did not come back after a reset: %s; close the port",
			dev->data->port_id, priv->pci_dev->device.name, strerror(-ret));
		rte_eth_dev_callback_process(dev, RTE_ETH_EVENT_RECOVERY_FAILED, NULL);
		return;
	}
	mana_queues_resume(dev);
	DRV_LOG(NOTICE, "port %u: recovered on %s after a reset", dev->data->port_id,
		priv->ibdev_name);
	rte_eth_dev_callback_process(dev, RTE_ETH_EVENT_RECOVERY_SUCCESS, NULL);
}

static struct rte_pci_driver mana_pci_driver;

/* The PCI bus's driver list as seen from one of its entries (TAILQ_PREV). */
TAILQ_HEAD(mana_pci_drv_list, rte_pci_driver);

/* Whether @p drv, another driver than ours, claims a MANA function. */
static bool
mana_pci_claims_mana(const struct rte_pci_driver *drv)
{
	const struct rte_pci_id *id;

	if (drv == &mana_pci_driver || drv->id_table == NULL)
		return false;
	for (id = drv->id_table; id->vendor_id != 0; id++)
		if (id->vendor_id == MANA_PCI_VENDOR_ID &&
		    (id->device_id == MANA_PCI_DEVICE_ID_VF ||
		     id->device_id == MANA_PCI_DEVICE_ID_PF ||
		     id->device_id == RTE_PCI_ANY_ID))
			return true;
	return false;
}

/*
 * The other registered drivers of MANA functions (a distribution's own
 * net_mana, say) in front of ours on the PCI bus's list (@p behind false) or
 * behind it (@p behind true): up to @p max into @p out, their count returned.
 */
static unsigned int
mana_pci_others(bool behind, struct rte_pci_driver **out, unsigned int max)
{
	struct rte_pci_driver *d = &mana_pci_driver;
	unsigned int n = 0;

	if (d->next.tqe_prev == NULL)
		return 0;	/* not registered */
	for (;;) {
		d = behind ? TAILQ_NEXT(d, next) : TAILQ_PREV(d, mana_pci_drv_list, next);
		if (d == NULL)
			return n;
		if (mana_pci_claims_mana(d) && n < max)
			out[n++] = d;
	}
}

/* Where @p drv was loaded from (its shared object), for the logs. */
static const char *
mana_pci_driver_file(const struct rte_pci_driver *drv)
{
	Dl_info info;

	if (dladdr(drv, &info) != 0 && info.dli_fname != NULL)
		return info.dli_fname;
	return "(unknown object)";
}

/*
 * Whether the user handed MANA functions to another driver:
 * DPDK_MANA_DRIVER=other (default "dpdk-mana", this driver).
 */
static bool
mana_pci_step_aside(const char *pci)
{
	struct rte_pci_driver *others[4];
	const char *v = getenv("DPDK_MANA_DRIVER");
	unsigned int n;

	if (v == NULL || *v == '\0' || strcmp(v, "dpdk-mana") == 0)
		return false;
	if (strcmp(v, "other") != 0) {
		INIT_LOG(ERR, "%s: DPDK_MANA_DRIVER=%s: unknown value, use \"dpdk-mana\" (this "
			 "driver, the default) or \"other\" (a distribution's net_mana); "
			 "keeping the device", pci, v);
		return false;
	}
	n = mana_pci_others(true, others, RTE_DIM(others));	/* all are behind by now */
	if (n == 0)
		INIT_LOG(ERR, "%s: DPDK_MANA_DRIVER=other, but no other driver of MANA functions is "
			 "loaded: the device stays unused", pci);
	else
		INIT_LOG(NOTICE, "%s: DPDK_MANA_DRIVER=other: leaving the device to %s of %s",
			 pci, others[0]->driver.name, mana_pci_driver_file(others[0]));
	return true;
}

static int
mana_pci_probe(struct rte_pci_driver *pci_drv __rte_unused,
	       struct rte_pci_device *pci_dev)
{
	const char *pci = pci_dev->device.name;
	struct mana_probe_args args;
	struct ibv_device **list, *ibdev;
	char ports_desc[512] = "";
	unsigned int p, i, created = 0, matched[MANA_MAX_MAC_ARGS] = { 0 };
	uint8_t nports = 0;
	int n, ret = 0;

	if (mana_pci_step_aside(pci))
		return 1;	/* not ours: EAL tries the next driver */
	if (rte_eal_process_type() != RTE_PROC_PRIMARY) {
		INIT_LOG(ERR, "%s: secondary processes are not supported", pci);
		return -ENOTSUP;
	}
	ret = mana_parse_devargs(pci_dev->device.devargs, &args);
	if (ret != 0)
		return ret;
	list = ibv_get_device_list(&n);
	if (list == NULL) {
		INIT_LOG(ERR, "%s: ibv_get_device_list: %s (is ib_uverbs loaded?)",
			 pci, strerror(errno));
		return -ENODEV;
	}
	ibdev = mana_find_ibdev(list, n, &pci_dev->addr, &nports);
	if (ibdev == NULL) {
		char path[PATH_MAX];
		DIR *d;

		snprintf(path, sizeof(path), "%s/%s/infiniband",
			 rte_pci_get_sysfs_path(), pci);
		d = opendir(path);
		if (d != NULL) {
			closedir(d);
			INIT_LOG(ERR, "%s: the kernel has an IB device for this function but rdma-core does not list it: install rdma-core >= 44 with libmana (ibverbs-providers)",
				 pci);
		} else {
			INIT_LOG(ERR, "%s: no IB device for this PCI function (mana_ib not loaded? run 'modprobe mana_ib')",
				 pci);
		}
		ret = -ENODEV;
		goto out;
	}
	for (p = 1; p <= nports; p++) {
		struct rte_ether_addr mac;
		char ifname[IF_NAMESIZE];
		char macs[RTE_ETHER_ADDR_FMT_SIZE];
		size_t l = strlen(ports_desc);
		bool want = args.n_macs == 0;

		ret = mana_port_mac(ibdev->ibdev_path, p, &mac, ifname);
		if (ret != 0) {
			INIT_LOG(WARNING, "%s: %s port %u: no network interface with dev_port %u: %s",
				 pci, ibdev->name, p, p - 1, strerror(-ret));
			continue;
		}
		rte_ether_format_addr(macs, sizeof(macs), &mac);
		snprintf(ports_desc + l, sizeof(ports_desc) - l, "%s%s (%s)",
			 l ? ", " : "", macs, ifname);
		for (i = 0; i < args.n_macs; i++) {
			if (rte_is_same_ether_addr(&mac, &args.macs[i])) {
				want = true;
				matched[i] = 1;
			}
		}
		if (!want)
			continue;
		ret = mana_probe_port(pci_dev, ibdev, p, &mac, ifname, &args);
		if (ret != 0)
			goto out;
		created++;
	}
	for (i = 0; i < args.n_macs; i++) {
		char macs[RTE_ETHER_ADDR_FMT_SIZE];

		if (matched[i])
			continue;
		rte_ether_format_addr(macs, sizeof(macs), &args.macs[i]);
		INIT_LOG(ERR, "%s: mac=%s matches no port; ports of %s: %s",
			 pci, macs, ibdev->name, ports_desc[0] ? ports_desc : "none");
		ret = -ENODEV;
		goto out;
	}
	ret = created ? 0 : -ENODEV;
	if (created == 0)
		INIT_LOG(ERR, "%s: %s has no usable port", pci, ibdev->name);
	else
		INIT_LOG(INFO, "%s: %u port(s) driven by dpdk-mana's net_mana %s from %s",
			 pci, created, MANA_PMD_VERSION, mana_pci_driver_file(&mana_pci_driver));
out:
	ibv_free_device_list(list);
	if (ret != 0) {
		uint16_t port_id;

		RTE_ETH_FOREACH_DEV_OF(port_id, &pci_dev->device)
			rte_eth_dev_close(port_id);
	}
	return ret;
}

static int
mana_pci_remove(struct rte_pci_device *pci_dev)
{
	uint16_t port_id;
	int ret = 0;

	RTE_ETH_FOREACH_DEV_OF(port_id, &pci_dev->device) {
		int r = rte_eth_dev_close(port_id);

		if (r != 0 && ret == 0)
			ret = r;
	}
	return ret;
}

static int
mana_pci_dma_map(struct rte_pci_device *pci_dev, void *addr,
		 uint64_t iova __rte_unused, size_t len)
{
	uint16_t port_id;
	int ret = -ENODEV;

	RTE_ETH_FOREACH_DEV_OF(port_id, &pci_dev->device) {
		ret = mana_mr_register(mana_priv(&rte_eth_devices[port_id]), addr, len);
		if (ret != 0)
			break;
	}
	if (ret != 0)
		rte_errno = -ret;
	return ret;
}

static int
mana_pci_dma_unmap(struct rte_pci_device *pci_dev, void *addr,
		   uint64_t iova __rte_unused, size_t len)
{
	uint16_t port_id;
	int ret = -ENODEV;

	RTE_ETH_FOREACH_DEV_OF(port_id, &pci_dev->device) {
		ret = mana_mr_unregister(mana_priv(&rte_eth_devices[port_id]), addr, len);
		if (ret != 0)
			break;
	}
	if (ret != 0)
		rte_errno = -ret;
	return ret;
}

static const struct rte_pci_id mana_pci_id_map[] = {
	{ RTE_PCI_DEVICE(MANA_PCI_VENDOR_ID, MANA_PCI_DEVICE_ID_PF) },
	{ RTE_PCI_DEVICE(MANA_PCI_VENDOR_ID, MANA_PCI_DEVICE_ID_VF) },
	{ .vendor_id = 0 },
};

/*
 * Bifurcated: the kernel keeps the function (no BAR mapping, no
 * RTE_PCI_DRV_NEED_MAPPING); the doorbell page comes through verbs.
 * "--vdev=<pci>,mac=..." (Azure's guide) needs no vdev driver: EAL's
 * legacy devargs parser hands a name that the PCI bus recognises to the
 * PCI bus, so it allow-lists the function with its devargs exactly as
 * "-a <pci>,mac=..." does.
 */
static struct rte_pci_driver mana_pci_driver = {
	.id_table = mana_pci_id_map,
	.probe = mana_pci_probe,
	.remove = mana_pci_remove,
	.dma_map = mana_pci_dma_map,
	.dma_unmap = mana_pci_dma_unmap,
	.drv_flags = RTE_PCI_DRV_INTR_RMV,
};

/*
 * Registration, deterministic beside another net_mana (a distribution's,
 * auto-loaded from the same PMD directory): EAL's PCI bus offers a function
 * to its drivers in list order and the first that takes it owns it, and the
 * list is in plugin load order, which is directory order. So this driver
 * goes to the list as RTE_PMD_REGISTER_PCI would put it, then moves every
 * other driver of MANA functions already registered behind it (drivers
 * loaded later land behind it anyway). DPDK_MANA_DRIVER=other makes its
 * probe decline, so that the next one takes the function.
 * (RTE_PMD_REGISTER_PCI's own constructor cannot be followed reliably by a
 * second one: both would have the same priority.)
 */
RTE_INIT(mana_pci_register)
{
	struct rte_pci_driver *others[4];
	unsigned int n, i;

	mana_pci_driver.driver.name = "net_mana";
	rte_pci_register(&mana_pci_driver);
	n = mana_pci_others(false, others, RTE_DIM(others));
	for (i = n; i-- > 0;) {	/* nearest last: they keep their order */
		rte_pci_unregister(others[i]);
		rte_pci_register(others[i]);
	}
}
/* the PMD's name for dpdk-pmdinfo.py (pmdinfogen: this_pmd_name<N>) */
static const char this_pmd_name0[] __rte_used = "net_mana";
RTE_PMD_REGISTER_PCI_TABLE(net_mana, mana_pci_id_map);
RTE_PMD_REGISTER_KMOD_DEP(net_mana, "* ib_uverbs & mana_ib");
RTE_PMD_REGISTER_PARAM_STRING(net_mana,
			      MANA_DEVARG_MAC "=<mac_addr> "
			      MANA_DEVARG_RECOVERY_TIMEOUT "=<ms>");
