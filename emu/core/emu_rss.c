/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * mana-emu RSS as the device computes it (spec §10): the hash type of a
 * frame, its NDIS-ordered Toeplitz input and the Toeplitz hash, written from
 * the spec with no DPDK helper.
 */

#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "emu_priv.h"

/* ------------------------------------------------------------------------ */
/* Toeplitz by table: tt[p][v] = hash contribution of nibble v at nibble    */
/* position p of the input (4.5 KiB per key: stays in L1)                   */
/* ------------------------------------------------------------------------ */

void
emu_rss_table_build(uint32_t (*tt)[16], const uint8_t key[EMU_RSS_KEY_SIZE])
{
	uint32_t p, v, b;

	for (p = 0; p < 2 * EMU_RSS_MAX_INPUT; p++) {
		uint32_t bit_hash[4];

		for (b = 0; b < 4; b++) {
			uint32_t i = 4 * p + b;		/* input bit index, MSB first */
			uint32_t byte = i / 8, sh = i % 8;
			uint64_t w = ((uint64_t)key[byte] << 32) |
				     ((uint64_t)key[byte + 1] << 24) |
				     ((uint64_t)key[byte + 2] << 16) |
				     ((uint64_t)key[byte + 3] << 8) |
				     (uint64_t)key[byte + 4];

			bit_hash[b] = (uint32_t)(w >> (8 - sh));
		}
		for (v = 0; v < 16; v++) {
			uint32_t h = 0;

			for (b = 0; b < 4; b++)
				if (v & (0x8u >> b))
					h ^= bit_hash[b];
			tt[p][v] = h;
		}
	}
}

uint32_t
emu_rss_hash_tbl(uint32_t (*tt)[16], const uint8_t *in, uint32_t len)
{
	uint32_t h = 0, i;

	for (i = 0; i < len; i++)
		h ^= tt[2 * i][in[i] >> 4] ^ tt[2 * i + 1][in[i] & 0xF];
	return h;
}

/* ------------------------------------------------------------------------ */
/* Hash type and input: TCP -> TCP type, UDP -> UDP type, other IP and IP   */
/* fragments -> address-only type, anything else -> no hash                 */
/* ------------------------------------------------------------------------ */

/* Append the ports of the L4 header at @p l4 when it is TCP or UDP. */
static uint32_t
emu_rss_l4(uint8_t proto, const uint8_t *l4, uint32_t l4len, uint8_t *in,
	   uint32_t *n, uint32_t tcp_type, uint32_t udp_type, uint32_t ip_type)
{
	if ((proto != IPPROTO_TCP && proto != IPPROTO_UDP) || l4len < 4)
		return ip_type;
	memcpy(in + *n, l4, 4);		/* source port, destination port */
	*n += 4;
	return proto == IPPROTO_TCP ? tcp_type : udp_type;
}

static uint32_t
emu_rss_ipv4(const uint8_t *ip, uint32_t len, uint8_t *in, uint32_t *n)
{
	uint32_t ihl;

	if (len < 20 || (ip[0] >> 4) != 4)
		return 0;
	ihl = (ip[0] & 0xFu) * 4u;
	if (ihl < 20 || len < ihl)
		return 0;
	memcpy(in, ip + 12, 8);		/* source, destination */
	*n = 8;
	if (emu_rd16(ip + 6) & 0x3FFF)	/* MF or a fragment offset */
		return NDIS_HASH_IPV4;
	return emu_rss_l4(ip[9], ip + ihl, len - ihl, in, n, NDIS_HASH_TCP_IPV4,
			  NDIS_HASH_UDP_IPV4, NDIS_HASH_IPV4);
}

static uint32_t
emu_rss_ipv6(const uint8_t *ip, uint32_t len, uint8_t *in, uint32_t *n)
{
	if (len < 40 || (ip[0] >> 4) != 6)
		return 0;
	memcpy(in, ip + 8, 32);		/* source, destination */
	*n = 32;
	return emu_rss_l4(ip[6], ip + 40, len - 40, in, n, NDIS_HASH_TCP_IPV6,
			  NDIS_HASH_UDP_IPV6, NDIS_HASH_IPV6);
}

uint32_t
emu_rss_input(const uint8_t *frame, uint32_t len, uint8_t in[EMU_RSS_MAX_INPUT],
	      uint32_t *n)
{
	uint32_t off = 14;
	uint16_t type;

	*n = 0;
	if (len < off)
		return 0;
	type = emu_rd16(frame + 12);
	if (type == 0x8100) {
		if (len < off + 4)
			return 0;
		type = emu_rd16(frame + 16);
		off += 4;
	}
	if (type == 0x0800)
		return emu_rss_ipv4(frame + off, len - off, in, n);
	if (type == 0x86DD)
		return emu_rss_ipv6(frame + off, len - off, in, n);
	return 0;
}
