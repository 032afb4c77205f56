/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Internal state of libmana-emu shared by its runtime, the emulated mana_ib
 * kernel driver (uverbs objects per ucontext), the NETLINK_RDMA model and the
 * system-call shim.
 */

#ifndef EMU_VERBS_PRIV_H
#define EMU_VERBS_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

#include "emu_config.h"
#include "emu_core.h"

#define EMU_EXPORT __attribute__((visibility("default")))

/* The character device numbers the kernel gives uverbs: major 231, minors from 192. */
#define EMU_UVERBS_MAJOR	231u
#define EMU_UVERBS_MINOR_BASE	192u
/* mana_ib's uverbs ABI version (mana-abi.h) and the global uverbs ABI. */
#define EMU_MANA_ABI_VERSION	1u
#define EMU_UVERBS_ABI_VERSION	6u

struct emu_fn;

/** One registration of an IB device (a new one after each reset/re-add). */
struct emu_ibdev {
	char name[64];			/* manae_N / mana_N: lowest free N */
	unsigned int index;		/* netlink index: never reused */
	unsigned int uverbs;		/* uverbsN, minor 192+N: lowest free N */
	unsigned int name_idx;		/* N of the name */
	struct emu_fn *fn;
	bool gone;			/* unregistered */
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
	uint64_t dead_commands;		/* commands answered EIO: ucontext disassociated */
};

/* ------------------------------------------------------ event files -- */

/** One queued event: the bytes read() returns, and the CQ it counts for. */
struct emu_event {
	uint64_t words[2];
	uint32_t len;			/* 8 (completion) or 16 (async) */
	struct emu_ucq *cq;		/* completion: counted when read */
};

#define EMU_EVQ_CAP 4096u

/**
 * An event file of the kernel: the async-event fd of a ucontext or a
 * completion channel. The user holds a real eventfd that is readable
 * exactly while events are queued; read() on it is served from the queue,
 * one event per call, as the kernel does.
 */
struct emu_evq {
	int fd;				/* the eventfd the user holds */
	bool comp;			/* completion channel (else async fd) */
	bool user_closed;		/* the user closed the fd */
	unsigned int cq_refs;		/* CQs created on this channel */
	pthread_mutex_t lock;
	uint32_t head, n;
	struct emu_event ev[EMU_EVQ_CAP];
	uint64_t dropped;		/* queue full */
};

/* ----------------------------------------------------------- objects -- */

enum emu_obj_type {
	EMU_OBJ_PD,
	EMU_OBJ_MR,
	EMU_OBJ_CQ,
	EMU_OBJ_WQ,
	EMU_OBJ_IND,
	EMU_OBJ_QP,
};

struct emu_uctx;

/** Header of every uverbs object (uobject), linked into its ucontext. */
struct emu_obj {
	enum emu_obj_type type;
	uint32_t handle;		/* uverbs handle, unique per ucontext */
	uint64_t user_handle;		/* the user's cookie (events) */
	struct emu_uctx *ctx;
	unsigned int usecnt;		/* objects that refer to it */
	TAILQ_ENTRY(emu_obj) next;
};

struct emu_upd {
	struct emu_obj obj;
	uint32_t pdid;			/* GDMA PD */
	uint32_t bound_port;		/* port of its raw QPs (0 = none) */
	unsigned int n_raw_qps;
};

struct emu_umr {
	struct emu_obj obj;
	struct emu_upd *pd;
	uint32_t lkey;
};

struct emu_ucq {
	struct emu_obj obj;
	uint64_t buf;			/* user VA of the ring */
	uint32_t cqe;			/* entries (the CQ's depth) */
	struct emu_evq *chan;		/* completion channel or NULL */
	uint32_t cq_id;			/* hardware id once its WQ exists */
	void *user;			/* QP or WQ whose WQ object took it */
	uint32_t comp_events_reported;	/* completion events the user read */
};

struct emu_uqp;

struct emu_uwq {
	struct emu_obj obj;
	struct emu_upd *pd;
	struct emu_ucq *cq;
	uint64_t buf;
	uint32_t size;
	uint32_t max_wr;
	uint32_t max_sge;
	uint32_t wq_id;
	uint64_t handle;		/* WQ object, valid while hw_live */
	bool hw_live;
	struct emu_uqp *rss_qp;		/* RSS QP using it */
};

struct emu_uind {
	struct emu_obj obj;
	uint32_t log_size;
	uint32_t n;
	struct emu_uwq **wqs;
};

struct emu_uqp {
	struct emu_obj obj;
	bool rss;
	struct emu_upd *pd;
	uint32_t port;			/* 1-based */
	/* raw (TX) QP */
	struct emu_ucq *cq;		/* send CQ */
	struct emu_ucq *rcq;		/* recv CQ (referenced only) */
	uint32_t sq_id;
	uint32_t tx_vp_offset;
	uint64_t handle;
	bool hw_live;
	bool vport_cfg;
	/* RSS QP */
	struct emu_uind *ind;
};

/** One ucontext: an open /dev/infiniband/uverbsN after GET_CONTEXT. */
struct emu_uctx {
	int cmd_fd;			/* the user's fd (a memfd standing for the cdev) */
	struct emu_fn *fn;
	struct emu_ibdev *ib;
	bool have_ctx;			/* GET_CONTEXT done */
	bool dead;			/* disassociated by a removal/reset */
	struct emu_evq *async;		/* async-event file (after GET_CONTEXT) */
	struct emu_db_page db;		/* the ucontext's doorbell page */
	bool db_live;
	uint64_t ino;			/* real inode of cmd_fd (published) */
	uint32_t next_handle;
	TAILQ_HEAD(, emu_obj) objs;
	TAILQ_ENTRY(emu_uctx) next;
};

/** Process-wide runtime. */
struct emu_rt {
	bool ready;
	struct emu_cfg cfg;
	char dir[EMU_CFG_PATH_LEN];
	char pci_tree[EMU_CFG_PATH_LEN + 8];
	char sys_tree[EMU_CFG_PATH_LEN + 8];
	bool own_dir;			/* created by us: remove at exit */
	unsigned int n_fns;
	struct emu_fn fns[EMU_CFG_MAX_DEVS];
	unsigned int next_ib_index;
	TAILQ_HEAD(, emu_ibdev) ibdevs;
	TAILQ_HEAD(, emu_uctx) ctxs;
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
/** Completion channels created and not yet released (every context). */
extern uint64_t emu_live_channels;
extern pthread_mutex_t emu_rt_lock;

/** Make sure the runtime is up (lazy init). @return 0 or a negative errno. */
int emu_rt_ensure(void);

/** Monotonic time in ns. */
uint64_t emu_rt_now_ns(void);

/** The IB device with netlink index @p index that is registered now, or NULL. Lock held. */
struct emu_ibdev *emu_rt_ibdev(unsigned int index);
/** The registered IB device behind /dev/infiniband/uverbs<@p n>, or NULL. Lock held. */
struct emu_ibdev *emu_rt_uverbs(unsigned int n);

/** Fatal event of function @p fn: disassociate its ucontexts, queue DEVICE_FATAL. Lock held. */
void emu_uverbs_disassociate(struct emu_fn *fn);

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

/* -------------------------------------------- emu_uverbs.c (mana_ib) -- */

/** open() of /dev/infiniband/uverbs<@p index>: a new ucontext-to-be. @return fd or -errno. */
int emu_uverbs_open(unsigned int index, int flags);

/** write() of a command to a cmd fd. @return bytes taken or -errno. */
ssize_t emu_uverbs_write(struct emu_uctx *ctx, const void *buf, size_t len);

/** ioctl() on a cmd fd. @return 0 or -errno. */
int emu_uverbs_ioctl(struct emu_uctx *ctx, unsigned long req, void *arg);

/** mmap() of a cmd fd. @return the mapping or MAP_FAILED with errno set. */
void *emu_uverbs_mmap(struct emu_uctx *ctx, void *addr, size_t len, int prot,
		      int flags, off_t off);

/** The cmd fd was closed: release the ucontext as the kernel does. */
void emu_uverbs_release(struct emu_uctx *ctx);

/** Live objects of the ucontexts of @p fn (leak checks). Lock held. */
void emu_uverbs_count(const struct emu_fn *fn, uint64_t *n_ctx, uint64_t *n_obj);

/** The SQ ids of the raw QPs of vPort @p port (0-based) of @p fn. Lock held. */
unsigned int emu_uverbs_sq_ids(const struct emu_fn *fn, unsigned int port,
			       uint32_t *ids, unsigned int max);

/* ---------------------------------------------- emu_events.c (files) -- */

struct emu_evq *emu_evq_create(bool comp);
/** Queue one event (any thread, device lock may be held). */
void emu_evq_push(struct emu_evq *q, const uint64_t words[2], uint32_t len,
		  struct emu_ucq *cq);
/** Forget the queued events of @p cq (it is being destroyed). */
void emu_evq_forget_cq(struct emu_evq *q, struct emu_ucq *cq);
/** read() on the user's fd. */
ssize_t emu_evq_read(struct emu_evq *q, void *buf, size_t len);
/** Drop one holder: the user's fd (user_close) or a CQ. Frees when none is left. */
void emu_evq_put(struct emu_evq *q, bool user_close);

/* ------------------------------------------- emu_netlink.c (RDMA nl) -- */

struct emu_nl;
int emu_nl_socket(int type);
int emu_nl_bind(struct emu_nl *nl, const void *addr, unsigned int len);
int emu_nl_getsockname(struct emu_nl *nl, void *addr, unsigned int *len);
ssize_t emu_nl_send(struct emu_nl *nl, const void *buf, size_t len);
void emu_nl_close(struct emu_nl *nl);
int emu_nl_real_fd(const struct emu_nl *nl);

/* ------------------------------------------------- emu_shim.c (fds) -- */

enum emu_fd_kind {
	EMU_FD_NONE = 0,
	EMU_FD_CMD,		/* /dev/infiniband/uverbsN */
	EMU_FD_EVENT,		/* async-event fd or completion channel */
	EMU_FD_NETLINK,		/* NETLINK_RDMA socket */
};

/** The event file (async fd or completion channel) behind @p fd, or NULL. */
struct emu_evq *emu_shim_event_file(int fd);

/**
 * Map the doorbell page @p db of @p dev for the user (mmap of the cmd fd):
 * writable and sampled (doorbell=sample), or read-only with every store
 * trapped and queued to the device (doorbell=trap). Lock held.
 */
void *emu_db_map(struct emu_dev *dev, const struct emu_db_page *db, void *addr,
		 int flags);
/** munmap() of a doorbell mapping: @return 1 if it was one (then unmapped). */
int emu_db_unmap(void *addr, size_t len);

/** The real inode number of @p fd (for the registry of ucontexts). */
uint64_t emu_fd_ino(int fd);

/**
 * Publish ucontext @p ctx in <dir>/uctx/<inode of its cmd fd> so that
 * another process holding that fd (passed over a socket) can map its
 * doorbell page; remove it again. Lock held.
 */
void emu_uctx_publish(struct emu_uctx *ctx, bool on);

/** Register @p fd as emulated. */
int emu_fd_set(int fd, enum emu_fd_kind kind, void *obj);
/** Forget @p fd (before it is closed). */
void emu_fd_clear(int fd);

/** The libc functions the shim wraps, for the emulator's own use. */
extern int (*emu_real_close)(int fd);
extern ssize_t (*emu_real_read)(int fd, void *buf, size_t n);
extern ssize_t (*emu_real_write)(int fd, const void *buf, size_t n);
extern void *(*emu_real_mmap)(void *addr, size_t len, int prot, int flags,
			      int fd, off_t off);
extern int (*emu_real_munmap)(void *addr, size_t len);
extern int (*emu_real_socket)(int domain, int type, int protocol);
/** Resolve the real functions (idempotent). */
void emu_shim_init(void);

#endif /* EMU_VERBS_PRIV_H */
