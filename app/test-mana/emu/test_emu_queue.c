/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Emulator-core queue tests: CQ owner bits over many laps (also odd depths),
 * CQ arm events, removal/readd, garbage CQEs, wires between devices and the
 * device thread.
 */

#include <errno.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "emu_test.h"

static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 0x77 };

/* Send @p n frames (suppression off) through the SQ in batches of @p batch. */
static int
owner_laps(uint32_t depth, uint32_t total, uint32_t batch, bool ring_cq)
{
	struct fx_opts o = { .n_rq = 1, .depth = depth, .no_loopback = true };
	struct gdma_cqe c;
	struct fx f;
	uint32_t l, sent = 0, seen = 0, i;

	MTEST_ASSERT_EQ(fx_init(&f, &o), 0);
	l = fx_frame4(f.mem, dmac, f.mac, IPPROTO_UDP, 1, 2, 3, 4, 10);
	while (sent < total) {
		for (i = 0; i < batch && sent < total; i++, sent++)
			fx_post_tx(&f, f.mem, l, 0, 0);
		fx_ring_sq(&f);
		emu_dev_step(f.dev);
		for (;;) {
			const struct gdma_cqe *e = (const struct gdma_cqe *)f.sq.cq +
						   (f.sq.cq_k % depth);
			uint32_t owner = e->cqe_info >> 29;
			uint64_t k = f.sq.cq_k;
			int r = fx_cqe(&f, &f.sq, &c);

			if (r == 0)
				break;
			MTEST_ASSERT_EQ(r, 1);
			MTEST_ASSERT_EQ(owner, ((k / depth) + 1) & 7);
			MTEST_ASSERT_EQ(c.cqe_info & 0xFFFFFF, f.sq.id.wq_id);
			MTEST_ASSERT_EQ(c.cqe_data[2], (uint32_t)(k * 32));	/* free-running */
			seen++;
		}
		if (ring_cq)
			fx_ring_cq(&f, &f.sq, 0);
	}
	MTEST_ASSERT_EQ(seen, total);
	MTEST_ASSERT_EQ(emu_violation_count(f.dev, EMU_VIOL_NONE), 0);
	fx_fini(&f);
	return MTEST_SUCCESS;
}

static int
test_owner_bits_laps(void)
{
	/* 40 laps of a 64-deep CQ, CQ doorbell after every poll */
	return owner_laps(64, 64 * 40, 50, true);
}

static int
test_owner_bits_odd_depth(void)
{
	/* a non-power-of-two depth: 48 entries, 30 laps */
	return owner_laps(48, 48 * 30, 40, true);
}

/* CQ doorbell every 4 wraps (Linux rule): no violation. */
static int
test_cq_doorbell_every_4_wraps(void)
{
	struct fx_opts o = { .n_rq = 1, .depth = 64, .no_loopback = true };
	struct gdma_cqe c;
	struct fx f;
	uint32_t l, i, since = 0;

	MTEST_ASSERT_EQ(fx_init(&f, &o), 0);
	l = fx_frame4(f.mem, dmac, f.mac, IPPROTO_UDP, 1, 2, 3, 4, 10);
	for (i = 0; i < 64 * 30; i++) {
		fx_post_tx(&f, f.mem, l, 0, 0);
		if (i % 32 == 31) {
			fx_ring_sq(&f);
			emu_dev_step(f.dev);
			while (fx_cqe(&f, &f.sq, &c) == 1)
				since++;
			if (since >= 4 * 64) {
				fx_ring_cq(&f, &f.sq, 0);
				since = 0;
			}
		}
	}
	MTEST_ASSERT_EQ(emu_violation_count(f.dev, EMU_VIOL_NONE), 0);
	fx_fini(&f);
	return MTEST_SUCCESS;
}

struct ev_ctx {
	uint32_t calls;
	uint32_t cq;
};

static void
ev_cb(void *arg, uint32_t cq_id)
{
	struct ev_ctx *e = arg;

	e->calls++;
	e->cq = cq_id;
}

/* Arm fires exactly one event at the next CQE (callback and eventfd). */
static int
test_cq_arm_event(void)
{
	struct fx_opts o = { .n_rq = 1, .no_loopback = true };
	struct ev_ctx ev = { 0, 0 };
	struct emu_queue_stats st;
	uint64_t v = 0;
	struct fx f;
	uint32_t l;
	int efd;

	MTEST_ASSERT_EQ(fx_init(&f, &o), 0);
	efd = eventfd(0, EFD_NONBLOCK);
	MTEST_ASSERT(efd >= 0, "eventfd");
	MTEST_ASSERT_EQ(emu_cq_set_event(f.dev, f.sq.id.cq_id, ev_cb, &ev, efd), 0);
	l = fx_frame4(f.mem, dmac, f.mac, IPPROTO_UDP, 1, 2, 3, 4, 10);
	/* not armed: no event */
	fx_post_tx(&f, f.mem, l, 0, 0);
	fx_ring_sq(&f);
	emu_dev_step(f.dev);
	MTEST_ASSERT_EQ(ev.calls, 0);
	/* arm, then two CQEs: one event */
	fx_ring_cq(&f, &f.sq, 1);
	emu_dev_step(f.dev);
	MTEST_ASSERT_EQ(ev.calls, 0);
	fx_post_tx(&f, f.mem, l, 0, 0);
	fx_post_tx(&f, f.mem, l, 0, 0);
	fx_ring_sq(&f);
	emu_dev_step(f.dev);
	MTEST_ASSERT_EQ(ev.calls, 1);
	MTEST_ASSERT_EQ(ev.cq, f.sq.id.cq_id);
	MTEST_ASSERT_EQ(read(efd, &v, sizeof(v)), 8);
	MTEST_ASSERT_EQ(v, 1);
	/* the same arm value twice in a row is seen twice (slot taken and cleared) */
	fx_ring_cq(&f, &f.sq, 1);
	emu_dev_step(f.dev);
	fx_ring_cq(&f, &f.sq, 1);
	emu_dev_step(f.dev);
	MTEST_ASSERT_EQ(emu_queue_stats_get(f.dev, f.sq.id.wq_id, &st), 0);
	MTEST_ASSERT_EQ(st.cq_arms, 3);
	fx_post_tx(&f, f.mem, l, 0, 0);
	fx_ring_sq(&f);
	emu_dev_step(f.dev);
	MTEST_ASSERT_EQ(ev.calls, 2);
	MTEST_ASSERT_EQ(st.events, 1);
	close(efd);
	fx_fini(&f);
	return MTEST_SUCCESS;
}

struct fatal_ctx {
	uint32_t calls;
	enum emu_fatal_reason reason;
};

static void
fatal_cb(void *arg, struct emu_dev *dev, enum emu_fatal_reason r)
{
	struct fatal_ctx *c = arg;

	(void)dev;
	c->calls++;
	c->reason = r;
}

/* Removal: no CQE, no frame, doorbells no-ops, -EIO; readd gives fresh ids. */
static int
test_removal(void)
{
	struct fx_opts o = { .n_rq = 1 };
	struct fatal_ctx fc = { 0, 0 };
	struct emu_vport_stats vs;
	struct gdma_cqe c;
	uint8_t got[256];
	struct fx f;
	uint32_t l, pd, lkey;
	struct emu_db_page pg;

	MTEST_ASSERT_EQ(fx_init(&f, &o), 0);
	emu_dev_set_fatal_cb(f.dev, fatal_cb, &fc);
	MTEST_ASSERT_EQ(emu_port_capture_enable(f.dev, 0, 8), 0);
	fx_post_rx(&f, 0, f.mem + 65536, 2048);
	fx_ring_rq(&f, 0);
	emu_dev_step(f.dev);
	MTEST_ASSERT_EQ(emu_dev_remove(f.dev), 0);
	MTEST_ASSERT_EQ(fc.calls, 1);
	MTEST_ASSERT_EQ(fc.reason, EMU_FATAL_REMOVED);
	MTEST_ASSERT(emu_dev_is_removed(f.dev), "removed");
	l = fx_frame4(f.mem, f.mac, f.mac, IPPROTO_UDP, 1, 2, 3, 4, 10);
	fx_post_tx(&f, f.mem, l, 0, 0);
	fx_ring_sq(&f);			/* lands in the page, never acted on */
	fx_ring_cq(&f, &f.sq, 1);
	MTEST_ASSERT_EQ(emu_port_inject_rx(f.dev, 0, f.mem, l), 0);
	emu_dev_step(f.dev);
	MTEST_ASSERT_EQ(fx_cqe(&f, &f.sq, &c), 0);
	MTEST_ASSERT_EQ(fx_cqe(&f, &f.rq[0], &c), 0);
	MTEST_ASSERT_EQ(emu_port_capture_read(f.dev, 0, got, sizeof(got)), -EAGAIN);
	MTEST_ASSERT_EQ(emu_vport_stats_get(f.dev, 0, &vs), 0);
	MTEST_ASSERT_EQ(vs.tx_frames, 0);
	MTEST_ASSERT_EQ(vs.rx_frames, 0);
	MTEST_ASSERT_EQ(emu_pd_create(f.dev, &pd), -EIO);
	MTEST_ASSERT_EQ(emu_db_page_alloc(f.dev, &pg), -EIO);
	MTEST_ASSERT_EQ(emu_dev_remove(f.dev), -EALREADY);
	MTEST_ASSERT_EQ(fc.calls, 1);
	/* destroys still succeed */
	MTEST_ASSERT_EQ(emu_wq_obj_destroy(f.dev, f.sq.id.handle), 0);
	MTEST_ASSERT_EQ(emu_mr_destroy(f.dev, f.lkey), 0);
	/* readd: usable again, fresh ids */
	MTEST_ASSERT_EQ(emu_dev_readd(f.dev), 0);
	MTEST_ASSERT(!emu_dev_is_removed(f.dev), "readded");
	MTEST_ASSERT_EQ(emu_pd_create(f.dev, &pd), 0);
	MTEST_ASSERT(pd != f.pd, "new pd id");
	MTEST_ASSERT_EQ(emu_mr_create(f.dev, pd, (uintptr_t)f.mem, 4096, 0, &lkey), 0);
	MTEST_ASSERT(lkey != f.lkey, "new lkey");
	MTEST_ASSERT_EQ(emu_dev_readd(f.dev), -EINVAL);
	/* service reset reports its own reason */
	MTEST_ASSERT_EQ(emu_dev_service_reset(f.dev), 0);
	MTEST_ASSERT_EQ(fc.calls, 2);
	MTEST_ASSERT_EQ(fc.reason, EMU_FATAL_RESET);
	fx_fini(&f);
	return MTEST_SUCCESS;
}

/* Garbage CQEs: owner bits, wq_num and is_sq stay right; WQEs are consumed one per CQE. */
static int
test_garbage_cqe(void)
{
	struct fx_opts o = { .n_rq = 1, .no_loopback = true };
	struct gdma_cqe c;
	struct fx f;
	uint32_t l, i, nonzero = 0;

	MTEST_ASSERT_EQ(fx_init(&f, &o), 0);
	MTEST_ASSERT_EQ(emu_fault_garbage_cqe(f.dev, 0, true), 0);
	l = fx_frame4(f.mem, dmac, f.mac, IPPROTO_UDP, 1, 2, 3, 4, 10);
	for (i = 0; i < 60; i++)
		fx_post_tx(&f, f.mem, l, 0, 0);
	fx_ring_sq(&f);
	emu_dev_step(f.dev);
	for (i = 0; i < 60; i++) {
		MTEST_ASSERT_EQ(fx_cqe(&f, &f.sq, &c), 1);
		MTEST_ASSERT_EQ(c.cqe_info & 0xFFFFFF, f.sq.id.wq_id);
		MTEST_ASSERT_EQ((c.cqe_info >> 24) & 1, 1);
		if (c.cqe_data[0] != 0x60)
			nonzero++;
	}
	MTEST_ASSERT_EQ(fx_cqe(&f, &f.sq, &c), 0);
	MTEST_ASSERT(nonzero > 50, "garbage in %u of 60 CQEs", nonzero);
	fx_fini(&f);
	return MTEST_SUCCESS;
}

/* Two devices paired: frames sent by one arrive at the other. */
static int
test_pair_two_devices(void)
{
	struct fx_opts o = { .n_rq = 1, .no_loopback = true };
	struct emu_dev_config cfg;
	struct gdma_cqe c;
	struct fx a, b;
	uint32_t l;

	MTEST_ASSERT_EQ(fx_init(&a, &o), 0);
	MTEST_ASSERT_EQ(fx_init(&b, &o), 0);
	/* give b its own MAC and address a frame to it */
	emu_dev_config_init(&cfg);
	b.mac[5] = 0x42;
	MTEST_ASSERT_EQ(emu_vport_set_mac(b.dev, 0, b.mac), 0);
	MTEST_ASSERT_EQ(emu_port_wire_pair(a.dev, 0, b.dev, 0), 0);
	MTEST_ASSERT_EQ(emu_port_wire_type(a.dev, 0), EMU_WIRE_PAIR);
	fx_post_rx(&b, 0, b.mem + 65536, 2048);
	fx_ring_rq(&b, 0);
	l = fx_frame4(a.mem, b.mac, a.mac, IPPROTO_UDP, 1, 2, 3, 4, 64);
	fx_post_tx(&a, a.mem, l, 0, 0);
	fx_ring_sq(&a);
	MTEST_ASSERT(emu_step_all() > 0, "work");
	MTEST_ASSERT_EQ(fx_cqe(&a, &a.sq, &c), 1);
	MTEST_ASSERT_EQ(fx_cqe(&b, &b.rq[0], &c), 1);
	MTEST_ASSERT_EQ(c.cqe_data[2], l);
	MTEST_ASSERT_MEM_EQ(b.mem + 65536, a.mem, l);
	/* destroying one side unwires the other */
	fx_fini(&b);
	MTEST_ASSERT_EQ(emu_port_wire_type(a.dev, 0), EMU_WIRE_NONE);
	fx_fini(&a);
	return MTEST_SUCCESS;
}

/* Socket wire between two devices (works across processes the same way). */
static int
test_socket_wire(void)
{
	struct fx_opts o = { .n_rq = 1, .no_loopback = true };
	char pa[108], pb[108];
	struct gdma_cqe c;
	struct fx a, b;
	uint32_t l, i;

	snprintf(pa, sizeof(pa), "emu-test-sock-a.%d", (int)getpid());
	snprintf(pb, sizeof(pb), "emu-test-sock-b.%d", (int)getpid());
	MTEST_ASSERT_EQ(fx_init(&a, &o), 0);
	MTEST_ASSERT_EQ(fx_init(&b, &o), 0);
	MTEST_ASSERT_EQ(emu_port_wire_socket(a.dev, 0, pa, pb), 0);
	MTEST_ASSERT_EQ(emu_port_wire_socket(b.dev, 0, pb, pa), 0);
	fx_post_rx(&b, 0, b.mem + 65536, 2048);
	fx_ring_rq(&b, 0);
	l = fx_frame4(a.mem, b.mac, a.mac, IPPROTO_UDP, 1, 2, 3, 4, 64);
	fx_post_tx(&a, a.mem, l, 0, 0);
	fx_ring_sq(&a);
	for (i = 0; i < 100 && fx_cqe(&b, &b.rq[0], &c) == 0; i++)
		emu_step_all();
	MTEST_ASSERT(i < 100, "frame arrived over the socket");
	MTEST_ASSERT_EQ(c.cqe_data[2], l);
	MTEST_ASSERT_MEM_EQ(b.mem + 65536, a.mem, l);
	fx_fini(&a);
	fx_fini(&b);
	unlink(pa);
	unlink(pb);
	return MTEST_SUCCESS;
}

/* Thread mode: the device thread serves doorbells; step is refused meanwhile. */
static int
test_thread_mode(void)
{
	struct fx_opts o = { .n_rq = 1 };
	struct gdma_cqe c;
	struct fx f;
	uint32_t l, i, got = 0, rx = 0;
	struct timespec ts = { 0, 1000000 };

	MTEST_ASSERT_EQ(fx_init(&f, &o), 0);
	MTEST_ASSERT_EQ(emu_dev_thread_start(-1), 0);
	MTEST_ASSERT_EQ(emu_dev_thread_start(-1), -EALREADY);
	MTEST_ASSERT_EQ(emu_dev_step(f.dev), -EBUSY);
	for (i = 0; i < 8; i++)
		fx_post_rx(&f, 0, f.mem + 65536 + 2048 * i, 2048);
	fx_ring_rq(&f, 0);
	nanosleep(&ts, NULL);
	l = fx_frame4(f.mem, f.mac, f.mac, IPPROTO_UDP, 1, 2, 3, 4, 64);
	for (i = 0; i < 8; i++)
		fx_post_tx(&f, f.mem, l, 0, 0);
	fx_ring_sq(&f);
	for (i = 0; i < 2000 && (got < 8 || rx < 8); i++) {
		int r;

		while (fx_cqe(&f, &f.sq, &c) == 1)
			got++;
		while ((r = fx_cqe(&f, &f.rq[0], &c)) == 1) {
			uint32_t k;

			for (k = 0; k < 4 && (c.cqe_data[2 + 3 * k] & 0xFFFF); k++)
				rx++;
		}
		nanosleep(&ts, NULL);
	}
	emu_dev_thread_stop();
	MTEST_ASSERT(!emu_dev_thread_running(), "stopped");
	MTEST_ASSERT_EQ(got, 8);
	MTEST_ASSERT_EQ(rx, 8);
	fx_fini(&f);
	return MTEST_SUCCESS;
}

static const struct mtest_case cases[] = {
	{ "owner_bits_laps", test_owner_bits_laps },
	{ "owner_bits_odd_depth", test_owner_bits_odd_depth },
	{ "cq_doorbell_every_4_wraps", test_cq_doorbell_every_4_wraps },
	{ "cq_arm_event", test_cq_arm_event },
	{ "removal", test_removal },
	{ "garbage_cqe", test_garbage_cqe },
	{ "pair_two_devices", test_pair_two_devices },
	{ "socket_wire", test_socket_wire },
	{ "thread_mode", test_thread_mode },
};

int
main(int argc, char **argv)
{
	return mtest_run("emu-queue", cases, MTEST_N(cases), argc, argv);
}
