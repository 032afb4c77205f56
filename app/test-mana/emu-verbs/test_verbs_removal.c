/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Device removal, service reset and re-add as a verbs user sees them
 * (spec §9.2): DEVICE_FATAL on the async fd, EIO, destroy EIO versus
 * RDMAV_ALLOW_DISASSOC_DESTROY, the device list and the PCI tree.
 */

#include <limits.h>
#include <sys/stat.h>
#include <time.h>

#include "ev_common.h"

#define RM_OPTS "mode=step,ports=1,wire=loopback,ctl=off"

/* <pci tree>/<pci>[/<file>] exists */
static bool
path_exists(const char *tree, const char *pci, const char *file)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s%s%s", tree, pci,
		 file != NULL ? "/" : "", file != NULL ? file : "");
	return stat(path, &st) == 0;
}

/* libibverbs reads RDMAV_ALLOW_DISASSOC_DESTROY once, at its start */
static bool allow_disassoc;
/* kernel index (netlink) of the device n_devices() saw first */
static int last_index = -1;

static int
n_devices(char *name, size_t len)
{
	struct ibv_device **list;
	int n = -1;

	list = ibv_get_device_list(&n);
	if (list == NULL)
		return -1;
	if (name != NULL && n > 0)
		snprintf(name, len, "%s", ibv_get_device_name(list[0]));
	if (n > 0)
		last_index = ibv_get_device_index(list[0]);
	ibv_free_device_list(list);
	return n;
}

static uint64_t
counter(const char *name)
{
	uint64_t v = 0;

	ev.counter(0, name, &v);
	return v;
}

static int
expect_fatal(struct ibv_context *ctx)
{
	struct ibv_async_event e;
	struct pollfd pfd = { .fd = ctx->async_fd, .events = POLLIN };

	MTEST_ASSERT_EQ(poll(&pfd, 1, 1000), 1);
	MTEST_ASSERT_EQ(ibv_get_async_event(ctx, &e), 0);
	MTEST_ASSERT_EQ(e.event_type, IBV_EVENT_DEVICE_FATAL);
	ibv_ack_async_event(&e);
	return MTEST_SUCCESS;
}

/* A frame sent on the loopback wire comes back: the device works. */
static int
expect_loopback(struct ev_port *p)
{
	uint8_t frame[100], mac[6];
	struct gdma_cqe cqe;
	unsigned int i;
	int got = 0, sent = 0;

	MTEST_ASSERT_EQ(ev.mac(0, 0, mac), 0);
	ev_post_rx(p, 4);
	ev_frame(frame, sizeof(frame), mac, mac, 3);
	ev_send(p, frame, sizeof(frame));
	for (i = 0; i < 20 && (!got || !sent); i++) {
		ev.step();
		if (!got)
			got = ev_poll(&p->drx, &p->rx_cq_head, &cqe);
		if (!sent)
			sent = ev_poll(&p->dtx, &p->tx_cq_head, &cqe);
	}
	MTEST_ASSERT_EQ(got, 1);
	MTEST_ASSERT_EQ(sent, 1);
	MTEST_ASSERT_MEM_EQ(p->mem, frame, sizeof(frame));
	return MTEST_SUCCESS;
}

static int
test_remove_fatal_and_eio(void)
{
	struct ibv_context *ctx, *ctx2;
	struct ibv_port_attr pa;
	struct ibv_device_attr da;
	struct gdma_cqe cqe;
	struct ev_port p;
	char pci[64];
	unsigned int frees, i;

	MTEST_ASSERT_EQ(ev.init(RM_OPTS), 0);
	snprintf(pci, sizeof(pci), "%s", ev.pci_addr(0));
	ctx = ev_open(0);
	ctx2 = ev_open(0);
	MTEST_ASSERT(ctx != NULL && ctx2 != NULL, "errno %d", errno);
	memset(&ev_log, 0, sizeof(ev_log));
	MTEST_ASSERT_EQ(ev_port_setup(&p, ctx, 1, 64, false), 0);
	MTEST_ASSERT_EQ(expect_loopback(&p), 0);

	MTEST_ASSERT_EQ(ev.remove(0), 0);
	MTEST_ASSERT_EQ(expect_fatal(ctx), 0);
	MTEST_ASSERT_EQ(expect_fatal(ctx2), 0);

	/* every further verb fails with EIO */
	errno = 0;
	MTEST_ASSERT(ibv_alloc_pd(ctx) == NULL && errno == EIO, "errno %d", errno);
	errno = 0;
	MTEST_ASSERT(ibv_create_cq(ctx, 64, NULL, NULL, 0) == NULL && errno == EIO,
		     "errno %d", errno);
	errno = 0;
	MTEST_ASSERT(ibv_reg_mr(p.pd, p.mem, 4096, IBV_ACCESS_LOCAL_WRITE) == NULL &&
		     errno == EIO, "errno %d", errno);
	MTEST_ASSERT_EQ(ibv_query_device(ctx, &da), EIO);
	MTEST_ASSERT_EQ(ibv_query_port(ctx2, 1, &pa), EIO);

	/* doorbells are harmless, no completion ever comes */
	ev_post_rx(&p, 4);
	ev_send(&p, p.mem, 64);
	for (i = 0; i < 5; i++)
		ev.step();
	MTEST_ASSERT_EQ(ev_poll(&p.dtx, &p.tx_cq_head, &cqe), 0);
	MTEST_ASSERT_EQ(ev_poll(&p.drx, &p.rx_cq_head, &cqe), 0);

	/* the device left the list and the tree */
	MTEST_ASSERT_EQ(n_devices(NULL, 0), 0);
	MTEST_ASSERT(!path_exists(ev.pci_tree(), pci, NULL), "PCI dir stays");
	MTEST_ASSERT(ev.ibdev_name(0) == NULL, "IB device stays");

	frees = ev_log.n_free;
	if (!allow_disassoc) {
		/* destroys fail with EIO and libmana keeps the memory */
		MTEST_ASSERT_EQ(ibv_destroy_qp(p.rss), EIO);
		MTEST_ASSERT_EQ(ibv_destroy_qp(p.qp), EIO);
		MTEST_ASSERT_EQ(ibv_destroy_wq(p.wq), EIO);
		MTEST_ASSERT_EQ(ibv_destroy_cq(p.tx_cq), EIO);
		MTEST_ASSERT_EQ(ibv_dereg_mr(p.mr), EIO);
		MTEST_ASSERT_EQ(ibv_dealloc_pd(p.pd), EIO);
		MTEST_ASSERT_EQ(ev_log.n_free, frees);
		free(p.mem);
	} else {
		/* RDMAV_ALLOW_DISASSOC_DESTROY (emu-verbs-removal): success, and
		 * the queue buffers go back through the allocator
		 */
		MTEST_ASSERT_EQ(ev_port_teardown(&p), 0);
		MTEST_ASSERT(ev_log.n_free >= frees + 4, "%u buffers freed, want the TX CQ, SQ, RX CQ and RQ",
			     ev_log.n_free - frees);
		MTEST_ASSERT_EQ(ev_log.n_free, ev_log.n_alloc);
	}
	/* the kernel answered both ways the same: EIO, objects already gone */
	MTEST_ASSERT(counter("dead_commands") > 0, "no command reached the removed device");
	MTEST_ASSERT_EQ(counter("live_objects"), 0);
	MTEST_ASSERT_EQ(ibv_close_device(ctx), 0);
	MTEST_ASSERT_EQ(ibv_close_device(ctx2), 0);
	return MTEST_SUCCESS;
}

static int
test_readd_same_and_new_address(void)
{
	struct ibv_context *ctx;
	struct ev_port p;
	char name[64], path[PATH_MAX], buf[256];
	uint8_t mac_before[6], mac_after[6];
	uint32_t old_sq;
	int idx_before;

	MTEST_ASSERT_EQ(ev.init(RM_OPTS), 0);
	MTEST_ASSERT_EQ(n_devices(NULL, 0), 1);
	MTEST_ASSERT_EQ(ev.mac(0, 0, mac_before), 0);
	ctx = ev_open(0);
	MTEST_ASSERT(ctx != NULL, "errno %d", errno);
	MTEST_ASSERT_EQ(ev_port_setup(&p, ctx, 1, 64, false), 0);
	old_sq = p.dqp.sq_id;
	MTEST_ASSERT_EQ(ev.remove(0), 0);
	MTEST_ASSERT_EQ(expect_fatal(ctx), 0);
	MTEST_ASSERT_EQ(ev.remove(0), -EALREADY);

	/* same address: a new IB device with a new name */
	idx_before = last_index;
	MTEST_ASSERT_EQ(ev.readd(0, NULL), 0);
	MTEST_ASSERT_EQ(n_devices(name, sizeof(name)), 1);
	/* a new IB device: a new kernel index, the lowest free name */
	MTEST_ASSERT(!strcmp(name, "manae_0"), "name %s", name);
	MTEST_ASSERT(last_index > idx_before, "index %d after %d", last_index, idx_before);
	MTEST_ASSERT(path_exists(ev.pci_tree(), "7870:00:00.0", "vendor"),
		     "PCI dir back");
	/* the old context stays dead; a new one works, with new ids */
	errno = 0;
	MTEST_ASSERT(ibv_alloc_pd(ctx) == NULL && errno == EIO, "old ctx alive");
	MTEST_ASSERT_EQ(ev_port_teardown(&p), 0);
	MTEST_ASSERT_EQ(ibv_close_device(ctx), 0);
	ctx = ev_open(0);
	MTEST_ASSERT(ctx != NULL, "errno %d", errno);
	MTEST_ASSERT_EQ(ev_port_setup(&p, ctx, 1, 64, false), 0);
	MTEST_ASSERT(p.dqp.sq_id != old_sq, "queue id reused after re-add");
	MTEST_ASSERT_EQ(expect_loopback(&p), 0);

	/* new address, same MACs */
	MTEST_ASSERT_EQ(ev.remove(0), 0);
	MTEST_ASSERT_EQ(expect_fatal(ctx), 0);
	MTEST_ASSERT_EQ(ev_port_teardown(&p), 0);
	MTEST_ASSERT_EQ(ibv_close_device(ctx), 0);
	MTEST_ASSERT_EQ(ev.readd(0, "7870:00:01.0"), 0);
	MTEST_ASSERT(!strcmp(ev.pci_addr(0), "7870:00:01.0"), "pci %s",
		     ev.pci_addr(0));
	MTEST_ASSERT(!path_exists(ev.pci_tree(), "7870:00:00.0", NULL),
		     "old PCI dir");
	MTEST_ASSERT_EQ(n_devices(name, sizeof(name)), 1);
	MTEST_ASSERT(!strcmp(name, "manae_0"), "name %s", name);
	{
		struct ibv_device **list = ibv_get_device_list(NULL);

		MTEST_ASSERT(list != NULL && list[0] != NULL, "list");
		snprintf(path, sizeof(path), "%s/device/uevent",
			 list[0]->ibdev_path);
		ibv_free_device_list(list);
	}
	MTEST_ASSERT(ev_read_file(path, buf, sizeof(buf)) > 0, "%s", path);
	MTEST_ASSERT(strstr(buf, "PCI_SLOT_NAME=7870:00:01.0") != NULL, "%s", buf);
	MTEST_ASSERT_EQ(ev.mac(0, 0, mac_after), 0);
	MTEST_ASSERT_MEM_EQ(mac_after, mac_before, 6);
	ctx = ev_open(0);
	MTEST_ASSERT(ctx != NULL, "errno %d", errno);
	MTEST_ASSERT_EQ(ev_port_setup(&p, ctx, 1, 64, false), 0);
	MTEST_ASSERT_EQ(expect_loopback(&p), 0);
	MTEST_ASSERT_EQ(ev_port_teardown(&p), 0);
	MTEST_ASSERT_EQ(ibv_close_device(ctx), 0);
	return MTEST_SUCCESS;
}

static int
test_service_reset(void)
{
	struct ibv_context *ctx;
	struct timespec ts = { 0, 80 * 1000000 };
	struct ev_port p;
	char name[64];
	int idx_before;

	MTEST_ASSERT_EQ(ev.init(RM_OPTS), 0);
	MTEST_ASSERT_EQ(n_devices(NULL, 0), 1);
	idx_before = last_index;
	ctx = ev_open(0);
	MTEST_ASSERT(ctx != NULL, "errno %d", errno);
	MTEST_ASSERT_EQ(ev_port_setup(&p, ctx, 1, 64, false), 0);
	MTEST_ASSERT_EQ(ev.reset(0, 50), 0);
	MTEST_ASSERT_EQ(expect_fatal(ctx), 0);
	/* the PCI function stays, the IB device goes ... */
	MTEST_ASSERT(path_exists(ev.pci_tree(), "7870:00:00.0", "vendor"),
		     "PCI dir gone on reset");
	MTEST_ASSERT_EQ(n_devices(NULL, 0), 0);
	/* ... and a new one appears after the delay */
	nanosleep(&ts, NULL);
	MTEST_ASSERT_EQ(n_devices(name, sizeof(name)), 1);
	MTEST_ASSERT(!strcmp(name, "manae_0"), "name %s", name);
	MTEST_ASSERT(last_index > idx_before, "index %d after %d", last_index, idx_before);
	MTEST_ASSERT_EQ(ibv_destroy_qp(p.rss), allow_disassoc ? 0 : EIO);
	p.rss = NULL;	/* gone, for libibverbs too */
	MTEST_ASSERT_EQ(ev_port_teardown(&p), 0);
	MTEST_ASSERT_EQ(ibv_close_device(ctx), 0);
	ctx = ev_open(0);
	MTEST_ASSERT(ctx != NULL, "errno %d", errno);
	MTEST_ASSERT_EQ(ev_port_setup(&p, ctx, 1, 64, false), 0);
	MTEST_ASSERT_EQ(expect_loopback(&p), 0);
	MTEST_ASSERT_EQ(ev_port_teardown(&p), 0);
	MTEST_ASSERT_EQ(ibv_close_device(ctx), 0);
	return MTEST_SUCCESS;
}

static int
test_scheduled_remove_and_readd(void)
{
	struct timespec ts = { 0, 20 * 1000000 };
	struct ibv_context *ctx;
	char name[64];
	int i, seen_gone = 0, back = 0;

	/* remove at once, come back 100 ms later (config fault schedule) */
	MTEST_ASSERT_EQ(ev.init("mode=step,ctl=off,remove_at_ms=0,readd_after_ms=100"), 0);
	for (i = 0; i < 500 && !back; i++) {
		int n = n_devices(name, sizeof(name));

		if (n == 0)
			seen_gone = 1;
		else if (seen_gone && n == 1)
			back = 1;
		nanosleep(&ts, NULL);
	}
	MTEST_ASSERT(seen_gone && back, "gone %d back %d", seen_gone, back);
	MTEST_ASSERT(!strcmp(name, "manae_0"), "name %s", name);
	ctx = ev_open(0);
	MTEST_ASSERT(ctx != NULL, "errno %d", errno);
	MTEST_ASSERT_EQ(ibv_close_device(ctx), 0);
	return MTEST_SUCCESS;
}

static int
test_disassoc_destroy_any_order(void)
{
	struct ibv_context *ctx;
	struct ev_port p;

	MTEST_ASSERT_EQ(ev.init(RM_OPTS), 0);
	ctx = ev_open(0);
	MTEST_ASSERT(ctx != NULL, "errno %d", errno);
	memset(&ev_log, 0, sizeof(ev_log));
	MTEST_ASSERT_EQ(ev_port_setup(&p, ctx, 1, 64, false), 0);
	MTEST_ASSERT_EQ(ev.remove(0), 0);
	MTEST_ASSERT_EQ(expect_fatal(ctx), 0);
	/* after a removal the kernel has nothing left to check: every
	 * destroy succeeds, whatever the order, and memory goes back
	 */
	MTEST_ASSERT_EQ(ibv_dealloc_pd(p.pd), 0);
	MTEST_ASSERT_EQ(ibv_destroy_cq(p.rx_cq), 0);
	MTEST_ASSERT_EQ(ibv_destroy_cq(p.tx_cq), 0);
	MTEST_ASSERT_EQ(ibv_destroy_wq(p.wq), 0);
	MTEST_ASSERT_EQ(ibv_destroy_rwq_ind_table(p.ind), 0);
	MTEST_ASSERT_EQ(ibv_dealloc_pd(p.pdom), 0);
	MTEST_ASSERT_EQ(ibv_dereg_mr(p.mr), 0);
	MTEST_ASSERT_EQ(ibv_destroy_qp(p.rss), 0);
	MTEST_ASSERT_EQ(ibv_destroy_qp(p.qp), 0);
	MTEST_ASSERT_EQ(ev_log.n_free, ev_log.n_alloc);
	MTEST_ASSERT_EQ(ibv_close_device(ctx), 0);
	free(p.mem);
	MTEST_ASSERT_EQ(ev.readd(0, NULL), 0);
	return MTEST_SUCCESS;
}

static const struct mtest_case cases[] = {
	{ "remove_fatal_and_eio", test_remove_fatal_and_eio },
	{ "readd_same_and_new_address", test_readd_same_and_new_address },
	{ "disassoc_destroy_any_order", test_disassoc_destroy_any_order },
	{ "service_reset", test_service_reset },
	{ "scheduled_remove_and_readd", test_scheduled_remove_and_readd },
};

int
main(int argc, char **argv)
{
	int ret;

	if (ev_load_api() != 0)
		return 1;
	allow_disassoc = getenv("RDMAV_ALLOW_DISASSOC_DESTROY") != NULL;
	ret = mtest_run("emu-verbs-removal", cases, MTEST_N(cases), argc, argv);
	ev.fini();
	return ret;
}
