/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Every control-plane error of spec §7.5 (libmana v44 + mana_ib), one table
 * row each: the call, and the errno it must fail with.
 */

#include "ev_common.h"

/* State shared by the rows: one context with allocators, one without. */
static struct {
	struct ibv_context *ctx;
	struct ibv_context *ctx_noalloc;
	struct ibv_pd *pd;
	struct ibv_pd *pdom1;		/* parent domain, port 1 */
	struct ibv_pd *pdom2;		/* parent domain of the same PD, port 2 */
	struct ibv_pd *pdom_port0;
	struct ibv_pd *pdom_port3;
	struct ibv_pd *pd_b;		/* second PD, no raw QP */
	struct ibv_pd *pdom_b1;
	struct ibv_pd *pd_na;		/* on ctx_noalloc */
	struct ibv_pd *pdom_na;
	struct ibv_cq *cq_free;		/* unbound */
	struct ibv_cq *cq_bound;	/* bound to the raw QP */
	struct ibv_cq *cq_na;
	struct ibv_qp *raw;		/* raw QP on pdom1 */
	struct ibv_wq *wq;
	struct ibv_rwq_ind_table *ind1;
	struct ibv_rwq_ind_table *ind128;
	struct ibv_mr *mr;
	struct ibv_wq *wqs[128];
	struct ibv_cq *wq_cqs[128];
	uint8_t buf[4096];
} s;

/* A row either returns a pointer (NULL = failure, errno) or an int errno. */
struct row {
	const char *name;
	void *(*ptr_call)(void);
	int (*int_call)(void);
	int expect;
	void (*cleanup)(void *obj);
	int expect_later;	/* rdma-core >= 50, when it differs from v44 */
};

/* libmana of rdma-core 44 (Debian 12) is loaded, not a later one. */
static bool rdma_core_44;

static struct ibv_cq *
cq_on(struct ibv_context *ctx, int cqe, int vector)
{
	return ibv_create_cq(ctx, cqe, NULL, NULL, vector);
}

static void *
r_cq_257(void)
{
	return cq_on(s.ctx, 257, 0);
}

static void *
r_cq_0(void)
{
	return cq_on(s.ctx, 0, 0);
}

static void *
r_cq_noalloc(void)
{
	return cq_on(s.ctx_noalloc, 64, 0);
}

static void *
r_cq_vector(void)
{
	return cq_on(s.ctx, 64, 1000);
}

static void *
r_cq_alloc_null(void)
{
	void *r;

	ev_log.fail = true;
	r = cq_on(s.ctx, 64, 0);
	ev_log.fail = false;
	return r;
}

static struct ibv_wq *
wq_on(struct ibv_context *ctx, struct ibv_pd *pd, struct ibv_cq *cq,
      uint32_t max_wr, uint32_t max_sge)
{
	struct ibv_wq_init_attr wa = {
		.wq_type = IBV_WQT_RQ, .max_wr = max_wr, .max_sge = max_sge,
		.pd = pd, .cq = cq,
	};

	return ibv_create_wq(ctx, &wa);
}

static void *
r_wq_257(void)
{
	return wq_on(s.ctx, s.pdom1, s.cq_free, 257, 1);
}

static void *
r_wq_sge16(void)
{
	return wq_on(s.ctx, s.pdom1, s.cq_free, 64, 16);
}

static void *r_wq_noalloc(void)
{
	return wq_on(s.ctx_noalloc, s.pdom_na, s.cq_na, 64, 1);
}

static void *
r_wq_alloc_null(void)
{
	void *r;

	ev_log.fail = true;
	r = wq_on(s.ctx, s.pdom1, s.cq_free, 64, 1);
	ev_log.fail = false;
	return r;
}

static void *
r_ind_log14(void)
{
	/* libibverbs reads 2^14 entries: give it a whole table */
	static struct ibv_wq *tbl[1u << 14];
	struct ibv_rwq_ind_table_init_attr ia = {
		.log_ind_tbl_size = 14, .ind_tbl = tbl,
	};
	size_t i;

	for (i = 0; i < MTEST_N(tbl); i++)
		tbl[i] = s.wqs[0];
	return ibv_create_rwq_ind_table(s.ctx, &ia);
}

static struct ibv_qp *
raw_on(struct ibv_pd *pd, struct ibv_cq *cq, uint32_t wr, uint32_t sge,
       enum ibv_qp_type type)
{
	struct ibv_qp_init_attr qa = {
		.qp_type = type, .send_cq = cq, .recv_cq = cq,
		.cap = { .max_send_wr = wr, .max_send_sge = sge },
	};

	return ibv_create_qp(pd, &qa);
}

static void *
r_raw_plain_pd(void)
{
	return raw_on(s.pd, s.cq_free, 64, 1, IBV_QPT_RAW_PACKET);
}

static void *
r_raw_wr257(void)
{
	return raw_on(s.pdom1, s.cq_free, 257, 1, IBV_QPT_RAW_PACKET);
}

static void *
r_raw_sge31(void)
{
	return raw_on(s.pdom1, s.cq_free, 64, 31, IBV_QPT_RAW_PACKET);
}

static void *
r_raw_sge32(void)
{
	return raw_on(s.pdom1, s.cq_free, 64, 32, IBV_QPT_RAW_PACKET);
}

static void *
r_raw_noalloc(void)
{
	return raw_on(s.pdom_na, s.cq_na, 64, 1, IBV_QPT_RAW_PACKET);
}

static void *
r_raw_port0(void)
{
	return raw_on(s.pdom_port0, s.cq_free, 64, 1, IBV_QPT_RAW_PACKET);
}

static void *
r_raw_port3(void)
{
	return raw_on(s.pdom_port3, s.cq_free, 64, 1, IBV_QPT_RAW_PACKET);
}

static void *
r_raw_cq_bound(void)
{
	return raw_on(s.pdom1, s.cq_bound, 64, 1, IBV_QPT_RAW_PACKET);
}

static void *
r_raw_pd_other_port(void)
{
	return raw_on(s.pdom2, s.cq_free, 64, 1, IBV_QPT_RAW_PACKET);
}

static void *
r_raw_other_pd_same_port(void)
{
	return raw_on(s.pdom_b1, s.cq_free, 64, 1, IBV_QPT_RAW_PACKET);
}

static void *
r_raw_ud(void)
{
	return raw_on(s.pdom1, s.cq_free, 64, 1, IBV_QPT_UD);
}

static void *
r_raw_netdev_up(void)
{
	void *r;
	int e;

	/* port 2 of PD B: its kernel interface is up */
	struct ibv_parent_domain_init_attr pda = {
		.pd = s.pd_b,
		.comp_mask = IBV_PARENT_DOMAIN_INIT_ATTR_PD_CONTEXT,
		.pd_context = (void *)2,
	};
	struct ibv_pd *pdom = ibv_alloc_parent_domain(s.ctx, &pda);

	if (pdom == NULL)
		return NULL;
	ev.set_netdev_up(0, 1, 1);
	r = raw_on(pdom, s.cq_free, 64, 1, IBV_QPT_RAW_PACKET);
	e = errno;
	ev.set_netdev_up(0, 1, 0);
	if (r == NULL)
		ibv_dealloc_pd(pdom);
	errno = e;
	return r;
}

static void *
rss_with(struct ibv_pd *pd, struct ibv_rwq_ind_table *ind, uint32_t key_len,
	 uint8_t func, uint32_t max_recv_wr, uint32_t max_recv_sge)
{
	struct ibv_qp_init_attr_ex a = {
		.qp_type = IBV_QPT_RAW_PACKET,
		.comp_mask = IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_RX_HASH |
			     IBV_QP_INIT_ATTR_IND_TABLE,
		.pd = pd,
		.rwq_ind_tbl = ind,
		.cap = { .max_recv_wr = max_recv_wr,
			 .max_recv_sge = max_recv_sge },
		.rx_hash_conf = {
			.rx_hash_function = func,
			.rx_hash_key_len = (uint8_t)key_len,
			.rx_hash_key = ev_rss_key,
		},
	};

	return ibv_create_qp_ex(s.ctx, &a);
}

static void *
r_rss_key32(void)
{
	return rss_with(s.pdom1, s.ind1, 32, IBV_RX_HASH_FUNC_TOEPLITZ, 0, 0);
}

static void *
r_rss_func(void)
{
	return rss_with(s.pdom1, s.ind1, 40, 2, 0, 0);
}

static void *
r_rss_plain_pd(void)
{
	return rss_with(s.pd, s.ind1, 40, IBV_RX_HASH_FUNC_TOEPLITZ, 0, 0);
}

static void *
r_rss_128(void)
{
	return rss_with(s.pdom1, s.ind128, 40, IBV_RX_HASH_FUNC_TOEPLITZ, 0, 0);
}

static void *
r_rss_no_raw(void)
{
	return rss_with(s.pdom_b1, s.ind1, 40, IBV_RX_HASH_FUNC_TOEPLITZ, 0, 0);
}

static void *
r_rss_wr257(void)
{
	return rss_with(s.pdom1, s.ind1, 40, IBV_RX_HASH_FUNC_TOEPLITZ, 257, 1);
}

static void *
r_rss_sge16(void)
{
	return rss_with(s.pdom1, s.ind1, 40, IBV_RX_HASH_FUNC_TOEPLITZ, 64, 16);
}

static void *
r_pdom_allocators(void)
{
	struct ibv_parent_domain_init_attr pda = {
		.pd = s.pd,
		.comp_mask = IBV_PARENT_DOMAIN_INIT_ATTR_PD_CONTEXT |
			     IBV_PARENT_DOMAIN_INIT_ATTR_ALLOCATORS,
		.pd_context = (void *)1,
	};

	return ibv_alloc_parent_domain(s.ctx, &pda);
}

static void *
r_mr_atomic(void)
{
	return ibv_reg_mr(s.pd, s.buf, sizeof(s.buf), IBV_ACCESS_REMOTE_ATOMIC);
}

static void *
r_mr_mw_bind(void)
{
	return ibv_reg_mr(s.pd, s.buf, sizeof(s.buf), IBV_ACCESS_MW_BIND);
}

static void *
r_mr_zero_len(void)
{
	return ibv_reg_mr(s.pd, s.buf, 0, IBV_ACCESS_LOCAL_WRITE);
}

static int
i_modify_qp(void)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_RTS };

	return ibv_modify_qp(s.raw, &a, IBV_QP_STATE);
}

static int
i_modify_wq(void)
{
	struct ibv_wq_attr a = { .attr_mask = IBV_WQ_ATTR_STATE,
				 .wq_state = IBV_WQS_RDY };

	return ibv_modify_wq(s.wq, &a);
}

static int
i_ctx_attr_type(void)
{
	struct manadv_ctx_allocators a = { ev_alloc, ev_free, &ev_log };

	return manadv_set_context_attr(s.ctx, (enum manadv_set_ctx_attr_type)1,
				       &a);
}

static int
i_init_obj_type(void)
{
	struct manadv_obj obj;

	memset(&obj, 0, sizeof(obj));
	return manadv_init_obj(&obj, 8);
}

static int
i_query_port0(void)
{
	struct ibv_port_attr pa;

	return ibv_query_port(s.ctx, 0, &pa);
}

static int
i_query_port3(void)
{
	struct ibv_port_attr pa;

	return ibv_query_port(s.ctx, 3, &pa);
}

static int
i_dealloc_pd_busy(void)
{
	return ibv_dealloc_pd(s.pd);
}

static int
i_destroy_cq_busy(void)
{
	return ibv_destroy_cq(s.cq_bound);
}

static void
c_cq(void *o)
{
	ibv_destroy_cq(o);
}

static void
c_wq(void *o)
{
	ibv_destroy_wq(o);
}

static void
c_ind(void *o)
{
	ibv_destroy_rwq_ind_table(o);
}

static void
c_qp(void *o)
{
	ibv_destroy_qp(o);
}

static void
c_pd(void *o)
{
	ibv_dealloc_pd(o);
}

static void
c_mr(void *o)
{
	ibv_dereg_mr(o);
}

static const struct row rows[] = {
	{ "create_cq_cqe_257", r_cq_257, NULL, EINVAL, c_cq },
	{ "create_cq_cqe_0", r_cq_0, NULL, EINVAL, c_cq },
	/* later libmana asks for an RNIC CQ, which an Ethernet function has not */
	{ "create_cq_no_allocator", r_cq_noalloc, NULL, EINVAL, c_cq, EOPNOTSUPP },
	{ "create_cq_allocator_null", r_cq_alloc_null, NULL, ENOMEM, c_cq },
	{ "create_cq_bad_vector", r_cq_vector, NULL, EINVAL, c_cq },
	{ "create_wq_max_wr_257", r_wq_257, NULL, EINVAL, c_wq },
	{ "create_wq_max_sge_16", r_wq_sge16, NULL, EINVAL, c_wq },
	{ "create_wq_no_allocator", r_wq_noalloc, NULL, EINVAL, c_wq },
	{ "create_wq_allocator_null", r_wq_alloc_null, NULL, ENOMEM, c_wq },
	{ "ind_table_log_14", r_ind_log14, NULL, EINVAL, c_ind },
	{ "raw_qp_plain_pd", r_raw_plain_pd, NULL, EINVAL, c_qp },
	{ "raw_qp_max_send_wr_257", r_raw_wr257, NULL, EINVAL, c_qp },
	{ "raw_qp_max_send_sge_31", r_raw_sge31, NULL, EINVAL, c_qp },
	{ "raw_qp_wqe_size_over_512", r_raw_sge32, NULL, EINVAL, c_qp },
	{ "raw_qp_no_allocator", r_raw_noalloc, NULL, EINVAL, c_qp },
	{ "raw_qp_port_0", r_raw_port0, NULL, EINVAL, c_qp },
	{ "raw_qp_port_3_of_2", r_raw_port3, NULL, EINVAL, c_qp },
	{ "raw_qp_cq_already_bound", r_raw_cq_bound, NULL, EINVAL, c_qp },
	{ "raw_qp_pd_bound_to_other_port", r_raw_pd_other_port, NULL, EINVAL, c_qp },
	{ "raw_qp_netdev_up", r_raw_netdev_up, NULL, EBUSY, c_qp },
	{ "raw_qp_vport_held_by_other_pd", r_raw_other_pd_same_port, NULL, EBUSY, c_qp },
	{ "qp_type_ud", r_raw_ud, NULL, EINVAL, c_qp, EOPNOTSUPP },	/* libmana's words */
	{ "rss_key_len_32", r_rss_key32, NULL, EINVAL, c_qp },
	{ "rss_hash_function", r_rss_func, NULL, EINVAL, c_qp },
	{ "rss_plain_pd", r_rss_plain_pd, NULL, EINVAL, c_qp },
	{ "rss_table_128_entries", r_rss_128, NULL, EINVAL, c_qp },
	{ "rss_without_raw_qp", r_rss_no_raw, NULL, EINVAL, c_qp },
	{ "rss_max_recv_wr_257", r_rss_wr257, NULL, EINVAL, c_qp },
	{ "rss_max_recv_sge_16", r_rss_sge16, NULL, EINVAL, c_qp },
	{ "parent_domain_allocators", r_pdom_allocators, NULL, EINVAL, c_pd, EOPNOTSUPP },
	{ "reg_mr_remote_atomic", r_mr_atomic, NULL, EINVAL, c_mr },
	{ "reg_mr_mw_bind", r_mr_mw_bind, NULL, EINVAL, c_mr },
	{ "reg_mr_zero_length", r_mr_zero_len, NULL, EINVAL, c_mr },
	{ "modify_qp_raw", NULL, i_modify_qp, EOPNOTSUPP, NULL },
	{ "modify_wq", NULL, i_modify_wq, EOPNOTSUPP, NULL },
	{ "set_context_attr_type", NULL, i_ctx_attr_type, EOPNOTSUPP, NULL },
	{ "init_obj_type", NULL, i_init_obj_type, EINVAL, NULL },
	{ "query_port_0", NULL, i_query_port0, EINVAL, NULL },
	{ "query_port_3_of_2", NULL, i_query_port3, EINVAL, NULL },
	{ "dealloc_pd_in_use", NULL, i_dealloc_pd_busy, EBUSY, NULL },
	{ "destroy_cq_in_use", NULL, i_destroy_cq_busy, EBUSY, NULL },
};

static struct ibv_pd *
pdom_of(struct ibv_context *ctx, struct ibv_pd *pd, uintptr_t port)
{
	struct ibv_parent_domain_init_attr pda = {
		.pd = pd,
		.comp_mask = IBV_PARENT_DOMAIN_INIT_ATTR_PD_CONTEXT,
		.pd_context = (void *)port,
	};

	return ibv_alloc_parent_domain(ctx, &pda);
}

static int
setup(const char *opts)
{
	struct ibv_rwq_ind_table_init_attr ia;
	unsigned int i;

	memset(&s, 0, sizeof(s));
	if (ev.init(opts) != 0)
		return -1;
	s.ctx = ev_open(0);
	s.ctx_noalloc = ev_open(0);
	if (s.ctx == NULL || s.ctx_noalloc == NULL || ev_set_allocator(s.ctx))
		return -1;
	s.pd = ibv_alloc_pd(s.ctx);
	s.pd_b = ibv_alloc_pd(s.ctx);
	s.pd_na = ibv_alloc_pd(s.ctx_noalloc);
	if (!s.pd || !s.pd_b || !s.pd_na)
		return -1;
	s.pdom1 = pdom_of(s.ctx, s.pd, 1);
	s.pdom2 = pdom_of(s.ctx, s.pd, 2);
	s.pdom_port0 = pdom_of(s.ctx, s.pd, 0);
	s.pdom_port3 = pdom_of(s.ctx, s.pd, 3);
	s.pdom_b1 = pdom_of(s.ctx, s.pd_b, 1);
	s.pdom_na = pdom_of(s.ctx_noalloc, s.pd_na, 1);
	s.cq_free = cq_on(s.ctx, 64, 0);
	s.cq_bound = cq_on(s.ctx, 64, 0);
	s.cq_na = NULL;
	if (!s.pdom1 || !s.pdom2 || !s.pdom_port0 || !s.pdom_port3 ||
	    !s.pdom_b1 || !s.pdom_na || !s.cq_free || !s.cq_bound)
		return -1;
	/* a CQ on the allocator-less context cannot exist: borrow one */
	s.cq_na = s.cq_free;
	s.raw = raw_on(s.pdom1, s.cq_bound, 64, 1, IBV_QPT_RAW_PACKET);
	if (s.raw == NULL)
		return -1;
	for (i = 0; i < 128; i++) {
		s.wq_cqs[i] = cq_on(s.ctx, 64, 0);
		if (s.wq_cqs[i] == NULL)
			return -1;
		s.wqs[i] = wq_on(s.ctx, s.pdom1, s.wq_cqs[i], 64, 1);
		if (s.wqs[i] == NULL)
			return -1;
	}
	s.wq = s.wqs[0];
	ia.log_ind_tbl_size = 0;
	ia.ind_tbl = s.wqs;
	ia.comp_mask = 0;
	s.ind1 = ibv_create_rwq_ind_table(s.ctx, &ia);
	ia.log_ind_tbl_size = 7;
	s.ind128 = ibv_create_rwq_ind_table(s.ctx, &ia);
	s.mr = ibv_reg_mr(s.pd, s.buf, sizeof(s.buf), IBV_ACCESS_LOCAL_WRITE);
	if (!s.ind1 || !s.ind128 || !s.mr)
		return -1;
	return 0;
}

/* The file mapped into this process whose path contains @p name. */
static bool
mapped_lib(const char *name, char *path, size_t len)
{
	char line[1024];
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "r");

	while (f != NULL && !found && fgets(line, sizeof(line), f) != NULL) {
		char *p = strchr(line, '/');

		if (p != NULL && strstr(p, name) != NULL) {
			p[strcspn(p, "\n")] = '\0';
			snprintf(path, len, "%s", p);
			found = true;
		}
	}
	if (f != NULL)
		fclose(f);
	return found;
}

static int
run_row(const struct row *row)
{
	struct row copy = *row;
	const struct row *r = &copy;

	if (!rdma_core_44 && copy.expect_later != 0)
		copy.expect = copy.expect_later;
	if (r->ptr_call != NULL) {
		void *o;

		errno = 0;
		o = r->ptr_call();
		if (o != NULL) {
			if (r->cleanup != NULL)
				r->cleanup(o);
			MTEST_FAIL("%s: succeeded, expected errno %d (%s)",
				   r->name, r->expect, strerror(r->expect));
		}
		MTEST_ASSERT(errno == r->expect, "%s: errno %d (%s), expected %d (%s)",
			     r->name, errno, strerror(errno), r->expect,
			     strerror(r->expect));
	} else {
		int ret = r->int_call();

		MTEST_ASSERT(ret == r->expect, "%s: returned %d (%s), expected %d (%s)",
			     r->name, ret, strerror(ret), r->expect,
			     strerror(r->expect));
	}
	return MTEST_SUCCESS;
}

static int
test_error_table(void)
{
	unsigned int i, failed = 0;

	MTEST_ASSERT(setup("mode=step,ports=2,ctl=off") == 0, "setup: errno %d",
		     errno);
	{
		char path[PATH_MAX] = "";

		MTEST_ASSERT(mapped_lib("libmana.so", path, sizeof(path)), "libmana not mapped");
		rdma_core_44 = strstr(path, ".44.") != NULL;
		printf("  rdma-core's libmana: %s\n", path);
	}
	for (i = 0; i < MTEST_N(rows); i++) {
		int rc = run_row(&rows[i]);

		printf("  %s %s\n", rc == MTEST_SUCCESS ? "ok  " : "FAIL",
		       rows[i].name);
		if (rc != MTEST_SUCCESS)
			failed++;
	}
	/* the good path still works after all that */
	{
		struct ibv_mr *mr = ibv_reg_mr(s.pd, s.buf, sizeof(s.buf),
					       IBV_ACCESS_LOCAL_WRITE |
					       IBV_ACCESS_REMOTE_READ);

		MTEST_ASSERT(mr != NULL, "reg_mr: errno %d", errno);
		MTEST_ASSERT_EQ(ibv_dereg_mr(mr), 0);
	}
	MTEST_ASSERT_EQ(ibv_close_device(s.ctx_noalloc), 0);
	MTEST_ASSERT_EQ(ibv_close_device(s.ctx), 0);
	MTEST_ASSERT(failed == 0, "%u of %zu rows failed", failed, MTEST_N(rows));
	return MTEST_SUCCESS;
}

static int
test_busy_errno_enodev(void)
{
	struct ibv_context *ctx;
	struct ibv_pd *pd, *pdom;
	struct ibv_cq *cq;
	struct ibv_qp *qp;

	/* older kernels report a vPort in use as ENODEV */
	MTEST_ASSERT_EQ(ev.init("mode=step,ports=1,busy_errno=ENODEV,netdev_up0=on,ctl=off"), 0);
	ctx = ev_open(0);
	MTEST_ASSERT(ctx != NULL, "errno %d", errno);
	MTEST_ASSERT_EQ(ev_set_allocator(ctx), 0);
	pd = ibv_alloc_pd(ctx);
	pdom = pdom_of(ctx, pd, 1);
	cq = cq_on(ctx, 64, 0);
	MTEST_ASSERT(pd && pdom && cq, "errno %d", errno);
	errno = 0;
	qp = raw_on(pdom, cq, 64, 1, IBV_QPT_RAW_PACKET);
	MTEST_ASSERT(qp == NULL && errno == ENODEV, "qp %p errno %d", (void *)qp,
		     errno);
	/* bring the kernel interface down: now it works */
	MTEST_ASSERT_EQ(ev.set_netdev_up(0, 0, 0), 0);
	qp = raw_on(pdom, cq, 64, 1, IBV_QPT_RAW_PACKET);
	MTEST_ASSERT(qp != NULL, "errno %d", errno);
	MTEST_ASSERT_EQ(ibv_destroy_qp(qp), 0);
	MTEST_ASSERT_EQ(ibv_close_device(ctx), 0);
	return MTEST_SUCCESS;
}

static int
test_rdma_core_limits(void)
{
	struct ibv_context *ctx;
	struct ibv_cq *cq;

	char path[PATH_MAX] = "";
	bool v44;
	uint32_t max;

	/*
	 * The limits of the rdma-core that runs: libmana v44 (to v49) refuses
	 * CQs over 256 entries; later ones leave it to the kernel's max_cqe
	 * (2048 on IB-eth kernels). Run on both (emu-verbs-errors-rdma56).
	 */
	MTEST_ASSERT_EQ(ev.init("mode=step,max_wr=2048,ctl=off"), 0);
	ctx = ev_open(0);
	MTEST_ASSERT(ctx != NULL, "errno %d", errno);
	MTEST_ASSERT(mapped_lib("libmana.so", path, sizeof(path)), "libmana not mapped");
	v44 = strstr(path, ".44.") != NULL;
	max = v44 ? 256 : 2048;
	printf("  %s: CQs up to %u entries\n", path, max);
	MTEST_ASSERT_EQ(ev_set_allocator(ctx), 0);
	cq = cq_on(ctx, (int)max, 0);
	MTEST_ASSERT(cq != NULL, "%u entries: errno %d", max, errno);
	MTEST_ASSERT_EQ(ibv_destroy_cq(cq), 0);
	errno = 0;
	cq = cq_on(ctx, (int)max + 1, 0);
	MTEST_ASSERT(cq == NULL && errno == EINVAL, "%u entries: errno %d", max + 1, errno);
	MTEST_ASSERT_EQ(ibv_close_device(ctx), 0);
	return MTEST_SUCCESS;
}

static int
test_bad_config_rejected(void)
{
	MTEST_ASSERT(ev.init("ports=9") == -EINVAL, "ports=9 accepted");
	MTEST_ASSERT(strstr(ev.last_error(), "ports=9") != NULL, "message: %s",
		     ev.last_error());
	MTEST_ASSERT(ev.init("max_wr=300") == -EINVAL, "max_wr=300 accepted");
	MTEST_ASSERT(ev.init("pci=7870:00:00") == -EINVAL, "bad pci accepted");
	MTEST_ASSERT(ev.init("wire=carrier-pigeon") == -EINVAL, "bad wire");
	MTEST_ASSERT(ev.init("nonsense=1") == -EINVAL, "unknown key");
	{
		struct ibv_device **list;
		int n = -1;

		/* no emulated kernel: no RDMA device at all */
		list = ibv_get_device_list(&n);
		MTEST_ASSERT(n == 0, "%d devices after a failed init", n);
		if (list != NULL)
			ibv_free_device_list(list);
	}
	MTEST_ASSERT_EQ(ev.init("mode=step,ctl=off"), 0);
	return MTEST_SUCCESS;
}

static int
test_legacy_kernel_rss_first(void)
{
	struct ibv_context *ctx;
	struct ibv_pd *pd, *pdom;
	struct ibv_cq *cq;
	struct ibv_wq *wq;
	struct ibv_rwq_ind_table *ind;
	struct ibv_rwq_ind_table_init_attr ia = { .log_ind_tbl_size = 0 };
	struct ibv_qp *rss;

	/* before 2026 kernels an RSS QP needed no raw QP first */
	MTEST_ASSERT_EQ(ev.init("mode=step,ctl=off,kernel2026=off"), 0);
	ctx = ev_open(0);
	MTEST_ASSERT(ctx != NULL, "errno %d", errno);
	MTEST_ASSERT_EQ(ev_set_allocator(ctx), 0);
	pd = ibv_alloc_pd(ctx);
	pdom = pdom_of(ctx, pd, 1);
	cq = cq_on(ctx, 64, 0);
	MTEST_ASSERT(pd && pdom && cq, "errno %d", errno);
	wq = wq_on(ctx, pdom, cq, 64, 1);
	MTEST_ASSERT(wq != NULL, "errno %d", errno);
	ia.ind_tbl = &wq;
	ind = ibv_create_rwq_ind_table(ctx, &ia);
	MTEST_ASSERT(ind != NULL, "errno %d", errno);
	s.ctx = ctx;
	rss = rss_with(pdom, ind, 40, IBV_RX_HASH_FUNC_TOEPLITZ, 0, 0);
	MTEST_ASSERT(rss != NULL, "errno %d", errno);
	MTEST_ASSERT_EQ(ibv_destroy_qp(rss), 0);
	MTEST_ASSERT_EQ(ibv_close_device(ctx), 0);
	return MTEST_SUCCESS;
}

static const struct mtest_case cases[] = {
	{ "error_table", test_error_table },
	{ "busy_errno_enodev", test_busy_errno_enodev },
	{ "rdma_core_limits", test_rdma_core_limits },
	{ "legacy_kernel_rss_first", test_legacy_kernel_rss_first },
	{ "bad_config_rejected", test_bad_config_rejected },
};

int
main(int argc, char **argv)
{
	int ret;

	if (ev_load_api() != 0)
		return 1;
	ret = mtest_run("emu-verbs-errors", cases, MTEST_N(cases), argc, argv);
	ev.fini();
	return ret;
}
