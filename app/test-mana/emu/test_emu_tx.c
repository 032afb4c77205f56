/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Emulator-core TX tests: golden WQEs from the spec fed to the device,
 * golden TX CQEs, checksum/VLAN/TSO offloads against software references,
 * policing, suppression and injected errors.
 */

#include <stdio.h>

#include "emu_test.h"

static const struct fx_opts fx_default = { .n_rq = 1 };

/* Patch SGE @p i (at WQE byte @p at) with address/lkey/size. */
static void
patch_sge(uint8_t *w, uint32_t at, const void *addr, uint32_t lkey, uint32_t size)
{
	uint64_t a = (uintptr_t)addr;

	memcpy(w + at, &a, 8);
	memcpy(w + at + 8, &lkey, 4);
	memcpy(w + at + 12, &size, 4);
}

static int
capture(struct fx *f, uint8_t *buf, size_t len)
{
	return emu_port_capture_read(f->dev, 0, buf, len);
}

/* Spec §3.5 #1 fed to the device; the device writes the golden TX CQE. */
static int
test_golden_tx_short_oob(void)
{
	/* SQ 0x401 -> vsq_frame 1; its CQ 0x402; vPort offset 0 */
	uint8_t wqe[32] = {
		0x00, 0x00, 0x00, 0x00,  0x01, 0x02, 0x00, 0x00,	/* header */
		0x00, 0x02, 0x04, 0x00,  0x00, 0x04, 0x00, 0x00,	/* short OOB */
		0, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,	/* SGE */
	};
	static const uint8_t want_cqe[64] = {
		0x60, 0x00, 0x00, 0x00,		/* CQE_TX_OKAY, client_type 1 */
		[60] = 0x01, 0x04, 0x00, 0x21,	/* wq_num 0x401, is_sq, owner 1 */
	};
	struct fx f;
	struct gdma_cqe cqe;
	struct emu_queue_stats st;
	uint8_t got[2048];
	uint32_t len;
	int n;

	MTEST_ASSERT_EQ(fx_init(&f, &fx_default), 0);
	MTEST_ASSERT_EQ(f.sq.id.wq_id, 0x401);
	MTEST_ASSERT_EQ(f.sq.id.cq_id, 0x402);
	MTEST_ASSERT_EQ(emu_port_capture_enable(f.dev, 0, 16), 0);
	len = fx_frame4(f.mem, (const uint8_t *)"\x02\x00\x00\x00\x00\x09", f.mac,
			IPPROTO_UDP, fx_ip4(10, 0, 0, 1), fx_ip4(10, 0, 0, 2), 1, 2, 100);
	patch_sge(wqe, 16, f.mem, f.lkey, len);
	fx_post_raw(&f.sq, wqe, sizeof(wqe));
	fx_ring_sq(&f);
	MTEST_ASSERT(emu_dev_step(f.dev) > 0, "step did work");
	n = capture(&f, got, sizeof(got));
	MTEST_ASSERT_EQ(n, len);
	MTEST_ASSERT_MEM_EQ(got, f.mem, len);
	MTEST_ASSERT_EQ(fx_cqe(&f, &f.sq, &cqe), 1);
	MTEST_ASSERT_MEM_EQ(&cqe, want_cqe, 64);
	MTEST_ASSERT_EQ(fx_cqe(&f, &f.sq, &cqe), 0);
	MTEST_ASSERT_EQ(emu_queue_stats_get(f.dev, f.sq.id.wq_id, &st), 0);
	MTEST_ASSERT_EQ(st.wqes, 1);
	MTEST_ASSERT_EQ(st.cqes, 1);
	MTEST_ASSERT_EQ(st.doorbells, 1);
	MTEST_ASSERT_EQ(st.wq_consumer, 32);
	MTEST_ASSERT_EQ(emu_violation_count(f.dev, EMU_VIOL_NONE), 0);
	fx_fini(&f);
	return MTEST_SUCCESS;
}

/*
 * Spec §3.5 #2: two SGEs, long OOB, here with VLAN insertion (pcp 5, dei 1,
 * vid 0x123). The second WQE starts at offset 32; its TX CQE reports it.
 */
static int
test_golden_tx_long_oob_vlan(void)
{
	uint8_t first[32] = {
		0x00, 0x00, 0x00, 0x00,  0x01, 0x02, 0x00, 0x00,
		0x00, 0x02, 0x04, 0x00,  0x00, 0x04, 0x00, 0x00,
	};
	uint8_t wqe[64] = {
		0x00, 0x00, 0x00, 0x00,  0x02, 0x06, 0x00, 0x00,	/* 2 SGEs, div4 6 */
		0x01, 0x02, 0x04, 0x00,  0x00, 0x04, 0x00, 0x00,	/* pkt_fmt 1 */
		0x08, 0x00, 0x3d, 0x12,		/* inject, pcp 5, dei 1, vid 0x123 */
		0x00, 0x00, 0x00, 0x00,  0x00, 0x00, 0x00, 0x00,  0x00, 0x00, 0x00, 0x00,
	};
	static const uint8_t want_cqe[64] = {
		0x60, 0x00, 0x00, 0x00,  0x00, 0x00, 0x00, 0x00,
		0x20, 0x00, 0x00, 0x00,		/* tx_wqe_offset 1 (BU) = byte 32 */
		[60] = 0x01, 0x04, 0x00, 0x21,
	};
	uint8_t got[2048], want[2048], rx[2048];
	struct gdma_cqe cqe;
	struct fx f;
	uint32_t len;
	int n;

	MTEST_ASSERT_EQ(fx_init(&f, &fx_default), 0);
	MTEST_ASSERT_EQ(emu_port_capture_enable(f.dev, 0, 16), 0);
	/* frame to ourselves so loopback receives it */
	len = fx_frame4(f.mem, f.mac, f.mac, IPPROTO_UDP, fx_ip4(10, 0, 0, 1),
			fx_ip4(10, 0, 0, 2), 1000, 2000, 200);
	patch_sge(first, 16, f.mem, f.lkey, len);
	fx_post_raw(&f.sq, first, sizeof(first));
	patch_sge(wqe, 32, f.mem, f.lkey, 20);
	patch_sge(wqe, 48, f.mem + 20, f.lkey, len - 20);
	fx_post_raw(&f.sq, wqe, sizeof(wqe));
	fx_post_rx(&f, 0, f.mem + 8192, 2048);
	fx_post_rx(&f, 0, f.mem + 16384, 2048);
	fx_ring_rq(&f, 0);
	fx_ring_sq(&f);
	emu_dev_step(f.dev);

	/* first frame untagged, second tagged by the device */
	MTEST_ASSERT_EQ(capture(&f, got, sizeof(got)), len);
	MTEST_ASSERT_MEM_EQ(got, f.mem, len);
	n = capture(&f, got, sizeof(got));
	MTEST_ASSERT_EQ(n, len + 4);
	memcpy(want, f.mem, 12);
	want[12] = 0x81; want[13] = 0x00; want[14] = 0xb1; want[15] = 0x23;
	memcpy(want + 16, f.mem + 12, len - 12);
	MTEST_ASSERT_MEM_EQ(got, want, len + 4);
	MTEST_ASSERT_EQ(fx_cqe(&f, &f.sq, &cqe), 1);
	MTEST_ASSERT_EQ(fx_cqe(&f, &f.sq, &cqe), 1);
	MTEST_ASSERT_MEM_EQ(&cqe, want_cqe, 64);

	/* loopback: flags differ (VLAN), so two single-packet CQEs */
	MTEST_ASSERT_EQ(fx_cqe(&f, &f.rq[0], &cqe), 1);
	MTEST_ASSERT_EQ(MANA_GET(cqe.cqe_data, MANA_CQE_HDR_CQE_TYPE), CQE_RX_OKAY);
	MTEST_ASSERT_EQ(MANA_GET(cqe.cqe_data, MANA_RXCOMP_RX_VLANTAG_PRESENT), 0);
	MTEST_ASSERT_EQ(cqe.cqe_data[2] & 0xFFFF, len);
	MTEST_ASSERT_EQ(fx_cqe(&f, &f.rq[0], &cqe), 1);
	MTEST_ASSERT_EQ(MANA_GET(cqe.cqe_data, MANA_CQE_HDR_CQE_TYPE), CQE_RX_OKAY);
	MTEST_ASSERT_EQ(MANA_GET(cqe.cqe_data, MANA_RXCOMP_RX_VLANTAG_PRESENT), 1);
	MTEST_ASSERT_EQ(MANA_GET(cqe.cqe_data, MANA_RXCOMP_RX_VLAN_ID), 0x123);
	MTEST_ASSERT_EQ(MANA_GET(cqe.cqe_data, MANA_RXCOMP_RX_UDP_CSUM_SUCCEED), 1);
	MTEST_ASSERT_EQ(cqe.cqe_data[2] & 0xFFFF, len);
	MTEST_ASSERT_EQ(cqe.cqe_data[14], 32);		/* second RX WQE */
	memcpy(rx, f.mem + 16384, len);
	MTEST_ASSERT_MEM_EQ(rx, f.mem, len);		/* tag stripped */
	MTEST_ASSERT_EQ(fx_cqe(&f, &f.rq[0], &cqe), 0);
	fx_fini(&f);
	return MTEST_SUCCESS;
}

/* Build the expected TSO segment @p i independently. */
static uint32_t
tso_expect(uint8_t *out, const uint8_t *hdr, const uint8_t *pay, uint32_t plen,
	   uint32_t mss, uint32_t i, uint32_t nseg)
{
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *t;
	uint32_t sl = (i + 1 < nseg) ? mss : plen - i * mss;

	memcpy(out, hdr, 54);
	memcpy(out + 54, pay + i * mss, sl);
	ip = (struct rte_ipv4_hdr *)(out + 14);
	t = (struct rte_tcp_hdr *)(out + 34);
	ip->total_length = rte_cpu_to_be_16((uint16_t)(40 + sl));
	ip->packet_id = rte_cpu_to_be_16((uint16_t)(rte_be_to_cpu_16(ip->packet_id) + i));
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	t->sent_seq = rte_cpu_to_be_32(rte_be_to_cpu_32(t->sent_seq) + i * mss);
	if (i + 1 < nseg)
		t->tcp_flags &= (uint8_t)~(RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG);
	t->cksum = 0;
	t->cksum = rte_ipv4_udptcp_cksum(ip, t);
	return 54 + sl;
}

/* Spec §3.5 #3: TSO, 3 SGEs, 54-byte headers, MSS 1448; every segment checked. */
static int
test_golden_tso(void)
{
	uint8_t wqe[64] = {
		/* last_vbytes 54; 3 SGEs, OOB in SGL, MSS 1448 */
		0x00, 0x00, 0x00, 0x36,  0x03, 0x0a, 0xa8, 0x05,
		0x34, 0x02, 0x04, 0x00,  0x22, 0x04, 0x00, 0x00,	/* v4, ip+tcp csum, trans_off 34 */
	};
	static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 0x77 };
	const uint32_t plen = 3000, mss = 1448, nseg = 3;
	uint8_t *hdr, *pay, got[2048], want[2048];
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *t;
	struct gdma_cqe cqe;
	struct fx f;
	uint32_t i, wl;
	uint8_t ref[54];

	MTEST_ASSERT_EQ(fx_init(&f, &fx_default), 0);
	MTEST_ASSERT_EQ(emu_port_capture_enable(f.dev, 0, 16), 0);
	hdr = f.mem;
	pay = f.mem + 4096;
	fx_frame4(hdr, dmac, f.mac, IPPROTO_TCP, fx_ip4(192, 168, 1, 1),
		  fx_ip4(192, 168, 1, 2), 40000, 80, 0);
	memcpy(ref, hdr, 54);	/* headers with correct fields, for the references */
	for (i = 0; i < plen; i++)
		pay[i] = (uint8_t)(i ^ (i >> 8));
	/* the driver-side convention: lengths 0, pseudo-header sum without length */
	ip = (struct rte_ipv4_hdr *)(hdr + 14);
	t = (struct rte_tcp_hdr *)(hdr + 34);
	t->tcp_flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG | RTE_TCP_FIN_FLAG;
	ref[47] = t->tcp_flags;
	ip->total_length = 0;
	ip->hdr_checksum = 0;
	t->cksum = 0;
	{
		uint32_t s = 0;
		uint16_t w[6];

		memcpy(w, &ip->src_addr, 8);
		for (i = 0; i < 4; i++)
			s += rte_be_to_cpu_16(w[i]);
		s += IPPROTO_TCP;
		while (s >> 16)
			s = (s & 0xFFFF) + (s >> 16);
		t->cksum = rte_cpu_to_be_16((uint16_t)s);
	}
	patch_sge(wqe, 16, hdr, f.lkey, 54);
	patch_sge(wqe, 32, pay, f.lkey, 1000);
	patch_sge(wqe, 48, pay + 1000, f.lkey, plen - 1000);
	fx_post_raw(&f.sq, wqe, sizeof(wqe));
	fx_ring_sq(&f);
	emu_dev_step(f.dev);
	for (i = 0; i < nseg; i++) {
		int n = capture(&f, got, sizeof(got));

		wl = tso_expect(want, ref, pay, plen, mss, i, nseg);
		MTEST_ASSERT_EQ(n, wl);
		MTEST_ASSERT_MEM_EQ(got, want, wl);
	}
	MTEST_ASSERT_EQ(capture(&f, got, sizeof(got)), -EAGAIN);
	MTEST_ASSERT_EQ(fx_cqe(&f, &f.sq, &cqe), 1);
	MTEST_ASSERT_EQ(MANA_GET(cqe.cqe_data, MANA_CQE_HDR_CQE_TYPE), CQE_TX_OKAY);
	MTEST_ASSERT_EQ(fx_cqe(&f, &f.sq, &cqe), 0);
	MTEST_ASSERT_EQ(emu_violation_count(f.dev, EMU_VIOL_NONE), 0);
	fx_fini(&f);
	return MTEST_SUCCESS;
}

/* IPv4 header + UDP and TCP checksum offloads against rte_ip.h references. */
static int
test_tx_csum_offload(void)
{
	static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 0x77 };
	struct fx f;
	struct gdma_cqe cqe;
	uint8_t got[2048], *fr[2];
	uint8_t ref[2][2048];
	uint32_t len[2], k;

	MTEST_ASSERT_EQ(fx_init(&f, &fx_default), 0);
	MTEST_ASSERT_EQ(emu_port_capture_enable(f.dev, 0, 16), 0);
	fr[0] = f.mem;
	fr[1] = f.mem + 4096;
	len[0] = fx_frame4(fr[0], dmac, f.mac, IPPROTO_UDP, fx_ip4(1, 2, 3, 4),
			   fx_ip4(5, 6, 7, 8), 53, 5353, 333);
	len[1] = fx_frame4(fr[1], dmac, f.mac, IPPROTO_TCP, fx_ip4(1, 2, 3, 4),
			   fx_ip4(5, 6, 7, 8), 443, 55555, 777);
	for (k = 0; k < 2; k++) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(fr[k] + 14);
		uint16_t *c = k == 0 ? &((struct rte_udp_hdr *)(ip + 1))->dgram_cksum :
				       &((struct rte_tcp_hdr *)(ip + 1))->cksum;

		memcpy(ref[k], fr[k], len[k]);
		ip->hdr_checksum = 0;
		*c = rte_ipv4_phdr_cksum(ip, 0);
	}
	fx_post_tx(&f, fr[0], len[0], (1u << 2) | (1u << 4) | (1u << 6), 0);
	fx_post_tx(&f, fr[1], len[1], (1u << 2) | (1u << 4) | (1u << 5), 34);
	fx_ring_sq(&f);
	emu_dev_step(f.dev);
	for (k = 0; k < 2; k++) {
		MTEST_ASSERT_EQ(capture(&f, got, sizeof(got)), len[k]);
		MTEST_ASSERT_MEM_EQ(got, ref[k], len[k]);
		MTEST_ASSERT_EQ(fx_cqe(&f, &f.sq, &cqe), 1);
		MTEST_ASSERT_EQ(MANA_GET(cqe.cqe_data, MANA_CQE_HDR_CQE_TYPE), CQE_TX_OKAY);
	}
	/* driver memory untouched */
	MTEST_ASSERT_EQ(((struct rte_ipv4_hdr *)(fr[0] + 14))->hdr_checksum, 0);
	MTEST_ASSERT_EQ(emu_violation_count(f.dev, EMU_VIOL_NONE), 0);
	fx_fini(&f);
	return MTEST_SUCCESS;
}

/* Source-MAC and MTU policing. */
static int
test_tx_policing(void)
{
	static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 0x77 };
	static const uint8_t other[6] = { 0x02, 0, 0, 0, 0, 0x66 };
	struct emu_vport_stats vs;
	struct gdma_cqe cqe;
	struct fx f;
	uint8_t got[2048];
	uint32_t l1, l2, l3;

	MTEST_ASSERT_EQ(fx_init(&f, &fx_default), 0);
	MTEST_ASSERT_EQ(emu_port_capture_enable(f.dev, 0, 16), 0);
	l1 = fx_frame4(f.mem, dmac, other, IPPROTO_UDP, 1, 2, 3, 4, 10);
	l2 = fx_frame4(f.mem + 4096, dmac, f.mac, IPPROTO_UDP, 1, 2, 3, 4, 1500 - 28);
	l3 = fx_frame4(f.mem + 8192, dmac, f.mac, IPPROTO_UDP, 1, 2, 3, 4, 1500 - 28 + 1);
	MTEST_ASSERT_EQ(l2, 1514);
	fx_post_tx(&f, f.mem, l1, 0, 0);
	fx_post_tx(&f, f.mem + 4096, l2, 0, 0);
	fx_post_tx(&f, f.mem + 8192, l3, 0, 0);
	fx_ring_sq(&f);
	emu_dev_step(f.dev);
	MTEST_ASSERT_EQ(fx_cqe(&f, &f.sq, &cqe), 1);
	MTEST_ASSERT_EQ(MANA_GET(cqe.cqe_data, MANA_CQE_HDR_CQE_TYPE), CQE_TX_SA_DROP);
	MTEST_ASSERT_EQ(fx_cqe(&f, &f.sq, &cqe), 1);
	MTEST_ASSERT_EQ(MANA_GET(cqe.cqe_data, MANA_CQE_HDR_CQE_TYPE), CQE_TX_OKAY);
	MTEST_ASSERT_EQ(fx_cqe(&f, &f.sq, &cqe), 1);
	MTEST_ASSERT_EQ(MANA_GET(cqe.cqe_data, MANA_CQE_HDR_CQE_TYPE), CQE_TX_MTU_DROP);
	MTEST_ASSERT_EQ(capture(&f, got, sizeof(got)), 1514);
	MTEST_ASSERT_EQ(capture(&f, got, sizeof(got)), -EAGAIN);
	MTEST_ASSERT_EQ(emu_vport_stats_get(f.dev, 0, &vs), 0);
	MTEST_ASSERT_EQ(vs.tx_drop_sa, 1);
	MTEST_ASSERT_EQ(vs.tx_drop_mtu, 1);
	MTEST_ASSERT_EQ(vs.tx_frames, 1);
	fx_fini(&f);
	return MTEST_SUCCESS;
}

/* Suppressed WQEs produce no CQE; an error in a suppressed WQE still does. */
static int
test_tx_suppression(void)
{
	static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 0x77 };
	static const uint8_t other[6] = { 0x02, 0, 0, 0, 0, 0x66 };
	struct emu_queue_stats st;
	struct gdma_cqe cqe;
	struct fx f;
	uint32_t l, lbad;

	MTEST_ASSERT_EQ(fx_init(&f, &fx_default), 0);
	l = fx_frame4(f.mem, dmac, f.mac, IPPROTO_UDP, 1, 2, 3, 4, 10);
	lbad = fx_frame4(f.mem + 4096, dmac, other, IPPROTO_UDP, 1, 2, 3, 4, 10);
	fx_post_tx(&f, f.mem, l, 1u << 7, 0);
	fx_post_tx(&f, f.mem, l, 1u << 7, 0);
	fx_post_tx(&f, f.mem, l, 0, 0);
	fx_post_tx(&f, f.mem + 4096, lbad, 1u << 7, 0);
	fx_ring_sq(&f);
	emu_dev_step(f.dev);
	MTEST_ASSERT_EQ(fx_cqe(&f, &f.sq, &cqe), 1);
	MTEST_ASSERT_EQ(MANA_GET(cqe.cqe_data, MANA_CQE_HDR_CQE_TYPE), CQE_TX_OKAY);
	MTEST_ASSERT_EQ(cqe.cqe_data[2], 64);	/* the third WQE */
	MTEST_ASSERT_EQ(fx_cqe(&f, &f.sq, &cqe), 1);
	MTEST_ASSERT_EQ(MANA_GET(cqe.cqe_data, MANA_CQE_HDR_CQE_TYPE), CQE_TX_SA_DROP);
	MTEST_ASSERT_EQ(cqe.cqe_data[2], 96);
	MTEST_ASSERT_EQ(fx_cqe(&f, &f.sq, &cqe), 0);
	MTEST_ASSERT_EQ(emu_queue_stats_get(f.dev, f.sq.id.wq_id, &st), 0);
	MTEST_ASSERT_EQ(st.suppressed, 2);
	MTEST_ASSERT_EQ(st.wqes, 4);
	MTEST_ASSERT_EQ(st.cqes, 2);
	fx_fini(&f);
	return MTEST_SUCCESS;
}

/* emu_fault_tx_error: the next N completions are errors, frames not sent. */
static int
test_tx_injected_error(void)
{
	static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 0x77 };
	struct gdma_cqe cqe;
	struct fx f;
	uint8_t got[256];
	uint32_t l, i;

	MTEST_ASSERT_EQ(fx_init(&f, &fx_default), 0);
	MTEST_ASSERT_EQ(emu_port_capture_enable(f.dev, 0, 16), 0);
	MTEST_ASSERT_EQ(emu_fault_tx_error(f.dev, f.sq.id.wq_id, 2,
					   CQE_TX_VPORT_DISABLED, 0xabcd), 0);
	l = fx_frame4(f.mem, dmac, f.mac, IPPROTO_UDP, 1, 2, 3, 4, 10);
	for (i = 0; i < 3; i++)
		fx_post_tx(&f, f.mem, l, 1u << 7, 0);	/* suppressed: errors still complete */
	fx_ring_sq(&f);
	emu_dev_step(f.dev);
	for (i = 0; i < 2; i++) {
		MTEST_ASSERT_EQ(fx_cqe(&f, &f.sq, &cqe), 1);
		MTEST_ASSERT_EQ(MANA_GET(cqe.cqe_data, MANA_CQE_HDR_CQE_TYPE),
				CQE_TX_VPORT_DISABLED);
		MTEST_ASSERT_EQ(MANA_GET(cqe.cqe_data, MANA_CQE_HDR_VENDOR_ERR), 0xabcd);
		MTEST_ASSERT_EQ(MANA_GET(cqe.cqe_data, MANA_CQE_HDR_CLIENT_TYPE), 1);
	}
	MTEST_ASSERT_EQ(fx_cqe(&f, &f.sq, &cqe), 0);
	MTEST_ASSERT_EQ(capture(&f, got, sizeof(got)), l);
	MTEST_ASSERT_EQ(capture(&f, got, sizeof(got)), -EAGAIN);
	fx_fini(&f);
	return MTEST_SUCCESS;
}

/* A long-OOB WQE whose header+OOB end exactly at the ring end: SGL at offset 0. */
static int
test_tx_sgl_wrap(void)
{
	static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 0x77 };
	uint8_t got[2048], w[64];
	struct gdma_cqe cqe;
	struct fx f;
	uint32_t l, i, d;
	uint64_t a;
	int n;

	MTEST_ASSERT_EQ(fx_init(&f, &fx_default), 0);
	MTEST_ASSERT_EQ(emu_port_capture_enable(f.dev, 0, 4), 0);
	l = fx_frame4(f.mem, dmac, f.mac, IPPROTO_UDP, 1, 2, 3, 4, 100);
	/* 127 one-BU WQEs, then the 2-BU WQE at the last BU: wraps */
	for (i = 0; i < FX_RING / 32 - 1; i++)
		fx_post_tx(&f, f.mem, l, 1u << 7, 0);
	fx_ring_sq(&f);
	emu_dev_step(f.dev);
	memset(w, 0, sizeof(w));
	w[4] = 0x02;
	w[5] = 0x06;
	d = 1u | (f.sq.id.cq_id << 8);
	memcpy(w + 8, &d, 4);
	d = ((f.sq.id.wq_id >> 10) & 0x3FFF) << 10;
	memcpy(w + 12, &d, 4);
	a = (uintptr_t)f.mem;
	memcpy(w + 32, &a, 8);
	memcpy(w + 40, &f.lkey, 4);
	d = 50;
	memcpy(w + 44, &d, 4);
	a = (uintptr_t)(f.mem + 50);
	memcpy(w + 48, &a, 8);
	memcpy(w + 56, &f.lkey, 4);
	d = l - 50;
	memcpy(w + 60, &d, 4);
	fx_post_raw(&f.sq, w, sizeof(w));
	MTEST_ASSERT_EQ(f.sq.head, FX_RING + 32);
	fx_ring_sq(&f);
	emu_dev_step(f.dev);
	/* capture keeps the last 4 frames: the last one is the wrapped WQE */
	for (i = 0; i < 4; i++) {
		n = capture(&f, got, sizeof(got));
		MTEST_ASSERT_EQ(n, l);
		MTEST_ASSERT_MEM_EQ(got, f.mem, l);
	}
	MTEST_ASSERT_EQ(fx_cqe(&f, &f.sq, &cqe), 1);
	MTEST_ASSERT_EQ(MANA_GET(cqe.cqe_data, MANA_CQE_HDR_CQE_TYPE), CQE_TX_OKAY);
	MTEST_ASSERT_EQ(cqe.cqe_data[2], FX_RING - 32);
	MTEST_ASSERT_EQ(emu_violation_count(f.dev, EMU_VIOL_NONE), 0);
	fx_fini(&f);
	return MTEST_SUCCESS;
}

/* IPv6 TSO with hardware VLAN insertion (long OOB): every segment checked. */
static int
test_tso_ipv6_vlan(void)
{
	static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 0x77 };
	static const uint8_t sip[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t dip[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	const uint32_t hl = 74, plen = 2500, mss = 1000, nseg = 3;
	uint8_t w[64], ref[74], got[2048], want[2048], *hdr, *pay;
	struct rte_ipv6_hdr *ip;
	struct rte_tcp_hdr *t;
	struct gdma_cqe cqe;
	struct fx f;
	uint32_t i, d;
	uint64_t a;

	MTEST_ASSERT_EQ(fx_init(&f, &(struct fx_opts){ .n_rq = 1 }), 0);
	MTEST_ASSERT_EQ(emu_port_capture_enable(f.dev, 0, 8), 0);
	hdr = f.mem;
	pay = f.mem + 4096;
	fx_frame6(hdr, dmac, f.mac, IPPROTO_TCP, sip, dip, 1234, 80, 0);
	t = (struct rte_tcp_hdr *)(hdr + 54);
	t->sent_seq = rte_cpu_to_be_32(0xfffffc00);	/* wraps during the burst */
	t->tcp_flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;
	memcpy(ref, hdr, hl);
	for (i = 0; i < plen; i++)
		pay[i] = (uint8_t)(i * 13);
	ip = (struct rte_ipv6_hdr *)(hdr + 14);
	ip->payload_len = 0;
	t->cksum = 0;
	memset(w, 0, sizeof(w));
	w[3] = (uint8_t)hl;				/* last_vbytes */
	w[4] = 2;
	w[5] = 0x0e;					/* div4 6, client_oob_in_sgl */
	d = mss << 16;
	w[6] = (uint8_t)(d >> 16);
	w[7] = (uint8_t)(d >> 24);
	d = 1u | (1u << 3) | (1u << 5) | (f.sq.id.cq_id << 8);	/* long, v6, tcp csum */
	memcpy(w + 8, &d, 4);
	d = 54u | (((f.sq.id.wq_id >> 10) & 0x3FFF) << 10);
	memcpy(w + 12, &d, 4);
	d = (1u << 3) | (3u << 16) | (0x00au << 20);	/* inject, pcp 3, vid 10 */
	memcpy(w + 16, &d, 4);
	a = (uintptr_t)hdr;
	memcpy(w + 32, &a, 8);
	memcpy(w + 40, &f.lkey, 4);
	memcpy(w + 44, &hl, 4);
	a = (uintptr_t)pay;
	memcpy(w + 48, &a, 8);
	memcpy(w + 56, &f.lkey, 4);
	memcpy(w + 60, &plen, 4);
	fx_post_raw(&f.sq, w, sizeof(w));
	fx_ring_sq(&f);
	emu_dev_step(f.dev);
	for (i = 0; i < nseg; i++) {
		uint32_t sl = i + 1 < nseg ? mss : plen - i * mss;
		struct rte_ipv6_hdr *wi;
		struct rte_tcp_hdr *wt;
		int n = emu_port_capture_read(f.dev, 0, got, sizeof(got));

		/* reference: untagged segment, then the tag after the MACs */
		memcpy(want, ref, 12);
		want[12] = 0x81; want[13] = 0x00; want[14] = 0x60; want[15] = 0x0a;
		memcpy(want + 16, ref + 12, hl - 12);
		memcpy(want + 4 + hl, pay + i * mss, sl);
		wi = (struct rte_ipv6_hdr *)(want + 18);
		wt = (struct rte_tcp_hdr *)(want + 58);
		wi->payload_len = rte_cpu_to_be_16((uint16_t)(20 + sl));
		wt->sent_seq = rte_cpu_to_be_32(0xfffffc00u + i * mss);
		if (i + 1 < nseg)
			wt->tcp_flags &= (uint8_t)~RTE_TCP_PSH_FLAG;
		wt->cksum = 0;
		wt->cksum = rte_ipv6_udptcp_cksum(wi, wt);
		MTEST_ASSERT_EQ(n, 4 + hl + sl);
		MTEST_ASSERT_MEM_EQ(got, want, 4 + hl + sl);
	}
	MTEST_ASSERT_EQ(fx_cqe(&f, &f.sq, &cqe), 1);
	MTEST_ASSERT_EQ(MANA_GET(cqe.cqe_data, MANA_CQE_HDR_CQE_TYPE), CQE_TX_OKAY);
	MTEST_ASSERT_EQ(emu_violation_count(f.dev, EMU_VIOL_NONE), 0);
	fx_fini(&f);
	return MTEST_SUCCESS;
}

/* Two vPorts of one device: own MACs, own TX binding, pair wire between them. */
static int
test_two_vports(void)
{
	struct emu_dev_config cfg;
	struct emu_dev *dev;
	uint32_t pd, pd2, vpo0, vpo1;
	struct emu_db_page p0, p1;

	emu_dev_config_init(&cfg);
	cfg.n_vports = 2;
	cfg.vport[1].tx_vp_offset = 300;		/* needs the long OOB */
	MTEST_ASSERT_EQ(emu_dev_create(&cfg, &dev), 0);
	MTEST_ASSERT(memcmp(cfg.vport[0].mac, cfg.vport[1].mac, 6) != 0, "distinct MACs");
	MTEST_ASSERT_EQ(emu_pd_create(dev, &pd), 0);
	MTEST_ASSERT_EQ(emu_pd_create(dev, &pd2), 0);
	MTEST_ASSERT_EQ(emu_db_page_alloc(dev, &p0), 0);
	MTEST_ASSERT_EQ(emu_db_page_alloc(dev, &p1), 0);
	MTEST_ASSERT_EQ(emu_vport_config_tx(dev, 0, pd, p0.id, &vpo0), 0);
	MTEST_ASSERT_EQ(vpo0, 0);
	/* vPort 0 is held by pd: another PD is refused */
	MTEST_ASSERT_EQ(emu_vport_config_tx(dev, 0, pd2, p1.id, &vpo1), -EBUSY);
	/* netdev up makes the vPort busy */
	MTEST_ASSERT_EQ(emu_vport_set_netdev_up(dev, 1, true), 0);
	MTEST_ASSERT_EQ(emu_vport_config_tx(dev, 1, pd2, p1.id, &vpo1), -EBUSY);
	MTEST_ASSERT_EQ(emu_vport_set_netdev_up(dev, 1, false), 0);
	MTEST_ASSERT_EQ(emu_vport_config_tx(dev, 1, pd2, p1.id, &vpo1), 0);
	MTEST_ASSERT_EQ(vpo1, 300);
	MTEST_ASSERT_EQ(emu_vport_config_tx(dev, 2, pd2, p1.id, &vpo1), -EINVAL);
	/* PD in use cannot go; after unconfig it can */
	MTEST_ASSERT_EQ(emu_pd_destroy(dev, pd2), -EBUSY);
	MTEST_ASSERT_EQ(emu_vport_unconfig_tx(dev, 1, pd2), 0);
	MTEST_ASSERT_EQ(emu_pd_destroy(dev, pd2), 0);
	MTEST_ASSERT_EQ(emu_port_wire_pair(dev, 0, dev, 1), 0);
	MTEST_ASSERT_EQ(emu_port_wire_type(dev, 1), EMU_WIRE_PAIR);
	MTEST_ASSERT_EQ(emu_port_wire_pair(dev, 0, dev, 0), -EINVAL);
	MTEST_ASSERT_EQ(emu_port_wire_loopback(dev, 1), 0);
	MTEST_ASSERT_EQ(emu_port_wire_type(dev, 0), EMU_WIRE_NONE);
	emu_dev_destroy(dev);
	return MTEST_SUCCESS;
}

/* The trace decodes WQEs and CQEs field by field. */
static int
test_trace_decodes(void)
{
	static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 0x77 };
	char *buf = NULL;
	size_t sz = 0;
	FILE *out;
	struct fx f;
	uint32_t l;

	MTEST_ASSERT_EQ(fx_init(&f, &(struct fx_opts){ .n_rq = 1 }), 0);
	out = open_memstream(&buf, &sz);
	MTEST_ASSERT(out != NULL, "memstream");
	emu_dev_set_trace(f.dev, true, out);
	l = fx_frame4(f.mem, dmac, f.mac, IPPROTO_UDP, 1, 2, 3, 4, 10);
	fx_post_tx(&f, f.mem, l, 0, 0);
	fx_ring_sq(&f);
	emu_dev_step(f.dev);
	emu_dev_set_trace(f.dev, false, NULL);
	fclose(out);
	MTEST_ASSERT(strstr(buf, "SQ doorbell id 0x401 tail 0x20") != NULL, "doorbell: %s", buf);
	MTEST_ASSERT(strstr(buf, "num_sge=0x1 inline_oob_size_div4=0x2") != NULL, "WQE: %s", buf);
	MTEST_ASSERT(strstr(buf, "vcq_num=0x402") != NULL, "OOB: %s", buf);
	MTEST_ASSERT(strstr(buf, "cqe_type=0x20 client_type=0x1") != NULL, "CQE: %s", buf);
	MTEST_ASSERT(strstr(buf, "wq_num=0x401 is_sq=0x1 owner_bits=0x1") != NULL, "info: %s", buf);
	free(buf);
	fx_fini(&f);
	return MTEST_SUCCESS;
}

static const struct mtest_case cases[] = {
	{ "golden_tx_short_oob", test_golden_tx_short_oob },
	{ "golden_tx_long_oob_vlan", test_golden_tx_long_oob_vlan },
	{ "golden_tso", test_golden_tso },
	{ "tx_csum_offload", test_tx_csum_offload },
	{ "tx_policing", test_tx_policing },
	{ "tx_suppression", test_tx_suppression },
	{ "tx_injected_error", test_tx_injected_error },
	{ "tx_sgl_wrap", test_tx_sgl_wrap },
	{ "tso_ipv6_vlan", test_tso_ipv6_vlan },
	{ "two_vports", test_two_vports },
	{ "trace_decodes", test_trace_decodes },
};

int
main(int argc, char **argv)
{
	return mtest_run("emu-tx", cases, MTEST_N(cases), argc, argv);
}
