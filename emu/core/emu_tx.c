/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * mana-emu transmit path: SQ WQE parsing, OOB checks, checked gather,
 * checksum/VLAN/TSO offloads, TX policing and TX completions.
 */

#include <inttypes.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "emu_priv.h"

/* Outcome of one WQE. */
struct emu_tx_res {
	uint32_t type;
	uint32_t vendor;
};

/* Parsed L2/L3/L4 layout of a frame. */
struct emu_l3 {
	uint32_t l2;		/* L3 offset */
	uint32_t l4;		/* L4 offset, 0 if unknown */
	uint32_t l4len;		/* from the IP header */
	uint8_t proto;
	bool v4, v6;
};

static bool
emu_parse_l3(const uint8_t *f, uint32_t len, struct emu_l3 *p)
{
	uint16_t type;

	memset(p, 0, sizeof(*p));
	if (len < 14)
		return false;
	p->l2 = 14;
	type = emu_rd16(f + 12);
	if (type == 0x8100) {
		if (len < 18)
			return false;
		type = emu_rd16(f + 16);
		p->l2 = 18;
	}
	if (type == 0x0800) {
		const uint8_t *ip = f + p->l2;
		uint32_t ihl, tot;

		if (len < p->l2 + 20 || (ip[0] >> 4) != 4)
			return false;
		ihl = (ip[0] & 0xFu) * 4u;
		tot = emu_rd16(ip + 2);
		if (ihl < 20 || len < p->l2 + ihl)
			return false;
		p->v4 = true;
		p->proto = ip[9];
		p->l4 = p->l2 + ihl;
		p->l4len = tot >= ihl ? tot - ihl : 0;
		return true;
	}
	if (type == 0x86DD) {
		const uint8_t *ip = f + p->l2;

		if (len < p->l2 + 40 || (ip[0] >> 4) != 6)
			return false;
		p->v6 = true;
		p->proto = ip[6];
		p->l4 = p->l2 + 40;
		p->l4len = emu_rd16(ip + 4);
		return true;
	}
	return false;
}

static void
emu_ipv4_csum(uint8_t *ip)
{
	uint32_t ihl = (ip[0] & 0xFu) * 4u;

	emu_wr16(ip + 10, 0);
	emu_wr16(ip + 10, (uint16_t)~emu_csum_fold(emu_csum_add(0, ip, ihl)));
}

/* Full L4 checksum (pseudo header computed here). */
static void
emu_l4_csum_full(uint8_t *f, const struct emu_l3 *p, uint32_t l4len)
{
	uint8_t *ip = f + p->l2, *l4 = f + p->l4;
	uint32_t cof = p->proto == IPPROTO_TCP ? 16 : 6;
	uint32_t sum;
	uint16_t c;

	if (p->v4)
		sum = emu_csum_add(0, ip + 12, 8);
	else
		sum = emu_csum_add(0, ip + 8, 32);
	sum += p->proto + l4len;
	emu_wr16(l4 + cof, 0);
	c = (uint16_t)~emu_csum_fold(emu_csum_add(sum, l4, l4len));
	if (c == 0 && p->proto == IPPROTO_UDP)
		c = 0xFFFF;
	emu_wr16(l4 + cof, c);
}

/* Checksum offloads of a non-TSO frame in @p f (writable). */
static void
emu_tx_csum(struct emu_dev *dev, struct emu_wq *wq, uint32_t off, const uint32_t *oob,
	    uint8_t *f, uint32_t len)
{
	bool ipc = MANA_GET(oob, MANA_TX_OOB_COMP_IPHDR_CSUM);
	bool tcp = MANA_GET(oob, MANA_TX_OOB_COMP_TCP_CSUM);
	bool udp = MANA_GET(oob, MANA_TX_OOB_COMP_UDP_CSUM);
	uint32_t trans_off = MANA_GET(oob, MANA_TX_OOB_TRANS_OFF);
	struct emu_l3 p;

	if (!emu_parse_l3(f, len, &p)) {
		emu_violation(dev, EMU_VIOL_TX_OFFLOAD, wq->id, off,
			      "checksum offload requested on a frame that is not IPv4/IPv6");
		return;
	}
	if (ipc) {
		if (!p.v4 || !MANA_GET(oob, MANA_TX_OOB_IS_OUTER_IPV4))
			emu_violation(dev, EMU_VIOL_TX_OFFLOAD, wq->id, off,
				      "comp_iphdr_csum needs an IPv4 frame and is_outer_ipv4");
		else
			emu_ipv4_csum(f + p.l2);
	}
	if (!tcp && !udp)
		return;
	if ((p.v4 && !MANA_GET(oob, MANA_TX_OOB_IS_OUTER_IPV4)) ||
	    (p.v6 && !MANA_GET(oob, MANA_TX_OOB_IS_OUTER_IPV6)))
		emu_violation(dev, EMU_VIOL_TX_OFFLOAD, wq->id, off,
			      "L4 checksum offload without is_outer_ipv4/ipv6 matching the frame");
	if ((tcp && p.proto != IPPROTO_TCP) || (udp && p.proto != IPPROTO_UDP) ||
	    (tcp && udp)) {
		emu_violation(dev, EMU_VIOL_TX_OFFLOAD, wq->id, off,
			      "comp_%s_csum on a frame with IP protocol %u",
			      tcp ? "tcp" : "udp", p.proto);
		return;
	}
	if (tcp && trans_off != p.l4) {
		emu_violation(dev, EMU_VIOL_TX_OFFLOAD, wq->id, off,
			      "trans_off %u, TCP header at %u", trans_off, p.l4);
		if (trans_off == 0 || trans_off + 20 > len)
			return;
		p.l4 = trans_off;
	}
	if (p.l4 + p.l4len > len || p.l4len < (tcp ? 20u : 8u)) {
		emu_violation(dev, EMU_VIOL_TX_OFFLOAD, wq->id, off,
			      "L4 length %u from the IP header does not fit the %u-byte frame",
			      p.l4len, len);
		return;
	}
	/* the checksum field holds the pseudo-header sum: complete it */
	{
		uint8_t *l4 = f + p.l4;
		uint32_t cof = tcp ? 16 : 6;
		uint16_t c = (uint16_t)~emu_csum_fold(emu_csum_add(0, l4, p.l4len));

		if (c == 0 && udp)
			c = 0xFFFF;
		emu_wr16(l4 + cof, c);
	}
}

/* Send one finished frame, inserting the VLAN tag if asked. */
static void
emu_tx_emit(struct emu_dev *dev, struct emu_wq *wq, const uint32_t *oob, bool long_fmt,
	    const uint8_t *f, uint32_t len)
{
	if (long_fmt && MANA_GET(oob, MANA_TX_OOB_INJECT_VLAN_PRI_TAG)) {
		uint8_t *o = dev->vbuf;
		uint16_t tci = (uint16_t)((MANA_GET(oob, MANA_TX_OOB_PCP) << 13) |
					  (MANA_GET(oob, MANA_TX_OOB_DEI) << 12) |
					  MANA_GET(oob, MANA_TX_OOB_VLAN_ID));

		memmove(o + 16, f + 12, len - 12);
		memmove(o, f, 12);
		emu_wr16(o + 12, 0x8100);
		emu_wr16(o + 14, tci);
		f = o;
		len += 4;
	}
	wq->st.frames++;
	wq->st.bytes += len;
	emu_port_transmit(dev, wq->vport, f, len);
}

static bool
emu_tx_police(struct emu_dev *dev, struct emu_wq *wq, uint32_t off, const uint8_t *f,
	      uint32_t len, uint32_t max_len, struct emu_tx_res *r)
{
	struct emu_vport *vp = &dev->vport[wq->vport];
	uint32_t limit = vp->cfg.mtu + 14;

	if (len < 14) {
		emu_violation(dev, EMU_VIOL_TX_RUNT, wq->id, off, "TX frame of %u bytes", len);
		r->type = CQE_TX_HDR_PROCESSING_ERROR;
		vp->st.tx_drop_hdr++;
		return false;
	}
	if (memcmp(f + 6, vp->cfg.mac, 6) != 0) {
		r->type = CQE_TX_SA_DROP;
		vp->st.tx_drop_sa++;
		return false;
	}
	if (emu_rd16(f + 12) == 0x8100)
		limit += 4;
	if (max_len > limit) {
		r->type = CQE_TX_MTU_DROP;
		vp->st.tx_drop_mtu++;
		return false;
	}
	return true;
}

static void
emu_tx_tso(struct emu_dev *dev, struct emu_wq *wq, uint32_t off, const uint32_t *hdr,
	   const uint32_t *oob, bool long_fmt, const struct gdma_sge *sgl, uint32_t nsge,
	   struct emu_tx_res *r)
{
	struct emu_vport *vp = &dev->vport[wq->vport];
	uint32_t mss = MANA_GET(hdr, GDMA_WQE_CLIENT_DATA_UNIT);
	uint32_t hl = sgl[0].size, plen = 0, i, nseg, tcp_hl, seq0, pos;
	uint8_t *h = dev->scratch, *pay = dev->scratch + 1024;
	struct emu_l3 p;
	uint16_t id0 = 0;
	uint8_t tflags;

	if (nsge < 2 || mss == 0 || hl > 255 || hl < 14) {
		emu_violation(dev, EMU_VIOL_TX_TSO, wq->id, off,
			      "TSO WQE needs >= 2 SGEs, MSS > 0, header SGE <= 255 bytes (got %u SGEs, MSS %u, header %u)",
			      nsge, mss, hl);
		r->type = CQE_TX_HDR_PROCESSING_ERROR;
		vp->st.tx_drop_hdr++;
		return;
	}
	memcpy(h, (const void *)(uintptr_t)sgl[0].address, hl);
	if (!emu_parse_l3(h, hl, &p) || p.proto != IPPROTO_TCP || p.l4 + 20 > hl ||
	    (tcp_hl = (uint32_t)(h[p.l4 + 12] >> 4) * 4u, p.l4 + tcp_hl != hl)) {
		emu_violation(dev, EMU_VIOL_TX_TSO, wq->id, off,
			      "TSO SGE 0 (%u bytes) is not exactly the Ethernet+IP+TCP headers", hl);
		r->type = CQE_TX_HDR_PROCESSING_ERROR;
		vp->st.tx_drop_hdr++;
		return;
	}
	if (MANA_GET(hdr, GDMA_WQE_LAST_VBYTES) != hl)
		emu_violation(dev, EMU_VIOL_TX_TSO, wq->id, off,
			      "last_vbytes %u != header SGE size %u",
			      MANA_GET(hdr, GDMA_WQE_LAST_VBYTES), hl);
	if (!MANA_GET(oob, MANA_TX_OOB_COMP_TCP_CSUM) ||
	    (p.v4 && !MANA_GET(oob, MANA_TX_OOB_COMP_IPHDR_CSUM)) ||
	    MANA_GET(oob, MANA_TX_OOB_TRANS_OFF) != p.l4)
		emu_violation(dev, EMU_VIOL_TX_TSO, wq->id, off,
			      "TSO without comp_tcp_csum/comp_iphdr_csum or with trans_off %u != %u",
			      MANA_GET(oob, MANA_TX_OOB_TRANS_OFF), p.l4);
	for (i = 1; i < nsge; i++) {
		if (plen + sgl[i].size > EMU_TSO_MAX - 1024) {
			emu_violation(dev, EMU_VIOL_TX_TSO, wq->id, off,
				      "TSO payload larger than %u bytes", EMU_TSO_MAX - 1024);
			r->type = CQE_TX_HDR_PROCESSING_ERROR;
			vp->st.tx_drop_hdr++;
			return;
		}
		memcpy(pay + plen, (const void *)(uintptr_t)sgl[i].address, sgl[i].size);
		plen += sgl[i].size;
	}
	if (!emu_tx_police(dev, wq, off, h, hl, hl + (plen < mss ? plen : mss), r))
		return;
	nseg = plen ? (plen + mss - 1) / mss : 1;
	seq0 = emu_rd32(h + p.l4 + 4);
	tflags = h[p.l4 + 13];
	if (p.v4)
		id0 = emu_rd16(h + p.l2 + 4);
	for (i = 0, pos = 0; i < nseg; i++) {
		uint32_t sl = plen - pos < mss ? plen - pos : mss;
		uint8_t *s = dev->seg;
		uint8_t fl = tflags;

		memcpy(s, h, hl);
		memcpy(s + hl, pay + pos, sl);
		if (p.v4) {
			emu_wr16(s + p.l2 + 2, (uint16_t)(hl - p.l2 + sl));
			emu_wr16(s + p.l2 + 4, (uint16_t)(id0 + i));
			emu_ipv4_csum(s + p.l2);
		} else {
			emu_wr16(s + p.l2 + 4, (uint16_t)(hl - p.l4 + sl));
		}
		emu_wr32(s + p.l4 + 4, seq0 + pos);
		if (i + 1 < nseg)
			fl &= (uint8_t)~0x09;	/* FIN, PSH only on the last */
		if (i > 0)
			fl &= (uint8_t)~0x80;	/* CWR only on the first */
		s[p.l4 + 13] = fl;
		emu_l4_csum_full(s, &p, hl - p.l4 + sl);
		emu_tx_emit(dev, wq, oob, long_fmt, s, hl + sl);
		pos += sl;
	}
}

static void
emu_tx_trace(struct emu_dev *dev, struct emu_wq *wq, uint32_t off, const uint32_t *hdr,
	     const uint32_t *oob, bool long_fmt, const struct gdma_sge *sgl, uint32_t nsge)
{
	char b1[256], b2[512];
	uint32_t i;

	mana_fmt_decode(b1, sizeof(b1), gdma_wqe_fields, MANA_FIELDS_N(gdma_wqe_fields),
			hdr, 0);
	if (long_fmt)
		mana_fmt_decode(b2, sizeof(b2), mana_tx_oob_fields,
				MANA_FIELDS_N(mana_tx_oob_fields), oob, 0);
	else
		mana_fmt_decode(b2, sizeof(b2), mana_tx_short_oob_fields,
				MANA_FIELDS_N(mana_tx_short_oob_fields), oob, 0);
	emu_trace(dev, "TX WQE sq %#x offset %#x: %s | %s", wq->id, off, b1, b2);
	for (i = 0; i < nsge; i++)
		emu_trace(dev, "  sge %u: addr %#" PRIx64 " lkey %#x size %u", i,
			  sgl[i].address, sgl[i].mem_key, sgl[i].size);
}

/* Process one WQE at the consumer; returns its length (0: stop the queue). */
static uint32_t
emu_sq_one(struct emu_dev *dev, struct emu_wq *wq)
{
	struct emu_vport *vp = &dev->vport[wq->vport];
	struct gdma_sge sgl[MAX_TX_WQE_SGL_ENTRIES];
	uint32_t hdr[2], oob[8], off = wq->consumer;
	uint32_t nsge, div4, oob_size, wqe_len, i, total, vpo;
	struct emu_tx_res r = { CQE_TX_OKAY, 0 };
	bool suppress = false, long_fmt = false;
	uint8_t *frame;

	emu_wq_read(wq, off, hdr, sizeof(hdr));
	nsge = MANA_GET(hdr, GDMA_WQE_NUM_SGE);
	div4 = MANA_GET(hdr, GDMA_WQE_INLINE_OOB_SIZE_DIV4);
	oob_size = 4 * div4;
	wqe_len = (8 + oob_size + 16 * (nsge ? nsge : 1) + 31) & ~31u;
	if (wqe_len > wq->tail - off) {
		emu_violation(dev, EMU_VIOL_WQE_BEYOND_TAIL, wq->id, off,
			      "TX WQE of %u bytes (num_sge %u, OOB %u) extends beyond the doorbell tail (%u bytes posted)",
			      wqe_len, nsge, oob_size, wq->tail - off);
		wq->error = true;
		return 0;
	}
	memset(oob, 0, sizeof(oob));
	emu_wq_read(wq, off + 8, oob, oob_size);
	if (div4 != 2 && div4 != 6) {
		emu_violation(dev, EMU_VIOL_WQE_BAD_HEADER, wq->id, off,
			      "inline_oob_size_div4 %u (must be 2 or 6)", div4);
		r.type = CQE_TX_INVALID_OOB;
	} else if (wqe_len > GDMA_MAX_SQE_SIZE || nsge == 0 || nsge > dev->cfg.max_sge_tx) {
		emu_violation(dev, nsge == 0 ? EMU_VIOL_WQE_BAD_HEADER : EMU_VIOL_SGE_COUNT,
			      wq->id, off, "TX WQE with %u SGEs (%u bytes), device limit %u",
			      nsge, wqe_len, dev->cfg.max_sge_tx);
		r.type = CQE_TX_INVALID_OOB;
	}
	long_fmt = div4 == 6;
	if (r.type == CQE_TX_OKAY) {
		emu_wq_read(wq, off + 8 + oob_size, sgl, nsge * sizeof(sgl[0]));
		suppress = MANA_GET(oob, MANA_TX_OOB_SUPRESS_TXCQE_GEN);
		if (dev->trace)
			emu_tx_trace(dev, wq, off, hdr, oob, long_fmt, sgl, nsge);
		vpo = (long_fmt && MANA_GET(oob, MANA_TX_OOB_LONG_VP_OFFSET)) ?
		      MANA_GET(oob, MANA_TX_OOB_LONG_VP_OFFSET) :
		      MANA_GET(oob, MANA_TX_OOB_SHORT_VP_OFFSET);
		if (MANA_GET(oob, MANA_TX_OOB_PKT_FMT) != (long_fmt ? MANA_LONG_PKT_FMT :
							     MANA_SHORT_PKT_FMT)) {
			emu_violation(dev, EMU_VIOL_TX_PKT_FMT, wq->id, off,
				      "pkt_fmt %u with a %u-byte inline OOB",
				      MANA_GET(oob, MANA_TX_OOB_PKT_FMT), oob_size);
			r.type = CQE_TX_INVALID_OOB;
		} else if (MANA_GET(oob, MANA_TX_OOB_VCQ_NUM) != wq->cq.id) {
			emu_violation(dev, EMU_VIOL_TX_VCQ_NUM, wq->id, off,
				      "vcq_num %#x, the SQ's CQ is %#x",
				      MANA_GET(oob, MANA_TX_OOB_VCQ_NUM), wq->cq.id);
			r.type = CQE_TX_INVALID_OOB;
		} else if (MANA_GET(oob, MANA_TX_OOB_VSQ_FRAME) != mana_tx_vsq_frame(wq->id)) {
			emu_violation(dev, EMU_VIOL_TX_VSQ_FRAME, wq->id, off,
				      "vsq_frame %#x, expected %#x",
				      MANA_GET(oob, MANA_TX_OOB_VSQ_FRAME),
				      mana_tx_vsq_frame(wq->id));
			r.type = CQE_TX_INVALID_OOB;
		} else if (vpo != vp->cfg.tx_vp_offset) {
			emu_violation(dev, EMU_VIOL_TX_VP_OFFSET, wq->id, off,
				      "vPort offset %u, configured %u", vpo,
				      vp->cfg.tx_vp_offset);
			r.type = CQE_TX_VPORT_IDX_OUT_OF_RANGE;
		}
		if (r.type == CQE_TX_INVALID_OOB)
			vp->st.tx_drop_invalid_oob++;
		else if (r.type == CQE_TX_VPORT_IDX_OUT_OF_RANGE)
			vp->st.tx_drop_vport++;
	} else {
		vp->st.tx_drop_invalid_oob++;
	}
	/* injected errors */
	if (r.type == CQE_TX_OKAY && (wq->fault_count || dev->tx_fault_any_count)) {
		if (wq->fault_count) {
			wq->fault_count--;
			r.type = wq->fault_type;
			r.vendor = wq->fault_vendor;
		} else {
			dev->tx_fault_any_count--;
			r.type = dev->tx_fault_any_type;
			r.vendor = dev->tx_fault_any_vendor;
		}
		vp->st.tx_drop_injected++;
	}
	/* checked translation of every SGE */
	if (r.type == CQE_TX_OKAY) {
		for (i = 0, total = 0; i < nsge; i++) {
			if (emu_mr_check(dev, wq, &sgl[i], 0, off) == NULL) {
				r.type = CQE_TX_HDR_PROCESSING_ERROR;
				r.vendor = 0x100 | EMU_VIOL_SGE_OUTSIDE_MR;
				vp->st.tx_drop_hdr++;
				break;
			}
			total += sgl[i].size;
		}
	}
	if (r.type == CQE_TX_OKAY) {
		bool offl = MANA_GET(oob, MANA_TX_OOB_COMP_IPHDR_CSUM) ||
			    MANA_GET(oob, MANA_TX_OOB_COMP_TCP_CSUM) ||
			    MANA_GET(oob, MANA_TX_OOB_COMP_UDP_CSUM);

		if (MANA_GET(hdr, GDMA_WQE_CLIENT_OOB_IN_SGL)) {
			emu_tx_tso(dev, wq, off, hdr, oob, long_fmt, sgl, nsge, &r);
		} else if (total > EMU_MAX_FRAME) {
			r.type = CQE_TX_MTU_DROP;
			vp->st.tx_drop_mtu++;
		} else {
			if (nsge == 1 && !offl) {
				frame = (uint8_t *)(uintptr_t)sgl[0].address;
			} else {
				frame = dev->seg;
				for (i = 0, total = 0; i < nsge; i++) {
					memcpy(frame + total,
					       (const void *)(uintptr_t)sgl[i].address,
					       sgl[i].size);
					total += sgl[i].size;
				}
			}
			if (emu_tx_police(dev, wq, off, frame, total, total, &r)) {
				if (offl)
					emu_tx_csum(dev, wq, off, oob, frame, total);
				if (long_fmt && MANA_GET(oob, MANA_TX_OOB_INJECT_VLAN_PRI_TAG) &&
				    emu_rd16(frame + 12) == 0x8100) {
					r.type = CQE_TX_VLAN_TAGGING_VIOLATION;
				} else {
					emu_tx_emit(dev, wq, oob, long_fmt, frame, total);
				}
			}
		}
	}
	if (r.type != CQE_TX_OKAY || !suppress) {
		uint32_t d[15];

		memset(d, 0, sizeof(d));
		d[0] = MANA_VAL(MANA_CQE_HDR_CQE_TYPE, r.type) |
		       MANA_VAL(MANA_CQE_HDR_CLIENT_TYPE, MANA_CQE_COMPLETION) |
		       MANA_VAL(MANA_CQE_HDR_VENDOR_ERR, r.vendor);
		d[2] = MANA_VAL(MANA_TXCOMP_TX_WQE_OFFSET, off >> 5);
		if (r.type != CQE_TX_OKAY)
			wq->st.errors++;
		emu_cq_write(dev, wq, d);
	} else {
		wq->st.suppressed++;
	}
	wq->st.wqes++;
	return wqe_len;
}

int
emu_sq_process(struct emu_dev *dev, struct emu_wq *wq)
{
	int work = 0;

	while (wq->consumer != wq->tail && !wq->error) {
		uint32_t n = emu_sq_one(dev, wq);

		if (n == 0)
			break;
		wq->consumer += n;
		work++;
	}
	return work;
}
