/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * net_mana private structures, limits, log macros and cross-file prototypes.
 */

#ifndef MANA_H
#define MANA_H

#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_spinlock.h>
#include <ethdev_driver.h>

#include <infiniband/verbs.h>
#include <infiniband/manadv.h>

#include "gdma.h"
#include "mana_compat.h"

/* ---------------------------------------------------------------- logs -- */

extern int mana_logtype_init;
extern int mana_logtype_driver;
extern int mana_logtype_rx;
extern int mana_logtype_tx;

#define MANA_LOG(type, level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, mana_logtype_ ## type, \
		"mana: %s(): " fmt "\n", __func__, ##__VA_ARGS__)

#define INIT_LOG(level, fmt, ...) MANA_LOG(init, level, fmt, ##__VA_ARGS__)
#define DRV_LOG(level, fmt, ...) MANA_LOG(driver, level, fmt, ##__VA_ARGS__)

#ifdef RTE_ETHDEV_DEBUG_RX
#define RX_LOG(level, fmt, ...) MANA_LOG(rx, level, fmt, ##__VA_ARGS__)
#else
#define RX_LOG(level, fmt, ...) do { } while (0)
#endif
#ifdef RTE_ETHDEV_DEBUG_TX
#define TX_LOG(level, fmt, ...) MANA_LOG(tx, level, fmt, ##__VA_ARGS__)
#else
#define TX_LOG(level, fmt, ...) do { } while (0)
#endif

/* -------------------------------------------------------------- limits -- */

#define MANA_PCI_VENDOR_ID		0x1414
#define MANA_PCI_DEVICE_ID_PF		0x00b9
#define MANA_PCI_DEVICE_ID_VF		0x00ba

#define MANA_GDMA_DEVICE_MANA		2	/* vendor_part_id of the Ethernet IB device */
#define MANA_MAX_MAC_ARGS		8
#define MANA_MIN_MTU			RTE_ETHER_MIN_MTU	/* 68 */
#define MANA_MAX_MTU			9000
#define MANA_MAX_QUEUES			64	/* verbs indirection table, each RQ once */
#define MANA_MIN_DESC			64	/* CQ of 64 x 64 B = one 4 KiB page */
/** Entries per queue libmana of rdma-core 44 to 49 allows. */
#define MANA_LIBMANA44_MAX_DESC	256u
#define MANA_DEFAULT_DESC		256
#define MANA_TX_MAX_SGE			MAX_TX_WQE_SGL_ENTRIES	/* 30 */
#define MANA_RX_MAX_SGE			MAX_RX_WQE_SGL_ENTRIES	/* 15 */
#define MANA_TSO_MAX_HDR		255	/* last_vbytes is 8 bits */
#define MANA_TSO_MAX_MSS		16383	/* client_data_unit is 14 bits */
#define MANA_TSO_MAX_SIZE		(64 * 1024 - 1)

#define MANA_RSS_HF \
	(RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_TCP | \
	 RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_IPV6 | \
	 RTE_ETH_RSS_NONFRAG_IPV6_TCP | RTE_ETH_RSS_NONFRAG_IPV6_UDP)

#define MANA_RX_OFFLOADS \
	(RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM | \
	 RTE_ETH_RX_OFFLOAD_TCP_CKSUM | RTE_ETH_RX_OFFLOAD_VLAN_STRIP | \
	 RTE_ETH_RX_OFFLOAD_RSS_HASH | RTE_ETH_RX_OFFLOAD_SCATTER)

#define MANA_TX_OFFLOADS \
	(RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM | \
	 RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_MULTI_SEGS | \
	 RTE_ETH_TX_OFFLOAD_VLAN_INSERT | RTE_ETH_TX_OFFLOAD_TCP_TSO | \
	 RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)

/* mbuf flags the TX burst acts on; anything else is refused by tx_prepare. */
#define MANA_TX_OFFLOAD_MASK \
	(RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_IP_CKSUM | \
	 RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_VLAN)

/* ----------------------------------------------------- memory regions -- */

/** One registered range as the data path sees it. */
struct mana_mr_entry {
	uintptr_t start;
	uintptr_t end;		/**< exclusive */
	uint32_t lkey;
};

/** Immutable sorted table, published by pointer; replaced, never edited. */
struct mana_mr_table {
	struct mana_mr_table *retired_next;	/**< control-path free list */
	uint32_t n;
	struct mana_mr_entry e[];
};

/**
 * Per-queue caches, each valid while its table is the published one (the
 * table pointer is the generation: any registration publishes a new one).
 * The range entry is the last hit of the address lookup; the pool entry
 * says that every chunk of one mempool lies in one MR, so that a direct
 * mbuf of that pool needs no per-packet address check.
 */
struct mana_mr_cache {
	uintptr_t start;
	uintptr_t end;
	const struct mana_mr_table *table;
	uint32_t lkey;
	uint32_t pool_lkey;
	const struct rte_mempool *pool;
	const struct mana_mr_table *pool_table;
	const struct rte_mempool *nopool;	/**< last pool found not in one MR */
	const struct mana_mr_table *nopool_table;
};

/** Control-side registry of one port's MRs. */
struct mana_mr_ctl {
	rte_spinlock_t lock;
	struct mana_mr_table *table;	/**< read with an acquire load */
	struct mana_mr_table *retired;	/**< freed when no burst can run */
	struct ibv_mr **mrs;
	uint32_t n_mrs;
	uint32_t cap_mrs;
	bool mp_cb_registered;
	bool mem_cb_registered;
	char mem_cb_name[32];		/**< memory event callback name */
};

/* -------------------------------------------------------------- queues -- */

struct mana_priv;

/** Per-queue counters; single writer (the burst). */
struct mana_rxq_stats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t errors;	/**< bad length, unknown CQE, CQE without WQE */
	uint64_t nombuf;
	uint64_t truncated;
	uint64_t coalesced;	/**< CQEs carrying more than one packet */
	uint64_t unknown_cqe;
	uint64_t cq_overflow;
	uint64_t doorbells;
	uint64_t cq_doorbells;
	uint64_t mr_miss;
	uint64_t bad_wqe_offset;	/**< rx_wqe_offset naming no posted WQE */
	uint64_t resyncs;	/**< CQ or ring found out of step, resynced in place */
	uint64_t resync_drops;	/**< buffers the device filled without a CQE seen */
	uint64_t restarts;	/**< ring behind the device: RX rebuilt */
};

struct mana_txq_stats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t errors;	/**< error CQEs */
	uint64_t err_cqe[MANA_CQE_TX_NUM];	/**< by type, [0] unused (OKAY) */
	uint64_t unknown_cqe;
	uint64_t spurious_cqe;
	uint64_t cq_overflow;
	uint64_t doorbells;
	uint64_t cq_doorbells;
	uint64_t mr_miss;
	uint64_t ring_full;
	uint64_t bad_pkt_drops;	/**< taken by tx_burst, no WQE may describe them */
	uint64_t bad_wqe_offset;	/**< CQE naming no outstanding WQE */
	uint64_t resyncs;	/**< CQ found out of step with the device, resynced */
	uint64_t restarts;	/**< full, no completion for MANA_TX_STALL_MS: rebuilt */
};

/**
 * What the RX fast path decoded from the last CQE flags word it saw, kept
 * across bursts; cfg is the queue configuration it was decoded for.
 */
struct mana_rx_fast {
	uint64_t rearm;		/**< rearm_data of a delivered mbuf */
	uint64_t ol;		/**< ol_flags for flags */
	uint32_t flags;		/**< dword 1 of the CQE */
	uint32_t ptype;
	uint16_t vlan;
	uint16_t cfg;		/**< 0: not decoded yet */
	uint8_t ok;		/**< flags can take the fast path */
};

/** A posted RX WQE: the mbuf chain it scatters into. */
struct mana_rx_desc {
	struct rte_mbuf *m;
};

/**
 * A posted TX WQE. The WQEs of one burst form a CQE range: all but the
 * last suppress their CQE. The first descriptor not yet reaped of a range
 * holds where the range ends and whether the general path posted any of
 * it; the last one holds its own start BU, so that a CQE can be matched
 * and the whole range reclaimed without a walk. The fast path's one-BU
 * WQEs write only m: wqe_bu_extra is 0 outside a general range, and
 * reaping a general range puts it back to 0.
 */
struct mana_tx_desc {
	struct rte_mbuf *m;
	uint32_t range_end;	/**< first of a range: desc index after its last WQE */
	uint32_t wqe_start;	/**< last of a range: BU index of this WQE */
	uint32_t wqe_bu_extra;	/**< WQE size in BUs, minus one */
	uint32_t range_general;	/**< first of a range: the general path posted some */
};

/** Packets decoded from a CQE and not yet handed to the application. */
struct mana_rx_pend {
	uint32_t flags;		/**< dword 1 of the RX completion OOB */
	uint8_t idx;
	uint8_t cnt;
	uint16_t len[8];
	uint32_t hash[8];
};

struct mana_rxq {
	/* Data path, read every burst. */
	uint8_t *wq_buf;
	uint32_t wq_mask;	/**< ring bytes - 1 */
	uint32_t wq_head;	/**< BUs */
	uint32_t wq_id;
	void *db_page;
	struct gdma_cqe *cq_buf;
	uint32_t cq_log2;
	uint32_t cq_head;
	uint32_t cq_id;
	uint32_t cq_unreported;	/**< CQEs consumed since the last CQ doorbell */
	struct mana_rx_desc *desc;
	uint32_t desc_mask;
	uint32_t desc_head;	/**< posted WQEs, free-running */
	uint32_t desc_tail;	/**< completed WQEs, free-running */
	uint32_t nb_desc;	/**< power of two */
	uint16_t nb_sge;
	uint16_t wqe_bu;
	uint32_t seg_size;	/**< bytes one mbuf holds after the headroom */
	uint32_t wqe_capacity;	/**< nb_sge * seg_size */
	uint16_t port_id;
	uint16_t queue_id;
	bool vlan_strip;
	bool parse_ptype;	/**< fill packet_type (rte_eth_dev_set_ptypes) */
	bool active;		/**< has a hardware RQ (is in the indirection table) */
	volatile uint8_t removed;
	volatile uint8_t paused;	/**< control path owns the queue */
	uint8_t in_burst;		/**< burst running, see mana_mark_removed() */
	uint8_t armed;
	volatile uint8_t desync;	/**< behind the device: idle until RX is rebuilt */
	struct rte_mempool *mp;
	struct mana_mr_cache mr_cache;
	struct mana_mr_table **mr_table;
	/*
	 * The fast refill's WQ template: wq_tmpl_slots WQEs in a row were
	 * written whole with key wq_tmpl_lkey since the ring was new or
	 * another writer touched it; once that covers the ring, every slot
	 * holds header, OOB and key/size, and a refill writes the address.
	 */
	uint32_t wq_tmpl_lkey;
	uint32_t wq_tmpl_slots;
	struct mana_rx_fast fast;
	struct mana_rx_pend pend;
	struct mana_rxq_stats stats;

	/* Control path. */
	struct mana_priv *priv;
	uint16_t nb_desc_req;
	unsigned int socket;
	struct rte_eth_rxconf conf;
	struct ibv_cq *cq;
	struct ibv_wq *wq;
	struct ibv_comp_channel *channel;
	uint32_t wq_size;

	/*
	 * ---- RSS sub-rings (mana_rxq.c, mana_rx_multi.c) ----
	 * An application queue is served by nb_ring hardware RQs, each a full
	 * ring of its own ("sub-ring"); ring[0] is this structure itself, the
	 * others exist while the port is started. Only ring 0's removed,
	 * paused and in_burst flags gate the queue: the multi-ring burst
	 * holds ring 0's in_burst while it polls the others. Kept at the end
	 * of the structure: the fields above are ordered for the burst.
	 */
	struct mana_rxq *ring[MANA_INDIRECT_TABLE_SIZE];
	uint16_t nb_ring;		/**< hardware RQs of the queue, 0: none */
	uint16_t ring_next;		/**< where the next multi-ring burst starts */
	uint32_t nb_desc_setup;		/**< descriptors given at setup (all rings) */
	struct mana_rxq *owner;		/**< sub-ring: its application queue */
	struct mana_rxq_stats ring_stats;	/**< of sub-rings already freed */
};

struct mana_txq {
	/* Data path. */
	uint8_t *sq_buf;
	uint32_t sq_mask;	/**< ring bytes - 1 */
	uint32_t sq_size;
	uint32_t sq_head;	/**< BUs */
	uint32_t sq_tail;	/**< BUs */
	uint32_t sq_id;
	void *db_page;
	struct gdma_cqe *cq_buf;
	uint32_t cq_log2;
	uint32_t cq_head;
	uint32_t cq_id;
	uint32_t cq_unreported;
	struct mana_tx_desc *desc;
	uint32_t desc_mask;
	uint32_t desc_head;
	uint32_t desc_tail;
	uint32_t nb_desc;	/**< power of two = CQ depth */
	uint32_t oob_dw0;	/**< vcq_num preset */
	uint32_t oob_dw1;	/**< vsq_frame and short vPort offset preset */
	uint32_t long_vp_offset;	/**< non-zero: always use the long OOB */
	uint16_t port_id;
	uint16_t queue_id;
	volatile uint8_t removed;
	uint8_t in_burst;		/**< burst running, see mana_mark_removed() */
	struct mana_mr_cache mr_cache;
	struct mana_mr_table **mr_table;
	struct mana_txq_stats stats;
	/* the burst's stall watch (ring full): since when, at which tail */
	uint64_t stall_tsc;
	uint32_t stall_tail;
	uint8_t restart_pending;	/**< mana_tx_resync_alarm() armed */

	/* Control path. */
	struct mana_priv *priv;
	uint16_t nb_desc_req;
	unsigned int socket;
	struct rte_eth_txconf conf;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
};

/* ---------------------------------------------------------------- port -- */

struct mana_priv {
	struct rte_eth_dev_data *dev_data;
	struct rte_pci_device *pci_dev;
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_pd *parent_pd;
	struct ibv_device_attr_ex dev_attr;
	uint8_t ib_port;		/**< 1-based */
	char ibdev_name[IBV_SYSFS_NAME_MAX];
	char ibdev_path[IBV_SYSFS_PATH_MAX];
	char ifname[IF_NAMESIZE];
	struct rte_ether_addr mac;

	uint16_t max_queues;
	uint16_t max_desc;		/**< power of two */

	/* RSS */
	uint8_t rss_key[MANA_HASH_KEY_SIZE];
	uint64_t rss_hf;
	uint16_t reta[MANA_INDIRECT_TABLE_SIZE];
	bool reta_set;			/**< application-provided table */
	uint16_t reta_eff[MANA_INDIRECT_TABLE_SIZE];	/**< table in force */
	bool reta_warned;
	uint8_t rx_resync_pending;	/**< mana_rx_resync_alarm() armed */
	struct ibv_rwq_ind_table *ind_table;
	struct ibv_qp *rss_qp;

	struct mana_mr_ctl mr;
	int alloc_socket;
	/* Queue buffers handed to libmana, freed here if a destroy failed. */
	void **bufs;
	uint32_t n_bufs;
	uint32_t cap_bufs;

	struct rte_intr_handle *intr_handle;	/**< async events */
	bool intr_registered;
	bool dev_event_registered;	/**< EAL device-event callback */
	bool pci_removed;		/**< EAL reported the function's removal */
	volatile uint8_t removed;
	bool rmv_notified;
	bool recovering;		/**< service reset in progress */
	bool restart_after_recovery;
	uint64_t recover_deadline;	/**< TSC */
	uint32_t recover_timeout_ms;	/**< devarg recovery_timeout_ms */
	uint32_t recover_poll_us;	/**< next poll interval, doubles */
	bool started;
	bool admin_down;
	bool ptypes_off;		/**< application asked for no packet types */
};

static inline struct mana_priv *
mana_priv(const struct rte_eth_dev *dev)
{
	return dev->data->dev_private;
}

/* ----------------------------------------------------------- mana_mr.c -- */

/**
 * Register the memory of every mempool and follow mempool creation until
 * mana_mr_release(). 0 on success, a negative errno value otherwise.
 */
int mana_mr_start(struct mana_priv *priv);

/** Free replaced lookup tables; no burst may run. */
void mana_mr_gc(struct mana_priv *priv);

/** Deregister every MR and free every table; no burst may run. */
void mana_mr_release(struct mana_priv *priv);

/**
 * Register [addr, addr + len) if not yet covered.
 * 0 on success, a negative errno value otherwise.
 */
int mana_mr_register(struct mana_priv *priv, void *addr, size_t len);

/** Deregister the MR that starts at @p addr. 0 or -ENOENT. */
int mana_mr_unregister(struct mana_priv *priv, void *addr, size_t len);

/** Slow-path lookup; fills @p c and returns true on a hit. */
bool mana_mr_lookup_slow(struct mana_mr_table **tp, struct mana_mr_cache *c,
			 uintptr_t addr, uint32_t len);

/**
 * Fill the pool entry of @p c if every memory chunk of @p mp lies in one
 * MR of the published table (never for pinned external-buffer pools).
 * Returns true when the entry is valid.
 */
bool mana_mr_pool_lookup(struct mana_mr_table **tp, struct mana_mr_cache *c,
			 const struct rte_mempool *mp);

/** Whether the pool entry of @p c is valid for @p mp with table @p t. */
static __rte_always_inline bool
mana_mr_pool_hit(const struct mana_mr_cache *c, const struct mana_mr_table *t,
		 const struct rte_mempool *mp)
{
	return c->pool == mp && c->pool_table == t && t != NULL;
}

/**
 * lkey of every direct mbuf of @p mp when the pool lies in one MR of table
 * @p t (the published one, read by the caller once per burst).
 */
static __rte_always_inline bool
mana_mr_pool_lkey(struct mana_mr_table **tp, struct mana_mr_cache *c,
		  const struct mana_mr_table *t, const struct rte_mempool *mp,
		  uint32_t *lkey)
{
	if (likely(mana_mr_pool_hit(c, t, mp))) {
		*lkey = c->pool_lkey;
		return true;
	}
	if (c->nopool == mp && c->nopool_table == t)
		return false;
	if (mana_mr_pool_lookup(tp, c, mp) && c->pool_table == t) {
		*lkey = c->pool_lkey;
		return true;
	}
	c->nopool = mp;
	c->nopool_table = t;
	return false;
}

/** lkey covering [addr, addr + len), via the per-queue cache. */
static __rte_always_inline bool
mana_mr_lkey(struct mana_mr_table **tp, struct mana_mr_cache *c,
	     uintptr_t addr, uint32_t len, uint32_t *lkey)
{
	if (likely(addr >= c->start && addr + len <= c->end &&
		   c->table == __atomic_load_n(tp, __ATOMIC_RELAXED))) {
		*lkey = c->lkey;
		return true;
	}
	if (!mana_mr_lookup_slow(tp, c, addr, len))
		return false;
	*lkey = c->lkey;
	return true;
}

/* ---------------------------------------------------- mana_rxq.c / rx -- */

/**
 * eth_dev_ops rx_queue_setup: software ring only, verbs objects come at
 * start. 0 on success, a negative errno value otherwise.
 */
int mana_dev_rx_queue_setup(struct rte_eth_dev *dev, uint16_t idx,
			    uint16_t nb_desc, unsigned int socket,
			    const struct rte_eth_rxconf *conf,
			    struct rte_mempool *mp);
/** eth_dev_ops rx_queue_release: frees the queue and any mbuf it holds. */
void mana_dev_rx_queue_release(struct rte_eth_dev *dev, uint16_t idx);

/**
 * Create the RX verbs objects (CQs, WQs, indirection table, RSS QP) and
 * fill every RQ. 0 on success, a negative errno value otherwise.
 */
int mana_rx_start(struct rte_eth_dev *dev);

/** Destroy the RX verbs objects and free every posted mbuf. */
void mana_rx_stop(struct rte_eth_dev *dev);

/**
 * Whether the RX queues as set up can carry table @p reta exactly (the
 * hardware RQs it needs, their descriptors): 0, or -EINVAL with one error
 * line naming the limit and what would fit.
 */
int mana_rx_reta_check(struct rte_eth_dev *dev,
		       const uint16_t reta[MANA_INDIRECT_TABLE_SIZE]);

/**
 * Re-create the RX side of a started port with the current RSS settings.
 * 0 on success, a negative errno value otherwise.
 */
int mana_rx_restart(struct rte_eth_dev *dev);

/** Frame bytes one RX WQE must hold for @p mtu. */
uint32_t mana_rx_frame_size(uint16_t mtu);

/** RX burst: polls the CQ, delivers packets, refills the RQ. */
uint16_t mana_rx_burst(void *rxq, struct rte_mbuf **pkts, uint16_t n);
/** Packets completed and not yet received (rx_queue_count). */
uint32_t mana_rx_queue_count(void *rxq);
/** rx_descriptor_status: DONE, AVAIL or UNAVAIL; -EINVAL past the ring. */
int mana_rx_descriptor_status(void *rxq, uint16_t offset);

/*
 * Queues of several hardware RQs (mana_rx_multi.c). The port uses these
 * instead of the single-ring functions when a queue has more than one RQ.
 */
/** RX burst over the sub-rings of a queue, rotating start, until full. */
uint16_t mana_rx_burst_multi(void *rxq, struct rte_mbuf **pkts, uint16_t n);
/** rx_queue_count summed over the sub-rings. */
uint32_t mana_rx_queue_count_multi(void *rxq);
/**
 * rx_descriptor_status of a multi-ring queue: offset o is descriptor
 * o / nb_ring of sub-ring o % nb_ring (the rings interleaved).
 */
int mana_rx_descriptor_status_multi(void *rxq, uint16_t offset);
/** eth_dev_ops rx_queue_intr_enable: arms the CQ of every sub-ring. */
int mana_rx_multi_intr_enable(struct rte_eth_dev *dev, uint16_t qid);
/** eth_dev_ops rx_queue_intr_disable: drains the queue's channel. */
int mana_rx_multi_intr_disable(struct rte_eth_dev *dev, uint16_t qid);

/** Counters of application queue @p rxq summed over its sub-rings. */
void mana_rxq_stats_sum(const struct mana_rxq *rxq, struct mana_rxq_stats *out);
/** Zero the counters of @p rxq and of its sub-rings. */
void mana_rxq_stats_clear(struct mana_rxq *rxq);
/** Descriptors of @p rxq over all its sub-rings (rxq_info_get). */
uint32_t mana_rxq_nb_desc(const struct mana_rxq *rxq);

/**
 * Post WQEs for every free descriptor slot. Returns the number posted;
 * does not ring the doorbell.
 */
uint32_t mana_rx_refill(struct mana_rxq *rxq);

/**
 * Alarm callback: rebuild the RX side of port @p arg (a struct rte_eth_dev)
 * after a ring found itself behind the device (mana_rxq.c).
 */
void mana_rx_resync_alarm(void *arg);

/** Ring the RQ doorbell with the current head. */
void mana_rx_ring_doorbell(struct mana_rxq *rxq);

/** Write the CQ doorbell of @p rxq with @p arm. */
void mana_rx_cq_doorbell(struct mana_rxq *rxq, int arm);

/* ---------------------------------------------------- mana_txq.c / tx -- */

/**
 * eth_dev_ops tx_queue_setup: software ring only, verbs objects come at
 * start. 0 on success, a negative errno value otherwise.
 */
int mana_dev_tx_queue_setup(struct rte_eth_dev *dev, uint16_t idx,
			    uint16_t nb_desc, unsigned int socket,
			    const struct rte_eth_txconf *conf);
/** eth_dev_ops tx_queue_release: frees the queue and any mbuf it holds. */
void mana_dev_tx_queue_release(struct rte_eth_dev *dev, uint16_t idx);

/** Create the TX verbs objects. 0 on success, a negative errno value otherwise. */
int mana_tx_start(struct rte_eth_dev *dev);

/** Destroy the TX verbs objects and free every outstanding mbuf. */
void mana_tx_stop(struct rte_eth_dev *dev);

/*
 * A TX queue full for this long without a completion lost step with the
 * device (its CQEs were lost): it is rebuilt.
 */
#define MANA_TX_STALL_MS	1000

/**
 * Alarm callback: rebuild TX queue @p arg (a struct mana_txq) after it
 * stalled (mana_txq.c).
 */
void mana_tx_resync_alarm(void *arg);

/** TX burst: reaps completions, posts a prefix of @p pkts, one doorbell. */
uint16_t mana_tx_burst(void *txq, struct rte_mbuf **pkts, uint16_t n);
/**
 * tx_prepare: validates offload metadata, segment counts and lengths and
 * writes the pseudo-header checksums; sets rte_errno on the first refusal.
 */
uint16_t mana_tx_prepare(void *txq, struct rte_mbuf **pkts, uint16_t n);
/**
 * Whether a WQE may describe @p m (the device contract: chain, lengths,
 * offload flags against each other and against the headers). 0 or the
 * errno tx_prepare gives (EINVAL, ENOTSUP).
 */
int mana_tx_check(const struct rte_mbuf *m);
/** tx_descriptor_status: FULL (in flight) or DONE; -EINVAL past the ring. */
int mana_tx_descriptor_status(void *txq, uint16_t offset);

/** Reap TX completions; returns the number of packets freed. */
uint32_t mana_tx_reap(struct mana_txq *txq, uint32_t budget);

/* ----------------------------------------------------------- mana.c ----- */

/* Polls for the IB device after a reset: 10 ms, doubling up to 500 ms. */
#define MANA_RECOVER_POLL_MIN_US	(10 * 1000)
#define MANA_RECOVER_POLL_MAX_US	(500 * 1000)
/* Default recovery_timeout_ms: probing after a rescan can take 100 s. */
#define MANA_RECOVER_TIMEOUT_MS		120000u
#define MANA_RECOVER_TIMEOUT_MAX_MS	3600000u

/** Start recovering @p dev from a service reset (interrupt thread). */
void mana_recover_begin(struct rte_eth_dev *dev);

/** Alarm callback that rebuilds a port after a service reset. */
void mana_recover_alarm(void *arg);

/** Whether the port's PCI function is still in sysfs. */
bool mana_pci_present(const struct mana_priv *priv);

/** Select the socket the verbs buffer allocator uses next. */
void mana_set_alloc_socket(struct mana_priv *priv, int socket);

/* ------------------------------------------------------ mana_intr.c ----- */

/**
 * Watch the verbs async-event fd on the interrupt thread.
 * 0 on success, a negative errno value otherwise.
 */
int mana_intr_install(struct rte_eth_dev *dev);

/** Stop watching the async-event fd. */
void mana_intr_uninstall(struct rte_eth_dev *dev);

/**
 * Follow EAL's device events for the port's PCI function (delivered when
 * the application runs rte_dev_event_monitor_start(), as netvsc does).
 * 0 on success, a negative errno value otherwise.
 */
int mana_dev_event_install(struct rte_eth_dev *dev);

/** Stop following EAL's device events. */
void mana_dev_event_uninstall(struct rte_eth_dev *dev);

/**
 * Mark every queue of @p dev removed and wait until no burst is inside
 * one: from then on bursts return 0 without touching queue memory.
 */
void mana_mark_removed(struct rte_eth_dev *dev);

/** Give the queues back to the bursts after a reset or recovery. */
void mana_queues_resume(struct rte_eth_dev *dev);

/** Raise RTE_ETH_EVENT_INTR_RMV once per removal, if enabled. */
void mana_notify_removal(struct rte_eth_dev *dev);

/** Alarm callback raising RTE_ETH_EVENT_INTR_RMV for @p arg (the port). */
void mana_rmv_alarm(void *arg);

/**
 * Set up the RX interrupt vector from the queues' completion channels.
 * 0 on success, a negative errno value otherwise.
 */
int mana_rx_intr_vec_install(struct rte_eth_dev *dev);

/** Release the RX interrupt vector. */
void mana_rx_intr_vec_uninstall(struct rte_eth_dev *dev);

/* ---------------------------------------------------- mana_xstats.c ----- */

/* eth_dev_ops statistics callbacks: 0 (or a count) on success. */
int mana_dev_stats_get(MANA_STATS_GET_PARAMS(dev, stats));
int mana_dev_stats_reset(struct rte_eth_dev *dev);
int mana_dev_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xstats,
			unsigned int n);
int mana_dev_xstats_get_names(struct rte_eth_dev *dev,
			      struct rte_eth_xstat_name *names, unsigned int n);
int mana_dev_xstats_reset(struct rte_eth_dev *dev);

#endif /* MANA_H */
