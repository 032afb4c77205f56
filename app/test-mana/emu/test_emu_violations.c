/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Emulator-core violation tests: every spec rule the device checks, broken
 * on purpose by a hand-written WQE or doorbell, is reported by name with
 * its queue id, and strict mode turns it into a failing verdict.
 */

#include <errno.h>
#include <stdio.h>

#include "emu_test.h"

static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 0x77 };

/* Bytes of the WQE just posted on @p q. */
static uint8_t *
last_wqe(struct fx_q *q, uint32_t size)
{
	return q->ring + ((q->head - size) & (FX_RING - 1));
}

static uint32_t
frame(struct fx *f)
{
	return fx_frame4(f->mem, dmac, f->mac, IPPROTO_UDP, 1, 2, 3, 4, 40);
}

/* Each case breaks one rule; returns the CQE type expected on the SQ (0: none checked). */

static uint32_t
v_unknown_lkey(struct fx *f)
{
	uint32_t bad = 0x777777;

	fx_post_tx(f, f->mem, frame(f), 0, 0);
	memcpy(last_wqe(&f->sq, 32) + 24, &bad, 4);
	fx_ring_sq(f);
	return CQE_TX_HDR_PROCESSING_ERROR;
}

static uint32_t
v_lkey_other_pd(struct fx *f)
{
	uint32_t pd2, lkey2;

	if (emu_pd_create(f->dev, &pd2) != 0 ||
	    emu_mr_create(f->dev, pd2, (uintptr_t)f->mem, FX_MEM, 1, &lkey2) != 0)
		return 0xFF;
	fx_post_tx(f, f->mem, frame(f), 0, 0);
	memcpy(last_wqe(&f->sq, 32) + 24, &lkey2, 4);
	fx_ring_sq(f);
	return CQE_TX_HDR_PROCESSING_ERROR;
}

static uint32_t
v_sge_outside_mr(struct fx *f)
{
	fx_post_tx(f, f->mem + FX_MEM - 10, 64, 0, 0);
	fx_ring_sq(f);
	return CQE_TX_HDR_PROCESSING_ERROR;
}

static uint32_t
v_access(struct fx *f)
{
	uint32_t ro;
	uint8_t fr[128];
	uint32_t l;

	if (emu_mr_create(f->dev, f->pd, (uintptr_t)(f->mem + 65536), 4096, 0, &ro) != 0)
		return 0xFF;
	fx_post_rx(f, 0, f->mem + 65536, 2048);
	memcpy(last_wqe(&f->rq[0], 32) + 24, &ro, 4);
	fx_ring_rq(f, 0);
	l = fx_frame4(fr, f->mac, f->mac, IPPROTO_UDP, 1, 2, 3, 4, 20);
	emu_port_inject_rx(f->dev, 0, fr, l);
	return 0;
}

static uint32_t
v_bad_header(struct fx *f)
{
	fx_post_tx(f, f->mem, frame(f), 0, 0);
	last_wqe(&f->sq, 32)[5] = 1;	/* inline_oob_size_div4 1: 4-byte OOB */
	fx_ring_sq(f);
	return CQE_TX_INVALID_OOB;
}

static uint32_t
v_beyond_tail(struct fx *f)
{
	fx_post_tx(f, f->mem, frame(f), 0, 0);
	last_wqe(&f->sq, 32)[4] = 2;	/* two SGEs: 2 BUs, only 1 posted */
	fx_ring_sq(f);
	return 0;
}

static uint32_t
v_ring_overrun(struct fx *f)
{
	fx_db(&f->sq, DOORBELL_OFFSET_SQ, gdma_db_sq_value(f->sq.id.wq_id, FX_RING + 32));
	return 0;
}

static uint32_t
v_db_bad_tail(struct fx *f)
{
	fx_db(&f->sq, DOORBELL_OFFSET_SQ, gdma_db_sq_value(f->sq.id.wq_id, 16));
	return 0;
}

static uint32_t
v_db_unknown_queue(struct fx *f)
{
	fx_db(&f->sq, DOORBELL_OFFSET_SQ, gdma_db_sq_value(0x999, 32));
	return 0;
}

static uint32_t
v_db_short(struct fx *f)
{
	__atomic_store_n((uint32_t *)((uint8_t *)f->sq.page.addr + DOORBELL_OFFSET_SQ_SHORT),
			 0x4010020u, __ATOMIC_RELEASE);
	return 0;
}

static uint32_t
v_vcq_num(struct fx *f)
{
	fx_post_tx(f, f->mem, frame(f), 0, 0);
	last_wqe(&f->sq, 32)[9] ^= 0x10;
	fx_ring_sq(f);
	return CQE_TX_INVALID_OOB;
}

static uint32_t
v_vsq_frame(struct fx *f)
{
	fx_post_tx(f, f->mem, frame(f), 0, 0);
	last_wqe(&f->sq, 32)[13] ^= 0x08;
	fx_ring_sq(f);
	return CQE_TX_INVALID_OOB;
}

static uint32_t
v_pkt_fmt(struct fx *f)
{
	fx_post_tx(f, f->mem, frame(f), MANA_LONG_PKT_FMT, 0);
	fx_ring_sq(f);
	return CQE_TX_INVALID_OOB;
}

static uint32_t
v_vp_offset(struct fx *f)
{
	fx_post_tx(f, f->mem, frame(f), 0, 0);
	last_wqe(&f->sq, 32)[15] = 7;
	fx_ring_sq(f);
	return CQE_TX_VPORT_IDX_OUT_OF_RANGE;
}

static uint32_t
v_tso(struct fx *f)
{
	uint8_t w[64];
	uint32_t d, l = fx_frame4(f->mem, dmac, f->mac, IPPROTO_TCP, 1, 2, 3, 4, 1000);
	uint64_t a;

	memset(w, 0, sizeof(w));
	w[3] = 60;
	w[4] = 2;
	w[5] = 0x0a;		/* div4 2, client_oob_in_sgl */
	w[6] = 0x00;
	w[7] = 0x02;		/* MSS 512 */
	d = 0x34u | (f->sq.id.cq_id << 8);
	memcpy(w + 8, &d, 4);
	d = 34u | (((f->sq.id.wq_id >> 10) & 0x3FFF) << 10);
	memcpy(w + 12, &d, 4);
	a = (uintptr_t)f->mem;
	memcpy(w + 16, &a, 8);
	memcpy(w + 24, &f->lkey, 4);
	d = 60;			/* headers are 54 bytes: wrong */
	memcpy(w + 28, &d, 4);
	a = (uintptr_t)(f->mem + 60);
	memcpy(w + 32, &a, 8);
	memcpy(w + 40, &f->lkey, 4);
	d = l - 60;
	memcpy(w + 44, &d, 4);
	fx_post_raw(&f->sq, w, sizeof(w));
	fx_ring_sq(f);
	return CQE_TX_HDR_PROCESSING_ERROR;
}

static uint32_t
v_offload(struct fx *f)
{
	fx_post_tx(f, f->mem, frame(f), (1u << 2) | (1u << 5), 34);	/* TCP csum on UDP */
	fx_ring_sq(f);
	return CQE_TX_OKAY;
}

static uint32_t
v_sge_count(struct fx *f)
{
	uint8_t w[544];
	uint32_t d;

	memset(w, 0, sizeof(w));
	w[4] = 31;
	w[5] = 6;
	d = 1u | (f->sq.id.cq_id << 8);
	memcpy(w + 8, &d, 4);
	d = ((f->sq.id.wq_id >> 10) & 0x3FFF) << 10;
	memcpy(w + 12, &d, 4);
	fx_post_raw(&f->sq, w, sizeof(w));
	fx_ring_sq(f);
	return CQE_TX_INVALID_OOB;
}

static uint32_t
v_rq_wqe_cnt(struct fx *f)
{
	fx_post_rx(f, 0, f->mem + 65536, 2048);
	fx_db(&f->rq[0], DOORBELL_OFFSET_RQ,
	      gdma_db_rq_value(f->rq[0].id.wq_id, f->rq[0].head) | (1ull << 24));
	return 0;
}

static uint32_t
v_rq_wqe_format(struct fx *f)
{
	uint8_t w[64], fr[128];
	uint64_t a = (uintptr_t)(f->mem + 65536);
	uint32_t sz = 2048, l;

	memset(w, 0, sizeof(w));
	w[4] = 1;
	w[5] = 6;		/* 24-byte OOB on an RQ */
	memcpy(w + 32, &a, 8);
	memcpy(w + 40, &f->lkey, 4);
	memcpy(w + 44, &sz, 4);
	fx_post_raw(&f->rq[0], w, sizeof(w));
	fx_ring_rq(f, 0);
	l = fx_frame4(fr, f->mac, f->mac, IPPROTO_UDP, 1, 2, 3, 4, 20);
	emu_port_inject_rx(f->dev, 0, fr, l);
	return 0;
}

static uint32_t
v_cq_db_missed(struct fx *f)
{
	struct gdma_cqe c;
	uint32_t i, j, l = frame(f);

	for (i = 0; i < 20; i++) {	/* 20 x 32 = 640 > 8 x 64 CQEs, no CQ doorbell */
		for (j = 0; j < 32; j++)
			fx_post_tx(f, f->mem, l, 0, 0);
		fx_ring_sq(f);
		emu_dev_step(f->dev);
		while (fx_cqe(f, &f->sq, &c) == 1)
			;
	}
	return 0;
}

static uint32_t
v_cq_overflow(struct fx *f)
{
	uint32_t i, l = frame(f);

	for (i = 0; i < 70; i++)	/* 70 CQEs in a 64-deep CQ, none consumed */
		fx_post_tx(f, f->mem, l, 0, 0);
	fx_ring_sq(f);
	emu_dev_step(f->dev);
	fx_ring_cq(f, &f->sq, 0);	/* reports consumer 0 */
	return 0;
}

static uint32_t
v_cq_db_bad_tail(struct fx *f)
{
	f->sq.cq_k = 5;			/* claims 5 consumed, none written */
	fx_ring_cq(f, &f->sq, 0);
	f->sq.cq_k = 0;
	return 0;
}

static uint32_t
v_tx_runt(struct fx *f)
{
	fx_post_tx(f, f->mem, 10, 0, 0);
	fx_ring_sq(f);
	return CQE_TX_HDR_PROCESSING_ERROR;
}

struct vcase {
	const char *name;
	enum emu_violation kind;
	uint32_t (*fn)(struct fx *f);
	bool on_sq;		/* the record names the SQ (else any queue) */
};

static const struct vcase vcases[] = {
	{ "unknown_lkey", EMU_VIOL_UNKNOWN_LKEY, v_unknown_lkey, true },
	{ "lkey_other_pd", EMU_VIOL_LKEY_OTHER_PD, v_lkey_other_pd, true },
	{ "sge_outside_mr", EMU_VIOL_SGE_OUTSIDE_MR, v_sge_outside_mr, true },
	{ "access_violation", EMU_VIOL_ACCESS, v_access, false },
	{ "wqe_bad_header", EMU_VIOL_WQE_BAD_HEADER, v_bad_header, true },
	{ "wqe_beyond_tail", EMU_VIOL_WQE_BEYOND_TAIL, v_beyond_tail, true },
	{ "ring_overrun", EMU_VIOL_RING_OVERRUN, v_ring_overrun, true },
	{ "db_bad_tail", EMU_VIOL_DB_BAD_TAIL, v_db_bad_tail, true },
	{ "db_unknown_queue", EMU_VIOL_DB_UNKNOWN_QUEUE, v_db_unknown_queue, false },
	{ "db_short_or_client", EMU_VIOL_DB_SHORT, v_db_short, false },
	{ "tx_vcq_num", EMU_VIOL_TX_VCQ_NUM, v_vcq_num, true },
	{ "tx_vsq_frame", EMU_VIOL_TX_VSQ_FRAME, v_vsq_frame, true },
	{ "tx_pkt_fmt", EMU_VIOL_TX_PKT_FMT, v_pkt_fmt, true },
	{ "tx_vp_offset", EMU_VIOL_TX_VP_OFFSET, v_vp_offset, true },
	{ "tx_tso", EMU_VIOL_TX_TSO, v_tso, true },
	{ "tx_offload", EMU_VIOL_TX_OFFLOAD, v_offload, true },
	{ "sge_count", EMU_VIOL_SGE_COUNT, v_sge_count, true },
	{ "rq_wqe_cnt", EMU_VIOL_RQ_WQE_CNT, v_rq_wqe_cnt, false },
	{ "rq_wqe_format", EMU_VIOL_RQ_WQE_FORMAT, v_rq_wqe_format, false },
	{ "cq_db_missed", EMU_VIOL_CQ_DB_MISSED, v_cq_db_missed, false },
	{ "cq_overflow", EMU_VIOL_CQ_OVERFLOW, v_cq_overflow, false },
	{ "cq_db_bad_tail", EMU_VIOL_CQ_DB_BAD_TAIL, v_cq_db_bad_tail, false },
	{ "tx_runt", EMU_VIOL_TX_RUNT, v_tx_runt, true },
};

static uint32_t cb_calls;
static enum emu_violation cb_kind;

static void
viol_cb(void *arg, const struct emu_violation_record *v)
{
	(void)arg;
	cb_calls++;
	cb_kind = v->kind;
}

static int
run_vcase(const struct vcase *vc)
{
	struct fx_opts o = { .n_rq = 1, .no_loopback = true, .strict = true };
	struct emu_violation_record rec[8];
	struct gdma_cqe c;
	struct fx f;
	uint32_t want_cqe;
	size_t n, i;
	bool found = false;

	MTEST_ASSERT_EQ(fx_init(&f, &o), 0);
	MTEST_ASSERT_EQ(emu_dev_check(f.dev), 0);
	cb_calls = 0;
	emu_dev_set_violation_cb(f.dev, viol_cb, NULL);
	want_cqe = vc->fn(&f);
	MTEST_ASSERT(want_cqe != 0xFF, "%s: setup", vc->name);
	emu_dev_step(f.dev);
	if (emu_violation_count(f.dev, vc->kind) == 0)
		MTEST_FAIL("%s: violation not reported", vc->name);
	MTEST_ASSERT_EQ(emu_dev_check(f.dev), -EPROTO);
	n = emu_violations_get(f.dev, rec, MTEST_N(rec));
	for (i = 0; i < n; i++) {
		if (rec[i].kind != vc->kind)
			continue;
		found = true;
		MTEST_ASSERT(strcmp(emu_violation_name(rec[i].kind), vc->name) == 0,
			     "name %s", emu_violation_name(rec[i].kind));
		if (vc->on_sq)
			MTEST_ASSERT_EQ(rec[i].queue_id, f.sq.id.wq_id);
		MTEST_ASSERT(rec[i].detail[0] != '\0', "detail text");
	}
	MTEST_ASSERT(found, "%s: record", vc->name);
	MTEST_ASSERT_EQ(cb_calls, emu_violation_count(f.dev, EMU_VIOL_NONE));
	MTEST_ASSERT(cb_calls > 0 && (cb_calls > 1 || cb_kind == vc->kind), "callback");
	if (want_cqe != 0) {
		MTEST_ASSERT_EQ(fx_cqe(&f, &f.sq, &c), 1);
		MTEST_ASSERT_EQ(MANA_GET(c.cqe_data, MANA_CQE_HDR_CQE_TYPE), want_cqe);
	}
	emu_violations_clear(f.dev);
	MTEST_ASSERT_EQ(emu_violation_count(f.dev, EMU_VIOL_NONE), 0);
	MTEST_ASSERT_EQ(emu_dev_check(f.dev), 0);
	fx_fini(&f);
	return MTEST_SUCCESS;
}

#define VCASE_FN(i) \
	static int test_v##i(void) { return run_vcase(&vcases[i]); }
VCASE_FN(0) VCASE_FN(1) VCASE_FN(2) VCASE_FN(3) VCASE_FN(4) VCASE_FN(5)
VCASE_FN(6) VCASE_FN(7) VCASE_FN(8) VCASE_FN(9) VCASE_FN(10) VCASE_FN(11)
VCASE_FN(12) VCASE_FN(13) VCASE_FN(14) VCASE_FN(15) VCASE_FN(16) VCASE_FN(17)
VCASE_FN(18) VCASE_FN(19) VCASE_FN(20) VCASE_FN(21) VCASE_FN(22)

/* A well-behaved sequence produces no violation at all, and strict passes. */
static int
test_clean_run(void)
{
	struct fx_opts o = { .n_rq = 1, .strict = true };
	struct gdma_cqe c;
	struct fx f;
	uint32_t i, l;

	MTEST_ASSERT_EQ(fx_init(&f, &o), 0);
	for (i = 0; i < 16; i++)
		fx_post_rx(&f, 0, f.mem + 65536 + 2048 * i, 2048);
	fx_ring_rq(&f, 0);
	l = fx_frame4(f.mem, f.mac, f.mac, IPPROTO_UDP, 1, 2, 3, 4, 40);
	for (i = 0; i < 16; i++)
		fx_post_tx(&f, f.mem, l, i == 15 ? 0 : 1u << 7, 0);
	fx_ring_sq(&f);
	emu_dev_step(f.dev);
	MTEST_ASSERT_EQ(fx_cqe(&f, &f.sq, &c), 1);
	fx_ring_cq(&f, &f.sq, 0);
	emu_dev_step(f.dev);
	MTEST_ASSERT_EQ(emu_violation_count(f.dev, EMU_VIOL_NONE), 0);
	MTEST_ASSERT_EQ(emu_dev_check(f.dev), 0);
	fx_fini(&f);
	return MTEST_SUCCESS;
}

static const struct mtest_case cases[] = {
	{ "clean_run", test_clean_run },
	{ "unknown_lkey", test_v0 },
	{ "lkey_other_pd", test_v1 },
	{ "sge_outside_mr", test_v2 },
	{ "access_violation", test_v3 },
	{ "wqe_bad_header", test_v4 },
	{ "wqe_beyond_tail", test_v5 },
	{ "ring_overrun", test_v6 },
	{ "db_bad_tail", test_v7 },
	{ "db_unknown_queue", test_v8 },
	{ "db_short_or_client", test_v9 },
	{ "tx_vcq_num", test_v10 },
	{ "tx_vsq_frame", test_v11 },
	{ "tx_pkt_fmt", test_v12 },
	{ "tx_vp_offset", test_v13 },
	{ "tx_tso", test_v14 },
	{ "tx_offload", test_v15 },
	{ "sge_count", test_v16 },
	{ "rq_wqe_cnt", test_v17 },
	{ "rq_wqe_format", test_v18 },
	{ "cq_db_missed", test_v19 },
	{ "cq_overflow", test_v20 },
	{ "cq_db_bad_tail", test_v21 },
	{ "tx_runt", test_v22 },
};

int
main(int argc, char **argv)
{
	return mtest_run("emu-violations", cases, MTEST_N(cases), argc, argv);
}
