/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Fixture for the emulator-core tests: a device with one SQ and up to four
 * RQs in step mode, raw ring access, CQE polling and frame builders.
 */

#ifndef EMU_TEST_H
#define EMU_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "emu_core.h"
#include "gdma.h"
#include "mtest.h"

#define FX_MAX_RQ	4
#define FX_RING		4096u
#define FX_MEM		(1u << 20)

struct fx_q {
	struct emu_wq_obj_info id;
	struct emu_db_page page;	/* one doorbell page per queue */
	uint8_t *ring;
	uint8_t *cq;
	uint32_t head;		/* producer, bytes */
	uint64_t cq_k;		/* CQEs consumed */
};

struct fx {
	struct emu_dev *dev;
	uint32_t pd, lkey, vpo;
	uint8_t *mem;		/* packet memory, registered LOCAL_WRITE */
	struct emu_db_page page;
	uint32_t depth;
	struct fx_q sq;
	struct fx_q rq[FX_MAX_RQ];
	uint32_t n_rq;
	uint8_t mac[6];
};

struct fx_opts {
	uint32_t n_rq;		/* 0 = 1 */
	uint32_t depth;		/* CQ depth, 0 = 64 */
	bool no_coalescing;
	bool no_loopback;
	bool rss;		/* table[i] = rq[i % n_rq] */
	uint32_t mtu;
	uint32_t vpo;		/* tx_vp_offset of vPort 0 */
	const uint8_t *key;	/* 40 bytes, NULL = zero key */
	bool strict;
	bool cqe8;		/* CQE_RX_COALESCED_8 */
	uint32_t vsw_flows;	/* vSwitch flow table, 0 = default */
};

static inline void *
fx_alloc(size_t align, size_t size)
{
	void *p = aligned_alloc(align, (size + align - 1) & ~(align - 1));

	if (p != NULL)
		memset(p, 0, size);
	return p;
}

static inline int
fx_make_q(struct fx *f, enum emu_wq_type type, struct fx_q *q)
{
	struct emu_wq_obj_attr a;

	memset(q, 0, sizeof(*q));
	if (emu_db_page_alloc(f->dev, &q->page) < 0)
		return -1;
	q->ring = fx_alloc(4096, FX_RING);
	q->cq = fx_alloc(4096, (size_t)f->depth * 64 < 4096 ? 4096 : (size_t)f->depth * 64);
	if (q->ring == NULL || q->cq == NULL)
		return -1;
	memset(&a, 0, sizeof(a));
	a.type = type;
	a.pdid = f->pd;
	a.db_page_id = q->page.id;
	a.wq_buf = q->ring;
	a.wq_size = FX_RING;
	a.cq_buf = q->cq;
	a.cq_depth = f->depth;
	return emu_wq_obj_create(f->dev, 0, &a, &q->id);
}

/** Create the fixture. Returns 0 or a negative value. */
static inline int
fx_init(struct fx *f, const struct fx_opts *o)
{
	struct emu_dev_config cfg;
	struct emu_vport_rx_config rx;
	uint32_t i;
	int rc;

	memset(f, 0, sizeof(*f));
	emu_dev_config_init(&cfg);
	cfg.cqe_coalescing = !o->no_coalescing;
	cfg.strict = o->strict;
	cfg.cqe8_coalescing = o->cqe8;
	cfg.vsw_flows = o->vsw_flows;
	if (o->mtu)
		cfg.vport[0].mtu = o->mtu;
	cfg.vport[0].tx_vp_offset = o->vpo;
	rc = emu_dev_create(&cfg, &f->dev);
	if (rc < 0)
		return rc;
	memcpy(f->mac, cfg.vport[0].mac, 6);
	f->depth = o->depth ? o->depth : 64;
	f->n_rq = o->n_rq ? o->n_rq : 1;
	f->mem = fx_alloc(4096, FX_MEM);
	if (f->mem == NULL)
		return -12;
	if ((rc = emu_pd_create(f->dev, &f->pd)) < 0 ||
	    (rc = emu_mr_create(f->dev, f->pd, (uintptr_t)f->mem, FX_MEM,
				EMU_ACCESS_LOCAL_WRITE, &f->lkey)) < 0 ||
	    (rc = emu_db_page_alloc(f->dev, &f->page)) < 0 ||
	    (rc = emu_vport_config_tx(f->dev, 0, f->pd, f->page.id, &f->vpo)) < 0)
		return rc;
	rc = fx_make_q(f, EMU_WQ_SQ, &f->sq);
	if (rc < 0)
		return rc;
	for (i = 0; i < f->n_rq; i++) {
		rc = fx_make_q(f, EMU_WQ_RQ, &f->rq[i]);
		if (rc < 0)
			return rc;
	}
	memset(&rx, 0, sizeof(rx));
	if (o->key != NULL)
		memcpy(rx.hash_key, o->key, 40);
	for (i = 0; i < EMU_RSS_TABLE_SIZE; i++)
		rx.table[i] = f->rq[o->rss ? i % f->n_rq : 0].id.handle;
	rx.default_rxobj = f->rq[f->n_rq - 1].id.handle;
	rx.rx_enable = true;
	rx.rss_enable = o->rss;
	rx.cqe_coalescing = true;
	rc = emu_vport_config_rx(f->dev, 0, &rx);
	if (rc < 0)
		return rc;
	if (!o->no_loopback)
		rc = emu_port_wire_loopback(f->dev, 0);
	return rc;
}

static inline void
fx_fini(struct fx *f)
{
	uint32_t i;

	emu_dev_destroy(f->dev);
	free(f->sq.ring);
	free(f->sq.cq);
	for (i = 0; i < FX_MAX_RQ; i++) {
		free(f->rq[i].ring);
		free(f->rq[i].cq);
	}
	free(f->mem);
}

/** Copy raw WQE bytes at the producer (wrapping) and advance it. */
static inline void
fx_post_raw(struct fx_q *q, const void *bytes, uint32_t len)
{
	uint32_t pos = q->head & (FX_RING - 1), first = FX_RING - pos;

	if (len <= first) {
		memcpy(q->ring + pos, bytes, len);
	} else {
		memcpy(q->ring + pos, bytes, first);
		memcpy(q->ring, (const uint8_t *)bytes + first, len - first);
	}
	q->head += len;
}

static inline void
fx_db(struct fx_q *q, uint32_t offset, uint64_t v)
{
	__atomic_store_n((uint64_t *)((uint8_t *)q->page.addr + offset), v, __ATOMIC_RELEASE);
}

static inline void
fx_ring_sq(struct fx *f)
{
	fx_db(&f->sq, DOORBELL_OFFSET_SQ, gdma_db_sq_value(f->sq.id.wq_id, f->sq.head));
}

static inline void
fx_ring_rq(struct fx *f, uint32_t i)
{
	fx_db(&f->rq[i], DOORBELL_OFFSET_RQ, gdma_db_rq_value(f->rq[i].id.wq_id, f->rq[i].head));
}

/** Take the next CQE of @p q into @p out; 1 if there was one, 0 if empty, -1 overflow. */
static inline int
fx_cqe(struct fx *f, struct fx_q *q, struct gdma_cqe *out)
{
	const struct gdma_cqe *e = (const struct gdma_cqe *)q->cq + (q->cq_k % f->depth);
	uint32_t want = (uint32_t)((q->cq_k / f->depth) + 1) & 7;
	uint32_t prev = (want - 1) & 7;
	uint32_t owner = __atomic_load_n(&e->cqe_info, __ATOMIC_ACQUIRE) >> 29;

	if (owner == prev)
		return 0;
	if (owner != want)
		return -1;
	memcpy(out, e, sizeof(*out));
	q->cq_k++;
	return 1;
}

/** Report CQ consumption (arm as asked). */
static inline void
fx_ring_cq(struct fx *f, struct fx_q *q, int arm)
{
	fx_db(q, DOORBELL_OFFSET_CQ,
	      gdma_db_cq_value(q->id.cq_id, (uint32_t)(q->cq_k + f->depth), f->depth, arm));
}

/** Post one 1-BU RX WQE for @p size bytes at @p addr (golden layout, spec §3.5 #4). */
static inline void
fx_post_rx(struct fx *f, uint32_t i, const void *addr, uint32_t size)
{
	uint8_t w[32];
	uint64_t a = (uintptr_t)addr;

	memset(w, 0, sizeof(w));
	w[4] = 0x01;	/* num_sge 1 */
	w[5] = 0x02;	/* inline_oob_size_div4 2 */
	memcpy(w + 16, &a, 8);
	memcpy(w + 24, &f->lkey, 4);
	memcpy(w + 28, &size, 4);
	fx_post_raw(&f->rq[i], w, sizeof(w));
}

/** Post a 1-SGE short-OOB TX WQE (golden layout, spec §3.5 #1) with OOB dword 0 flags. */
static inline void
fx_post_tx(struct fx *f, const void *addr, uint32_t len, uint32_t oob0_flags, uint32_t trans_off)
{
	uint8_t w[32];
	uint64_t a = (uintptr_t)addr;
	uint32_t d;

	memset(w, 0, sizeof(w));
	w[4] = 0x01;
	w[5] = 0x02;
	d = oob0_flags | (f->sq.id.cq_id << 8);
	memcpy(w + 8, &d, 4);
	d = trans_off | (((f->sq.id.wq_id >> 10) & 0x3FFF) << 10) | (f->vpo << 24);
	memcpy(w + 12, &d, 4);
	memcpy(w + 16, &a, 8);
	memcpy(w + 24, &f->lkey, 4);
	memcpy(w + 28, &len, 4);
	fx_post_raw(&f->sq, w, sizeof(w));
}

/* ------------------------------------------------------------------------ */
/* Frame builders (checksums by DPDK's rte_ip.h as the independent reference) */
/* ------------------------------------------------------------------------ */

static inline uint32_t
fx_ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	return ((uint32_t)a << 24) | ((uint32_t)b << 16) | ((uint32_t)c << 8) | d;
}

/**
 * Build Ethernet + IPv4 + (UDP|TCP|other) frame into @p buf, checksums
 * correct. @p proto 17 UDP, 6 TCP, else raw payload. Returns frame length.
 */
static inline uint32_t
fx_frame4(uint8_t *buf, const uint8_t *dst, const uint8_t *src, uint8_t proto,
	  uint32_t sip, uint32_t dip, uint16_t sport, uint16_t dport, uint32_t paylen)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)buf;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	uint8_t *l4 = (uint8_t *)(ip + 1);
	uint32_t l4hl = proto == IPPROTO_UDP ? 8 : proto == IPPROTO_TCP ? 20 : 0;
	uint32_t i;

	memcpy(eth->dst_addr.addr_bytes, dst, 6);
	memcpy(eth->src_addr.addr_bytes, src, 6);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + l4hl + paylen));
	ip->packet_id = rte_cpu_to_be_16(0x1234);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = rte_cpu_to_be_32(sip);
	ip->dst_addr = rte_cpu_to_be_32(dip);
	for (i = 0; i < paylen; i++)
		l4[l4hl + i] = (uint8_t)(i * 7 + 3);
	if (proto == IPPROTO_UDP) {
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)l4;

		u->src_port = rte_cpu_to_be_16(sport);
		u->dst_port = rte_cpu_to_be_16(dport);
		u->dgram_len = rte_cpu_to_be_16((uint16_t)(8 + paylen));
		u->dgram_cksum = 0;
		u->dgram_cksum = rte_ipv4_udptcp_cksum(ip, u);
	} else if (proto == IPPROTO_TCP) {
		struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)l4;

		memset(t, 0, sizeof(*t));
		t->src_port = rte_cpu_to_be_16(sport);
		t->dst_port = rte_cpu_to_be_16(dport);
		t->sent_seq = rte_cpu_to_be_32(1000);
		t->data_off = 0x50;
		t->tcp_flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;
		t->rx_win = rte_cpu_to_be_16(65535);
		t->cksum = rte_ipv4_udptcp_cksum(ip, t);
	}
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	return 14 + 20 + l4hl + paylen;
}

/** Ethernet + IPv6 + (UDP|TCP|other) frame, checksums correct. */
static inline uint32_t
fx_frame6(uint8_t *buf, const uint8_t *dst, const uint8_t *src, uint8_t proto,
	  const uint8_t *sip, const uint8_t *dip, uint16_t sport, uint16_t dport,
	  uint32_t paylen)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)buf;
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(eth + 1);
	uint8_t *l4 = (uint8_t *)(ip + 1);
	uint32_t l4hl = proto == IPPROTO_UDP ? 8 : proto == IPPROTO_TCP ? 20 : 0;
	uint32_t i;

	memcpy(eth->dst_addr.addr_bytes, dst, 6);
	memcpy(eth->src_addr.addr_bytes, src, 6);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	memset(ip, 0, sizeof(*ip));
	ip->vtc_flow = rte_cpu_to_be_32(0x60000000);
	ip->payload_len = rte_cpu_to_be_16((uint16_t)(l4hl + paylen));
	ip->proto = proto;
	ip->hop_limits = 64;
	memcpy(&ip->src_addr, sip, 16);
	memcpy(&ip->dst_addr, dip, 16);
	for (i = 0; i < paylen; i++)
		l4[l4hl + i] = (uint8_t)(i * 5 + 1);
	if (proto == IPPROTO_UDP) {
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)l4;

		u->src_port = rte_cpu_to_be_16(sport);
		u->dst_port = rte_cpu_to_be_16(dport);
		u->dgram_len = rte_cpu_to_be_16((uint16_t)(8 + paylen));
		u->dgram_cksum = 0;
		u->dgram_cksum = rte_ipv6_udptcp_cksum(ip, u);
	} else if (proto == IPPROTO_TCP) {
		struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)l4;

		memset(t, 0, sizeof(*t));
		t->src_port = rte_cpu_to_be_16(sport);
		t->dst_port = rte_cpu_to_be_16(dport);
		t->data_off = 0x50;
		t->tcp_flags = RTE_TCP_ACK_FLAG;
		t->cksum = rte_ipv6_udptcp_cksum(ip, t);
	}
	return 14 + 40 + l4hl + paylen;
}

#endif /* EMU_TEST_H */
