/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Unit tests of the hardware-format layer: golden WQE bytes from the spec's
 * worked examples, doorbell encodings, SGL wrap and CQ owner-bit polling.
 */

#include <stdint.h>
#include <string.h>

#include "gdma.h"
#include "gdma_ring.h"
#include "mtest.h"

/* The SGE used by the golden WQEs: VA 0x00007f0012345678, lkey 0xaabbccdd. */
#define G_SGE_ADDR_BYTES 0x78, 0x56, 0x34, 0x12, 0x00, 0x7f, 0x00, 0x00
#define G_SGE_KEY_BYTES  0xdd, 0xcc, 0xbb, 0xaa

static const struct gdma_sge g_sge = {
	.address = 0x00007f0012345678ull, .mem_key = 0xaabbccdd, .size = 60,
};

/* Spec §3.5 example 1: TX, one SGE, short OOB, one BU. */
static int
test_golden_tx_short_oob(void)
{
	/*
	 * OOB: plain packet, vcq_num 0x123456, sq_id 0x1c00 (vsq_frame 7),
	 * short_vp_offset 5.
	 */
	static const uint8_t want[32] = {
		0x00, 0x00, 0x00, 0x00,  0x01, 0x02, 0x00, 0x00, /* header */
		0x00, 0x56, 0x34, 0x12,  0x00, 0x1c, 0x00, 0x05, /* short OOB */
		G_SGE_ADDR_BYTES, G_SGE_KEY_BYTES, 0x3c, 0x00, 0x00, 0x00,
	};
	uint8_t ring[4096];
	struct gdma_wqe hdr = { .dw = { 0, gdma_wqe_hdr_dw1(1, 8, 0, false) } };
	struct mana_tx_oob oob = { .dw = { 0 } };
	uint32_t bu;

	oob.dw[0] = MANA_VAL(MANA_TX_OOB_PKT_FMT, MANA_SHORT_PKT_FMT) |
		    MANA_VAL(MANA_TX_OOB_VCQ_NUM, 0x123456);
	oob.dw[1] = MANA_VAL(MANA_TX_OOB_VSQ_FRAME, mana_tx_vsq_frame(0x1c00)) |
		    MANA_VAL(MANA_TX_OOB_SHORT_VP_OFFSET, 5);
	memset(ring, 0xee, sizeof(ring));
	bu = gdma_wq_write_wqe(ring, sizeof(ring) - 1, 0, &hdr, &oob, 8, &g_sge, 1);
	MTEST_ASSERT_EQ(bu, 1);
	MTEST_ASSERT_MEM_EQ(ring, want, sizeof(want));
	MTEST_ASSERT_EQ(ring[32], 0xee);

	/* and the decoders read the same bytes back */
	MTEST_ASSERT_EQ(MANA_GET(want, GDMA_WQE_NUM_SGE), 1);
	MTEST_ASSERT_EQ(MANA_GET(want, GDMA_WQE_INLINE_OOB_SIZE_DIV4), 2);
	MTEST_ASSERT_EQ(MANA_GET(want + 8, MANA_TX_OOB_VCQ_NUM), 0x123456);
	MTEST_ASSERT_EQ(MANA_GET(want + 8, MANA_TX_OOB_VSQ_FRAME), 7);
	MTEST_ASSERT_EQ(MANA_GET(want + 8, MANA_TX_OOB_SHORT_VP_OFFSET), 5);
	return MTEST_SUCCESS;
}

/* Spec §3.5 example 2: TX, two SGEs, long OOB (VLAN insertion), two BUs. */
static int
test_golden_tx_long_oob(void)
{
	/*
	 * OOB: long format, IPv4 with IP and TCP checksum offload,
	 * vcq_num 0x42, trans_off 34; VLAN PCP 3, VID 100 inserted.
	 */
	static const uint8_t want[64] = {
		0x00, 0x00, 0x00, 0x00,  0x02, 0x06, 0x00, 0x00, /* header */
		0x35, 0x42, 0x00, 0x00,  0x22, 0x00, 0x00, 0x00, /* short part */
		0x08, 0x00, 0x43, 0x06,  0x00, 0x00, 0x00, 0x00, /* long part */
		0x00, 0x00, 0x00, 0x00,  0x00, 0x00, 0x00, 0x00,
		G_SGE_ADDR_BYTES, G_SGE_KEY_BYTES, 0x3c, 0x00, 0x00, 0x00,
		G_SGE_ADDR_BYTES, G_SGE_KEY_BYTES, 0x3c, 0x00, 0x00, 0x00,
	};
	uint8_t ring[4096];
	struct gdma_sge sgl[2] = { g_sge, g_sge };
	struct gdma_wqe hdr = { .dw = { 0, gdma_wqe_hdr_dw1(2, 24, 0, false) } };
	struct mana_tx_oob oob = { .dw = { 0 } };
	uint32_t bu;

	oob.dw[0] = MANA_VAL(MANA_TX_OOB_PKT_FMT, MANA_LONG_PKT_FMT) |
		    MANA_VAL(MANA_TX_OOB_IS_OUTER_IPV4, 1) |
		    MANA_VAL(MANA_TX_OOB_COMP_IPHDR_CSUM, 1) |
		    MANA_VAL(MANA_TX_OOB_COMP_TCP_CSUM, 1) |
		    MANA_VAL(MANA_TX_OOB_VCQ_NUM, 0x42);
	oob.dw[1] = MANA_VAL(MANA_TX_OOB_TRANS_OFF, 34);
	oob.dw[2] = MANA_VAL(MANA_TX_OOB_INJECT_VLAN_PRI_TAG, 1) |
		    MANA_VAL(MANA_TX_OOB_PCP, 3) |
		    MANA_VAL(MANA_TX_OOB_VLAN_ID, 100);
	memset(ring, 0xee, sizeof(ring));
	bu = gdma_wq_write_wqe(ring, sizeof(ring) - 1, 0, &hdr, &oob, 24, sgl, 2);
	MTEST_ASSERT_EQ(bu, 2);
	MTEST_ASSERT_MEM_EQ(ring, want, sizeof(want));
	MTEST_ASSERT_EQ(MANA_GET(want + 8, MANA_TX_OOB_VLAN_ID), 100);
	MTEST_ASSERT_EQ(MANA_GET(want + 8, MANA_TX_OOB_PCP), 3);
	MTEST_ASSERT_EQ(MANA_GET(want + 8, MANA_TX_OOB_PKT_FMT), MANA_LONG_PKT_FMT);
	return MTEST_SUCCESS;
}

/* Spec §3.5 example 3: TSO header, 3 SGEs, 54-byte headers, MSS 1448. */
static int
test_golden_tso_header(void)
{
	static const uint8_t want_hdr[8] = {
		0x00, 0x00, 0x00, 0x36,  0x03, 0x0a, 0xa8, 0x05,
	};
	struct gdma_wqe hdr = {
		.dw = {
			MANA_VAL(GDMA_WQE_LAST_VBYTES, 54),
			gdma_wqe_hdr_dw1(3, 8, 1448, true),
		},
	};

	MTEST_ASSERT_EQ(hdr.dw[0], 0x36000000);
	MTEST_ASSERT_EQ(hdr.dw[1], 0x05A80A03);
	MTEST_ASSERT_MEM_EQ(&hdr, want_hdr, sizeof(want_hdr));
	MTEST_ASSERT_EQ(MANA_GET(want_hdr, GDMA_WQE_CLIENT_DATA_UNIT), 1448);
	MTEST_ASSERT_EQ(MANA_GET(want_hdr, GDMA_WQE_CLIENT_OOB_IN_SGL), 1);
	MTEST_ASSERT_EQ(MANA_GET(want_hdr, GDMA_WQE_LAST_VBYTES), 54);
	MTEST_ASSERT_EQ(gdma_wqe_size_bu(8, 3), 2);
	return MTEST_SUCCESS;
}

/* Spec §3.5 example 4: RX, one SGE, one BU; the 8 OOB bytes zeroed. */
static int
test_golden_rx_one_sge(void)
{
	static const uint8_t want[32] = {
		0x00, 0x00, 0x00, 0x00,  0x01, 0x02, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00,  0x00, 0x00, 0x00, 0x00,
		G_SGE_ADDR_BYTES, G_SGE_KEY_BYTES, 0x3c, 0x00, 0x00, 0x00,
	};
	uint8_t ring[4096];
	struct gdma_wqe hdr = { .dw = { 0, gdma_wqe_hdr_dw1(1, 8, 0, false) } };
	uint32_t bu;

	memset(ring, 0xee, sizeof(ring));
	/* the last BU of the ring: no wrap needed for a 1-BU WQE */
	bu = gdma_wq_write_wqe(ring, sizeof(ring) - 1, 4096 / 32 - 1, &hdr,
			       NULL, 8, &g_sge, 1);
	MTEST_ASSERT_EQ(bu, 1);
	MTEST_ASSERT_MEM_EQ(ring + 4096 - 32, want, sizeof(want));
	MTEST_ASSERT_EQ(ring[0], 0xee);
	MTEST_ASSERT_EQ(gdma_wqe_size_bu(8, 1), 1);
	MTEST_ASSERT_EQ(gdma_wqe_size_bu(8, 0), 1);
	MTEST_ASSERT_EQ(gdma_wqe_size_bu(24, 30), 16);
	MTEST_ASSERT_EQ(gdma_wqe_size_bu(8, 15), 8);
	return MTEST_SUCCESS;
}

/* Spec §6.2: 64-bit doorbell values for each queue type. */
static int
test_doorbell_encodings(void)
{
	/* SQ: id 0x123, producer at BU 0x102 -> tail_ptr 0x2040 */
	MTEST_ASSERT_EQ(gdma_db_sq_value(0x123, 0x102 * 32), 0x0000204000000123ull);
	/* ids are 24 bits */
	MTEST_ASSERT_EQ(gdma_db_sq_value(0x1abcdef, 0), 0x0000000000abcdefull);
	/* tail_ptr is free-running modulo 2^32 */
	MTEST_ASSERT_EQ(gdma_db_sq_value(7, 0xffffffe0u), 0xffffffe000000007ull);
	/* RQ: wqe_cnt (bits 24-31) stays 0 */
	MTEST_ASSERT_EQ(gdma_db_rq_value(0x456, 0x40), 0x0000004000000456ull);
	/* CQ: N = 256 after 10 CQEs -> head 266 -> tail_ptr 266 (spec example) */
	MTEST_ASSERT_EQ(gdma_db_cq_value(0x45, 266, 256, 0), 0x0000010a00000045ull);
	MTEST_ASSERT_EQ(gdma_db_cq_value(0x45, 266, 256, 1), 0x8000010a00000045ull);
	/* CQ tail is the head modulo 8N */
	MTEST_ASSERT_EQ(gdma_db_cq_value(0x45, 256 * 8 + 10, 256, 0),
			0x0000000a00000045ull);
	/* and the field lists agree with the encoders */
	{
		uint64_t v = gdma_db_cq_value(0x45, 266, 256, 1);
		uint32_t w[2] = { (uint32_t)v, (uint32_t)(v >> 32) };

		MTEST_ASSERT_EQ(MANA_GET(w, GDMA_DB_CQ_ID), 0x45);
		MTEST_ASSERT_EQ(MANA_GET(w, GDMA_DB_CQ_TAIL_PTR), 266);
		MTEST_ASSERT_EQ(MANA_GET(w, GDMA_DB_CQ_ARM), 1);
	}
	MTEST_ASSERT_EQ(DOORBELL_OFFSET_SQ, 0x000);
	MTEST_ASSERT_EQ(DOORBELL_OFFSET_RQ, 0x400);
	MTEST_ASSERT_EQ(DOORBELL_OFFSET_CQ, 0x800);
	return MTEST_SUCCESS;
}

/* The SGL wraps at the ring end, for every start position in a small ring. */
static int
test_sgl_wrap_every_position(void)
{
	enum { RING = 512 };
	static const uint32_t oobs[] = { 8, 24 };
	uint8_t ring[RING];
	struct gdma_sge sgl[MAX_TX_WQE_SGL_ENTRIES];
	uint32_t o, head, n, i;

	for (i = 0; i < MAX_TX_WQE_SGL_ENTRIES; i++) {
		sgl[i].address = 0x1000000000ull + i * 0x101;
		sgl[i].mem_key = 0x100 + i;
		sgl[i].size = 64 + i;
	}
	for (o = 0; o < MTEST_N(oobs); o++) {
		for (n = 1; n <= MAX_TX_WQE_SGL_ENTRIES; n++) {
			uint32_t bytes = 8 + oobs[o] + 16 * n;
			uint32_t bus = (bytes + 31) / 32;

			if (bus * 32 > RING)
				continue;
			for (head = 0; head < 3 * RING / 32; head++) {
				uint32_t start = (head * 32) % RING;
				struct gdma_wqe hdr = {
					.dw = { 0, gdma_wqe_hdr_dw1(n, oobs[o], 0, false) },
				};
				uint32_t got;

				memset(ring, 0xee, sizeof(ring));
				got = gdma_wq_write_wqe(ring, RING - 1, head, &hdr,
							NULL, oobs[o], sgl, n);
				MTEST_ASSERT(got == bus, "n=%u oob=%u: %u BUs", n, oobs[o], got);
				MTEST_ASSERT_MEM_EQ(ring + start, &hdr, sizeof(hdr));
				for (i = 0; i < n; i++) {
					uint32_t at = (start + 8 + oobs[o] + 16 * i) % RING;

					MTEST_ASSERT(memcmp(ring + at, &sgl[i], 16) == 0,
						     "head %u oob %u n %u: SGE %u not at %u",
						     head, oobs[o], n, i, at);
				}
				/* nothing outside the WQE's bytes was written */
				for (i = bytes; i < RING; i++)
					MTEST_ASSERT(ring[(start + i) % RING] == 0xee,
						     "head %u n %u: byte %u written",
						     head, n, (start + i) % RING);
			}
		}
	}
	return MTEST_SUCCESS;
}

/* Device side of a CQ, written independently of gdma_ring.h. */
struct fake_cq {
	struct gdma_cqe *ring;
	uint32_t depth;
	uint64_t k;	/* CQEs written so far */
};

static void
fake_cq_write(struct fake_cq *cq, uint32_t tag)
{
	struct gdma_cqe *e = &cq->ring[cq->k % cq->depth];
	uint32_t owner = (uint32_t)((cq->k / cq->depth) + 1) % 8;

	memset(e, 0, sizeof(*e));
	e->cqe_data[0] = tag;
	e->cqe_info = (owner << 29) | 0x77;
	cq->k++;
}

/* Owner bits stay in step over many laps; empty and valid are told apart. */
static int
test_cq_owner_many_laps(void)
{
	enum { LOG2 = 3, N = 1 << LOG2 };
	struct gdma_cqe ring[N];
	struct fake_cq cq = { .ring = ring, .depth = N, .k = 0 };
	uint32_t head = N;	/* consumer starts at N */
	uint32_t next_tag = 1, expect_tag = 1;
	unsigned int round;
	const struct gdma_cqe *e;

	memset(ring, 0, sizeof(ring));
	MTEST_ASSERT_EQ(gdma_cq_poll(ring, LOG2, head, &e), GDMA_CQ_EMPTY);
	for (round = 0; round < 5000; round++) {
		uint32_t burst = (round * 7 + 3) % (N + 1);	/* 0..N */
		uint32_t i;

		for (i = 0; i < burst; i++)
			fake_cq_write(&cq, next_tag++);
		for (i = 0; i < burst; i++) {
			MTEST_ASSERT(gdma_cq_poll(ring, LOG2, head, &e) == GDMA_CQ_VALID,
				     "round %u entry %u", round, i);
			MTEST_ASSERT_EQ(e->cqe_data[0], expect_tag);
			MTEST_ASSERT_EQ(MANA_GET(e, GDMA_CQE_WQ_NUM), 0x77);
			expect_tag++;
			head++;
		}
		MTEST_ASSERT(gdma_cq_poll(ring, LOG2, head, &e) == GDMA_CQ_EMPTY,
			     "round %u: not empty", round);
	}
	MTEST_ASSERT(cq.k > 8 * 8 * N, "only %u laps", (unsigned int)(cq.k / N));
	/* the library's device-side formula agrees */
	MTEST_ASSERT_EQ(gdma_cqe_owner_for(0, N), 1);
	MTEST_ASSERT_EQ(gdma_cqe_owner_for(N - 1, N), 1);
	MTEST_ASSERT_EQ(gdma_cqe_owner_for(N, N), 2);
	MTEST_ASSERT_EQ(gdma_cqe_owner_for(7 * N, N), 0);
	MTEST_ASSERT_EQ(gdma_cqe_owner_for(8 * N, N), 1);
	return MTEST_SUCCESS;
}

/* A device that laps the consumer is detected, at every consumer position. */
static int
test_cq_overflow_detected(void)
{
	enum { LOG2 = 2, N = 1 << LOG2 };
	struct gdma_cqe ring[N];
	uint32_t start;
	const struct gdma_cqe *e;

	for (start = 0; start < 10 * N; start++) {
		struct fake_cq cq = { .ring = ring, .depth = N, .k = 0 };
		uint32_t head = N, i;

		memset(ring, 0, sizeof(ring));
		/* consume `start` entries normally */
		for (i = 0; i < start; i++) {
			fake_cq_write(&cq, i);
			MTEST_ASSERT_EQ(gdma_cq_poll(ring, LOG2, head, &e), GDMA_CQ_VALID);
			head++;
		}
		/* the device writes N + 1 more: the consumer's slot is lapped */
		for (i = 0; i <= N; i++)
			fake_cq_write(&cq, 1000 + i);
		MTEST_ASSERT(gdma_cq_poll(ring, LOG2, head, &e) == GDMA_CQ_OVERFLOW,
			     "start %u: overflow not seen", start);
	}
	return MTEST_SUCCESS;
}

/*
 * gdma_cq_resync(): one entry with owner bits jumped ahead is taken as this
 * lap's (once: a lap later it reads consumed), whether the next entry is
 * written yet or not; a device that lapped the consumer by 1 to 2N - 1
 * entries is followed from the oldest entry left, every one of them in
 * order. At every consumer position.
 */
static int
test_cq_resync(void)
{
	enum { LOG2 = 2, N = 1 << LOG2 };
	struct gdma_cqe ring[N];
	const struct gdma_cqe *e;
	uint32_t start, extra, i;

	for (start = 0; start < 3 * N; start++) {
		for (extra = 0; extra < 2; extra++) {
			struct fake_cq cq = { .ring = ring, .depth = N, .k = 0 };
			uint32_t head = N, h;

			memset(ring, 0, sizeof(ring));
			for (i = 0; i < start; i++) {
				fake_cq_write(&cq, i);
				MTEST_ASSERT_EQ(gdma_cq_poll(ring, LOG2, head, &e), GDMA_CQ_VALID);
				head++;
			}
			/* the next entry's owner bits two laps ahead */
			fake_cq_write(&cq, 500);
			ring[head & (N - 1)].cqe_info += 2u << 29;
			if (extra)
				fake_cq_write(&cq, 501);
			MTEST_ASSERT_EQ(gdma_cq_poll(ring, LOG2, head, &e), GDMA_CQ_OVERFLOW);
			h = gdma_cq_resync(ring, LOG2, head);
			MTEST_ASSERT(h == head, "start %u: resync to %u from %u", start, h, head);
			e = gdma_cq_take(ring, LOG2, head);
			MTEST_ASSERT_EQ(e->cqe_data[0], 500);
			head++;
			if (extra) {
				MTEST_ASSERT_EQ(gdma_cq_poll(ring, LOG2, head, &e), GDMA_CQ_VALID);
				MTEST_ASSERT_EQ(e->cqe_data[0], 501);
				head++;
			}
			/* a lap on, the taken entry reads consumed until written again */
			for (i = 0; i < N - 1 - extra; i++) {
				fake_cq_write(&cq, 600 + i);
				MTEST_ASSERT_EQ(gdma_cq_poll(ring, LOG2, head, &e), GDMA_CQ_VALID);
				head++;
			}
			MTEST_ASSERT(gdma_cq_poll(ring, LOG2, head, &e) == GDMA_CQ_EMPTY,
				     "start %u: the taken entry is seen again", start);
		}
		for (extra = 1; extra < 2 * N; extra++) {
			struct fake_cq cq = { .ring = ring, .depth = N, .k = 0 };
			uint32_t head = N, h, first;

			memset(ring, 0, sizeof(ring));
			for (i = 0; i < start; i++) {
				fake_cq_write(&cq, i);
				MTEST_ASSERT_EQ(gdma_cq_poll(ring, LOG2, head, &e), GDMA_CQ_VALID);
				head++;
			}
			/* N + extra entries while the consumer sleeps: lapped */
			for (i = 0; i < N + extra; i++)
				fake_cq_write(&cq, 1000 + i);
			first = 1000 + extra;	/* the oldest one left */
			for (i = 0; i < 4; i++) {
				enum gdma_cq_poll r = gdma_cq_poll(ring, LOG2, head, &e);

				if (r != GDMA_CQ_OVERFLOW)
					break;
				h = gdma_cq_resync(ring, LOG2, head);
				MTEST_ASSERT(h != head, "start %u extra %u: no progress", start, extra);
				head = h;
			}
			for (i = 0; i < N; i++) {
				MTEST_ASSERT(gdma_cq_poll(ring, LOG2, head, &e) == GDMA_CQ_VALID,
					     "start %u extra %u: entry %u not valid", start, extra, i);
				MTEST_ASSERT(e->cqe_data[0] == first + i,
					     "start %u extra %u: entry %u is %u, %u expected", start,
					     extra, i, e->cqe_data[0], first + i);
				head++;
			}
			MTEST_ASSERT_EQ(gdma_cq_poll(ring, LOG2, head, &e), GDMA_CQ_EMPTY);
		}
	}
	return MTEST_SUCCESS;
}

/* Free-space arithmetic across the 32-bit wrap of the BU counters. */
static int
test_wq_free_space(void)
{
	MTEST_ASSERT_EQ(gdma_wq_free_bytes(4096, 0, 0), 4096);
	MTEST_ASSERT_EQ(gdma_wq_free_bytes(4096, 10, 2), 4096 - 8 * 32);
	MTEST_ASSERT_EQ(gdma_wq_free_bytes(4096, 5, 0xfffffffbu), 4096 - 10 * 32);
	MTEST_ASSERT_EQ(gdma_wq_free_bytes(4096, 128, 0), 0);
	return MTEST_SUCCESS;
}

/* The decoder prints kernel field names and values. */
static int
test_decoder(void)
{
	static const uint8_t hdr[8] = { 0x00, 0x00, 0x00, 0x36, 0x03, 0x0a, 0xa8, 0x05 };
	char buf[256];
	int n;

	n = mana_fmt_decode(buf, sizeof(buf), gdma_wqe_fields,
			    MANA_FIELDS_N(gdma_wqe_fields), hdr, 0);
	MTEST_ASSERT(n > 0, "decode failed");
	MTEST_ASSERT(strcmp(buf, "last_vbytes=0x36 num_sge=0x3 inline_oob_size_div4=0x2 "
			    "client_oob_in_sgl=0x1 client_data_unit=0x5a8") == 0,
		     "got '%s'", buf);
	/* truncation is reported like snprintf */
	n = mana_fmt_decode(buf, 8, gdma_wqe_fields, MANA_FIELDS_N(gdma_wqe_fields), hdr, 0);
	MTEST_ASSERT(n > 8 && strlen(buf) == 7, "n %d len %zu", n, strlen(buf));
	MTEST_ASSERT_EQ(strcmp(mana_cqe_type_name(CQE_TX_SA_DROP), "CQE_TX_SA_DROP"), 0);
	MTEST_ASSERT(mana_cqe_type_name(63) == NULL, "unknown type named");
	return MTEST_SUCCESS;
}

static const struct mtest_case cases[] = {
	{ "golden_tx_short_oob", test_golden_tx_short_oob },
	{ "golden_tx_long_oob", test_golden_tx_long_oob },
	{ "golden_tso_header", test_golden_tso_header },
	{ "golden_rx_one_sge", test_golden_rx_one_sge },
	{ "doorbell_encodings", test_doorbell_encodings },
	{ "sgl_wrap_every_position", test_sgl_wrap_every_position },
	{ "cq_owner_many_laps", test_cq_owner_many_laps },
	{ "cq_overflow_detected", test_cq_overflow_detected },
	{ "cq_resync", test_cq_resync },
	{ "wq_free_space", test_wq_free_space },
	{ "decoder", test_decoder },
};

int
main(int argc, char **argv)
{
	return mtest_run("gdma", cases, MTEST_N(cases), argc, argv);
}
