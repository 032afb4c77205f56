/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * The tests' reference RSS: which queue the device must pick for a frame
 * (NDIS hash type, Toeplitz input, 64-entry table), computed with DPDK's
 * rte_softrss() so that it shares no code with the emulator's own Toeplitz.
 */

#ifndef MANA_RSS_H
#define MANA_RSS_H

/*
 * Spec §10. The hash itself is DPDK's rte_softrss(); this file only builds
 * its input in the NDIS order (source address, destination address, source
 * port, destination port, all in network order) and picks the hash type for
 * a frame the way NDIS-style devices do: TCP -> TCP type, UDP -> UDP type,
 * other IP (and IP fragments) -> address-only type, non-IP -> no hash.
 */

#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_thash.h>

#include "gdma.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Fields a hash type reads, parsed out of a frame (network order). */
struct mana_rss_fields {
	uint32_t hash_type;	/**< one NDIS_HASH_* bit, 0 for none */
	uint8_t src[16];	/**< IPv4 uses the first 4 bytes */
	uint8_t dst[16];
	uint16_t sport;		/**< host order */
	uint16_t dport;		/**< host order */
};

/**
 * Build the rte_softrss() input (host-order 32-bit words) for @p f.
 * Returns the input length in 32-bit words, 0 when hash_type is 0 or
 * not one of the six basic NDIS types.
 */
static inline uint32_t
mana_rss_input(const struct mana_rss_fields *f, uint32_t words[9])
{
	uint32_t i, n_addr, l4;

	switch (f->hash_type) {
	case NDIS_HASH_IPV4:
		n_addr = 1; l4 = 0; break;
	case NDIS_HASH_TCP_IPV4:
	case NDIS_HASH_UDP_IPV4:
		n_addr = 1; l4 = 1; break;
	case NDIS_HASH_IPV6:
		n_addr = 4; l4 = 0; break;
	case NDIS_HASH_TCP_IPV6:
	case NDIS_HASH_UDP_IPV6:
		n_addr = 4; l4 = 1; break;
	default:
		return 0;
	}
	for (i = 0; i < n_addr; i++) {
		uint32_t s, d;

		memcpy(&s, f->src + 4 * i, 4);
		memcpy(&d, f->dst + 4 * i, 4);
		words[i] = rte_be_to_cpu_32(s);
		words[n_addr + i] = rte_be_to_cpu_32(d);
	}
	if (l4)
		words[2 * n_addr] = ((uint32_t)f->sport << 16) | f->dport;
	return 2 * n_addr + l4;
}

/** Toeplitz hash of @p f under the 40-byte @p key; 0 when there is no hash. */
static inline uint32_t
mana_rss_hash(const struct mana_rss_fields *f, const uint8_t key[MANA_HASH_KEY_SIZE])
{
	uint32_t words[9];
	uint32_t n = mana_rss_input(f, words);

	if (n == 0)
		return 0;
	return rte_softrss(words, n, key);
}

/**
 * Classify an Ethernet frame (optionally 802.1Q-tagged) and extract the
 * fields its NDIS hash type reads. Returns the hash type (also stored in
 * f->hash_type), 0 for frames that get no hash.
 */
static inline uint32_t
mana_rss_parse(const uint8_t *frame, uint32_t len, struct mana_rss_fields *f)
{
	uint32_t off = sizeof(struct rte_ether_hdr);
	uint16_t type;

	memset(f, 0, sizeof(*f));
	if (len < off)
		return 0;
	memcpy(&type, frame + 12, 2);
	type = rte_be_to_cpu_16(type);
	if (type == RTE_ETHER_TYPE_VLAN) {
		if (len < off + 4)
			return 0;
		memcpy(&type, frame + 16, 2);
		type = rte_be_to_cpu_16(type);
		off += 4;
	}
	if (type == RTE_ETHER_TYPE_IPV4) {
		struct rte_ipv4_hdr ip;
		uint32_t ihl;
		uint16_t frag;

		if (len < off + sizeof(ip))
			return 0;
		memcpy(&ip, frame + off, sizeof(ip));
		ihl = (ip.version_ihl & 0xF) * 4u;
		if ((ip.version_ihl >> 4) != 4 || ihl < sizeof(ip) || len < off + ihl)
			return 0;
		memcpy(f->src, &ip.src_addr, 4);
		memcpy(f->dst, &ip.dst_addr, 4);
		f->hash_type = NDIS_HASH_IPV4;
		frag = rte_be_to_cpu_16(ip.fragment_offset);
		if (frag & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
			return f->hash_type;
		off += ihl;
		if ((ip.next_proto_id == IPPROTO_TCP || ip.next_proto_id == IPPROTO_UDP) &&
		    len >= off + 4) {
			uint16_t p[2];

			memcpy(p, frame + off, 4);
			f->sport = rte_be_to_cpu_16(p[0]);
			f->dport = rte_be_to_cpu_16(p[1]);
			f->hash_type = ip.next_proto_id == IPPROTO_TCP ?
				NDIS_HASH_TCP_IPV4 : NDIS_HASH_UDP_IPV4;
		}
		return f->hash_type;
	}
	if (type == RTE_ETHER_TYPE_IPV6) {
		struct rte_ipv6_hdr ip;

		if (len < off + sizeof(ip))
			return 0;
		memcpy(&ip, frame + off, sizeof(ip));
		if ((rte_be_to_cpu_32(ip.vtc_flow) >> 28) != 6)
			return 0;
		memcpy(f->src, &ip.src_addr, 16);
		memcpy(f->dst, &ip.dst_addr, 16);
		f->hash_type = NDIS_HASH_IPV6;
		off += sizeof(ip);
		if ((ip.proto == IPPROTO_TCP || ip.proto == IPPROTO_UDP) &&
		    len >= off + 4) {
			uint16_t p[2];

			memcpy(p, frame + off, 4);
			f->sport = rte_be_to_cpu_16(p[0]);
			f->dport = rte_be_to_cpu_16(p[1]);
			f->hash_type = ip.proto == IPPROTO_TCP ?
				NDIS_HASH_TCP_IPV6 : NDIS_HASH_UDP_IPV6;
		}
		return f->hash_type;
	}
	return 0;
}

/** Index into the 64-entry hardware indirection table for @p hash. */
static inline uint32_t
mana_rss_table_index(uint32_t hash)
{
	return hash & (MANA_INDIRECT_TABLE_SIZE - 1);
}

#ifdef __cplusplus
}
#endif

#endif /* MANA_RSS_H */
