/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * The vSwitch wire of the device core in step mode, on datagram socket
 * pairs instead of taps (no privileges): flow keys, counters, errors.
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "emu_test.h"

static const uint8_t peer[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0xaa };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* The fixture's vPort 0 on a vSwitch: the test holds the far ends. */
struct vx {
	struct fx f;
	int syn;		/* synthetic attachment, our end */
	int up;			/* uplink, our end */
	uint32_t rx_posted;
};

static int
vx_init(struct vx *v, uint32_t flows)
{
	struct fx_opts o = {
		.n_rq = 1, .no_loopback = true, .no_coalescing = true, .vsw_flows = flows,
	};
	int sp[2], up[2], i;

	memset(v, 0, sizeof(*v));
	MTEST_ASSERT_EQ(fx_init(&v->f, &o), 0);
	MTEST_ASSERT_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sp), 0);
	MTEST_ASSERT_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, up), 0);
	MTEST_ASSERT_EQ(emu_port_wire_vswitch_fd(v->f.dev, 0, sp[0], up[0]), 0);
	MTEST_ASSERT_EQ(emu_port_wire_type(v->f.dev, 0), EMU_WIRE_VSWITCH);
	v->syn = sp[1];
	v->up = up[1];
	fcntl(v->syn, F_SETFL, O_NONBLOCK);
	fcntl(v->up, F_SETFL, O_NONBLOCK);
	for (i = 0; i < 8; i++)
		fx_post_rx(&v->f, 0, v->f.mem + 65536 + 2048 * i, 2048);
	fx_ring_rq(&v->f, 0);
	v->rx_posted = 8;
	emu_dev_step(v->f.dev);
	return MTEST_SUCCESS;
}

static void
vx_fini(struct vx *v)
{
	close(v->syn);
	close(v->up);
	fx_fini(&v->f);
}

/* The frame the VF received next, its length; 0 if none. */
static int
vx_vf_recv(struct vx *v, uint8_t *buf)
{
	struct gdma_cqe c;
	uint32_t len, slot;

	if (fx_cqe(&v->f, &v->f.rq[0], &c) != 1)
		return 0;
	len = c.cqe_data[2] & 0xFFFF;
	slot = (c.cqe_data[14] / 32) % 8;
	memcpy(buf, v->f.mem + 65536 + 2048 * slot, len);
	/* post the buffer again */
	fx_post_rx(&v->f, 0, v->f.mem + 65536 + 2048 * slot, 2048);
	fx_ring_rq(&v->f, 0);
	return (int)len;
}

/* Send @p f from the uplink, step, expect it on the synthetic side or the VF. */
static int
vx_expect(struct vx *v, const uint8_t *f, uint32_t len, bool syn)
{
	uint8_t got[2048];
	ssize_t n;

	MTEST_ASSERT_EQ(send(v->up, f, len, 0), (ssize_t)len);
	MTEST_ASSERT(emu_dev_step(v->f.dev) > 0, "no work");
	n = syn ? recv(v->syn, got, sizeof(got), MSG_DONTWAIT) : vx_vf_recv(v, got);
	MTEST_ASSERT(n == (ssize_t)len, "%s: %zd bytes, expected %u", syn ? "synthetic" : "VF",
		     n, len);
	MTEST_ASSERT_MEM_EQ(got, f, len);
	/* and not on the other side */
	n = syn ? vx_vf_recv(v, got) : recv(v->syn, got, sizeof(got), MSG_DONTWAIT);
	MTEST_ASSERT(n <= 0, "also on the %s side", syn ? "VF" : "synthetic");
	return MTEST_SUCCESS;
}

static int
vx_counts(struct vx *v, uint64_t in, uint64_t vf, uint64_t syn, uint64_t first,
	  uint64_t full, uint64_t dropped)
{
	struct emu_vport_stats st;

	MTEST_ASSERT_EQ(emu_vport_stats_get(v->f.dev, 0, &st), 0);
	MTEST_ASSERT_EQ(st.vsw_uplink_in, in);
	MTEST_ASSERT_EQ(st.vsw_to_vf, vf);
	MTEST_ASSERT_EQ(st.vsw_to_syn, syn);
	MTEST_ASSERT_EQ(st.vsw_first_of_flow, first);
	MTEST_ASSERT_EQ(st.vsw_flow_full, full);
	MTEST_ASSERT_EQ(st.vsw_dropped, dropped);
	MTEST_ASSERT_EQ(st.rx_wire_frames, vf);
	return MTEST_SUCCESS;
}

/* 802.1Q tag inserted after the MACs of an untagged frame. */
static uint32_t
vlan_tag(uint8_t *out, const uint8_t *f, uint32_t len, uint16_t vid)
{
	memcpy(out, f, 12);
	out[12] = 0x81;
	out[13] = 0x00;
	out[14] = (uint8_t)(vid >> 8);
	out[15] = (uint8_t)vid;
	memcpy(out + 16, f + 12, len - 12);
	return len + 4;
}

static int
test_flow_keys(void)
{
	static const uint8_t s6[16] = { 0xfd, [15] = 2 }, d6[16] = { 0xfd, [15] = 1 };
	uint8_t f[256], t[256];
	uint32_t l, lt;
	struct vx v;

	MTEST_ASSERT_EQ(vx_init(&v, 0), 0);
	/* TCP 5-tuple: ports and protocol matter */
	l = fx_frame4(f, v.f.mac, peer, IPPROTO_TCP, fx_ip4(10, 0, 0, 2), fx_ip4(10, 0, 0, 1),
		      5000, 80, 20);
	MTEST_ASSERT_EQ(vx_expect(&v, f, l, true), 0);
	MTEST_ASSERT_EQ(vx_expect(&v, f, l, false), 0);
	l = fx_frame4(f, v.f.mac, peer, IPPROTO_UDP, fx_ip4(10, 0, 0, 2), fx_ip4(10, 0, 0, 1),
		      5000, 80, 20);
	MTEST_ASSERT_EQ(vx_expect(&v, f, l, true), 0);
	l = fx_frame4(f, v.f.mac, peer, IPPROTO_TCP, fx_ip4(10, 0, 0, 2), fx_ip4(10, 0, 0, 1),
		      5000, 81, 20);
	MTEST_ASSERT_EQ(vx_expect(&v, f, l, true), 0);
	/* the same TCP flow inside a VLAN tag is the same flow (the VF strips the tag) */
	l = fx_frame4(f, v.f.mac, peer, IPPROTO_TCP, fx_ip4(10, 0, 0, 2), fx_ip4(10, 0, 0, 1),
		      5000, 80, 20);
	lt = vlan_tag(t, f, l, 7);
	MTEST_ASSERT_EQ(send(v.up, t, lt, 0), (ssize_t)lt);
	emu_dev_step(v.f.dev);
	{
		uint8_t got[256];

		MTEST_ASSERT_EQ(vx_vf_recv(&v, got), (int)l);
		MTEST_ASSERT_MEM_EQ(got, f, l);
	}
	/* IPv4 fragments: addresses only; a later ICMP between them is known */
	l = fx_frame4(f, v.f.mac, peer, IPPROTO_UDP, fx_ip4(10, 0, 0, 3), fx_ip4(10, 0, 0, 1),
		      6000, 53, 20);
	f[14 + 6] = 0x20;	/* more fragments */
	MTEST_ASSERT_EQ(vx_expect(&v, f, l, true), 0);
	l = fx_frame4(f, v.f.mac, peer, IPPROTO_ICMP, fx_ip4(10, 0, 0, 3), fx_ip4(10, 0, 0, 1),
		      0, 0, 20);
	MTEST_ASSERT_EQ(vx_expect(&v, f, l, false), 0);
	/* IPv6 UDP; another source port is another flow */
	l = fx_frame6(f, v.f.mac, peer, IPPROTO_UDP, s6, d6, 7000, 53, 20);
	MTEST_ASSERT_EQ(vx_expect(&v, f, l, true), 0);
	MTEST_ASSERT_EQ(vx_expect(&v, f, l, false), 0);
	l = fx_frame6(f, v.f.mac, peer, IPPROTO_UDP, s6, d6, 7001, 53, 20);
	MTEST_ASSERT_EQ(vx_expect(&v, f, l, true), 0);
	/* a truncated IPv4 header is not IP to the switch: MACs + ethertype */
	l = fx_frame4(f, v.f.mac, peer, IPPROTO_UDP, fx_ip4(10, 0, 0, 4), fx_ip4(10, 0, 0, 1),
		      1, 2, 0);
	MTEST_ASSERT_EQ(vx_expect(&v, f, 30, true), 0);
	MTEST_ASSERT_EQ(vx_expect(&v, f, 30, false), 0);
	/* a runt: dropped */
	MTEST_ASSERT_EQ(send(v.up, f, 10, 0), 10);
	emu_dev_step(v.f.dev);
	MTEST_ASSERT_EQ(vx_counts(&v, 13, 5, 7, 7, 0, 1), 0);
	vx_fini(&v);
	return MTEST_SUCCESS;
}

/* RX disabled and configured again between two steps: the flows are forgotten. */
static int
test_rx_reconfig_and_mac(void)
{
	struct emu_vport_rx_config rx;
	uint8_t f[256], mac2[6] = { 0x00, 0x0d, 0x3a, 0x55, 0x55, 0x55 };
	uint32_t l, i;
	struct vx v;

	MTEST_ASSERT_EQ(vx_init(&v, 0), 0);
	l = fx_frame4(f, v.f.mac, peer, IPPROTO_UDP, fx_ip4(10, 0, 0, 2), fx_ip4(10, 0, 0, 1),
		      1000, 2000, 30);
	MTEST_ASSERT_EQ(vx_expect(&v, f, l, true), 0);
	MTEST_ASSERT_EQ(vx_expect(&v, f, l, false), 0);
	MTEST_ASSERT_EQ(emu_vport_disable_rx(v.f.dev, 0), 0);
	memset(&rx, 0, sizeof(rx));
	for (i = 0; i < EMU_RSS_TABLE_SIZE; i++)
		rx.table[i] = v.f.rq[0].id.handle;
	rx.default_rxobj = v.f.rq[0].id.handle;
	rx.rx_enable = true;
	MTEST_ASSERT_EQ(emu_vport_config_rx(v.f.dev, 0, &rx), 0);
	MTEST_ASSERT_EQ(vx_expect(&v, f, l, true), 0);
	MTEST_ASSERT_EQ(vx_expect(&v, f, l, false), 0);
	/* RX disabled: everything synthetic */
	MTEST_ASSERT_EQ(emu_vport_disable_rx(v.f.dev, 0), 0);
	MTEST_ASSERT_EQ(vx_expect(&v, f, l, true), 0);
	MTEST_ASSERT_EQ(emu_vport_config_rx(v.f.dev, 0, &rx), 0);
	/* a new MAC: the old one is another vNIC's now */
	MTEST_ASSERT_EQ(emu_vport_set_mac(v.f.dev, 0, mac2), 0);
	MTEST_ASSERT_EQ(send(v.up, f, l, 0), (ssize_t)l);
	emu_dev_step(v.f.dev);
	memcpy(f, mac2, 6);
	MTEST_ASSERT_EQ(vx_expect(&v, f, l, true), 0);
	MTEST_ASSERT_EQ(vx_expect(&v, f, l, false), 0);
	MTEST_ASSERT_EQ(vx_counts(&v, 8, 3, 4, 3, 0, 1), 0);
	vx_fini(&v);
	return MTEST_SUCCESS;
}

/* TX of both attachments to the uplink; removal; fds that refuse frames. */
static int
test_tx_removal_refused(void)
{
	struct emu_vport_stats st;
	uint8_t f[256], got[256];
	struct gdma_cqe c;
	uint32_t l;
	struct vx v;

	MTEST_ASSERT_EQ(vx_init(&v, 0), 0);
	l = fx_frame4(v.f.mem, peer, v.f.mac, IPPROTO_UDP, fx_ip4(10, 0, 0, 1),
		      fx_ip4(10, 0, 0, 2), 2000, 1000, 40);
	fx_post_tx(&v.f, v.f.mem, l, 0, 0);
	fx_ring_sq(&v.f);
	emu_dev_step(v.f.dev);
	MTEST_ASSERT_EQ(recv(v.up, got, sizeof(got), MSG_DONTWAIT), (ssize_t)l);
	MTEST_ASSERT_MEM_EQ(got, v.f.mem, l);
	MTEST_ASSERT_EQ(fx_cqe(&v.f, &v.f.sq, &c), 1);
	l = fx_frame4(f, peer, v.f.mac, IPPROTO_UDP, fx_ip4(10, 0, 0, 1), fx_ip4(10, 0, 0, 2),
		      2001, 1000, 41);
	MTEST_ASSERT_EQ(send(v.syn, f, l, 0), (ssize_t)l);
	emu_dev_step(v.f.dev);
	MTEST_ASSERT_EQ(recv(v.up, got, sizeof(got), MSG_DONTWAIT), (ssize_t)l);
	MTEST_ASSERT_MEM_EQ(got, f, l);
	MTEST_ASSERT(recv(v.syn, got, sizeof(got), MSG_DONTWAIT) < 0, "echo on synthetic");

	/* removed: a known flow goes synthetic, TX of the synthetic side works */
	l = fx_frame4(f, v.f.mac, peer, IPPROTO_UDP, fx_ip4(10, 0, 0, 2), fx_ip4(10, 0, 0, 1),
		      1000, 2000, 30);
	MTEST_ASSERT_EQ(vx_expect(&v, f, l, true), 0);
	MTEST_ASSERT_EQ(vx_expect(&v, f, l, false), 0);
	MTEST_ASSERT_EQ(emu_dev_remove(v.f.dev), 0);
	MTEST_ASSERT_EQ(vx_expect(&v, f, l, true), 0);
	MTEST_ASSERT_EQ(emu_port_inject_rx(v.f.dev, 0, f, l), 0);
	emu_dev_step(v.f.dev);
	MTEST_ASSERT_EQ(recv(v.syn, got, sizeof(got), MSG_DONTWAIT), (ssize_t)l);
	MTEST_ASSERT_EQ(emu_port_wire_type(v.f.dev, 0), EMU_WIRE_VSWITCH);

	/* the far ends gone: frames refused are counted, nothing blocks */
	close(v.syn);
	v.syn = -1;
	MTEST_ASSERT_EQ(send(v.up, f, l, 0), (ssize_t)l);
	emu_dev_step(v.f.dev);
	MTEST_ASSERT_EQ(emu_vport_stats_get(v.f.dev, 0, &st), 0);
	MTEST_ASSERT_EQ(st.vsw_uplink_in, 5);
	MTEST_ASSERT_EQ(st.vsw_to_syn, 3);
	MTEST_ASSERT_EQ(st.vsw_to_vf, 1);
	MTEST_ASSERT_EQ(st.vsw_dropped, 1);
	MTEST_ASSERT_EQ(st.vsw_from_vf, 1);
	MTEST_ASSERT_EQ(st.vsw_from_syn, 1);
	MTEST_ASSERT_EQ(st.tx_drop_wire, 0);
	vx_fini(&v);
	return MTEST_SUCCESS;
}

/* The synthetic side refuses frames: counted as dropped, never as switched. */
static int
test_syn_refused(void)
{
	uint8_t f[256];
	uint32_t l;
	struct vx v;

	MTEST_ASSERT_EQ(vx_init(&v, 0), 0);
	close(v.syn);
	v.syn = -1;
	l = fx_frame4(f, v.f.mac, peer, IPPROTO_UDP, fx_ip4(10, 0, 0, 2), fx_ip4(10, 0, 0, 1),
		      1000, 2000, 30);
	MTEST_ASSERT_EQ(send(v.up, f, l, 0), (ssize_t)l);
	emu_dev_step(v.f.dev);
	MTEST_ASSERT_EQ(vx_counts(&v, 1, 0, 0, 0, 0, 1), 0);
	/* the flow was seen all the same: its next frame reaches the VF */
	{
		uint8_t got[256];

		MTEST_ASSERT_EQ(send(v.up, f, l, 0), (ssize_t)l);
		emu_dev_step(v.f.dev);
		MTEST_ASSERT_EQ(vx_vf_recv(&v, got), (int)l);
		MTEST_ASSERT_MEM_EQ(got, f, l);
	}
	l = fx_frame4(f, bcast, peer, IPPROTO_UDP, fx_ip4(10, 0, 0, 2), fx_ip4(10, 0, 0, 255),
		      1000, 2000, 30);
	MTEST_ASSERT_EQ(send(v.up, f, l, 0), (ssize_t)l);
	emu_dev_step(v.f.dev);
	MTEST_ASSERT_EQ(vx_counts(&v, 3, 1, 0, 0, 0, 2), 0);
	vx_fini(&v);
	return MTEST_SUCCESS;
}

/* Full table: new flows stay synthetic, known ones still reach the VF. */
static int
test_table_full(void)
{
	struct emu_dev_config cfg;
	struct emu_dev *d;
	uint8_t f[256];
	int sp[2], i;
	uint32_t l;
	struct vx v;

	emu_dev_config_init(&cfg);
	cfg.vsw_flows = EMU_VSW_MAX_FLOWS + 1;
	MTEST_ASSERT_EQ(emu_dev_create(&cfg, &d), -EINVAL);
	cfg.vsw_flows = 0;
	MTEST_ASSERT_EQ(emu_dev_create(&cfg, &d), 0);
	MTEST_ASSERT_EQ(emu_dev_get_config(d)->vsw_flows, EMU_VSW_DEFAULT_FLOWS);
	/* bad wiring: errors, and the fds are closed (the core owns them) */
	MTEST_ASSERT_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sp), 0);
	MTEST_ASSERT_EQ(emu_port_wire_vswitch_fd(d, 0, sp[0], sp[0]), -EINVAL);
	MTEST_ASSERT(fcntl(sp[0], F_GETFD) < 0 && errno == EBADF, "fd left open");
	close(sp[1]);
	MTEST_ASSERT_EQ(emu_port_wire_vswitch(d, 0, "same0", "same0"), -EINVAL);
	MTEST_ASSERT_EQ(emu_port_wire_vswitch(d, 0, "", "up0"), -EINVAL);
	MTEST_ASSERT_EQ(emu_port_wire_vswitch(d, 0, "syn0", "sixteen-chars-xx"), -EINVAL);
	MTEST_ASSERT_EQ(emu_port_wire_vswitch(d, 1, "syn0", "up0"), -EINVAL);
	MTEST_ASSERT_EQ(emu_port_wire_type(d, 0), EMU_WIRE_NONE);
	emu_dev_destroy(d);

	MTEST_ASSERT_EQ(vx_init(&v, 3), 0);
	for (i = 0; i < 3; i++) {
		l = fx_frame4(f, v.f.mac, peer, IPPROTO_UDP, fx_ip4(10, 0, 0, 2),
			      fx_ip4(10, 0, 0, 1), (uint16_t)(100 + i), 2000, 10);
		MTEST_ASSERT_EQ(vx_expect(&v, f, l, true), 0);
	}
	l = fx_frame4(f, v.f.mac, peer, IPPROTO_UDP, fx_ip4(10, 0, 0, 2), fx_ip4(10, 0, 0, 1),
		      103, 2000, 10);
	MTEST_ASSERT_EQ(vx_expect(&v, f, l, true), 0);
	MTEST_ASSERT_EQ(vx_expect(&v, f, l, true), 0);
	for (i = 0; i < 3; i++) {
		l = fx_frame4(f, v.f.mac, peer, IPPROTO_UDP, fx_ip4(10, 0, 0, 2),
			      fx_ip4(10, 0, 0, 1), (uint16_t)(100 + i), 2000, 11);
		MTEST_ASSERT_EQ(vx_expect(&v, f, l, false), 0);
	}
	l = fx_frame4(f, bcast, peer, IPPROTO_UDP, fx_ip4(10, 0, 0, 2), fx_ip4(10, 0, 0, 255),
		      104, 2000, 10);
	MTEST_ASSERT_EQ(vx_expect(&v, f, l, true), 0);
	MTEST_ASSERT_EQ(vx_counts(&v, 9, 3, 6, 3, 2, 0), 0);
	/* RX off: the VF is away, the table forgotten; flow 103 fits once it is back */
	MTEST_ASSERT_EQ(emu_vport_disable_rx(v.f.dev, 0), 0);
	l = fx_frame4(f, v.f.mac, peer, IPPROTO_UDP, fx_ip4(10, 0, 0, 2), fx_ip4(10, 0, 0, 1),
		      103, 2000, 12);
	MTEST_ASSERT_EQ(vx_expect(&v, f, l, true), 0);
	{
		struct emu_vport_rx_config rx;

		memset(&rx, 0, sizeof(rx));
		for (i = 0; i < (int)EMU_RSS_TABLE_SIZE; i++)
			rx.table[i] = v.f.rq[0].id.handle;
		rx.default_rxobj = v.f.rq[0].id.handle;
		rx.rx_enable = true;
		MTEST_ASSERT_EQ(emu_vport_config_rx(v.f.dev, 0, &rx), 0);
	}
	MTEST_ASSERT_EQ(vx_expect(&v, f, l, true), 0);
	MTEST_ASSERT_EQ(vx_expect(&v, f, l, false), 0);
	MTEST_ASSERT_EQ(vx_counts(&v, 12, 4, 8, 4, 2, 0), 0);
	vx_fini(&v);
	return MTEST_SUCCESS;
}

int
main(int argc, char **argv)
{
	static const struct mtest_case cases[] = {
		{ "flow_keys", test_flow_keys },
		{ "rx_reconfig_and_mac", test_rx_reconfig_and_mac },
		{ "tx_removal_refused", test_tx_removal_refused },
		{ "syn_refused", test_syn_refused },
		{ "table_full", test_table_full },
	};

	signal(SIGPIPE, SIG_IGN);
	return mtest_run("emu-vswitch", cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
