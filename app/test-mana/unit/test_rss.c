/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Unit tests of RSS input construction: the 16 Microsoft verification
 * vectors of spec §10.2 and the NDIS hash-type choice for frames.
 */

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "mana_rss.h"
#include "mtest.h"

static const uint8_t ms_key[MANA_HASH_KEY_SIZE] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
	0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
	0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
	0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
	0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

struct vector {
	int v6;
	const char *src, *dst;
	uint16_t sport, dport;
	uint32_t l3, l4;
};

/* spec §10.2 table */
static const struct vector vectors[] = {
	{ 0, "66.9.149.187", "161.142.100.80", 2794, 1766, 0x323e8fc2, 0x51ccc178 },
	{ 0, "199.92.111.2", "65.69.140.83", 14230, 4739, 0xd718262a, 0xc626b0ea },
	{ 0, "24.19.198.95", "12.22.207.184", 12898, 38024, 0xd2d0a5de, 0x5c2b394a },
	{ 0, "38.27.205.30", "209.142.163.6", 48228, 2217, 0x82989176, 0xafc7327f },
	{ 0, "153.39.163.191", "202.188.127.2", 44251, 1303, 0x5d1809c5, 0x10e828a2 },
	{ 1, "3ffe:2501:200:1fff::7", "3ffe:2501:200:3::1", 2794, 1766,
	  0x2cc18cd5, 0x40207d3d },
	{ 1, "3ffe:501:8::260:97ff:fe40:efab", "ff02::1", 14230, 4739,
	  0x0f0c461c, 0xdde51bbf },
	{ 1, "3ffe:1900:4545:3:200:f8ff:fe21:67cf", "fe80::200:f8ff:fe21:67cf", 44251, 38024,
	  0x4b61e985, 0x02d1feef },
};

static void
fill(const struct vector *v, struct mana_rss_fields *f, uint32_t type)
{
	memset(f, 0, sizeof(*f));
	f->hash_type = type;
	inet_pton(v->v6 ? AF_INET6 : AF_INET, v->src, f->src);
	inet_pton(v->v6 ? AF_INET6 : AF_INET, v->dst, f->dst);
	f->sport = v->sport;
	f->dport = v->dport;
}

/* All 16 vectors: 8 address-only hashes and 8 with ports. */
static int
test_ms_vectors(void)
{
	unsigned int i, checked = 0;

	for (i = 0; i < MTEST_N(vectors); i++) {
		const struct vector *v = &vectors[i];
		struct mana_rss_fields f;
		uint32_t h;

		fill(v, &f, v->v6 ? NDIS_HASH_IPV6 : NDIS_HASH_IPV4);
		h = mana_rss_hash(&f, ms_key);
		MTEST_ASSERT(h == v->l3, "row %u L3: %#x != %#x", i, h, v->l3);
		checked++;
		fill(v, &f, v->v6 ? NDIS_HASH_TCP_IPV6 : NDIS_HASH_TCP_IPV4);
		h = mana_rss_hash(&f, ms_key);
		MTEST_ASSERT(h == v->l4, "row %u L4: %#x != %#x", i, h, v->l4);
		checked++;
		/* UDP types hash the same fields */
		fill(v, &f, v->v6 ? NDIS_HASH_UDP_IPV6 : NDIS_HASH_UDP_IPV4);
		MTEST_ASSERT_EQ(mana_rss_hash(&f, ms_key), v->l4);
	}
	MTEST_ASSERT_EQ(checked, 16);
	return MTEST_SUCCESS;
}

/* Build an Ethernet frame for a vector: optional VLAN, IPv4/IPv6, TCP/UDP/other. */
static uint32_t
build_frame(uint8_t *b, const struct vector *v, uint8_t proto, int vlan, int frag)
{
	uint32_t off = 12;

	memset(b, 0, 128);
	if (vlan) {
		b[off++] = 0x81; b[off++] = 0x00; b[off++] = 0x00; b[off++] = 0x64;
	}
	if (!v->v6) {
		b[off++] = 0x08; b[off++] = 0x00;
		b[off] = 0x45;
		b[off + 6] = frag ? 0x20 : 0x00;	/* MF */
		b[off + 9] = proto;
		inet_pton(AF_INET, v->src, b + off + 12);
		inet_pton(AF_INET, v->dst, b + off + 16);
		off += 20;
	} else {
		b[off++] = 0x86; b[off++] = 0xdd;
		b[off] = 0x60;
		b[off + 6] = proto;
		inet_pton(AF_INET6, v->src, b + off + 8);
		inet_pton(AF_INET6, v->dst, b + off + 24);
		off += 40;
	}
	b[off] = v->sport >> 8; b[off + 1] = v->sport & 0xff;
	b[off + 2] = v->dport >> 8; b[off + 3] = v->dport & 0xff;
	return off + 20;
}

/* Frames are classified NDIS-style and hash to the vector values. */
static int
test_parse_frames(void)
{
	unsigned int i;

	for (i = 0; i < MTEST_N(vectors); i++) {
		const struct vector *v = &vectors[i];
		struct mana_rss_fields f;
		uint8_t frame[128];
		uint32_t len, t;

		len = build_frame(frame, v, 6, 0, 0);
		t = mana_rss_parse(frame, len, &f);
		MTEST_ASSERT_EQ(t, v->v6 ? NDIS_HASH_TCP_IPV6 : NDIS_HASH_TCP_IPV4);
		MTEST_ASSERT_EQ(mana_rss_hash(&f, ms_key), v->l4);

		len = build_frame(frame, v, 17, 1, 0);
		t = mana_rss_parse(frame, len, &f);
		MTEST_ASSERT_EQ(t, v->v6 ? NDIS_HASH_UDP_IPV6 : NDIS_HASH_UDP_IPV4);
		MTEST_ASSERT_EQ(mana_rss_hash(&f, ms_key), v->l4);

		/* other L4 (ICMP): address-only hash */
		len = build_frame(frame, v, v->v6 ? 58 : 1, 0, 0);
		t = mana_rss_parse(frame, len, &f);
		MTEST_ASSERT_EQ(t, v->v6 ? NDIS_HASH_IPV6 : NDIS_HASH_IPV4);
		MTEST_ASSERT_EQ(mana_rss_hash(&f, ms_key), v->l3);

		if (!v->v6) {
			/* an IPv4 fragment hashes on addresses only */
			len = build_frame(frame, v, 6, 0, 1);
			t = mana_rss_parse(frame, len, &f);
			MTEST_ASSERT_EQ(t, NDIS_HASH_IPV4);
			MTEST_ASSERT_EQ(mana_rss_hash(&f, ms_key), v->l3);
		}
	}
	return MTEST_SUCCESS;
}

/* Non-IP and runt frames get no hash. */
static int
test_no_hash(void)
{
	uint8_t arp[60] = { 0 };
	struct mana_rss_fields f;

	arp[12] = 0x08; arp[13] = 0x06;
	MTEST_ASSERT_EQ(mana_rss_parse(arp, sizeof(arp), &f), 0);
	MTEST_ASSERT_EQ(mana_rss_hash(&f, ms_key), 0);
	arp[12] = 0x08; arp[13] = 0x00;	/* IPv4 ethertype, truncated header */
	MTEST_ASSERT_EQ(mana_rss_parse(arp, 20, &f), 0);
	MTEST_ASSERT_EQ(mana_rss_parse(arp, 10, &f), 0);
	return MTEST_SUCCESS;
}

/* Queue choice: the 64-entry table is indexed by the low 6 bits. */
static int
test_table_index(void)
{
	MTEST_ASSERT_EQ(mana_rss_table_index(0x51ccc178), 0x38);
	MTEST_ASSERT_EQ(mana_rss_table_index(0xffffffff), 63);
	MTEST_ASSERT_EQ(mana_rss_table_index(64), 0);
	return MTEST_SUCCESS;
}

static const struct mtest_case cases[] = {
	{ "ms_vectors", test_ms_vectors },
	{ "parse_frames", test_parse_frames },
	{ "no_hash", test_no_hash },
	{ "table_index", test_table_index },
};

int
main(int argc, char **argv)
{
	return mtest_run("rss", cases, MTEST_N(cases), argc, argv);
}
