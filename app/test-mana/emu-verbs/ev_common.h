/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Helpers of the verbs-facade tests: the control API found at run time, a
 * recording allocator, and a hand-written raw-Ethernet queue set.
 */

#ifndef EV_COMMON_H
#define EV_COMMON_H

#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <infiniband/manadv.h>
#include <infiniband/verbs.h>

#include "gdma.h"
#include "gdma_ring.h"
#include "mana_emu.h"
#include "mtest.h"

/*
 * The program links only libibverbs and libmana, like the driver: the
 * emulator comes in through LD_PRELOAD, so its control API is looked up.
 */
struct ev_api {
	int (*init)(const char *opts);
	void (*fini)(void);
	unsigned int (*step)(void);
	const char *(*pci_tree)(void);
	const char *(*pci_addr)(unsigned int dev);
	const char *(*ibdev_name)(unsigned int dev);
	int (*mac)(unsigned int dev, unsigned int port, uint8_t mac[6]);
	int (*inject_rx)(unsigned int dev, unsigned int port, const void *f,
			 size_t len);
	int (*capture_enable)(unsigned int dev, unsigned int port,
			      unsigned int n);
	ssize_t (*capture_read)(unsigned int dev, unsigned int port, void *buf,
				size_t len);
	uint64_t (*violation_count)(void);
	size_t (*violations_text)(char *buf, size_t len);
	int (*counter)(unsigned int dev, const char *name, uint64_t *v);
	int (*remove)(unsigned int dev);
	int (*readd)(unsigned int dev, const char *pci);
	int (*reset)(unsigned int dev, unsigned int delay_ms);
	int (*set_netdev_up)(unsigned int dev, unsigned int port, int up);
	int (*inject_tx_error)(unsigned int dev, unsigned int port,
			       unsigned int count, unsigned int cqe_type);
	const char *(*last_error)(void);
};

static struct ev_api ev;

#define EV_SYM(field, name) do { \
	*(void **)&ev.field = dlsym(RTLD_DEFAULT, name); \
	if (ev.field == NULL) { \
		fprintf(stderr, "%s not found: run under LD_PRELOAD=libmana-emu.so\n", \
			name); \
		return -1; \
	} \
} while (0)

static inline int
ev_load_api(void)
{
	EV_SYM(init, "mana_emu_init");
	EV_SYM(fini, "mana_emu_fini");
	EV_SYM(step, "mana_emu_step");
	EV_SYM(pci_tree, "mana_emu_pci_tree");
	EV_SYM(pci_addr, "mana_emu_pci_addr");
	EV_SYM(ibdev_name, "mana_emu_ibdev_name");
	EV_SYM(mac, "mana_emu_mac");
	EV_SYM(inject_rx, "mana_emu_inject_rx");
	EV_SYM(capture_enable, "mana_emu_capture_enable");
	EV_SYM(capture_read, "mana_emu_capture_read");
	EV_SYM(violation_count, "mana_emu_violation_count");
	EV_SYM(violations_text, "mana_emu_violations_text");
	EV_SYM(counter, "mana_emu_counter");
	EV_SYM(remove, "mana_emu_remove");
	EV_SYM(readd, "mana_emu_readd");
	EV_SYM(reset, "mana_emu_reset");
	EV_SYM(set_netdev_up, "mana_emu_set_netdev_up");
	EV_SYM(inject_tx_error, "mana_emu_inject_tx_error");
	EV_SYM(last_error, "mana_emu_last_error");
	return 0;
}

/* ---------------------------------------------------- recording allocator */

#define EV_ALLOC_MAX 256

struct ev_alloc_log {
	unsigned int n_alloc;
	unsigned int n_free;
	size_t size[EV_ALLOC_MAX];
	void *ptr[EV_ALLOC_MAX];
	void *freed[EV_ALLOC_MAX];
	bool fail;		/* return NULL */
};

static struct ev_alloc_log ev_log;

static void *
ev_alloc(size_t size, void *data)
{
	struct ev_alloc_log *log = data;
	void *p = NULL;

	if (log->fail)
		return NULL;
	if (posix_memalign(&p, 4096, size) != 0)
		return NULL;
	memset(p, 0, size);
	if (log->n_alloc < EV_ALLOC_MAX) {
		log->size[log->n_alloc] = size;
		log->ptr[log->n_alloc] = p;
	}
	log->n_alloc++;
	return p;
}

static void
ev_free(void *ptr, void *data)
{
	struct ev_alloc_log *log = data;

	/* libmana v44 hands NULL to free after a failed CQ creation: a no-op */
	if (ptr == NULL)
		return;
	if (log->n_free < EV_ALLOC_MAX)
		log->freed[log->n_free] = ptr;
	log->n_free++;
	free(ptr);
}

static inline int
ev_set_allocator(struct ibv_context *ctx)
{
	struct manadv_ctx_allocators a = {
		.alloc = ev_alloc, .free = ev_free, .data = &ev_log,
	};

	return manadv_set_context_attr(ctx, MANADV_CTX_ATTR_BUF_ALLOCATORS, &a);
}

/* ----------------------------------------------------------- the device */

static inline struct ibv_context *
ev_open(unsigned int idx)
{
	struct ibv_device **list;
	struct ibv_context *ctx = NULL;
	int n = 0;

	const char *name = ev.ibdev_name(idx);
	int i;

	/* the IB device of function idx, by name: libibverbs keeps its own order */
	list = ibv_get_device_list(&n);
	for (i = 0; list != NULL && name != NULL && i < n; i++)
		if (!strcmp(list[i]->name, name))
			ctx = ibv_open_device(list[i]);
	if (list != NULL)
		ibv_free_device_list(list);
	if (ctx == NULL && name == NULL)
		errno = ENODEV;
	return ctx;
}

static inline int
ev_read_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return (int)n;
}

/* ------------------------------------------------- one raw queue set */

#define EV_BUF_SIZE 2048u
#define EV_NBUF 64u

/** A TX raw QP and one RX queue behind an RSS QP, on one IB port. */
struct ev_port {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_pd *pdom;
	struct ibv_cq *tx_cq;
	struct ibv_cq *rx_cq;
	struct ibv_qp *qp;
	struct ibv_wq *wq;
	struct ibv_rwq_ind_table *ind;
	struct ibv_qp *rss;
	struct ibv_mr *mr;
	struct ibv_comp_channel *chan;
	uint8_t *mem;
	struct manadv_qp dqp;
	struct manadv_cq dtx;
	struct manadv_cq drx;
	struct manadv_rwq drwq;
	uint32_t sq_head;	/* BUs */
	uint32_t rq_head;	/* BUs */
	uint32_t tx_cq_head;	/* starts at N */
	uint32_t rx_cq_head;
	unsigned int rx_posted;
	unsigned int tx_buf;
};

static uint8_t ev_rss_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
	0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
	0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
	0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

/**
 * Create PD, parent domain (port), TX CQ + raw QP, RX CQ + WQ + table +
 * RSS QP, and one MR over EV_NBUF buffers. 0 or the failing step's errno.
 */
static inline int
ev_port_setup(struct ev_port *p, struct ibv_context *ctx, unsigned int port,
	      uint32_t depth, bool channel)
{
	struct ibv_parent_domain_init_attr pda = {
		.comp_mask = IBV_PARENT_DOMAIN_INIT_ATTR_PD_CONTEXT,
		.pd_context = (void *)(uintptr_t)port,
	};
	struct ibv_qp_init_attr qa = {
		.qp_type = IBV_QPT_RAW_PACKET,
		.cap = { .max_send_wr = depth, .max_send_sge = 1 },
	};
	struct ibv_wq_init_attr wa = {
		.wq_type = IBV_WQT_RQ, .max_wr = depth, .max_sge = 1,
	};
	struct ibv_rwq_ind_table_init_attr ia = { .log_ind_tbl_size = 0 };
	struct ibv_qp_init_attr_ex rqa = {
		.qp_type = IBV_QPT_RAW_PACKET,
		.comp_mask = IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_RX_HASH |
			     IBV_QP_INIT_ATTR_IND_TABLE,
		.rx_hash_conf = {
			.rx_hash_function = IBV_RX_HASH_FUNC_TOEPLITZ,
			.rx_hash_key_len = 40,
			.rx_hash_key = ev_rss_key,
			.rx_hash_fields_mask = IBV_RX_HASH_SRC_IPV4 |
					       IBV_RX_HASH_DST_IPV4,
		},
	};
	struct manadv_obj obj;

	memset(p, 0, sizeof(*p));
	p->ctx = ctx;
	if (ev_set_allocator(ctx) != 0)
		return EINVAL;
	p->pd = ibv_alloc_pd(ctx);
	if (p->pd == NULL)
		return errno;
	pda.pd = p->pd;
	p->pdom = ibv_alloc_parent_domain(ctx, &pda);
	if (p->pdom == NULL)
		return errno;
	p->tx_cq = ibv_create_cq(ctx, (int)depth, NULL, NULL, 0);
	if (p->tx_cq == NULL)
		return errno;
	qa.send_cq = qa.recv_cq = p->tx_cq;
	p->qp = ibv_create_qp(p->pdom, &qa);
	if (p->qp == NULL)
		return errno;
	if (channel) {
		p->chan = ibv_create_comp_channel(ctx);
		if (p->chan == NULL)
			return errno;
	}
	p->rx_cq = ibv_create_cq(ctx, (int)depth, p, p->chan, 0);
	if (p->rx_cq == NULL)
		return errno;
	wa.pd = p->pdom;
	wa.cq = p->rx_cq;
	p->wq = ibv_create_wq(ctx, &wa);
	if (p->wq == NULL)
		return errno;
	ia.ind_tbl = &p->wq;
	p->ind = ibv_create_rwq_ind_table(ctx, &ia);
	if (p->ind == NULL)
		return errno;
	rqa.pd = p->pdom;
	rqa.rwq_ind_tbl = p->ind;
	p->rss = ibv_create_qp_ex(ctx, &rqa);
	if (p->rss == NULL)
		return errno;
	if (posix_memalign((void **)&p->mem, 4096, EV_NBUF * EV_BUF_SIZE) != 0)
		return ENOMEM;
	memset(p->mem, 0, EV_NBUF * EV_BUF_SIZE);
	p->mr = ibv_reg_mr(p->pd, p->mem, EV_NBUF * EV_BUF_SIZE,
			   IBV_ACCESS_LOCAL_WRITE);
	if (p->mr == NULL)
		return errno;
	memset(&obj, 0, sizeof(obj));
	obj.qp.in = p->qp;
	obj.qp.out = &p->dqp;
	obj.cq.in = p->tx_cq;
	obj.cq.out = &p->dtx;
	if (manadv_init_obj(&obj, MANADV_OBJ_QP | MANADV_OBJ_CQ) != 0)
		return EINVAL;
	obj.cq.in = p->rx_cq;
	obj.cq.out = &p->drx;
	obj.rwq.in = p->wq;
	obj.rwq.out = &p->drwq;
	if (manadv_init_obj(&obj, MANADV_OBJ_CQ | MANADV_OBJ_RWQ) != 0)
		return EINVAL;
	p->tx_cq_head = p->dtx.count;
	p->rx_cq_head = p->drx.count;
	return 0;
}

/** Destroy in the driver's order; 0 or the first error. */
static inline int
ev_port_teardown(struct ev_port *p)
{
	int ret = 0, r;

#define EV_D(call) do { r = (call); if (r != 0 && ret == 0) ret = r; } while (0)
	if (p->rss != NULL)
		EV_D(ibv_destroy_qp(p->rss));
	if (p->ind != NULL)
		EV_D(ibv_destroy_rwq_ind_table(p->ind));
	if (p->wq != NULL)
		EV_D(ibv_destroy_wq(p->wq));
	if (p->rx_cq != NULL)
		EV_D(ibv_destroy_cq(p->rx_cq));
	if (p->chan != NULL)
		EV_D(ibv_destroy_comp_channel(p->chan));
	if (p->qp != NULL)
		EV_D(ibv_destroy_qp(p->qp));
	if (p->tx_cq != NULL)
		EV_D(ibv_destroy_cq(p->tx_cq));
	if (p->mr != NULL)
		EV_D(ibv_dereg_mr(p->mr));
	if (p->pdom != NULL)
		EV_D(ibv_dealloc_pd(p->pdom));
	if (p->pd != NULL)
		EV_D(ibv_dealloc_pd(p->pd));
#undef EV_D
	free(p->mem);
	p->mem = NULL;
	return ret;
}

/** Post @p n one-SGE RX WQEs (buffers 0..n-1) and ring the RQ doorbell. */
static inline void
ev_post_rx(struct ev_port *p, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		unsigned int b = (p->rx_posted + i) % (EV_NBUF / 2);
		struct gdma_wqe hdr = {
			.dw = { 0, gdma_wqe_hdr_dw1(1, 8, 0, false) },
		};
		struct gdma_sge sge = {
			.address = (uintptr_t)(p->mem + b * EV_BUF_SIZE),
			.mem_key = p->mr->lkey,
			.size = EV_BUF_SIZE,
		};

		p->rq_head += gdma_wq_write_wqe(p->drwq.buf, p->drwq.size - 1,
						p->rq_head, &hdr, NULL, 8,
						&sge, 1);
	}
	p->rx_posted += n;
	gdma_ring_doorbell(p->drwq.db_page, 0x400,
			   gdma_db_rq_value(p->drwq.wq_id,
					    p->rq_head * GDMA_WQE_BU_SIZE));
}

/** Copy @p frame into a TX buffer, post one WQE, ring the SQ doorbell. */
static inline void
ev_send(struct ev_port *p, const void *frame, uint32_t len)
{
	unsigned int b = EV_NBUF / 2 + (p->tx_buf++ % (EV_NBUF / 2));
	uint8_t *buf = p->mem + b * EV_BUF_SIZE;
	struct gdma_wqe hdr = { .dw = { 0, gdma_wqe_hdr_dw1(1, 8, 0, false) } };
	struct mana_tx_oob oob;
	struct gdma_sge sge = {
		.address = (uintptr_t)buf, .mem_key = p->mr->lkey, .size = len,
	};

	memcpy(buf, frame, len);
	memset(&oob, 0, sizeof(oob));
	MANA_SET(oob.dw, MANA_TX_OOB_PKT_FMT, MANA_SHORT_PKT_FMT);
	MANA_SET(oob.dw, MANA_TX_OOB_VCQ_NUM, p->dtx.cq_id);
	MANA_SET(oob.dw, MANA_TX_OOB_VSQ_FRAME, mana_tx_vsq_frame(p->dqp.sq_id));
	MANA_SET(oob.dw, MANA_TX_OOB_SHORT_VP_OFFSET, p->dqp.tx_vp_offset);
	p->sq_head += gdma_wq_write_wqe(p->dqp.sq_buf, p->dqp.sq_size - 1,
					p->sq_head, &hdr, &oob, 8, &sge, 1);
	gdma_ring_doorbell(p->dqp.db_page, 0x000,
			   gdma_db_sq_value(p->dqp.sq_id,
					    p->sq_head * GDMA_WQE_BU_SIZE));
}

static inline uint32_t
ev_log2(uint32_t n)
{
	uint32_t l = 0;

	while ((1u << l) < n)
		l++;
	return l;
}

/** Poll one CQE of a CQ; 1 and a copy in @p out if one was there. */
static inline int
ev_poll(const struct manadv_cq *cq, uint32_t *head, struct gdma_cqe *out)
{
	const struct gdma_cqe *e;
	enum gdma_cq_poll r;

	r = gdma_cq_poll(cq->buf, ev_log2(cq->count), *head, &e);
	if (r != GDMA_CQ_VALID)
		return r == GDMA_CQ_EMPTY ? 0 : -1;
	memcpy(out, e, sizeof(*out));
	(*head)++;
	return 1;
}

/** A frame of @p len bytes from @p src to @p dst with a patterned payload. */
static inline void
ev_frame(uint8_t *f, uint32_t len, const uint8_t dst[6], const uint8_t src[6],
	 uint8_t seed)
{
	uint32_t i;

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x88;	/* local experimental ethertype: no L3 offloads */
	f[13] = 0xb5;
	for (i = 14; i < len; i++)
		f[i] = (uint8_t)(seed + i * 7);
}

#endif /* EV_COMMON_H */
