/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Internal state of libmana-emu shared by its runtime, verbs and control files.
 */

#ifndef EMU_VERBS_PRIV_H
#define EMU_VERBS_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include <infiniband/verbs.h>
#include <infiniband/manadv.h>

#include "emu_config.h"
#include "emu_core.h"

#define EMU_EXPORT __attribute__((visibility("default")))

struct emu_fn;

/** One registration of an IB device (a new one after each reset/re-add). */
struct emu_ibdev {
	struct ibv_device ibdev;	/* handed to users; never freed */
	struct emu_fn *fn;
	unsigned int index;		/* N of manae_N / mana_N */
	bool gone;			/* left ibv_get_device_list */
	TAILQ_ENTRY(emu_ibdev) next;
};

enum emu_fn_state {
	EMU_FN_PRESENT = 0,
	EMU_FN_REMOVED,		/* hot-removed, waiting for a re-add */
	EMU_FN_RESETTING,	/* service reset: new IB device after a delay */
};

/** One emulated PCI function. */
struct emu_fn {
	unsigned int idx;
	char pci[EMU_CFG_PCI_LEN];
	struct emu_dev *hw;
	struct emu_ibdev *ib;		/* current IB device, NULL if none */
	enum emu_fn_state state;
	uint64_t reappear_ns;		/* RESETTING/REMOVED: when to come back */
	char readd_pci[EMU_CFG_PCI_LEN];
	unsigned int n_ports;
	unsigned int mtu[EMU_CFG_MAX_PORTS];
	int netdev_up[EMU_CFG_MAX_PORTS];
	int watch[EMU_CFG_MAX_PORTS];	/* inotify watch descriptors */
};

enum emu_obj_type {
	EMU_OBJ_PD,
	EMU_OBJ_MR,
	EMU_OBJ_CQ,
	EMU_OBJ_WQ,
	EMU_OBJ_IND,
	EMU_OBJ_QP,
};

/** Header of every verbs object, linked into its context. */
struct emu_obj {
	enum emu_obj_type type;
	struct emu_ctx *ctx;
	bool zombie;			/* destroyed after a removal while still
					 * referenced: freed at close */
	TAILQ_ENTRY(emu_obj) next;
};

struct emu_pd {
	struct ibv_pd pd;
	struct emu_obj obj;
	uint32_t pdid;			/* hardware PD (0 for parent domains) */
	struct emu_pd *base;		/* parent domain: its PD; PD: itself */
	bool parent;
	uint32_t port;			/* parent domain: 1-based IB port */
	uint32_t bound_port;		/* PD: port of its raw QPs (0 = none) */
	unsigned int n_raw_qps;		/* PD: live raw QPs */
	unsigned int refs;		/* PD: parent domains, MRs, queues */
};

struct emu_mr {
	struct ibv_mr mr;
	struct emu_obj obj;
	struct emu_pd *base;		/* PD (also when registered on a domain) */
	bool hw_live;
};

struct emu_cq {
	struct ibv_cq cq;
	struct emu_obj obj;
	void *buf;
	size_t buf_size;
	uint32_t depth;
	uint32_t cq_id;			/* 0 until its WQ object exists */
	struct manadv_ctx_allocators alloc;
	void *user;			/* QP or WQ using it */
};

struct emu_wq {
	struct ibv_wq wq;
	struct emu_obj obj;
	struct emu_pd *pd;		/* PD of the parent domain given */
	struct emu_cq *cq;
	void *buf;
	uint32_t size;
	uint32_t max_wr;
	uint32_t max_sge;
	struct emu_db_page db;
	void *db_map;
	uint32_t wq_id;
	uint64_t handle;		/* WQ object, valid while hw_live */
	bool hw_live;
	bool db_live;
	struct manadv_ctx_allocators alloc;
	struct emu_qp *rss_qp;		/* RSS QP using it */
};

struct emu_ind {
	struct ibv_rwq_ind_table t;
	struct emu_obj obj;
	uint32_t log_size;
	uint32_t n;
	struct emu_wq **wqs;
	unsigned int refs;		/* RSS QPs */
};

struct emu_qp {
	struct ibv_qp qp;
	struct emu_obj obj;
	bool rss;
	struct emu_pd *pd;		/* PD of the parent domain given */
	uint32_t port;
	/* raw (TX) QP */
	struct emu_cq *cq;
	void *buf;
	uint32_t size;
	uint32_t count;
	struct emu_db_page db;
	void *db_map;
	bool db_live;
	uint32_t sq_id;
	uint32_t tx_vp_offset;
	uint64_t handle;
	bool hw_live;
	bool vport_cfg;
	struct manadv_ctx_allocators alloc;
	/* RSS QP */
	struct emu_ind *ind;
};

/** One open device context. */
struct emu_ctx {
	struct verbs_context vctx;	/* ibv_context at its end */
	struct emu_fn *fn;
	struct emu_ibdev *ib;
	bool dead;			/* disassociated by a removal/reset */
	int async_wr;			/* write end of the async event pipe */
	bool has_alloc;
	struct manadv_ctx_allocators alloc;
	TAILQ_HEAD(, emu_obj) objs;
	TAILQ_ENTRY(emu_ctx) next;
};

/** Process-wide runtime. */
struct emu_rt {
	bool ready;
	struct emu_cfg cfg;
	char dir[EMU_CFG_PATH_LEN];
	char pci_tree[EMU_CFG_PATH_LEN + 8];
	bool own_dir;			/* created by us: remove at exit */
	unsigned int n_fns;
	struct emu_fn fns[EMU_CFG_MAX_DEVS];
	unsigned int next_ib_index;
	TAILQ_HEAD(, emu_ibdev) ibdevs;
	TAILQ_HEAD(, emu_ctx) ctxs;
	uint64_t start_ns;
	bool remove_done, reset_done;
	/* service thread */
	pthread_t svc;
	bool svc_running;
	int svc_stop_fd;		/* eventfd */
	int ctl_fd;
	int ino_fd;
	uint64_t viol_written;
	char err[256];
};

extern struct emu_rt emu_rt;
/** Completion channels created and not yet destroyed (every context). */
extern uint64_t emu_live_channels;
extern pthread_mutex_t emu_rt_lock;

/** Make sure the runtime is up (lazy init). @return 0 or a negative errno. */
int emu_rt_ensure(void);

/** Monotonic time in ns. */
uint64_t emu_rt_now_ns(void);

/** Fatal event of function @p fn: mark contexts dead, queue DEVICE_FATAL. Lock held. */
void emu_verbs_disassociate(struct emu_fn *fn);

/** Release every object of a context (close). Lock held. */
void emu_verbs_ctx_cleanup(struct emu_ctx *ctx);

/** Re-read MTU / flags of every netdev (inotify or polling). Lock held. */
void emu_rt_sync_netdevs(void);
/** Read every netdev's files now (a write just before takes effect). */
void emu_rt_sync_netdevs_now(void);

/** Run due scheduled faults and re-appearances. Lock held. */
void emu_rt_run_schedule(void);

/** Handle one control request line, answer into @p out. Lock not held. */
void emu_ctl_handle(const char *req, char *out, size_t out_len);

/** Effective configuration as key=value lines. */
void emu_rt_dump_config(FILE *f);

/** Write the violations file if the count changed. Lock held. */
void emu_rt_write_violations(bool force);

#endif /* EMU_VERBS_PRIV_H */
