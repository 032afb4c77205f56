/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Emulator-core robustness: mutated WQEs, doorbells and frames must be
 * survived and reported, never trusted: the device keeps its bookkeeping
 * consistent and never touches memory outside the registered region.
 *
 * Usage: test-emu-fuzz [iterations (default 3000)] [seed]
 */

#include <inttypes.h>
#include <stdio.h>

#include "emu_test.h"

static uint64_t rng_state;

static uint32_t
rnd(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return (uint32_t)((x * 0x2545F4914F6CDD1DULL) >> 32);
}

static void
mutate(uint8_t *p, uint32_t len)
{
	uint32_t n = rnd() % 4, i;

	for (i = 0; i < n; i++)
		p[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
}

/* A guard area after the registered region must never be written. */
#define GUARD 4096

static int
fuzz_round(uint32_t iters)
{
	struct fx_opts o = { .n_rq = 2, .rss = true };
	static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 0x77 };
	struct emu_queue_stats st;
	uint8_t *outside, w[64], fr[2048];
	struct gdma_cqe c;
	struct fx f;
	uint32_t it, i, l, restarts = 0;
	uint64_t viol = 0, txf = 0, rxf = 0;

	MTEST_ASSERT_EQ(fx_init(&f, &o), 0);
	outside = fx_alloc(4096, GUARD);
	MTEST_ASSERT(outside != NULL, "alloc");
	memset(outside, 0xA5, GUARD);
	for (it = 0; it < iters; it++) {
		uint32_t kind = rnd() % 6;

		/* frames in packet memory: valid UDP/TCP, then mutated */
		l = fx_frame4(f.mem, rnd() & 1 ? dmac : f.mac, f.mac,
			      rnd() & 1 ? IPPROTO_TCP : IPPROTO_UDP, rnd(), rnd(),
			      (uint16_t)rnd(), (uint16_t)rnd(), rnd() % 1400);
		if (rnd() % 3 == 0)
			mutate(f.mem, l);
		memset(w, 0, sizeof(w));
		switch (kind) {
		case 0:		/* plain or offloaded short-OOB TX WQE */
			fx_post_tx(&f, f.mem, rnd() % 4 ? l : rnd() % 3000,
				   (rnd() % 2) * ((1u << 2) | (1u << 4) | (1u << 5)) |
				   (rnd() % 2) << 7, 34);
			if (rnd() % 2)
				mutate(f.sq.ring + ((f.sq.head - 32) & (FX_RING - 1)), 32);
			fx_ring_sq(&f);
			break;
		case 1: {	/* TSO-like WQE with mutations */
			uint64_t a = (uintptr_t)f.mem;
			uint32_t d;

			w[3] = 54;
			w[4] = 2;
			w[5] = 0x0a;
			w[6] = (uint8_t)rnd();
			w[7] = (uint8_t)(rnd() & 0x3f);
			d = 0x34u | (f.sq.id.cq_id << 8);
			memcpy(w + 8, &d, 4);
			d = 34u | (((f.sq.id.wq_id >> 10) & 0x3FFF) << 10);
			memcpy(w + 12, &d, 4);
			memcpy(w + 16, &a, 8);
			memcpy(w + 24, &f.lkey, 4);
			d = rnd() % 4 ? 54 : rnd() % 300;
			memcpy(w + 28, &d, 4);
			a = (uintptr_t)(f.mem + 54);
			memcpy(w + 32, &a, 8);
			memcpy(w + 40, &f.lkey, 4);
			d = rnd() % 60000;
			memcpy(w + 44, &d, 4);
			mutate(w, sizeof(w));
			fx_post_raw(&f.sq, w, sizeof(w));
			fx_ring_sq(&f);
			break;
		}
		case 2:		/* RX WQEs, some mutated, then frames */
			for (i = 0; i < 4; i++) {
				uint32_t q = rnd() % 2;

				fx_post_rx(&f, q, f.mem + 65536 + 2048 * (rnd() % 256),
					   rnd() % 4 ? 2048 : rnd() % 3000);
				if (rnd() % 3 == 0)
					mutate(f.rq[q].ring +
					       ((f.rq[q].head - 32) & (FX_RING - 1)), 32);
				fx_ring_rq(&f, q);
				emu_dev_step(f.dev);
			}
			/* fall through */
		case 3:		/* wire input */
			l = 1 + rnd() % (sizeof(fr) - 1);
			for (i = 0; i < l; i++)
				fr[i] = (uint8_t)rnd();
			if (rnd() % 2)
				l = fx_frame4(fr, f.mac, dmac, IPPROTO_UDP, rnd(), rnd(), 1, 2,
					      rnd() % 1000);
			if (rnd() % 3 == 0)
				mutate(fr, l);
			emu_port_inject_rx(f.dev, 0, fr, l);
			break;
		case 4:		/* random doorbell values on the right queue ids */
			fx_db(&f.sq, DOORBELL_OFFSET_SQ,
			      gdma_db_sq_value(f.sq.id.wq_id, f.sq.head + 32 * (rnd() % 3)));
			if (rnd() % 4 == 0)
				fx_db(&f.sq, DOORBELL_OFFSET_CQ,
				      ((uint64_t)rnd() << 32) | f.sq.id.cq_id);
			break;
		default:	/* drain completions, report consumption */
			while (fx_cqe(&f, &f.sq, &c) == 1)
				;
			for (i = 0; i < 2; i++)
				while (fx_cqe(&f, &f.rq[i], &c) == 1)
					;
			fx_ring_cq(&f, &f.sq, rnd() % 2);
			break;
		}
		emu_dev_step(f.dev);
		/* a stopped queue is expected now and then: start over */
		if (emu_queue_stats_get(f.dev, f.sq.id.wq_id, &st) == 0 && st.error_state) {
			struct emu_vport_stats vs;

			emu_vport_stats_get(f.dev, 0, &vs);
			viol += emu_violation_count(f.dev, EMU_VIOL_NONE);
			txf += vs.tx_frames;
			rxf += vs.rx_frames;
			restarts++;
			fx_fini(&f);
			MTEST_ASSERT_EQ(fx_init(&f, &o), 0);
		}
		/* keep the CQ from lapping on purpose (that is another test) */
		while (fx_cqe(&f, &f.sq, &c) == 1)
			;
		for (i = 0; i < 2; i++)
			while (fx_cqe(&f, &f.rq[i], &c) == 1)
				;
	}
	{
		struct emu_vport_stats vs;

		emu_vport_stats_get(f.dev, 0, &vs);
		viol += emu_violation_count(f.dev, EMU_VIOL_NONE);
		txf += vs.tx_frames;
		rxf += vs.rx_frames;
	}
	printf("  %u iterations: %" PRIu64 " frames sent, %" PRIu64 " received, %" PRIu64
	       " violations reported, %u queue restarts\n", iters, txf, rxf, viol, restarts);
	MTEST_ASSERT(txf > 0 && rxf > 0 && viol > 0, "the fuzzer reached the data path");
	for (i = 0; i < GUARD; i++)
		MTEST_ASSERT_EQ(outside[i], 0xA5);
	free(outside);
	fx_fini(&f);
	return MTEST_SUCCESS;
}

static uint32_t fuzz_iters = 3000;

static int
test_fuzz(void)
{
	return fuzz_round(fuzz_iters);
}

static const struct mtest_case cases[] = {
	{ "fuzz_wqes_doorbells_frames", test_fuzz },
};

int
main(int argc, char **argv)
{
	if (argc > 1)
		fuzz_iters = (uint32_t)strtoul(argv[1], NULL, 0);
	rng_state = argc > 2 ? strtoull(argv[2], NULL, 0) : 0x9E3779B97F4A7C15ULL;
	if (rng_state == 0)
		rng_state = 1;
	return mtest_run("emu-fuzz", cases, MTEST_N(cases), 1, argv);
}
