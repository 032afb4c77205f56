/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Public API of the mana-emu device core: one emulated MANA PCI function,
 * its hardware commands, data path, wires, faults and observability.
 */

#ifndef EMU_CORE_H
#define EMU_CORE_H

/*
 * The core models the device as the kernel (mana_ib + mana) programs it and
 * as the driver's data path sees it (spec/mana-datapath.md sections 2-6, 8-10,
 * 12). It knows nothing of verbs or ethdev: the verbs facade (emu/verbs)
 * calls the hardware commands below exactly where mana_ib would issue them.
 *
 * Conventions
 *  - Every function returning int returns 0 (or a non-negative count) on
 *    success and a negative errno value otherwise.
 *  - While a device is removed (emu_dev_remove), every create/config command
 *    returns -EIO; destroy/free commands still succeed (they release core
 *    state; whether verbs reports EIO is the facade's business).
 *  - Queue ids (SQ, RQ, CQ) are 24-bit, never 0, unique within a device and
 *    never reused by a device (also not across emu_dev_readd).
 *  - Thread safety: control calls may come from any thread while the device
 *    thread runs; they serialise on a per-device lock. CQ-event and
 *    violation callbacks are invoked from the thread that does the device
 *    work (device thread or the caller of emu_dev_step) with the device lock
 *    held: they must not call back into the core except for the lock-free
 *    queries marked "callback-safe". The fatal callback runs without locks.
 *
 * Execution
 *  - Step mode (default): nothing happens until emu_dev_step() /
 *    emu_step_all() is called; a step samples all doorbell pages, processes
 *    every pending doorbell, the wire input and flushes RX coalescing.
 *  - Thread mode: emu_dev_thread_start() starts one device thread that
 *    loops over every device; coalescing flushes after ~2 us.
 *
 * Doorbells: each doorbell page is a 4 KiB memfd. Two ways in:
 *  - EMU_DB_FIFO (the faithful one, as hardware): whoever watches the
 *    page's stores hands each one to emu_db_store(), which queues it in the
 *    device's doorbell FIFO; the device takes every store, in the order the
 *    FIFO received them, whatever the slot and however many queues share
 *    the page. 64-bit stores to SQ (0x000), RQ (0x400) and CQ (0x800) are
 *    doorbells; any other store (32-bit short slots, the RQ client slot
 *    0x408, a 32-bit store to a 64-bit slot, another offset) is the
 *    violation db_short_or_client and is ignored.
 *  - EMU_DB_SAMPLE (opt-in, faster, faithful only while each slot of a page
 *    has a single writer queue): the page is mapped writable and the device
 *    samples the three slots of every page, taking a non-zero value by
 *    exchanging it with 0 (queue ids are never 0). Two writes to one slot
 *    before the device samples it coalesce into the last one.
 * A doorbell acts on the queue id it carries; a queue not rung on that
 * page is the violation db_unknown_queue.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Limits and defaults                                                      */
/* ------------------------------------------------------------------------ */

#define EMU_MAX_VPORTS		8u
#define EMU_PCI_ADDR_LEN	32u
#define EMU_DEFAULT_MTU		1500u
#define EMU_MAX_MTU		9000u
#define EMU_DEFAULT_MAX_WR	256u	/* IB-2022; IB-eth kernels: 2048 */
#define EMU_DEFAULT_MAX_SGE_TX	30u
#define EMU_DEFAULT_MAX_SGE_RX	15u
#define EMU_DEFAULT_MAX_QUEUES	64u
#define EMU_RSS_TABLE_SIZE	64u
#define EMU_RSS_KEY_SIZE	40u
#define EMU_DB_PAGE_SIZE	4096u
#define EMU_VSW_DEFAULT_FLOWS	1024u	/* vSwitch flow table, per vPort */
#define EMU_VSW_MAX_FLOWS	65536u

/** Memory-region access flags (same values as IBV_ACCESS_*). */
#define EMU_ACCESS_LOCAL_WRITE	(1u << 0)
#define EMU_ACCESS_REMOTE_WRITE	(1u << 1)
#define EMU_ACCESS_REMOTE_READ	(1u << 2)
#define EMU_ACCESS_REMOTE_ATOMIC (1u << 3)
#define EMU_ACCESS_MW_BIND	(1u << 4)
#define EMU_ACCESS_ZERO_BASED	(1u << 5)

/** Work-queue types (same values as enum gdma_queue_type). */
enum emu_wq_type {
	EMU_WQ_SQ = 1,
	EMU_WQ_RQ = 2,
};

/* ------------------------------------------------------------------------ */
/* Device                                                                   */
/* ------------------------------------------------------------------------ */

struct emu_dev;

/** How the device receives the stores to its doorbell pages. */
enum emu_db_mode {
	EMU_DB_SAMPLE = 0,	/**< sample each page's slots (single writer per slot) */
	EMU_DB_FIFO = 1,	/**< every store through emu_db_store(), in order */
};

/** Per-vPort configuration. */
struct emu_vport_config {
	uint8_t mac[6];		/**< unicast MAC of the vPort */
	uint32_t mtu;		/**< L3 MTU; 0 = EMU_DEFAULT_MTU */
	uint32_t tx_vp_offset;	/**< value returned by config_tx (< 4096) */
	bool netdev_up;		/**< "kernel netdev up": config_tx -> -EBUSY */
};

/** Creation parameters of one emulated PCI function. */
struct emu_dev_config {
	char pci[EMU_PCI_ADDR_LEN];	/**< "dddd:bb:dd.f" (informational) */
	uint32_t n_vports;		/**< 1..EMU_MAX_VPORTS */
	struct emu_vport_config vport[EMU_MAX_VPORTS];
	uint32_t max_wr;		/**< max_qp_wr / max_cqe reported (256 or 2048) */
	uint32_t max_sge_tx;		/**< <= 30 */
	uint32_t max_sge_rx;		/**< <= 15 */
	uint32_t max_queues;		/**< per vPort: up to 2 x this many WQ
					  * objects (SQs + RQs) */
	bool cqe_coalescing;		/**< allow CQE_RX_COALESCED_4 when config_rx asks */
	bool strict;			/**< violations make emu_dev_check() fail */
	bool trace;			/**< decode every WQE/CQE/doorbell to trace_out */
	FILE *trace_out;		/**< NULL = stderr */
	uint32_t first_queue_id;	/**< first id handed out (default 0x401, so
					  * vsq_frame is non-zero); 0 = default */
	uint32_t coalesce_ns;		/**< thread-mode flush timeout; 0 = 2048 */
	uint32_t wire_ring_frames;	/**< per-vPort wire input ring; 0 = 1024 */
	uint32_t seed;			/**< PRNG seed for garbage CQEs */
	bool cqe8_coalescing;		/**< coalesce up to 8 packets per CQE
					  * (CQE_RX_COALESCED_8, 2026 kernels)
					  * instead of 4; needs cqe_coalescing */
	uint32_t vsw_flows;		/**< flows a vSwitch wire remembers per
					  * vPort (1..EMU_VSW_MAX_FLOWS);
					  * 0 = EMU_VSW_DEFAULT_FLOWS */
	enum emu_db_mode db_mode;	/**< how doorbell stores reach the device */
};

/**
 * Fill @p cfg with defaults: 1 vPort, MAC 00:15:5d:00:00:0<i+1> for vPort i
 * (locally meaningful, unicast), MTU 1500, tx_vp_offset = vPort index,
 * max_wr 256, 30/15 SGEs, 64 queues, coalescing on, strict off,
 * trace on iff env MANA_EMU_TRACE is set and not "0", pci "7870:00:00.0".
 */
void emu_dev_config_init(struct emu_dev_config *cfg);

/**
 * Create a device and register it with the device thread (if running).
 * @return 0 on success (device in *@p devp), a negative errno value otherwise
 *   (-EINVAL bad config, -ENOMEM).
 */
int emu_dev_create(const struct emu_dev_config *cfg, struct emu_dev **devp);

/** Destroy a device: unwires it, frees every object and doorbell page. */
void emu_dev_destroy(struct emu_dev *dev);

/** The configuration the device was created with (MTU/MAC reflect setters). */
const struct emu_dev_config *emu_dev_get_config(const struct emu_dev *dev);

/** Find a live device by PCI address string, NULL if none. */
struct emu_dev *emu_dev_lookup(const char *pci);

/* ------------------------------------------------------------------------ */
/* Hardware commands (spec §7.1, §7.9)                                      */
/* ------------------------------------------------------------------------ */

/** GDMA_CREATE_PD. @return 0 and *@p pdid (never 0), or -EIO/-ENOMEM. */
int emu_pd_create(struct emu_dev *dev, uint32_t *pdid);

/** GDMA_DESTROY_PD. -ENOENT unknown, -EBUSY if MRs or queues still use it. */
int emu_pd_destroy(struct emu_dev *dev, uint32_t pdid);

/**
 * GDMA_CREATE_MR (GVA): register [va, va + len) on @p pdid. LOCAL_READ is
 * implied; @p access is a mask of EMU_ACCESS_*. @return 0 and *@p lkey
 * (never 0, also usable as rkey), -EINVAL (len 0, overflow, unknown access
 * bits), -ENOENT (unknown PD), -EIO (removed).
 */
int emu_mr_create(struct emu_dev *dev, uint32_t pdid, uint64_t va, uint64_t len,
		  uint32_t access, uint32_t *lkey);

/** Destroy an MR. -ENOENT if unknown. */
int emu_mr_destroy(struct emu_dev *dev, uint32_t lkey);

/** A doorbell page handed out by the device. */
struct emu_db_page {
	uint32_t id;	/**< page index (doorbell_pageid), never 0 */
	int fd;		/**< memfd; map 4096 bytes MAP_SHARED at offset 0 */
	void *addr;	/**< the core's own mapping in this process */
};

/**
 * GDMA_ALLOCATE_RESOURCE_RANGE(DOORBELL_PAGE): a zeroed 4 KiB page the
 * device samples. The fd stays owned by the core (dup() it to keep it).
 * @return 0 on success, -EIO/-ENOMEM/-EMFILE otherwise.
 */
int emu_db_page_alloc(struct emu_dev *dev, struct emu_db_page *page);

/**
 * EMU_DB_FIFO: one store of @p width bytes (4 or 8) of @p value at byte
 * @p offset of doorbell page @p page_id, as the device receives it. Every
 * store is taken, in the order of the calls. Lock-free and
 * async-signal-safe: may be called from a signal handler of any thread,
 * also while that thread holds core locks. @return 0, or -ENOBUFS when the
 * device's FIFO is full (the store is lost and counted: db_fifo_lost).
 */
int emu_db_store(struct emu_dev *dev, uint32_t page_id, uint32_t offset,
		 uint64_t value, unsigned int width);

/**
 * Switch doorbell page @p id of an EMU_DB_FIFO device to sampling (when
 * its stores cannot be trapped). -ENOENT if unknown.
 */
int emu_db_page_sampled(struct emu_dev *dev, uint32_t id);

/** A device's doorbell FIFO as another process maps it (shared memory). */
struct emu_db_fifo;

/**
 * The memfd that holds @p dev's doorbell FIFO (EMU_DB_FIFO), or -1. Another
 * process that rings the same doorbell pages (a DPDK secondary) maps it
 * with emu_db_fifo_attach() and pushes with emu_db_fifo_push().
 */
int emu_db_fifo_fd(const struct emu_dev *dev);

/** Map a doorbell FIFO from its memfd. @return it, or NULL with errno set. */
struct emu_db_fifo *emu_db_fifo_attach(int fd);

/** Unmap a FIFO emu_db_fifo_attach() mapped. */
void emu_db_fifo_detach(struct emu_db_fifo *f);

/** emu_db_store() into a FIFO attached by fd: same rules, same order. */
int emu_db_fifo_push(struct emu_db_fifo *f, uint32_t page_id, uint32_t offset,
		     uint64_t value, unsigned int width);

/** Stores emu_db_store() refused because the FIFO was full. */
uint64_t emu_db_lost(const struct emu_dev *dev);

/** Free a doorbell page (munmap + close). -ENOENT unknown, -EBUSY in use by a queue. */
int emu_db_page_free(struct emu_dev *dev, uint32_t id);

/**
 * MANA_CONFIG_VPORT_TX: bind @p vport to @p pdid and doorbell page
 * @p db_page_id. Repeated calls with the same PD take another reference.
 * @return 0 and *@p tx_vp_offset; -EINVAL bad vport/page, -ENOENT unknown
 *   PD, -EBUSY vPort held by another PD or its netdev is up, -EIO removed.
 */
int emu_vport_config_tx(struct emu_dev *dev, uint32_t vport, uint32_t pdid,
			uint32_t db_page_id, uint32_t *tx_vp_offset);

/** Drop one config_tx reference of @p pdid on @p vport (last one frees the vPort). */
int emu_vport_unconfig_tx(struct emu_dev *dev, uint32_t vport, uint32_t pdid);

/** Set the "kernel netdev up" state of a vPort (busy for config_tx). */
int emu_vport_set_netdev_up(struct emu_dev *dev, uint32_t vport, bool up);

/** Change a vPort's MTU (TX MTU policing; RX accepts up to MTU + 18). */
int emu_vport_set_mtu(struct emu_dev *dev, uint32_t vport, uint32_t mtu);

/** Change a vPort's MAC (TX source-MAC policing and RX unicast filter). */
int emu_vport_set_mac(struct emu_dev *dev, uint32_t vport, const uint8_t mac[6]);

/** Parameters of MANA_CREATE_WQ_OBJ. */
struct emu_wq_obj_attr {
	enum emu_wq_type type;
	uint32_t pdid;		/**< PD of the queue (SGE lkeys must be on it) */
	uint32_t db_page_id;	/**< page this WQ and its CQ are rung on */
	void *wq_buf;		/**< WQ ring, 4096-byte aligned */
	uint32_t wq_size;	/**< ring bytes S: power of two >= 4096 (hardware rule) */
	void *cq_buf;		/**< CQ ring, zeroed, cq_depth * 64 bytes, 64-byte aligned */
	uint32_t cq_depth;	/**< N entries, >= 1; any N (power of two not required) */
};

/** Ids assigned by MANA_CREATE_WQ_OBJ. */
struct emu_wq_obj_info {
	uint32_t wq_id;		/**< SQ/RQ id (doorbells, CQE wq_num) */
	uint32_t cq_id;		/**< id of the CQ created with it */
	uint64_t handle;	/**< WQ object handle (RSS table entries) */
};

/**
 * MANA_CREATE_WQ_OBJ: create a WQ and its CQ on @p vport.
 * @return 0 and *@p info; -EINVAL (bad vport/sizes/page/PD, vPort not
 *   configured by config_tx for an SQ), -ENOSPC (max_queues), -EIO removed.
 */
int emu_wq_obj_create(struct emu_dev *dev, uint32_t vport,
		      const struct emu_wq_obj_attr *attr,
		      struct emu_wq_obj_info *info);

/** MANA_DESTROY_WQ_OBJ. An RQ still in the vPort's RSS table is removed from it. */
int emu_wq_obj_destroy(struct emu_dev *dev, uint64_t handle);

/** Parameters of MANA_CONFIG_VPORT_RX (v2). */
struct emu_vport_rx_config {
	uint8_t hash_key[EMU_RSS_KEY_SIZE];
	uint64_t table[EMU_RSS_TABLE_SIZE];	/**< RQ object handles */
	uint64_t default_rxobj;			/**< RQ object for unhashed frames */
	bool rx_enable;
	bool rss_enable;			/**< false: everything to default_rxobj */
	bool cqe_coalescing;			/**< effective only if the device allows */
};

/**
 * MANA_CONFIG_VPORT_RX. Every handle must be an RQ object of @p vport.
 * @return 0, -EINVAL (bad handle), -EIO removed.
 */
int emu_vport_config_rx(struct emu_dev *dev, uint32_t vport,
			const struct emu_vport_rx_config *rx);

/** Disable RX steering on a vPort (rx_enable 0; frames dropped, counted). */
int emu_vport_disable_rx(struct emu_dev *dev, uint32_t vport);

/* ------------------------------------------------------------------------ */
/* Completion events (CQ arm)                                               */
/* ------------------------------------------------------------------------ */

/**
 * Register the completion-event sink of CQ @p cq_id. A CQ doorbell with
 * arm = 1 fires exactly one event: at once if the consumer it reports is
 * behind the CQEs already written, else when the next CQE is written:
 * @p cb(@p arg, cq_id) is called (may be NULL) and, if @p efd >= 0, the
 * 8-byte value 1 is written to the eventfd @p efd. Pass cb NULL and
 * efd -1 to unregister.
 */
int emu_cq_set_event(struct emu_dev *dev, uint32_t cq_id,
		     void (*cb)(void *arg, uint32_t cq_id), void *arg, int efd);

/* ------------------------------------------------------------------------ */
/* Execution                                                                */
/* ------------------------------------------------------------------------ */

/**
 * Deterministic step: process every pending doorbell of @p dev, drain the
 * wire input of its vPorts (frames a paired device sent are delivered on
 * the receiver's step), poll tap/socket wires, flush coalesced RX CQEs.
 * Repeats until no more work. @return amount of work done (doorbells +
 * frames + CQEs), 0 if idle.
 */
int emu_dev_step(struct emu_dev *dev);

/** emu_dev_step() on every device until all are idle. @return total work. */
int emu_step_all(void);

/**
 * Start the device thread looping over all devices (pinned to @p cpu if
 * >= 0). -EALREADY if running. While it runs, emu_dev_step() returns -EBUSY.
 */
int emu_dev_thread_start(int cpu);

/** Stop the device thread (no-op if not running). */
void emu_dev_thread_stop(void);

/** True while the device thread runs. */
bool emu_dev_thread_running(void);

/* ------------------------------------------------------------------------ */
/* Wires                                                                    */
/* ------------------------------------------------------------------------ */

enum emu_wire_type {
	EMU_WIRE_NONE = 0,	/**< frames leave and vanish (captured, counted) */
	EMU_WIRE_LOOPBACK,	/**< TX frames come back on the same vPort */
	EMU_WIRE_PAIR,		/**< vPort <-> vPort, also across devices */
	EMU_WIRE_TAP,		/**< kernel tap fd */
	EMU_WIRE_SOCKET,	/**< connected AF_UNIX SOCK_DGRAM socket */
	EMU_WIRE_VSWITCH,	/**< host switch: VF + synthetic path, uplink */
};

/** Detach the vPort from its wire (its pair peer becomes EMU_WIRE_NONE too). */
int emu_port_wire_none(struct emu_dev *dev, uint32_t vport);

/** Loop the vPort's TX back into its own RX. */
int emu_port_wire_loopback(struct emu_dev *dev, uint32_t vport);

/** Connect two vPorts (same or different devices; not the same vPort). */
int emu_port_wire_pair(struct emu_dev *a, uint32_t vport_a,
		       struct emu_dev *b, uint32_t vport_b);

/**
 * Attach an fd: EMU_WIRE_TAP (a tap fd, IFF_TAP|IFF_NO_PI) or
 * EMU_WIRE_SOCKET (a connected datagram socket). The core sets O_NONBLOCK,
 * takes ownership and closes it when unwired/destroyed.
 */
int emu_port_wire_fd(struct emu_dev *dev, uint32_t vport,
		     enum emu_wire_type type, int fd);

/** Open (or attach to) tap interface @p ifname and wire it. */
int emu_port_wire_tap(struct emu_dev *dev, uint32_t vport, const char *ifname);

/**
 * Wire to another process: bind an AF_UNIX datagram socket at
 * @p local_path (unlinked first) and send to @p peer_path.
 */
int emu_port_wire_socket(struct emu_dev *dev, uint32_t vport,
			 const char *local_path, const char *peer_path);

/**
 * vSwitch wire: the vPort is a vNIC behind a model of Azure's host switch.
 * @p syn_fd is the synthetic attachment (frames the switch sends to the
 * synthetic path are written to it; frames read from it are TX of the
 * synthetic attachment), @p uplink_fd the network beyond the switch
 * (frames read from it are switched to the vNIC, TX of both attachments
 * is written to it). Uplink input: broadcast/multicast -> synthetic;
 * unicast to the vPort MAC -> the VF while it is present (function not
 * removed or resetting, vPort RX configured with an RQ and enabled),
 * except the first frame of each flow (5-tuple, IP addresses, or MACs +
 * ethertype), which goes to the synthetic path; while the VF is away ->
 * synthetic; any other unicast is dropped. The flow table holds
 * cfg.vsw_flows flows, is cleared whenever the VF goes away, and a flow
 * that does not fit goes to the synthetic path (vsw_flow_full) without
 * being recorded. Frames given to emu_port_inject_rx() are uplink input.
 * Either fd may be a tap (IFF_TAP|IFF_NO_PI) or a datagram socket; the
 * core sets O_NONBLOCK and takes ownership of both (also on failure).
 */
int emu_port_wire_vswitch_fd(struct emu_dev *dev, uint32_t vport, int syn_fd,
			     int uplink_fd);

/**
 * vSwitch wire on two tap interfaces, created or attached to: the
 * synthetic one @p syn_ifname gets the vPort's MAC (also after
 * emu_vport_set_mac), and both are brought up. Names < IFNAMSIZ, distinct.
 */
int emu_port_wire_vswitch(struct emu_dev *dev, uint32_t vport,
			  const char *syn_ifname, const char *uplink_ifname);

/** Current wire type of a vPort. */
enum emu_wire_type emu_port_wire_type(const struct emu_dev *dev, uint32_t vport);

/**
 * Programmatic wire input: queue a frame as if it arrived on @p vport's
 * wire (processed at the next step / by the device thread). The bytes are
 * copied. @return 0, -EINVAL (len 0 or > 16384), -ENOBUFS (input ring full).
 */
int emu_port_inject_rx(struct emu_dev *dev, uint32_t vport,
		       const void *frame, uint32_t len);

/**
 * Keep a copy of the last @p n_frames frames @p vport transmitted (after
 * offloads, as they went on the wire, whatever the wire). 0 disables.
 */
int emu_port_capture_enable(struct emu_dev *dev, uint32_t vport, uint32_t n_frames);

/**
 * Pop the oldest captured frame into @p buf. @return the frame length
 * (may exceed @p len: the copy is truncated), -EAGAIN when empty.
 */
int emu_port_capture_read(struct emu_dev *dev, uint32_t vport, void *buf, size_t len);

/* ------------------------------------------------------------------------ */
/* Faults                                                                   */
/* ------------------------------------------------------------------------ */

enum emu_fatal_reason {
	EMU_FATAL_REMOVED = 1,	/**< PCI hot-remove */
	EMU_FATAL_RESET = 2,	/**< service reset: the IB device goes away */
};

/**
 * Register the removal callback, called once per removal/reset
 * (from the thread calling emu_dev_remove/emu_dev_service_reset).
 */
void emu_dev_set_fatal_cb(struct emu_dev *dev,
			  void (*cb)(void *arg, struct emu_dev *dev,
				     enum emu_fatal_reason reason),
			  void *arg);

/**
 * Remove the device: stop all DMA and CQE generation immediately,
 * doorbells become no-ops, every object is gone (create/config -> -EIO),
 * the fatal callback fires. Doorbell page mappings stay valid.
 */
int emu_dev_remove(struct emu_dev *dev);

/** Same as emu_dev_remove with reason EMU_FATAL_RESET. */
int emu_dev_service_reset(struct emu_dev *dev);

/**
 * Re-add a removed device: empty (no PD/MR/queue/page), fresh ids continue
 * after the old ones, vPort MACs/MTUs/wires kept. -EINVAL if not removed.
 */
int emu_dev_readd(struct emu_dev *dev);

/**
 * emu_dev_readd() at a new PCI address @p pci (NULL or "" keeps the old
 * one): the VF comes back as a new PCI device. -EINVAL if not removed or
 * the address does not fit.
 */
int emu_dev_readd_at(struct emu_dev *dev, const char *pci);

/** True while removed. Callback-safe. */
bool emu_dev_is_removed(const struct emu_dev *dev);

/**
 * The next @p count TX completions (of SQ @p sq_id, 0 = any SQ of the
 * device) become error CQEs of type @p cqe_type with @p vendor_err; the
 * frame is not transmitted. An injected error overrides suppression.
 */
int emu_fault_tx_error(struct emu_dev *dev, uint32_t sq_id, uint32_t count,
		       uint32_t cqe_type, uint32_t vendor_err);

enum emu_rx_fault {
	EMU_RX_FAULT_NONE = 0,
	EMU_RX_FAULT_TRUNCATE,	/**< cut the frame (random length 1..len-1) */
	EMU_RX_FAULT_CORRUPT,	/**< flip bits after the Ethernet header */
};

/** Apply @p fault to the next @p count frames arriving on @p vport's wire. */
int emu_fault_rx(struct emu_dev *dev, uint32_t vport, enum emu_rx_fault fault,
		 uint32_t count);

/**
 * Garbage-CQE mode for CQ @p cq_id (0 = every CQ): every CQE written gets
 * random cqe_type/vendor_err/flags/ppi/offset values in bytes 0..59
 * (wq_num, is_sq and owner bits stay correct). WQEs are still consumed
 * (one per CQE).
 */
int emu_fault_garbage_cqe(struct emu_dev *dev, uint32_t cq_id, bool on);

/** What emu_fault_forge_cqe() does to a completion (device untruths). */
enum emu_forge {
	EMU_FORGE_NONE = 0,
	EMU_FORGE_WQ_NUM,	/**< cqe_info's wq_num names another queue */
	EMU_FORGE_WQE_OFFSET,	/**< rx_wqe_offset / tx_wqe_offset far from the WQE's */
	EMU_FORGE_OVERCOUNT,	/**< RX: one packet more than the WQEs consumed */
	EMU_FORGE_OWNER,	/**< owner bits two laps ahead */
	EMU_FORGE_LOST,		/**< the CQE is not written at all */
	EMU_FORGE__MAX,
};

#define EMU_FORGE_SQ	1u	/**< emu_fault_forge_cqe(): CQs of SQs */
#define EMU_FORGE_RQ	2u	/**< emu_fault_forge_cqe(): CQs of RQs */

/**
 * Forge the next @p count CQEs written for WQs of the types in @p wq_types
 * (EMU_FORGE_SQ, EMU_FORGE_RQ): @p kind (enum emu_forge; EMU_FORGE_NONE
 * cancels). The WQEs are consumed and the frames handled as usual; only
 * the completion lies. EMU_FORGE_OVERCOUNT adds a copy of the last packet
 * to an RX CQE with room for one (CQE_RX_OKAY becomes CQE_RX_COALESCED_4);
 * a CQE without room, or an SQ's, is left alone and not counted.
 * -EINVAL for an unknown kind or no type.
 */
int emu_fault_forge_cqe(struct emu_dev *dev, uint32_t wq_types, enum emu_forge kind,
			uint32_t count);

/** CQEs forged so far (emu_fault_forge_cqe()). */
uint64_t emu_forged_cqes(struct emu_dev *dev);

/* ------------------------------------------------------------------------ */
/* Observability                                                            */
/* ------------------------------------------------------------------------ */

/** Counters of one WQ and its CQ. */
struct emu_queue_stats {
	uint64_t doorbells;	/**< WQ doorbells taken */
	uint64_t cq_doorbells;	/**< CQ doorbells taken */
	uint64_t cq_arms;	/**< CQ doorbells with arm = 1 */
	uint64_t events;	/**< completion events fired */
	uint64_t wqes;		/**< WQEs consumed */
	uint64_t cqes;		/**< CQEs written */
	uint64_t frames;	/**< SQ: frames sent (TSO segments count); RQ: frames received */
	uint64_t bytes;		/**< bytes of those frames */
	uint64_t errors;	/**< error CQEs written (TX errors, RX truncated) */
	uint64_t suppressed;	/**< TX WQEs completed without a CQE */
	uint64_t cq_overflows;	/**< CQEs written while the consumer lagged >= N */
	uint32_t cq_producer;	/**< CQEs ever written (k) */
	uint32_t wq_consumer;	/**< device consumer, bytes (free-running) */
	uint32_t wq_tail;	/**< last doorbell tail, bytes */
	bool error_state;	/**< queue stopped after a fatal WQE format error */
};

/** Counters of one vPort. Drops are by reason. */
struct emu_vport_stats {
	uint64_t tx_frames;
	uint64_t tx_bytes;
	uint64_t rx_frames;		/**< frames written to RX WQEs */
	uint64_t rx_bytes;
	uint64_t rx_wire_frames;	/**< frames arriving from the wire */
	uint64_t rx_discards_nowqe;	/**< no posted WQE on the chosen RQ */
	uint64_t rx_drop_filter;	/**< destination MAC not accepted */
	uint64_t rx_drop_disabled;	/**< rx_enable 0 / no RX config */
	uint64_t rx_drop_mtu;		/**< longer than MTU + 18 */
	uint64_t rx_drop_runt;		/**< shorter than 14 bytes */
	uint64_t rx_drop_ring_full;	/**< wire input ring full */
	uint64_t rx_truncated;		/**< CQE_RX_TRUNCATED written */
	uint64_t tx_drop_sa;		/**< CQE_TX_SA_DROP */
	uint64_t tx_drop_mtu;		/**< CQE_TX_MTU_DROP */
	uint64_t tx_drop_invalid_oob;	/**< CQE_TX_INVALID_OOB */
	uint64_t tx_drop_vport;		/**< CQE_TX_VPORT_IDX_OUT_OF_RANGE */
	uint64_t tx_drop_hdr;		/**< CQE_TX_HDR_PROCESSING_ERROR */
	uint64_t tx_drop_injected;	/**< emu_fault_tx_error */
	uint64_t tx_drop_wire;		/**< wire could not take the frame */
	uint64_t rx_coalesced_cqes;	/**< CQE_RX_COALESCED_4 written */
	/* vSwitch wire (EMU_WIRE_VSWITCH); uplink_in = to_vf + to_syn + dropped */
	uint64_t vsw_uplink_in;		/**< frames from the uplink (and injected) */
	uint64_t vsw_to_vf;		/**< switched to the VF (the vPort RX path) */
	uint64_t vsw_to_syn;		/**< written to the synthetic attachment */
	uint64_t vsw_first_of_flow;	/**< of vsw_to_syn: first frame of a new flow */
	uint64_t vsw_flow_full;		/**< of vsw_to_syn: new flow, table full */
	uint64_t vsw_from_vf;		/**< VF TX written to the uplink */
	uint64_t vsw_from_syn;		/**< synthetic TX written to the uplink */
	uint64_t vsw_dropped;		/**< unicast to another MAC, runts, fd errors */
};

/** Stats of the WQ with id @p wq_id (or of the WQ whose CQ is @p wq_id). */
int emu_queue_stats_get(struct emu_dev *dev, uint32_t wq_id,
			struct emu_queue_stats *st);

int emu_vport_stats_get(struct emu_dev *dev, uint32_t vport,
			struct emu_vport_stats *st);

/** Every spec rule the driver can break, reported by name. */
enum emu_violation {
	EMU_VIOL_NONE = 0,
	EMU_VIOL_UNKNOWN_LKEY,		/**< "unknown_lkey" */
	EMU_VIOL_LKEY_OTHER_PD,		/**< "lkey_other_pd" */
	EMU_VIOL_SGE_OUTSIDE_MR,	/**< "sge_outside_mr" (incl. address overflow) */
	EMU_VIOL_ACCESS,		/**< "access_violation" (RX SGE without LOCAL_WRITE) */
	EMU_VIOL_WQE_BAD_HEADER,	/**< "wqe_bad_header" (OOB size, sizes, reserved) */
	EMU_VIOL_WQE_BEYOND_TAIL,	/**< "wqe_beyond_tail" */
	EMU_VIOL_RING_OVERRUN,		/**< "ring_overrun" (tail > S ahead of consumer) */
	EMU_VIOL_DB_BAD_TAIL,		/**< "db_bad_tail" (not BU aligned / backwards) */
	EMU_VIOL_DB_UNKNOWN_QUEUE,	/**< "db_unknown_queue" (id not on this page) */
	EMU_VIOL_DB_SHORT,		/**< "db_short_or_client" (32-bit / 0x408 slots) */
	EMU_VIOL_TX_VCQ_NUM,		/**< "tx_vcq_num" */
	EMU_VIOL_TX_VSQ_FRAME,		/**< "tx_vsq_frame" */
	EMU_VIOL_TX_PKT_FMT,		/**< "tx_pkt_fmt" (vs inline_oob_size) */
	EMU_VIOL_TX_VP_OFFSET,		/**< "tx_vp_offset" */
	EMU_VIOL_TX_TSO,		/**< "tx_tso" (SGE 0 != headers, bad MSS, ...) */
	EMU_VIOL_TX_OFFLOAD,		/**< "tx_offload" (flags vs frame contents) */
	EMU_VIOL_SGE_COUNT,		/**< "sge_count" (> device limit) */
	EMU_VIOL_RQ_WQE_CNT,		/**< "rq_wqe_cnt" (RQ doorbell wqe_cnt != 0) */
	EMU_VIOL_RQ_WQE_FORMAT,		/**< "rq_wqe_format" (RQ OOB/data unit) */
	EMU_VIOL_CQ_DB_MISSED,		/**< "cq_db_missed" (not rung for 8 wraps) */
	EMU_VIOL_CQ_OVERFLOW,		/**< "cq_overflow" */
	EMU_VIOL_CQ_DB_BAD_TAIL,	/**< "cq_db_bad_tail" (beyond producer) */
	EMU_VIOL_TX_RUNT,		/**< "tx_runt" (frame < 14 bytes) */
	EMU_VIOL__MAX
};

/** One recorded violation. */
struct emu_violation_record {
	enum emu_violation kind;
	uint32_t queue_id;	/**< SQ/RQ/CQ id concerned, 0 if none */
	uint32_t offset;	/**< WQE byte offset in the ring / CQ slot / doorbell value */
	char detail[112];	/**< human-readable detail */
};

/** Name of a violation ("unknown_lkey", ...), "?" if out of range. */
const char *emu_violation_name(enum emu_violation kind);

/** Count of violations of @p kind; EMU_VIOL_NONE gives the total. Callback-safe. */
uint64_t emu_violation_count(const struct emu_dev *dev, enum emu_violation kind);

/**
 * Copy up to @p max of the recorded violations (oldest first; the core
 * keeps the first 256). @return the number copied.
 */
size_t emu_violations_get(struct emu_dev *dev, struct emu_violation_record *out,
			  size_t max);

/** Forget recorded violations and zero their counters. */
void emu_violations_clear(struct emu_dev *dev);

/**
 * Strict-mode verdict: -EPROTO if the device is strict and any violation
 * was recorded, 0 otherwise.
 */
int emu_dev_check(struct emu_dev *dev);

/** Register a callback called for every violation (device lock held). */
void emu_dev_set_violation_cb(struct emu_dev *dev,
			      void (*cb)(void *arg,
					 const struct emu_violation_record *v),
			      void *arg);

/** Print every counter and the recorded violations to @p out. */
void emu_dev_dump(struct emu_dev *dev, FILE *out);

/** Switch the field-by-field trace on/off at run time (NULL out = stderr). */
void emu_dev_set_trace(struct emu_dev *dev, bool on, FILE *out);

#ifdef __cplusplus
}
#endif

#endif /* EMU_CORE_H */
