/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * The vSwitch wire with real kernel frames: packet sockets on the uplink and
 * synthetic taps, the VF as a raw queue set, in a private network namespace.
 */

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

#include "ev_common.h"

#define VSW_SYN		"evsyn0"
#define VSW_UP		"evup0"
#define VSW_WIRE	"wire0=vswitch:" VSW_SYN ":" VSW_UP
/* one CQE per frame: the test reads the VF's frames one by one */
#define VSW_OPTS	"ports=1,ctl=off,coalescing=off," VSW_WIRE
#define VSW_THREAD	"mode=thread," VSW_OPTS
#define VSW_STEP	"mode=step," VSW_OPTS
#define VSW_WAIT_MS	2000
#define VSW_QUIET_MS	30

/* The machine on the far side of the uplink, and a vNIC that is not ours. */
static const uint8_t peer_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0xaa };
static const uint8_t peer2_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0xbb };
static const uint8_t other_mac[6] = { 0x00, 0x0d, 0x3a, 0x99, 0x99, 0x99 };
static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mcast_mac[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb };

struct vsw {
	bool step;		/* step mode: waits call mana_emu_step() */
	uint8_t mac[6];		/* the vNIC's */
	int up_fd;		/* packet socket on the uplink tap */
	int syn_fd;		/* packet socket on the synthetic tap */
	struct ibv_context *ctx;
	struct ev_port p;	/* the VF */
	bool vf;
	unsigned int rx_idx;	/* VF frames received */
};

static struct vsw T;

/* ------------------------------------------------------------ frames -- */

static uint32_t
frame_eth(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = (uint8_t)(type >> 8);
	f[13] = (uint8_t)type;
	return 14;
}

static void
ip4_csum(uint8_t *ip)
{
	uint32_t sum = 0, i;

	ip[10] = ip[11] = 0;
	for (i = 0; i < 20; i += 2)
		sum += ((uint32_t)ip[i] << 8) | ip[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ip[10] = (uint8_t)(~sum >> 8);
	ip[11] = (uint8_t)~sum;
}

/* IPv4 from 10.0.0.<s> to 10.0.0.<d>, protocol @p proto; UDP ports if 17. */
static uint32_t
frame_ip4(uint8_t *f, const uint8_t dst[6], uint8_t proto, uint8_t s, uint8_t d,
	  uint16_t sport, uint16_t dport, uint8_t seq)
{
	uint32_t off = frame_eth(f, dst, peer_mac, 0x0800), plen = 40, i;
	uint8_t *ip = f + off;

	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)((20 + plen) >> 8);
	ip[3] = (uint8_t)(20 + plen);
	ip[8] = 64;
	ip[9] = proto;
	ip[12] = 10;
	ip[15] = s;
	ip[16] = 10;
	ip[19] = d;
	ip4_csum(ip);
	for (i = 0; i < plen; i++)
		ip[20 + i] = (uint8_t)(seq + i * 13);
	if (proto == IPPROTO_UDP) {
		ip[20] = (uint8_t)(sport >> 8);
		ip[21] = (uint8_t)sport;
		ip[22] = (uint8_t)(dport >> 8);
		ip[23] = (uint8_t)dport;
		ip[24] = 0;
		ip[25] = (uint8_t)plen;
		ip[26] = ip[27] = 0;	/* no UDP checksum */
	}
	return off + 20 + plen;
}

static uint32_t
frame_udp4(uint8_t *f, const uint8_t dst[6], uint16_t sport, uint8_t seq)
{
	return frame_ip4(f, dst, IPPROTO_UDP, 2, 1, sport, 2000, seq);
}

/* IPv6 UDP fd00::2 -> fd00::1. */
static uint32_t
frame_udp6(uint8_t *f, const uint8_t dst[6], uint16_t sport, uint8_t seq)
{
	uint32_t off = frame_eth(f, dst, peer_mac, 0x86dd), plen = 32, i;
	uint8_t *ip = f + off;

	memset(ip, 0, 40);
	ip[0] = 0x60;
	ip[5] = (uint8_t)plen;
	ip[6] = IPPROTO_UDP;
	ip[7] = 64;
	ip[8] = 0xfd;
	ip[23] = 2;
	ip[24] = 0xfd;
	ip[39] = 1;
	for (i = 0; i < plen; i++)
		ip[40 + i] = (uint8_t)(seq + i * 5);
	ip[40] = (uint8_t)(sport >> 8);
	ip[41] = (uint8_t)sport;
	ip[42] = 0x07;
	ip[43] = 0xd0;
	ip[44] = 0;
	ip[45] = (uint8_t)plen;
	return off + 40 + plen;
}

/* Not IP: local experimental ethertype. */
static uint32_t
frame_raw(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], uint8_t seq)
{
	uint32_t off = frame_eth(f, dst, src, 0x88b5), i;

	for (i = off; i < 80; i++)
		f[i] = (uint8_t)(seq + i * 3);
	return 80;
}

/* ------------------------------------------------- the two interfaces -- */

static int
pk_open(const char *ifname)
{
	struct sockaddr_ll sll;
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
			htons(ETH_P_ALL));

	if (fd < 0)
		return -errno;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (sll.sll_ifindex == 0 ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
		close(fd);
		return -ENODEV;
	}
	return fd;
}

static int
pk_send(int fd, const char *ifname, const uint8_t *f, uint32_t len)
{
	struct sockaddr_ll sll;

	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, f, 6);
	return sendto(fd, f, len, 0, (struct sockaddr *)&sll, sizeof(sll)) ==
	       (ssize_t)len ? 0 : -1;
}

static void
vsw_pause(void)
{
	if (T.step)
		ev.step();
	usleep(1000);
}

/* Next frame the kernel received on the socket's interface, 0 if none in @p ms. */
static int
pk_recv(int fd, uint8_t *buf, uint32_t cap, int ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct sockaddr_ll sll;
		socklen_t sl = sizeof(sll);
		ssize_t r = recvfrom(fd, buf, cap, MSG_DONTWAIT,
				     (struct sockaddr *)&sll, &sl);

		if (r > 0 && sll.sll_pkttype == PACKET_OUTGOING)
			continue;	/* what we sent ourselves */
		if (r > 0)
			return (int)r;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 +
		    (t.tv_nsec - t0.tv_nsec) / 1000000 >= ms)
			return 0;
		vsw_pause();
	}
}

static int
if_get(const char *ifname, unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc;

	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", ifname);
	rc = ioctl(s, req, ifr);
	close(s);
	return rc;
}

/* ------------------------------------------------------------ the VF -- */

/* Next frame the VF received, its length or 0 if none in @p ms. */
static int
vf_recv(uint8_t *buf, int ms)
{
	struct timespec t0, t;
	struct gdma_cqe cqe;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int r = ev_poll(&T.p.drx, &T.p.rx_cq_head, &cqe);

		if (r < 0)
			return -1;
		if (r == 1) {
			const struct mana_rxcomp_oob *oob = (const void *)cqe.cqe_data;
			uint32_t len = oob->ppi[0].pkt_len_dw & 0xffff;
			unsigned int b = T.rx_idx++ % (EV_NBUF / 2);

			if (MANA_GET(cqe.cqe_data, MANA_CQE_HDR_CQE_TYPE) != CQE_RX_OKAY)
				return -1;
			memcpy(buf, T.p.mem + b * EV_BUF_SIZE, len);
			ev_post_rx(&T.p, 1);
			return (int)len;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 +
		    (t.tv_nsec - t0.tv_nsec) / 1000000 >= ms)
			return 0;
		vsw_pause();
	}
}

static int
vf_setup(void)
{
	T.ctx = ev_open(0);
	MTEST_ASSERT(T.ctx != NULL, "no device: errno %d", errno);
	MTEST_ASSERT_EQ(ev_port_setup(&T.p, T.ctx, 1, 64, false), 0);
	T.vf = true;
	T.rx_idx = 0;
	ev_post_rx(&T.p, EV_NBUF / 2);
	return MTEST_SUCCESS;
}

/* Tear the VF's objects down; after a removal they are disassociated. */
static int
vf_teardown(bool gone)
{
	int rc;

	if (!T.vf)
		return MTEST_SUCCESS;
	T.vf = false;
	/* after a removal, success needs RDMAV_ALLOW_DISASSOC_DESTROY (meson sets it) */
	(void)gone;
	rc = ev_port_teardown(&T.p);
	MTEST_ASSERT_EQ(rc, 0);
	MTEST_ASSERT_EQ(ibv_close_device(T.ctx), 0);
	T.ctx = NULL;
	return MTEST_SUCCESS;
}

static int
expect_fatal(void)
{
	struct ibv_async_event e;
	struct pollfd pfd = { .fd = T.ctx->async_fd, .events = POLLIN };

	MTEST_ASSERT_EQ(poll(&pfd, 1, 1000), 1);
	MTEST_ASSERT_EQ(ibv_get_async_event(T.ctx, &e), 0);
	MTEST_ASSERT_EQ(e.event_type, IBV_EVENT_DEVICE_FATAL);
	ibv_ack_async_event(&e);
	return MTEST_SUCCESS;
}

/* ---------------------------------------------------------- counters -- */

static uint64_t
ctr(const char *name)
{
	char full[64];
	uint64_t v = UINT64_MAX;

	snprintf(full, sizeof(full), "port0.%s", name);
	if (ev.counter(0, full, &v) != 0)
		return UINT64_MAX;
	return v;
}

/* Wait until the switch has taken @p n uplink frames (and a little more). */
static uint64_t
wait_uplink_in(uint64_t n)
{
	int i;

	for (i = 0; i < VSW_WAIT_MS && ctr("vsw_uplink_in") < n; i++)
		vsw_pause();
	return ctr("vsw_uplink_in");
}

struct vsw_counts {
	uint64_t uplink_in, to_vf, to_syn, first, full, from_vf, from_syn, dropped;
};

static int
expect_counts(const struct vsw_counts *c)
{
	MTEST_ASSERT_EQ(wait_uplink_in(c->uplink_in), c->uplink_in);
	MTEST_ASSERT_EQ(ctr("vsw_to_vf"), c->to_vf);
	MTEST_ASSERT_EQ(ctr("vsw_to_syn"), c->to_syn);
	MTEST_ASSERT_EQ(ctr("vsw_first_of_flow"), c->first);
	MTEST_ASSERT_EQ(ctr("vsw_flow_full"), c->full);
	MTEST_ASSERT_EQ(ctr("vsw_from_vf"), c->from_vf);
	MTEST_ASSERT_EQ(ctr("vsw_from_syn"), c->from_syn);
	MTEST_ASSERT_EQ(ctr("vsw_dropped"), c->dropped);
	MTEST_ASSERT_EQ(c->uplink_in, c->to_vf + c->to_syn + c->dropped);
	return MTEST_SUCCESS;
}

/* ------------------------------------------------------ the scenarios -- */

static int
vsw_start(const char *opts, bool with_vf)
{
	int rc;

	/* what a failed case left behind */
	if (T.vf)
		vf_teardown(true);
	if (T.up_fd >= 0)
		close(T.up_fd);
	if (T.syn_fd >= 0)
		close(T.syn_fd);
	T.up_fd = T.syn_fd = -1;
	rc = ev.init(opts);

	MTEST_ASSERT(rc == 0, "init %s: %d %s", opts, rc, ev.last_error());
	T.step = strstr(opts, "mode=step") != NULL;
	MTEST_ASSERT_EQ(ev.mac(0, 0, T.mac), 0);
	T.up_fd = pk_open(VSW_UP);
	T.syn_fd = pk_open(VSW_SYN);
	MTEST_ASSERT(T.up_fd >= 0 && T.syn_fd >= 0, "packet sockets: %d %d",
		     T.up_fd, T.syn_fd);
	T.vf = false;
	if (with_vf)
		return vf_setup();
	return MTEST_SUCCESS;
}

static int
vsw_stop(bool gone)
{
	int rc = vf_teardown(gone);

	close(T.up_fd);
	close(T.syn_fd);
	T.up_fd = T.syn_fd = -1;
	ev.fini();
	MTEST_ASSERT(if_nametoindex(VSW_SYN) == 0 && if_nametoindex(VSW_UP) == 0,
		     "tap interfaces outlive the emulator");
	return rc;
}

/* Send @p f from the uplink; expect it on the synthetic side (@p to_syn) or the VF. */
static int
uplink_expect(const uint8_t *f, uint32_t len, bool to_syn)
{
	uint8_t got[2048];
	int n;

	MTEST_ASSERT_EQ(pk_send(T.up_fd, VSW_UP, f, len), 0);
	n = to_syn ? pk_recv(T.syn_fd, got, sizeof(got), VSW_WAIT_MS) :
		     vf_recv(got, VSW_WAIT_MS);
	MTEST_ASSERT(n == (int)len, "%s: got %d bytes, expected %u",
		     to_syn ? "synthetic" : "VF", n, len);
	MTEST_ASSERT_MEM_EQ(got, f, len);
	return MTEST_SUCCESS;
}

/* Nothing more arrived on the synthetic side nor on the VF. */
static int
expect_quiet(void)
{
	uint8_t got[2048];

	MTEST_ASSERT_EQ(pk_recv(T.syn_fd, got, sizeof(got), VSW_QUIET_MS), 0);
	if (T.vf)
		MTEST_ASSERT_EQ(vf_recv(got, 1), 0);
	return MTEST_SUCCESS;
}

static int
test_interfaces(void)
{
	static const char *bad[] = {
		VSW_OPTS ",wire0=vswitch:" VSW_SYN,
		VSW_OPTS ",wire0=vswitch:" VSW_SYN ":" VSW_SYN,
		VSW_OPTS ",wire0=vswitch::" VSW_UP,
		VSW_OPTS ",wire0=vswitch:" VSW_SYN ":",
		VSW_OPTS ",wire0=vswitch:sixteen-chars-xx:" VSW_UP,
		VSW_OPTS ",wire0=vswitch:a:b:c",
		VSW_OPTS ",vswitch_flows=0",
	};
	struct ifreq ifr;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		MTEST_ASSERT(ev.init(bad[i]) < 0, "accepted: %s", bad[i]);
		MTEST_ASSERT(strstr(ev.last_error(), "vswitch") != NULL, "%s: %s",
			     bad[i], ev.last_error());
		MTEST_ASSERT(if_nametoindex(VSW_SYN) == 0, "%s left a tap", bad[i]);
	}
	/* two vPorts cannot share the taps: a clear error, nothing left behind */
	MTEST_ASSERT(ev.init("ports=2,ctl=off,wire=vswitch:" VSW_SYN ":" VSW_UP) == -EBUSY,
		     "two vPorts on one pair of taps");
	MTEST_ASSERT(strstr(ev.last_error(), "give each wire its own") != NULL, "%s",
		     ev.last_error());
	MTEST_ASSERT(if_nametoindex(VSW_SYN) == 0, "tap left behind");
	MTEST_ASSERT_EQ(vsw_start(VSW_THREAD, false), 0);
	MTEST_ASSERT_EQ(if_get(VSW_SYN, SIOCGIFHWADDR, &ifr), 0);
	MTEST_ASSERT_MEM_EQ(ifr.ifr_hwaddr.sa_data, T.mac, 6);
	MTEST_ASSERT_EQ(if_get(VSW_SYN, SIOCGIFFLAGS, &ifr), 0);
	MTEST_ASSERT(ifr.ifr_flags & IFF_UP, "%s down", VSW_SYN);
	MTEST_ASSERT_EQ(if_get(VSW_UP, SIOCGIFFLAGS, &ifr), 0);
	MTEST_ASSERT(ifr.ifr_flags & IFF_UP, "%s down", VSW_UP);
	/* the namespace is quiet: no counter moves on its own */
	MTEST_ASSERT_EQ(expect_quiet(), 0);
	{
		struct vsw_counts c = { 0 };

		MTEST_ASSERT_EQ(expect_counts(&c), 0);
	}
	return vsw_stop(false);
}

/* Make (@p on) or unmake a persistent tap, as "ip tuntap add mode tap" does. */
static int
tap_persist(const char *ifname, int on)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC), rc;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	rc = ioctl(fd, TUNSETIFF, &ifr) == 0 && ioctl(fd, TUNSETPERSIST, on) == 0 ? 0 : -errno;
	close(fd);
	return rc;
}

/* Taps that exist already are attached to; the synthetic one takes the vNIC MAC. */
static int
test_existing_taps(void)
{
	static const uint8_t old_mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	uint8_t f[256], got[256];
	struct ifreq ifr;
	uint32_t len;
	int s;

	MTEST_ASSERT_EQ(tap_persist(VSW_SYN, 1), 0);
	MTEST_ASSERT_EQ(tap_persist(VSW_UP, 1), 0);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", VSW_SYN);
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, old_mac, 6);
	MTEST_ASSERT_EQ(ioctl(s, SIOCSIFHWADDR, &ifr), 0);
	MTEST_ASSERT_EQ(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	MTEST_ASSERT_EQ(ioctl(s, SIOCSIFFLAGS, &ifr), 0);
	close(s);

	MTEST_ASSERT_EQ(vsw_start(VSW_THREAD, false), 0);
	MTEST_ASSERT_EQ(if_get(VSW_SYN, SIOCGIFHWADDR, &ifr), 0);
	MTEST_ASSERT_MEM_EQ(ifr.ifr_hwaddr.sa_data, T.mac, 6);
	MTEST_ASSERT_EQ(if_get(VSW_UP, SIOCGIFFLAGS, &ifr), 0);
	MTEST_ASSERT(ifr.ifr_flags & IFF_UP, "%s down", VSW_UP);
	len = frame_raw(f, bcast_mac, peer_mac, 1);
	MTEST_ASSERT_EQ(uplink_expect(f, len, true), 0);
	len = frame_raw(f, peer_mac, T.mac, 2);
	MTEST_ASSERT_EQ(pk_send(T.syn_fd, VSW_SYN, f, len), 0);
	MTEST_ASSERT_EQ(pk_recv(T.up_fd, got, sizeof(got), VSW_WAIT_MS), (int)len);
	MTEST_ASSERT_MEM_EQ(got, f, len);
	close(T.up_fd);
	close(T.syn_fd);
	T.up_fd = T.syn_fd = -1;
	ev.fini();
	/* persistent taps outlive the emulator, as they outlive any user */
	MTEST_ASSERT(if_nametoindex(VSW_SYN) != 0 && if_nametoindex(VSW_UP) != 0,
		     "persistent taps deleted");
	MTEST_ASSERT_EQ(tap_persist(VSW_SYN, 0), 0);
	MTEST_ASSERT_EQ(tap_persist(VSW_UP, 0), 0);
	MTEST_ASSERT(if_nametoindex(VSW_SYN) == 0 && if_nametoindex(VSW_UP) == 0,
		     "taps left");
	return MTEST_SUCCESS;
}

/* A second vPort left on the default "pair" wire has no partner: it loops back. */
static int
test_second_port_loops(void)
{
	uint8_t f[256], mac1[6];
	struct ev_port q;
	struct gdma_cqe cqe;
	uint32_t len;
	int i, got = 0;

	MTEST_ASSERT_EQ(vsw_start("mode=thread,ctl=off,coalescing=off,ports=2," VSW_WIRE, true), 0);
	MTEST_ASSERT_EQ(ev.mac(0, 1, mac1), 0);
	MTEST_ASSERT_EQ(ev_port_setup(&q, T.ctx, 2, 64, false), 0);
	ev_post_rx(&q, 4);
	len = frame_raw(f, mac1, mac1, 1);
	ev_send(&q, f, len);
	for (i = 0; i < VSW_WAIT_MS && !got; i++) {
		got = ev_poll(&q.drx, &q.rx_cq_head, &cqe);
		if (!got)
			vsw_pause();
	}
	MTEST_ASSERT_EQ(got, 1);
	MTEST_ASSERT_MEM_EQ(q.mem, f, len);
	MTEST_ASSERT_EQ(ev_port_teardown(&q), 0);
	/* and vPort 0 is on its vSwitch */
	len = frame_raw(f, bcast_mac, peer_mac, 2);
	MTEST_ASSERT_EQ(uplink_expect(f, len, true), 0);
	MTEST_ASSERT_EQ(ctr("vsw_uplink_in"), 1);
	return vsw_stop(false);
}

/* First frame of each flow to the synthetic path, the rest to the VF. */
static int
first_of_flow(const char *opts)
{
	struct vsw_counts c = { 0 };
	uint8_t f[256];
	uint32_t len;
	int i;

	MTEST_ASSERT_EQ(vsw_start(opts, true), 0);
	/* UDP flow A: 3 frames */
	for (i = 0; i < 3; i++) {
		len = frame_udp4(f, T.mac, 1000, (uint8_t)i);
		MTEST_ASSERT_EQ(uplink_expect(f, len, i == 0), 0);
	}
	/* flow B differs from A by the source port only */
	for (i = 0; i < 2; i++) {
		len = frame_udp4(f, T.mac, 1001, (uint8_t)(10 + i));
		MTEST_ASSERT_EQ(uplink_expect(f, len, i == 0), 0);
	}
	/* not TCP/UDP: the addresses are the flow, whatever the protocol */
	len = frame_ip4(f, T.mac, IPPROTO_ICMP, 2, 1, 0, 0, 20);
	MTEST_ASSERT_EQ(uplink_expect(f, len, true), 0);
	len = frame_ip4(f, T.mac, IPPROTO_ICMP, 2, 1, 0, 0, 21);
	MTEST_ASSERT_EQ(uplink_expect(f, len, false), 0);
	len = frame_ip4(f, T.mac, IPPROTO_GRE, 2, 1, 0, 0, 22);
	MTEST_ASSERT_EQ(uplink_expect(f, len, false), 0);
	/* IPv6 UDP */
	for (i = 0; i < 2; i++) {
		len = frame_udp6(f, T.mac, 1000, (uint8_t)(30 + i));
		MTEST_ASSERT_EQ(uplink_expect(f, len, i == 0), 0);
	}
	/* not IP: source/destination MAC + ethertype */
	for (i = 0; i < 2; i++) {
		len = frame_raw(f, T.mac, peer_mac, (uint8_t)(40 + i));
		MTEST_ASSERT_EQ(uplink_expect(f, len, i == 0), 0);
	}
	len = frame_raw(f, T.mac, peer2_mac, 42);
	MTEST_ASSERT_EQ(uplink_expect(f, len, true), 0);
	MTEST_ASSERT_EQ(expect_quiet(), 0);
	c.uplink_in = 3 + 2 + 3 + 2 + 3;
	c.first = 6;
	c.to_syn = 6;
	c.to_vf = 7;
	MTEST_ASSERT_EQ(expect_counts(&c), 0);
	MTEST_ASSERT_EQ(ctr("rx_frames"), 7);
	return vsw_stop(false);
}

/* Broadcast and multicast always synthetic; other unicast dropped. */
static int
test_bcast_mcast_other(void)
{
	struct vsw_counts c = { 0 };
	uint8_t f[256];
	uint32_t len;
	int i;

	MTEST_ASSERT_EQ(vsw_start(VSW_THREAD, true), 0);
	for (i = 0; i < 2; i++) {
		len = frame_ip4(f, bcast_mac, IPPROTO_UDP, 2, 255, 1000, 2000, (uint8_t)i);
		MTEST_ASSERT_EQ(uplink_expect(f, len, true), 0);
	}
	len = frame_ip4(f, mcast_mac, IPPROTO_UDP, 2, 1, 1000, 2000, 5);
	MTEST_ASSERT_EQ(uplink_expect(f, len, true), 0);
	/* a known flow sent to the broadcast address still goes synthetic */
	len = frame_udp4(f, T.mac, 1000, 6);
	MTEST_ASSERT_EQ(uplink_expect(f, len, true), 0);
	len = frame_udp4(f, T.mac, 1000, 7);
	MTEST_ASSERT_EQ(uplink_expect(f, len, false), 0);
	len = frame_udp4(f, bcast_mac, 1000, 8);
	MTEST_ASSERT_EQ(uplink_expect(f, len, true), 0);
	len = frame_raw(f, bcast_mac, peer_mac, 9);
	MTEST_ASSERT_EQ(uplink_expect(f, len, true), 0);
	/* unicast to another vNIC: dropped, neither path sees it */
	for (i = 0; i < 2; i++) {
		len = frame_udp4(f, other_mac, 1000, (uint8_t)(10 + i));
		MTEST_ASSERT_EQ(pk_send(T.up_fd, VSW_UP, f, len), 0);
	}
	c.uplink_in = 9;
	c.to_syn = 6;
	c.first = 1;
	c.to_vf = 1;
	c.dropped = 2;
	MTEST_ASSERT_EQ(expect_counts(&c), 0);
	MTEST_ASSERT_EQ(expect_quiet(), 0);
	/* programmatic injection is uplink input too */
	len = frame_raw(f, bcast_mac, peer_mac, 12);
	MTEST_ASSERT_EQ(ev.inject_rx(0, 0, f, len), 0);
	{
		uint8_t got[256];

		MTEST_ASSERT_EQ(pk_recv(T.syn_fd, got, sizeof(got), VSW_WAIT_MS), (int)len);
		MTEST_ASSERT_MEM_EQ(got, f, len);
	}
	c.uplink_in++;
	c.to_syn++;
	MTEST_ASSERT_EQ(expect_counts(&c), 0);
	MTEST_ASSERT_EQ(ctr("rx_frames"), 1);
	MTEST_ASSERT_EQ(ctr("rx_drop_filter"), 0);
	return vsw_stop(false);
}

/* Frames sent by the VF and by the synthetic interface both reach the uplink. */
static int
tx_both(const char *opts)
{
	struct vsw_counts c = { 0 };
	uint8_t f[256], got[256];
	struct gdma_cqe cqe;
	uint32_t len;
	int i, done = 0;

	MTEST_ASSERT_EQ(vsw_start(opts, true), 0);
	for (i = 0; i < 2; i++) {
		len = frame_raw(f, peer_mac, T.mac, (uint8_t)(50 + i));
		ev_send(&T.p, f, len);
		MTEST_ASSERT_EQ(pk_recv(T.up_fd, got, sizeof(got), VSW_WAIT_MS), (int)len);
		MTEST_ASSERT_MEM_EQ(got, f, len);
	}
	for (i = 0; i < VSW_WAIT_MS && done < 2; i++) {
		done += ev_poll(&T.p.dtx, &T.p.tx_cq_head, &cqe) == 1;
		if (done < 2)
			vsw_pause();
	}
	MTEST_ASSERT_EQ(done, 2);
	MTEST_ASSERT_EQ(MANA_GET(cqe.cqe_data, MANA_CQE_HDR_CQE_TYPE), CQE_TX_OKAY);
	len = frame_udp4(f, peer_mac, 4000, 60);
	memcpy(f + 6, T.mac, 6);
	MTEST_ASSERT_EQ(pk_send(T.syn_fd, VSW_SYN, f, len), 0);
	MTEST_ASSERT_EQ(pk_recv(T.up_fd, got, sizeof(got), VSW_WAIT_MS), (int)len);
	MTEST_ASSERT_MEM_EQ(got, f, len);
	MTEST_ASSERT_EQ(pk_recv(T.up_fd, got, sizeof(got), VSW_QUIET_MS), 0);
	c.from_vf = 2;
	c.from_syn = 1;
	MTEST_ASSERT_EQ(expect_counts(&c), 0);
	MTEST_ASSERT_EQ(ctr("tx_frames"), 2);
	return vsw_stop(false);
}

/*
 * The VF goes away (@p reset: service reset, else hot removal) and comes
 * back: everything synthetic meanwhile, flows learnt again afterwards.
 */
static int
vf_away_and_back(const char *opts, bool reset)
{
	struct vsw_counts c = { 0 };
	uint8_t f[256];
	uint32_t len;
	int i;

	MTEST_ASSERT_EQ(vsw_start(opts, true), 0);
	len = frame_udp4(f, T.mac, 1000, 0);
	MTEST_ASSERT_EQ(uplink_expect(f, len, true), 0);
	len = frame_udp4(f, T.mac, 1000, 1);
	MTEST_ASSERT_EQ(uplink_expect(f, len, false), 0);

	MTEST_ASSERT_EQ(reset ? ev.reset(0, 100) : ev.remove(0), 0);
	MTEST_ASSERT_EQ(expect_fatal(), 0);
	/* the known flow and a new one: synthetic, not "first of flow" */
	for (i = 2; i < 4; i++) {
		len = frame_udp4(f, T.mac, 1000, (uint8_t)i);
		MTEST_ASSERT_EQ(uplink_expect(f, len, true), 0);
	}
	len = frame_udp4(f, T.mac, 1002, 4);
	MTEST_ASSERT_EQ(uplink_expect(f, len, true), 0);
	len = frame_raw(f, bcast_mac, peer_mac, 5);
	MTEST_ASSERT_EQ(uplink_expect(f, len, true), 0);
	len = frame_udp4(f, other_mac, 1000, 6);
	MTEST_ASSERT_EQ(pk_send(T.up_fd, VSW_UP, f, len), 0);
	/* the synthetic interface keeps working both ways */
	len = frame_raw(f, peer_mac, T.mac, 7);
	MTEST_ASSERT_EQ(pk_send(T.syn_fd, VSW_SYN, f, len), 0);
	{
		uint8_t got[256];

		MTEST_ASSERT_EQ(pk_recv(T.up_fd, got, sizeof(got), VSW_WAIT_MS), (int)len);
		MTEST_ASSERT_MEM_EQ(got, f, len);
	}
	c.uplink_in = 2 + 5;
	c.first = 1;
	c.to_vf = 1;
	c.to_syn = 1 + 4;
	c.dropped = 1;
	c.from_syn = 1;
	MTEST_ASSERT_EQ(expect_counts(&c), 0);
	MTEST_ASSERT_EQ(vf_teardown(true), 0);

	if (reset) {
		/* a new IB device appears after the delay */
		for (i = 0; i < VSW_WAIT_MS && ev.ibdev_name(0) == NULL; i++)
			vsw_pause();
		MTEST_ASSERT(ev.ibdev_name(0) != NULL, "no IB device after the reset");
	} else {
		MTEST_ASSERT_EQ(ev.readd(0, NULL), 0);
	}
	/* function back, RX not configured yet: still synthetic */
	len = frame_udp4(f, T.mac, 1000, 8);
	MTEST_ASSERT_EQ(uplink_expect(f, len, true), 0);
	MTEST_ASSERT_EQ(vf_setup(), 0);
	/* the flow table was forgotten: first frame synthetic again */
	len = frame_udp4(f, T.mac, 1000, 9);
	MTEST_ASSERT_EQ(uplink_expect(f, len, true), 0);
	for (i = 10; i < 12; i++) {
		len = frame_udp4(f, T.mac, 1000, (uint8_t)i);
		MTEST_ASSERT_EQ(uplink_expect(f, len, false), 0);
	}
	len = frame_raw(f, peer_mac, T.mac, 12);
	ev_send(&T.p, f, len);
	{
		uint8_t got[256];

		MTEST_ASSERT_EQ(pk_recv(T.up_fd, got, sizeof(got), VSW_WAIT_MS), (int)len);
		MTEST_ASSERT_MEM_EQ(got, f, len);
	}
	MTEST_ASSERT_EQ(expect_quiet(), 0);
	c.uplink_in += 4;
	c.to_syn += 2;
	c.first += 1;
	c.to_vf += 2;
	c.from_vf = 1;
	MTEST_ASSERT_EQ(expect_counts(&c), 0);
	return vsw_stop(false);
}

static int
test_first_of_flow(void)
{
	return first_of_flow(VSW_THREAD);
}

static int
test_first_of_flow_step(void)
{
	return first_of_flow(VSW_STEP);
}

static int
test_tx_both(void)
{
	return tx_both(VSW_THREAD);
}

static int
test_tx_both_step(void)
{
	return tx_both(VSW_STEP);
}

static int
test_remove_readd(void)
{
	return vf_away_and_back(VSW_THREAD, false);
}

static int
test_remove_readd_step(void)
{
	return vf_away_and_back(VSW_STEP, false);
}

static int
test_reset(void)
{
	return vf_away_and_back(VSW_THREAD, true);
}

static int
test_reset_step(void)
{
	return vf_away_and_back(VSW_STEP, true);
}

/*
 * The configured schedule removes and re-adds the function (as the API
 * does): the taps stay and the new function's VF takes the flows again.
 * No VF before: whenever the removal happens, the frames go synthetic.
 */
static int
test_schedule(void)
{
	struct vsw_counts c = { 0 };
	const char *name = NULL;
	uint8_t f[256];
	uint32_t len;
	int i;

	MTEST_ASSERT_EQ(vsw_start("remove_at_ms=30,readd_after_ms=60," VSW_THREAD, false), 0);
	for (i = 0; i < 2; i++) {
		len = frame_udp4(f, T.mac, 1000, (uint8_t)i);
		MTEST_ASSERT_EQ(uplink_expect(f, len, true), 0);
	}
	/* the re-added function registers the next IB device */
	for (i = 0; i < 3 * VSW_WAIT_MS; i++) {
		name = ev.ibdev_name(0);
		if (name != NULL && strcmp(name, "manae_0") != 0)
			break;
		vsw_pause();
	}
	/* the lowest free name again, as the kernel gives it */
	MTEST_ASSERT(name != NULL && !strcmp(name, "manae_0"), "IB device %s",
		     name != NULL ? name : "(none)");
	len = frame_udp4(f, T.mac, 1000, 2);
	MTEST_ASSERT_EQ(uplink_expect(f, len, true), 0);
	MTEST_ASSERT_EQ(vf_setup(), 0);
	for (i = 3; i < 5; i++) {
		len = frame_udp4(f, T.mac, 1000, (uint8_t)i);
		MTEST_ASSERT_EQ(uplink_expect(f, len, i == 3), 0);
	}
	MTEST_ASSERT_EQ(expect_quiet(), 0);
	c.uplink_in = 5;
	c.to_syn = 4;
	c.first = 1;
	c.to_vf = 1;
	MTEST_ASSERT_EQ(expect_counts(&c), 0);
	return vsw_stop(false);
}

/* Step mode: the taps are read and written only by mana_emu_step(). */
static int
test_step_holds(void)
{
	uint8_t f[256], got[256];
	uint32_t len;

	MTEST_ASSERT_EQ(vsw_start(VSW_STEP, true), 0);
	len = frame_raw(f, bcast_mac, peer_mac, 1);
	MTEST_ASSERT_EQ(pk_send(T.up_fd, VSW_UP, f, len), 0);
	len = frame_raw(f, peer_mac, T.mac, 2);
	MTEST_ASSERT_EQ(pk_send(T.syn_fd, VSW_SYN, f, len), 0);
	usleep(VSW_QUIET_MS * 1000);
	MTEST_ASSERT_EQ(ctr("vsw_uplink_in"), 0);
	MTEST_ASSERT_EQ(ctr("vsw_from_syn"), 0);
	MTEST_ASSERT(recv(T.syn_fd, got, sizeof(got), MSG_DONTWAIT) < 0,
		     "synthetic frame without a step");
	MTEST_ASSERT(ev.step() >= 2, "step did no work");
	MTEST_ASSERT_EQ(ctr("vsw_uplink_in"), 1);
	MTEST_ASSERT_EQ(ctr("vsw_to_syn"), 1);
	MTEST_ASSERT_EQ(ctr("vsw_from_syn"), 1);
	MTEST_ASSERT_EQ(pk_recv(T.up_fd, got, sizeof(got), VSW_WAIT_MS), (int)len);
	MTEST_ASSERT_MEM_EQ(got, f, len);
	len = frame_raw(f, bcast_mac, peer_mac, 1);
	MTEST_ASSERT_EQ(pk_recv(T.syn_fd, got, sizeof(got), VSW_WAIT_MS), (int)len);
	MTEST_ASSERT_MEM_EQ(got, f, len);
	return vsw_stop(false);
}

/*
 * A driver stopping and restarting its port (RSS QP destroyed, created
 * again): the VF is away in between, so its flows are forgotten.
 */
static int
rx_restart(const char *opts)
{
	struct ibv_qp_init_attr_ex rqa = {
		.qp_type = IBV_QPT_RAW_PACKET,
		.comp_mask = IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_RX_HASH |
			     IBV_QP_INIT_ATTR_IND_TABLE,
		.rx_hash_conf = {
			.rx_hash_function = IBV_RX_HASH_FUNC_TOEPLITZ,
			.rx_hash_key_len = 40,
			.rx_hash_key = ev_rss_key,
			.rx_hash_fields_mask = IBV_RX_HASH_SRC_IPV4 |
					       IBV_RX_HASH_DST_IPV4,
		},
	};
	struct vsw_counts c = { 0 };
	struct manadv_obj obj;
	uint8_t f[256];
	uint32_t len;

	MTEST_ASSERT_EQ(vsw_start(opts, true), 0);
	len = frame_udp4(f, T.mac, 1000, 0);
	MTEST_ASSERT_EQ(uplink_expect(f, len, true), 0);
	len = frame_udp4(f, T.mac, 1000, 1);
	MTEST_ASSERT_EQ(uplink_expect(f, len, false), 0);
	MTEST_ASSERT_EQ(ibv_destroy_qp(T.p.rss), 0);
	T.p.rss = NULL;
	/* the RQ and its CQ are new hardware objects on the same rings */
	memset(T.p.drx.buf, 0, (size_t)T.p.drx.count * 64);
	rqa.pd = T.p.pdom;
	rqa.rwq_ind_tbl = T.p.ind;
	T.p.rss = ibv_create_qp_ex(T.ctx, &rqa);
	MTEST_ASSERT(T.p.rss != NULL, "RSS QP again: errno %d", errno);
	memset(&obj, 0, sizeof(obj));
	obj.cq.in = T.p.rx_cq;
	obj.cq.out = &T.p.drx;
	obj.rwq.in = T.p.wq;
	obj.rwq.out = &T.p.drwq;
	MTEST_ASSERT_EQ(manadv_init_obj(&obj, MANADV_OBJ_CQ | MANADV_OBJ_RWQ), 0);
	T.p.rq_head = 0;
	T.p.rx_posted = 0;
	T.p.rx_cq_head = T.p.drx.count;
	T.rx_idx = 0;
	ev_post_rx(&T.p, EV_NBUF / 2);
	len = frame_udp4(f, T.mac, 1000, 2);
	MTEST_ASSERT_EQ(uplink_expect(f, len, true), 0);
	len = frame_udp4(f, T.mac, 1000, 3);
	MTEST_ASSERT_EQ(uplink_expect(f, len, false), 0);
	MTEST_ASSERT_EQ(expect_quiet(), 0);
	c.uplink_in = 4;
	c.to_syn = 2;
	c.first = 2;
	c.to_vf = 2;
	MTEST_ASSERT_EQ(expect_counts(&c), 0);
	return vsw_stop(false);
}

static int
test_rx_restart(void)
{
	return rx_restart(VSW_THREAD);
}

/* No step between the stop and the start: the flows are forgotten all the same. */
static int
test_rx_restart_step(void)
{
	return rx_restart(VSW_STEP);
}

/*
 * A full flow table: a new flow takes the synthetic path and is not
 * recorded (every frame of it stays synthetic) until the table is
 * forgotten, here by a removal and re-add.
 */
static int
test_flow_table_full(void)
{
	struct vsw_counts c = { 0 };
	uint8_t f[256];
	uint32_t len;
	int i;

	MTEST_ASSERT_EQ(vsw_start("vswitch_flows=4," VSW_THREAD, true), 0);
	for (i = 0; i < 4; i++) {
		len = frame_udp4(f, T.mac, (uint16_t)(3000 + i), (uint8_t)i);
		MTEST_ASSERT_EQ(uplink_expect(f, len, true), 0);
	}
	for (i = 0; i < 2; i++) {
		len = frame_udp4(f, T.mac, 3004, (uint8_t)(10 + i));
		MTEST_ASSERT_EQ(uplink_expect(f, len, true), 0);
	}
	for (i = 0; i < 4; i++) {
		len = frame_udp4(f, T.mac, (uint16_t)(3000 + i), (uint8_t)(20 + i));
		MTEST_ASSERT_EQ(uplink_expect(f, len, false), 0);
	}
	/* broadcast never enters the table */
	len = frame_raw(f, bcast_mac, peer_mac, 30);
	MTEST_ASSERT_EQ(uplink_expect(f, len, true), 0);
	c.uplink_in = 11;
	c.to_syn = 7;
	c.first = 4;
	c.full = 2;
	c.to_vf = 4;
	MTEST_ASSERT_EQ(expect_counts(&c), 0);

	MTEST_ASSERT_EQ(ev.remove(0), 0);
	MTEST_ASSERT_EQ(expect_fatal(), 0);
	MTEST_ASSERT_EQ(vf_teardown(true), 0);
	MTEST_ASSERT_EQ(ev.readd(0, NULL), 0);
	MTEST_ASSERT_EQ(vf_setup(), 0);
	len = frame_udp4(f, T.mac, 3004, 40);
	MTEST_ASSERT_EQ(uplink_expect(f, len, true), 0);
	len = frame_udp4(f, T.mac, 3004, 41);
	MTEST_ASSERT_EQ(uplink_expect(f, len, false), 0);
	MTEST_ASSERT_EQ(expect_quiet(), 0);
	c.uplink_in += 2;
	c.to_syn++;
	c.first++;
	c.to_vf++;
	MTEST_ASSERT_EQ(expect_counts(&c), 0);
	return vsw_stop(false);
}

int
main(int argc, char **argv)
{
	static const struct mtest_case cases[] = {
		{ "vswitch_interfaces", test_interfaces },
		{ "vswitch_existing_taps", test_existing_taps },
		{ "vswitch_second_port_loops", test_second_port_loops },
		{ "vswitch_first_of_flow", test_first_of_flow },
		{ "vswitch_bcast_mcast_other", test_bcast_mcast_other },
		{ "vswitch_tx_both", test_tx_both },
		{ "vswitch_remove_readd", test_remove_readd },
		{ "vswitch_reset", test_reset },
		{ "vswitch_schedule", test_schedule },
		{ "vswitch_rx_restart", test_rx_restart },
		{ "vswitch_flow_table_full", test_flow_table_full },
		{ "vswitch_step_holds", test_step_holds },
		{ "vswitch_first_of_flow_step", test_first_of_flow_step },
		{ "vswitch_tx_both_step", test_tx_both_step },
		{ "vswitch_remove_readd_step", test_remove_readd_step },
		{ "vswitch_reset_step", test_reset_step },
		{ "vswitch_rx_restart_step", test_rx_restart_step },
	};
	static const char *const quiet[] = {
		"/proc/sys/net/ipv6/conf/all/disable_ipv6",
		"/proc/sys/net/ipv6/conf/default/disable_ipv6",
	};
	unsigned int i;

	/* a private network namespace: the taps die with the process */
	if (access("/dev/net/tun", R_OK | W_OK) != 0 || unshare(CLONE_NEWNET) != 0) {
		printf("SKIP: needs /dev/net/tun and a network namespace (root)\n");
		return MTEST_SKIPPED;
	}
	/* no IPv6 chatter (router solicitations, MLD): exact counters */
	for (i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++) {
		int fd = open(quiet[i], O_WRONLY | O_CLOEXEC);

		if (fd >= 0) {
			if (write(fd, "1\n", 2) != 2)
				perror(quiet[i]);
			close(fd);
		}
	}
	if (ev_load_api() != 0)
		return 1;
	T.up_fd = T.syn_fd = -1;
	return mtest_run("emu-verbs-vswitch", cases, sizeof(cases) / sizeof(cases[0]),
			 argc, argv);
}
