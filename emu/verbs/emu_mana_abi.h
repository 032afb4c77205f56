/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * mana_ib's uverbs driver data (ABI version 1), the layouts of
 * spec/mana-datapath.md §7.8, written out here because Debian 12's
 * linux-libc-dev does not ship rdma/mana-abi.h. Offsets are asserted.
 */

#ifndef EMU_MANA_ABI_H
#define EMU_MANA_ABI_H

#include <stddef.h>
#include <stdint.h>

/** CREATE_CQ driver data in (v44 sends the first 8 bytes only). */
struct emu_mana_create_cq {
	uint64_t buf_addr;
	uint16_t flags;		/* bit 0: RNIC CQ (HEAD libmana without allocator) */
	uint16_t reserved0;
	uint32_t reserved1;
};
#define EMU_MANA_CREATE_CQ_MIN	8u
#define EMU_MANA_CQ_RNIC	1u

/** CREATE_CQ driver data out (newer kernels). */
struct emu_mana_create_cq_resp {
	uint32_t cqid;
	uint32_t reserved;
};

/** CREATE_QP (raw packet) driver data in. */
struct emu_mana_create_qp {
	uint64_t sq_buf_addr;
	uint32_t sq_buf_size;
	uint32_t port;
};

struct emu_mana_create_qp_resp {
	uint32_t sqid;
	uint32_t cqid;
	uint32_t tx_vp_offset;
	uint32_t reserved;
};

/** CREATE_WQ driver data in. */
struct emu_mana_create_wq {
	uint64_t wq_buf_addr;
	uint32_t wq_buf_size;
	uint32_t reserved;
};

#define EMU_MANA_RX_HASH_FUNC_TOEPLITZ	1u
#define EMU_MANA_RSS_KEY_LEN		40u
#define EMU_MANA_IND_TABLE_SIZE		64u

/** CREATE_QP (RSS, through EX_CREATE_QP with an indirection table) driver data in. */
struct emu_mana_create_qp_rss {
	uint64_t rx_hash_fields_mask;
	uint8_t rx_hash_function;
	uint8_t reserved[7];
	uint32_t rx_hash_key_len;
	uint8_t rx_hash_key[EMU_MANA_RSS_KEY_LEN];
	uint32_t port;
};

struct emu_mana_rss_entry {
	uint32_t cqid;
	uint32_t wqid;
};

struct emu_mana_create_qp_rss_resp {
	uint64_t num_entries;
	struct emu_mana_rss_entry entries[EMU_MANA_IND_TABLE_SIZE];
};

_Static_assert(sizeof(struct emu_mana_create_cq) == 16, "mana_ib_create_cq");
_Static_assert(sizeof(struct emu_mana_create_qp) == 16, "mana_ib_create_qp");
_Static_assert(sizeof(struct emu_mana_create_qp_resp) == 16, "mana_ib_create_qp_resp");
_Static_assert(sizeof(struct emu_mana_create_wq) == 16, "mana_ib_create_wq");
_Static_assert(offsetof(struct emu_mana_create_qp_rss, rx_hash_key_len) == 16, "rss key_len");
_Static_assert(offsetof(struct emu_mana_create_qp_rss, rx_hash_key) == 20, "rss key");
_Static_assert(offsetof(struct emu_mana_create_qp_rss, port) == 60, "rss port");
_Static_assert(sizeof(struct emu_mana_create_qp_rss) == 64, "mana_ib_create_qp_rss");
_Static_assert(offsetof(struct emu_mana_create_qp_rss_resp, entries) == 8, "rss resp");

#endif /* EMU_MANA_ABI_H */
