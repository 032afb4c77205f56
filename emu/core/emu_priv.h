/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Internal state of the mana-emu device core shared by its source files.
 */

#ifndef EMU_PRIV_H
#define EMU_PRIV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gdma.h"
#include "emu_core.h"

#define EMU_MAX_FRAME		16384u	/* largest frame a wire carries */
#define EMU_TSO_MAX		262144u	/* largest TSO payload gathered */
#define EMU_VIOL_KEEP		256u	/* violation records kept */
#define EMU_DEFAULT_PCI		"7870:00:00.0"
#define EMU_DEFAULT_FIRST_ID	0x401u
#define EMU_RSS_MAX_INPUT	36u	/* bytes: IPv6 4-tuple */
#define EMU_RX_BATCH		64u

struct emu_wq;

/** Protection domain. */
struct emu_pd {
	uint32_t id;
	uint32_t refs;		/* MRs, WQs and vPort TX holds */
};

/** Memory region; lkey = (gen << 20) | (index + 1). */
struct emu_mr {
	uint32_t lkey;		/* 0 = free slot */
	uint32_t pdid;
	uint64_t va;
	uint64_t len;
	uint32_t access;
};

#define EMU_LKEY_IDX_BITS	20u
#define EMU_LKEY_IDX_MASK	((1u << EMU_LKEY_IDX_BITS) - 1)

/** Doorbell page. */
struct emu_page {
	uint32_t id;
	int fd;
	volatile uint64_t *words;	/* 4 KiB mapping */
	bool zombie;			/* from before a removal: not sampled */
	bool fifo;			/* stores arrive through emu_db_store() */
	uint32_t n_wqs;			/* queues rung on this page */
	struct emu_page *next;
};

/** One doorbell store in the device's FIFO (EMU_DB_FIFO). */
struct emu_db_cell {
	atomic_uint_fast64_t seq;	/* Vyukov bounded queue sequence */
	uint32_t page;
	uint16_t offset;
	uint16_t width;
	uint64_t value;
};

#define EMU_DB_FIFO_CELLS	65536u

/**
 * The doorbell FIFO, in shared memory (a memfd) so that another process
 * (a DPDK secondary ringing the same doorbell page) pushes into it too.
 */
struct emu_db_fifo {
	atomic_uint_fast64_t head;	/* next cell a producer takes */
	atomic_uint_fast64_t lost;	/* stores refused: FIFO full */
	uint64_t pad[6];
	struct emu_db_cell cells[EMU_DB_FIFO_CELLS];
};

/** Pending coalesced RX completion of one RQ. */
struct emu_rx_pend {
	uint32_t n;			/* packets, 0 = none */
	uint32_t flags;			/* shared dword 1 */
	uint32_t wqe_offset;		/* of the first packet */
	uint32_t len[2 * MANA_RXCOMP_OOB_NUM_PPI];
	uint32_t hash[2 * MANA_RXCOMP_OOB_NUM_PPI];
	uint64_t t0_ns;
};

/** Completion queue (bound 1:1 to its WQ). */
struct emu_cq {
	uint32_t id;
	uint8_t *buf;
	uint32_t depth;			/* N */
	uint64_t k;			/* CQEs written */
	uint64_t consumer;		/* driver consumer from the last doorbell */
	bool missed_reported;
	bool armed;
	bool garbage;
	void (*ev_cb)(void *arg, uint32_t cq_id);
	void *ev_arg;
	int ev_fd;
};

/** Work queue object (SQ or RQ) with its CQ. */
struct emu_wq {
	uint32_t id;
	enum emu_wq_type type;
	uint32_t vport;
	uint32_t pdid;
	uint64_t handle;
	struct emu_page *page;
	uint8_t *buf;
	uint32_t size;			/* S */
	uint32_t mask;			/* S - 1 */
	uint32_t consumer;		/* bytes, free-running */
	uint32_t tail;			/* bytes, last doorbell */
	bool error;			/* stopped after a fatal format error */
	bool in_rss;			/* referenced by a vPort RX config */
	struct emu_cq cq;
	struct emu_rx_pend pend;
	struct emu_queue_stats st;
	/* TX injected errors */
	uint32_t fault_count;
	uint32_t fault_type;
	uint32_t fault_vendor;
};

/** Byte ring of frames: records [u32 len][bytes], 8-byte aligned. */
struct emu_fring {
	uint8_t *buf;
	uint32_t size;			/* power of two */
	atomic_uint_fast64_t head;	/* producer bytes */
	atomic_uint_fast64_t tail;	/* consumer bytes */
	atomic_flag lock;		/* producers */
};

/** Captured TX frames of a vPort. */
struct emu_capture {
	uint32_t n;			/* capacity, 0 = off */
	uint32_t rd, wr;		/* counts */
	uint8_t **data;
	uint32_t *len;
	uint32_t *cap;
};

/** Flow key of the vSwitch flow table (40 bytes, compared whole). */
struct emu_vsw_key {
	uint8_t kind;			/* EMU_VSW_KEY_*, 0 = free slot */
	uint8_t proto;			/* TCP/UDP for the 5-tuple kinds */
	uint16_t ethertype;
	uint16_t sport, dport;
	uint8_t src[16], dst[16];	/* IP addresses, or MACs */
};

/** vSwitch wire state of a vPort (EMU_WIRE_VSWITCH; the uplink is vp->fd). */
struct emu_vsw {
	int syn_fd;			/* synthetic attachment */
	char syn_if[16];		/* tap names ("" for bare fds) */
	char up_if[16];
	bool vf_present;		/* at the last look */
	bool syn_sock, up_sock;		/* the fd is a socket (else a tap) */
	uint32_t cap;			/* flows kept */
	uint32_t n;			/* flows recorded */
	uint32_t mask;			/* slots - 1 (slots >= 2 x cap) */
	struct emu_vsw_key *slot;
};

struct emu_vport {
	struct emu_vport_config cfg;
	/* TX binding */
	uint32_t tx_pdid;
	uint32_t tx_refs;
	uint32_t tx_page;
	uint32_t n_queues;
	/* RX steering */
	bool rx_configured;
	bool rx_enable;
	bool rss_enable;
	bool coalesce;
	uint8_t key[EMU_RSS_KEY_SIZE];
	struct emu_wq *table[EMU_RSS_TABLE_SIZE];
	struct emu_wq *default_rq;
	uint32_t (*tt)[16];		/* Toeplitz table [72][16] (nibbles) */
	/* wire */
	enum emu_wire_type wire;
	struct emu_dev *peer_dev;
	uint32_t peer_vport;
	int fd;
	char sock_peer[108];		/* socket wire: sendto() address */
	struct emu_fring in;		/* frames arriving on the wire */
	struct emu_vsw *vsw;		/* EMU_WIRE_VSWITCH only */
	struct emu_capture cap;
	/* RX faults */
	enum emu_rx_fault rx_fault;
	uint32_t rx_fault_count;
	struct emu_vport_stats st;
};

struct emu_dev {
	struct emu_dev_config cfg;
	pthread_mutex_t lock;
	struct emu_dev *next;		/* global list */
	atomic_bool removed;
	/* objects */
	struct emu_pd *pds;
	uint32_t n_pds, cap_pds;
	uint32_t next_pdid;
	struct emu_mr *mrs;
	uint32_t n_mrs;			/* slots used (high-water) */
	uint32_t cap_mrs;
	uint32_t mr_gen;
	struct emu_page *pages;
	uint32_t next_page_id;
	/* doorbell FIFO (EMU_DB_FIFO): many producers, the device consumes */
	struct emu_db_fifo *db_fifo;
	int db_fifo_fd;			/* its memfd */
	uint64_t db_tail;		/* next cell the device reads */
	struct emu_wq **wqs;
	uint32_t n_wqs, cap_wqs;
	uint32_t next_qid;
	struct emu_vport vport[EMU_MAX_VPORTS];
	/* faults */
	uint32_t tx_fault_any_count;
	uint32_t tx_fault_any_type;
	uint32_t tx_fault_any_vendor;
	bool garbage_all;
	uint32_t forge_kind;		/* enum emu_forge */
	uint32_t forge_types;		/* EMU_FORGE_SQ | EMU_FORGE_RQ */
	uint32_t forge_count;
	uint64_t forged;
	uint64_t rng;
	void (*fatal_cb)(void *arg, struct emu_dev *dev, enum emu_fatal_reason r);
	void *fatal_arg;
	/* violations */
	atomic_uint_fast64_t viol_count[EMU_VIOL__MAX];
	struct emu_violation_record viol[EMU_VIOL_KEEP];
	uint32_t n_viol;
	void (*viol_cb)(void *arg, const struct emu_violation_record *v);
	void *viol_arg;
	/* trace */
	bool trace;
	FILE *trace_out;
	/* scratch */
	uint8_t *scratch;		/* TX gather / TSO, EMU_TSO_MAX + headers */
	uint8_t *seg;			/* one output frame */
	uint8_t *vbuf;			/* frame with an inserted VLAN tag */
	bool thread_mode;
};

/* emu_db.c: the device list, doorbells and one pass of the device */
/** Allocate / free the device's shared doorbell FIFO. */
int emu_db_fifo_create(struct emu_dev *dev);
void emu_db_fifo_free(struct emu_dev *dev);
/** Device lock held: process every doorbell store queued so far, in order. */
int emu_db_drain(struct emu_dev *dev, bool removed);
/** emu_dev.c: the doorbell page with this id, or NULL (device lock held). */
struct emu_page *emu_page_find(struct emu_dev *dev, uint32_t id);
/** Take the device lock for a command: doorbell stores made before it come first. */
void emu_dev_lock_cmd(struct emu_dev *dev);

/* emu_dev.c */
void emu_violation(struct emu_dev *dev, enum emu_violation kind, uint32_t queue_id,
		   uint32_t offset, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void emu_trace(struct emu_dev *dev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
struct emu_wq *emu_wq_by_id(struct emu_dev *dev, uint32_t id);
const struct emu_mr *emu_mr_translate(struct emu_dev *dev, const struct emu_wq *wq,
				      const struct gdma_sge *sge, uint32_t need_access,
				      uint32_t wqe_off);
uint64_t emu_rand(struct emu_dev *dev);

/**
 * Checked translation of one SGE, fast path: the MR exists, is on the
 * queue's PD, covers [address, address + size) and grants @p need.
 * Anything else goes to emu_mr_translate(), which reports the violation.
 */
static inline const struct emu_mr *
emu_mr_check(struct emu_dev *dev, const struct emu_wq *wq, const struct gdma_sge *sge,
	     uint32_t need, uint32_t wqe_off)
{
	uint32_t idx = (sge->mem_key & EMU_LKEY_IDX_MASK) - 1;
	uint64_t end = sge->address + sge->size;

	if (idx < dev->n_mrs) {
		const struct emu_mr *mr = &dev->mrs[idx];

		if (mr->lkey == sge->mem_key && sge->mem_key != 0 && mr->pdid == wq->pdid &&
		    sge->address >= mr->va && end >= sge->address &&
		    end <= mr->va + mr->len && (mr->access & need) == need)
			return mr;
	}
	return emu_mr_translate(dev, wq, sge, need, wqe_off);
}

/* emu_cq.c */
void emu_cq_write(struct emu_dev *dev, struct emu_wq *wq, const uint32_t data[15]);
void emu_cq_doorbell(struct emu_dev *dev, struct emu_wq *wq, uint64_t value);

/* emu_tx.c */
int emu_sq_process(struct emu_dev *dev, struct emu_wq *wq);

/* emu_rx.c */
void emu_rx_frame(struct emu_dev *dev, uint32_t vport, uint8_t *frame, uint32_t len);
int emu_rx_flush(struct emu_dev *dev, bool force);

/* emu_rss.c */
void emu_rss_table_build(uint32_t (*tt)[16], const uint8_t key[EMU_RSS_KEY_SIZE]);
uint32_t emu_rss_hash_tbl(uint32_t (*tt)[16], const uint8_t *in, uint32_t len);
/** NDIS hash type of @p frame (0: none) and its Toeplitz input, *n bytes. */
uint32_t emu_rss_input(const uint8_t *frame, uint32_t len, uint8_t in[EMU_RSS_MAX_INPUT],
		       uint32_t *n);

/* emu/wire/emu_wire.c: wires beside the core */
int emu_fring_init(struct emu_fring *r, uint32_t size);
void emu_fring_fini(struct emu_fring *r);
int emu_fring_push(struct emu_fring *r, const void *a, uint32_t alen,
		   const void *b, uint32_t blen);
void emu_port_transmit(struct emu_dev *dev, uint32_t vport, const uint8_t *frame,
		       uint32_t len);
int emu_wire_poll(struct emu_dev *dev);
void emu_wire_unwire_locked(struct emu_dev *dev, uint32_t vport);
void emu_capture_free(struct emu_capture *c);
int emu_tap_open(const char *ifname);

/* emu/wire/emu_vswitch.c */
void emu_vsw_uplink_input(struct emu_dev *dev, uint32_t vport, uint8_t *frame,
			  uint32_t len);
int emu_vsw_poll(struct emu_dev *dev, uint32_t vport);
void emu_vsw_transmit(struct emu_dev *dev, uint32_t vport, const uint8_t *frame,
		      uint32_t len);
void emu_vsw_rx_changed(struct emu_dev *dev, uint32_t vport);
void emu_vsw_set_mac(struct emu_dev *dev, uint32_t vport);
void emu_vsw_free(struct emu_vport *vp);

/* emu_db.c: the device list, doorbells and one pass of the device */
int emu_dev_pass(struct emu_dev *dev);
void emu_global_lock(void);
void emu_global_unlock(void);
struct emu_dev **emu_global_head(void);
uint64_t emu_now_ns(void);

/* checksum helpers (one's complement sums, byte-order independent) */
static inline uint32_t
emu_csum_add(uint32_t sum, const uint8_t *p, uint32_t len)
{
	uint64_t acc = sum;
	uint32_t i = 0, w;

	/* big-endian 32-bit words: their sum folds to the 16-bit sum */
	for (; i + 4 <= len; i += 4) {
		memcpy(&w, p + i, 4);
		acc += __builtin_bswap32(w);
	}
	for (; i + 1 < len; i += 2)
		acc += ((uint32_t)p[i] << 8) | p[i + 1];
	if (i < len)
		acc += (uint32_t)p[i] << 8;
	acc = (acc & 0xFFFFFFFFu) + (acc >> 32);
	acc = (acc & 0xFFFFFFFFu) + (acc >> 32);
	w = (uint32_t)acc;
	return (w & 0xFFFF) + (w >> 16);
}

static inline uint16_t
emu_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	return (uint16_t)sum;
}

static inline uint16_t
emu_rd16(const uint8_t *p)
{
	return (uint16_t)(((uint16_t)p[0] << 8) | p[1]);
}

static inline void
emu_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint32_t
emu_rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | p[3];
}

static inline void
emu_wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/** Copy @p len bytes at ring offset @p off of @p wq, wrapping at the ring end. */
static inline void
emu_wq_read(const struct emu_wq *wq, uint32_t off, void *dst, uint32_t len)
{
	uint32_t pos = off & wq->mask;
	uint32_t first = wq->size - pos;

	if (len <= first) {
		memcpy(dst, wq->buf + pos, len);
	} else {
		memcpy(dst, wq->buf + pos, first);
		memcpy((uint8_t *)dst + first, wq->buf, len - first);
	}
}

#endif /* EMU_PRIV_H */
