/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Suite `driver`: net_mana through the public ethdev API on mana-emu's pair wire.
 */

/*
 * Runs under the emulator CLI (two vPorts wired back to back):
 *   mana-emu --ports 2 --strict -- test-mana-driver <EAL args> -- [case...]
 * The emulator's control API (emu/verbs/mana_emu.h) is looked up at run time
 * in the preloaded libmana-emu.so. Every case starts and ends with both ports
 * stopped and checks that the mbuf pool holds as many mbufs as before.
 * Environment: MANA_TEST_CYCLES (start/stop cycles, default 1000),
 * MANA_TEST_GARBAGE_CQES (RX completions in garbage mode, default 50000).
 */

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_bitops.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_epoll.h>
#include <rte_errno.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "emu_bind.h"
#include "mana_rss.h"
#include "mtest.h"
#include "mtest_eth.h"

#define PCI_ADDR	"7870:00:00.0"
#define NB_MBUF		16383
#define NB_DESC		256
#define MAX_FRAME	9100
#define MAX_RX		4096
#define POLL_MS		3000

/* ---------------------------------------------------------------- emulator */

static bool step_mode;

static void
emu_step_mode(bool on)
{
	emu.set_mode(on ? MANA_EMU_MODE_STEP : MANA_EMU_MODE_THREAD);
	step_mode = on;
}

/* Let the device run a little: step it in step mode, yield otherwise. */
static void
emu_poll(void)
{
	if (step_mode)
		emu.step();
	else
		rte_delay_us_sleep(20);
}

/* Counter "port<N>.<name>" of the emulated function, 0 if unknown. */
static uint64_t
emu_counter(unsigned int port, const char *name)
{
	char full[64];
	uint64_t v = 0;

	snprintf(full, sizeof(full), "port%u.%s", port, name);
	if (emu.counter(0, full, &v) != 0)
		return 0;
	return v;
}

static void
emu_capture_drain(void)
{
	static uint8_t buf[MAX_FRAME];
	unsigned int p;

	for (p = 0; p < 2; p++)
		while (emu.capture_read(0, p, buf, sizeof(buf)) >= 0)
			;
}

/* ------------------------------------------------------------------ ports */

static struct rte_mempool *pool;
static uint16_t port_a, port_b;		/* vPort 0 (port1) and vPort 1 (port2) */
static struct rte_ether_addr mac_a, mac_b;
static struct rte_eth_dev_info info_a;

struct port_cfg {
	uint16_t nb_rxq;
	uint16_t nb_txq;
	uint64_t rx_offloads;
	uint64_t tx_offloads;
	uint32_t mtu;		/* 0: leave default */
	const uint8_t *rss_key;	/* NULL: driver default */
	uint32_t intr_rxq:1;	/* RX queue interrupts */
	uint32_t intr_rmv:1;	/* removal event */
	uint16_t nb_rx_desc;	/* 0: NB_DESC within the device's limits */
};

static const struct port_cfg cfg_default = { .nb_rxq = 1, .nb_txq = 1 };

static uint16_t
desc_count(const struct rte_eth_desc_lim *lim)
{
	uint16_t n = NB_DESC;

	if (lim->nb_max != 0 && n > lim->nb_max)
		n = lim->nb_max;
	if (n < lim->nb_min)
		n = lim->nb_min;
	return n;
}

/* Configure, set up and start @p port. 0 or a negative errno value. */
static int
port_start(uint16_t port, const struct port_cfg *c)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	struct rte_eth_rxconf rxc;
	struct rte_eth_txconf txc;
	uint16_t q;
	int ret;

	ret = rte_eth_dev_info_get(port, &info);
	if (ret != 0)
		return ret;
	memset(&conf, 0, sizeof(conf));
	if (c->nb_rxq > 1 || c->rss_key != NULL) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads &
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
		conf.rx_adv_conf.rss_conf.rss_key = (uint8_t *)(uintptr_t)c->rss_key;
		conf.rx_adv_conf.rss_conf.rss_key_len = c->rss_key ? MANA_HASH_KEY_SIZE : 0;
	}
	conf.rxmode.offloads = c->rx_offloads;
	conf.txmode.offloads = c->tx_offloads;
	if (c->mtu)
		conf.rxmode.mtu = c->mtu;
	conf.intr_conf.rxq = c->intr_rxq;
	conf.intr_conf.rmv = c->intr_rmv;
	ret = rte_eth_dev_configure(port, c->nb_rxq, c->nb_txq, &conf);
	if (ret != 0) {
		fprintf(stderr, "  configure port %u: %s\n", port, strerror(-ret));
		return ret;
	}
	rxc = info.default_rxconf;
	rxc.offloads = c->rx_offloads;
	txc = info.default_txconf;
	txc.offloads = c->tx_offloads;
	for (q = 0; q < c->nb_rxq; q++) {
		uint16_t nd = c->nb_rx_desc ? c->nb_rx_desc : desc_count(&info.rx_desc_lim);

		ret = rte_eth_rx_queue_setup(port, q, nd, rte_eth_dev_socket_id(port), &rxc,
					     pool);
		if (ret != 0) {
			fprintf(stderr, "  rxq %u setup (%u descriptors): %s\n", q, nd,
				strerror(-ret));
			return ret;
		}
	}
	for (q = 0; q < c->nb_txq; q++) {
		ret = rte_eth_tx_queue_setup(port, q, desc_count(&info.tx_desc_lim),
					     rte_eth_dev_socket_id(port), &txc);
		if (ret != 0) {
			fprintf(stderr, "  txq %u setup: %s\n", q, strerror(-ret));
			return ret;
		}
	}
	ret = rte_eth_dev_start(port);
	if (ret != 0)
		fprintf(stderr, "  start port %u: %s\n", port, strerror(-ret));
	return ret;
}

static int
ports_start(const struct port_cfg *ca, const struct port_cfg *cb)
{
	int ret = port_start(port_a, ca);

	if (ret == 0)
		ret = port_start(port_b, cb);
	return ret;
}

static void
ports_stop(void)
{
	rte_eth_dev_stop(port_a);
	rte_eth_dev_stop(port_b);
}

/* Case prologue / epilogue: mbufs in use before, and the same number after. */
#define CASE_BEGIN() \
	unsigned int base_in_use__ = (ports_stop(), rte_mempool_in_use_count(pool)); \
	emu_capture_drain()

#define CASE_END() do { \
	ports_stop(); \
	MTEST_ASSERT(rte_mempool_in_use_count(pool) == base_in_use__, \
		     "mbufs leaked: %u in use, %u before the case", \
		     rte_mempool_in_use_count(pool), base_in_use__); \
	MTEST_ASSERT(emu.violation_count() == 0, "emulator violations: %s", \
		     violations()); \
	return MTEST_SUCCESS; \
} while (0)

/* On failure inside a case: stop ports so the next case starts clean. */
#define CHECK(cond, fmt, ...) do { \
	if (!(cond)) { \
		ports_stop(); \
		MTEST_FAIL("'%s' failed: " fmt, #cond, ##__VA_ARGS__); \
	} \
} while (0)

static const char *
violations(void)
{
	static char buf[4096];

	buf[0] = '\0';
	emu.violations_text(buf, sizeof(buf));
	return buf;
}

/* ----------------------------------------------------------------- frames */

struct flow {
	int ipv6;
	int proto;		/* IPPROTO_UDP or IPPROTO_TCP */
	uint32_t sip4, dip4;	/* host order */
	uint8_t sip6[16], dip6[16];
	uint16_t sport, dport;
	uint16_t vlan;		/* in-band tag TCI, 0: none */
};

static void
flow_default(struct flow *f, int ipv6, int proto)
{
	memset(f, 0, sizeof(*f));
	f->ipv6 = ipv6;
	f->proto = proto;
	f->sip4 = RTE_IPV4(10, 0, 0, 1);
	f->dip4 = RTE_IPV4(10, 0, 0, 2);
	f->sip6[0] = 0xfd;
	f->sip6[15] = 1;
	f->dip6[0] = 0xfd;
	f->dip6[15] = 2;
	f->sport = 1024;
	f->dport = 5001;
}

static uint8_t
pattern(uint32_t seed, uint32_t i)
{
	return (uint8_t)(seed * 131u + i * 7u + (i >> 8));
}

/*
 * Build a complete, checksummed frame of @p len bytes (at least the headers)
 * from @p src to @p dst. Returns the header length (L2+L3+L4).
 */
static uint32_t
frame_build(uint8_t *buf, uint32_t len, const struct rte_ether_addr *src,
	    const struct rte_ether_addr *dst, const struct flow *f, uint32_t seed)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)buf;
	uint32_t l2 = sizeof(*eth) + (f->vlan ? 4 : 0);
	uint32_t l3 = f->ipv6 ? sizeof(struct rte_ipv6_hdr) : sizeof(struct rte_ipv4_hdr);
	uint32_t l4 = f->proto == IPPROTO_TCP ? sizeof(struct rte_tcp_hdr) :
		sizeof(struct rte_udp_hdr);
	uint8_t *ip = buf + l2, *l4p = buf + l2 + l3;
	uint32_t i;

	for (i = l2 + l3 + l4; i < len; i++)
		buf[i] = pattern(seed, i);
	rte_ether_addr_copy(dst, &eth->dst_addr);
	rte_ether_addr_copy(src, &eth->src_addr);
	if (f->vlan) {
		struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(eth + 1);

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		vh->vlan_tci = rte_cpu_to_be_16(f->vlan);
		vh->eth_proto = rte_cpu_to_be_16(f->ipv6 ? RTE_ETHER_TYPE_IPV6 :
						 RTE_ETHER_TYPE_IPV4);
	} else {
		eth->ether_type = rte_cpu_to_be_16(f->ipv6 ? RTE_ETHER_TYPE_IPV6 :
						   RTE_ETHER_TYPE_IPV4);
	}
	if (f->proto == IPPROTO_TCP) {
		struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)l4p;

		memset(t, 0, sizeof(*t));
		t->src_port = rte_cpu_to_be_16(f->sport);
		t->dst_port = rte_cpu_to_be_16(f->dport);
		t->sent_seq = rte_cpu_to_be_32(0x10000000u + seed);
		t->recv_ack = rte_cpu_to_be_32(0x20000000u);
		t->data_off = (sizeof(*t) / 4) << 4;
		t->tcp_flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;
		t->rx_win = rte_cpu_to_be_16(65535);
	} else {
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)l4p;

		u->src_port = rte_cpu_to_be_16(f->sport);
		u->dst_port = rte_cpu_to_be_16(f->dport);
		u->dgram_len = rte_cpu_to_be_16(len - l2 - l3);
		u->dgram_cksum = 0;
	}
	if (f->ipv6) {
		struct rte_ipv6_hdr *h = (struct rte_ipv6_hdr *)ip;

		h->vtc_flow = rte_cpu_to_be_32(6u << 28);
		h->payload_len = rte_cpu_to_be_16(len - l2 - l3);
		h->proto = f->proto;
		h->hop_limits = 64;
		memcpy(&h->src_addr, f->sip6, 16);
		memcpy(&h->dst_addr, f->dip6, 16);
		if (f->proto == IPPROTO_TCP)
			((struct rte_tcp_hdr *)l4p)->cksum = 0,
			((struct rte_tcp_hdr *)l4p)->cksum = rte_ipv6_udptcp_cksum(h, l4p);
		else
			((struct rte_udp_hdr *)l4p)->dgram_cksum = rte_ipv6_udptcp_cksum(h, l4p);
	} else {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;

		memset(h, 0, sizeof(*h));
		h->version_ihl = RTE_IPV4_VHL_DEF;
		h->total_length = rte_cpu_to_be_16(len - l2);
		h->packet_id = rte_cpu_to_be_16((uint16_t)(0x1000 + seed));
		h->time_to_live = 64;
		h->next_proto_id = f->proto;
		h->src_addr = rte_cpu_to_be_32(f->sip4);
		h->dst_addr = rte_cpu_to_be_32(f->dip4);
		h->hdr_checksum = rte_ipv4_cksum(h);
		if (f->proto == IPPROTO_TCP)
			((struct rte_tcp_hdr *)l4p)->cksum = rte_ipv4_udptcp_cksum(h, l4p);
		else
			((struct rte_udp_hdr *)l4p)->dgram_cksum = rte_ipv4_udptcp_cksum(h, l4p);
	}
	return l2 + l3 + l4;
}

/*
 * Make an mbuf chain holding @p len bytes of @p data, split as @p seg
 * (nseg lengths; the last segment takes the remainder). NULL on failure.
 */
static struct rte_mbuf *
mbuf_make(const uint8_t *data, uint32_t len, const uint16_t *seg, unsigned int nseg)
{
	struct rte_mbuf *head = NULL, *last = NULL;
	uint32_t off = 0;
	unsigned int i;

	for (i = 0; off < len || i == 0; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		uint32_t n = len - off;

		if (m == NULL)
			goto fail;
		if (seg != NULL && i + 1 < nseg && seg[i] < n)
			n = seg[i];
		if (n > rte_pktmbuf_tailroom(m))
			n = rte_pktmbuf_tailroom(m);
		memcpy(rte_pktmbuf_mtod(m, uint8_t *), data + off, n);
		m->data_len = n;
		off += n;
		if (head == NULL) {
			head = m;
		} else {
			last->next = m;
			head->nb_segs++;
		}
		head->pkt_len = off;
		last = m;
	}
	return head;
fail:
	rte_pktmbuf_free(head);
	return NULL;
}

/* Copy a received packet out; returns its length or 0 if it exceeds @p cap. */
static uint32_t
mbuf_flat(const struct rte_mbuf *m, uint8_t *out, uint32_t cap)
{
	const void *p;

	if (m->pkt_len > cap)
		return 0;
	p = rte_pktmbuf_read(m, 0, m->pkt_len, out);
	if (p == NULL)
		return 0;
	if (p != out)
		memcpy(out, p, m->pkt_len);
	return m->pkt_len;
}

/* ------------------------------------------------------------ exchange */

struct rx_set {
	struct rte_mbuf *m[MAX_RX];
	uint16_t queue[MAX_RX];
	unsigned int n;
};

static void
rx_set_free(struct rx_set *s)
{
	unsigned int i;

	for (i = 0; i < s->n; i++)
		rte_pktmbuf_free(s->m[i]);
	s->n = 0;
}

/* Poll every RX queue of @p port once into @p s. Returns packets taken. */
static unsigned int
rx_poll(uint16_t port, uint16_t nb_rxq, struct rx_set *s)
{
	unsigned int got = 0;
	uint16_t q, i, n;

	for (q = 0; q < nb_rxq; q++) {
		struct rte_mbuf *b[32];

		n = rte_eth_rx_burst(port, q, b, RTE_DIM(b));
		for (i = 0; i < n; i++) {
			if (s->n < MAX_RX) {
				s->queue[s->n] = q;
				s->m[s->n++] = b[i];
			} else {
				rte_pktmbuf_free(b[i]);
			}
		}
		got += n;
	}
	return got;
}

/*
 * Transmit all of @p pkts on @p port/@p txq (retrying while the driver
 * returns a prefix); the caller frees what was not accepted. Returns the
 * number accepted.
 */
static unsigned int
tx_all(uint16_t port, uint16_t txq, struct rte_mbuf **pkts, unsigned int n)
{
	uint64_t deadline = rte_get_timer_cycles() + rte_get_timer_hz() * POLL_MS / 1000;
	unsigned int sent = 0;

	while (sent < n && rte_get_timer_cycles() < deadline) {
		sent += rte_eth_tx_burst(port, txq, pkts + sent, n - sent);
		if (sent < n)
			emu_poll();
	}
	return sent;
}

/* Receive until @p want packets (or the time-out), then 30 ms more for extras. */
static unsigned int
rx_wait(uint16_t port, uint16_t nb_rxq, struct rx_set *s, unsigned int want)
{
	uint64_t hz = rte_get_timer_hz();
	uint64_t deadline = rte_get_timer_cycles() + hz * POLL_MS / 1000;

	while (s->n < want && rte_get_timer_cycles() < deadline) {
		if (rx_poll(port, nb_rxq, s) == 0)
			emu_poll();
	}
	deadline = rte_get_timer_cycles() + hz * 30 / 1000;
	while (rte_get_timer_cycles() < deadline) {
		rx_poll(port, nb_rxq, s);
		emu_poll();
	}
	return s->n;
}

/* Print the non-zero xstats of @p port (failure diagnostics). */
static void
xstats_dump(uint16_t port)
{
	struct rte_eth_xstat_name *names;
	struct rte_eth_xstat *xs;
	int n = rte_eth_xstats_get_names(port, NULL, 0), i;

	if (n <= 0)
		return;
	names = calloc(n, sizeof(*names));
	xs = calloc(n, sizeof(*xs));
	if (names && xs && rte_eth_xstats_get_names(port, names, n) == n &&
	    rte_eth_xstats_get(port, xs, n) == n) {
		fprintf(stderr, "  non-zero xstats of port %u:", port);
		for (i = 0; i < n; i++)
			if (xs[i].value != 0)
				fprintf(stderr, " %s=%" PRIu64, names[xs[i].id].name, xs[i].value);
		fprintf(stderr, "\n");
	}
	free(names);
	free(xs);
}

/* Send one packet A -> B and expect exactly it back, byte for byte. */
static int
exchange_one(struct rte_mbuf *m, const uint8_t *want, uint32_t want_len,
	     uint16_t nb_rxq, struct rx_set *rx)
{
	static uint8_t got[MAX_FRAME];
	uint32_t len;

	if (tx_all(port_a, 0, &m, 1) != 1) {
		rte_pktmbuf_free(m);
		MTEST_FAIL("tx_burst did not take the packet (len %u)", want_len);
	}
	rx_wait(port_b, nb_rxq, rx, 1);
	if (rx->n != 1)
		xstats_dump(port_b);
	MTEST_ASSERT(rx->n == 1, "received %u packets for one %u-byte frame; device port 1: "
		     "wire %" PRIu64 " delivered %" PRIu64 " no-WQE drops %" PRIu64
		     " filter drops %" PRIu64 " MTU drops %" PRIu64, rx->n, want_len,
		     emu_counter(1, "rx_wire_frames"), emu_counter(1, "rx_frames"),
		     emu_counter(1, "rx_discards_nowqe"), emu_counter(1, "rx_drop_filter"),
		     emu_counter(1, "rx_drop_mtu"));
	len = mbuf_flat(rx->m[0], got, sizeof(got));
	MTEST_ASSERT(len == want_len, "received %u bytes, sent %u", rx->m[0]->pkt_len, want_len);
	MTEST_ASSERT_MEM_EQ(got, want, want_len);
	return MTEST_SUCCESS;
}

/* ------------------------------------------------------------------ cases */

static int
test_lifecycle(void)
{
	CASE_BEGIN();
	char name[RTE_ETH_NAME_MAX_LEN];
	uint8_t emac[6];
	struct rte_eth_dev_info *di = &info_a;
	struct port_cfg c = cfg_default;
	struct rx_set *rx = calloc(1, sizeof(*rx));
	static uint8_t fr[2048];
	struct flow f;
	uint16_t q;
	unsigned int i, total;

	MTEST_ASSERT(rx != NULL, "calloc");
	MTEST_ASSERT_EQ(rte_eth_dev_count_avail(), 2);
	MTEST_ASSERT_EQ(rte_eth_dev_get_name_by_port(port_a, name), 0);
	MTEST_ASSERT(strcmp(name, PCI_ADDR "_port1") == 0, "port name %s", name);
	MTEST_ASSERT_EQ(rte_eth_dev_get_name_by_port(port_b, name), 0);
	MTEST_ASSERT(strcmp(name, PCI_ADDR "_port2") == 0, "port name %s", name);
	MTEST_ASSERT(rte_is_valid_assigned_ether_addr(&mac_a), "port1 MAC invalid");
	MTEST_ASSERT(rte_is_valid_assigned_ether_addr(&mac_b), "port2 MAC invalid");
	MTEST_ASSERT(!rte_is_same_ether_addr(&mac_a, &mac_b), "MACs equal");
	MTEST_ASSERT_EQ(emu.mac(0, 0, emac), 0);
	MTEST_ASSERT_MEM_EQ(mac_a.addr_bytes, emac, 6);
	MTEST_ASSERT_EQ(emu.mac(0, 1, emac), 0);
	MTEST_ASSERT_MEM_EQ(mac_b.addr_bytes, emac, 6);

	/* limits the device reports */
	MTEST_ASSERT(di->max_rx_queues >= 8 && di->max_tx_queues >= 8,
		     "max queues rx %u tx %u", di->max_rx_queues, di->max_tx_queues);
	MTEST_ASSERT(di->rx_desc_lim.nb_min > 0 &&
		     di->rx_desc_lim.nb_max >= di->rx_desc_lim.nb_min &&
		     rte_is_power_of_2(di->rx_desc_lim.nb_align),
		     "rx desc lim %u..%u align %u", di->rx_desc_lim.nb_min,
		     di->rx_desc_lim.nb_max, di->rx_desc_lim.nb_align);
	MTEST_ASSERT(di->tx_desc_lim.nb_min > 0 &&
		     di->tx_desc_lim.nb_max >= di->tx_desc_lim.nb_min &&
		     rte_is_power_of_2(di->tx_desc_lim.nb_align),
		     "tx desc lim %u..%u align %u", di->tx_desc_lim.nb_min,
		     di->tx_desc_lim.nb_max, di->tx_desc_lim.nb_align);
	MTEST_ASSERT(di->rx_desc_lim.nb_max <= 2048 && di->tx_desc_lim.nb_max <= 2048,
		     "descriptor maxima beyond the device (max_qp_wr): rx %u tx %u",
		     di->rx_desc_lim.nb_max, di->tx_desc_lim.nb_max);
	MTEST_ASSERT_EQ(di->min_mtu, 68);
	MTEST_ASSERT_EQ(di->max_mtu, 9000);
	MTEST_ASSERT_EQ(di->reta_size, MANA_INDIRECT_TABLE_SIZE);
	MTEST_ASSERT_EQ(di->hash_key_size, MANA_HASH_KEY_SIZE);
	MTEST_ASSERT(di->tx_desc_lim.nb_seg_max >= 2 && di->tx_desc_lim.nb_seg_max <= 30,
		     "tx nb_seg_max %u", di->tx_desc_lim.nb_seg_max);
	MTEST_ASSERT(di->tx_desc_lim.nb_mtu_seg_max >= 2 &&
		     di->tx_desc_lim.nb_mtu_seg_max <= 30,
		     "tx nb_mtu_seg_max %u", di->tx_desc_lim.nb_mtu_seg_max);

	/* 1/1, start, one packet, stop; then 3 RX / 5 TX queues */
	MTEST_ASSERT_EQ(ports_start(&c, &c), 0);
	flow_default(&f, 0, IPPROTO_UDP);
	frame_build(fr, 100, &mac_a, &mac_b, &f, 1);
	if (exchange_one(mbuf_make(fr, 100, NULL, 0), fr, 100, 1, rx) != MTEST_SUCCESS) {
		rx_set_free(rx);
		ports_stop();
		free(rx);
		return MTEST_FAILED;
	}
	rx_set_free(rx);
	ports_stop();
	MTEST_ASSERT(rte_mempool_in_use_count(pool) == base_in_use__,
		     "%u mbufs in use after stop, %u before", rte_mempool_in_use_count(pool),
		     base_in_use__);

	c.nb_rxq = 3;
	c.nb_txq = 5;
	MTEST_ASSERT_EQ(ports_start(&c, &c), 0);
	total = 0;
	for (q = 0; q < 5; q++) {
		for (i = 0; i < 10; i++) {
			struct rte_mbuf *m;

			f.sport = (uint16_t)(1000 + q * 10 + i);
			frame_build(fr, 80, &mac_a, &mac_b, &f, q * 10 + i);
			m = mbuf_make(fr, 80, NULL, 0);
			CHECK(m != NULL, "mbuf alloc");
			if (tx_all(port_a, q, &m, 1) != 1) {
				rte_pktmbuf_free(m);
				CHECK(0, "txq %u did not take a packet", q);
			}
			total++;
		}
	}
	rx_wait(port_b, 3, rx, total);
	i = rx->n;
	rx_set_free(rx);
	free(rx);
	CHECK(i == total, "3 RX / 5 TX queues: received %u of %u", i, total);
	CASE_END();
}

/* Frame sizes 60..1514 and segment layouts, byte-exact over the pair wire. */
static int
test_txrx(void)
{
	CASE_BEGIN();
	static const uint32_t sizes[] = { 60, 61, 63, 64, 65, 127, 128, 129, 255, 256,
					  511, 512, 513, 1000, 1023, 1024, 1500, 1513, 1514 };
	struct rx_set *rx = calloc(1, sizeof(*rx));
	static uint8_t fr[2048];
	struct port_cfg c = cfg_default;
	unsigned int maxseg = info_a.tx_desc_lim.nb_mtu_seg_max;
	struct flow f;
	unsigned int i, l;
	int rc;

	MTEST_ASSERT(rx != NULL, "calloc");
	if (maxseg == 0 || maxseg > 30)
		maxseg = 30;
	c.tx_offloads = RTE_ETH_TX_OFFLOAD_MULTI_SEGS & info_a.tx_offload_capa;
	MTEST_ASSERT(c.tx_offloads != 0, "MULTI_SEGS not offered");
	MTEST_ASSERT_EQ(ports_start(&c, &c), 0);
	flow_default(&f, 0, IPPROTO_UDP);
	for (l = 0; l < 5; l++) {
		for (i = 0; i < RTE_DIM(sizes); i++) {
			uint16_t seg[30];
			unsigned int nseg = 0, k;
			uint32_t len = sizes[i];
			struct rte_mbuf *m;

			switch (l) {
			case 0: /* one segment */
				break;
			case 1: /* headers apart from the payload */
				seg[nseg++] = 14;
				break;
			case 2: /* 1-byte segments first */
				seg[nseg++] = 1;
				seg[nseg++] = 1;
				seg[nseg++] = 3;
				break;
			case 3: /* as many segments as allowed */
				for (k = 0; k + 1 < maxseg && (k + 1) * (len / maxseg) < len; k++)
					seg[nseg++] = (uint16_t)RTE_MAX(len / maxseg, 1u);
				break;
			case 4: /* tiny segments at the end: big first */
				seg[nseg++] = (uint16_t)(len - 4);
				seg[nseg++] = 2;
				seg[nseg++] = 1;
				break;
			}
			seg[nseg++] = 0; /* remainder */
			frame_build(fr, len, &mac_a, &mac_b, &f, i + 100 * l);
			m = mbuf_make(fr, len, seg, nseg);
			CHECK(m != NULL, "mbuf alloc");
			CHECK(m->nb_segs <= maxseg, "layout %u made %u segments", l, m->nb_segs);
			rc = exchange_one(m, fr, len, 1, rx);
			rx_set_free(rx);
			if (rc != MTEST_SUCCESS) {
				fprintf(stderr, "  size %u layout %u (%u segments)\n", len, l, nseg);
				ports_stop();
				free(rx);
				return MTEST_FAILED;
			}
		}
	}
	/* and back B -> A, a burst of 32 */
	{
		struct rte_mbuf *b[32];
		static uint8_t got[2048];

		for (i = 0; i < 32; i++) {
			frame_build(fr, 60 + i * 40, &mac_b, &mac_a, &f, 500 + i);
			b[i] = mbuf_make(fr, 60 + i * 40, NULL, 0);
			CHECK(b[i] != NULL, "alloc");
		}
		l = tx_all(port_b, 0, b, 32);
		for (i = l; i < 32; i++)
			rte_pktmbuf_free(b[i]);
		CHECK(l == 32, "B took %u of 32", l);
		rx_wait(port_a, 1, rx, 32);
		rc = rx->n == 32;
		for (i = 0; rc && i < 32; i++) {
			frame_build(fr, 60 + i * 40, &mac_b, &mac_a, &f, 500 + i);
			rc = mbuf_flat(rx->m[i], got, sizeof(got)) == 60 + i * 40 &&
				memcmp(got, fr, 60 + i * 40) == 0;
		}
		l = rx->n;
		rx_set_free(rx);
		free(rx);
		CHECK(rc, "B -> A burst: %u received, or content/order differs", l);
	}
	CASE_END();
}

/* MTU 9000 frames with 2 KB mbufs: TX multi-segment, RX scatter. */
static int
test_jumbo(void)
{
	CASE_BEGIN();
	static const uint32_t sizes[] = { 1515, 2048, 2049, 4000, 8192, 9000, 9014 };
	static uint8_t fr[MAX_FRAME];
	struct rx_set *rx = calloc(1, sizeof(*rx));
	struct port_cfg c = cfg_default;
	struct flow f;
	unsigned int i;
	uint16_t mtu = 0;
	int rc;

	MTEST_ASSERT(rx != NULL, "calloc");
	MTEST_ASSERT(info_a.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER, "RX scatter not offered");
	c.rx_offloads = RTE_ETH_RX_OFFLOAD_SCATTER;
	c.tx_offloads = RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	c.mtu = 9000;
	MTEST_ASSERT_EQ(ports_start(&c, &c), 0);
	CHECK(rte_eth_dev_get_mtu(port_a, &mtu) == 0 && mtu == 9000, "mtu %u", mtu);
	flow_default(&f, 0, IPPROTO_UDP);
	for (i = 0; i < RTE_DIM(sizes); i++) {
		struct rte_mbuf *m;

		frame_build(fr, sizes[i], &mac_a, &mac_b, &f, i);
		m = mbuf_make(fr, sizes[i], NULL, 0);
		CHECK(m != NULL, "alloc");
		rc = exchange_one(m, fr, sizes[i], 1, rx);
		if (rc == MTEST_SUCCESS && sizes[i] > 2048)
			rc = rx->m[0]->nb_segs > 1 ? MTEST_SUCCESS : MTEST_FAILED;
		rx_set_free(rx);
		if (rc != MTEST_SUCCESS) {
			ports_stop();
			free(rx);
			MTEST_FAIL("jumbo frame of %u bytes", sizes[i]);
		}
	}
	free(rx);
	/* back to the default MTU for the following cases */
	ports_stop();
	CHECK(rte_eth_dev_set_mtu(port_a, 1500) == 0, "set mtu 1500 A");
	CHECK(rte_eth_dev_set_mtu(port_b, 1500) == 0, "set mtu 1500 B");
	CASE_END();
}

/* Software reference of what the checksum offloads must produce. */
static int
check_l3l4_cksums(const uint8_t *fr, uint32_t len, int ipv6, int proto)
{
	uint32_t l2 = 14;
	uint8_t l4copy[MAX_FRAME];

	if (ipv6) {
		const struct rte_ipv6_hdr *h = (const void *)(fr + l2);

		memcpy(l4copy, fr + l2 + sizeof(*h), len - l2 - sizeof(*h));
		return rte_ipv6_udptcp_cksum_verify(h, l4copy) == 0 ? 0 : -1;
	} else {
		const struct rte_ipv4_hdr *h = (const void *)(fr + l2);

		(void)proto;
		if (rte_ipv4_cksum(h) != 0)
			return -2;
		memcpy(l4copy, fr + l2 + sizeof(*h), len - l2 - sizeof(*h));
		return rte_ipv4_udptcp_cksum_verify(h, l4copy) == 0 ? 0 : -1;
	}
}

/* TX checksum offloads: IPv4 header, TCP/UDP over IPv4/IPv6, 1 and 3 segments. */
static int
test_cksum_tx(void)
{
	CASE_BEGIN();
	static uint8_t fr[2048], sent[2048], got[2048];
	struct rx_set *rx = calloc(1, sizeof(*rx));
	struct port_cfg c = cfg_default;
	uint64_t need = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM |
		RTE_ETH_TX_OFFLOAD_UDP_CKSUM | RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	unsigned int v, i;

	MTEST_ASSERT(rx != NULL, "calloc");
	MTEST_ASSERT((info_a.tx_offload_capa & need) == need,
		     "TX checksum offloads not all offered: capa %#" PRIx64, info_a.tx_offload_capa);
	c.tx_offloads = need;
	MTEST_ASSERT_EQ(ports_start(&c, &cfg_default), 0);
	for (v = 0; v < 8; v++) {
		int ipv6 = v & 1, proto = (v & 2) ? IPPROTO_TCP : IPPROTO_UDP;
		int segs = (v & 4) ? 3 : 1;
		/* headers together in the first segment (DPDK's helpers for the
		 * pseudo-header, e.g. rte_net_intel_cksum_prepare, need that) */
		uint16_t layout[3] = { 0, 30, 0 };
		uint32_t len = 200 + v * 97, hl;
		struct rte_mbuf *m;
		struct flow f;
		uint8_t *l4;
		void *iph;
		uint16_t *ck;
		int ret;

		flow_default(&f, ipv6, proto);
		hl = frame_build(fr, len, &mac_a, &mac_b, &f, v);
		layout[0] = (uint16_t)hl;
		/* the reference (software checksums) is fr; send a copy with
		 * the IPv4 checksum zeroed and the pseudo-header sum in L4 */
		memcpy(sent, fr, len);
		iph = sent + 14;
		l4 = sent + 14 + (ipv6 ? 40 : 20);
		ck = proto == IPPROTO_TCP ? &((struct rte_tcp_hdr *)l4)->cksum :
			&((struct rte_udp_hdr *)l4)->dgram_cksum;
		m = NULL;
		{
			uint64_t fl = (ipv6 ? RTE_MBUF_F_TX_IPV6 :
				       RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM) |
				(proto == IPPROTO_TCP ? RTE_MBUF_F_TX_TCP_CKSUM :
				 RTE_MBUF_F_TX_UDP_CKSUM);

			if (!ipv6)
				((struct rte_ipv4_hdr *)iph)->hdr_checksum = 0;
			*ck = ipv6 ? rte_ipv6_phdr_cksum(iph, fl) : rte_ipv4_phdr_cksum(iph, fl);
			m = mbuf_make(sent, len, segs > 1 ? layout : NULL, segs);
			CHECK(m != NULL, "alloc");
			m->ol_flags = fl;
			m->l2_len = 14;
			m->l3_len = ipv6 ? 40 : 20;
			m->l4_len = hl - 14 - m->l3_len;
		}
		rte_errno = 0;
		ret = rte_eth_tx_prepare(port_a, 0, &m, 1);
		if (ret != 1) {
			uint64_t ol = m->ol_flags;

			rte_pktmbuf_free(m);
			CHECK(0, "variant %u: tx_prepare rejected a valid packet: %s (ol_flags %#"
			      PRIx64 ")", v, rte_strerror(rte_errno), ol);
		}
		if (tx_all(port_a, 0, &m, 1) != 1) {
			rte_pktmbuf_free(m);
			CHECK(0, "tx_burst did not take the packet");
		}
		rx_wait(port_b, 1, rx, 1);
		i = rx->n == 1 ? mbuf_flat(rx->m[0], got, sizeof(got)) : 0;
		rx_set_free(rx);
		CHECK(i == len, "variant %u (%s %s, %d segs): received %u bytes of %u", v,
		      ipv6 ? "IPv6" : "IPv4", proto == IPPROTO_TCP ? "TCP" : "UDP", segs, i, len);
		if (memcmp(got, fr, len) != 0) {
			mtest_hexdump("got", got, hl);
			mtest_hexdump("expected", fr, hl);
			ports_stop();
			free(rx);
			MTEST_FAIL("variant %u (%s %s, %d segs): checksums differ from software "
				   "(verify %d)", v, ipv6 ? "IPv6" : "IPv4",
				   proto == IPPROTO_TCP ? "TCP" : "UDP", segs,
				   check_l3l4_cksums(got, len, ipv6, proto));
		}
	}
	free(rx);
	CASE_END();
}

/* RX checksum flags: good and deliberately bad IPv4 / TCP / UDP checksums. */
static int
test_cksum_rx(void)
{
	CASE_BEGIN();
	static uint8_t fr[2048];
	struct rx_set *rx = calloc(1, sizeof(*rx));
	struct port_cfg c = cfg_default;
	uint64_t need = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM |
		RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
	static const struct {
		int ipv6, proto, bad_ip, bad_l4;
	} v[] = {
		{ 0, IPPROTO_UDP, 0, 0 }, { 0, IPPROTO_TCP, 0, 0 },
		{ 0, IPPROTO_UDP, 1, 0 }, { 0, IPPROTO_TCP, 0, 1 },
		{ 0, IPPROTO_UDP, 0, 1 }, { 1, IPPROTO_TCP, 0, 0 },
		{ 1, IPPROTO_UDP, 0, 0 }, { 1, IPPROTO_TCP, 0, 1 },
		{ 1, IPPROTO_UDP, 0, 1 },
	};
	unsigned int i;

	MTEST_ASSERT(rx != NULL, "calloc");
	MTEST_ASSERT((info_a.rx_offload_capa & need) == need, "RX checksum offloads not offered");
	c.rx_offloads = need;
	MTEST_ASSERT_EQ(ports_start(&cfg_default, &c), 0);
	for (i = 0; i < RTE_DIM(v); i++) {
		struct rte_mbuf *m;
		struct flow f;
		uint64_t fl, want_ip, want_l4;
		uint32_t len = 300;

		flow_default(&f, v[i].ipv6, v[i].proto);
		frame_build(fr, len, &mac_a, &mac_b, &f, i);
		if (v[i].bad_ip)
			fr[14 + 10] ^= 0x5a;
		if (v[i].bad_l4)
			fr[len - 1] ^= 0x01; /* payload no longer matches */
		m = mbuf_make(fr, len, NULL, 0);
		CHECK(m != NULL, "alloc");
		if (tx_all(port_a, 0, &m, 1) != 1) {
			rte_pktmbuf_free(m);
			CHECK(0, "tx");
		}
		rx_wait(port_b, 1, rx, 1);
		CHECK(rx->n == 1, "variant %u: %u received", i, rx->n);
		fl = rx->m[0]->ol_flags;
		rx_set_free(rx);
		want_ip = v[i].ipv6 ? RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN :
			v[i].bad_ip ? RTE_MBUF_F_RX_IP_CKSUM_BAD : RTE_MBUF_F_RX_IP_CKSUM_GOOD;
		want_l4 = v[i].bad_l4 ? RTE_MBUF_F_RX_L4_CKSUM_BAD : RTE_MBUF_F_RX_L4_CKSUM_GOOD;
		if (v[i].bad_ip)
			want_l4 = fl & RTE_MBUF_F_RX_L4_CKSUM_MASK; /* not judged */
		CHECK((fl & RTE_MBUF_F_RX_IP_CKSUM_MASK) == want_ip &&
		      (fl & RTE_MBUF_F_RX_L4_CKSUM_MASK) == want_l4,
		      "variant %u (%s %s bad_ip %d bad_l4 %d): ol_flags %#" PRIx64
		      " ip %#" PRIx64 " (want %#" PRIx64 ") l4 %#" PRIx64 " (want %#" PRIx64 ")",
		      i, v[i].ipv6 ? "IPv6" : "IPv4", v[i].proto == IPPROTO_TCP ? "TCP" : "UDP",
		      v[i].bad_ip, v[i].bad_l4, fl, (uint64_t)(fl & RTE_MBUF_F_RX_IP_CKSUM_MASK),
		      want_ip, (uint64_t)(fl & RTE_MBUF_F_RX_L4_CKSUM_MASK), want_l4);
	}
	free(rx);
	CASE_END();
}

/* TSO over IPv4 and IPv6: every segment's length, seq, IP id, flags, checksums, bytes. */
static int
test_tso(void)
{
	CASE_BEGIN();
	static uint8_t fr[MAX_FRAME], sent[MAX_FRAME], got[2048];
	struct rx_set *rx = calloc(1, sizeof(*rx));
	struct port_cfg c = cfg_default;
	uint64_t need = RTE_ETH_TX_OFFLOAD_TCP_TSO | RTE_ETH_TX_OFFLOAD_IPV4_CKSUM |
		RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	static const struct {
		int ipv6;
		uint32_t payload, mss;
		uint16_t first_seg;	/* bytes in the first mbuf segment; 0 = all */
	} v[] = {
		{ 0, 4000, 1000, 54 }, { 0, 4001, 1000, 0 }, { 0, 2896, 1448, 100 },
		{ 1, 4000, 1000, 74 }, { 1, 3000, 1220, 0 }, { 0, 8000, 1460, 54 },
	};
	unsigned int i;

	MTEST_ASSERT(rx != NULL, "calloc");
	MTEST_ASSERT((info_a.tx_offload_capa & need) == need, "TSO offloads not offered");
	c.tx_offloads = need;
	MTEST_ASSERT_EQ(ports_start(&c, &cfg_default), 0);
	for (i = 0; i < RTE_DIM(v); i++) {
		uint32_t l3 = v[i].ipv6 ? 40 : 20, hl = 14 + l3 + 20;
		uint32_t len = hl + v[i].payload, nseg, s, off;
		uint16_t layout[8];
		unsigned int nl = 0, k;
		struct rte_mbuf *m;
		struct flow f;
		uint64_t fl;
		uint32_t seq0;
		uint16_t id0 = 0;

		flow_default(&f, v[i].ipv6, IPPROTO_TCP);
		frame_build(fr, len, &mac_a, &mac_b, &f, i);
		memcpy(sent, fr, len);
		fl = RTE_MBUF_F_TX_TCP_SEG | (v[i].ipv6 ? RTE_MBUF_F_TX_IPV6 :
					       RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM);
		/* DPDK's convention: IPv4 checksum 0, pseudo-header sum without length */
		if (v[i].ipv6) {
			struct rte_ipv6_hdr *h = (void *)(sent + 14);
			struct rte_tcp_hdr *t = (void *)(sent + 14 + l3);

			t->cksum = rte_ipv6_phdr_cksum(h, fl);
		} else {
			struct rte_ipv4_hdr *h = (void *)(sent + 14);
			struct rte_tcp_hdr *t = (void *)(sent + 14 + l3);

			h->hdr_checksum = 0;
			t->cksum = rte_ipv4_phdr_cksum(h, fl);
			id0 = rte_be_to_cpu_16(h->packet_id);
		}
		seq0 = rte_be_to_cpu_32(((struct rte_tcp_hdr *)(fr + 14 + l3))->sent_seq);
		if (v[i].first_seg)
			layout[nl++] = v[i].first_seg;
		for (off = v[i].first_seg; nl < 7 && off + 2000 < len; off += 2000)
			layout[nl++] = 2000;
		layout[nl++] = 0;
		m = mbuf_make(sent, len, layout, nl);
		CHECK(m != NULL, "alloc");
		m->ol_flags = fl;
		m->l2_len = 14;
		m->l3_len = l3;
		m->l4_len = 20;
		m->tso_segsz = v[i].mss;
		if (rte_eth_tx_prepare(port_a, 0, &m, 1) != 1) {
			rte_pktmbuf_free(m);
			CHECK(0, "tx_prepare rejected TSO packet %u: %s", i, rte_strerror(rte_errno));
		}
		if (tx_all(port_a, 0, &m, 1) != 1) {
			rte_pktmbuf_free(m);
			CHECK(0, "tx_burst did not take TSO packet %u", i);
		}
		nseg = (v[i].payload + v[i].mss - 1) / v[i].mss;
		rx_wait(port_b, 1, rx, nseg);
		if (rx->n != nseg) {
			k = rx->n;
			rx_set_free(rx);
			CHECK(0, "TSO %u: %u segments received, expected %u", i, k, nseg);
		}
		for (s = 0; s < nseg; s++) {
			uint32_t plen = RTE_MIN(v[i].mss, v[i].payload - s * v[i].mss);
			uint32_t glen = mbuf_flat(rx->m[s], got, sizeof(got));
			const struct rte_tcp_hdr *t = (const void *)(got + 14 + l3);
			uint8_t want_flags = RTE_TCP_ACK_FLAG |
				(s + 1 == nseg ? RTE_TCP_PSH_FLAG : 0);
			const char *why = NULL;

			if (glen != hl + plen)
				why = "segment length";
			else if (memcmp(got, fr, 14) != 0)
				why = "Ethernet header";
			else if (rte_be_to_cpu_32(t->sent_seq) != seq0 + s * v[i].mss)
				why = "TCP sequence number";
			else if (t->tcp_flags != want_flags)
				why = "TCP flags (PSH only on the last segment)";
			else if (memcmp(got + hl, fr + hl + s * v[i].mss, plen) != 0)
				why = "payload bytes";
			else if (check_l3l4_cksums(got, glen, v[i].ipv6, IPPROTO_TCP) != 0)
				why = "checksums";
			else if (v[i].ipv6 &&
				 rte_be_to_cpu_16(((struct rte_ipv6_hdr *)(got + 14))->payload_len) !=
				 20 + plen)
				why = "IPv6 payload length";
			else if (!v[i].ipv6 &&
				 rte_be_to_cpu_16(((struct rte_ipv4_hdr *)(got + 14))->total_length) !=
				 l3 + 20 + plen)
				why = "IPv4 total length";
			else if (!v[i].ipv6 &&
				 rte_be_to_cpu_16(((struct rte_ipv4_hdr *)(got + 14))->packet_id) !=
				 (uint16_t)(id0 + s))
				why = "IPv4 id (expected +1 per segment)";
			if (why != NULL) {
				mtest_hexdump("got headers", got, RTE_MIN(glen, hl));
				rx_set_free(rx);
				ports_stop();
				free(rx);
				MTEST_FAIL("TSO %u (%s payload %u mss %u) segment %u/%u: %s",
					   i, v[i].ipv6 ? "IPv6" : "IPv4", v[i].payload,
					   v[i].mss, s, nseg, why);
			}
		}
		rx_set_free(rx);
	}
	free(rx);
	CASE_END();
}

/* VLAN: TX insertion by the device; RX with and without the strip offload. */
static int
test_vlan(void)
{
	CASE_BEGIN();
	static uint8_t fr[2048], tagged[2048], got[2048];
	struct rx_set *rx = calloc(1, sizeof(*rx));
	struct port_cfg ca = cfg_default, cb = cfg_default;
	uint16_t tci = (3 << 13) | 100;
	unsigned int pass;
	struct flow f;
	uint32_t len = 200, n;

	MTEST_ASSERT(rx != NULL, "calloc");
	MTEST_ASSERT(info_a.tx_offload_capa & RTE_ETH_TX_OFFLOAD_VLAN_INSERT, "VLAN insert not offered");
	MTEST_ASSERT(info_a.rx_offload_capa & RTE_ETH_RX_OFFLOAD_VLAN_STRIP, "VLAN strip not offered");
	ca.tx_offloads = RTE_ETH_TX_OFFLOAD_VLAN_INSERT;
	flow_default(&f, 0, IPPROTO_UDP);
	frame_build(fr, len, &mac_a, &mac_b, &f, 7);
	/* the same frame as it travels tagged (VID 100, PCP as sent) */
	memcpy(tagged, fr, 12);
	tagged[12] = 0x81;
	tagged[13] = 0x00;
	tagged[14] = (uint8_t)(tci >> 8);
	tagged[15] = (uint8_t)tci;
	memcpy(tagged + 16, fr + 12, len - 12);

	for (pass = 0; pass < 4; pass++) {
		int strip = pass & 1, inband = pass >> 1;
		struct rte_mbuf *m;
		uint64_t fl;

		cb.rx_offloads = strip ? RTE_ETH_RX_OFFLOAD_VLAN_STRIP : 0;
		MTEST_ASSERT_EQ(ports_start(&ca, &cb), 0);
		if (inband) {
			/* tag in the data (PCP 0: the device reports only the VID) */
			tagged[14] = 0;
			m = mbuf_make(tagged, len + 4, NULL, 0);
		} else {
			tagged[14] = (uint8_t)(tci >> 8);
			m = mbuf_make(fr, len, NULL, 0);
			if (m) {
				m->ol_flags = RTE_MBUF_F_TX_VLAN;
				m->vlan_tci = tci;
			}
		}
		CHECK(m != NULL, "alloc");
		if (tx_all(port_a, 0, &m, 1) != 1) {
			rte_pktmbuf_free(m);
			CHECK(0, "tx");
		}
		rx_wait(port_b, 1, rx, 1);
		CHECK(rx->n == 1, "pass %u: %u received", pass, rx->n);
		fl = rx->m[0]->ol_flags;
		n = mbuf_flat(rx->m[0], got, sizeof(got));
		if (strip) {
			uint16_t t = rx->m[0]->vlan_tci;

			rx_set_free(rx);
			CHECK((fl & (RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED)) ==
			      (RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED),
			      "pass %u (strip, %s): ol_flags %#" PRIx64, pass,
			      inband ? "in-band tag" : "inserted", fl);
			CHECK((t & 0xfff) == 100, "pass %u: vlan_tci %#x", pass, t);
			CHECK(n == len && memcmp(got, fr, len) == 0,
			      "pass %u: stripped frame differs (%u bytes)", pass, n);
		} else {
			rx_set_free(rx);
			CHECK(!(fl & RTE_MBUF_F_RX_VLAN_STRIPPED),
			      "pass %u: stripped without the offload", pass);
			/* the tag is in the data; the device reports no PCP */
			CHECK(n == len + 4 && got[12] == 0x81 && got[13] == 0x00 &&
			      (((got[14] << 8) | got[15]) & 0xfff) == 100 &&
			      memcmp(got, tagged, 12) == 0 &&
			      memcmp(got + 16, tagged + 16, len - 12) == 0,
			      "pass %u (no strip, %s): frame of %u bytes, tag %02x%02x %02x%02x",
			      pass, inband ? "in-band tag" : "inserted", n, got[12], got[13],
			      got[14], got[15]);
		}
		ports_stop();
	}
	free(rx);
	CASE_END();
}

static const uint8_t ms_key[MANA_HASH_KEY_SIZE] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
	0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
	0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
	0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

/*
 * Send 96 flows (UDP/TCP over IPv4, UDP over IPv6) A -> B and check each
 * lands on reta[hash & 63] with mbuf->hash.rss the Toeplitz value under @p key.
 */
static int
rss_check(uint16_t nq, const uint8_t *key, const uint16_t *reta, struct rx_set *rx,
	  unsigned int *queues_used)
{
	static uint8_t fr[256], got[256];
	unsigned int i, n = 96, used = 0;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m;
		struct flow f;

		flow_default(&f, i >= 64, (i % 3 == 1) ? IPPROTO_TCP : IPPROTO_UDP);
		if (f.ipv6)
			f.proto = IPPROTO_UDP;
		f.sport = (uint16_t)(2000 + i * 37);
		f.dport = (uint16_t)(80 + i);
		f.sip4 += i * 0x01010101u;
		f.sip6[14] = (uint8_t)i;
		frame_build(fr, 120, &mac_a, &mac_b, &f, i);
		m = mbuf_make(fr, 120, NULL, 0);
		MTEST_ASSERT(m != NULL, "alloc");
		if (tx_all(port_a, 0, &m, 1) != 1) {
			rte_pktmbuf_free(m);
			MTEST_FAIL("tx");
		}
	}
	rx_wait(port_b, nq, rx, n);
	MTEST_ASSERT(rx->n == n, "received %u of %u", rx->n, n);
	for (i = 0; i < n; i++) {
		struct mana_rss_fields fl;
		uint32_t len = mbuf_flat(rx->m[i], got, sizeof(got)), h;
		uint16_t q = rx->queue[i];

		MTEST_ASSERT(mana_rss_parse(got, len, &fl) != 0, "packet %u: no hash type", i);
		h = mana_rss_hash(&fl, key);
		MTEST_ASSERT(rx->m[i]->ol_flags & RTE_MBUF_F_RX_RSS_HASH,
			     "packet %u: no RSS hash flag", i);
		MTEST_ASSERT(rx->m[i]->hash.rss == h, "packet %u (type %#x): hash %#x, Toeplitz %#x",
			     i, fl.hash_type, rx->m[i]->hash.rss, h);
		MTEST_ASSERT(q == reta[mana_rss_table_index(h)],
			     "packet %u hash %#x: on queue %u, reta[%u] = %u", i, h, q,
			     mana_rss_table_index(h), reta[mana_rss_table_index(h)]);
		used |= 1u << q;
	}
	*queues_used = (unsigned int)__builtin_popcount(used);
	rx_set_free(rx);
	return MTEST_SUCCESS;
}

static int
reta_get(uint16_t port, uint16_t *reta)
{
	struct rte_eth_rss_reta_entry64 r[MANA_INDIRECT_TABLE_SIZE / RTE_ETH_RETA_GROUP_SIZE];
	unsigned int i;
	int ret;

	memset(r, 0, sizeof(r));
	for (i = 0; i < RTE_DIM(r); i++)
		r[i].mask = UINT64_MAX;
	ret = rte_eth_dev_rss_reta_query(port, r, MANA_INDIRECT_TABLE_SIZE);
	for (i = 0; i < MANA_INDIRECT_TABLE_SIZE; i++)
		reta[i] = r[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE];
	return ret;
}

/* RSS: queue choice and hash value follow the key and table, also after updates. */
static int
test_rss(void)
{
	CASE_BEGIN();
	static const uint8_t key2[MANA_HASH_KEY_SIZE] = {
		0x2c, 0xc6, 0x81, 0xd1, 0x5b, 0xdb, 0xf4, 0xf7, 0xfc, 0xa2,
		0x83, 0x19, 0xdb, 0x1a, 0x3e, 0x94, 0x6b, 0x9e, 0x38, 0xd9,
		0x2c, 0x9c, 0x03, 0xd1, 0xad, 0x99, 0x44, 0xa7, 0xd9, 0x56,
		0x3d, 0x59, 0x06, 0x3c, 0x25, 0xf3, 0xfc, 0x1f, 0xdc, 0x2a,
	};
	struct rx_set *rx = calloc(1, sizeof(*rx));
	struct port_cfg cb = cfg_default;
	struct rte_eth_rss_reta_entry64 r[1];
	struct rte_eth_rss_conf rc;
	uint16_t reta[MANA_INDIRECT_TABLE_SIZE], want[MANA_INDIRECT_TABLE_SIZE];
	uint8_t key_out[64];
	unsigned int i, used;
	int ret;

	MTEST_ASSERT(rx != NULL, "calloc");
	MTEST_ASSERT(info_a.rx_offload_capa & RTE_ETH_RX_OFFLOAD_RSS_HASH, "RSS_HASH not offered");
	cb.nb_rxq = 5;	/* not a power of two */
	cb.rx_offloads = RTE_ETH_RX_OFFLOAD_RSS_HASH;
	cb.rss_key = ms_key;
	MTEST_ASSERT_EQ(ports_start(&cfg_default, &cb), 0);

	CHECK(reta_get(port_b, reta) == 0, "reta_query");
	for (i = 0; i < MANA_INDIRECT_TABLE_SIZE; i++)
		CHECK(reta[i] < cb.nb_rxq, "reta[%u] = %u", i, reta[i]);
	memset(&rc, 0, sizeof(rc));
	rc.rss_key = key_out;
	rc.rss_key_len = sizeof(key_out);
	CHECK(rte_eth_dev_rss_hash_conf_get(port_b, &rc) == 0, "rss_hash_conf_get");
	CHECK(memcmp(key_out, ms_key, MANA_HASH_KEY_SIZE) == 0, "configured key not reported");
	ret = rss_check(cb.nb_rxq, ms_key, reta, rx, &used);
	if (ret != MTEST_SUCCESS) {
		ports_stop();
		free(rx);
		return ret;
	}
	CHECK(used >= 3, "96 flows used only %u of 5 queues", used);

	/* new key on the started port */
	memset(&rc, 0, sizeof(rc));
	rc.rss_key = (uint8_t *)(uintptr_t)key2;
	rc.rss_key_len = MANA_HASH_KEY_SIZE;
	rc.rss_hf = info_a.flow_type_rss_offloads &
		(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
	CHECK(rte_eth_dev_rss_hash_update(port_b, &rc) == 0, "rss_hash_update");
	memset(&rc, 0, sizeof(rc));
	rc.rss_key = key_out;
	rc.rss_key_len = sizeof(key_out);
	CHECK(rte_eth_dev_rss_hash_conf_get(port_b, &rc) == 0 &&
	      memcmp(key_out, key2, MANA_HASH_KEY_SIZE) == 0, "updated key not reported");
	ret = rss_check(cb.nb_rxq, key2, reta, rx, &used);
	if (ret != MTEST_SUCCESS) {
		ports_stop();
		free(rx);
		MTEST_FAIL("after rss_hash_update");
	}

	/* new table: everything on queues 4 and 1 alternately */
	memset(r, 0, sizeof(r));
	r[0].mask = UINT64_MAX;
	for (i = 0; i < MANA_INDIRECT_TABLE_SIZE; i++)
		r[0].reta[i] = want[i] = (i & 1) ? 1 : 4;
	CHECK(rte_eth_dev_rss_reta_update(port_b, r, MANA_INDIRECT_TABLE_SIZE) == 0, "reta_update");
	CHECK(reta_get(port_b, reta) == 0 && memcmp(reta, want, sizeof(want)) == 0,
	      "reta_query does not return the updated table");
	ret = rss_check(cb.nb_rxq, key2, want, rx, &used);
	if (ret != MTEST_SUCCESS) {
		ports_stop();
		free(rx);
		MTEST_FAIL("after reta_update");
	}
	CHECK(used == 2, "%u queues used with a 2-queue table", used);
	/* bad key length and bad queue rejected */
	rc.rss_key = (uint8_t *)(uintptr_t)key2;
	rc.rss_key_len = 20;
	CHECK(rte_eth_dev_rss_hash_update(port_b, &rc) != 0, "20-byte key accepted");
	r[0].reta[3] = 9;
	CHECK(rte_eth_dev_rss_reta_update(port_b, r, MANA_INDIRECT_TABLE_SIZE) != 0,
	      "reta entry for queue 9 of 5 accepted");
	free(rx);
	CASE_END();
}

/* Stats and xstats exact after a known exchange; reset zeroes them. */
static int
test_stats(void)
{
	CASE_BEGIN();
	static uint8_t fr[256];
	struct rx_set *rx = calloc(1, sizeof(*rx));
	struct port_cfg cb = cfg_default;
	struct rte_eth_stats sa, sb;
	struct rte_mbuf *b[100];
	struct flow f;
	unsigned int i, n = 100, len = 100, sent;
	uint64_t v;
	int64_t qs;

	MTEST_ASSERT(rx != NULL, "calloc");
	cb.nb_rxq = 4;
	MTEST_ASSERT_EQ(ports_start(&cfg_default, &cb), 0);
	CHECK(rte_eth_stats_reset(port_a) == 0 && rte_eth_stats_reset(port_b) == 0, "reset");
	flow_default(&f, 0, IPPROTO_UDP);
	for (i = 0; i < n; i++) {
		f.sport = (uint16_t)(3000 + i);
		frame_build(fr, len, &mac_a, &mac_b, &f, i);
		b[i] = mbuf_make(fr, len, NULL, 0);
		CHECK(b[i] != NULL, "alloc");
	}
	sent = tx_all(port_a, 0, b, n);
	for (i = sent; i < n; i++)
		rte_pktmbuf_free(b[i]);
	CHECK(sent == n, "sent %u of %u", sent, n);
	rx_wait(port_b, cb.nb_rxq, rx, n);
	i = rx->n;
	rx_set_free(rx);
	free(rx);
	CHECK(i == n, "received %u of %u", i, n);
	/* let TX completions be seen */
	rte_eth_tx_done_cleanup(port_a, 0, 0);
	CHECK(rte_eth_stats_get(port_a, &sa) == 0 && rte_eth_stats_get(port_b, &sb) == 0, "get");
	CHECK(sa.opackets == n && sa.obytes == (uint64_t)n * len,
	      "A: opackets %" PRIu64 " obytes %" PRIu64 ", expected %u / %u",
	      sa.opackets, sa.obytes, n, n * len);
#ifdef MTEST_HAVE_QSTATS
	CHECK(sa.q_opackets[0] == n && sa.q_obytes[0] == (uint64_t)n * len,
	      "A: q_opackets[0] %" PRIu64 " q_obytes[0] %" PRIu64, sa.q_opackets[0], sa.q_obytes[0]);
#endif
	CHECK(sb.ipackets == n && sb.ibytes == (uint64_t)n * len,
	      "B: ipackets %" PRIu64 " ibytes %" PRIu64 ", expected %u / %u",
	      sb.ipackets, sb.ibytes, n, n * len);
#ifdef MTEST_HAVE_QSTATS
	CHECK(sb.q_ipackets[0] + sb.q_ipackets[1] + sb.q_ipackets[2] + sb.q_ipackets[3] == n &&
	      sb.q_ibytes[0] + sb.q_ibytes[1] + sb.q_ibytes[2] + sb.q_ibytes[3] == (uint64_t)n * len,
	      "B: per-queue RX stats do not add up: %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64,
	      sb.q_ipackets[0], sb.q_ipackets[1], sb.q_ipackets[2], sb.q_ipackets[3]);
#endif
	CHECK(sa.ipackets == 0 && sb.opackets == 0, "traffic in the wrong direction");
	CHECK(sa.oerrors == 0 && sb.ierrors == 0 && sb.imissed == 0 && sb.rx_nombuf == 0,
	      "errors: oerrors %" PRIu64 " ierrors %" PRIu64 " imissed %" PRIu64
	      " rx_nombuf %" PRIu64, sa.oerrors, sb.ierrors, sb.imissed, sb.rx_nombuf);
	/* xstats: ethdev's basic ones and the driver's per-queue ones */
	CHECK(mtest_xstat(port_b, "rx_good_packets", &v) == 0 && v == n, "rx_good_packets %" PRIu64, v);
	CHECK(mtest_xstat(port_b, "rx_good_bytes", &v) == 0 && v == (uint64_t)n * len,
	      "rx_good_bytes %" PRIu64, v);
	CHECK(mtest_xstat(port_a, "tx_good_packets", &v) == 0 && v == n, "tx_good_packets");
	qs = (int64_t)mtest_qstat(port_b, "rx", -1, "packets");
	CHECK(qs == n, "sum of rx_q<N>_packets xstats is %" PRId64 " (-1: none), expected %u", qs, n);
	qs = (int64_t)mtest_qstat(port_b, "rx", -1, "bytes");
	CHECK(qs == (int64_t)n * len, "sum of rx_q<N>_bytes xstats is %" PRId64, qs);
	qs = (int64_t)mtest_qstat(port_a, "tx", -1, "packets");
	CHECK(qs == n, "sum of tx_q<N>_packets xstats is %" PRId64, qs);
	qs = (int64_t)mtest_qstat(port_a, "tx", -1, "bytes");
	CHECK(qs == (int64_t)n * len, "sum of tx_q<N>_bytes xstats is %" PRId64, qs);

	CHECK(rte_eth_stats_reset(port_a) == 0 && rte_eth_stats_reset(port_b) == 0, "reset");
	CHECK(rte_eth_xstats_reset(port_a) == 0 && rte_eth_xstats_reset(port_b) == 0, "xreset");
	CHECK(rte_eth_stats_get(port_a, &sa) == 0 && rte_eth_stats_get(port_b, &sb) == 0, "get");
	CHECK(sa.opackets == 0 && sa.obytes == 0 && sb.ipackets == 0 && sb.ibytes == 0,
	      "stats not zero after reset");
#ifdef MTEST_HAVE_QSTATS
	CHECK(sa.q_opackets[0] == 0 && sb.q_ipackets[0] == 0, "queue stats not zero after reset");
#endif
	CHECK((int64_t)mtest_qstat(port_b, "rx", -1, "packets") == 0 &&
	      (int64_t)mtest_qstat(port_a, "tx", -1, "bytes") == 0, "per-queue xstats not zero after reset");
	CASE_END();
}

static unsigned int
env_count(const char *name, unsigned int dflt)
{
	const char *s = getenv(name);

	return s != NULL && atoi(s) > 0 ? (unsigned int)atoi(s) : dflt;
}

/* Many start/stop cycles (and reconfigurations): mbufs back every time. */
static int
test_cycles(void)
{
	CASE_BEGIN();
	static uint8_t fr[256];
	unsigned int cycles = env_count("MANA_TEST_CYCLES", 1000), i, ref = 0;
	struct rx_set *rx = calloc(1, sizeof(*rx));
	struct port_cfg c = cfg_default;
	uint64_t t0 = rte_get_timer_cycles();
	struct flow f;

	MTEST_ASSERT(rx != NULL, "calloc");
	flow_default(&f, 0, IPPROTO_UDP);
	for (i = 0; i < cycles; i++) {
		bool reconf = i % 100 == 0;

		if (reconf) {
			c.nb_rxq = (uint16_t)(1 + (i / 100) % 4);
			c.nb_txq = (uint16_t)(1 + (i / 100 + 1) % 3);
			MTEST_ASSERT(ports_start(&c, &c) == 0, "cycle %u: reconfigure %u/%u", i,
				     c.nb_rxq, c.nb_txq);
		} else {
			MTEST_ASSERT(rte_eth_dev_start(port_a) == 0 &&
				     rte_eth_dev_start(port_b) == 0, "cycle %u: start", i);
		}
		if (i % 50 == 0 || i + 1 == cycles) {
			struct rte_mbuf *m;
			unsigned int k;

			for (k = 0; k < 8; k++) {
				frame_build(fr, 64 + k, &mac_a, &mac_b, &f, i + k);
				m = mbuf_make(fr, 64 + k, NULL, 0);
				CHECK(m != NULL, "alloc");
				if (tx_all(port_a, k % c.nb_txq, &m, 1) != 1) {
					rte_pktmbuf_free(m);
					CHECK(0, "cycle %u: tx", i);
				}
			}
			rx_wait(port_b, c.nb_rxq, rx, 8);
			k = rx->n;
			rx_set_free(rx);
			CHECK(k == 8, "cycle %u (%u/%u queues): received %u of 8; device: wire %"
			      PRIu64 " delivered %" PRIu64 " no-WQE drops %" PRIu64, i, c.nb_rxq,
			      c.nb_txq, k, emu_counter(1, "rx_wire_frames"),
			      emu_counter(1, "rx_frames"), emu_counter(1, "rx_discards_nowqe"));
		} else if (i % 2) {
			/* stop with packets in flight */
			struct rte_mbuf *m;

			frame_build(fr, 64, &mac_a, &mac_b, &f, i);
			m = mbuf_make(fr, 64, NULL, 0);
			CHECK(m != NULL, "alloc");
			if (rte_eth_tx_burst(port_a, 0, &m, 1) != 1)
				rte_pktmbuf_free(m);
		}
		ports_stop();
		if (reconf)
			ref = rte_mempool_in_use_count(pool);
		else
			MTEST_ASSERT(rte_mempool_in_use_count(pool) == ref,
				     "cycle %u: %u mbufs in use after stop, %u after the first",
				     i, rte_mempool_in_use_count(pool), ref);
	}
	free(rx);
	printf("  %u start/stop cycles in %.1f s\n", cycles,
	       (double)(rte_get_timer_cycles() - t0) / rte_get_timer_hz());
	/* back to the default configuration */
	MTEST_ASSERT_EQ(ports_start(&cfg_default, &cfg_default), 0);
	CASE_END();
}

/* Bad packets: tx_prepare rejects them with rte_errno; tx_burst never sends them. */
static int
test_bad_input(void)
{
	CASE_BEGIN();
	static uint8_t fr[4096], cap[4096];
	struct rx_set *rx = calloc(1, sizeof(*rx));
	struct port_cfg c = cfg_default;
	unsigned int maxseg = info_a.tx_desc_lim.nb_mtu_seg_max, v, i, k, nfail = 0;
	uint16_t seg[64];
	struct flow f;

	MTEST_ASSERT(rx != NULL, "calloc");
	MTEST_ASSERT(maxseg >= 2 && maxseg <= 30, "nb_mtu_seg_max %u", maxseg);
	c.tx_offloads = info_a.tx_offload_capa & (RTE_ETH_TX_OFFLOAD_MULTI_SEGS |
		RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM);
	MTEST_ASSERT_EQ(ports_start(&c, &cfg_default), 0);
	flow_default(&f, 0, IPPROTO_UDP);
	for (v = 0; v < 6; v++) {
		struct rte_mbuf *m = NULL, *good, *pk[3];
		const char *what = "";
		uint16_t ret;
		int err;

		switch (v) {
		case 0:
			what = "too many segments";
			for (i = 0; i <= maxseg; i++)
				seg[i] = 8;
			seg[i] = 0;
			frame_build(fr, 8 * (maxseg + 2), &mac_a, &mac_b, &f, v);
			m = mbuf_make(fr, 8 * (maxseg + 2), seg, maxseg + 2);
			break;
		case 1:
			what = "pkt_len larger than the data";
			frame_build(fr, 100, &mac_a, &mac_b, &f, v);
			m = mbuf_make(fr, 100, NULL, 0);
			if (m)
				m->pkt_len = 150;
			break;
		case 2:
			what = "zero length";
			m = rte_pktmbuf_alloc(pool);
			break;
		case 3:
			what = "frame longer than the MTU";
			frame_build(fr, 3000, &mac_a, &mac_b, &f, v);
			m = mbuf_make(fr, 3000, NULL, 0);
			break;
		case 4:
			what = "checksum offload without l2/l3 lengths";
			frame_build(fr, 100, &mac_a, &mac_b, &f, v);
			m = mbuf_make(fr, 100, NULL, 0);
			if (m)
				m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM |
					RTE_MBUF_F_TX_UDP_CKSUM;
			break;
		case 5:
			what = "pkt_len smaller than the data";
			frame_build(fr, 100, &mac_a, &mac_b, &f, v);
			seg[0] = 50;
			seg[1] = 0;
			m = mbuf_make(fr, 100, seg, 2);
			if (m)
				m->pkt_len = 60;
			break;
		}
		CHECK(m != NULL, "alloc for '%s'", what);
		/* tx_prepare alone */
		rte_errno = 0;
		ret = rte_eth_tx_prepare(port_a, 0, &m, 1);
		err = rte_errno;
		if (ret != 0) {
			/* report every variant, then fail */
			fprintf(stderr, "  tx_prepare accepted a packet with %s\n", what);
			rte_pktmbuf_free(m);
			nfail++;
			continue;
		}
		if (err != EINVAL && err != ENOTSUP) {
			fprintf(stderr, "  '%s': rte_errno %d (%s), expected EINVAL or ENOTSUP\n",
				what, err, rte_strerror(err));
			nfail++;
		}
		/* in a batch: good, bad, good -> prefix of 1 */
		frame_build(fr, 80, &mac_a, &mac_b, &f, 100 + v);
		good = mbuf_make(fr, 80, NULL, 0);
		pk[0] = good;
		pk[1] = m;
		pk[2] = mbuf_make(fr, 80, NULL, 0);
		CHECK(good && pk[2], "alloc");
		ret = rte_eth_tx_prepare(port_a, 0, pk, 3);
		if (ret != 1)
			rte_pktmbuf_free_bulk(pk, 3);
		CHECK(ret == 1, "'%s' in a batch: tx_prepare returned %u, expected 1", what, ret);
		/* tx_burst straight away (no prepare): no crash, never on the wire */
		emu_capture_drain();
		ret = rte_eth_tx_burst(port_a, 0, pk, 3);
		for (k = ret; k < 3; k++)
			rte_pktmbuf_free(pk[k]);
		CHECK(ret >= 1, "'%s': tx_burst did not even take the good packet before it", what);
		rx_wait(port_b, 1, rx, ret == 3 ? 2 : 1);
		k = rx->n;
		rx_set_free(rx);
		if (v == 0 || v == 2)
			CHECK(k == (ret == 3 ? 2u : 1u), "'%s': %u packets arrived for %u good "
			      "ones sent", what, k, ret == 3 ? 2 : 1);
		else
			CHECK(k >= 1, "'%s': the good packet before it did not arrive", what);
		/* a packet with too many segments or no data never reaches the wire */
		while (v == 0 || v == 2) {
			ssize_t n = emu.capture_read(0, 0, cap, sizeof(cap));

			if (n < 0)
				break;
			CHECK(n == 80, "'%s': a %zd-byte frame went out on the wire", what, n);
		}
	}
	free(rx);
	CHECK(nfail == 0, "%u bad packet(s) not rejected by tx_prepare (listed above)", nfail);
	CASE_END();
}

/* tx_burst returns a prefix when the ring is full; the caller keeps the rest. */
static int
test_tx_prefix(void)
{
	CASE_BEGIN();
	static uint8_t fr[128], got[128];
	struct rx_set *rx = calloc(1, sizeof(*rx));
	struct rte_mbuf *b[2048];
	unsigned int n = RTE_DIM(b), i, j, sent, more, total, received = 0, bad = 0;
	uint16_t ndesc = desc_count(&info_a.tx_desc_lim);
	struct rte_eth_stats st;
	struct flow f;
	uint64_t deadline;

	MTEST_ASSERT(rx != NULL, "calloc");
	MTEST_ASSERT_EQ(ports_start(&cfg_default, &cfg_default), 0);
	flow_default(&f, 0, IPPROTO_UDP);
	emu_step_mode(true);
	for (i = 0; i < n; i++) {
		frame_build(fr, 64, &mac_a, &mac_b, &f, i);
		b[i] = mbuf_make(fr, 64, NULL, 0);
		if (b[i] == NULL) {
			rte_pktmbuf_free_bulk(b, i);
			emu_step_mode(false);
			CHECK(0, "alloc");
		}
	}
	/* the device is stalled (step mode, not stepped): the ring fills up */
	sent = rte_eth_tx_burst(port_a, 0, b, n);
	more = rte_eth_tx_burst(port_a, 0, b + sent, n - sent);
	if (sent == 0 || sent + more >= n || more != 0 || sent > ndesc) {
		rte_pktmbuf_free_bulk(b + sent + more, n - sent - more);
		emu_step_mode(false);
		CHECK(0, "a stalled device: tx_burst took %u of %u, then %u more (%u descriptors)",
		      sent, n, more, ndesc);
	}
	/* the caller still owns b[sent..]: free half, send the rest later */
	rte_pktmbuf_free_bulk(b + sent, (n - sent) / 2);
	total = sent;
	i = sent + (n - sent) / 2;
	deadline = rte_get_timer_cycles() + rte_get_timer_hz() * 10;
	while ((i < n || received < total) && rte_get_timer_cycles() < deadline) {
		if (i < n) {
			unsigned int k = rte_eth_tx_burst(port_a, 0, b + i,
							  RTE_MIN(n - i, 64u));
			i += k;
			total += k;
		}
		emu.step();
		while (rx_poll(port_b, 1, rx) != 0) {
			for (j = 0; j < rx->n; j++)
				if (mbuf_flat(rx->m[j], got, sizeof(got)) != 64)
					bad++;
			received += rx->n;
			rx_set_free(rx);
			emu.step();
		}
	}
	emu_step_mode(false);
	free(rx);
	if (i < n)
		rte_pktmbuf_free_bulk(b + i, n - i);
	CHECK(i == n, "the rest never went: %u of %u", i, n);
	CHECK(received == total && bad == 0, "received %u (%u malformed) of the %u packets "
	      "tx_burst took; device: no-WQE drops %" PRIu64, received, bad, total,
	      emu_counter(1, "rx_discards_nowqe"));
	CHECK(rte_eth_stats_get(port_b, &st) == 0 && st.ipackets == total,
	      "B counted %" PRIu64 " of %u", st.ipackets, total);
	CASE_END();
}

/* MTU, promiscuous/allmulticast, MAC set, link state. */
static int
test_control(void)
{
	CASE_BEGIN();
	static uint8_t fr[MAX_FRAME];
	struct rx_set *rx = calloc(1, sizeof(*rx));
	struct port_cfg c = cfg_default;
	struct rte_ether_addr other = { .addr_bytes = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 } };
	struct rte_eth_link link;
	struct flow f;
	uint16_t mtu;
	int ret;

	MTEST_ASSERT(rx != NULL, "calloc");
	MTEST_ASSERT_EQ(ports_start(&cfg_default, &cfg_default), 0);
	ports_stop();
	MTEST_ASSERT(rte_eth_dev_set_mtu(port_a, 67) != 0, "MTU 67 accepted");
	MTEST_ASSERT(rte_eth_dev_set_mtu(port_a, 9001) != 0, "MTU 9001 accepted");
	MTEST_ASSERT_EQ(rte_eth_dev_set_mtu(port_a, 68), 0);
	MTEST_ASSERT_EQ(rte_eth_dev_set_mtu(port_a, 9000), 0);
	MTEST_ASSERT_EQ(rte_eth_dev_set_mtu(port_b, 9000), 0);
	MTEST_ASSERT(rte_eth_dev_get_mtu(port_a, &mtu) == 0 && mtu == 9000, "mtu %u", mtu);
	c.rx_offloads = info_a.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER;
	c.tx_offloads = RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	c.mtu = 9000;
	MTEST_ASSERT_EQ(ports_start(&c, &c), 0);
	flow_default(&f, 0, IPPROTO_UDP);
	frame_build(fr, 9014, &mac_a, &mac_b, &f, 1);
	ret = exchange_one(mbuf_make(fr, 9014, NULL, 0), fr, 9014, 1, rx);
	rx_set_free(rx);
	CHECK(ret == MTEST_SUCCESS, "9014-byte frame at MTU 9000");
	ports_stop();
	CHECK(rte_eth_dev_set_mtu(port_a, 1500) == 0 && rte_eth_dev_set_mtu(port_b, 1500) == 0,
	      "mtu 1500");
	MTEST_ASSERT_EQ(ports_start(&cfg_default, &cfg_default), 0);

	/* link */
	memset(&link, 0, sizeof(link));
	CHECK(rte_eth_link_get_nowait(port_a, &link) == 0 && link.link_status == RTE_ETH_LINK_UP,
	      "link not up after start");
	ret = rte_eth_dev_set_link_down(port_a);
	CHECK(ret == 0 || ret == -ENOTSUP, "set_link_down: %d", ret);
	ret = rte_eth_dev_set_link_up(port_a);
	CHECK(ret == 0 || ret == -ENOTSUP, "set_link_up: %d", ret);
	CHECK(rte_eth_link_get_nowait(port_a, &link) == 0 && link.link_status == RTE_ETH_LINK_UP,
	      "link not up after set_link_up");

	/* promiscuous / allmulticast accepted, reflected */
	CHECK(rte_eth_promiscuous_enable(port_b) == 0 && rte_eth_promiscuous_get(port_b) == 1,
	      "promiscuous enable");
	CHECK(rte_eth_promiscuous_disable(port_b) == 0 && rte_eth_promiscuous_get(port_b) == 0,
	      "promiscuous disable");
	CHECK(rte_eth_allmulticast_enable(port_b) == 0 && rte_eth_allmulticast_get(port_b) == 1,
	      "allmulticast enable");
	CHECK(rte_eth_allmulticast_disable(port_b) == 0 && rte_eth_allmulticast_get(port_b) == 0,
	      "allmulticast disable");

	/* MAC: own accepted, another rejected, address unchanged */
	CHECK(rte_eth_dev_default_mac_addr_set(port_a, &mac_a) == 0, "own MAC rejected");
	ret = rte_eth_dev_default_mac_addr_set(port_a, &other);
	CHECK(ret < 0, "foreign MAC accepted");
	{
		struct rte_ether_addr now;

		CHECK(rte_eth_macaddr_get(port_a, &now) == 0 && rte_is_same_ether_addr(&now, &mac_a),
		      "MAC changed by a rejected set");
	}
	/* traffic still flows */
	frame_build(fr, 100, &mac_a, &mac_b, &f, 2);
	ret = exchange_one(mbuf_make(fr, 100, NULL, 0), fr, 100, 1, rx);
	rx_set_free(rx);
	free(rx);
	CHECK(ret == MTEST_SUCCESS, "traffic after the control operations");
	CASE_END();
}

/*
 * Garbage CQEs from the device (every CQE's fields random but the owner bits):
 * no crash, no leak, and a clean restart after. Runs until the device wrote
 * MANA_TEST_GARBAGE_CQES RX completions (frames into RX WQEs, both ports).
 */
static int
test_garbage(void)
{
	CASE_BEGIN();
	static uint8_t fr[256];
	uint64_t target = env_count("MANA_TEST_GARBAGE_CQES", 50000);
	struct rx_set *rx = calloc(1, sizeof(*rx));
	struct rte_mbuf *b[32];
	uint64_t sent = 0, deadline, t0 = rte_get_timer_cycles(), done = 0, base;
	struct flow f;
	uint64_t last_progress = t0;
	unsigned int i, k, loops = 0;
	int ret;

	MTEST_ASSERT(rx != NULL, "calloc");
	MTEST_ASSERT_EQ(ports_start(&cfg_default, &cfg_default), 0);
	flow_default(&f, 0, IPPROTO_UDP);
	base = emu_counter(0, "rx_frames") + emu_counter(1, "rx_frames");
	CHECK(emu.set_garbage_cqe(0, 1) == 0, "garbage mode on");
	deadline = t0 + rte_get_timer_hz() * (120 + target / 2000);
	while (done < target && rte_get_timer_cycles() < deadline) {
		uint16_t src = loops & 1 ? port_b : port_a, dst = loops & 1 ? port_a : port_b;

		frame_build(fr, 64, src == port_a ? &mac_a : &mac_b,
			    src == port_a ? &mac_b : &mac_a, &f, loops);
		for (i = 0; i < RTE_DIM(b); i++) {
			b[i] = mbuf_make(fr, 64, NULL, 0);
			if (b[i] == NULL)
				break;
		}
		k = rte_eth_tx_burst(src, 0, b, i);
		if (k < i)
			rte_pktmbuf_free_bulk(b + k, i - k);
		sent += k;
		while (rx_poll(dst, 1, rx) != 0)
			rx_set_free(rx);
		rx_set_free(rx);
		if ((++loops & 63) == 0) {
			uint64_t now = emu_counter(0, "rx_frames") +
				emu_counter(1, "rx_frames") - base;

			if (now != done) {
				done = now;
				last_progress = rte_get_timer_cycles();
			} else if (rte_get_timer_cycles() - last_progress >
				   rte_get_timer_hz() * 5) {
				static char st[8192];

				emu.stats_text(st, sizeof(st));
				printf("  no progress for 5 s after %" PRIu64 " completions, "
				       "%" PRIu64 " packets sent; device:\n%s", done, sent, st);
				break;
			}
		}
		if (k == 0)
			emu_poll();
	}
	emu.set_garbage_cqe(0, 0);
	printf("  %" PRIu64 " RX completions, %" PRIu64 " packets sent under garbage CQEs"
	       " in %.1f s\n", done, sent,
	       (double)(rte_get_timer_cycles() - t0) / rte_get_timer_hz());
	free(rx);
	ports_stop();
	CHECK(rte_mempool_in_use_count(pool) == base_in_use__,
	      "%u mbufs in use after stop, %u before", rte_mempool_in_use_count(pool),
	      base_in_use__);
	/* a restart gives a working port again */
	rx = calloc(1, sizeof(*rx));
	MTEST_ASSERT(rx != NULL, "calloc");
	MTEST_ASSERT_EQ(ports_start(&cfg_default, &cfg_default), 0);
	frame_build(fr, 64, &mac_a, &mac_b, &f, 1);
	ret = exchange_one(mbuf_make(fr, 64, NULL, 0), fr, 64, 1, rx);
	rx_set_free(rx);
	free(rx);
	CHECK(ret == MTEST_SUCCESS, "no traffic after garbage mode and a restart");
	ports_stop();
	MTEST_ASSERT(rte_mempool_in_use_count(pool) == base_in_use__, "leak after restart");
	/* the RX rings kept going through the garbage (no stall) */
	MTEST_ASSERT(done >= target, "RX stalled: only %" PRIu64 " RX completions of %" PRIu64
		     " (the device then dropped frames for want of RX WQEs)", done, target);
	return MTEST_SUCCESS;
}

/* Queue introspection: queue info, burst modes, descriptor status and counts. */
static int
test_introspection(void)
{
	CASE_BEGIN();
	static uint8_t fr[128];
	struct rx_set *rx = calloc(1, sizeof(*rx));
	struct rte_eth_rxq_info ri;
	struct rte_eth_txq_info ti;
	struct rte_eth_burst_mode bm;
	struct rte_mbuf *b[16];
	struct flow f;
	unsigned int i, sent;
	int cnt;

	MTEST_ASSERT(rx != NULL, "calloc");
	MTEST_ASSERT_EQ(ports_start(&cfg_default, &cfg_default), 0);
	CHECK(rte_eth_rx_queue_info_get(port_b, 0, &ri) == 0, "rxq_info_get");
	CHECK(ri.mp == pool && ri.nb_desc == desc_count(&info_a.rx_desc_lim),
	      "rxq info: mp %p (pool %p) nb_desc %u", (void *)ri.mp, (void *)pool, ri.nb_desc);
	CHECK(rte_eth_tx_queue_info_get(port_a, 0, &ti) == 0 &&
	      ti.nb_desc == desc_count(&info_a.tx_desc_lim), "txq info: nb_desc %u", ti.nb_desc);
	CHECK(rte_eth_rx_burst_mode_get(port_b, 0, &bm) == 0 && bm.info[0] != '\0',
	      "rx_burst_mode_get");
	CHECK(rte_eth_tx_burst_mode_get(port_a, 0, &bm) == 0 && bm.info[0] != '\0',
	      "tx_burst_mode_get");
	CHECK(rte_eth_rx_queue_count(port_b, 0) == 0, "rx_queue_count %d on an idle queue",
	      rte_eth_rx_queue_count(port_b, 0));
	CHECK(rte_eth_rx_descriptor_status(port_b, 0, 0) == RTE_ETH_RX_DESC_AVAIL,
	      "rx descriptor 0 of an idle queue: %d", rte_eth_rx_descriptor_status(port_b, 0, 0));
	flow_default(&f, 0, IPPROTO_UDP);
	for (i = 0; i < RTE_DIM(b); i++) {
		frame_build(fr, 100, &mac_a, &mac_b, &f, i);
		b[i] = mbuf_make(fr, 100, NULL, 0);
		CHECK(b[i] != NULL, "alloc");
	}
	sent = tx_all(port_a, 0, b, RTE_DIM(b));
	for (i = sent; i < RTE_DIM(b); i++)
		rte_pktmbuf_free(b[i]);
	CHECK(sent == RTE_DIM(b), "sent %u", sent);
	/* wait until B holds them, without taking them */
	for (i = 0; i < 3000 && rte_eth_rx_queue_count(port_b, 0) < (int)sent; i++)
		rte_delay_us_sleep(1000);
	cnt = rte_eth_rx_queue_count(port_b, 0);
	CHECK(cnt == (int)sent, "rx_queue_count %d with %u frames waiting", cnt, sent);
	CHECK(rte_eth_rx_descriptor_status(port_b, 0, 0) == RTE_ETH_RX_DESC_DONE &&
	      rte_eth_rx_descriptor_status(port_b, 0, sent - 1) == RTE_ETH_RX_DESC_DONE &&
	      rte_eth_rx_descriptor_status(port_b, 0, sent) == RTE_ETH_RX_DESC_AVAIL,
	      "rx descriptor status: %d %d %d", rte_eth_rx_descriptor_status(port_b, 0, 0),
	      rte_eth_rx_descriptor_status(port_b, 0, sent - 1),
	      rte_eth_rx_descriptor_status(port_b, 0, sent));
	rx_wait(port_b, 1, rx, sent);
	i = rx->n;
	rx_set_free(rx);
	free(rx);
	CHECK(i == sent, "received %u of %u", i, sent);
	CHECK(rte_eth_rx_queue_count(port_b, 0) == 0, "rx_queue_count after draining");
	/* every TX mbuf comes back through tx_done_cleanup */
	CHECK(rte_eth_tx_done_cleanup(port_a, 0, 0) >= 0, "tx_done_cleanup");
	CHECK(rte_eth_tx_descriptor_status(port_a, 0, 0) == RTE_ETH_TX_DESC_DONE,
	      "tx descriptor 0 after cleanup: %d", rte_eth_tx_descriptor_status(port_a, 0, 0));
	CASE_END();
}

/* RX interrupts: an armed queue wakes epoll when a frame arrives, not before. */
static int
test_rx_intr(void)
{
	CASE_BEGIN();
	static uint8_t fr[128];
	struct rx_set *rx = calloc(1, sizeof(*rx));
	struct port_cfg cb = cfg_default;
	struct rte_epoll_event ev[1];
	struct flow f;
	struct rte_mbuf *m;
	int n, round;

	MTEST_ASSERT(rx != NULL, "calloc");
	cb.intr_rxq = 1;
	MTEST_ASSERT_EQ(ports_start(&cfg_default, &cb), 0);
	CHECK(rte_eth_dev_rx_intr_ctl_q(port_b, 0, RTE_EPOLL_PER_THREAD, RTE_INTR_EVENT_ADD,
					NULL) == 0, "rx_intr_ctl_q add");
	flow_default(&f, 0, IPPROTO_UDP);
	for (round = 0; round < 3; round++) {
		CHECK(rte_eth_dev_rx_intr_enable(port_b, 0) == 0, "rx_intr_enable");
		n = rte_epoll_wait(RTE_EPOLL_PER_THREAD, ev, 1, 100);
		CHECK(n == 0, "round %d: epoll woke (%d) with nothing received", round, n);
		frame_build(fr, 100, &mac_a, &mac_b, &f, round);
		m = mbuf_make(fr, 100, NULL, 0);
		CHECK(m != NULL, "alloc");
		if (tx_all(port_a, 0, &m, 1) != 1) {
			rte_pktmbuf_free(m);
			CHECK(0, "tx");
		}
		n = rte_epoll_wait(RTE_EPOLL_PER_THREAD, ev, 1, 2000);
		CHECK(n == 1, "round %d: no interrupt within 2 s of a frame (%d)", round, n);
		CHECK(rte_eth_dev_rx_intr_disable(port_b, 0) == 0, "rx_intr_disable");
		rx_wait(port_b, 1, rx, 1);
		n = (int)rx->n;
		rx_set_free(rx);
		CHECK(n == 1, "round %d: %d frames after the interrupt", round, n);
	}
	rte_eth_dev_rx_intr_ctl_q(port_b, 0, RTE_EPOLL_PER_THREAD, RTE_INTR_EVENT_DEL, NULL);
	free(rx);
	CASE_END();
}

/* Events the driver raised, per type and port (callbacks: event_cb). */
static unsigned int events_seen[RTE_ETH_EVENT_MAX][RTE_MAX_ETHPORTS];

static int
event_cb(uint16_t port, enum rte_eth_event_type ev, void *arg __rte_unused,
	 void *ret __rte_unused)
{
	if (ev < RTE_ETH_EVENT_MAX && port < RTE_MAX_ETHPORTS)
		__atomic_fetch_add(&events_seen[ev][port], 1, __ATOMIC_RELAXED);
	return 0;
}

/* Wait up to @p seconds until both ports have seen event @p ev. */
static void
events_wait_both(enum rte_eth_event_type ev, unsigned int seconds)
{
	uint64_t t0 = rte_get_timer_cycles(), hz = rte_get_timer_hz();

	while ((__atomic_load_n(&events_seen[ev][port_a], __ATOMIC_RELAXED) == 0 ||
		__atomic_load_n(&events_seen[ev][port_b], __ATOMIC_RELAXED) == 0) &&
	       rte_get_timer_cycles() - t0 < seconds * hz)
		rte_delay_us_sleep(1000);
}

#define rmv_events events_seen[RTE_ETH_EVENT_INTR_RMV]

/*
 * Hot removal with traffic in flight: one RMV event per port, bursts
 * return 0 and keep the caller's packets, stop and close do not block
 * and give every mbuf back. Leaves no port behind: runs alone.
 */
static int
test_removal(void)
{
	static uint8_t fr[128];
	struct rx_set *rx = calloc(1, sizeof(*rx));
	struct port_cfg c = cfg_default;
	struct rte_mbuf *b[32];
	struct flow f;
	uint64_t t0, hz = rte_get_timer_hz();
	unsigned int i, k;
	double secs;

	MTEST_ASSERT(rx != NULL, "calloc");
	if (rte_eth_dev_count_avail() != 2) {
		free(rx);
		printf("  ports already closed: run this case alone\n");
		return MTEST_SKIPPED;
	}
	ports_stop();
	c.intr_rmv = 1;
	MTEST_ASSERT_EQ(rte_eth_dev_callback_register(RTE_ETH_ALL, RTE_ETH_EVENT_INTR_RMV,
						     event_cb, NULL), 0);
	MTEST_ASSERT_EQ(ports_start(&c, &c), 0);
	flow_default(&f, 0, IPPROTO_UDP);
	for (i = 0; i < RTE_DIM(b); i++) {
		frame_build(fr, 100, &mac_a, &mac_b, &f, i);
		b[i] = mbuf_make(fr, 100, NULL, 0);
		MTEST_ASSERT(b[i] != NULL, "alloc");
	}
	k = rte_eth_tx_burst(port_a, 0, b, RTE_DIM(b));
	rte_pktmbuf_free_bulk(b + k, RTE_DIM(b) - k);
	rx_poll(port_b, 1, rx);		/* some received, some in flight */
	MTEST_ASSERT_EQ(emu.remove(0), 0);
	events_wait_both(RTE_ETH_EVENT_INTR_RMV, 3);
	MTEST_ASSERT(rmv_events[port_a] == 1 && rmv_events[port_b] == 1,
		     "RMV events: port1 %u, port2 %u (expected one each within 3 s)",
		     rmv_events[port_a], rmv_events[port_b]);
	/* bursts: nothing in, nothing taken */
	for (i = 0; i < 4; i++) {
		frame_build(fr, 100, &mac_a, &mac_b, &f, i);
		b[i] = mbuf_make(fr, 100, NULL, 0);
		MTEST_ASSERT(b[i] != NULL, "alloc");
	}
	k = rte_eth_tx_burst(port_a, 0, b, 4);
	rte_pktmbuf_free_bulk(b + k, 4 - k);
	MTEST_ASSERT(k == 0, "tx_burst took %u packets on a removed port", k);
	MTEST_ASSERT(rte_eth_rx_burst(port_b, 0, b, 4) == 0, "rx_burst on a removed port");
	rx_set_free(rx);
	free(rx);
	/* control operations fail fast, stop and close return promptly */
	t0 = rte_get_timer_cycles();
	MTEST_ASSERT(rte_eth_dev_set_mtu(port_a, 1400) != 0, "set_mtu on a removed port succeeded");
	rte_eth_dev_stop(port_a);
	rte_eth_dev_stop(port_b);
	rte_eth_dev_close(port_a);
	rte_eth_dev_close(port_b);
	secs = (double)(rte_get_timer_cycles() - t0) / hz;
	MTEST_ASSERT(secs < 2.0, "stop and close took %.1f s", secs);
	MTEST_ASSERT(rte_mempool_in_use_count(pool) == 0,
		     "%u mbufs still in use after stop/close of the removed ports",
		     rte_mempool_in_use_count(pool));
	MTEST_ASSERT(emu.violation_count() == 0, "emulator violations: %s", violations());
	return MTEST_SUCCESS;
}

/* Close both ports: everything returned, ports gone. Runs last. */
static int
test_close(void)
{
	MTEST_ASSERT_EQ(ports_start(&cfg_default, &cfg_default), 0);
	ports_stop();
	MTEST_ASSERT_EQ(rte_eth_dev_close(port_a), 0);
	MTEST_ASSERT_EQ(rte_eth_dev_close(port_b), 0);
	MTEST_ASSERT_EQ(rte_eth_dev_count_avail(), 0);
	MTEST_ASSERT(rte_mempool_in_use_count(pool) == 0, "%u mbufs still in use after close",
		     rte_mempool_in_use_count(pool));
	MTEST_ASSERT(emu.violation_count() == 0, "emulator violations: %s", violations());
	return MTEST_SUCCESS;
}

/* ==================================================================== */
/*
 * RSS over any RX queue count (queues of several hardware RQs). Cases
 * rss_queues, rss_desc_limit, rss_reta_live, rss_unequal, rss_intr,
 * rss_introspection, rss_jumbo, rss_removal, rss_reset. The exact-table
 * cases need 2048-descriptor queues: meson runs them under mana-emu
 * --max-wr 2048, on rdma-core 56.1 (MANA_TEST_RDMA_CORE).
 */

#define RSS_DESC_EXACT	2048	/* 64 RQs of 64 descriptors fit in 2048 */
#define RSS_LEN		128
#define RSS_FLOWS	512

static bool rss_jumbo;	/* rss_port_start: MTU 9000, RX scatter, TX multi-segment */

/* Configure and start @p port for the RSS cases. 0 or a negative errno value. */
static int
rss_port_start(uint16_t port, uint16_t nb_rxq, uint16_t nb_txq, uint16_t rx_desc,
	       const uint8_t *key, bool intr)
{
	struct port_cfg c = {
		.nb_rxq = nb_rxq,
		.nb_txq = nb_txq,
		.rss_key = key,
		.intr_rxq = intr,
		.nb_rx_desc = rx_desc,
	};

	if (nb_rxq > 1 || key != NULL)
		c.rx_offloads = RTE_ETH_RX_OFFLOAD_RSS_HASH;
	if (rss_jumbo) {
		c.mtu = 9000;
		c.rx_offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
		c.tx_offloads = RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	}
	return port_start(port, &c);
}

/* Flow @p id (< 4096): UDP and TCP over IPv4 and IPv6, its id in the source port. */
static void
rss_flow(unsigned int id, struct flow *f)
{
	flow_default(f, (id & 3) >= 2, (id & 1) ? IPPROTO_TCP : IPPROTO_UDP);
	f->sport = (uint16_t)(20000 + id);
	f->dport = (uint16_t)(80 + (id * 7919u) % 20000);
	f->sip4 = RTE_IPV4(10, 1 + (id % 200), (id * 13) & 255, 1 + (id >> 8));
	f->sip6[12] = (uint8_t)(id * 29);
	f->sip6[13] = (uint8_t)(id >> 8);
	f->sip6[14] = (uint8_t)id;
}

static int
rss_reta_set(uint16_t port, const uint16_t *t)
{
	struct rte_eth_rss_reta_entry64 r[MANA_INDIRECT_TABLE_SIZE / RTE_ETH_RETA_GROUP_SIZE];
	unsigned int i;

	memset(r, 0, sizeof(r));
	for (i = 0; i < MANA_INDIRECT_TABLE_SIZE; i++) {
		r[i / RTE_ETH_RETA_GROUP_SIZE].mask |= RTE_BIT64(i % RTE_ETH_RETA_GROUP_SIZE);
		r[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] = t[i];
	}
	return rte_eth_dev_rss_reta_update(port, r, MANA_INDIRECT_TABLE_SIZE);
}

static uint32_t rss_rand_state = 0x2545f491u;

static uint32_t
rss_rand(void)
{
	rss_rand_state ^= rss_rand_state << 13;
	rss_rand_state ^= rss_rand_state >> 17;
	rss_rand_state ^= rss_rand_state << 5;
	return rss_rand_state;
}

/* A random table naming queue q (j % nq) as often as the default does. */
static void
rss_reta_random(uint16_t *t, uint16_t nq)
{
	unsigned int i;

	for (i = 0; i < MANA_INDIRECT_TABLE_SIZE; i++)
		t[i] = (uint16_t)(i % nq);
	for (i = MANA_INDIRECT_TABLE_SIZE - 1; i > 0; i--) {
		unsigned int j = rss_rand() % (i + 1);
		uint16_t x = t[i];

		t[i] = t[j];
		t[j] = x;
	}
}

static struct rx_set rss_rx;

/* Poll B's queues until @p s holds @p want packets (no extra wait). */
static void
rss_rx_until(uint16_t port, uint16_t nq, struct rx_set *s, unsigned int want)
{
	uint64_t deadline = rte_get_timer_cycles() + rte_get_timer_hz() * POLL_MS / 1000;

	while (s->n < want && rte_get_timer_cycles() < deadline)
		if (rx_poll(port, nq, s) == 0)
			emu_poll();
}

/*
 * Send @p n flows A -> B (64 at a time, B polled in between) and check that
 * every one arrives once, byte-exact, on queue @p reta[hash & 63] with the
 * Toeplitz hash under @p key (hash checked when @p key is set), and that B's
 * per-queue stats and xstats count exactly what each queue delivered.
 */
static int
rss_flows_check(uint16_t nq, const uint8_t *key, const uint16_t *reta, unsigned int n,
		unsigned int *queues_used)
{
	static uint8_t fr[RSS_LEN], got[RSS_LEN + 64];
	static uint8_t seen[4096];
	uint64_t cnt[RTE_MAX_QUEUES_PER_PORT] = { 0 };
	struct rx_set *rx = &rss_rx;
	struct rte_eth_stats st;
	unsigned int i, sent = 0, used = 0;
	uint16_t q;

	MTEST_ASSERT(n <= RTE_DIM(seen) && n <= MAX_RX, "%u flows", n);
	memset(seen, 0, sizeof(seen));
	MTEST_ASSERT_EQ(rte_eth_stats_reset(port_b), 0);
	rx->n = 0;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m;
		struct flow f;

		rss_flow(i, &f);
		frame_build(fr, RSS_LEN, &mac_a, &mac_b, &f, i);
		m = mbuf_make(fr, RSS_LEN, NULL, 0);
		MTEST_ASSERT(m != NULL, "alloc");
		if (tx_all(port_a, 0, &m, 1) != 1) {
			rte_pktmbuf_free(m);
			rx_set_free(rx);
			MTEST_FAIL("A did not take flow %u", i);
		}
		sent++;
		if ((sent & 63) == 0)
			rss_rx_until(port_b, nq, rx, sent);
	}
	rx_wait(port_b, nq, rx, n);
	if (rx->n != n) {
		xstats_dump(port_b);
		i = rx->n;
		rx_set_free(rx);
		MTEST_FAIL("received %u of %u flows (device: delivered %" PRIu64 ", no-WQE drops %"
			   PRIu64 ")", i, n, emu_counter(1, "rx_frames"),
			   emu_counter(1, "rx_discards_nowqe"));
	}
	for (i = 0; i < rx->n; i++) {
		struct rte_mbuf *m = rx->m[i];
		struct mana_rss_fields fl;
		uint32_t len = mbuf_flat(m, got, sizeof(got)), h, id, ok = 1;
		struct flow f;

		q = rx->queue[i];
		if (len != RSS_LEN || mana_rss_parse(got, len, &fl) == 0 ||
		    fl.sport < 20000 || fl.sport - 20000u >= n) {
			ok = 0;
		} else {
			id = fl.sport - 20000u;
			rss_flow(id, &f);
			frame_build(fr, RSS_LEN, &mac_a, &mac_b, &f, id);
			if (memcmp(fr, got, RSS_LEN) != 0 || seen[id]++ != 0)
				ok = 0;
		}
		if (!ok) {
			rx_set_free(rx);
			MTEST_FAIL("packet %u (queue %u, %u bytes): not one of the flows sent, "
				   "altered, or a duplicate", i, q, len);
		}
		h = mana_rss_hash(&fl, key != NULL ? key : ms_key);
		if (key != NULL && !((m->ol_flags & RTE_MBUF_F_RX_RSS_HASH) && m->hash.rss == h)) {
			rx_set_free(rx);
			MTEST_FAIL("flow %u: hash %#x (flag %d), Toeplitz %#x", id, m->hash.rss,
				   !!(m->ol_flags & RTE_MBUF_F_RX_RSS_HASH), h);
		}
		if (q != reta[mana_rss_table_index(h)]) {
			rx_set_free(rx);
			MTEST_FAIL("flow %u (type %#x) hash %#x: on queue %u, reta[%u] = %u", id,
				   fl.hash_type, h, q, mana_rss_table_index(h),
				   reta[mana_rss_table_index(h)]);
		}
		cnt[q]++;
		used |= 1u << q;
	}
	rx_set_free(rx);
	MTEST_ASSERT_EQ(rte_eth_stats_get(port_b, &st), 0);
	MTEST_ASSERT(st.ipackets == n && st.ibytes == (uint64_t)n * RSS_LEN && st.ierrors == 0 &&
		     st.rx_nombuf == 0, "B stats: ipackets %" PRIu64 " ibytes %" PRIu64
		     " ierrors %" PRIu64 " rx_nombuf %" PRIu64, st.ipackets, st.ibytes,
		     st.ierrors, st.rx_nombuf);
	for (q = 0; q < nq; q++) {
		char name[64];
		uint64_t v = UINT64_MAX;

#ifdef MTEST_HAVE_QSTATS
		MTEST_ASSERT(st.q_ipackets[q] == cnt[q] && st.q_ibytes[q] == cnt[q] * RSS_LEN,
			     "queue %u: q_ipackets %" PRIu64 " q_ibytes %" PRIu64 ", delivered %"
			     PRIu64, q, st.q_ipackets[q], st.q_ibytes[q], cnt[q]);
#endif
		snprintf(name, sizeof(name), "rx_q%u_packets", q);
		MTEST_ASSERT(mtest_xstat(port_b, name, &v) == 0 && v == cnt[q],
			     "%s = %" PRIu64 ", delivered %" PRIu64, name, v, cnt[q]);
		v = mtest_qstat(port_b, "rx", (int)q, "bytes");
		MTEST_ASSERT(v == cnt[q] * RSS_LEN, "rx_q%u_bytes = %" PRIu64 ", delivered %" PRIu64,
			     q, v, cnt[q] * RSS_LEN);
	}
	if (queues_used != NULL)
		*queues_used = (unsigned int)__builtin_popcount(used);
	return MTEST_SUCCESS;
}

/* The table reta_query reports equals @p want. */
static int
rss_reta_expect(const uint16_t *want, const char *what)
{
	uint16_t got[MANA_INDIRECT_TABLE_SIZE];
	unsigned int i;

	MTEST_ASSERT_EQ(reta_get(port_b, got), 0);
	for (i = 0; i < MANA_INDIRECT_TABLE_SIZE; i++)
		MTEST_ASSERT(got[i] == want[i], "%s: reta_query entry %u = %u, expected %u",
			     what, i, got[i], want[i]);
	return MTEST_SUCCESS;
}

/*
 * 1..8 RX queues, the default table and two random ones set on the started
 * port: each flow on reta[Toeplitz & 63], exactly, all counted per queue.
 */
static int
test_rss_queues(void)
{
	CASE_BEGIN();
	uint16_t want[MANA_INDIRECT_TABLE_SIZE];
	unsigned int round, i, used;
	uint16_t nq;

	if (info_a.rx_desc_lim.nb_max < RSS_DESC_EXACT)
		MTEST_FAIL("queues of %u descriptors needed, the device allows %u: run under "
			   "mana-emu --max-wr 2048 on rdma-core 56.1", RSS_DESC_EXACT,
			   info_a.rx_desc_lim.nb_max);
	MTEST_ASSERT(info_a.max_rx_queues >= 8, "max_rx_queues %u", info_a.max_rx_queues);
	for (nq = 1; nq <= 8; nq++) {
		/* 1..4 queues of 2048, 5..8 of 1024: at most 8192 mbufs posted */
		CHECK(rss_port_start(port_a, 1, 1, NB_DESC, NULL, false) == 0 &&
		      rss_port_start(port_b, nq, 1, nq <= 4 ? RSS_DESC_EXACT : RSS_DESC_EXACT / 2,
				     nq > 1 ? ms_key : NULL, false) == 0,
		      "start with %u RX queues", nq);
		for (round = 0; round < 3; round++) {
			if (round == 0) {
				for (i = 0; i < MANA_INDIRECT_TABLE_SIZE; i++)
					want[i] = (uint16_t)(i % nq);
			} else {
				rss_reta_random(want, nq);
				if (round == 2 && nq == 8)	/* skewed: a quarter on queue 7 */
					for (i = 0; i < MANA_INDIRECT_TABLE_SIZE; i++)
						want[i] = (i % 4) == 0 ? 7 :
							  want[i] == 7 ? (uint16_t)(i % 7) : want[i];
				CHECK(nq == 1 || rss_reta_set(port_b, want) == 0,
				      "reta_update, %u queues", nq);
			}
			if (nq > 1 && rss_reta_expect(want, "table in force") != MTEST_SUCCESS) {
				ports_stop();
				MTEST_FAIL("%u queues, round %u", nq, round);
			}
			if (rss_flows_check(nq, nq > 1 ? ms_key : NULL, want, RSS_FLOWS, &used) !=
			    MTEST_SUCCESS) {
				ports_stop();
				MTEST_FAIL("%u queues, round %u", nq, round);
			}
			CHECK(used == nq, "%u flows used %u of %u queues", RSS_FLOWS, used, nq);
			if (nq == 1)
				break;
		}
		ports_stop();
		printf("  %u RX queues: default and 2 random tables exact\n", nq);
		fflush(stdout);
		CHECK(rte_mempool_in_use_count(pool) == base_in_use__,
		      "%u RX queues: %u mbufs in use after stop, %u before", nq,
		      rte_mempool_in_use_count(pool), base_in_use__);
	}
	CASE_END();
}

/*
 * Queues too small for their share of the table: the period halves until
 * every queue's RQs (64 descriptors each) fit, reta_query reports the table
 * in force and traffic follows it; a table of short period stays exact.
 */
static int
test_rss_desc_limit(void)
{
	CASE_BEGIN();
	static const uint16_t p8_3[8] = { 0, 1, 2, 0, 1, 2, 0, 1 };
	static const uint16_t p8_6[8] = { 0, 1, 2, 3, 4, 5, 0, 1 };
	uint16_t want[MANA_INDIRECT_TABLE_SIZE];
	unsigned int i, used;

	/* 3 queues of 256: at most 4 RQs each, the 64-entry period becomes 8 */
	CHECK(rss_port_start(port_a, 1, 1, NB_DESC, NULL, false) == 0 &&
	      rss_port_start(port_b, 3, 2, 256, ms_key, false) == 0, "start 3 x 256");
	for (i = 0; i < MANA_INDIRECT_TABLE_SIZE; i++)
		want[i] = p8_3[i % 8];
	if (rss_reta_expect(want, "3 queues of 256") != MTEST_SUCCESS ||
	    rss_flows_check(3, ms_key, want, 256, &used) != MTEST_SUCCESS) {
		ports_stop();
		MTEST_FAIL("3 queues of 256 descriptors");
	}
	CHECK(used == 3, "%u of 3 queues used", used);
	/* a table of period 2 is exact again; the counters of the freed RQs stay */
	for (i = 0; i < MANA_INDIRECT_TABLE_SIZE; i++)
		want[i] = (i & 1) ? 0 : 2;
	CHECK(rss_reta_set(port_b, want) == 0, "reta_update");
	{
		struct rte_eth_stats st;

		CHECK(rte_eth_stats_get(port_b, &st) == 0 && st.ipackets == 256 &&
		      mtest_qstat(port_b, "rx", -1, "packets") == 256,
		      "after a RETA update B counts %" PRIu64 " packets, 256 before",
		      st.ipackets);
	}
	if (rss_reta_expect(want, "period 2") != MTEST_SUCCESS ||
	    rss_flows_check(3, ms_key, want, 256, &used) != MTEST_SUCCESS) {
		ports_stop();
		MTEST_FAIL("period-2 table");
	}
	CHECK(used == 2, "%u queues used by a 2-queue table", used);
	ports_stop();

	/* 6 queues of 128: 2 RQs each */
	CHECK(rss_port_start(port_a, 1, 1, NB_DESC, NULL, false) == 0 &&
	      rss_port_start(port_b, 6, 1, 128, ms_key, false) == 0, "start 6 x 128");
	for (i = 0; i < MANA_INDIRECT_TABLE_SIZE; i++)
		want[i] = p8_6[i % 8];
	if (rss_reta_expect(want, "6 queues of 128") != MTEST_SUCCESS ||
	    rss_flows_check(6, ms_key, want, 256, &used) != MTEST_SUCCESS) {
		ports_stop();
		MTEST_FAIL("6 queues of 128 descriptors");
	}
	CHECK(used == 6, "%u of 6 queues used", used);
	CASE_END();
}

/* Traffic of the live-update case, run by a second thread. */
struct rss_live {
	volatile int stop;
	uint16_t nq_b;
	uint64_t a_sent, b_rcvd;	/* A -> B */
	uint64_t b_sent, a_rcvd, a_bad;	/* B -> A, byte-checked */
	uint64_t b_tx_zero_max;	/* longest run of B tx_burst calls taking nothing */
	int error;
};

static void *
rss_live_traffic(void *arg)
{
	struct rss_live *lv = arg;
	static uint8_t fr[RSS_LEN], got[RSS_LEN + 64];
	uint64_t zero_run = 0;
	unsigned int it = 0;

	while (!lv->stop) {
		struct rte_mbuf *b[32];
		unsigned int i, k;
		uint16_t q, n;

		/* A -> B: 16 flows */
		for (i = 0; i < 16; i++) {
			struct flow f;

			rss_flow((it * 16 + i) % 1024, &f);
			frame_build(fr, RSS_LEN, &mac_a, &mac_b, &f, (it * 16 + i) % 1024);
			b[i] = mbuf_make(fr, RSS_LEN, NULL, 0);
			if (b[i] == NULL) {
				lv->error = 1;
				rte_pktmbuf_free_bulk(b, i);
				return NULL;
			}
		}
		k = rte_eth_tx_burst(port_a, 0, b, 16);
		rte_pktmbuf_free_bulk(b + k, 16 - k);
		lv->a_sent += k;
		/* B -> A on B's TX queue 1: 16 frames, B's TX keeps going */
		for (i = 0; i < 16; i++) {
			struct flow f;

			rss_flow(2048 + (it * 16 + i) % 1024, &f);
			frame_build(fr, RSS_LEN, &mac_b, &mac_a, &f, 7);
			b[i] = mbuf_make(fr, RSS_LEN, NULL, 0);
			if (b[i] == NULL) {
				lv->error = 2;
				rte_pktmbuf_free_bulk(b, i);
				return NULL;
			}
		}
		k = 0;
		if (lv->b_sent - lv->a_rcvd < 512) {	/* within what A's RQ holds */
			k = rte_eth_tx_burst(port_b, 1, b, 16);
			zero_run = k == 0 ? zero_run + 1 : 0;
			if (zero_run > lv->b_tx_zero_max)
				lv->b_tx_zero_max = zero_run;
		}
		rte_pktmbuf_free_bulk(b + k, 16 - k);
		lv->b_sent += k;
		/* receive on both sides */
		for (q = 0; q < lv->nq_b; q++) {
			n = rte_eth_rx_burst(port_b, q, b, RTE_DIM(b));
			lv->b_rcvd += n;
			rte_pktmbuf_free_bulk(b, n);
		}
		n = rte_eth_rx_burst(port_a, 0, b, RTE_DIM(b));
		for (i = 0; i < n; i++) {
			struct rte_mbuf *m = b[i];
			uint32_t len = mbuf_flat(m, got, sizeof(got));
			struct mana_rss_fields fl;
			struct flow f;

			if (len != RSS_LEN || mana_rss_parse(got, len, &fl) == 0 ||
			    fl.sport < 22048) {
				lv->a_bad++;
			} else {
				rss_flow(fl.sport - 20000u, &f);
				frame_build(fr, RSS_LEN, &mac_b, &mac_a, &f, 7);
				if (memcmp(fr, got, RSS_LEN) != 0)
					lv->a_bad++;
			}
		}
		lv->a_rcvd += n;
		rte_pktmbuf_free_bulk(b, n);
		it++;
		rte_delay_us_sleep(50);
	}
	return NULL;
}

/*
 * RETA updates on a started port under traffic, from another thread than
 * the bursts: the period (hardware RQ count) changes every time. Nothing
 * leaks, B's TX never stops and loses nothing, and the last table is the
 * one traffic follows.
 */
static int
test_rss_reta_live(void)
{
	CASE_BEGIN();
	static const uint16_t periods[] = { 64, 2, 16, 4, 64, 1, 32, 8 };
	uint16_t want[MANA_INDIRECT_TABLE_SIZE];
	struct rss_live lv;
	struct rte_eth_stats st;
	pthread_t th;
	unsigned int u, i, used;
	uint64_t t0, hz = rte_get_timer_hz(), nowqe_a;
	const uint16_t nq = 5;

	if (info_a.rx_desc_lim.nb_max < RSS_DESC_EXACT)
		MTEST_FAIL("queues of %u descriptors needed, the device allows %u: run under "
			   "mana-emu --max-wr 2048 on rdma-core 56.1", RSS_DESC_EXACT,
			   info_a.rx_desc_lim.nb_max);
	CHECK(rss_port_start(port_a, 1, 1, RSS_DESC_EXACT, NULL, false) == 0 &&
	      rss_port_start(port_b, nq, 2, RSS_DESC_EXACT / 2, ms_key, false) == 0, "start");
	nowqe_a = emu_counter(0, "rx_discards_nowqe");
	memset(&lv, 0, sizeof(lv));
	lv.nq_b = nq;
	CHECK(pthread_create(&th, NULL, rss_live_traffic, &lv) == 0, "pthread_create");
	for (u = 0; u < 2 * RTE_DIM(periods); u++) {
		uint16_t p = periods[u % RTE_DIM(periods)];
		uint16_t base[MANA_INDIRECT_TABLE_SIZE];
		int ret;

		rss_reta_random(base, nq);
		for (i = 0; i < MANA_INDIRECT_TABLE_SIZE; i++)
			want[i] = base[i % p];
		rte_delay_us_sleep(10 * 1000);	/* 10 ms of traffic */
		ret = rss_reta_set(port_b, want);
		if (ret != 0) {
			lv.stop = 1;
			pthread_join(th, NULL);
			CHECK(0, "reta_update %u (period %u): %s", u, p, strerror(-ret));
		}
	}
	rte_delay_us_sleep(50 * 1000);
	lv.stop = 1;
	pthread_join(th, NULL);
	CHECK(lv.error == 0, "traffic thread: mbuf allocation failed (%d)", lv.error);
	CHECK(lv.a_sent > 0 && lv.b_rcvd > 0 && lv.b_sent > 0,
	      "no traffic: A sent %" PRIu64 ", B received %" PRIu64 ", B sent %" PRIu64,
	      lv.a_sent, lv.b_rcvd, lv.b_sent);
	/* what B sent while its RX was rebuilt 16 times: all there, intact */
	t0 = rte_get_timer_cycles();
	while (lv.a_rcvd < lv.b_sent && rte_get_timer_cycles() - t0 < 2 * hz) {
		struct rte_mbuf *b[32];
		uint16_t n = rte_eth_rx_burst(port_a, 0, b, RTE_DIM(b));

		lv.a_rcvd += n;
		rte_pktmbuf_free_bulk(b, n);
		if (n == 0)
			emu_poll();
	}
	CHECK(lv.a_rcvd == lv.b_sent && lv.a_bad == 0,
	      "B -> A during RETA updates: sent %" PRIu64 ", received %" PRIu64 " (%" PRIu64
	      " altered; A's device port dropped %" PRIu64 " for want of RX WQEs)", lv.b_sent,
	      lv.a_rcvd, lv.a_bad, emu_counter(0, "rx_discards_nowqe") - nowqe_a);
	CHECK(lv.b_tx_zero_max < 1000, "B's TX took nothing %" PRIu64 " times in a row",
	      lv.b_tx_zero_max);
	CHECK(lv.b_rcvd <= lv.a_sent, "B received %" PRIu64 " of %" PRIu64, lv.b_rcvd,
	      lv.a_sent);
	printf("  16 RETA updates under traffic: A -> B %" PRIu64 " sent, %" PRIu64
	       " received; B -> A %" PRIu64 " sent and received\n", lv.a_sent, lv.b_rcvd,
	       lv.b_sent);
	/* drain B, then the last table decides */
	for (i = 0; i < 20; i++) {
		struct rte_mbuf *b[32];
		uint16_t q, n;

		for (q = 0; q < nq; q++) {
			n = rte_eth_rx_burst(port_b, q, b, RTE_DIM(b));
			rte_pktmbuf_free_bulk(b, n);
		}
		rte_delay_us_sleep(1000);
	}
	CHECK(rte_eth_stats_get(port_b, &st) == 0 && st.ierrors == 0, "B ierrors %" PRIu64,
	      st.ierrors);
	if (rss_reta_expect(want, "after the updates") != MTEST_SUCCESS ||
	    rss_flows_check(nq, ms_key, want, 256, &used) != MTEST_SUCCESS) {
		ports_stop();
		MTEST_FAIL("the last table does not decide");
	}
	CASE_END();
}

/* Unequal RX and TX queue counts on both ports: byte-exact both ways. */
static int
test_rss_unequal(void)
{
	CASE_BEGIN();
	static const uint16_t cfgs[][2] = { { 3, 5 }, { 8, 1 }, { 5, 3 }, { 1, 8 }, { 7, 2 } };
	static uint8_t fr[RSS_LEN], got[RSS_LEN + 64];
	static uint8_t seen[1024];
	struct rx_set *rx = &rss_rx;
	unsigned int c, dir;

	for (c = 0; c < RTE_DIM(cfgs); c++) {
		uint16_t nrx = cfgs[c][0], ntx = cfgs[c][1];

		CHECK(rss_port_start(port_a, nrx, ntx, NB_DESC, ms_key, false) == 0 &&
		      rss_port_start(port_b, nrx, ntx, NB_DESC, ms_key, false) == 0,
		      "start %u RX / %u TX", nrx, ntx);
		for (dir = 0; dir < 2; dir++) {
			uint16_t src = dir ? port_b : port_a, dst = dir ? port_a : port_b;
			const struct rte_ether_addr *smac = dir ? &mac_b : &mac_a;
			const struct rte_ether_addr *dmac = dir ? &mac_a : &mac_b;
			unsigned int i, n = 40u * ntx, bad = 0, dup = 0;
			uint16_t q;

			memset(seen, 0, sizeof(seen));
			rx->n = 0;
			for (i = 0; i < n; i++) {
				struct rte_mbuf *m;
				struct flow f;

				rss_flow(i, &f);
				frame_build(fr, RSS_LEN, smac, dmac, &f, i);
				m = mbuf_make(fr, RSS_LEN, NULL, 0);
				CHECK(m != NULL, "alloc");
				q = (uint16_t)(i % ntx);
				if (tx_all(src, q, &m, 1) != 1) {
					rte_pktmbuf_free(m);
					rx_set_free(rx);
					CHECK(0, "%u RX / %u TX: txq %u refused", nrx, ntx, q);
				}
				if ((i & 63) == 63)
					rss_rx_until(dst, nrx, rx, i + 1);
			}
			rx_wait(dst, nrx, rx, n);
			for (i = 0; i < rx->n; i++) {
				struct mana_rss_fields fl;
				uint32_t len = mbuf_flat(rx->m[i], got, sizeof(got)), id;
				struct flow f;

				if (len != RSS_LEN || mana_rss_parse(got, len, &fl) == 0 ||
				    fl.sport < 20000 || fl.sport - 20000u >= n) {
					bad++;
					continue;
				}
				id = fl.sport - 20000u;
				rss_flow(id, &f);
				frame_build(fr, RSS_LEN, smac, dmac, &f, id);
				if (memcmp(fr, got, RSS_LEN) != 0)
					bad++;
				else if (seen[id]++ != 0)
					dup++;
			}
			i = rx->n;
			rx_set_free(rx);
			CHECK(i == n && bad == 0 && dup == 0,
			      "%u RX / %u TX, %s: %u of %u received, %u altered, %u duplicates",
			      nrx, ntx, dir ? "B -> A" : "A -> B", i, n, bad, dup);
		}
		ports_stop();
	}
	/* a port without RX queues still transmits */
	CHECK(rss_port_start(port_a, 0, 2, NB_DESC, NULL, false) == 0 &&
	      rss_port_start(port_b, 3, 1, NB_DESC, ms_key, false) == 0, "start 0 RX / 2 TX");
	rx->n = 0;
	for (c = 0; c < 64; c++) {
		struct rte_mbuf *m;
		struct flow f;

		rss_flow(c, &f);
		frame_build(fr, RSS_LEN, &mac_a, &mac_b, &f, c);
		m = mbuf_make(fr, RSS_LEN, NULL, 0);
		CHECK(m != NULL, "alloc");
		if (tx_all(port_a, (uint16_t)(c & 1), &m, 1) != 1) {
			rte_pktmbuf_free(m);
			CHECK(0, "0 RX / 2 TX: txq %u refused", c & 1);
		}
	}
	rx_wait(port_b, 3, rx, 64);
	c = rx->n;
	rx_set_free(rx);
	CHECK(c == 64, "0 RX / 2 TX: %u of 64 received", c);
	CASE_END();
}

/*
 * RX interrupts on queues of many hardware RQs: one channel per queue,
 * every RQ's CQ armed; a frame to any of them wakes its queue.
 */
static int
test_rss_intr(void)
{
	CASE_BEGIN();
	static uint8_t fr[RSS_LEN];
	struct rte_epoll_event ev[4];
	struct rx_set *rx = &rss_rx;
	uint16_t reta[MANA_INDIRECT_TABLE_SIZE];
	const uint16_t nq = 3;
	unsigned int id, woke[3] = { 0 };
	uint16_t q;
	int n;

	if (info_a.rx_desc_lim.nb_max < RSS_DESC_EXACT)
		MTEST_FAIL("queues of %u descriptors needed, the device allows %u: run under "
			   "mana-emu --max-wr 2048 on rdma-core 56.1", RSS_DESC_EXACT,
			   info_a.rx_desc_lim.nb_max);
	CHECK(rss_port_start(port_a, 1, 1, NB_DESC, NULL, false) == 0 &&
	      rss_port_start(port_b, nq, 1, RSS_DESC_EXACT, ms_key, true) == 0, "start");
	CHECK(reta_get(port_b, reta) == 0, "reta_query");
	for (q = 0; q < nq; q++)
		CHECK(rte_eth_dev_rx_intr_ctl_q(port_b, q, RTE_EPOLL_PER_THREAD,
						RTE_INTR_EVENT_ADD, (void *)(uintptr_t)(q + 1)) == 0,
		      "rx_intr_ctl_q add %u", q);
	/* 24 flows, one at a time: each wakes exactly the queue its hash picks */
	for (id = 0; id < 24; id++) {
		struct mana_rss_fields fl;
		struct rte_mbuf *m;
		struct flow f;
		uint16_t want;

		for (q = 0; q < nq; q++)
			CHECK(rte_eth_dev_rx_intr_enable(port_b, q) == 0, "rx_intr_enable %u", q);
		n = rte_epoll_wait(RTE_EPOLL_PER_THREAD, ev, RTE_DIM(ev), 0);
		CHECK(n == 0, "flow %u: %d wake-ups with nothing sent", id, n);
		rss_flow(id, &f);
		frame_build(fr, RSS_LEN, &mac_a, &mac_b, &f, id);
		CHECK(mana_rss_parse(fr, RSS_LEN, &fl) != 0, "parse");
		want = reta[mana_rss_table_index(mana_rss_hash(&fl, ms_key))];
		m = mbuf_make(fr, RSS_LEN, NULL, 0);
		CHECK(m != NULL, "alloc");
		if (tx_all(port_a, 0, &m, 1) != 1) {
			rte_pktmbuf_free(m);
			CHECK(0, "tx");
		}
		n = rte_epoll_wait(RTE_EPOLL_PER_THREAD, ev, 1, 2000);
		CHECK(n == 1 && ev[0].epdata.data == (void *)(uintptr_t)(want + 1),
		      "flow %u for queue %u: %d wake-ups (queue %ld)", id, want, n,
		      n == 1 ? (long)(uintptr_t)ev[0].epdata.data - 1 : -1L);
		woke[want]++;
		for (q = 0; q < nq; q++)
			CHECK(rte_eth_dev_rx_intr_disable(port_b, q) == 0, "rx_intr_disable");
		rx->n = 0;
		rx_wait(port_b, nq, rx, 1);
		n = (int)rx->n;
		q = n == 1 ? rx->queue[0] : UINT16_MAX;
		rx_set_free(rx);
		CHECK(n == 1 && q == want, "flow %u: %d frames, on queue %u of %u", id, n, q, want);
	}
	CHECK(woke[0] && woke[1] && woke[2], "wake-ups per queue: %u %u %u", woke[0], woke[1],
	      woke[2]);
	for (q = 0; q < nq; q++)
		rte_eth_dev_rx_intr_ctl_q(port_b, q, RTE_EPOLL_PER_THREAD, RTE_INTR_EVENT_DEL,
					  NULL);
	CASE_END();
}
/* First flow id whose hash picks table entry @p entry, -1 if none below 4096. */
static int
rss_flow_for_entry(unsigned int entry, unsigned int skip)
{
	static uint8_t fr[RSS_LEN];
	unsigned int id;

	for (id = 0; id < 4096; id++) {
		struct mana_rss_fields fl;
		struct flow f;

		rss_flow(id, &f);
		frame_build(fr, RSS_LEN, &mac_a, &mac_b, &f, id);
		if (mana_rss_parse(fr, RSS_LEN, &fl) != 0 &&
		    mana_rss_table_index(mana_rss_hash(&fl, ms_key)) == entry && skip-- == 0)
			return (int)id;
	}
	return -1;
}

static int
rss_send_flow(unsigned int id)
{
	static uint8_t fr[RSS_LEN];
	struct rte_mbuf *m;
	struct flow f;

	rss_flow(id, &f);
	frame_build(fr, RSS_LEN, &mac_a, &mac_b, &f, id);
	m = mbuf_make(fr, RSS_LEN, NULL, 0);
	if (m == NULL)
		return -ENOMEM;
	if (tx_all(port_a, 0, &m, 1) != 1) {
		rte_pktmbuf_free(m);
		return -EIO;
	}
	return 0;
}

/*
 * Introspection of multi-ring queues (3 queues, default table: queue 0 owns
 * 22 RQs of 64 descriptors, RQ r serving table entry 3r): rxq_info counts
 * every ring, rx_queue_count sums them, descriptor offset o is descriptor
 * o / 22 of RQ o % 22.
 */
static int
test_rss_introspection(void)
{
	CASE_BEGIN();
	struct rx_set *rx = &rss_rx;
	struct rte_eth_rxq_info ri;
	int e0a, e0b, e3, q1[5], cnt0, cnt1;
	unsigned int i;

	if (info_a.rx_desc_lim.nb_max < RSS_DESC_EXACT)
		MTEST_FAIL("queues of %u descriptors needed, the device allows %u: run under "
			   "mana-emu --max-wr 2048 on rdma-core 56.1", RSS_DESC_EXACT,
			   info_a.rx_desc_lim.nb_max);
	e0a = rss_flow_for_entry(0, 0);
	e0b = rss_flow_for_entry(0, 1);
	e3 = rss_flow_for_entry(3, 0);
	for (i = 0; i < 5; i++)
		q1[i] = rss_flow_for_entry(1 + 3 * i, 0);
	MTEST_ASSERT(e0a >= 0 && e0b >= 0 && e3 >= 0 && q1[0] >= 0 && q1[1] >= 0 &&
		     q1[2] >= 0 && q1[3] >= 0 && q1[4] >= 0, "no flow for some table entry");
	CHECK(rss_port_start(port_a, 1, 1, NB_DESC, NULL, false) == 0 &&
	      rss_port_start(port_b, 3, 1, RSS_DESC_EXACT, ms_key, false) == 0, "start");
	CHECK(rte_eth_rx_queue_info_get(port_b, 0, &ri) == 0 && ri.nb_desc == 22 * 64,
	      "queue 0: nb_desc %u, expected 22 RQs of 64", ri.nb_desc);
	CHECK(rte_eth_rx_queue_info_get(port_b, 1, &ri) == 0 && ri.nb_desc == 21 * 64,
	      "queue 1: nb_desc %u, expected 21 RQs of 64", ri.nb_desc);
	CHECK(rte_eth_rx_queue_count(port_b, 0) == 0 && rte_eth_rx_queue_count(port_b, 1) == 0,
	      "idle queues count %d %d", rte_eth_rx_queue_count(port_b, 0),
	      rte_eth_rx_queue_count(port_b, 1));
	CHECK(rte_eth_rx_descriptor_status(port_b, 0, 0) == RTE_ETH_RX_DESC_AVAIL &&
	      rte_eth_rx_descriptor_status(port_b, 0, 22 * 64 - 1) == RTE_ETH_RX_DESC_AVAIL &&
	      rte_eth_rx_descriptor_status(port_b, 0, 22 * 64) == -EINVAL,
	      "idle descriptor status: %d %d %d", rte_eth_rx_descriptor_status(port_b, 0, 0),
	      rte_eth_rx_descriptor_status(port_b, 0, 22 * 64 - 1),
	      rte_eth_rx_descriptor_status(port_b, 0, 22 * 64));
	CHECK(rss_send_flow(e0a) == 0 && rss_send_flow(e0b) == 0 && rss_send_flow(e3) == 0,
	      "tx to queue 0");
	for (i = 0; i < 5; i++)
		CHECK(rss_send_flow(q1[i]) == 0, "tx to queue 1");
	for (i = 0; i < 3000; i++) {
		if (rte_eth_rx_queue_count(port_b, 0) >= 3 && rte_eth_rx_queue_count(port_b, 1) >= 5)
			break;
		rte_delay_us_sleep(1000);
	}
	cnt0 = rte_eth_rx_queue_count(port_b, 0);
	cnt1 = rte_eth_rx_queue_count(port_b, 1);
	CHECK(cnt0 == 3 && cnt1 == 5 && rte_eth_rx_queue_count(port_b, 2) == 0,
	      "rx_queue_count %d %d %d, expected 3 5 0", cnt0, cnt1,
	      rte_eth_rx_queue_count(port_b, 2));
	/* RQ 0 holds 2 (offsets 0, 22), RQ 1 holds 1 (offset 1), RQ 2 none */
	CHECK(rte_eth_rx_descriptor_status(port_b, 0, 0) == RTE_ETH_RX_DESC_DONE &&
	      rte_eth_rx_descriptor_status(port_b, 0, 22) == RTE_ETH_RX_DESC_DONE &&
	      rte_eth_rx_descriptor_status(port_b, 0, 44) == RTE_ETH_RX_DESC_AVAIL &&
	      rte_eth_rx_descriptor_status(port_b, 0, 1) == RTE_ETH_RX_DESC_DONE &&
	      rte_eth_rx_descriptor_status(port_b, 0, 23) == RTE_ETH_RX_DESC_AVAIL &&
	      rte_eth_rx_descriptor_status(port_b, 0, 2) == RTE_ETH_RX_DESC_AVAIL,
	      "descriptor status of queue 0 at 0 22 44 1 23 2: %d %d %d %d %d %d",
	      rte_eth_rx_descriptor_status(port_b, 0, 0),
	      rte_eth_rx_descriptor_status(port_b, 0, 22),
	      rte_eth_rx_descriptor_status(port_b, 0, 44),
	      rte_eth_rx_descriptor_status(port_b, 0, 1),
	      rte_eth_rx_descriptor_status(port_b, 0, 23),
	      rte_eth_rx_descriptor_status(port_b, 0, 2));
	rx->n = 0;
	rx_wait(port_b, 3, rx, 8);
	i = rx->n;
	rx_set_free(rx);
	CHECK(i == 8, "received %u of 8", i);
	CHECK(rte_eth_rx_queue_count(port_b, 0) == 0 && rte_eth_rx_queue_count(port_b, 1) == 0,
	      "rx_queue_count after draining");
	CASE_END();
}
/* Traffic of the removal case: A sends, B's three queues are polled. */
struct rss_poller {
	volatile int stop;
	uint64_t bursts, rcvd;
};

static void *
rss_poll_thread(void *arg)
{
	struct rss_poller *pl = arg;
	static uint8_t fr[RSS_LEN];
	unsigned int id = 0;

	while (!pl->stop) {
		struct rte_mbuf *b[32];
		struct flow f;
		uint16_t q, n;

		rss_flow(id % 1024, &f);
		frame_build(fr, RSS_LEN, &mac_a, &mac_b, &f, id % 1024);
		b[0] = mbuf_make(fr, RSS_LEN, NULL, 0);
		if (b[0] != NULL && rte_eth_tx_burst(port_a, 0, b, 1) != 1)
			rte_pktmbuf_free(b[0]);
		id++;
		for (q = 0; q < 3; q++) {
			n = rte_eth_rx_burst(port_b, q, b, RTE_DIM(b));
			pl->rcvd += n;
			pl->bursts++;
			rte_pktmbuf_free_bulk(b, n);
		}
		rte_delay_us_sleep(20);
	}
	return NULL;
}

/*
 * Hot removal while another thread polls queues of 22 hardware RQs: one
 * RMV event per port, the bursts stop touching the rings, stop and close
 * return every mbuf. Closes the ports: runs alone.
 */
static int
test_rss_removal(void)
{
	struct rss_poller pl;
	struct rte_eth_conf conf;
	struct rte_mbuf *b[8];
	pthread_t th;
	uint64_t t0, hz = rte_get_timer_hz();
	uint16_t q;
	double secs;

	if (rte_eth_dev_count_avail() != 2) {
		printf("  ports already closed: run this case alone\n");
		return MTEST_SKIPPED;
	}
	if (info_a.rx_desc_lim.nb_max < RSS_DESC_EXACT)
		MTEST_FAIL("queues of %u descriptors needed, the device allows %u: run under "
			   "mana-emu --max-wr 2048 on rdma-core 56.1", RSS_DESC_EXACT,
			   info_a.rx_desc_lim.nb_max);
	ports_stop();
	MTEST_ASSERT_EQ(rte_eth_dev_callback_register(RTE_ETH_ALL, RTE_ETH_EVENT_INTR_RMV,
						     event_cb, NULL), 0);
	MTEST_ASSERT_EQ(rss_port_start(port_a, 1, 1, NB_DESC, NULL, false), 0);
	MTEST_ASSERT_EQ(rss_port_start(port_b, 3, 1, RSS_DESC_EXACT, ms_key, false), 0);
	/* the RMV event needs intr_conf.rmv: reconfigure both with it */
	ports_stop();
	memset(&conf, 0, sizeof(conf));
	conf.intr_conf.rmv = 1;
	MTEST_ASSERT_EQ(rte_eth_dev_configure(port_a, 1, 1, &conf), 0);
	conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	conf.rx_adv_conf.rss_conf.rss_hf = info_a.flow_type_rss_offloads &
		(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
	conf.rx_adv_conf.rss_conf.rss_key = (uint8_t *)(uintptr_t)ms_key;
	conf.rx_adv_conf.rss_conf.rss_key_len = MANA_HASH_KEY_SIZE;
	MTEST_ASSERT_EQ(rte_eth_dev_configure(port_b, 3, 1, &conf), 0);
	MTEST_ASSERT_EQ(rte_eth_dev_start(port_a), 0);
	MTEST_ASSERT_EQ(rte_eth_dev_start(port_b), 0);
	memset(&pl, 0, sizeof(pl));
	MTEST_ASSERT_EQ(pthread_create(&th, NULL, rss_poll_thread, &pl), 0);
	rte_delay_us_sleep(50 * 1000);
	MTEST_ASSERT_EQ(emu.remove(0), 0);
	events_wait_both(RTE_ETH_EVENT_INTR_RMV, 3);
	rte_delay_us_sleep(20 * 1000);	/* bursts on the removed port go on */
	pl.stop = 1;
	pthread_join(th, NULL);
	MTEST_ASSERT(rmv_events[port_a] == 1 && rmv_events[port_b] == 1,
		     "RMV events: port1 %u, port2 %u (expected one each within 3 s)",
		     rmv_events[port_a], rmv_events[port_b]);
	MTEST_ASSERT(pl.rcvd > 0, "nothing received before the removal (%" PRIu64 " bursts)",
		     pl.bursts);
	for (q = 0; q < 3; q++)
		MTEST_ASSERT(rte_eth_rx_burst(port_b, q, b, RTE_DIM(b)) == 0,
			     "rx_burst on queue %u of a removed port", q);
	t0 = rte_get_timer_cycles();
	rte_eth_dev_stop(port_a);
	rte_eth_dev_stop(port_b);
	rte_eth_dev_close(port_a);
	rte_eth_dev_close(port_b);
	secs = (double)(rte_get_timer_cycles() - t0) / hz;
	MTEST_ASSERT(secs < 2.0, "stop and close took %.1f s", secs);
	MTEST_ASSERT(rte_mempool_in_use_count(pool) == 0,
		     "%u mbufs still in use after stop/close of the removed ports",
		     rte_mempool_in_use_count(pool));
	MTEST_ASSERT(emu.violation_count() == 0, "emulator violations: %s", violations());
	return MTEST_SUCCESS;
}

#define rss_recovered events_seen[RTE_ETH_EVENT_RECOVERY_SUCCESS]

/*
 * Service reset with queues of several hardware RQs and an application
 * table: the driver rebuilds the port, the same table is in force and
 * traffic follows it (the multi-ring burst is back in ethdev's table).
 */
static int
test_rss_reset(void)
{
	CASE_BEGIN();
	uint16_t want[MANA_INDIRECT_TABLE_SIZE];
	unsigned int used;

	if (info_a.rx_desc_lim.nb_max < RSS_DESC_EXACT)
		MTEST_FAIL("queues of %u descriptors needed, the device allows %u: run under "
			   "mana-emu --max-wr 2048 on rdma-core 56.1", RSS_DESC_EXACT,
			   info_a.rx_desc_lim.nb_max);
	MTEST_ASSERT_EQ(rte_eth_dev_callback_register(RTE_ETH_ALL,
						     RTE_ETH_EVENT_RECOVERY_SUCCESS,
						     event_cb, NULL), 0);
	CHECK(rss_port_start(port_a, 1, 1, NB_DESC, NULL, false) == 0 &&
	      rss_port_start(port_b, 3, 1, RSS_DESC_EXACT, ms_key, false) == 0, "start");
	rss_reta_random(want, 3);
	CHECK(rss_reta_set(port_b, want) == 0, "reta_update");
	if (rss_flows_check(3, ms_key, want, 256, &used) != MTEST_SUCCESS) {
		ports_stop();
		MTEST_FAIL("before the reset");
	}
	CHECK(emu.reset(0, 100) == 0, "mana_emu_reset");
	events_wait_both(RTE_ETH_EVENT_RECOVERY_SUCCESS, 10);
	CHECK(rss_recovered[port_a] == 1 && rss_recovered[port_b] == 1,
	      "recovery events: port1 %u, port2 %u (expected one each within 10 s)",
	      rss_recovered[port_a], rss_recovered[port_b]);
	if (rss_reta_expect(want, "after recovery") != MTEST_SUCCESS ||
	    rss_flows_check(3, ms_key, want, 256, &used) != MTEST_SUCCESS) {
		ports_stop();
		MTEST_FAIL("after the reset");
	}
	CHECK(used == 3, "%u of 3 queues used after recovery", used);
	CASE_END();
}
/*
 * Jumbo frames (MTU 9000, 2 KB mbufs: 5 buffers per WQE) on queues of
 * several hardware RQs: byte-exact, on the queue of the table in force.
 */
static int
test_rss_jumbo(void)
{
	CASE_BEGIN();
	static uint8_t fr[MAX_FRAME], got[MAX_FRAME];
	static const uint32_t sizes[] = { 1515, 2048, 2049, 4000, 8192, 9000, 9014 };
	uint16_t reta[MANA_INDIRECT_TABLE_SIZE];
	struct rx_set *rx = &rss_rx;
	unsigned int i, n = 0, bad = 0, misq = 0, multi = 0;
	uint16_t q;
	int ret;

	rss_jumbo = true;
	/* 3 queues of 512: 6, 5 and 5 RQs of 64 WQEs of 5 buffers */
	ret = rss_port_start(port_a, 1, 1, NB_DESC, NULL, false);
	if (ret == 0)
		ret = rss_port_start(port_b, 3, 1, 512, ms_key, false);
	rss_jumbo = false;
	CHECK(ret == 0, "start with MTU 9000");
	CHECK(reta_get(port_b, reta) == 0, "reta_query");
	rx->n = 0;
	for (i = 0; i < 96; i++) {
		uint32_t len = sizes[i % RTE_DIM(sizes)];
		struct rte_mbuf *m;
		struct flow f;

		rss_flow(i, &f);
		frame_build(fr, len, &mac_a, &mac_b, &f, i);
		m = mbuf_make(fr, len, NULL, 0);
		CHECK(m != NULL, "alloc");
		if (tx_all(port_a, 0, &m, 1) != 1) {
			rte_pktmbuf_free(m);
			rx_set_free(rx);
			CHECK(0, "A did not take a %u-byte frame", len);
		}
		n++;
		if ((i & 15) == 15)
			rss_rx_until(port_b, 3, rx, n);
	}
	rx_wait(port_b, 3, rx, n);
	for (i = 0; i < rx->n; i++) {
		struct mana_rss_fields fl;
		uint32_t len = mbuf_flat(rx->m[i], got, sizeof(got)), id;
		struct flow f;

		q = rx->queue[i];
		if (mana_rss_parse(got, len, &fl) == 0 || fl.sport < 20000 ||
		    fl.sport - 20000u >= n) {
			bad++;
			continue;
		}
		id = fl.sport - 20000u;
		rss_flow(id, &f);
		frame_build(fr, sizes[id % RTE_DIM(sizes)], &mac_a, &mac_b, &f, id);
		if (len != sizes[id % RTE_DIM(sizes)] || memcmp(fr, got, len) != 0)
			bad++;
		if (q != reta[mana_rss_table_index(mana_rss_hash(&fl, ms_key))])
			misq++;
		if (rx->m[i]->nb_segs > 1)
			multi++;
	}
	i = rx->n;
	rx_set_free(rx);
	CHECK(i == n && bad == 0 && misq == 0,
	      "%u of %u jumbo frames received, %u altered, %u on the wrong queue", i, n, bad,
	      misq);
	CHECK(multi > 0, "no frame was scattered over several mbufs");
	CASE_END();
}
/* ======================================================= end of RSS cases */

/* ------------------------------------------------------ memory (probe branch) */

static unsigned int ext_freed;

static void
ext_free_cb(void *addr __rte_unused, void *opaque __rte_unused)
{
	ext_freed++;
}

/*
 * An mbuf whose data lives at @p buf (an external buffer of @p cap bytes
 * with its shared info @p shinfo), holding @p len bytes of @p data.
 */
static struct rte_mbuf *
mbuf_ext(void *buf, uint16_t cap, struct rte_mbuf_ext_shared_info *shinfo,
	 const uint8_t *data, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	if (m == NULL)
		return NULL;
	rte_mbuf_ext_refcnt_set(shinfo, 1);
	shinfo->free_cb = ext_free_cb;
	shinfo->fcb_opaque = NULL;
	rte_pktmbuf_attach_extbuf(m, buf, rte_mem_virt2iova(buf), cap, shinfo);
	m->data_off = 0;
	memcpy(buf, data, len);
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	return m;
}

/* Send @p m A -> B and expect it back byte for byte; MTEST_SUCCESS or not. */
static int
exchange_check(struct rte_mbuf *m, const uint8_t *fr, uint32_t len, const char *what)
{
	struct rx_set *rx = calloc(1, sizeof(*rx));
	int rc;

	MTEST_ASSERT(rx != NULL, "calloc");
	rc = exchange_one(m, fr, len, 1, rx);
	rx_set_free(rx);
	free(rx);
	if (rc != MTEST_SUCCESS)
		fprintf(stderr, "  %s\n", what);
	return rc;
}

/*
 * Memory registration: mbufs of a mempool created after start, of a pool
 * freed and replaced while started, external buffers in DPDK's heap and in
 * external memory mapped with rte_dev_dma_map() all go out byte-exact; an
 * external buffer in memory nobody registered stays with the caller.
 */
static int
test_memory(void)
{
	CASE_BEGIN();
	static uint8_t fr[1514];
	struct rte_mbuf_ext_shared_info *shinfo;
	struct rte_eth_dev_info info;
	struct rte_mempool *late;
	struct rte_mbuf *m;
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), ext_len = 4 * pg;
	uint8_t *heap, *ext;
	struct flow f;
	unsigned int i, round;
	uint64_t xid, miss0, miss1;
	uint16_t sent;

	MTEST_ASSERT_EQ(ports_start(&cfg_default, &cfg_default), 0);
	flow_default(&f, 0, IPPROTO_UDP);

	/* pools created (and one destroyed and replaced) while the port runs */
	for (round = 0; round < 2; round++) {
		char name[32];

		snprintf(name, sizeof(name), "late%u", round);
		late = rte_pktmbuf_pool_create(name, 511, 0, 0,
					       RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
		CHECK(late != NULL, "pool %s: %s", name, rte_strerror(rte_errno));
		for (i = 0; i < 16; i++) {
			uint32_t len = 60 + (i * 97) % 1400;

			frame_build(fr, len, &mac_a, &mac_b, &f, 1000 * round + i);
			m = rte_pktmbuf_alloc(late);
			CHECK(m != NULL, "alloc from %s", name);
			memcpy(rte_pktmbuf_append(m, (uint16_t)len), fr, len);
			if (exchange_check(m, fr, len, name) != MTEST_SUCCESS) {
				ports_stop();
				return MTEST_FAILED;
			}
		}
		/* the last TX completions give the mbufs back */
		for (i = 0; i < 100 && rte_mempool_in_use_count(late) != 0; i++) {
			rte_eth_tx_done_cleanup(port_a, 0, 0);
			emu_poll();
		}
		CHECK(rte_mempool_in_use_count(late) == 0, "%s: %u mbufs in use",
		      name, rte_mempool_in_use_count(late));
		rte_mempool_free(late);
	}

	/* external buffers in DPDK's heap (not in any mempool) */
	heap = rte_malloc("ext", 2048 + sizeof(*shinfo), 64);
	CHECK(heap != NULL, "rte_malloc");
	shinfo = (struct rte_mbuf_ext_shared_info *)(heap + 2048);
	ext_freed = 0;
	for (i = 0; i < 8; i++) {
		uint32_t len = 60 + i * 180;

		frame_build(fr, len, &mac_a, &mac_b, &f, 5000 + i);
		m = mbuf_ext(heap, 2048, shinfo, fr, len);
		CHECK(m != NULL, "extbuf mbuf");
		if (exchange_check(m, fr, len, "external buffer in rte_malloc memory") !=
		    MTEST_SUCCESS) {
			rte_free(heap);
			ports_stop();
			return MTEST_FAILED;
		}
		/* the TX completion gives the buffer back before the next round */
		rte_eth_tx_done_cleanup(port_a, 0, 0);
		CHECK(ext_freed == i + 1, "external buffer %u not released (%u)", i, ext_freed);
	}
	rte_free(heap);

	/* external memory: refused until mapped, byte-exact once mapped */
	ext = mmap(NULL, ext_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(ext != MAP_FAILED, "mmap");
	shinfo = (struct rte_mbuf_ext_shared_info *)(ext + ext_len - sizeof(*shinfo));
	frame_build(fr, 200, &mac_a, &mac_b, &f, 6000);
	ext_freed = 0;
	m = mbuf_ext(ext, 2048, shinfo, fr, 200);
	CHECK(m != NULL, "extbuf mbuf");
	CHECK(rte_eth_xstats_get_id_by_name(port_a, "tx_q0_mr_misses", &xid) == 0,
	      "no xstat tx_q0_mr_misses");
	CHECK(rte_eth_xstats_get_by_id(port_a, &xid, &miss0, 1) == 1, "xstat");
	sent = rte_eth_tx_burst(port_a, 0, &m, 1);
	CHECK(rte_eth_xstats_get_by_id(port_a, &xid, &miss1, 1) == 1, "xstat");
	if (sent == 0 && miss1 != miss0 + 1) {
		rte_pktmbuf_free(m);
		munmap(ext, ext_len);
		CHECK(false, "tx_q0_mr_misses %" PRIu64 " -> %" PRIu64, miss0, miss1);
	}
	if (sent != 0) {
		munmap(ext, ext_len);
		CHECK(sent == 0, "an external buffer in unregistered memory was accepted");
	}
	/* still ours: free it */
	rte_pktmbuf_free(m);
	CHECK(ext_freed == 1, "refused mbuf not intact");
	CHECK(rte_extmem_register(ext, ext_len, NULL, 0, pg) == 0,
	      "rte_extmem_register: %s", rte_strerror(rte_errno));
	CHECK(rte_eth_dev_info_get(port_a, &info) == 0, "info");
	if (rte_dev_dma_map(info.device, ext, (uint64_t)(uintptr_t)ext, ext_len) != 0) {
		rte_extmem_unregister(ext, ext_len);
		munmap(ext, ext_len);
		CHECK(false, "rte_dev_dma_map: %s", rte_strerror(rte_errno));
	}
	ext_freed = 0;
	for (i = 0; i < 8; i++) {
		uint32_t len = 60 + i * 180;

		frame_build(fr, len, &mac_a, &mac_b, &f, 7000 + i);
		m = mbuf_ext(ext, 2048, shinfo, fr, len);
		CHECK(m != NULL, "extbuf mbuf");
		if (exchange_check(m, fr, len, "external buffer in mapped external memory") !=
		    MTEST_SUCCESS)
			break;
		rte_eth_tx_done_cleanup(port_a, 0, 0);
	}
	ports_stop();
	CHECK(ext_freed == i, "%u of %u external buffers released", ext_freed, i);
	CHECK(rte_dev_dma_unmap(info.device, ext, (uint64_t)(uintptr_t)ext, ext_len) == 0,
	      "rte_dev_dma_unmap: %s", rte_strerror(rte_errno));
	rte_extmem_unregister(ext, ext_len);
	munmap(ext, ext_len);
	CHECK(i == 8, "external memory: stopped at buffer %u", i);
	CASE_END();
}

/* Send @p n frames of @p len bytes A -> B from the main pool; number sent. */
static unsigned int
send_frames(unsigned int n, uint32_t len, uint32_t seed)
{
	static uint8_t fr[1514];
	struct rte_mbuf *b[64];
	struct flow f;
	unsigned int done = 0, i, k, sent;

	flow_default(&f, 0, IPPROTO_UDP);
	while (done < n) {
		k = RTE_MIN(n - done, RTE_DIM(b));
		for (i = 0; i < k; i++) {
			frame_build(fr, len, &mac_a, &mac_b, &f, seed + done + i);
			b[i] = mbuf_make(fr, len, NULL, 0);
			if (b[i] == NULL)
				break;
		}
		sent = tx_all(port_a, 0, b, i);
		while (i > sent)
			rte_pktmbuf_free(b[--i]);
		done += sent;
		if (sent < k)
			break;
	}
	return done;
}

/*
 * RX refill when the mempool runs dry: the queue keeps delivering what it
 * has, counts rx_nombuf, and once mbufs come back later bursts refill it to
 * its full depth (a burst of nb_desc frames arriving while nobody polls is
 * received whole, no frame dropped for lack of WQEs).
 */
static int
test_rx_nombuf(void)
{
	CASE_BEGIN();
	struct rx_set *held = calloc(1, sizeof(*held)), *rx = calloc(1, sizeof(*rx));
	struct rte_mempool *small, *saved = pool;
	struct rte_eth_rxq_info qi;
	struct rte_eth_stats sb;
	uint64_t nowqe0, nowqe1;
	unsigned int spare = 64, depth, i, n;

	MTEST_ASSERT(held != NULL && rx != NULL, "calloc");
	MTEST_ASSERT_EQ(port_start(port_a, &cfg_default), 0);
	small = rte_pktmbuf_pool_create("rx_small", NB_DESC + spare, 0, 0,
					RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	CHECK(small != NULL, "pool: %s", rte_strerror(rte_errno));
	pool = small;			/* port B's RX queue takes its mbufs here */
	i = (unsigned int)port_start(port_b, &cfg_default);
	pool = saved;
	CHECK(i == 0, "start B on the small pool");
	CHECK(rte_eth_rx_queue_info_get(port_b, 0, &qi) == 0, "rxq info");
	depth = qi.nb_desc;
	CHECK(rte_eth_stats_reset(port_b) == 0, "reset");

	/* hold every mbuf B receives until the pool is dry and frames drop */
	nowqe0 = emu_counter(1, "rx_discards_nowqe");
	for (n = 0; n < 8 && emu_counter(1, "rx_discards_nowqe") == nowqe0; n++) {
		CHECK(send_frames(64, 200, 64 * n) == 64, "send");
		rx_wait(port_b, 1, held, held->n + 64);
	}
	nowqe1 = emu_counter(1, "rx_discards_nowqe");
	CHECK(nowqe1 > nowqe0, "no frame dropped with the pool dry (%u held)", held->n);
	CHECK(rte_eth_stats_get(port_b, &sb) == 0, "stats");
	CHECK(sb.rx_nombuf > 0, "rx_nombuf is 0 with the pool dry");
	CHECK(held->n <= depth + spare, "received %u with %u mbufs", held->n, depth + spare);

	/* give the mbufs back; later bursts (empty ones) must refill */
	rx_set_free(held);
	for (i = 0; i < 50; i++) {
		rx_poll(port_b, 1, rx);
		emu_poll();
	}
	CHECK(rx->n == 0, "%u frames out of nowhere", rx->n);
	CHECK((unsigned int)rte_mempool_avail_count(small) >= spare - 1,
	      "the RQ took more than its depth: %u mbufs left of %u", rte_mempool_avail_count(small),
	      depth + spare);

	/* a full ring's worth arriving while B does not poll: none dropped */
	nowqe0 = emu_counter(1, "rx_discards_nowqe");
	n = send_frames(depth, 200, 9000);
	CHECK(n == depth, "sent %u of %u", n, depth);
	for (i = 0; i < 200 && emu_counter(1, "rx_frames") + emu_counter(1, "rx_discards_nowqe") <
	     emu_counter(1, "rx_wire_frames"); i++)
		rte_delay_us_sleep(1000);
	nowqe1 = emu_counter(1, "rx_discards_nowqe");
	rx_wait(port_b, 1, rx, depth);
	n = rx->n;
	rx_set_free(rx);
	CHECK(nowqe1 == nowqe0, "%" PRIu64 " frames dropped for lack of WQEs after the refill",
	      nowqe1 - nowqe0);
	CHECK(n == depth, "received %u of %u after the refill", n, depth);
	ports_stop();
	free(held);
	free(rx);
	CHECK(rte_mempool_in_use_count(small) == 0, "%u mbufs of the small pool leaked",
	      rte_mempool_in_use_count(small));
	rte_mempool_free(small);
	CASE_END();
}

/*
 * TX error CQEs: the device drops the frames whose completions carry an
 * error (injected by the emulator, SA drop then MTU drop), each error CQE
 * completes exactly its own WQE (the others around it, suppressed, still
 * go out and are freed), oerrors and the per-type xstats count them, and
 * the frames that do arrive are exactly the others, in order.
 */
static int
test_tx_errors(void)
{
	CASE_BEGIN();
	static const struct {
		unsigned int type, count;
		const char *xstat;
	} inj[] = {
		{ CQE_TX_SA_DROP, 3, "tx_q0_cqe_sa_drop" },
		{ CQE_TX_MTU_DROP, 1, "tx_q0_cqe_mtu_drop" },
	};
	struct rx_set *rx = calloc(1, sizeof(*rx));
	static uint8_t fr[256], got[256];
	struct rte_eth_stats sa;
	unsigned int r, i, n = 32, errs = 0, sent;
	uint64_t v;
	struct flow f;

	MTEST_ASSERT(rx != NULL, "calloc");
	MTEST_ASSERT_EQ(ports_start(&cfg_default, &cfg_default), 0);
	CHECK(rte_eth_stats_reset(port_a) == 0 && rte_eth_xstats_reset(port_a) == 0, "reset");
	flow_default(&f, 0, IPPROTO_UDP);
	for (r = 0; r < RTE_DIM(inj); r++) {
		CHECK(emu.inject_tx_error(0, 0, inj[r].count, inj[r].type) == 0, "inject");
		sent = send_frames(n, 200, 100 * r);
		CHECK(sent == n, "sent %u of %u", sent, n);
		rx_wait(port_b, 1, rx, n - inj[r].count);
		CHECK(rx->n == n - inj[r].count, "round %u: received %u, expected %u", r, rx->n,
		      n - inj[r].count);
		/* the first frames of the round met the errors; the rest arrive */
		for (i = 0; i < rx->n; i++) {
			frame_build(fr, 200, &mac_a, &mac_b, &f, 100 * r + inj[r].count + i);
			if (mbuf_flat(rx->m[i], got, sizeof(got)) != 200 ||
			    memcmp(got, fr, 200) != 0)
				break;
		}
		rx_set_free(rx);
		CHECK(i == n - inj[r].count, "round %u: frame %u is not the expected one", r, i);
		errs += inj[r].count;
		for (i = 0; i < 100; i++) {
			rte_eth_tx_done_cleanup(port_a, 0, 0);
			if (mtest_xstat(port_a, inj[r].xstat, &v) == 0 && v == inj[r].count)
				break;
			emu_poll();
		}
		CHECK(mtest_xstat(port_a, inj[r].xstat, &v) == 0 && v == inj[r].count,
		      "%s = %" PRIu64 ", expected %u", inj[r].xstat, v, inj[r].count);
	}
	CHECK(mtest_xstat(port_a, "tx_q0_error_cqes", &v) == 0 && v == errs,
	      "tx_q0_error_cqes = %" PRIu64 ", expected %u", v, errs);
	CHECK(mtest_xstat(port_a, "tx_q0_spurious_cqes", &v) == 0 && v == 0,
	      "tx_q0_spurious_cqes = %" PRIu64, v);
	CHECK(rte_eth_stats_get(port_a, &sa) == 0, "stats");
	CHECK(sa.oerrors == errs, "oerrors %" PRIu64 ", expected %u", sa.oerrors, errs);
	CHECK(sa.opackets == RTE_DIM(inj) * n - errs, "opackets %" PRIu64 ", expected %u",
	      sa.opackets, (unsigned int)RTE_DIM(inj) * n - errs);
	free(rx);
	CASE_END();
}

/*
 * TX completions with errors in WQEs whose CQE was suppressed: each brings
 * its own CQE, so the reaper reclaims part of a burst's range, then the
 * rest. Every packet comes back to the pool exactly once (the one the
 * application still holds a reference to stays), the error count is
 * exact, the good packets arrive; with and without MBUF_FAST_FREE, with a
 * two-segment packet in the general path's range.
 */
static int
test_tx_ranges(void)
{
	CASE_BEGIN();
	static uint8_t fr[128];
	static const uint16_t seg2[] = { 40, 0 };
	struct rx_set *rx = calloc(1, sizeof(*rx));
	struct port_cfg c = cfg_default;
	struct rte_mbuf *b[32], *held = NULL;
	struct rte_eth_stats st;
	unsigned int pass, burst, i, k, base, sent, in_use = 0;
	uint64_t deadline, spurious = 0;
	struct flow f;

	MTEST_ASSERT(rx != NULL, "calloc");
	flow_default(&f, 0, IPPROTO_UDP);
	for (pass = 0; pass < 2; pass++) {
		bool ff = pass == 1;

		c.tx_offloads = ff ? RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE :
			RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
		CHECK(ports_start(&c, &cfg_default) == 0, "start (fast free %d)", ff);
		rte_eth_stats_reset(port_a);
		base = rte_mempool_in_use_count(pool);
		/* WQEs 1-3 of the first burst fail: suppressed, so each its own CQE */
		CHECK(emu.inject_tx_error(0, 0, 3, CQE_TX_SA_DROP) == 0, "inject");
		sent = 0;
		for (burst = 0; burst < 4; burst++) {
			for (i = 0; i < RTE_DIM(b); i++) {
				frame_build(fr, 80, &mac_a, &mac_b, &f, burst * 32 + i);
				b[i] = !ff && burst == 1 && i == 5 ? mbuf_make(fr, 80, seg2, 2) :
					mbuf_make(fr, 80, NULL, 0);
				CHECK(b[i] != NULL, "alloc");
			}
			if (!ff && burst == 2) {
				/* the application keeps a reference to one */
				held = b[7];
				rte_mbuf_refcnt_update(held, 1);
			}
			k = rte_eth_tx_burst(port_a, 0, b, RTE_DIM(b));
			for (i = k; i < RTE_DIM(b); i++)
				rte_pktmbuf_free(b[i]);
			CHECK(k == RTE_DIM(b), "burst %u: %u of %zu taken", burst, k, RTE_DIM(b));
			sent += k;
			if (burst == 0)
				rx_wait(port_b, 1, rx, sent - 3);
		}
		rx_wait(port_b, 1, rx, sent - 3);
		k = rx->n;
		rx_set_free(rx);
		CHECK(k == sent - 3, "%u of %u good packets arrived", k, sent - 3);
		/* everything sent is reclaimed by the reaper, before any stop */
		deadline = rte_get_timer_cycles() + rte_get_timer_hz() * 2;
		do {
			rte_eth_tx_done_cleanup(port_a, 0, 0);
			emu_poll();
			in_use = rte_mempool_in_use_count(pool);
		} while (in_use != base + (held ? 1 : 0) && rte_get_timer_cycles() < deadline);
		CHECK(in_use == base + (held ? 1 : 0), "%u mbufs in use, %u expected", in_use,
		      base + (held ? 1 : 0));
		if (held != NULL) {
			CHECK(rte_mbuf_refcnt_read(held) == 1, "held mbuf refcnt %u",
			      rte_mbuf_refcnt_read(held));
			rte_pktmbuf_free(held);
			held = NULL;
		}
		CHECK(rte_eth_stats_get(port_a, &st) == 0, "stats");
		/* a packet the device dropped with an error CQE was not sent */
		CHECK(st.opackets == sent - 3 && st.oerrors == 3, "opackets %" PRIu64
		      " oerrors %" PRIu64 ", expected %u and 3", st.opackets, st.oerrors,
		      sent - 3);
		CHECK(st.obytes == (uint64_t)(sent - 3) * 80, "obytes %" PRIu64 ", expected %u",
		      st.obytes, (sent - 3) * 80);
		CHECK(mtest_xstat(port_a, "tx_q0_spurious_cqes", &spurious) == 0 && spurious == 0,
		      "spurious CQEs: %" PRIu64, spurious);
		ports_stop();
	}
	free(rx);
	CASE_END();
}

static const struct mtest_case cases[] = {
	{ "lifecycle", test_lifecycle },
	{ "txrx", test_txrx },
	{ "jumbo", test_jumbo },
	{ "cksum_tx", test_cksum_tx },
	{ "cksum_rx", test_cksum_rx },
	{ "tso", test_tso },
	{ "vlan", test_vlan },
	{ "rss", test_rss },
	{ "stats", test_stats },
	{ "cycles", test_cycles },
	{ "bad_input", test_bad_input },
	{ "tx_prefix", test_tx_prefix },
	{ "control", test_control },
	{ "introspection", test_introspection },
	{ "rx_intr", test_rx_intr },
	{ "garbage", test_garbage },
	{ "close", test_close },
	{ "removal", test_removal },
	{ "memory", test_memory },
	{ "rx_nombuf", test_rx_nombuf },
	{ "tx_errors", test_tx_errors },
	{ "tx_ranges", test_tx_ranges },
	/* RSS over any queue count */
	{ "rss_queues", test_rss_queues },
	{ "rss_desc_limit", test_rss_desc_limit },
	{ "rss_reta_live", test_rss_reta_live },
	{ "rss_unequal", test_rss_unequal },
	{ "rss_intr", test_rss_intr },
	{ "rss_introspection", test_rss_introspection },
	{ "rss_jumbo", test_rss_jumbo },
	{ "rss_removal", test_rss_removal },
	{ "rss_reset", test_rss_reset },
};

static int
find_ports(void)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	uint16_t p;
	int found = 0;

	RTE_ETH_FOREACH_DEV(p) {
		if (rte_eth_dev_get_name_by_port(p, name) != 0)
			continue;
		if (strcmp(name, PCI_ADDR "_port1") == 0) {
			port_a = p;
			found |= 1;
		} else if (strcmp(name, PCI_ADDR "_port2") == 0) {
			port_b = p;
			found |= 2;
		} else {
			fprintf(stderr, "unexpected port %u: %s\n", p, name);
		}
	}
	if (found != 3) {
		fprintf(stderr, "ports %s_port1 and _port2 not both found (%u ports)\n",
			PCI_ADDR, rte_eth_dev_count_avail());
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	int ret, nargs;
	char **args;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	args = mtest_case_args(argc, argv, ret, &nargs);
	if (emu_bind() != 0 || find_ports() != 0)
		return 1;
	rte_eth_macaddr_get(port_a, &mac_a);
	rte_eth_macaddr_get(port_b, &mac_b);
	if (rte_eth_dev_info_get(port_a, &info_a) != 0)
		return 1;
	pool = rte_pktmbuf_pool_create("test_driver", NB_MBUF, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (pool == NULL) {
		fprintf(stderr, "mbuf pool: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	ret = mtest_run("driver", cases, MTEST_N(cases), nargs, args);
	rte_eal_cleanup();
	return ret;
}
