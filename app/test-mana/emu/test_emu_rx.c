/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Emulator-core RX tests: golden RX CQE, RSS queue choice with the spec's
 * test vectors, coalescing, checksum flags, scatter, truncation, filters
 * and RX faults.
 */

#include <errno.h>
#include <stdio.h>

#include "emu_test.h"

/* Standard Microsoft RSS verification key (spec §10.2). */
static const uint8_t ms_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
	0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
	0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
	0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

static void
post_n(struct fx *f, uint32_t q, uint32_t n, uint32_t size)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		fx_post_rx(f, q, f->mem + 65536 * (q + 1) + 2048 * (f->rq[q].head / 32 % 32),
			   size);
	fx_ring_rq(f, q);
}

/* One UDP frame, coalescing off: the device writes exactly the golden CQE. */
static int
test_golden_rx_cqe(void)
{
	static const struct fx_opts o = { .n_rq = 1, .no_coalescing = true, .key = ms_key };
	uint8_t want[64] = {
		0x41, 0x00, 0x00, 0x00,		/* CQE_RX_OKAY, client_type 1 */
		0x00, 0x00, 0x04, 0x22,		/* UDP_IPV4 hash, IP + UDP csum good */
		0, 0, 0, 0,  0, 0, 0, 0,	/* ppi[0] len patched below */
		0x78, 0xc1, 0xcc, 0x51,		/* pkt_hash 0x51ccc178 */
		[60] = 0x03, 0x04, 0x00, 0x20,	/* wq_num 0x403, RQ, owner 1 */
	};
	uint8_t frame[256];
	struct gdma_cqe cqe;
	struct fx f;
	uint32_t len;

	MTEST_ASSERT_EQ(fx_init(&f, &o), 0);
	MTEST_ASSERT_EQ(f.rq[0].id.wq_id, 0x403);
	post_n(&f, 0, 1, 2048);
	len = fx_frame4(frame, f.mac, (const uint8_t *)"\x02\x00\x00\x00\x00\x09",
			IPPROTO_UDP, fx_ip4(66, 9, 149, 187), fx_ip4(161, 142, 100, 80),
			2794, 1766, 50);
	want[8] = (uint8_t)len;
	MTEST_ASSERT_EQ(emu_port_inject_rx(f.dev, 0, frame, len), 0);
	emu_dev_step(f.dev);
	MTEST_ASSERT_EQ(fx_cqe(&f, &f.rq[0], &cqe), 1);
	MTEST_ASSERT_MEM_EQ(&cqe, want, 64);
	MTEST_ASSERT_MEM_EQ(f.mem + 65536, frame, len);
	MTEST_ASSERT_EQ(emu_violation_count(f.dev, EMU_VIOL_NONE), 0);
	fx_fini(&f);
	return MTEST_SUCCESS;
}

struct rss_vec {
	uint8_t v6;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint32_t h_ip, h_l4;
};

static const struct rss_vec vecs[] = {
	{ 0, { 66, 9, 149, 187 }, { 161, 142, 100, 80 }, 2794, 1766, 0x323e8fc2, 0x51ccc178 },
	{ 0, { 199, 92, 111, 2 }, { 65, 69, 140, 83 }, 14230, 4739, 0xd718262a, 0xc626b0ea },
	{ 0, { 24, 19, 198, 95 }, { 12, 22, 207, 184 }, 12898, 38024, 0xd2d0a5de, 0x5c2b394a },
	{ 0, { 38, 27, 205, 30 }, { 209, 142, 163, 6 }, 48228, 2217, 0x82989176, 0xafc7327f },
	{ 0, { 153, 39, 163, 191 }, { 202, 188, 127, 2 }, 44251, 1303, 0x5d1809c5, 0x10e828a2 },
	{ 1, { 0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x1f, 0xff, 0, 0, 0, 0, 0, 0, 0, 0x07 },
	     { 0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x00, 0x03, 0, 0, 0, 0, 0, 0, 0, 0x01 },
	  2794, 1766, 0x2cc18cd5, 0x40207d3d },
	{ 1, { 0x3f, 0xfe, 0x05, 0x01, 0x00, 0x08, 0x00, 0x00, 0x02, 0x60, 0x97, 0xff,
	       0xfe, 0x40, 0xef, 0xab },
	     { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01 },
	  14230, 4739, 0x0f0c461c, 0xdde51bbf },
	{ 1, { 0x3f, 0xfe, 0x19, 0x00, 0x45, 0x45, 0x00, 0x03, 0x02, 0x00, 0xf8, 0xff,
	       0xfe, 0x21, 0x67, 0xcf },
	     { 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x00, 0xf8, 0xff, 0xfe, 0x21, 0x67, 0xcf },
	  44251, 38024, 0x4b61e985, 0x02d1feef },
};

/* Inject @p frame; returns the RQ index that completed it, -1 if none/many. */
static int
rx_which(struct fx *f, const uint8_t *frame, uint32_t len, struct gdma_cqe *out)
{
	int which = -1, n = 0;
	uint32_t q;

	if (emu_port_inject_rx(f->dev, 0, frame, len) != 0)
		return -1;
	emu_dev_step(f->dev);
	for (q = 0; q < f->n_rq; q++) {
		struct gdma_cqe c;

		while (fx_cqe(f, &f->rq[q], &c) == 1) {
			which = (int)q;
			*out = c;
			n++;
		}
	}
	return n == 1 ? which : -1;
}

/* RSS: hash value, hash type and queue = table[hash & 63] for the spec vectors. */
static int
test_rss_vectors(void)
{
	static const struct fx_opts o = { .n_rq = 4, .rss = true, .key = ms_key };
	uint8_t frame[256];
	struct gdma_cqe c;
	struct fx f;
	uint32_t i, len, q, pass;

	MTEST_ASSERT_EQ(fx_init(&f, &o), 0);
	for (q = 0; q < 4; q++)
		post_n(&f, q, 32, 2048);
	for (i = 0; i < MTEST_N(vecs); i++) {
		const struct rss_vec *v = &vecs[i];

		for (pass = 0; pass < 3; pass++) {
			uint8_t proto = pass == 0 ? IPPROTO_TCP : pass == 1 ? IPPROTO_UDP : 47;
			uint32_t want = pass < 2 ? v->h_l4 : v->h_ip;
			uint32_t type;
			int got;

			if (v->v6) {
				len = fx_frame6(frame, f.mac, f.mac, proto, v->src, v->dst,
						v->sport, v->dport, 16);
				type = pass == 0 ? NDIS_HASH_TCP_IPV6 : pass == 1 ?
					NDIS_HASH_UDP_IPV6 : NDIS_HASH_IPV6;
			} else {
				len = fx_frame4(frame, f.mac, f.mac, proto,
						fx_ip4(v->src[0], v->src[1], v->src[2], v->src[3]),
						fx_ip4(v->dst[0], v->dst[1], v->dst[2], v->dst[3]),
						v->sport, v->dport, 16);
				type = pass == 0 ? NDIS_HASH_TCP_IPV4 : pass == 1 ?
					NDIS_HASH_UDP_IPV4 : NDIS_HASH_IPV4;
			}
			got = rx_which(&f, frame, len, &c);
			if (got != (int)((want & 63) % 4))
				MTEST_FAIL("vector %u pass %u: queue %d, expected %u", i, pass,
					   got, (want & 63) % 4);
			MTEST_ASSERT_EQ(c.cqe_data[4], want);
			MTEST_ASSERT_EQ(MANA_GET(c.cqe_data, MANA_RXCOMP_RX_HASHTYPE), type);
		}
	}
	/* an IPv4 fragment (MF set) of UDP: address-only type and hash */
	len = fx_frame4(frame, f.mac, f.mac, IPPROTO_UDP,
			fx_ip4(vecs[0].src[0], vecs[0].src[1], vecs[0].src[2], vecs[0].src[3]),
			fx_ip4(vecs[0].dst[0], vecs[0].dst[1], vecs[0].dst[2], vecs[0].dst[3]),
			vecs[0].sport, vecs[0].dport, 16);
	frame[14 + 6] |= 0x20;
	MTEST_ASSERT_EQ(rx_which(&f, frame, len, &c), (int)((vecs[0].h_ip & 63) % 4));
	MTEST_ASSERT_EQ(MANA_GET(c.cqe_data, MANA_RXCOMP_RX_HASHTYPE), NDIS_HASH_IPV4);
	MTEST_ASSERT_EQ(c.cqe_data[4], vecs[0].h_ip);
	/* non-IP: no hash, default RX object (the last RQ) */
	memset(frame, 0, 64);
	memcpy(frame, f.mac, 6);
	memcpy(frame + 6, f.mac, 6);
	frame[12] = 0x08;
	frame[13] = 0x06;
	MTEST_ASSERT_EQ(rx_which(&f, frame, 60, &c), 3);
	MTEST_ASSERT_EQ(MANA_GET(c.cqe_data, MANA_RXCOMP_RX_HASHTYPE), 0);
	MTEST_ASSERT_EQ(c.cqe_data[4], 0);
	MTEST_ASSERT_EQ(emu_violation_count(f.dev, EMU_VIOL_NONE), 0);
	fx_fini(&f);
	return MTEST_SUCCESS;
}

/* Coalescing: 6 same-flag packets -> COALESCED_4 (4) + COALESCED_4 (2, rest zero). */
static int
test_rx_coalescing(void)
{
	static const struct fx_opts o = { .n_rq = 1 };
	uint8_t frame[6][256];
	struct emu_vport_stats vs;
	struct gdma_cqe c;
	struct fx f;
	uint32_t len[6], i;

	MTEST_ASSERT_EQ(fx_init(&f, &o), 0);
	post_n(&f, 0, 8, 2048);
	for (i = 0; i < 6; i++) {
		len[i] = fx_frame4(frame[i], f.mac, f.mac, IPPROTO_UDP, fx_ip4(1, 1, 1, 1),
				   fx_ip4(2, 2, 2, 2), 7, 9, 10 + i);
		MTEST_ASSERT_EQ(emu_port_inject_rx(f.dev, 0, frame[i], len[i]), 0);
	}
	emu_dev_step(f.dev);
	MTEST_ASSERT_EQ(fx_cqe(&f, &f.rq[0], &c), 1);
	MTEST_ASSERT_EQ(MANA_GET(c.cqe_data, MANA_CQE_HDR_CQE_TYPE), CQE_RX_COALESCED_4);
	for (i = 0; i < 4; i++) {
		MTEST_ASSERT_EQ(c.cqe_data[2 + 3 * i], len[i]);
		MTEST_ASSERT_MEM_EQ(f.mem + 65536 + 2048 * i, frame[i], len[i]);
	}
	MTEST_ASSERT_EQ(c.cqe_data[14], 0);
	MTEST_ASSERT_EQ(fx_cqe(&f, &f.rq[0], &c), 1);
	MTEST_ASSERT_EQ(MANA_GET(c.cqe_data, MANA_CQE_HDR_CQE_TYPE), CQE_RX_COALESCED_4);
	MTEST_ASSERT_EQ(c.cqe_data[2], len[4]);
	MTEST_ASSERT_EQ(c.cqe_data[5], len[5]);
	for (i = 8; i < 14; i++)
		MTEST_ASSERT_EQ(c.cqe_data[i], 0);	/* ppi[2], ppi[3] zeroed */
	MTEST_ASSERT_EQ(c.cqe_data[14], 4 * 32);
	MTEST_ASSERT_EQ(fx_cqe(&f, &f.rq[0], &c), 0);
	MTEST_ASSERT_EQ(emu_vport_stats_get(f.dev, 0, &vs), 0);
	MTEST_ASSERT_EQ(vs.rx_coalesced_cqes, 2);
	MTEST_ASSERT_EQ(vs.rx_frames, 6);
	fx_fini(&f);
	return MTEST_SUCCESS;
}

/* CQE_RX_COALESCED_8: 11 packets -> 8 (two per ppi slot) + 3. */
static int
test_rx_coalescing_8(void)
{
	static const struct fx_opts o = { .n_rq = 1, .cqe8 = true, .key = ms_key };
	uint8_t frame[11][256];
	struct gdma_cqe c;
	struct fx f;
	uint32_t len[11], i;
	struct mana_rxcomp_perpkt_info_v2 v;

	MTEST_ASSERT_EQ(fx_init(&f, &o), 0);
	post_n(&f, 0, 12, 2048);
	for (i = 0; i < 11; i++) {
		len[i] = fx_frame4(frame[i], f.mac, f.mac, IPPROTO_UDP, fx_ip4(1, 1, 1, 1),
				   fx_ip4(2, 2, 2, 2), 7, 9, 10 + i);
		MTEST_ASSERT_EQ(emu_port_inject_rx(f.dev, 0, frame[i], len[i]), 0);
	}
	emu_dev_step(f.dev);
	MTEST_ASSERT_EQ(fx_cqe(&f, &f.rq[0], &c), 1);
	MTEST_ASSERT_EQ(MANA_GET(c.cqe_data, MANA_CQE_HDR_CQE_TYPE), CQE_RX_COALESCED_8);
	for (i = 0; i < 8; i++) {
		memcpy(&v, &c.cqe_data[2 + 3 * (i / 2)], sizeof(v));
		MTEST_ASSERT_EQ(i % 2 ? v.pkt_len1 : v.pkt_len0, len[i]);
		MTEST_ASSERT_MEM_EQ(f.mem + 65536 + 2048 * i, frame[i], len[i]);
	}
	/* byte layout of slot 0: hash0 at 0, len0 at 4, len1 at 6, hash1 at 8 */
	MTEST_ASSERT_EQ(c.cqe_data[3] & 0xFFFF, len[0]);
	MTEST_ASSERT_EQ(c.cqe_data[3] >> 16, len[1]);
	MTEST_ASSERT(c.cqe_data[2] != 0, "hash0 of packet 0 present");
	MTEST_ASSERT_EQ(c.cqe_data[2], c.cqe_data[4]);	/* same flow, same hash */
	MTEST_ASSERT_EQ(fx_cqe(&f, &f.rq[0], &c), 1);
	MTEST_ASSERT_EQ(MANA_GET(c.cqe_data, MANA_CQE_HDR_CQE_TYPE), CQE_RX_COALESCED_8);
	memcpy(&v, &c.cqe_data[2], sizeof(v));
	MTEST_ASSERT_EQ(v.pkt_len0, len[8]);
	MTEST_ASSERT_EQ(v.pkt_len1, len[9]);
	memcpy(&v, &c.cqe_data[5], sizeof(v));
	MTEST_ASSERT_EQ(v.pkt_len0, len[10]);
	MTEST_ASSERT_EQ(v.pkt_len1, 0);
	MTEST_ASSERT_EQ(c.cqe_data[14], 8 * 32);
	MTEST_ASSERT_EQ(fx_cqe(&f, &f.rq[0], &c), 0);
	fx_fini(&f);
	return MTEST_SUCCESS;
}

/* Checksum flags: good, bad IP header, bad UDP, bad TCP; different flags do not coalesce. */
static int
test_rx_csum_flags(void)
{
	static const struct fx_opts o = { .n_rq = 1 };
	uint8_t fr[4][256];
	struct gdma_cqe c;
	struct fx f;
	uint32_t len[4], i;
	static const uint32_t want[4] = {
		(1u << 25) | (1u << 29),	/* ip ok, udp ok */
		(1u << 26) | (1u << 29),	/* ip bad, udp ok */
		(1u << 25) | (1u << 30),	/* ip ok, udp bad */
		(1u << 25) | (1u << 28),	/* ip ok, tcp bad */
	};

	MTEST_ASSERT_EQ(fx_init(&f, &o), 0);
	post_n(&f, 0, 8, 2048);
	for (i = 0; i < 4; i++)
		len[i] = fx_frame4(fr[i], f.mac, f.mac, i == 3 ? IPPROTO_TCP : IPPROTO_UDP,
				   fx_ip4(1, 1, 1, 1), fx_ip4(2, 2, 2, 2), 7, 9, 20);
	fr[1][14 + 10] ^= 0x55;		/* IP checksum */
	fr[2][14 + 20 + 6] ^= 0x55;	/* UDP checksum */
	fr[3][14 + 20 + 16] ^= 0x55;	/* TCP checksum */
	for (i = 0; i < 4; i++)
		MTEST_ASSERT_EQ(emu_port_inject_rx(f.dev, 0, fr[i], len[i]), 0);
	emu_dev_step(f.dev);
	for (i = 0; i < 4; i++) {
		MTEST_ASSERT_EQ(fx_cqe(&f, &f.rq[0], &c), 1);
		MTEST_ASSERT_EQ(MANA_GET(c.cqe_data, MANA_CQE_HDR_CQE_TYPE), CQE_RX_OKAY);
		MTEST_ASSERT_EQ(c.cqe_data[1] & 0x7E000000u, want[i]);
		MTEST_ASSERT_EQ(c.cqe_data[2], len[i]);
	}
	fx_fini(&f);
	return MTEST_SUCCESS;
}

/* A 3-SGE RX WQE (2 BUs) receives a frame scattered over its buffers. */
static int
test_rx_scatter(void)
{
	static const struct fx_opts o = { .n_rq = 1, .no_coalescing = true };
	uint8_t w[64], frame[512];
	struct gdma_cqe c;
	struct fx f;
	uint32_t len, i, sz[3] = { 100, 100, 300 };
	uint8_t *buf[3];

	MTEST_ASSERT_EQ(fx_init(&f, &o), 0);
	memset(w, 0, sizeof(w));
	w[4] = 3;
	w[5] = 2;
	for (i = 0; i < 3; i++) {
		uint64_t a;

		buf[i] = f.mem + 100000 + 1000 * i;
		a = (uintptr_t)buf[i];
		memcpy(w + 16 + 16 * i, &a, 8);
		memcpy(w + 24 + 16 * i, &f.lkey, 4);
		memcpy(w + 28 + 16 * i, &sz[i], 4);
	}
	fx_post_raw(&f.rq[0], w, sizeof(w));
	fx_ring_rq(&f, 0);
	len = fx_frame4(frame, f.mac, f.mac, IPPROTO_UDP, 1, 2, 3, 4, 300);
	MTEST_ASSERT_EQ(emu_port_inject_rx(f.dev, 0, frame, len), 0);
	emu_dev_step(f.dev);
	MTEST_ASSERT_EQ(fx_cqe(&f, &f.rq[0], &c), 1);
	MTEST_ASSERT_EQ(MANA_GET(c.cqe_data, MANA_CQE_HDR_CQE_TYPE), CQE_RX_OKAY);
	MTEST_ASSERT_EQ(c.cqe_data[2], len);
	MTEST_ASSERT_MEM_EQ(buf[0], frame, 100);
	MTEST_ASSERT_MEM_EQ(buf[1], frame + 100, 100);
	MTEST_ASSERT_MEM_EQ(buf[2], frame + 200, len - 200);
	fx_fini(&f);
	return MTEST_SUCCESS;
}

/* Too small a buffer: CQE_RX_TRUNCATED consumes one WQE; the next frame uses the next. */
static int
test_rx_truncated(void)
{
	static const struct fx_opts o = { .n_rq = 1 };
	uint8_t frame[512];
	struct gdma_cqe c;
	struct fx f;
	uint32_t len;

	MTEST_ASSERT_EQ(fx_init(&f, &o), 0);
	fx_post_rx(&f, 0, f.mem + 65536, 100);
	fx_post_rx(&f, 0, f.mem + 65536 + 2048, 2048);
	fx_ring_rq(&f, 0);
	len = fx_frame4(frame, f.mac, f.mac, IPPROTO_UDP, 1, 2, 3, 4, 200);
	MTEST_ASSERT_EQ(emu_port_inject_rx(f.dev, 0, frame, len), 0);
	MTEST_ASSERT_EQ(emu_port_inject_rx(f.dev, 0, frame, len), 0);
	emu_dev_step(f.dev);
	MTEST_ASSERT_EQ(fx_cqe(&f, &f.rq[0], &c), 1);
	MTEST_ASSERT_EQ(MANA_GET(c.cqe_data, MANA_CQE_HDR_CQE_TYPE), CQE_RX_TRUNCATED);
	MTEST_ASSERT_EQ(c.cqe_data[14], 0);
	MTEST_ASSERT_EQ(fx_cqe(&f, &f.rq[0], &c), 1);
	MTEST_ASSERT_EQ(MANA_GET(c.cqe_data, MANA_CQE_HDR_CQE_TYPE), CQE_RX_OKAY);
	MTEST_ASSERT_EQ(c.cqe_data[14], 32);
	MTEST_ASSERT_MEM_EQ(f.mem + 65536 + 2048, frame, len);
	fx_fini(&f);
	return MTEST_SUCCESS;
}

/* MAC filter, multicast/broadcast acceptance, MTU, runt and no-WQE drops. */
static int
test_rx_drops(void)
{
	static const struct fx_opts o = { .n_rq = 1 };
	static const uint8_t other[6] = { 0x02, 0, 0, 0, 0, 0x55 };
	static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0, 0, 1 };
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct emu_vport_stats vs;
	uint8_t frame[2048];
	struct gdma_cqe c;
	struct fx f;
	uint32_t len, n = 0;

	MTEST_ASSERT_EQ(fx_init(&f, &o), 0);
	post_n(&f, 0, 2, 2048);
	len = fx_frame4(frame, other, f.mac, IPPROTO_UDP, 1, 2, 3, 4, 20);
	emu_port_inject_rx(f.dev, 0, frame, len);		/* filtered */
	len = fx_frame4(frame, mcast, f.mac, IPPROTO_UDP, 1, 2, 3, 4, 20);
	emu_port_inject_rx(f.dev, 0, frame, len);		/* accepted */
	len = fx_frame4(frame, bcast, f.mac, IPPROTO_UDP, 1, 2, 3, 4, 20);
	emu_port_inject_rx(f.dev, 0, frame, len);		/* accepted */
	len = fx_frame4(frame, f.mac, f.mac, IPPROTO_UDP, 1, 2, 3, 4, 1473);
	emu_port_inject_rx(f.dev, 0, frame, len);		/* 1515 bytes: MTU */
	emu_port_inject_rx(f.dev, 0, frame, 10);		/* runt */
	len = fx_frame4(frame, f.mac, f.mac, IPPROTO_UDP, 1, 2, 3, 4, 20);
	emu_port_inject_rx(f.dev, 0, frame, len);		/* no WQE left */
	emu_dev_step(f.dev);
	while (fx_cqe(&f, &f.rq[0], &c) == 1)
		n += (MANA_GET(c.cqe_data, MANA_CQE_HDR_CQE_TYPE) == CQE_RX_COALESCED_4) ? 2 : 1;
	MTEST_ASSERT_EQ(n, 2);
	MTEST_ASSERT_EQ(emu_vport_stats_get(f.dev, 0, &vs), 0);
	MTEST_ASSERT_EQ(vs.rx_wire_frames, 6);
	MTEST_ASSERT_EQ(vs.rx_drop_filter, 1);
	MTEST_ASSERT_EQ(vs.rx_drop_mtu, 1);
	MTEST_ASSERT_EQ(vs.rx_drop_runt, 1);
	MTEST_ASSERT_EQ(vs.rx_discards_nowqe, 1);
	MTEST_ASSERT_EQ(vs.rx_frames, 2);
	fx_fini(&f);
	return MTEST_SUCCESS;
}

/* RX faults: truncated frames arrive shorter, corrupted ones flip a bit. */
static int
test_rx_faults(void)
{
	static const struct fx_opts o = { .n_rq = 1, .no_coalescing = true };
	uint8_t frame[512];
	struct emu_vport_stats vs;
	struct gdma_cqe c;
	struct fx f;
	uint32_t len, i, got;

	MTEST_ASSERT_EQ(fx_init(&f, &o), 0);
	post_n(&f, 0, 8, 2048);
	len = fx_frame4(frame, f.mac, f.mac, IPPROTO_UDP, 1, 2, 3, 4, 300);
	MTEST_ASSERT_EQ(emu_fault_rx(f.dev, 0, EMU_RX_FAULT_CORRUPT, 2), 0);
	for (i = 0; i < 3; i++)
		emu_port_inject_rx(f.dev, 0, frame, len);
	emu_dev_step(f.dev);
	for (i = 0; i < 3; i++) {
		MTEST_ASSERT_EQ(fx_cqe(&f, &f.rq[0], &c), 1);
		MTEST_ASSERT_EQ(c.cqe_data[2], len);
		if (i < 2)
			MTEST_ASSERT(memcmp(f.mem + 65536 + 2048 * i, frame, len) != 0,
				     "frame %u corrupted", i);
		else
			MTEST_ASSERT_MEM_EQ(f.mem + 65536 + 2048 * i, frame, len);
	}
	MTEST_ASSERT_EQ(emu_fault_rx(f.dev, 0, EMU_RX_FAULT_TRUNCATE, 1), 0);
	emu_port_inject_rx(f.dev, 0, frame, len);
	emu_dev_step(f.dev);
	MTEST_ASSERT_EQ(emu_vport_stats_get(f.dev, 0, &vs), 0);
	if (fx_cqe(&f, &f.rq[0], &c) == 1) {
		got = c.cqe_data[2] & 0xFFFF;
		MTEST_ASSERT(got < len && got >= 14, "truncated length %u", got);
	} else {
		MTEST_ASSERT_EQ(vs.rx_drop_runt, 1);
	}
	fx_fini(&f);
	return MTEST_SUCCESS;
}

/* The wire input ring is bounded: injection reports -ENOBUFS, counted. */
static int
test_inject_ring_full(void)
{
	static const struct fx_opts o = { .n_rq = 1 };
	static uint8_t frame[2000];
	struct emu_vport_stats vs;
	struct fx f;
	uint32_t n = 0;
	int rc = 0;

	MTEST_ASSERT_EQ(fx_init(&f, &o), 0);
	memcpy(frame, f.mac, 6);
	while (n < 100000 && (rc = emu_port_inject_rx(f.dev, 0, frame, sizeof(frame))) == 0)
		n++;
	MTEST_ASSERT_EQ(rc, -ENOBUFS);
	MTEST_ASSERT(n >= 500 && n < 2048, "%u frames fit the 2 MiB ring", n);
	MTEST_ASSERT_EQ(emu_port_inject_rx(f.dev, 0, frame, 0), -EINVAL);
	MTEST_ASSERT_EQ(emu_port_inject_rx(f.dev, 0, frame, 20000), -EINVAL);
	emu_dev_step(f.dev);
	MTEST_ASSERT_EQ(emu_vport_stats_get(f.dev, 0, &vs), 0);
	MTEST_ASSERT_EQ(vs.rx_drop_ring_full, 1);
	MTEST_ASSERT_EQ(vs.rx_wire_frames, n);
	MTEST_ASSERT_EQ(vs.rx_drop_mtu, n);	/* 2000 bytes > MTU 1500 + 14 */
	/* drained: room again */
	MTEST_ASSERT_EQ(emu_port_inject_rx(f.dev, 0, frame, sizeof(frame)), 0);
	fx_fini(&f);
	return MTEST_SUCCESS;
}

static const struct mtest_case cases[] = {
	{ "golden_rx_cqe", test_golden_rx_cqe },
	{ "rss_vectors", test_rss_vectors },
	{ "rx_coalescing", test_rx_coalescing },
	{ "rx_coalescing_8", test_rx_coalescing_8 },
	{ "rx_csum_flags", test_rx_csum_flags },
	{ "rx_scatter", test_rx_scatter },
	{ "rx_truncated", test_rx_truncated },
	{ "rx_drops", test_rx_drops },
	{ "rx_faults", test_rx_faults },
	{ "inject_ring_full", test_inject_ring_full },
};

int
main(int argc, char **argv)
{
	return mtest_run("emu-rx", cases, MTEST_N(cases), argc, argv);
}
