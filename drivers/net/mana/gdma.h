/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * MANA/GDMA hardware formats: WQE header, SGE, TX OOB, CQE, completion OOBs
 * and doorbells, the single source of truth shared by net_mana and mana-emu.
 */

#ifndef MANA_GDMA_H
#define MANA_GDMA_H

/*
 * Written from spec/mana-datapath.md sections 2 to 6 and 10. Structure and
 * field names follow the Linux kernel's include/net/mana/{gdma,mana}.h so
 * that a reader can hold one against the other.
 *
 * Every structure here is HW DATA: little-endian, naturally aligned, laid out
 * exactly as the device reads or writes it. Bit fields are not C bit-fields:
 * each field is declared once in a field list,
 *
 *	F(FORMAT, FIELD, dword, first bit, width, "name")
 *
 * which expands to FORMAT_FIELD_{DW,SHIFT,WIDTH} constants (used by
 * MANA_GET/MANA_SET/MANA_VAL) and to a descriptor table that
 * mana_fmt_decode() uses to print a structure field by field.
 *
 * This header depends on nothing but the C library.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "MANA hardware formats are little-endian; big-endian hosts are not supported"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Field-list machinery                                                     */
/* ------------------------------------------------------------------------ */

/** One bit field of a hardware structure, for decoders and tests. */
struct mana_field {
	const char *name;	/**< kernel field name */
	uint8_t dw;		/**< dword index within the structure */
	uint8_t shift;		/**< first bit within the dword */
	uint8_t width;		/**< width in bits (1..32) */
};

#define MANA_FIELD_ENUM(fmt, fld, dw_, sh_, w_, name_) \
	fmt##_##fld##_DW = (dw_), \
	fmt##_##fld##_SHIFT = (sh_), \
	fmt##_##fld##_WIDTH = (w_),

#define MANA_FIELD_DESC(fmt, fld, dw_, sh_, w_, name_) \
	{ .name = (name_), .dw = (dw_), .shift = (sh_), .width = (w_) },

/** Mask of a field once shifted down to bit 0. */
#define MANA_MASK(f) \
	((uint32_t)(((uint64_t)1 << f##_WIDTH) - 1))

/** Field value @p v placed at its position in its dword (value is truncated). */
#define MANA_VAL(f, v) \
	((uint32_t)(((uint32_t)(v) & MANA_MASK(f)) << f##_SHIFT))

/** Read field @p f from the dword array @p words. */
#define MANA_GET(words, f) \
	((((const uint32_t *)(words))[f##_DW] >> f##_SHIFT) & MANA_MASK(f))

/** Write field @p f into the dword array @p words, leaving other bits alone. */
#define MANA_SET(words, f, v) do { \
	uint32_t *w__ = &((uint32_t *)(words))[f##_DW]; \
	*w__ = (*w__ & ~(MANA_MASK(f) << f##_SHIFT)) | MANA_VAL(f, v); \
} while (0)

#define MANA_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)

/* ------------------------------------------------------------------------ */
/* Sizes and limits (spec sections 2, 3 and 8)                              */
/* ------------------------------------------------------------------------ */

#define GDMA_WQE_BU_SIZE		32u	/* basic unit */
#define GDMA_CQE_SIZE			64u
#define GDMA_COMP_DATA_SIZE		0x3Cu	/* client data in a CQE */
#define GDMA_MAX_SQE_SIZE		512u
#define GDMA_MAX_RQE_SIZE		256u
#define MANA_MIN_QSIZE			4096u	/* WQ ring: power of two >= this */
#define INLINE_OOB_SMALL_SIZE		8u
#define INLINE_OOB_LARGE_SIZE		24u
#define MAX_TX_WQE_SGL_ENTRIES		30u	/* (512 - 16 - 8) / 16 */
#define MAX_RX_WQE_SGL_ENTRIES		15u	/* (256 - 16) / 16 */
#define MANA_WQE_HEADER_SIZE		16u	/* header + RQ inline OOB */
#define MANA_SHORT_VPORT_OFFSET_MAX	255u
#define MANA_INDIRECT_TABLE_SIZE	64u
#define MANA_HASH_KEY_SIZE		40u
#define MANA_RXCOMP_OOB_NUM_PPI		4u
#define GDMA_QUEUE_ID_MASK		0xFFFFFFu	/* 24-bit queue ids */
#define MANA_CQ_DB_WRAPS_MAX		8u	/* hardware limit, §6.4 */
#define MANA_CQ_DB_WRAPS_RING		4u	/* ring at least this often */

/** Queue types (enum gdma_queue_type). */
enum gdma_queue_type {
	GDMA_INVALID_QUEUE = 0,
	GDMA_SQ = 1,
	GDMA_RQ = 2,
	GDMA_CQ = 3,
	GDMA_EQ = 4,
};

/* ------------------------------------------------------------------------ */
/* WQE header, 8 bytes (struct gdma_wqe), spec §3.2                         */
/* ------------------------------------------------------------------------ */

#define GDMA_WQE_FIELDS(F) \
	F(GDMA_WQE, LAST_VBYTES,          0, 24,  8, "last_vbytes") \
	F(GDMA_WQE, NUM_SGE,              1,  0,  8, "num_sge") \
	F(GDMA_WQE, INLINE_OOB_SIZE_DIV4, 1,  8,  3, "inline_oob_size_div4") \
	F(GDMA_WQE, CLIENT_OOB_IN_SGL,    1, 11,  1, "client_oob_in_sgl") \
	F(GDMA_WQE, CONSUME_CREDIT,       1, 12,  1, "consume_credit") \
	F(GDMA_WQE, FENCE,                1, 13,  1, "fence") \
	F(GDMA_WQE, CLIENT_DATA_UNIT,     1, 16, 14, "client_data_unit") \
	F(GDMA_WQE, CHECK_SN,             1, 30,  1, "check_sn") \
	F(GDMA_WQE, SGL_DIRECT,           1, 31,  1, "sgl_direct")

enum { GDMA_WQE_FIELDS(MANA_FIELD_ENUM) };

/** GDMA WQE header ("DMA OOB"). HW DATA. */
struct gdma_wqe {
	uint32_t dw[2];
};

/* ------------------------------------------------------------------------ */
/* Scatter-gather entry, 16 bytes (struct gdma_sge), spec §3.3              */
/* ------------------------------------------------------------------------ */

/** SGE. HW DATA. */
struct gdma_sge {
	uint64_t address;	/**< process virtual address (GVA MR) */
	uint32_t mem_key;	/**< lkey of an MR on the queue's PD */
	uint32_t size;		/**< bytes to send / buffer capacity */
};

/* ------------------------------------------------------------------------ */
/* TX client OOB, spec §4                                                   */
/* ------------------------------------------------------------------------ */

enum mana_tx_pkt_format {
	MANA_SHORT_PKT_FMT = 0,	/* 8-byte OOB */
	MANA_LONG_PKT_FMT = 1,	/* 24-byte OOB */
};

/* Dword indexes are relative to the start of the OOB (WQE byte 8). */
#define MANA_TX_SHORT_OOB_FIELDS(F) \
	F(MANA_TX_OOB, PKT_FMT,          0,  0,  2, "pkt_fmt") \
	F(MANA_TX_OOB, IS_OUTER_IPV4,    0,  2,  1, "is_outer_ipv4") \
	F(MANA_TX_OOB, IS_OUTER_IPV6,    0,  3,  1, "is_outer_ipv6") \
	F(MANA_TX_OOB, COMP_IPHDR_CSUM,  0,  4,  1, "comp_iphdr_csum") \
	F(MANA_TX_OOB, COMP_TCP_CSUM,    0,  5,  1, "comp_tcp_csum") \
	F(MANA_TX_OOB, COMP_UDP_CSUM,    0,  6,  1, "comp_udp_csum") \
	F(MANA_TX_OOB, SUPRESS_TXCQE_GEN, 0, 7,  1, "supress_txcqe_gen") \
	F(MANA_TX_OOB, VCQ_NUM,          0,  8, 24, "vcq_num") \
	F(MANA_TX_OOB, TRANS_OFF,        1,  0, 10, "trans_off") \
	F(MANA_TX_OOB, VSQ_FRAME,        1, 10, 14, "vsq_frame") \
	F(MANA_TX_OOB, SHORT_VP_OFFSET,  1, 24,  8, "short_vp_offset")

#define MANA_TX_LONG_OOB_FIELDS(F) \
	F(MANA_TX_OOB, IS_ENCAP,            2,  0,  1, "is_encap") \
	F(MANA_TX_OOB, INNER_IS_IPV6,       2,  1,  1, "inner_is_ipv6") \
	F(MANA_TX_OOB, INNER_TCP_OPT,       2,  2,  1, "inner_tcp_opt") \
	F(MANA_TX_OOB, INJECT_VLAN_PRI_TAG, 2,  3,  1, "inject_vlan_pri_tag") \
	F(MANA_TX_OOB, PCP,                 2, 16,  3, "pcp") \
	F(MANA_TX_OOB, DEI,                 2, 19,  1, "dei") \
	F(MANA_TX_OOB, VLAN_ID,             2, 20, 12, "vlan_id") \
	F(MANA_TX_OOB, INNER_FRAME_OFFSET,  3,  0, 10, "inner_frame_offset") \
	F(MANA_TX_OOB, INNER_IP_REL_OFFSET, 3, 10,  6, "inner_ip_rel_offset") \
	F(MANA_TX_OOB, LONG_VP_OFFSET,      3, 16, 12, "long_vp_offset")

enum { MANA_TX_SHORT_OOB_FIELDS(MANA_FIELD_ENUM) };
enum { MANA_TX_LONG_OOB_FIELDS(MANA_FIELD_ENUM) };

/** Short TX OOB (struct mana_tx_short_oob). HW DATA. */
struct mana_tx_short_oob {
	uint32_t dw[2];
};

/** Long TX OOB extension (struct mana_tx_long_oob). HW DATA. */
struct mana_tx_long_oob {
	uint32_t dw[4];
};

/** Full 24-byte TX OOB (struct mana_tx_oob); dw[] indexes match the fields. */
struct mana_tx_oob {
	uint32_t dw[6];
};

#define WORK_QUEUE_NUMBER_BASE_BITS	10u

/** vsq_frame value for an SQ id (bits 10..23 of the id). */
static inline uint32_t
mana_tx_vsq_frame(uint32_t sq_id)
{
	return (sq_id >> WORK_QUEUE_NUMBER_BASE_BITS) & 0x3FFFu;
}

/* ------------------------------------------------------------------------ */
/* CQE, 64 bytes (struct gdma_cqe), spec §5.1                               */
/* ------------------------------------------------------------------------ */

/* Dword 15 of the CQE (byte 60): cqe_info. */
#define GDMA_CQE_INFO_FIELDS(F) \
	F(GDMA_CQE, WQ_NUM,     15,  0, 24, "wq_num") \
	F(GDMA_CQE, IS_SQ,      15, 24,  1, "is_sq") \
	F(GDMA_CQE, OWNER_BITS, 15, 29,  3, "owner_bits")

enum { GDMA_CQE_INFO_FIELDS(MANA_FIELD_ENUM) };

#define GDMA_CQE_OWNER_NBITS		3u
#define GDMA_CQE_OWNER_MASK		((1u << GDMA_CQE_OWNER_NBITS) - 1)
#define GDMA_CQE_INFO_DW		15u

/** Completion queue entry. HW DATA. cqe_data holds a mana_*comp_oob. */
struct gdma_cqe {
	uint32_t cqe_data[GDMA_COMP_DATA_SIZE / 4];
	uint32_t cqe_info;
};

/* Completion header: dword 0 of the client data (struct mana_cqe_header). */
#define MANA_CQE_HEADER_FIELDS(F) \
	F(MANA_CQE_HDR, CQE_TYPE,    0, 0,  6, "cqe_type") \
	F(MANA_CQE_HDR, CLIENT_TYPE, 0, 6,  2, "client_type") \
	F(MANA_CQE_HDR, VENDOR_ERR,  0, 8, 24, "vendor_err")

enum { MANA_CQE_HEADER_FIELDS(MANA_FIELD_ENUM) };

#define MANA_CQE_COMPLETION		1u	/* client_type */

/** CQE types (enum mana_cqe_type), spec §5.2. */
enum mana_cqe_type {
	CQE_INVALID = 0,
	CQE_RX_OKAY = 1,
	CQE_RX_COALESCED_4 = 2,
	CQE_RX_OBJECT_FENCE = 3,
	CQE_RX_TRUNCATED = 4,
	CQE_RX_COALESCED_8 = 7,

	CQE_TX_OKAY = 32,
	CQE_TX_SA_DROP = 33,
	CQE_TX_MTU_DROP = 34,
	CQE_TX_INVALID_OOB = 35,
	CQE_TX_INVALID_ETH_TYPE = 36,
	CQE_TX_HDR_PROCESSING_ERROR = 37,
	CQE_TX_VF_DISABLED = 38,
	CQE_TX_VPORT_IDX_OUT_OF_RANGE = 39,
	CQE_TX_VPORT_DISABLED = 40,
	CQE_TX_VLAN_TAGGING_VIOLATION = 41,
};

#define MANA_CQE_TX_FIRST	CQE_TX_OKAY
#define MANA_CQE_TX_LAST	CQE_TX_VLAN_TAGGING_VIOLATION
#define MANA_CQE_TX_NUM		(MANA_CQE_TX_LAST - MANA_CQE_TX_FIRST + 1)

/** Name of a CQE type, or NULL when the value is not a known type. */
static inline const char *
mana_cqe_type_name(uint32_t type)
{
	switch (type) {
	case CQE_INVALID: return "CQE_INVALID";
	case CQE_RX_OKAY: return "CQE_RX_OKAY";
	case CQE_RX_COALESCED_4: return "CQE_RX_COALESCED_4";
	case CQE_RX_OBJECT_FENCE: return "CQE_RX_OBJECT_FENCE";
	case CQE_RX_TRUNCATED: return "CQE_RX_TRUNCATED";
	case CQE_RX_COALESCED_8: return "CQE_RX_COALESCED_8";
	case CQE_TX_OKAY: return "CQE_TX_OKAY";
	case CQE_TX_SA_DROP: return "CQE_TX_SA_DROP";
	case CQE_TX_MTU_DROP: return "CQE_TX_MTU_DROP";
	case CQE_TX_INVALID_OOB: return "CQE_TX_INVALID_OOB";
	case CQE_TX_INVALID_ETH_TYPE: return "CQE_TX_INVALID_ETH_TYPE";
	case CQE_TX_HDR_PROCESSING_ERROR: return "CQE_TX_HDR_PROCESSING_ERROR";
	case CQE_TX_VF_DISABLED: return "CQE_TX_VF_DISABLED";
	case CQE_TX_VPORT_IDX_OUT_OF_RANGE: return "CQE_TX_VPORT_IDX_OUT_OF_RANGE";
	case CQE_TX_VPORT_DISABLED: return "CQE_TX_VPORT_DISABLED";
	case CQE_TX_VLAN_TAGGING_VIOLATION: return "CQE_TX_VLAN_TAGGING_VIOLATION";
	default: return NULL;
	}
}

/* ------------------------------------------------------------------------ */
/* RX completion OOB, 60 bytes (struct mana_rxcomp_oob), spec §5.3          */
/* ------------------------------------------------------------------------ */

/* Dword indexes are relative to the CQE client data (= CQE byte 0). */
#define MANA_RXCOMP_OOB_FIELDS(F) \
	F(MANA_RXCOMP, RX_VLAN_ID,                 1,  0, 12, "rx_vlan_id") \
	F(MANA_RXCOMP, RX_VLANTAG_PRESENT,         1, 12,  1, "rx_vlantag_present") \
	F(MANA_RXCOMP, RX_OUTER_IPHDR_CSUM_SUCCEED, 1, 13, 1, "rx_outer_iphdr_csum_succeed") \
	F(MANA_RXCOMP, RX_OUTER_IPHDR_CSUM_FAIL,   1, 14,  1, "rx_outer_iphdr_csum_fail") \
	F(MANA_RXCOMP, RX_HASHTYPE,                1, 16,  9, "rx_hashtype") \
	F(MANA_RXCOMP, RX_IPHDR_CSUM_SUCCEED,      1, 25,  1, "rx_iphdr_csum_succeed") \
	F(MANA_RXCOMP, RX_IPHDR_CSUM_FAIL,         1, 26,  1, "rx_iphdr_csum_fail") \
	F(MANA_RXCOMP, RX_TCP_CSUM_SUCCEED,        1, 27,  1, "rx_tcp_csum_succeed") \
	F(MANA_RXCOMP, RX_TCP_CSUM_FAIL,           1, 28,  1, "rx_tcp_csum_fail") \
	F(MANA_RXCOMP, RX_UDP_CSUM_SUCCEED,        1, 29,  1, "rx_udp_csum_succeed") \
	F(MANA_RXCOMP, RX_UDP_CSUM_FAIL,           1, 30,  1, "rx_udp_csum_fail")

enum { MANA_RXCOMP_OOB_FIELDS(MANA_FIELD_ENUM) };

/* Per-packet info, 12 bytes (struct mana_rxcomp_perpkt_info). */
#define MANA_RXCOMP_PPI_FIELDS(F) \
	F(MANA_PPI, PKT_LEN, 0, 0, 16, "pkt_len")

enum { MANA_RXCOMP_PPI_FIELDS(MANA_FIELD_ENUM) };

/** Per-packet info. HW DATA. */
struct mana_rxcomp_perpkt_info {
	uint32_t pkt_len_dw;	/**< bits 0-15 pkt_len */
	uint32_t reserved;
	uint32_t pkt_hash;	/**< 32-bit Toeplitz hash */
};

/** CQE_RX_COALESCED_8 reading of a ppi slot: two packets. HW DATA. */
struct mana_rxcomp_perpkt_info_v2 {
	uint32_t pkt_hash0;
	uint16_t pkt_len0;
	uint16_t pkt_len1;
	uint32_t pkt_hash1;
};

/** RX completion OOB. HW DATA. */
struct mana_rxcomp_oob {
	uint32_t cqe_hdr;	/**< struct mana_cqe_header */
	uint32_t flags;		/**< MANA_RXCOMP_* fields (dword 1) */
	struct mana_rxcomp_perpkt_info ppi[MANA_RXCOMP_OOB_NUM_PPI];
	uint32_t rx_wqe_offset;
};

/* ------------------------------------------------------------------------ */
/* TX completion OOB, 60 bytes (struct mana_tx_comp_oob), spec §5.4         */
/* ------------------------------------------------------------------------ */

#define MANA_TX_COMP_OOB_FIELDS(F) \
	F(MANA_TXCOMP, TX_SGL_OFFSET, 2, 0,  5, "tx_sgl_offset") \
	F(MANA_TXCOMP, TX_WQE_OFFSET, 2, 5, 27, "tx_wqe_offset")

enum { MANA_TX_COMP_OOB_FIELDS(MANA_FIELD_ENUM) };

/** TX completion OOB. HW DATA. */
struct mana_tx_comp_oob {
	uint32_t cqe_hdr;	/**< struct mana_cqe_header */
	uint32_t tx_data_offset;
	uint32_t offsets;	/**< MANA_TXCOMP_* fields (dword 2) */
	uint32_t reserved[12];
};

/* ------------------------------------------------------------------------ */
/* NDIS hash types (rx_hashtype bits), spec §10.2                           */
/* ------------------------------------------------------------------------ */

#define NDIS_HASH_IPV4			(1u << 0)
#define NDIS_HASH_TCP_IPV4		(1u << 1)
#define NDIS_HASH_UDP_IPV4		(1u << 2)
#define NDIS_HASH_IPV6			(1u << 3)
#define NDIS_HASH_TCP_IPV6		(1u << 4)
#define NDIS_HASH_UDP_IPV6		(1u << 5)
#define NDIS_HASH_IPV6_EX		(1u << 6)
#define NDIS_HASH_TCP_IPV6_EX		(1u << 7)
#define NDIS_HASH_UDP_IPV6_EX		(1u << 8)

#define MANA_HASH_L3 (NDIS_HASH_IPV4 | NDIS_HASH_IPV6 | NDIS_HASH_IPV6_EX)
#define MANA_HASH_L4 (NDIS_HASH_TCP_IPV4 | NDIS_HASH_UDP_IPV4 | \
		      NDIS_HASH_TCP_IPV6 | NDIS_HASH_UDP_IPV6 | \
		      NDIS_HASH_TCP_IPV6_EX | NDIS_HASH_UDP_IPV6_EX)

/* ------------------------------------------------------------------------ */
/* Doorbells, spec §6                                                       */
/* ------------------------------------------------------------------------ */

#define DOORBELL_PAGE_SIZE		4096u
#define DOORBELL_OFFSET_SQ		0x000u
#define DOORBELL_OFFSET_SQ_SHORT	0x010u
#define DOORBELL_OFFSET_RQ		0x400u
#define DOORBELL_OFFSET_RQ_CLIENT	0x408u
#define DOORBELL_OFFSET_RQ_SHORT	0x410u
#define DOORBELL_OFFSET_CQ		0x800u
#define DOORBELL_OFFSET_CQ_SHORT	0x810u
#define DOORBELL_OFFSET_EQ_SHORT	0xFF0u
#define DOORBELL_OFFSET_EQ		0xFF8u

/*
 * union gdma_doorbell_entry, as one 64-bit word. The dword index in the
 * field lists is 0 for bits 0-31 and 1 for bits 32-63.
 */
#define GDMA_DB_WQ_FIELDS(F) \
	F(GDMA_DB_WQ, ID,       0,  0, 24, "id") \
	F(GDMA_DB_WQ, WQE_CNT,  0, 24,  8, "wqe_cnt") \
	F(GDMA_DB_WQ, TAIL_PTR, 1,  0, 32, "tail_ptr")

#define GDMA_DB_CQ_FIELDS(F) \
	F(GDMA_DB_CQ, ID,       0,  0, 24, "id") \
	F(GDMA_DB_CQ, TAIL_PTR, 1,  0, 31, "tail_ptr") \
	F(GDMA_DB_CQ, ARM,      1, 31,  1, "arm")

enum { GDMA_DB_WQ_FIELDS(MANA_FIELD_ENUM) };
enum { GDMA_DB_CQ_FIELDS(MANA_FIELD_ENUM) };

/** SQ doorbell value: queue id and producer byte offset (head_bu * 32). */
static inline uint64_t
gdma_db_sq_value(uint32_t sq_id, uint32_t tail_bytes)
{
	return (uint64_t)(sq_id & GDMA_QUEUE_ID_MASK) |
	       ((uint64_t)tail_bytes << 32);
}

/** RQ doorbell value; wqe_cnt is always 0 for Ethernet RQs. */
static inline uint64_t
gdma_db_rq_value(uint32_t rq_id, uint32_t tail_bytes)
{
	return (uint64_t)(rq_id & GDMA_QUEUE_ID_MASK) |
	       ((uint64_t)tail_bytes << 32);
}

/**
 * CQ doorbell value. @p head is the consumer head that started at N;
 * the device sees it modulo 8 * N (spec §6.2).
 */
static inline uint64_t
gdma_db_cq_value(uint32_t cq_id, uint32_t head, uint32_t depth, int arm)
{
	uint32_t tail = head % (depth * 8u);

	return (uint64_t)(cq_id & GDMA_QUEUE_ID_MASK) |
	       ((uint64_t)(tail & 0x7FFFFFFFu) << 32) |
	       ((uint64_t)(arm ? 1u : 0u) << 63);
}

/* ------------------------------------------------------------------------ */
/* Layout checks                                                            */
/* ------------------------------------------------------------------------ */

MANA_STATIC_ASSERT(sizeof(struct gdma_wqe) == 8, "gdma_wqe is 8 bytes");
MANA_STATIC_ASSERT(sizeof(struct gdma_sge) == 16, "gdma_sge is 16 bytes");
MANA_STATIC_ASSERT(offsetof(struct gdma_sge, mem_key) == 8, "sge mem_key");
MANA_STATIC_ASSERT(offsetof(struct gdma_sge, size) == 12, "sge size");
MANA_STATIC_ASSERT(sizeof(struct mana_tx_short_oob) == INLINE_OOB_SMALL_SIZE,
		   "short TX OOB is 8 bytes");
MANA_STATIC_ASSERT(sizeof(struct mana_tx_long_oob) == 16,
		   "long TX OOB part is 16 bytes");
MANA_STATIC_ASSERT(sizeof(struct mana_tx_oob) == INLINE_OOB_LARGE_SIZE,
		   "full TX OOB is 24 bytes");
MANA_STATIC_ASSERT(sizeof(struct gdma_cqe) == GDMA_CQE_SIZE, "CQE is 64 bytes");
MANA_STATIC_ASSERT(offsetof(struct gdma_cqe, cqe_info) == 60, "cqe_info at 60");
MANA_STATIC_ASSERT(sizeof(struct mana_rxcomp_perpkt_info) == 12, "ppi is 12 bytes");
MANA_STATIC_ASSERT(sizeof(struct mana_rxcomp_perpkt_info_v2) == 12,
		   "ppi v2 is 12 bytes");
MANA_STATIC_ASSERT(sizeof(struct mana_rxcomp_oob) == GDMA_COMP_DATA_SIZE,
		   "RX completion OOB is 60 bytes");
MANA_STATIC_ASSERT(offsetof(struct mana_rxcomp_oob, ppi) == 8, "ppi at 8");
MANA_STATIC_ASSERT(offsetof(struct mana_rxcomp_oob, ppi[1]) == 20, "ppi[1] at 20");
MANA_STATIC_ASSERT(offsetof(struct mana_rxcomp_oob, ppi[3]) == 44, "ppi[3] at 44");
MANA_STATIC_ASSERT(offsetof(struct mana_rxcomp_oob, rx_wqe_offset) == 56,
		   "rx_wqe_offset at 56");
MANA_STATIC_ASSERT(sizeof(struct mana_tx_comp_oob) == GDMA_COMP_DATA_SIZE,
		   "TX completion OOB is 60 bytes");
MANA_STATIC_ASSERT(offsetof(struct mana_tx_comp_oob, offsets) == 8,
		   "tx_wqe_offset dword at 8");
MANA_STATIC_ASSERT(MAX_TX_WQE_SGL_ENTRIES * sizeof(struct gdma_sge) +
		   sizeof(struct gdma_wqe) + INLINE_OOB_LARGE_SIZE <= GDMA_MAX_SQE_SIZE,
		   "30 TX SGEs fit a 512-byte WQE with the long OOB");
MANA_STATIC_ASSERT(MAX_RX_WQE_SGL_ENTRIES * sizeof(struct gdma_sge) +
		   MANA_WQE_HEADER_SIZE <= GDMA_MAX_RQE_SIZE,
		   "15 RX SGEs fit a 256-byte WQE");

/* ------------------------------------------------------------------------ */
/* Decoders for traces and test failures                                    */
/* ------------------------------------------------------------------------ */

static const struct mana_field gdma_wqe_fields[] = {
	GDMA_WQE_FIELDS(MANA_FIELD_DESC)
};
static const struct mana_field mana_tx_oob_fields[] = {
	MANA_TX_SHORT_OOB_FIELDS(MANA_FIELD_DESC)
	MANA_TX_LONG_OOB_FIELDS(MANA_FIELD_DESC)
};
static const struct mana_field mana_tx_short_oob_fields[] = {
	MANA_TX_SHORT_OOB_FIELDS(MANA_FIELD_DESC)
};
static const struct mana_field gdma_cqe_info_fields[] = {
	GDMA_CQE_INFO_FIELDS(MANA_FIELD_DESC)
};
static const struct mana_field mana_cqe_header_fields[] = {
	MANA_CQE_HEADER_FIELDS(MANA_FIELD_DESC)
};
static const struct mana_field mana_rxcomp_oob_fields[] = {
	MANA_CQE_HEADER_FIELDS(MANA_FIELD_DESC)
	MANA_RXCOMP_OOB_FIELDS(MANA_FIELD_DESC)
};
static const struct mana_field mana_tx_comp_oob_fields[] = {
	MANA_CQE_HEADER_FIELDS(MANA_FIELD_DESC)
	MANA_TX_COMP_OOB_FIELDS(MANA_FIELD_DESC)
};
static const struct mana_field gdma_db_wq_fields[] = {
	GDMA_DB_WQ_FIELDS(MANA_FIELD_DESC)
};
static const struct mana_field gdma_db_cq_fields[] = {
	GDMA_DB_CQ_FIELDS(MANA_FIELD_DESC)
};

#define MANA_FIELDS_N(tbl) (sizeof(tbl) / sizeof((tbl)[0]))

/**
 * Print the fields of a structure as "name=value ..." into @p buf.
 * Fields whose value is zero are skipped unless @p all is set.
 * Returns the length snprintf would have produced.
 */
static inline int
mana_fmt_decode(char *buf, size_t len, const struct mana_field *f, size_t n,
		const void *words, int all)
{
	const uint32_t *w = (const uint32_t *)words;
	size_t i;
	int out = 0;

	if (len > 0)
		buf[0] = '\0';
	for (i = 0; i < n; i++) {
		uint32_t mask = (uint32_t)(((uint64_t)1 << f[i].width) - 1);
		uint32_t v = (w[f[i].dw] >> f[i].shift) & mask;
		int r;

		if (!v && !all)
			continue;
		r = snprintf((size_t)out < len ? buf + out : NULL,
			     (size_t)out < len ? len - (size_t)out : 0,
			     "%s%s=%#x", out ? " " : "", f[i].name, v);
		if (r < 0)
			return r;
		out += r;
	}
	return out;
}

#ifdef __cplusplus
}
#endif

#endif /* MANA_GDMA_H */
