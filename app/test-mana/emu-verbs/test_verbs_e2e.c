/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * End-to-end checks of libmana-emu through the verbs API: symbol binding
 * under LD_PRELOAD, the device tree, queries, buffer sizes, queue ids, and
 * frames through hand-written WQEs on the loopback wire.
 */

#include <limits.h>
#include <sys/stat.h>

#include "ev_common.h"

#define E2E_OPTS "mode=step,ports=2,wire=loopback,ctl=off"

static uint32_t
oob_len_of(const struct gdma_cqe *cqe)
{
	const struct mana_rxcomp_oob *oob = (const void *)cqe->cqe_data;

	return oob->ppi[0].pkt_len_dw & 0xffff;
}

static int
expect_violations_zero(void)
{
	char text[2048];

	if (ev.violation_count() != 0) {
		ev.violations_text(text, sizeof(text));
		fprintf(stderr, "  violations:\n%s", text);
		return -1;
	}
	return 0;
}

/* Whether /proc/self/maps maps a file whose name contains @p name. */
static bool
mapped(const char *name, char *path, size_t len)
{
	char line[1024];
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "r");

	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		char *p = strchr(line, '/');

		if (p != NULL && strstr(p, name) != NULL) {
			p[strcspn(p, "\n")] = '\0';
			snprintf(path, len, "%s", p);
			found = true;
		}
	}
	fclose(f);
	return found;
}

static int
test_preload_binding(void)
{
	static const char *const syms[] = {
		"ibv_get_device_list", "ibv_open_device", "ibv_create_cq",
		"ibv_create_qp", "ibv_reg_mr", "manadv_init_obj",
		"manadv_set_context_attr",
	};
	void *fns[] = {
		(void *)ibv_get_device_list, (void *)ibv_open_device,
		(void *)ibv_create_cq, (void *)ibv_create_qp,
		(void *)(ibv_reg_mr), (void *)manadv_init_obj,
		(void *)manadv_set_context_attr,
	};
	struct ibv_device **list;
	struct ibv_context *ctx;
	char path[PATH_MAX];
	void *self;
	size_t i;
	int n;

	/*
	 * The emulator is the kernel's side: this program's verbs references
	 * bind to rdma-core's libibverbs and libmana, and the preloaded
	 * library exports none of them.
	 */
	for (i = 0; i < MTEST_N(syms); i++) {
		Dl_info info;

		MTEST_ASSERT(dladdr(fns[i], &info) != 0, "%s", syms[i]);
		MTEST_ASSERT(strstr(info.dli_fname, "libmana-emu") == NULL &&
			     (strstr(info.dli_fname, "libibverbs.so") != NULL ||
			      strstr(info.dli_fname, "libmana.so") != NULL),
			     "%s bound to %s", syms[i], info.dli_fname);
	}
	self = dlopen("libmana-emu.so", RTLD_NOLOAD | RTLD_NOW);
	MTEST_ASSERT(self != NULL, "libmana-emu.so is not loaded: %s", dlerror());
	for (i = 0; i < MTEST_N(syms); i++)
		MTEST_ASSERT(dlsym(self, syms[i]) == NULL ||
			     dlsym(self, syms[i]) == dlsym(RTLD_NEXT, syms[i]),
			     "libmana-emu.so defines %s", syms[i]);
	dlclose(self);
	/* the real provider is loaded when the device is opened */
	MTEST_ASSERT_EQ(ev.init(E2E_OPTS), 0);
	list = ibv_get_device_list(&n);
	MTEST_ASSERT(list != NULL && n == 1, "%d devices", n);
	ctx = ibv_open_device(list[0]);
	MTEST_ASSERT(ctx != NULL, "open: errno %d", errno);
	MTEST_ASSERT(mapped("libibverbs.so.1", path, sizeof(path)) &&
		     strstr(path, "mana-emu") == NULL, "libibverbs.so.1 not mapped");
	MTEST_ASSERT(mapped("libmana", path, sizeof(path)) &&
		     strstr(path, "mana-emu") == NULL, "rdma-core's libmana not mapped");
	fprintf(stderr, "  provider: %s\n", path);
	MTEST_ASSERT_EQ(ibv_close_device(ctx), 0);
	ibv_free_device_list(list);
	return MTEST_SUCCESS;
}

static int
test_device_list_and_tree(void)
{
	char path[PATH_MAX], buf[512], link[PATH_MAX];
	struct ibv_device **list;
	uint8_t mac[6];
	unsigned int p;
	int n = -1;
	ssize_t l;

	MTEST_ASSERT_EQ(ev.init(E2E_OPTS), 0);
	list = ibv_get_device_list(&n);
	MTEST_ASSERT(list != NULL, "errno %d", errno);
	MTEST_ASSERT_EQ(n, 1);
	MTEST_ASSERT(list[1] == NULL, "list not NULL-terminated");
	MTEST_ASSERT(!strcmp(ibv_get_device_name(list[0]), "manae_0"),
		     "name %s", ibv_get_device_name(list[0]));
	snprintf(path, sizeof(path), "%s/device/uevent", list[0]->ibdev_path);
	MTEST_ASSERT(ev_read_file(path, buf, sizeof(buf)) > 0, "%s", path);
	MTEST_ASSERT(strstr(buf, "PCI_SLOT_NAME=7870:00:00.0\n") != NULL,
		     "uevent: %s", buf);
	for (p = 0; p < 2; p++) {
		char want[32];

		snprintf(path, sizeof(path), "%s/device/net/%s/dev_port",
			 list[0]->ibdev_path, p ? "enP30832s0d1" : "enP30832s0");
		MTEST_ASSERT(ev_read_file(path, buf, sizeof(buf)) > 0, "%s", path);
		MTEST_ASSERT_EQ(strtoul(buf, NULL, 0), p);
		snprintf(path, sizeof(path), "%s/device/net/%s/address",
			 list[0]->ibdev_path, p ? "enP30832s0d1" : "enP30832s0");
		MTEST_ASSERT(ev_read_file(path, buf, sizeof(buf)) > 0, "%s", path);
		MTEST_ASSERT_EQ(ev.mac(0, p, mac), 0);
		snprintf(want, sizeof(want), "%02x:%02x:%02x:%02x:%02x:%02x\n",
			 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
		MTEST_ASSERT(!strcmp(buf, want), "address %s want %s", buf, want);
	}
	ibv_free_device_list(list);

	/* what DPDK's PCI bus reads through SYSFS_PCI_DEVICES */
	snprintf(path, sizeof(path), "%s/7870:00:00.0/vendor", ev.pci_tree());
	MTEST_ASSERT(ev_read_file(path, buf, sizeof(buf)) > 0, "%s", path);
	MTEST_ASSERT(!strcmp(buf, "0x1414\n"), "vendor %s", buf);
	snprintf(path, sizeof(path), "%s/7870:00:00.0/device", ev.pci_tree());
	MTEST_ASSERT(ev_read_file(path, buf, sizeof(buf)) > 0, "%s", path);
	MTEST_ASSERT(!strcmp(buf, "0x00ba\n"), "device %s", buf);
	snprintf(path, sizeof(path), "%s/7870:00:00.0/class", ev.pci_tree());
	MTEST_ASSERT(ev_read_file(path, buf, sizeof(buf)) > 0, "%s", path);
	MTEST_ASSERT(!strcmp(buf, "0x020000\n"), "class %s", buf);
	snprintf(path, sizeof(path), "%s/7870:00:00.0/resource", ev.pci_tree());
	MTEST_ASSERT(ev_read_file(path, buf, sizeof(buf)) > 0, "%s", path);
	MTEST_ASSERT(!strncmp(buf, "0x00000fe000000000 0x00000fe000007fff ", 38),
		     "resource %s", buf);
	snprintf(path, sizeof(path), "%s/7870:00:00.0/driver", ev.pci_tree());
	l = readlink(path, link, sizeof(link) - 1);
	MTEST_ASSERT(l > 0, "%s", path);
	link[l] = '\0';
	MTEST_ASSERT(!strcmp(strrchr(link, '/') + 1, "mana"), "driver %s", link);
	snprintf(path, sizeof(path), "%s/7870:00:00.0/max_vfs", ev.pci_tree());
	MTEST_ASSERT(access(path, F_OK) != 0, "max_vfs must be absent");
	return MTEST_SUCCESS;
}

static int
test_query_device_and_port(void)
{
	struct ibv_device_attr_ex attr;
	struct ibv_port_attr pa;
	struct ibv_context *ctx;

	MTEST_ASSERT_EQ(ev.init(E2E_OPTS), 0);
	ctx = ev_open(0);
	MTEST_ASSERT(ctx != NULL, "errno %d", errno);
	MTEST_ASSERT(ctx->async_fd >= 0, "no async fd");
	memset(&attr, 0xa5, sizeof(attr));
	MTEST_ASSERT_EQ(ibv_query_device_ex(ctx, NULL, &attr), 0);
	MTEST_ASSERT_EQ(attr.orig_attr.vendor_id, 0x1414);
	MTEST_ASSERT_EQ(attr.orig_attr.vendor_part_id, 2);
	MTEST_ASSERT_EQ(attr.orig_attr.phys_port_cnt, 2);
	MTEST_ASSERT_EQ(attr.orig_attr.max_qp_wr, 256);
	MTEST_ASSERT_EQ(attr.orig_attr.max_sge, 15);
	MTEST_ASSERT(attr.raw_packet_caps & IBV_RAW_PACKET_CAP_IP_CSUM, "caps");
	MTEST_ASSERT_EQ(attr.rss_caps.max_rwq_indirection_table_size, 64);

	MTEST_ASSERT_EQ(ibv_query_port(ctx, 1, &pa), 0);
	MTEST_ASSERT_EQ(pa.link_layer, IBV_LINK_LAYER_ETHERNET);
	MTEST_ASSERT_EQ(pa.state, IBV_PORT_DOWN);	/* kernel netdev down */
	MTEST_ASSERT_EQ(pa.active_mtu, IBV_MTU_1024);	/* 1500 */
	MTEST_ASSERT_EQ(pa.max_mtu, IBV_MTU_4096);
	MTEST_ASSERT_EQ(ibv_query_port(ctx, 3, &pa), EINVAL);
	MTEST_ASSERT_EQ(ibv_query_port(ctx, 0, &pa), EINVAL);
	MTEST_ASSERT_EQ(ev.set_netdev_up(0, 1, 1), 0);
	MTEST_ASSERT_EQ(ibv_query_port(ctx, 2, &pa), 0);
	MTEST_ASSERT_EQ(pa.state, IBV_PORT_ACTIVE);
	MTEST_ASSERT_EQ(ibv_close_device(ctx), 0);
	return MTEST_SUCCESS;
}

static int
test_allocator_sizes(void)
{
	struct ibv_parent_domain_init_attr pda = {
		.comp_mask = IBV_PARENT_DOMAIN_INIT_ATTR_PD_CONTEXT,
		.pd_context = (void *)1,
	};
	struct ibv_qp_init_attr qa = {
		.qp_type = IBV_QPT_RAW_PACKET,
		.cap = { .max_send_wr = 200, .max_send_sge = 4 },
	};
	struct ibv_wq_init_attr wa = {
		.wq_type = IBV_WQT_RQ, .max_wr = 100, .max_sge = 2,
	};
	struct ibv_context *ctx;
	struct ibv_cq *cq1, *cq2, *cq3;
	struct ibv_pd *pd, *pdom;
	struct ibv_qp *qp;
	struct ibv_wq *wq;
	struct manadv_qp dqp;
	struct manadv_cq dcq;
	struct manadv_rwq dwq;
	struct manadv_obj obj;
	unsigned int base;

	MTEST_ASSERT_EQ(ev.init(E2E_OPTS), 0);
	ctx = ev_open(0);
	MTEST_ASSERT(ctx != NULL, "errno %d", errno);
	memset(&ev_log, 0, sizeof(ev_log));
	MTEST_ASSERT_EQ(ev_set_allocator(ctx), 0);
	pd = ibv_alloc_pd(ctx);
	pda.pd = pd;
	pdom = ibv_alloc_parent_domain(ctx, &pda);
	MTEST_ASSERT(pd != NULL && pdom != NULL, "errno %d", errno);
	base = ev_log.n_alloc;

	/* CQ: roundup_pow2(cqe * 64), at least 4096 */
	cq1 = ibv_create_cq(ctx, 100, NULL, NULL, 0);
	cq2 = ibv_create_cq(ctx, 32, NULL, NULL, 0);
	cq3 = ibv_create_cq(ctx, 256, NULL, NULL, 0);
	MTEST_ASSERT(cq1 && cq2 && cq3, "errno %d", errno);
	MTEST_ASSERT_EQ(ev_log.size[base + 0], 8192);
	MTEST_ASSERT_EQ(ev_log.size[base + 1], 4096);
	MTEST_ASSERT_EQ(ev_log.size[base + 2], 16384);
	MTEST_ASSERT_EQ(cq1->cqe, 100);

	/* SQ: align_hw_size(200 * ALIGN(16 * 4 + 16, 32)) = pow2(19200) */
	qa.send_cq = qa.recv_cq = cq1;
	qp = ibv_create_qp(pdom, &qa);
	MTEST_ASSERT(qp != NULL, "errno %d", errno);
	MTEST_ASSERT_EQ(ev_log.size[base + 3], 32768);

	/* RQ: align_hw_size(100 * ALIGN(16 * 2 + 16, 32)) = pow2(6400) */
	wa.pd = pdom;
	wa.cq = cq2;
	wq = ibv_create_wq(ctx, &wa);
	MTEST_ASSERT(wq != NULL, "errno %d", errno);
	MTEST_ASSERT_EQ(ev_log.size[base + 4], 8192);
	MTEST_ASSERT_EQ(ev_log.n_alloc, base + 5);

	memset(&obj, 0, sizeof(obj));
	obj.qp.in = qp;
	obj.qp.out = &dqp;
	obj.cq.in = cq1;
	obj.cq.out = &dcq;
	obj.rwq.in = wq;
	obj.rwq.out = &dwq;
	MTEST_ASSERT_EQ(manadv_init_obj(&obj, MANADV_OBJ_QP | MANADV_OBJ_CQ |
					MANADV_OBJ_RWQ), 0);
	MTEST_ASSERT(dqp.sq_buf == ev_log.ptr[base + 3], "sq_buf");
	MTEST_ASSERT_EQ(dqp.sq_size, 32768);
	MTEST_ASSERT_EQ(dqp.sq_count, 200);
	MTEST_ASSERT(dqp.sq_id != 0, "sq_id assigned at QP creation");
	MTEST_ASSERT(dcq.buf == ev_log.ptr[base + 0], "cq buf");
	MTEST_ASSERT_EQ(dcq.count, 100);
	MTEST_ASSERT(dcq.cq_id != 0, "cq_id of the raw QP's CQ");
	MTEST_ASSERT(dwq.buf == ev_log.ptr[base + 4], "rq buf");
	MTEST_ASSERT_EQ(dwq.size, 8192);
	MTEST_ASSERT_EQ(dwq.count, 100);
	/* one doorbell page per ucontext, for every queue (spec §6.6) */
	MTEST_ASSERT(dqp.db_page != NULL && dqp.db_page == dwq.db_page,
		     "the QP and the WQ of one context ring different pages");

	/* destroy frees through the allocator, with the same pointers */
	MTEST_ASSERT_EQ(ibv_destroy_qp(qp), 0);
	MTEST_ASSERT_EQ(ev_log.n_free, 1);
	MTEST_ASSERT(ev_log.freed[0] == ev_log.ptr[base + 3], "freed SQ");
	MTEST_ASSERT_EQ(ibv_destroy_wq(wq), 0);
	MTEST_ASSERT(ev_log.freed[1] == ev_log.ptr[base + 4], "freed RQ");
	MTEST_ASSERT_EQ(ibv_destroy_cq(cq1), 0);
	MTEST_ASSERT_EQ(ibv_destroy_cq(cq2), 0);
	MTEST_ASSERT_EQ(ibv_destroy_cq(cq3), 0);
	MTEST_ASSERT_EQ(ev_log.n_free, 5);
	MTEST_ASSERT_EQ(ibv_dealloc_pd(pdom), 0);
	MTEST_ASSERT_EQ(ibv_dealloc_pd(pd), 0);
	MTEST_ASSERT_EQ(ibv_close_device(ctx), 0);
	return MTEST_SUCCESS;
}

static int
test_ids_assigned_at_rss_qp(void)
{
	struct ibv_context *ctx;
	struct ev_port p;
	struct manadv_rwq dwq;
	struct manadv_cq dcq;
	struct manadv_obj obj;
	struct ibv_rwq_ind_table_init_attr ia = { .log_ind_tbl_size = 0 };
	struct ibv_qp_init_attr_ex rqa = {
		.qp_type = IBV_QPT_RAW_PACKET,
		.comp_mask = IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_RX_HASH |
			     IBV_QP_INIT_ATTR_IND_TABLE,
		.rx_hash_conf = {
			.rx_hash_function = IBV_RX_HASH_FUNC_TOEPLITZ,
			.rx_hash_key_len = 40, .rx_hash_key = ev_rss_key,
		},
	};
	struct ibv_wq_init_attr wa = {
		.wq_type = IBV_WQT_RQ, .max_wr = 64, .max_sge = 1,
	};
	struct ibv_cq *cq;
	struct ibv_wq *wq;
	struct ibv_rwq_ind_table *ind;
	struct ibv_qp *rss;

	MTEST_ASSERT_EQ(ev.init(E2E_OPTS), 0);
	ctx = ev_open(0);
	MTEST_ASSERT(ctx != NULL, "errno %d", errno);
	/* a full set on port 2 gives the TX QP the RSS QP needs on port 2 */
	MTEST_ASSERT_EQ(ev_port_setup(&p, ctx, 2, 64, false), 0);
	MTEST_ASSERT(p.dqp.sq_id != 0 && p.dtx.cq_id != 0 &&
		     p.drwq.wq_id != 0 && p.drx.cq_id != 0, "ids");
	MTEST_ASSERT(p.dqp.sq_id != p.drwq.wq_id && p.dtx.cq_id != p.drx.cq_id,
		     "distinct ids");
	MTEST_ASSERT(p.dqp.sq_id <= 0xffffff && p.drwq.wq_id <= 0xffffff,
		     "24-bit ids");
	MTEST_ASSERT_EQ(p.dqp.tx_vp_offset, 1);	/* vPort index of port 2 */
	/* tear the RSS QP down and build another one by hand */
	MTEST_ASSERT_EQ(ibv_destroy_qp(p.rss), 0);
	p.rss = NULL;
	cq = ibv_create_cq(ctx, 64, NULL, NULL, 0);
	wa.pd = p.pdom;
	wa.cq = cq;
	wq = ibv_create_wq(ctx, &wa);
	MTEST_ASSERT(cq != NULL && wq != NULL, "errno %d", errno);
	memset(&obj, 0, sizeof(obj));
	obj.cq.in = cq;
	obj.cq.out = &dcq;
	obj.rwq.in = wq;
	obj.rwq.out = &dwq;
	MTEST_ASSERT_EQ(manadv_init_obj(&obj, MANADV_OBJ_CQ | MANADV_OBJ_RWQ), 0);
	MTEST_ASSERT_EQ(dcq.cq_id, 0);	/* v44: 0 before the RSS QP */
	MTEST_ASSERT_EQ(dwq.wq_id, 0);
	MTEST_ASSERT(dwq.db_page != NULL, "db_page known at WQ creation");
	ia.ind_tbl = &wq;
	ind = ibv_create_rwq_ind_table(ctx, &ia);
	rqa.pd = p.pdom;
	rqa.rwq_ind_tbl = ind;
	rss = ibv_create_qp_ex(ctx, &rqa);
	MTEST_ASSERT(ind != NULL && rss != NULL, "errno %d", errno);
	MTEST_ASSERT_EQ(manadv_init_obj(&obj, MANADV_OBJ_CQ | MANADV_OBJ_RWQ), 0);
	MTEST_ASSERT(dcq.cq_id != 0 && dwq.wq_id != 0, "ids after RSS QP");
	MTEST_ASSERT(dwq.wq_id != p.drwq.wq_id, "ids are not reused");
	MTEST_ASSERT_EQ(ibv_destroy_wq(wq), EBUSY);	/* in use by the QP */
	MTEST_ASSERT_EQ(ibv_destroy_cq(cq), EBUSY);
	MTEST_ASSERT_EQ(ibv_destroy_rwq_ind_table(ind), EBUSY);
	MTEST_ASSERT_EQ(ibv_destroy_qp(rss), 0);
	MTEST_ASSERT_EQ(ibv_destroy_rwq_ind_table(ind), 0);
	MTEST_ASSERT_EQ(ibv_destroy_wq(wq), 0);
	MTEST_ASSERT_EQ(ibv_destroy_cq(cq), 0);
	MTEST_ASSERT_EQ(ev_port_teardown(&p), 0);
	MTEST_ASSERT_EQ(ibv_close_device(ctx), 0);
	return MTEST_SUCCESS;
}

static int
test_loopback_frames(void)
{
	static const uint32_t lens[] = { 60, 61, 1514, 128 };
	uint8_t frame[2048], mac[6];
	struct ibv_context *ctx;
	struct gdma_cqe cqe;
	struct ev_port p;
	unsigned int i, got = 0, rx_idx = 0, tx_done = 0, guard;
	uint64_t v;

	MTEST_ASSERT_EQ(ev.init(E2E_OPTS), 0);
	ctx = ev_open(0);
	MTEST_ASSERT(ctx != NULL, "errno %d", errno);
	MTEST_ASSERT_EQ(ev_port_setup(&p, ctx, 1, 64, false), 0);
	MTEST_ASSERT_EQ(ev.mac(0, 0, mac), 0);
	ev_post_rx(&p, 16);
	for (i = 0; i < MTEST_N(lens); i++) {
		ev_frame(frame, lens[i], mac, mac, (uint8_t)i);
		ev_send(&p, frame, lens[i]);
	}
	for (guard = 0; guard < 100 && (got < MTEST_N(lens) ||
					 tx_done < MTEST_N(lens)); guard++) {
		ev.step();
		while (ev_poll(&p.dtx, &p.tx_cq_head, &cqe) == 1) {
			MTEST_ASSERT_EQ(MANA_GET(cqe.cqe_data, MANA_CQE_HDR_CQE_TYPE),
					CQE_TX_OKAY);
			MTEST_ASSERT_EQ(MANA_GET(cqe.cqe_data,
						 MANA_CQE_HDR_CLIENT_TYPE), 1);
			MTEST_ASSERT_EQ(cqe.cqe_info & 0xffffff, p.dqp.sq_id);
			MTEST_ASSERT_EQ((cqe.cqe_info >> 24) & 1, 1);
			tx_done++;
		}
		while (ev_poll(&p.drx, &p.rx_cq_head, &cqe) == 1) {
			const struct mana_rxcomp_oob *oob =
				(const void *)cqe.cqe_data;
			uint32_t type = MANA_GET(cqe.cqe_data,
						 MANA_CQE_HDR_CQE_TYPE);
			unsigned int k;

			MTEST_ASSERT(type == CQE_RX_OKAY ||
				     type == CQE_RX_COALESCED_4, "type %u", type);
			MTEST_ASSERT_EQ(cqe.cqe_info & 0xffffff, p.drwq.wq_id);
			MTEST_ASSERT_EQ((cqe.cqe_info >> 24) & 1, 0);
			for (k = 0; k < 4; k++) {
				uint32_t len = oob->ppi[k].pkt_len_dw & 0xffff;

				if (len == 0)
					break;
				MTEST_ASSERT(got < MTEST_N(lens), "extra frame");
				MTEST_ASSERT_EQ(len, lens[got]);
				ev_frame(frame, lens[got], mac, mac,
					 (uint8_t)got);
				MTEST_ASSERT_MEM_EQ(p.mem + rx_idx * EV_BUF_SIZE,
						    frame, len);
				got++;
				rx_idx++;
				if (type == CQE_RX_OKAY)
					break;
			}
		}
	}
	MTEST_ASSERT_EQ(tx_done, MTEST_N(lens));
	MTEST_ASSERT_EQ(got, MTEST_N(lens));
	MTEST_ASSERT_EQ(ev.counter(0, "port0.tx_frames", &v), 0);
	MTEST_ASSERT_EQ(v, MTEST_N(lens));
	MTEST_ASSERT_EQ(ev.counter(0, "port0.rx_frames", &v), 0);
	MTEST_ASSERT_EQ(v, MTEST_N(lens));
	MTEST_ASSERT_EQ(ev.counter(0, "port1.rx_frames", &v), 0);
	MTEST_ASSERT_EQ(v, 0);
	MTEST_ASSERT_EQ(expect_violations_zero(), 0);
	MTEST_ASSERT_EQ(ev_port_teardown(&p), 0);
	MTEST_ASSERT_EQ(ibv_close_device(ctx), 0);
	return MTEST_SUCCESS;
}

static int
test_comp_channel_event(void)
{
	uint8_t frame[128], mac[6];
	struct ibv_context *ctx;
	struct ibv_cq *ev_cq = NULL;
	void *ev_ctx = NULL;
	struct pollfd pfd;
	struct gdma_cqe cqe;
	struct ev_port p;
	unsigned int i;

	MTEST_ASSERT_EQ(ev.init(E2E_OPTS), 0);
	ctx = ev_open(0);
	MTEST_ASSERT(ctx != NULL, "errno %d", errno);
	MTEST_ASSERT_EQ(ev_port_setup(&p, ctx, 1, 64, true), 0);
	MTEST_ASSERT_EQ(ev.mac(0, 0, mac), 0);
	ev_post_rx(&p, 8);
	/* arm: the next CQE raises one event on the channel */
	gdma_ring_doorbell(p.drwq.db_page, 0x800,
			   gdma_db_cq_value(p.drx.cq_id, p.rx_cq_head,
					    p.drx.count, 1));
	ev.step();
	pfd.fd = p.chan->fd;
	pfd.events = POLLIN;
	MTEST_ASSERT_EQ(poll(&pfd, 1, 0), 0);	/* nothing yet */
	ev_frame(frame, sizeof(frame), mac, mac, 9);
	MTEST_ASSERT_EQ(ev.inject_rx(0, 0, frame, sizeof(frame)), 0);
	for (i = 0; i < 10; i++)
		ev.step();
	MTEST_ASSERT_EQ(poll(&pfd, 1, 0), 1);
	MTEST_ASSERT_EQ(ibv_get_cq_event(p.chan, &ev_cq, &ev_ctx), 0);
	MTEST_ASSERT(ev_cq == p.rx_cq, "event for another CQ");
	MTEST_ASSERT(ev_ctx == &p, "cq_context");
	ibv_ack_cq_events(ev_cq, 1);
	MTEST_ASSERT_EQ(ev_cq->comp_events_completed, 1);
	MTEST_ASSERT_EQ(ev_poll(&p.drx, &p.rx_cq_head, &cqe), 1);
	MTEST_ASSERT_EQ(oob_len_of(&cqe), sizeof(frame));
	/* one event per arm: a second frame raises none */
	MTEST_ASSERT_EQ(ev.inject_rx(0, 0, frame, sizeof(frame)), 0);
	for (i = 0; i < 10; i++)
		ev.step();
	MTEST_ASSERT_EQ(poll(&pfd, 1, 0), 0);
	MTEST_ASSERT_EQ(ibv_destroy_comp_channel(p.chan), EBUSY);
	MTEST_ASSERT_EQ(ev_port_teardown(&p), 0);
	MTEST_ASSERT_EQ(ibv_close_device(ctx), 0);
	return MTEST_SUCCESS;
}

/* TX of one frame, returns the TX CQE type (or -1 if none came). */
static int
send_one(struct ev_port *p, const uint8_t *frame, uint32_t len)
{
	struct gdma_cqe cqe;
	unsigned int i;

	ev_send(p, frame, len);
	for (i = 0; i < 20; i++) {
		ev.step();
		if (ev_poll(&p->dtx, &p->tx_cq_head, &cqe) == 1)
			return (int)MANA_GET(cqe.cqe_data, MANA_CQE_HDR_CQE_TYPE);
	}
	return -1;
}

static int
test_mtu_write_picked_up(void)
{
	char path[PATH_MAX];
	uint8_t frame[1600], mac[6];
	struct ibv_port_attr pa;
	struct ibv_context *ctx;
	struct gdma_cqe cqe;
	struct ev_port p;
	unsigned int i;
	FILE *f;
	int got = 0;

	MTEST_ASSERT_EQ(ev.init(E2E_OPTS), 0);
	ctx = ev_open(0);
	MTEST_ASSERT(ctx != NULL, "errno %d", errno);
	MTEST_ASSERT_EQ(ev_port_setup(&p, ctx, 1, 64, false), 0);
	MTEST_ASSERT_EQ(ev.mac(0, 0, mac), 0);
	ev_post_rx(&p, 8);
	ev_frame(frame, sizeof(frame), mac, mac, 5);
	/* 1600 bytes > MTU 1500 + 14: the device drops it */
	MTEST_ASSERT_EQ(send_one(&p, frame, sizeof(frame)), CQE_TX_MTU_DROP);

	/* the driver sets the MTU through the netdev's sysfs file */
	snprintf(path, sizeof(path), "%s/device/net/enP30832s0/mtu",
		 ctx->device->ibdev_path);
	f = fopen(path, "w");
	MTEST_ASSERT(f != NULL, "%s: %s", path, strerror(errno));
	fputs("9000\n", f);
	MTEST_ASSERT_EQ(fclose(f), 0);
	MTEST_ASSERT_EQ(ibv_query_port(ctx, 1, &pa), 0);
	MTEST_ASSERT_EQ(pa.active_mtu, IBV_MTU_4096);
	MTEST_ASSERT_EQ(send_one(&p, frame, sizeof(frame)), CQE_TX_OKAY);
	for (i = 0; i < 20 && !got; i++) {
		ev.step();
		got = ev_poll(&p.drx, &p.rx_cq_head, &cqe);
	}
	MTEST_ASSERT_EQ(got, 1);
	MTEST_ASSERT_EQ(oob_len_of(&cqe), sizeof(frame));
	MTEST_ASSERT_MEM_EQ(p.mem, frame, sizeof(frame));
	MTEST_ASSERT_EQ(ev_port_teardown(&p), 0);
	MTEST_ASSERT_EQ(ibv_close_device(ctx), 0);
	return MTEST_SUCCESS;
}

static uint16_t
ip_csum(const uint8_t *h, unsigned int n)
{
	uint32_t sum = 0;
	unsigned int i;

	for (i = 0; i < n; i += 2)
		sum += (uint32_t)h[i] << 8 | h[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Ethernet + IPv4 + UDP, 80 bytes, addresses and ports as given. */
static void
udp_frame(uint8_t *f, const uint8_t mac[6], const uint8_t src[4],
	  const uint8_t dst[4], uint16_t sport, uint16_t dport)
{
	uint16_t c;

	memset(f, 0, 80);
	memcpy(f, mac, 6);
	f[6] = 0x02;	/* locally administered sender */
	f[11] = 0x01;
	f[12] = 0x08;
	f[13] = 0x00;
	f[14] = 0x45;
	f[16] = 0;
	f[17] = 66;	/* IP total length 80 - 14 */
	f[22] = 64;
	f[23] = 17;	/* UDP */
	memcpy(f + 26, src, 4);
	memcpy(f + 30, dst, 4);
	c = ip_csum(f + 14, 20);
	f[24] = (uint8_t)(c >> 8);
	f[25] = (uint8_t)c;
	f[34] = (uint8_t)(sport >> 8);
	f[35] = (uint8_t)sport;
	f[36] = (uint8_t)(dport >> 8);
	f[37] = (uint8_t)dport;
	f[39] = 46;	/* UDP length; checksum 0 = none */
}

static int
test_rss_table_replicated(void)
{
	/* spec §10.2 vectors: Toeplitz with the Microsoft key, with ports */
	static const struct {
		uint8_t src[4], dst[4];
		uint16_t sport, dport;
		uint32_t hash;
	} flows[] = {
		{ {66, 9, 149, 187}, {161, 142, 100, 80}, 2794, 1766, 0x51ccc178 },
		{ {199, 92, 111, 2}, {65, 69, 140, 83}, 14230, 4739, 0xc626b0ea },
		{ {24, 19, 198, 95}, {12, 22, 207, 184}, 12898, 38024, 0x5c2b394a },
		{ {38, 27, 205, 30}, {209, 142, 163, 6}, 48228, 2217, 0xafc7327f },
		{ {153, 39, 163, 191}, {202, 188, 127, 2}, 44251, 1303, 0x10e828a2 },
	};
	struct ibv_qp_init_attr_ex rqa = {
		.qp_type = IBV_QPT_RAW_PACKET,
		.comp_mask = IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_RX_HASH |
			     IBV_QP_INIT_ATTR_IND_TABLE,
		.rx_hash_conf = {
			.rx_hash_function = IBV_RX_HASH_FUNC_TOEPLITZ,
			.rx_hash_key_len = 40, .rx_hash_key = ev_rss_key,
		},
	};
	struct ibv_rwq_ind_table_init_attr ia = { .log_ind_tbl_size = 2 };
	struct ibv_wq_init_attr wa = {
		.wq_type = IBV_WQT_RQ, .max_wr = 64, .max_sge = 1,
	};
	struct ibv_cq *cqs[4];
	struct ibv_wq *wqs[4];
	struct manadv_cq dcq[4];
	struct manadv_rwq dwq[4];
	uint32_t head[4], rqh[4] = { 0 };
	struct ibv_rwq_ind_table *ind;
	struct ibv_context *ctx;
	struct ibv_qp *rss;
	struct ev_port p;
	uint8_t frame[80], mac[6];
	unsigned int i, q, k;

	MTEST_ASSERT_EQ(ev.init("mode=step,ports=1,wire=loopback,ctl=off,coalescing=off"), 0);
	ctx = ev_open(0);
	MTEST_ASSERT(ctx != NULL, "errno %d", errno);
	MTEST_ASSERT_EQ(ev_port_setup(&p, ctx, 1, 64, false), 0);
	MTEST_ASSERT_EQ(ibv_destroy_qp(p.rss), 0);
	p.rss = NULL;
	MTEST_ASSERT_EQ(ev.mac(0, 0, mac), 0);
	for (q = 0; q < 4; q++) {
		cqs[q] = ibv_create_cq(ctx, 64, NULL, NULL, 0);
		wa.pd = p.pdom;
		wa.cq = cqs[q];
		wqs[q] = ibv_create_wq(ctx, &wa);
		MTEST_ASSERT(cqs[q] && wqs[q], "errno %d", errno);
	}
	ia.ind_tbl = wqs;
	ind = ibv_create_rwq_ind_table(ctx, &ia);
	rqa.pd = p.pdom;
	rqa.rwq_ind_tbl = ind;
	rss = ibv_create_qp_ex(ctx, &rqa);
	MTEST_ASSERT(ind != NULL && rss != NULL, "errno %d", errno);
	for (q = 0; q < 4; q++) {
		struct manadv_obj obj;
		struct gdma_wqe hdr = {
			.dw = { 0, gdma_wqe_hdr_dw1(1, 8, 0, false) },
		};

		memset(&obj, 0, sizeof(obj));
		obj.cq.in = cqs[q];
		obj.cq.out = &dcq[q];
		obj.rwq.in = wqs[q];
		obj.rwq.out = &dwq[q];
		MTEST_ASSERT_EQ(manadv_init_obj(&obj, MANADV_OBJ_CQ |
						MANADV_OBJ_RWQ), 0);
		head[q] = dcq[q].count;
		for (k = 0; k < 4; k++) {
			struct gdma_sge sge = {
				.address = (uintptr_t)(p.mem + (q * 4 + k) * EV_BUF_SIZE),
				.mem_key = p.mr->lkey, .size = EV_BUF_SIZE,
			};

			rqh[q] += gdma_wq_write_wqe(dwq[q].buf, dwq[q].size - 1,
						    rqh[q], &hdr, NULL, 8, &sge, 1);
		}
		gdma_ring_doorbell(dwq[q].db_page, 0x400,
				   gdma_db_rq_value(dwq[q].wq_id, rqh[q] * 32));
	}
	/* each flow lands on WQ[hash & 63 mod 4]: the 4-entry table was
	 * replicated over the device's 64 entries
	 */
	for (i = 0; i < MTEST_N(flows); i++) {
		uint32_t want = (flows[i].hash & 63) % 4;
		struct gdma_cqe cqe;
		const struct mana_rxcomp_oob *oob = (const void *)cqe.cqe_data;
		int hit = -1;

		udp_frame(frame, mac, flows[i].src, flows[i].dst,
			  flows[i].sport, flows[i].dport);
		MTEST_ASSERT_EQ(ev.inject_rx(0, 0, frame, sizeof(frame)), 0);
		ev.step();
		for (q = 0; q < 4; q++) {
			if (ev_poll(&dcq[q], &head[q], &cqe) != 1)
				continue;
			MTEST_ASSERT(hit < 0, "flow %u on two queues", i);
			hit = (int)q;
			MTEST_ASSERT_EQ(oob->ppi[0].pkt_hash, flows[i].hash);
			MTEST_ASSERT_EQ(MANA_GET(cqe.cqe_data,
						 MANA_RXCOMP_RX_HASHTYPE),
					NDIS_HASH_UDP_IPV4);
		}
		MTEST_ASSERT(hit == (int)want, "flow %u hash %#x on queue %d, want %u",
			     i, flows[i].hash, hit, want);
	}
	/* a frame without a hash goes to the default object: the last WQ */
	ev_frame(frame, 64, mac, mac, 1);
	MTEST_ASSERT_EQ(ev.inject_rx(0, 0, frame, 64), 0);
	ev.step();
	{
		struct gdma_cqe cqe;

		for (q = 0; q < 3; q++)
			MTEST_ASSERT_EQ(ev_poll(&dcq[q], &head[q], &cqe), 0);
		MTEST_ASSERT_EQ(ev_poll(&dcq[3], &head[3], &cqe), 1);
	}
	MTEST_ASSERT_EQ(expect_violations_zero(), 0);
	MTEST_ASSERT_EQ(ibv_destroy_qp(rss), 0);
	MTEST_ASSERT_EQ(ibv_destroy_rwq_ind_table(ind), 0);
	for (q = 0; q < 4; q++) {
		MTEST_ASSERT_EQ(ibv_destroy_wq(wqs[q]), 0);
		MTEST_ASSERT_EQ(ibv_destroy_cq(cqs[q]), 0);
	}
	MTEST_ASSERT_EQ(ev_port_teardown(&p), 0);
	MTEST_ASSERT_EQ(ibv_close_device(ctx), 0);
	return MTEST_SUCCESS;
}

static int
test_capture_and_tx_error(void)
{
	uint8_t frame[200], got[256], mac[6];
	struct ibv_context *ctx;
	struct ev_port p;
	ssize_t n;

	MTEST_ASSERT_EQ(ev.init("mode=step,ports=2,wire=none,ctl=off"), 0);
	ctx = ev_open(0);
	MTEST_ASSERT(ctx != NULL, "errno %d", errno);
	MTEST_ASSERT_EQ(ev_port_setup(&p, ctx, 2, 64, false), 0);
	MTEST_ASSERT_EQ(ev.mac(0, 1, mac), 0);
	MTEST_ASSERT_EQ(ev.capture_enable(0, 1, 16), 0);
	MTEST_ASSERT_EQ(ev.capture_read(0, 1, got, sizeof(got)), -EAGAIN);
	ev_frame(frame, sizeof(frame), mac, mac, 77);
	MTEST_ASSERT_EQ(send_one(&p, frame, sizeof(frame)), CQE_TX_OKAY);
	n = ev.capture_read(0, 1, got, sizeof(got));
	MTEST_ASSERT_EQ(n, sizeof(frame));
	MTEST_ASSERT_MEM_EQ(got, frame, sizeof(frame));
	MTEST_ASSERT_EQ(ev.capture_read(0, 0, got, sizeof(got)), -EAGAIN);

	/* the next 2 completions of vPort 1 carry CQE_TX_SA_DROP */
	MTEST_ASSERT_EQ(ev.inject_tx_error(0, 0, 1, CQE_TX_SA_DROP), -ENOENT);
	MTEST_ASSERT_EQ(ev.inject_tx_error(0, 1, 2, CQE_TX_SA_DROP), 0);
	MTEST_ASSERT_EQ(send_one(&p, frame, sizeof(frame)), CQE_TX_SA_DROP);
	MTEST_ASSERT_EQ(send_one(&p, frame, sizeof(frame)), CQE_TX_SA_DROP);
	MTEST_ASSERT_EQ(send_one(&p, frame, sizeof(frame)), CQE_TX_OKAY);
	MTEST_ASSERT_EQ(ev_port_teardown(&p), 0);
	MTEST_ASSERT_EQ(ibv_close_device(ctx), 0);
	return MTEST_SUCCESS;
}

static int
test_two_functions_paired(void)
{
	struct ibv_context *c0, *c1;
	struct ibv_device **list;
	struct ev_port p0, p1;
	struct gdma_cqe cqe;
	uint8_t frame[300], mac0[6], mac1[6];
	unsigned int i;
	int n = 0, got = 0;

	/* two PCI functions, vPort 0 of each wired to the other */
	MTEST_ASSERT_EQ(ev.init("mode=step,ctl=off,pci=7870:00:00.0,"
				"pci=7870:00:01.0,wire0=pair:1.0"), 0);
	list = ibv_get_device_list(&n);
	MTEST_ASSERT(list != NULL && n == 2, "%d devices", n);
	/* libibverbs keeps its own order: find both names */
	MTEST_ASSERT((!strcmp(list[0]->name, "manae_0") && !strcmp(list[1]->name, "manae_1")) ||
		     (!strcmp(list[0]->name, "manae_1") && !strcmp(list[1]->name, "manae_0")),
		     "%s %s", list[0]->name, list[1]->name);
	ibv_free_device_list(list);
	MTEST_ASSERT(!strcmp(ev.pci_addr(1), "7870:00:01.0"), "%s", ev.pci_addr(1));
	MTEST_ASSERT_EQ(ev.mac(0, 0, mac0), 0);
	MTEST_ASSERT_EQ(ev.mac(1, 0, mac1), 0);
	MTEST_ASSERT(memcmp(mac0, mac1, 6) != 0, "same MAC on both functions");
	c0 = ev_open(0);
	c1 = ev_open(1);
	MTEST_ASSERT(c0 != NULL && c1 != NULL, "errno %d", errno);
	MTEST_ASSERT_EQ(ev_port_setup(&p0, c0, 1, 64, false), 0);
	MTEST_ASSERT_EQ(ev_port_setup(&p1, c1, 1, 64, false), 0);
	ev_post_rx(&p0, 4);
	ev_post_rx(&p1, 4);
	ev_frame(frame, sizeof(frame), mac1, mac0, 42);
	MTEST_ASSERT_EQ(send_one(&p0, frame, sizeof(frame)), CQE_TX_OKAY);
	for (i = 0; i < 20 && !got; i++) {
		ev.step();
		got = ev_poll(&p1.drx, &p1.rx_cq_head, &cqe);
	}
	MTEST_ASSERT_EQ(got, 1);
	MTEST_ASSERT_EQ(oob_len_of(&cqe), sizeof(frame));
	MTEST_ASSERT_MEM_EQ(p1.mem, frame, sizeof(frame));
	MTEST_ASSERT_EQ(ev_poll(&p0.drx, &p0.rx_cq_head, &cqe), 0);
	MTEST_ASSERT_EQ(ev_port_teardown(&p0), 0);
	MTEST_ASSERT_EQ(ev_port_teardown(&p1), 0);
	MTEST_ASSERT_EQ(ibv_close_device(c0), 0);
	MTEST_ASSERT_EQ(ibv_close_device(c1), 0);
	return MTEST_SUCCESS;
}

static int
test_thread_mode_loopback(void)
{
	uint8_t frame[500], mac[6];
	struct ibv_context *ctx;
	struct gdma_cqe cqe;
	struct ev_port p;
	unsigned int i;
	int got = 0, sent = 0;

	/* the device thread runs the queues: nobody steps */
	MTEST_ASSERT_EQ(ev.init("mode=thread,ports=1,wire=loopback,ctl=off"), 0);
	ctx = ev_open(0);
	MTEST_ASSERT(ctx != NULL, "errno %d", errno);
	MTEST_ASSERT_EQ(ev_port_setup(&p, ctx, 1, 64, false), 0);
	MTEST_ASSERT_EQ(ev.mac(0, 0, mac), 0);
	ev_post_rx(&p, 4);
	ev_frame(frame, sizeof(frame), mac, mac, 11);
	ev_send(&p, frame, sizeof(frame));
	for (i = 0; i < 10000 && (!got || !sent); i++) {
		if (!got)
			got = ev_poll(&p.drx, &p.rx_cq_head, &cqe);
		if (!sent)
			sent = ev_poll(&p.dtx, &p.tx_cq_head, &cqe);
		usleep(1000);
	}
	MTEST_ASSERT(got == 1 && sent == 1, "rx %d tx %d after 10 s", got, sent);
	MTEST_ASSERT_MEM_EQ(p.mem, frame, sizeof(frame));
	MTEST_ASSERT_EQ(expect_violations_zero(), 0);
	MTEST_ASSERT_EQ(ev_port_teardown(&p), 0);
	MTEST_ASSERT_EQ(ibv_close_device(ctx), 0);
	return MTEST_SUCCESS;
}

static const struct mtest_case cases[] = {
	{ "preload_binding", test_preload_binding },
	{ "device_list_and_tree", test_device_list_and_tree },
	{ "query_device_and_port", test_query_device_and_port },
	{ "allocator_sizes", test_allocator_sizes },
	{ "ids_assigned_at_rss_qp", test_ids_assigned_at_rss_qp },
	{ "loopback_frames", test_loopback_frames },
	{ "comp_channel_event", test_comp_channel_event },
	{ "mtu_write_picked_up", test_mtu_write_picked_up },
	{ "rss_table_replicated", test_rss_table_replicated },
	{ "capture_and_tx_error", test_capture_and_tx_error },
	{ "two_functions_paired", test_two_functions_paired },
	{ "thread_mode_loopback", test_thread_mode_loopback },
};

int
main(int argc, char **argv)
{
	int ret;

	if (ev_load_api() != 0)
		return 1;
	ret = mtest_run("emu-verbs-e2e", cases, MTEST_N(cases), argc, argv);
	ev.fini();
	return ret;
}
