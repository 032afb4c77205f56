/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Throughput of the emulator core: a minimal hand-written driver loop sends
 * 64-byte frames from vPort 0 to vPort 1 (a port pair) while the device
 * thread runs on another core; prints Mpps.
 *
 * Usage: bench-emu-core [seconds (default 2)] [device cpu (default 1)] [driver cpu (default 0)]
 *                       [burst (default 32)]
 * A device cpu of "step" runs the device in step mode in the driver's own
 * thread instead (one core does everything: a lower bound for the device).
 */

#define _GNU_SOURCE
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emu_core.h"
#include "gdma.h"

#define SQ_RING		16384u		/* 512 one-BU WQEs */
#define RQ_RING		32768u		/* 1024 one-BU WQEs */
#define CQ_DEPTH	1024u
#define BURST_DEFAULT	32u
#define FRAME_LEN	60u		/* 64 bytes on the wire with the FCS */
#define RX_BUF		2048u

struct bq {
	struct emu_wq_obj_info id;
	struct emu_db_page page;
	uint8_t *ring;
	uint32_t size;
	struct gdma_cqe *cq;
	uint32_t head;		/* producer, bytes */
	uint32_t tail;		/* completed, bytes */
	uint64_t cq_head;	/* CQEs consumed */
	uint64_t cq_rung;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
db(struct bq *q, uint32_t off, uint64_t v)
{
	__atomic_store_n((uint64_t *)((uint8_t *)q->page.addr + off), v, __ATOMIC_RELEASE);
}

static int
mkq(struct emu_dev *dev, uint32_t vport, uint32_t pd, enum emu_wq_type type,
    uint32_t size, struct bq *q)
{
	struct emu_wq_obj_attr a;
	int rc;

	memset(q, 0, sizeof(*q));
	rc = emu_db_page_alloc(dev, &q->page);
	if (rc < 0)
		return rc;
	q->size = size;
	q->ring = aligned_alloc(4096, size);
	q->cq = aligned_alloc(4096, CQ_DEPTH * 64);
	if (q->ring == NULL || q->cq == NULL)
		return -1;
	memset(q->ring, 0, size);
	memset(q->cq, 0, CQ_DEPTH * 64);
	memset(&a, 0, sizeof(a));
	a.type = type;
	a.pdid = pd;
	a.db_page_id = q->page.id;
	a.wq_buf = q->ring;
	a.wq_size = size;
	a.cq_buf = q->cq;
	a.cq_depth = CQ_DEPTH;
	if (type == EMU_WQ_SQ) {
		uint32_t vpo;

		rc = emu_vport_config_tx(dev, vport, pd, q->page.id, &vpo);
		if (rc < 0)
			return rc;
	}
	return emu_wq_obj_create(dev, vport, &a, &q->id);
}

static const struct gdma_cqe *
cq_next(struct bq *q)
{
	const struct gdma_cqe *e = &q->cq[q->cq_head % CQ_DEPTH];
	uint32_t want = (uint32_t)((q->cq_head / CQ_DEPTH) + 1) & 7;
	uint32_t owner = __atomic_load_n(&e->cqe_info, __ATOMIC_ACQUIRE) >> 29;

	if (owner != want)
		return NULL;
	q->cq_head++;
	return e;
}

static void
cq_ring(struct bq *q)
{
	if (q->cq_head - q->cq_rung >= CQ_DEPTH) {
		db(q, DOORBELL_OFFSET_CQ, gdma_db_cq_value(q->id.cq_id,
			(uint32_t)(q->cq_head + CQ_DEPTH), CQ_DEPTH, 0));
		q->cq_rung = q->cq_head;
	}
}

static void
pin(int cpu)
{
	cpu_set_t s;

	if (cpu < 0)
		return;
	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	pthread_setaffinity_np(pthread_self(), sizeof(s), &s);
}

int
main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2.0;
	int step = argc > 2 && strcmp(argv[2], "step") == 0;
	int dcpu = argc > 2 && !step ? atoi(argv[2]) : 1;
	int cpu = argc > 3 ? atoi(argv[3]) : 0;
	uint32_t burst = argc > 4 ? (uint32_t)atoi(argv[4]) : BURST_DEFAULT;
	struct emu_dev_config cfg;
	struct emu_vport_rx_config rx;
	struct emu_vport_stats vs, vs0;
	struct emu_dev *dev;
	struct bq sq, rq;
	uint32_t pd, lkey, i, d;
	uint64_t tx = 0, rxp = 0, viol;
	uint8_t *mem, wqe[32];
	double t0, t1, c0, c1;
	uint64_t a;

	emu_dev_config_init(&cfg);
	cfg.n_vports = 2;
	cfg.trace = false;
	if (emu_dev_create(&cfg, &dev) < 0 || emu_pd_create(dev, &pd) < 0)
		return 1;
	mem = aligned_alloc(4096, 4u << 20);
	if (mem == NULL || emu_mr_create(dev, pd, (uintptr_t)mem, 4u << 20,
					 EMU_ACCESS_LOCAL_WRITE, &lkey) < 0)
		return 1;
	if (mkq(dev, 0, pd, EMU_WQ_SQ, SQ_RING, &sq) < 0 ||
	    mkq(dev, 1, pd, EMU_WQ_RQ, RQ_RING, &rq) < 0)
		return 1;
	memset(&rx, 0, sizeof(rx));
	for (i = 0; i < EMU_RSS_TABLE_SIZE; i++)
		rx.table[i] = rq.id.handle;
	rx.default_rxobj = rq.id.handle;
	rx.rx_enable = true;
	rx.cqe_coalescing = true;
	if (emu_vport_config_rx(dev, 1, &rx) < 0 || emu_port_wire_pair(dev, 0, dev, 1) < 0)
		return 1;

	/* one UDP/IPv4 frame, vPort 0 -> vPort 1 */
	memset(mem, 0, 128);
	memcpy(mem, cfg.vport[1].mac, 6);
	memcpy(mem + 6, cfg.vport[0].mac, 6);
	mem[12] = 0x08;
	mem[14] = 0x45;
	mem[17] = FRAME_LEN - 14;
	mem[22] = 64;
	mem[23] = 17;
	mem[26] = 10; mem[29] = 1; mem[30] = 10; mem[33] = 2;
	mem[35] = 9; mem[37] = 9; mem[39] = FRAME_LEN - 34;
	{
		uint32_t s = 0;

		for (i = 14; i < 34; i += 2)
			s += ((uint32_t)mem[i] << 8) | mem[i + 1];
		while (s >> 16)
			s = (s & 0xFFFF) + (s >> 16);
		s = ~s & 0xFFFF;
		mem[24] = (uint8_t)(s >> 8);
		mem[25] = (uint8_t)s;
	}

	/* TX WQE template (spec §3.5 #1) */
	memset(wqe, 0, sizeof(wqe));
	wqe[4] = 1;
	wqe[5] = 2;
	d = sq.id.cq_id << 8;
	memcpy(wqe + 8, &d, 4);
	d = ((sq.id.wq_id >> 10) & 0x3FFF) << 10;
	memcpy(wqe + 12, &d, 4);
	a = (uintptr_t)mem;
	memcpy(wqe + 16, &a, 8);
	memcpy(wqe + 24, &lkey, 4);
	d = FRAME_LEN;
	memcpy(wqe + 28, &d, 4);

	/* fill the RQ */
	for (i = 0; i < RQ_RING / 32; i++) {
		uint8_t *w = rq.ring + i * 32;

		w[4] = 1;
		w[5] = 2;
		a = (uintptr_t)(mem + 65536 + (i % 1024) * RX_BUF);
		memcpy(w + 16, &a, 8);
		memcpy(w + 24, &lkey, 4);
		d = RX_BUF;
		memcpy(w + 28, &d, 4);
	}
	rq.head = RQ_RING;
	db(&rq, DOORBELL_OFFSET_RQ, gdma_db_rq_value(rq.id.wq_id, rq.head));

	pin(cpu);
	if (!step && emu_dev_thread_start(dcpu) < 0)
		return 1;
	c0 = cpu_s();
	t0 = now_s();
	t1 = t0;
	while (t1 - t0 < secs) {
		const struct gdma_cqe *e;
		uint32_t n, posted = 0;

		/* TX: one burst, suppression on all but the last WQE */
		n = (SQ_RING - (sq.head - sq.tail)) / 32;
		if (n > burst)
			n = burst;
		for (i = 0; i < n; i++) {
			uint8_t *w = sq.ring + (sq.head & (SQ_RING - 1));

			memcpy(w, wqe, 32);
			if (i + 1 < n)
				w[8] |= 0x80;
			sq.head += 32;
		}
		if (n) {
			db(&sq, DOORBELL_OFFSET_SQ, gdma_db_sq_value(sq.id.wq_id, sq.head));
			tx += n;
		}
		if (step)
			emu_dev_step(dev);
		while ((e = cq_next(&sq)) != NULL)
			sq.tail = (e->cqe_data[2] & ~0x1Fu) + 32;
		cq_ring(&sq);
		/* RX: each packet consumes one WQE; re-post it as is */
		while ((e = cq_next(&rq)) != NULL) {
			for (i = 0; i < 4 && (e->cqe_data[2 + 3 * i] & 0xFFFF); i++)
				posted++;
			if (i == 0)
				posted++;
		}
		if (posted) {
			rxp += posted;
			rq.head += posted * 32;	/* WQEs are re-posted unchanged */
			db(&rq, DOORBELL_OFFSET_RQ, gdma_db_rq_value(rq.id.wq_id, rq.head));
		}
		cq_ring(&rq);
		if ((tx & 0x3FF) < burst)
			t1 = now_s();
	}
	emu_dev_thread_stop();
	t1 = now_s();
	c1 = cpu_s();
	emu_vport_stats_get(dev, 1, &vs);
	emu_vport_stats_get(dev, 0, &vs0);
	viol = emu_violation_count(dev, EMU_VIOL_NONE);
	printf("emu core pair (%s): %.2f s, TX %" PRIu64 " WQEs (%.2f Mpps), RX %" PRIu64
	       " frames (%.2f Mpps), rx_discards_nowqe %" PRIu64 ", wire drops %" PRIu64
	       ", violations %" PRIu64 "\n",
	       step ? "step mode, one thread" : "device thread", t1 - t0, tx,
	       (double)tx / (t1 - t0) / 1e6, rxp, (double)rxp / (t1 - t0) / 1e6,
	       vs.rx_discards_nowqe, vs0.tx_drop_wire, viol);
	if (step)
		printf("step mode: %.0f ns of CPU per frame (driver + device, TX + RX), "
		       "%.2f Mpps per core actually given to this thread\n",
		       (c1 - c0) * 1e9 / (double)rxp, (double)rxp / (c1 - c0) / 1e6);
	if (viol)
		emu_dev_dump(dev, stderr);
	emu_dev_destroy(dev);
	return viol ? 1 : 0;
}
