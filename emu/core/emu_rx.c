/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * mana-emu receive path: MAC filter, VLAN strip, RSS queue choice, RX WQE
 * consumption and scatter, checksum verification, CQE coalescing.
 */

#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include <netinet/in.h>

#include "emu_priv.h"

/* ------------------------------------------------------------------------ */
/* Checksum verification, written independently of DPDK's helpers          */
/* ------------------------------------------------------------------------ */

static uint32_t
emu_rx_l4_flags(uint8_t proto, const uint8_t *l4, uint32_t l4len, uint32_t pseudo,
		bool v6)
{
	uint32_t sum;

	if (proto == IPPROTO_TCP) {
		if (l4len < 20)
			return 0;
		sum = emu_csum_add(pseudo, l4, l4len);
		return emu_csum_fold(sum) == 0xFFFF ?
			MANA_VAL(MANA_RXCOMP_RX_TCP_CSUM_SUCCEED, 1) :
			MANA_VAL(MANA_RXCOMP_RX_TCP_CSUM_FAIL, 1);
	}
	if (proto == IPPROTO_UDP) {
		if (l4len < 8)
			return 0;
		if (emu_rd16(l4 + 6) == 0)	/* no checksum: fine on IPv4 only */
			return v6 ? MANA_VAL(MANA_RXCOMP_RX_UDP_CSUM_FAIL, 1) :
				    MANA_VAL(MANA_RXCOMP_RX_UDP_CSUM_SUCCEED, 1);
		sum = emu_csum_add(pseudo, l4, l4len);
		return emu_csum_fold(sum) == 0xFFFF ?
			MANA_VAL(MANA_RXCOMP_RX_UDP_CSUM_SUCCEED, 1) :
			MANA_VAL(MANA_RXCOMP_RX_UDP_CSUM_FAIL, 1);
	}
	return 0;
}

static uint32_t
emu_rx_csum_flags(const uint8_t *f, uint32_t len)
{
	uint32_t off = 14, flags = 0;
	uint16_t type;

	if (len < off)
		return 0;
	type = emu_rd16(f + 12);
	if (type == 0x0800) {
		const uint8_t *ip = f + off;
		uint32_t ihl, totlen, pseudo;
		uint16_t frag;

		if (len < off + 20 || (ip[0] >> 4) != 4)
			return 0;
		ihl = (ip[0] & 0xFu) * 4u;
		if (ihl < 20 || len < off + ihl)
			return 0;
		flags |= emu_csum_fold(emu_csum_add(0, ip, ihl)) == 0xFFFF ?
			 MANA_VAL(MANA_RXCOMP_RX_IPHDR_CSUM_SUCCEED, 1) :
			 MANA_VAL(MANA_RXCOMP_RX_IPHDR_CSUM_FAIL, 1);
		totlen = emu_rd16(ip + 2);
		frag = emu_rd16(ip + 6) & 0x3FFF;
		if (totlen < ihl || off + totlen > len || frag)
			return flags;
		pseudo = emu_csum_add(0, ip + 12, 8) + ip[9] + (totlen - ihl);
		return flags | emu_rx_l4_flags(ip[9], ip + ihl, totlen - ihl, pseudo, false);
	}
	if (type == 0x86DD) {
		const uint8_t *ip = f + off;
		uint32_t plen, pseudo;

		if (len < off + 40 || (ip[0] >> 4) != 6)
			return 0;
		plen = emu_rd16(ip + 4);
		if (off + 40 + plen > len)
			return 0;
		pseudo = emu_csum_add(0, ip + 8, 32) + ip[6] + plen;
		return emu_rx_l4_flags(ip[6], ip + 40, plen, pseudo, true);
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* CQE construction                                                         */
/* ------------------------------------------------------------------------ */

static void
emu_rx_write_cqe(struct emu_dev *dev, struct emu_wq *rq, uint32_t type,
		 uint32_t vendor, uint32_t flags, uint32_t n, const uint32_t *len,
		 const uint32_t *hash, uint32_t wqe_offset)
{
	uint32_t d[15];
	uint32_t i;

	memset(d, 0, sizeof(d));
	d[0] = MANA_VAL(MANA_CQE_HDR_CQE_TYPE, type) |
	       MANA_VAL(MANA_CQE_HDR_CLIENT_TYPE, MANA_CQE_COMPLETION) |
	       MANA_VAL(MANA_CQE_HDR_VENDOR_ERR, vendor);
	d[1] = flags;
	for (i = 0; i < n; i++) {
		d[2 + 3 * i] = MANA_VAL(MANA_PPI_PKT_LEN, len[i]);
		d[2 + 3 * i + 2] = hash[i];
	}
	d[14] = wqe_offset;
	emu_cq_write(dev, rq, d);
	if (type == CQE_RX_COALESCED_4)
		dev->vport[rq->vport].st.rx_coalesced_cqes++;
}

/* CQE_RX_COALESCED_8: two packets per ppi slot (spec §5.5). */
static void
emu_rx_write_cqe8(struct emu_dev *dev, struct emu_wq *rq, const struct emu_rx_pend *p)
{
	uint32_t d[15];
	uint32_t i;

	memset(d, 0, sizeof(d));
	d[0] = MANA_VAL(MANA_CQE_HDR_CQE_TYPE, CQE_RX_COALESCED_8) |
	       MANA_VAL(MANA_CQE_HDR_CLIENT_TYPE, MANA_CQE_COMPLETION);
	d[1] = p->flags;
	for (i = 0; i < p->n; i++) {
		struct mana_rxcomp_perpkt_info_v2 v;

		memcpy(&v, &d[2 + 3 * (i / 2)], sizeof(v));
		if (i % 2 == 0) {
			v.pkt_hash0 = p->hash[i];
			v.pkt_len0 = (uint16_t)p->len[i];
		} else {
			v.pkt_hash1 = p->hash[i];
			v.pkt_len1 = (uint16_t)p->len[i];
		}
		memcpy(&d[2 + 3 * (i / 2)], &v, sizeof(v));
	}
	d[14] = p->wqe_offset;
	emu_cq_write(dev, rq, d);
	dev->vport[rq->vport].st.rx_coalesced_cqes++;
}

static void
emu_rx_pend_flush(struct emu_dev *dev, struct emu_wq *rq)
{
	struct emu_rx_pend *p = &rq->pend;

	if (p->n == 0)
		return;
	if (p->n > 1 && dev->cfg.cqe8_coalescing)
		emu_rx_write_cqe8(dev, rq, p);
	else
		emu_rx_write_cqe(dev, rq, p->n == 1 ? CQE_RX_OKAY : CQE_RX_COALESCED_4, 0,
				 p->flags, p->n, p->len, p->hash, p->wqe_offset);
	p->n = 0;
}

/*
 * Flush pending coalesced CQEs: all of them (@p force, step mode) or those
 * older than the timeout. The clock is read only when something is pending;
 * a pending CQE's timer starts at the first check after its first packet.
 */
int
emu_rx_flush(struct emu_dev *dev, bool force)
{
	uint64_t now = 0;
	uint32_t i;
	int work = 0;

	for (i = 0; i < dev->n_wqs; i++) {
		struct emu_wq *rq = dev->wqs[i];

		if (rq->pend.n == 0)
			continue;
		if (!force) {
			if (now == 0)
				now = emu_now_ns();
			if (rq->pend.t0_ns == 0) {
				rq->pend.t0_ns = now;
				continue;
			}
			if (now - rq->pend.t0_ns < dev->cfg.coalesce_ns)
				continue;
		}
		emu_rx_pend_flush(dev, rq);
		work++;
	}
	return work;
}

/* ------------------------------------------------------------------------ */
/* Frame delivery into an RQ                                                */
/* ------------------------------------------------------------------------ */

static void
emu_rq_deliver(struct emu_dev *dev, struct emu_vport *vp, struct emu_wq *rq,
	       const uint8_t *frame, uint32_t len, uint32_t flags, uint32_t hash)
{
	struct gdma_sge sgl[MAX_RX_WQE_SGL_ENTRIES];
	uint32_t hdr[2], off, nsge, div4, wqe_len, i, cap, pos;
	uint32_t vendor = 0;
	bool bad = false;

	if (rq->consumer == rq->tail) {
		vp->st.rx_discards_nowqe++;
		return;
	}
	off = rq->consumer;
	emu_wq_read(rq, off, hdr, sizeof(hdr));
	nsge = MANA_GET(hdr, GDMA_WQE_NUM_SGE);
	div4 = MANA_GET(hdr, GDMA_WQE_INLINE_OOB_SIZE_DIV4);
	wqe_len = (8 + 4 * div4 + 16 * (nsge ? nsge : 1) + 31) & ~31u;
	if (wqe_len > rq->tail - rq->consumer) {
		emu_violation(dev, EMU_VIOL_WQE_BEYOND_TAIL, rq->id, off,
			      "RX WQE of %u bytes extends beyond the doorbell tail (%u bytes posted)",
			      wqe_len, rq->tail - rq->consumer);
		rq->error = true;
		vp->st.rx_drop_disabled++;
		return;
	}
	if (dev->trace) {
		char b[256];

		mana_fmt_decode(b, sizeof(b), gdma_wqe_fields, MANA_FIELDS_N(gdma_wqe_fields),
				hdr, 0);
		emu_trace(dev, "RX WQE rq %#x offset %#x: %s", rq->id, off, b);
	}
	if (div4 != 2 || MANA_GET(hdr, GDMA_WQE_CLIENT_DATA_UNIT) != 0 ||
	    MANA_GET(hdr, GDMA_WQE_CLIENT_OOB_IN_SGL) != 0 || nsge == 0 ||
	    wqe_len > GDMA_MAX_RQE_SIZE) {
		emu_violation(dev, EMU_VIOL_RQ_WQE_FORMAT, rq->id, off,
			      "RX WQE header %#010x %#010x: needs num_sge >= 1, OOB 8 bytes, no data unit",
			      hdr[0], hdr[1]);
		bad = true;
		vendor = 0x100 | EMU_VIOL_RQ_WQE_FORMAT;
	} else if (nsge > dev->cfg.max_sge_rx) {
		emu_violation(dev, EMU_VIOL_SGE_COUNT, rq->id, off,
			      "RX WQE with %u SGEs, device limit %u", nsge,
			      dev->cfg.max_sge_rx);
		bad = true;
		vendor = 0x100 | EMU_VIOL_SGE_COUNT;
	}
	cap = 0;
	if (!bad) {
		emu_wq_read(rq, off + 8 + 4 * div4, sgl, nsge * sizeof(sgl[0]));
		for (i = 0; i < nsge; i++) {
			if (dev->trace)
				emu_trace(dev, "  sge %u: addr %#" PRIx64 " lkey %#x size %u", i,
					  sgl[i].address, sgl[i].mem_key, sgl[i].size);
			if (emu_mr_check(dev, rq, &sgl[i], EMU_ACCESS_LOCAL_WRITE, off) == NULL) {
				bad = true;
				vendor = 0x100 | EMU_VIOL_SGE_OUTSIDE_MR;
				break;
			}
			cap += sgl[i].size;
		}
	}
	rq->consumer += wqe_len;
	rq->st.wqes++;
	if (bad || cap < len) {
		uint32_t l = len;

		emu_rx_pend_flush(dev, rq);
		rq->st.errors++;
		vp->st.rx_truncated++;
		emu_rx_write_cqe(dev, rq, CQE_RX_TRUNCATED, vendor, flags, 1, &l, &hash, off);
		return;
	}
	pos = 0;
	for (i = 0; i < nsge && pos < len; i++) {
		uint32_t n = len - pos < sgl[i].size ? len - pos : sgl[i].size;

		memcpy((void *)(uintptr_t)sgl[i].address, frame + pos, n);
		pos += n;
	}
	rq->st.frames++;
	rq->st.bytes += len;
	vp->st.rx_frames++;
	vp->st.rx_bytes += len;
	if (vp->coalesce) {
		struct emu_rx_pend *p = &rq->pend;

		if (p->n && p->flags != flags)
			emu_rx_pend_flush(dev, rq);
		if (p->n == 0) {
			p->flags = flags;
			p->wqe_offset = off;
			p->t0_ns = 0;
		}
		p->len[p->n] = len;
		p->hash[p->n] = hash;
		p->n++;
		if (p->n == (dev->cfg.cqe8_coalescing ? 2 : 1) * MANA_RXCOMP_OOB_NUM_PPI)
			emu_rx_pend_flush(dev, rq);
	} else {
		emu_rx_write_cqe(dev, rq, CQE_RX_OKAY, 0, flags, 1, &len, &hash, off);
	}
}

void
emu_rx_frame(struct emu_dev *dev, uint32_t vport, uint8_t *frame, uint32_t len)
{
	struct emu_vport *vp = &dev->vport[vport];
	uint8_t in[EMU_RSS_MAX_INPUT];
	struct emu_wq *rq;
	uint32_t flags = 0, hash = 0, ht, n, limit;
	bool tagged;

	vp->st.rx_wire_frames++;
	if (vp->rx_fault_count && len > 0) {
		vp->rx_fault_count--;
		if (vp->rx_fault == EMU_RX_FAULT_TRUNCATE && len > 1) {
			len = 1 + (uint32_t)(emu_rand(dev) % (len - 1));
		} else if (vp->rx_fault == EMU_RX_FAULT_CORRUPT && len > 14) {
			uint32_t at = 14 + (uint32_t)(emu_rand(dev) % (len - 14));

			frame[at] ^= (uint8_t)(1u << (emu_rand(dev) % 8));
		}
	}
	if (len < 14) {
		vp->st.rx_drop_runt++;
		return;
	}
	if (!(frame[0] & 1) && memcmp(frame, vp->cfg.mac, 6) != 0) {
		vp->st.rx_drop_filter++;
		return;
	}
	tagged = emu_rd16(frame + 12) == 0x8100;
	limit = vp->cfg.mtu + 14 + (tagged ? 4 : 0);
	if (len > limit) {
		vp->st.rx_drop_mtu++;
		return;
	}
	if (!vp->rx_enable) {
		vp->st.rx_drop_disabled++;
		return;
	}
	if (tagged) {
		uint16_t tci;

		if (len < 18) {
			vp->st.rx_drop_runt++;
			return;
		}
		tci = emu_rd16(frame + 14);
		flags |= MANA_VAL(MANA_RXCOMP_RX_VLANTAG_PRESENT, 1) |
			 MANA_VAL(MANA_RXCOMP_RX_VLAN_ID, tci & 0xFFF);
		memmove(frame + 4, frame, 12);
		frame += 4;
		len -= 4;
	}
	ht = emu_rss_input(frame, len, in, &n);
	if (ht != 0) {
		hash = emu_rss_hash_tbl(vp->tt, in, n);
		flags |= MANA_VAL(MANA_RXCOMP_RX_HASHTYPE, ht);
	}
	rq = (vp->rss_enable && (flags & MANA_VAL(MANA_RXCOMP_RX_HASHTYPE, 0x1FF))) ?
		vp->table[hash & (EMU_RSS_TABLE_SIZE - 1)] : vp->default_rq;
	if (rq == NULL || rq->error) {
		vp->st.rx_drop_disabled++;
		return;
	}
	flags |= emu_rx_csum_flags(frame, len);
	emu_rq_deliver(dev, vp, rq, frame, len, flags, hash);
}
