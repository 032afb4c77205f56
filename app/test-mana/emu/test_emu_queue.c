/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Emulator-core queue tests: CQ owner bits over many laps (also odd depths),
 * CQ arm events, removal/readd, garbage CQEs, wires between devices and the
 * device thread.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <linux/if_packet.h>
#include <sched.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
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
	struct gdma_cqe c;
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
	MTEST_ASSERT_EQ(fx_cqe(&f, &f.sq, &c), 1);
	/* arm with everything consumed: nothing yet; then two CQEs: one event */
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
	/* arm while two CQEs are unconsumed: the event fires at once */
	fx_ring_cq(&f, &f.sq, 1);
	emu_dev_step(f.dev);
	MTEST_ASSERT_EQ(ev.calls, 2);
	while (fx_cqe(&f, &f.sq, &c) == 1)
		;
	/* the same arm value twice in a row is seen twice (slot taken and cleared) */
	fx_ring_cq(&f, &f.sq, 1);
	emu_dev_step(f.dev);
	fx_ring_cq(&f, &f.sq, 1);
	emu_dev_step(f.dev);
	MTEST_ASSERT_EQ(emu_queue_stats_get(f.dev, f.sq.id.wq_id, &st), 0);
	MTEST_ASSERT_EQ(st.cq_arms, 4);
	MTEST_ASSERT_EQ(st.events, 2);
	fx_post_tx(&f, f.mem, l, 0, 0);
	fx_ring_sq(&f);
	emu_dev_step(f.dev);
	MTEST_ASSERT_EQ(ev.calls, 3);
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
	MTEST_ASSERT(emu_dev_lookup("7870:00:00.0") == f.dev, "lookup");
	/* service reset reports its own reason; back at a new address */
	MTEST_ASSERT_EQ(emu_dev_service_reset(f.dev), 0);
	MTEST_ASSERT_EQ(fc.calls, 2);
	MTEST_ASSERT_EQ(fc.reason, EMU_FATAL_RESET);
	MTEST_ASSERT_EQ(emu_dev_readd_at(f.dev, "7870:00:01.0"), 0);
	MTEST_ASSERT(emu_dev_lookup("7870:00:01.0") == f.dev, "lookup new address");
	MTEST_ASSERT(emu_dev_lookup("7870:00:00.0") == NULL, "old address gone");
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

/*
 * Thread mode: the device thread serves doorbells; step is refused meanwhile;
 * the ninth frame alone in a coalesced CQE is flushed by the timeout.
 */
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
	/* devices come and go while the thread runs */
	{
		struct fx g;
		struct fx_opts og = { .n_rq = 1 };

		MTEST_ASSERT_EQ(fx_init(&g, &og), 0);
		MTEST_ASSERT_EQ(emu_port_wire_pair(f.dev, 0, g.dev, 0), 0);
		fx_fini(&g);
		MTEST_ASSERT_EQ(emu_port_wire_loopback(f.dev, 0), 0);
	}
	for (i = 0; i < 9; i++)
		fx_post_rx(&f, 0, f.mem + 65536 + 2048 * i, 2048);
	fx_ring_rq(&f, 0);
	nanosleep(&ts, NULL);
	l = fx_frame4(f.mem, f.mac, f.mac, IPPROTO_UDP, 1, 2, 3, 4, 64);
	for (i = 0; i < 9; i++)
		fx_post_tx(&f, f.mem, l, 0, 0);
	fx_ring_sq(&f);
	for (i = 0; i < 2000 && (got < 9 || rx < 9); i++) {
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
	MTEST_ASSERT_EQ(got, 9);
	MTEST_ASSERT_EQ(rx, 9);	/* the 9th only by the coalescing timeout */
	fx_fini(&f);
	return MTEST_SUCCESS;
}

/*
 * Thread mode under load: 40000 frames from device A to device B (pair wire)
 * with flow control; every frame arrives, in order, byte for byte.
 */
static int
test_thread_stress(void)
{
	struct fx_opts o = { .n_rq = 1, .no_loopback = true, .strict = true };
	const uint32_t total = 40000, nfr = 64, flen = 128;
	uint32_t sent = 0, done = 0, rcvd = 0, posted = 0, i, spins = 0;
	uint64_t a_rung = 0, b_rung = 0;
	time_t t_end;
	struct gdma_cqe c;
	struct fx a, b;

	MTEST_ASSERT_EQ(fx_init(&a, &o), 0);
	MTEST_ASSERT_EQ(fx_init(&b, &o), 0);
	b.mac[5] = 0x42;
	MTEST_ASSERT_EQ(emu_vport_set_mac(b.dev, 0, b.mac), 0);
	MTEST_ASSERT_EQ(emu_port_wire_pair(a.dev, 0, b.dev, 0), 0);
	for (i = 0; i < nfr; i++) {
		uint8_t *fr = a.mem + i * 256;

		fx_frame4(fr, b.mac, a.mac, IPPROTO_UDP, 1, 2, 3, 4, flen - 42);
		fr[50] = (uint8_t)i;
	}
	/* RX: 64 posted WQEs, re-posted as frames arrive; buffer = WQE index */
	for (; posted < 64; posted++)
		fx_post_rx(&b, 0, b.mem + 65536 + 256 * (posted % 128), 256);
	fx_ring_rq(&b, 0);
	MTEST_ASSERT_EQ(emu_dev_thread_start(-1), 0);
	t_end = time(NULL) + 30;
	while ((rcvd < total || done < total) && time(NULL) < t_end) {
		uint32_t burst = 0, before = done + rcvd;

		/* TX: at most 32 in flight on the SQ, 48 in flight end to end */
		while (sent < total && sent - done < 32 && sent - rcvd < 48 && burst < 16) {
			fx_post_tx(&a, a.mem + (sent % nfr) * 256, flen, 0, 0);
			sent++;
			burst++;
		}
		if (burst)
			fx_ring_sq(&a);
		while (fx_cqe(&a, &a.sq, &c) == 1) {
			if (MANA_GET(c.cqe_data, MANA_CQE_HDR_CQE_TYPE) != CQE_TX_OKAY)
				break;
			done++;
		}
		if (a.sq.cq_k - a_rung >= 32) {
			fx_ring_cq(&a, &a.sq, 0);
			a_rung = a.sq.cq_k;
		}
		while (fx_cqe(&b, &b.rq[0], &c) == 1) {
			uint32_t k, n = 0;

			for (k = 0; k < 4 && (c.cqe_data[2 + 3 * k] & 0xFFFF); k++) {
				const uint8_t *buf = b.mem + 65536 + 256 * (rcvd % 128);

				if ((c.cqe_data[2 + 3 * k] & 0xFFFF) != flen ||
				    memcmp(buf, a.mem + (rcvd % nfr) * 256, flen) != 0) {
					emu_dev_thread_stop();
					MTEST_FAIL("frame %u differs", rcvd);
				}
				rcvd++;
				n++;
			}
			for (k = 0; k < n; k++, posted++)
				fx_post_rx(&b, 0, b.mem + 65536 + 256 * (posted % 128), 256);
			fx_ring_rq(&b, 0);
		}
		if (b.rq[0].cq_k - b_rung >= 16) {
			fx_ring_cq(&b, &b.rq[0], 0);
			b_rung = b.rq[0].cq_k;
		}
		spins++;
		if (done + rcvd == before)
			sched_yield();	/* leave the core to the device thread */
	}
	emu_dev_thread_stop();
	if (rcvd != total) {
		fprintf(stderr, "  sent %u done %u rcvd %u posted %u spins %u sq slot %#" PRIx64
			" rq slot %#" PRIx64 "\n", sent, done, rcvd, posted, spins,
			*(volatile uint64_t *)a.sq.page.addr,
			*(volatile uint64_t *)((uint8_t *)b.rq[0].page.addr + 0x400));
		emu_dev_dump(a.dev, stderr);
		emu_dev_dump(b.dev, stderr);
	}
	MTEST_ASSERT_EQ(rcvd, total);
	MTEST_ASSERT_EQ(done, total);
	MTEST_ASSERT_EQ(emu_dev_check(a.dev), 0);
	MTEST_ASSERT_EQ(emu_dev_check(b.dev), 0);
	fx_fini(&a);
	fx_fini(&b);
	return MTEST_SUCCESS;
}

/* Child of test_tap_wire, inside its own network namespace. */
static int
tap_child(void)
{
	struct fx_opts o = { .n_rq = 1, .no_loopback = true, .no_coalescing = true };
	struct sockaddr_ll sll;
	struct ifreq ifr;
	uint8_t buf[2048], fr[256];
	struct gdma_cqe c;
	struct fx f;
	uint32_t l, i;
	int s, ps, found = 0;
	ssize_t n;

	MTEST_ASSERT_EQ(fx_init(&f, &o), 0);
	MTEST_ASSERT_EQ(emu_port_wire_tap(f.dev, 0, "emutap0"), 0);
	MTEST_ASSERT_EQ(emu_port_wire_type(f.dev, 0), EMU_WIRE_TAP);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "emutap0");
	MTEST_ASSERT_EQ(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	MTEST_ASSERT_EQ(ioctl(s, SIOCSIFFLAGS, &ifr), 0);
	close(s);
	ps = socket(AF_PACKET, SOCK_RAW, htons(0x0003 /* ETH_P_ALL */));
	MTEST_ASSERT(ps >= 0, "packet socket: %d", errno);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(0x0003);
	sll.sll_ifindex = (int)if_nametoindex("emutap0");
	MTEST_ASSERT_EQ(bind(ps, (struct sockaddr *)&sll, sizeof(sll)), 0);

	/* device -> kernel */
	l = fx_frame4(f.mem, dmac, f.mac, IPPROTO_UDP, fx_ip4(10, 9, 8, 7), fx_ip4(10, 9, 8, 6),
		      4242, 4343, 77);
	fx_post_tx(&f, f.mem, l, 0, 0);
	fx_ring_sq(&f);
	emu_dev_step(f.dev);
	for (i = 0; i < 50 && !found; i++) {
		n = recv(ps, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == (ssize_t)l && memcmp(buf, f.mem, l) == 0)
			found = 1;
		else if (n < 0)
			usleep(2000);
	}
	MTEST_ASSERT(found, "frame sent by the device seen by the kernel");

	/* kernel -> device */
	for (i = 0; i < 8; i++)
		fx_post_rx(&f, 0, f.mem + 65536 + 2048 * i, 2048);
	fx_ring_rq(&f, 0);
	emu_dev_step(f.dev);
	l = fx_frame4(fr, f.mac, dmac, IPPROTO_UDP, fx_ip4(10, 9, 8, 6), fx_ip4(10, 9, 8, 7),
		      4343, 4242, 55);
	MTEST_ASSERT_EQ(send(ps, fr, l, 0), (ssize_t)l);
	found = 0;
	for (i = 0; i < 50 && !found; i++) {
		emu_dev_step(f.dev);
		while (fx_cqe(&f, &f.rq[0], &c) == 1) {
			uint32_t slot = (uint32_t)((c.cqe_data[14] / 32) % 8);

			if ((c.cqe_data[2] & 0xFFFF) == l &&
			    memcmp(f.mem + 65536 + 2048 * slot, fr, l) == 0)
				found = 1;
		}
		if (!found)
			usleep(2000);
	}
	MTEST_ASSERT(found, "frame sent by the kernel received by the device");
	close(ps);
	fx_fini(&f);
	return MTEST_SUCCESS;
}

/* Tap wire against the real kernel, in a private network namespace. */
static int
test_tap_wire(void)
{
	pid_t pid;
	int st = 0;

	if (geteuid() != 0 || access("/dev/net/tun", R_OK | W_OK) != 0)
		return MTEST_SKIPPED;
	pid = fork();
	MTEST_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) != 0)
			_exit(MTEST_SKIPPED);
		_exit(tap_child() == MTEST_SUCCESS ? 0 : 1);
	}
	MTEST_ASSERT_EQ(waitpid(pid, &st, 0), pid);
	MTEST_ASSERT(WIFEXITED(st), "child exited");
	if (WEXITSTATUS(st) == MTEST_SKIPPED)
		return MTEST_SKIPPED;
	MTEST_ASSERT_EQ(WEXITSTATUS(st), 0);
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
	{ "thread_stress", test_thread_stress },
	{ "tap_wire", test_tap_wire },
};

int
main(int argc, char **argv)
{
	return mtest_run("emu-queue", cases, MTEST_N(cases), argc, argv);
}
