/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Suite `driver`: net_mana against bad input and a lying device (the hardening rules of design.rst).
 */

/*
 * Runs under the emulator CLI like test-mana-driver (two vPorts wired back
 * to back):
 *   mana-emu --ports 2 --strict -- test-mana-hardening <EAL args> -- [case...]
 * Each case is one of issue 12's defects or rules, checked on outcomes:
 * rte_errno, bytes on the wire, xstats, the mbuf pool back at its count,
 * no emulator violation. Forged completions come from the emulator's
 * mana_emu_forge_cqe() fault. Environment: MANA_TEST_FUZZ_ITERS (fuzz
 * iterations, default 10000), MANA_TEST_SEED (fuzz seed, default 1).
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

/* ---------------------------------------------------------- hardening */

/* The forge fault, looked up like the rest of the control API. */
static __typeof__(mana_emu_forge_cqe) *emu_forge;
static __typeof__(mana_emu_forged_cqes) *emu_forged;

static int
forge_bind(void)
{
	*(void **)&emu_forge = dlsym(RTLD_DEFAULT, "mana_emu_forge_cqe");
	*(void **)&emu_forged = dlsym(RTLD_DEFAULT, "mana_emu_forged_cqes");
	if (emu_forge == NULL || emu_forged == NULL) {
		fprintf(stderr, "mana_emu_forge_cqe not found: run under mana-emu\n");
		return -1;
	}
	return 0;
}

static uint64_t
xstat(uint16_t port, const char *name)
{
	uint64_t v = 0;

	if (mtest_xstat(port, name, &v) != 0)
		return UINT64_MAX;
	return v;
}

static uint32_t rng_state = 1;

static uint32_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static unsigned int
env_count(const char *name, unsigned int dflt)
{
	const char *s = getenv(name);

	return s != NULL && *s != '\0' ? (unsigned int)strtoul(s, NULL, 0) : dflt;
}

/* ------------------------------------------------------------ devargs */

/*
 * D1, D16, and devargs surviving any string: the function is probed again
 * with each string; a bad one fails with a log line naming the problem,
 * none crashes, the port comes back with good devargs.
 */
static int
test_devargs(void)
{
	static const char *const bad[] = {
		"mac", "recovery_timeout_ms", "mac,recovery_timeout_ms", "mac=",
		"mac==", "mac=,", "=mac", "=", "mac=zz:zz:zz:zz:zz:zz",
		"mac=00:11:22:33:44:55:66", "recovery_timeout_ms=", "unknown=1",
		"mac=%s,mac=%s", "recovery_timeout_ms=1,recovery_timeout_ms",
		"mac=%s,mac", "mac=%s,=", "recovery_timeout_ms=99999999999999999999",
	};
	static const char alphabet[] = "mac=,:0123456789abcdefABCDEFrecovery_timeout_ms \t=";
	char args[256], smac[RTE_ETHER_ADDR_FMT_SIZE], *log = NULL;
	size_t log_len = 0;
	unsigned int i, k, accepted = 0;
	FILE *f;
	int ret;

	rte_ether_format_addr(smac, sizeof(smac), &mac_a);
	ports_stop();
	MTEST_ASSERT_EQ(rte_eal_hotplug_remove("pci", PCI_ADDR), 0);
	for (i = 0; i < RTE_DIM(bad) + 200; i++) {
		if (i < RTE_DIM(bad)) {
			const char *p = bad[i], *q;
			size_t o = 0;

			/* "%s" stands for port A's MAC */
			while ((q = strstr(p, "%s")) != NULL && o < sizeof(args) / 2) {
				o += snprintf(args + o, sizeof(args) - o, "%.*s%s", (int)(q - p), p, smac);
				p = q + 2;
			}
			snprintf(args + o, sizeof(args) - o, "%s", p);
		} else {
			/* random strings over the devargs alphabet */
			unsigned int n = 1 + rnd() % 40;

			for (k = 0; k < n; k++)
				args[k] = alphabet[rnd() % (sizeof(alphabet) - 1)];
			args[n] = '\0';
		}
		f = open_memstream(&log, &log_len);
		MTEST_ASSERT(f != NULL, "open_memstream");
		rte_openlog_stream(f);
		ret = rte_eal_hotplug_add("pci", PCI_ADDR, args);
		rte_openlog_stream(NULL);
		fclose(f);
		if (ret == 0) {
			accepted++;
			if (i < RTE_DIM(bad)) {
				fprintf(stderr, "  \"%s\" was accepted\n", args);
				free(log);
				MTEST_FAIL("bad devargs \"%s\" accepted (%u ports)", args,
					   rte_eth_dev_count_avail());
			}
			MTEST_ASSERT_EQ(rte_eal_hotplug_remove("pci", PCI_ADDR), 0);
		} else if (strstr(log, "mana: ") == NULL) {
			fprintf(stderr, "  log: %s\n", log);
			free(log);
			MTEST_FAIL("\"%s\" refused without a line from the driver", args);
		} else if (i < RTE_DIM(bad)) {
			const char *line = strstr(log, "mana: ");

			printf("  \"%s\" -> %.*s\n", args, (int)strcspn(line, "\n"), line);
		}
		free(log);
		log = NULL;
	}
	printf("  %u random strings, %u accepted\n", 200, accepted);
	snprintf(args, sizeof(args), "mac=%s,recovery_timeout_ms=5000", smac);
	ret = rte_eal_hotplug_add("pci", PCI_ADDR, args);
	MTEST_ASSERT(ret == 0, "\"%s\" refused: %s", args, strerror(-ret));
	MTEST_ASSERT(rte_eth_dev_count_avail() == 1, "%u ports for one mac=",
		     rte_eth_dev_count_avail());
	return MTEST_SUCCESS;
}

/* --------------------------------------------------------- tx_prepare */

#define OFFL_ALL (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM | \
		  RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_TSO | \
		  RTE_ETH_TX_OFFLOAD_MULTI_SEGS | RTE_ETH_TX_OFFLOAD_VLAN_INSERT)

enum variant_kind { V_REFUSED, V_SENT };

struct variant {
	const char *what;
	int ipv6, proto;
	uint16_t vlan;		/* tag in the data */
	uint32_t len;
	uint16_t seg0;		/* first segment's length, 0: one segment */
	uint64_t ol;
	int l2, l3, l4;		/* -1: the frame's own */
	uint16_t mss;
	int err;		/* expected rte_errno, 0: accepted */
};

/* The mbuf of variant @p v (frame in @p fr). */
static struct rte_mbuf *
variant_mbuf(const struct variant *v, uint8_t *fr, uint32_t seed)
{
	uint16_t segs[2] = { v->seg0, 0 };
	struct rte_mbuf *m;
	struct flow f;
	uint32_t hl;

	flow_default(&f, v->ipv6, v->proto);
	f.vlan = v->vlan;
	/* a runt is the start of a whole frame */
	hl = frame_build(fr, RTE_MAX(v->len, 128u), &mac_a, &mac_b, &f, seed);
	m = mbuf_make(fr, v->len, v->seg0 ? segs : NULL, v->seg0 ? 2 : 0);
	if (m == NULL)
		return NULL;
	m->ol_flags = v->ol;
	m->l2_len = v->l2 >= 0 ? v->l2 : 14 + (v->vlan ? 4 : 0);
	m->l3_len = v->l3 >= 0 ? v->l3 : (v->ipv6 ? 40 : 20);
	m->l4_len = v->l4 >= 0 ? (uint32_t)v->l4 : hl - m->l2_len - m->l3_len;
	m->tso_segsz = v->mss;
	m->vlan_tci = 42;
	return m;
}

#define F4 (RTE_MBUF_F_TX_IPV4)
#define F6 (RTE_MBUF_F_TX_IPV6)
#define FIP (RTE_MBUF_F_TX_IP_CKSUM)
#define FTCP (RTE_MBUF_F_TX_TCP_CKSUM)
#define FUDP (RTE_MBUF_F_TX_UDP_CKSUM)
#define FTSO (RTE_MBUF_F_TX_TCP_SEG)
#define FVLAN (RTE_MBUF_F_TX_VLAN)
#define T IPPROTO_TCP
#define U IPPROTO_UDP

/* Refused by tx_prepare, each with its errno (MTU 1500). */
static const struct variant prep_bad[] = {
	{ "D2 TCP cksum, l4_len 0, only L2+L3 in segment 0", 0, T, 0, 200, 34,
	  F4 | FTCP, -1, -1, 0, 0, EINVAL },
	{ "D2 UDP cksum, l4_len 0, only L2+L3 in segment 0", 0, U, 0, 200, 34,
	  F4 | FUDP, -1, -1, 0, 0, EINVAL },
	{ "D2 TSO, l4_len 0, only L2+L3 in segment 0", 0, T, 0, 3000, 34,
	  F4 | FIP | FTSO, -1, -1, 0, 1000, EINVAL },
	{ "D3 TSO with l4_len 12", 0, T, 0, 3000, 0, F4 | FIP | FTSO, -1, -1, 12, 1000, EINVAL },
	{ "D3 TSO on a UDP frame", 0, U, 0, 3000, 0, F4 | FIP | FTSO, -1, -1, 8, 1000, EINVAL },
	{ "D4 TSO without payload", 0, T, 0, 54, 0, F4 | FIP | FTSO, -1, -1, -1, 1000, EINVAL },
	{ "D5 a 10-byte frame", 0, U, 0, 10, 0, 0, -1, -1, -1, 0, EINVAL },
	{ "D5 a 13-byte frame", 0, U, 0, 13, 0, 0, -1, -1, -1, 0, EINVAL },
	{ "D6 TSO, MSS + headers over the MTU", 0, T, 0, 6000, 0,
	  F4 | FIP | FTSO, -1, -1, -1, 1500, EINVAL },
	{ "D7 untagged 1515 bytes", 0, U, 0, 1515, 0, 0, -1, -1, -1, 0, EINVAL },
	{ "D7 untagged 1518 bytes", 0, U, 0, 1518, 0, 0, -1, -1, -1, 0, EINVAL },
	{ "D7 tagged 1519 bytes", 0, U, 5, 1519, 0, 0, -1, -1, -1, 0, EINVAL },
	{ "D7 VLAN insertion on 1515 bytes", 0, U, 0, 1515, 0, FVLAN, -1, -1, -1, 0, EINVAL },
	{ "D8 IP_CKSUM without IPV4", 0, U, 0, 200, 0, FIP, -1, -1, -1, 0, EINVAL },
	{ "D8 IP_CKSUM with IPV6", 1, U, 0, 200, 0, F6 | FIP, -1, -1, -1, 0, EINVAL },
	{ "D9 SCTP checksum", 0, U, 0, 200, 0, F4 | RTE_MBUF_F_TX_SCTP_CKSUM,
	  -1, -1, -1, 0, ENOTSUP },
	{ "D9 outer IP checksum", 0, U, 0, 200, 0, F4 | RTE_MBUF_F_TX_OUTER_IP_CKSUM |
	  RTE_MBUF_F_TX_OUTER_IPV4, -1, -1, -1, 0, ENOTSUP },
	{ "D10 VLAN insertion on a tagged frame", 0, U, 7, 200, 0, FVLAN, -1, -1, -1, 0, EINVAL },
	{ "D18 TCP cksum on a UDP frame", 0, U, 0, 200, 0, F4 | FTCP, -1, -1, 20, 0, EINVAL },
	{ "D18 UDP cksum on a TCP frame", 0, T, 0, 200, 0, F4 | FUDP, -1, -1, 8, 0, EINVAL },
	{ "D18 IPV6 flag on an IPv4 frame", 0, U, 0, 200, 0, F6 | FUDP, -1, 40, -1, 0, EINVAL },
	{ "D18 IPV4 flag on an IPv6 frame", 1, U, 0, 200, 0, F4 | FUDP, -1, 20, -1, 0, EINVAL },
	{ "D18 l3_len 24 on a 20-byte IPv4 header", 0, U, 0, 200, 0, F4 | FIP | FUDP,
	  -1, 24, -1, 0, EINVAL },
	{ "D18 l2_len 18 on an untagged frame", 0, U, 0, 200, 0, F4 | FUDP, 18, -1, -1, 0, EINVAL },
	{ "D18 l2_len 0 with a checksum", 0, U, 0, 200, 0, F4 | FIP | FUDP, 0, -1, -1, 0, EINVAL },
	{ "D18 both IPV4 and IPV6", 0, U, 0, 200, 0, F4 | F6 | FUDP, -1, -1, -1, 0, EINVAL },
	{ "TSO with MSS 0", 0, T, 0, 3000, 0, F4 | FIP | FTSO, -1, -1, -1, 0, EINVAL },
	{ "TSO with MSS 16384", 0, T, 0, 3000, 0, F4 | FIP | FTSO, -1, -1, -1, 16384, EINVAL },
};

/* Accepted by tx_prepare and transmitted as the device should. */
static const struct variant prep_good[] = {
	{ "untagged 1514 bytes", 0, U, 0, 1514, 0, 0, -1, -1, -1, 0, 0 },
	{ "tagged 1518 bytes", 0, U, 9, 1518, 0, 0, -1, -1, -1, 0, 0 },
	{ "VLAN insertion on 1514 bytes", 0, U, 0, 1514, 0, FVLAN, -1, -1, -1, 0, 0 },
	{ "TCP cksum, l4_len 0, TCP header in segment 0", 0, T, 0, 200, 60,
	  F4 | FIP | FTCP, -1, -1, 0, 0, 0 },
	{ "UDP cksum over IPv6, split payload", 1, U, 0, 700, 100, F6 | FUDP, -1, -1, -1, 0, 0 },
	{ "tagged TCP cksum", 0, T, 3, 300, 0, F4 | FIP | FTCP, -1, -1, -1, 0, 0 },
	{ "TSO, MSS + headers = MTU + 14", 0, T, 0, 4000, 0, F4 | FIP | FTSO,
	  -1, -1, -1, 1460, 0 },
};

/*
 * D2-D10, D18, the also-seen packet in unregistered memory: tx_prepare
 * refuses each bad packet with its errno and leaves it unchanged; the
 * packets at the limits pass and go out.
 */
static int
test_prepare(void)
{
	CASE_BEGIN();
	static uint8_t fr[8192], before[8192], got[8192];
	static struct rte_mbuf_ext_shared_info shinfo;
	struct rx_set *rx = calloc(1, sizeof(*rx));
	struct port_cfg c = cfg_default;
	unsigned int i, nfail = 0;
	struct rte_mbuf *m;
	uint8_t *ext;
	uint16_t ret;
	int err;

	MTEST_ASSERT(rx != NULL, "calloc");
	c.tx_offloads = OFFL_ALL;
	MTEST_ASSERT_EQ(ports_start(&c, &cfg_default), 0);
	for (i = 0; i < RTE_DIM(prep_bad); i++) {
		const struct variant *v = &prep_bad[i];

		m = variant_mbuf(v, fr, i);
		CHECK(m != NULL, "alloc");
		memcpy(before, fr, v->len);
		rte_errno = 0;
		ret = rte_eth_tx_prepare(port_a, 0, &m, 1);
		err = rte_errno;
		if (ret != 0 || err != v->err) {
			fprintf(stderr, "  %s: tx_prepare returned %u, rte_errno %d (%s), expected 0 and %d\n",
				v->what, ret, err, rte_strerror(err), v->err);
			nfail++;
		} else if (mbuf_flat(m, got, sizeof(got)) != v->len ||
			   memcmp(got, before, v->len) != 0) {
			fprintf(stderr, "  %s: refused but modified\n", v->what);
			nfail++;
		}
		rte_pktmbuf_free(m);
	}
	/* also seen: a packet in memory nobody registered (EFAULT, not a spin) */
	ext = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(ext != MAP_FAILED, "mmap");
	{
		struct flow f;

		flow_default(&f, 0, IPPROTO_UDP);
		frame_build(fr, 200, &mac_a, &mac_b, &f, 99);
		m = rte_pktmbuf_alloc(pool);
		CHECK(m != NULL, "alloc");
		rte_mbuf_ext_refcnt_set(&shinfo, 1);
		shinfo.free_cb = (rte_mbuf_extbuf_free_callback_t)(void (*)(void))rte_pause;
		rte_pktmbuf_attach_extbuf(m, ext, 0, 4096, &shinfo);
		m->data_off = 0;
		memcpy(ext, fr, 200);
		m->data_len = 200;
		m->pkt_len = 200;
		rte_errno = 0;
		ret = rte_eth_tx_prepare(port_a, 0, &m, 1);
		err = rte_errno;
		rte_pktmbuf_free(m);
		munmap(ext, 4096);
		if (ret != 0 || err != EFAULT) {
			fprintf(stderr, "  unregistered memory: tx_prepare returned %u, rte_errno %d\n",
				ret, err);
			nfail++;
		}
	}
	for (i = 0; i < RTE_DIM(prep_good); i++) {
		const struct variant *v = &prep_good[i];
		unsigned int nseg = 1, k;
		uint32_t len, want = v->len;

		m = variant_mbuf(v, fr, 100 + i);
		CHECK(m != NULL, "alloc");
		rte_errno = 0;
		ret = rte_eth_tx_prepare(port_a, 0, &m, 1);
		if (ret != 1) {
			fprintf(stderr, "  %s: refused, rte_errno %d (%s)\n", v->what, rte_errno,
				rte_strerror(rte_errno));
			rte_pktmbuf_free(m);
			nfail++;
			continue;
		}
		if (v->ol & FVLAN) {
			/* on the wire and back (B keeps tags in the data): tag 42 inserted */
			memmove(fr + 16, fr + 12, v->len - 12);
			fr[12] = 0x81;
			fr[13] = 0x00;
			fr[14] = 0x00;
			fr[15] = 42;
			want += 4;
		}
		CHECK(tx_all(port_a, 0, &m, 1) == 1, "%s: not taken", v->what);
		if (v->ol & FTSO)
			nseg = (v->len - 54 + v->mss - 1) / v->mss;
		rx_wait(port_b, 1, rx, nseg);
		len = rx->n == nseg ? mbuf_flat(rx->m[0], got, sizeof(got)) : 0;
		k = rx->n;
		rx_set_free(rx);
		if (k != nseg || ((v->ol & FTSO) ? len != 54u + v->mss :
				  len != want || memcmp(got, fr, want) != 0)) {
			fprintf(stderr, "  %s: %u frames of %u bytes received, %u of %u expected\n",
				v->what, k, len, nseg, (v->ol & FTSO) ? 54u + v->mss : want);
			nfail++;
		}
	}
	free(rx);
	CHECK(nfail == 0, "%u tx_prepare outcome(s) wrong (listed above)", nfail);
	CASE_END();
}

/*
 * D11: tx_prepare refuses the offloads the queue was not configured with
 * (EINVAL), those the port does not offer (ENOTSUP); the same packets pass
 * on a queue configured with them.
 */
static int
test_prepare_queue(void)
{
	CASE_BEGIN();
	static const struct variant v[] = {
		{ "IP checksum", 0, U, 0, 200, 0, F4 | FIP, -1, -1, -1, 0, EINVAL },
		{ "UDP checksum", 0, U, 0, 200, 0, F4 | FUDP, -1, -1, -1, 0, EINVAL },
		{ "TCP checksum", 0, T, 0, 200, 0, F4 | FTCP, -1, -1, -1, 0, EINVAL },
		{ "TSO", 0, T, 0, 3000, 0, F4 | FIP | FTSO, -1, -1, -1, 1000, EINVAL },
		{ "VLAN insertion", 0, U, 0, 200, 0, FVLAN, -1, -1, -1, 0, EINVAL },
		{ "two segments", 0, U, 0, 200, 100, 0, -1, -1, -1, 0, EINVAL },
	};
	static uint8_t fr[4096];
	struct port_cfg c = cfg_default;
	unsigned int pass, i, nfail = 0;

	for (pass = 0; pass < 2; pass++) {
		/* pass 0: no TX offload at all; pass 1: every one */
		c.tx_offloads = pass == 0 ? 0 : OFFL_ALL;
		CHECK(ports_start(&c, &cfg_default) == 0, "start (pass %u)", pass);
		for (i = 0; i < RTE_DIM(v); i++) {
			struct rte_mbuf *m = variant_mbuf(&v[i], fr, i);
			uint16_t ret;
			int err;

			CHECK(m != NULL, "alloc");
			rte_errno = 0;
			ret = rte_eth_tx_prepare(port_a, 0, &m, 1);
			err = rte_errno;
			rte_pktmbuf_free(m);
			if (pass == 0 && (ret != 0 || err != v[i].err)) {
				fprintf(stderr, "  %s on a queue without it: returned %u, rte_errno %d\n",
					v[i].what, ret, err);
				nfail++;
			} else if (pass == 1 && ret != 1) {
				fprintf(stderr, "  %s on a queue with it: refused, rte_errno %d\n",
					v[i].what, err);
				nfail++;
			}
		}
		ports_stop();
	}
	CHECK(nfail == 0, "%u tx_prepare outcome(s) wrong (listed above)", nfail);
	CASE_END();
}

/* ----------------------------------------------------------- tx_burst */

/* D12: what tx_burst must never post, and a good frame either side. */
static const struct variant burst_bad[] = {
	{ "TSO with MSS 16384", 0, T, 0, 3000, 0, F4 | FIP | FTSO, -1, -1, -1, 16384, 0 },
	{ "TSO with a 274-byte header", 0, T, 0, 3000, 0, F4 | FIP | FTSO, -1, -1, 240, 1000, 0 },
	{ "TSO with l4_len 0", 0, T, 0, 3000, 0, F4 | FIP | FTSO, -1, -1, 0, 1000, 0 },
	{ "TSO without payload", 0, T, 0, 54, 0, F4 | FIP | FTSO, -1, -1, -1, 1000, 0 },
	{ "TSO on UDP", 0, U, 0, 3000, 0, F4 | FIP | FTSO, -1, -1, 8, 1000, 0 },
	{ "TSO with MSS 0", 0, T, 0, 3000, 0, F4 | FIP | FTSO, -1, -1, -1, 0, 0 },
	{ "checksum with l2_len 0", 0, U, 0, 200, 0, F4 | FIP | FUDP, 0, -1, -1, 0, 0 },
	{ "checksum with l3_len 0", 0, U, 0, 200, 0, F4 | FIP | FUDP, -1, 0, -1, 0, 0 },
	{ "IP checksum without IPV4", 0, U, 0, 200, 0, FIP, -1, -1, -1, 0, 0 },
	{ "TCP checksum on UDP", 0, U, 0, 200, 0, F4 | FTCP, -1, -1, 20, 0, 0 },
	{ "IPV6 flag on IPv4", 0, U, 0, 200, 0, F6 | FUDP, -1, 40, -1, 0, 0 },
	{ "a 10-byte frame", 0, U, 0, 10, 0, 0, -1, -1, -1, 0, 0 },
	{ "a 10-byte frame in two segments", 0, U, 0, 10, 4, 0, -1, -1, -1, 0, 0 },
	{ "SCTP checksum", 0, U, 0, 200, 0, F4 | RTE_MBUF_F_TX_SCTP_CKSUM, -1, -1, -1, 0, 0 },
};

/*
 * D12, D5: tx_burst without tx_prepare takes each bad packet (no retry
 * spin), posts no WQE for it and counts it in tx_q0_bad_pkt_drops; the
 * good packets around it go out byte-exact; no violation.
 */
static int
test_burst_bad(void)
{
	CASE_BEGIN();
	static uint8_t fr[4096], good[128], got[4096];
	struct rx_set *rx = calloc(1, sizeof(*rx));
	struct port_cfg c = cfg_default;
	unsigned int i, k, nfail = 0, extra;
	uint64_t drops0, drops;
	struct flow f;

	MTEST_ASSERT(rx != NULL, "calloc");
	c.tx_offloads = OFFL_ALL;
	MTEST_ASSERT_EQ(ports_start(&c, &cfg_default), 0);
	flow_default(&f, 0, IPPROTO_UDP);
	for (i = 0; i < RTE_DIM(burst_bad) + 2; i++) {
		struct rte_mbuf *pk[3];
		uint16_t ret;

		if (i < RTE_DIM(burst_bad)) {
			pk[1] = variant_mbuf(&burst_bad[i], fr, i);
		} else {
			/* a chain longer than the SGL, and one whose nb_segs lies */
			uint16_t seg[40];

			for (k = 0; k < 40; k++)
				seg[k] = 16;
			frame_build(fr, 640, &mac_a, &mac_b, &f, i);
			pk[1] = mbuf_make(fr, 640, seg, 40);
			if (pk[1] != NULL && i == RTE_DIM(burst_bad) + 1)
				pk[1]->nb_segs = 3;
		}
		frame_build(good, 100, &mac_a, &mac_b, &f, 1000 + i);
		pk[0] = mbuf_make(good, 100, NULL, 0);
		pk[2] = mbuf_make(good, 100, NULL, 0);
		CHECK(pk[0] && pk[1] && pk[2], "alloc");
		drops0 = xstat(port_a, "tx_q0_bad_pkt_drops");
		ret = rte_eth_tx_burst(port_a, 0, pk, 3);
		for (k = ret; k < 3; k++) {
			if (k == 1 && i == RTE_DIM(burst_bad) + 1)
				pk[1]->nb_segs = 40;	/* free the whole chain */
			rte_pktmbuf_free(pk[k]);
		}
		drops = xstat(port_a, "tx_q0_bad_pkt_drops");
		rx_wait(port_b, 1, rx, 2);
		extra = 0;
		for (k = 0; k < rx->n; k++)
			if (mbuf_flat(rx->m[k], got, sizeof(got)) != 100 || memcmp(got, good, 100))
				extra++;
		if (ret != 3 || drops != drops0 + 1 || rx->n != 2 || extra != 0) {
			fprintf(stderr, "  %s: tx_burst took %u of 3, bad_pkt_drops +%" PRIu64
				", %u frames received (%u not the good one)\n",
				i < RTE_DIM(burst_bad) ? burst_bad[i].what :
				i == RTE_DIM(burst_bad) ? "40 segments" : "nb_segs 3 on 40 segments",
				ret, drops - drops0, rx->n, extra);
			nfail++;
		}
		rx_set_free(rx);
	}
	free(rx);
	CHECK(nfail == 0, "%u bad packet(s) mishandled by tx_burst (listed above)", nfail);
	CASE_END();
}

/*
 * D13: an error completion reaped after stats_reset leaves opackets and
 * obytes at 0, not 2^64 - 1.
 */
static int
test_stats_reset(void)
{
	CASE_BEGIN();
	static uint8_t fr[256];
	struct rte_eth_stats st;
	struct rte_mbuf *m;
	struct flow f;

	MTEST_ASSERT_EQ(ports_start(&cfg_default, &cfg_default), 0);
	flow_default(&f, 0, IPPROTO_UDP);
	frame_build(fr, 200, &mac_a, &mac_b, &f, 1);
	m = mbuf_make(fr, 200, NULL, 0);
	CHECK(m != NULL, "alloc");
	emu_step_mode(true);
	CHECK(emu.inject_tx_error(0, 0, 1, CQE_TX_SA_DROP) == 0, "inject");
	if (rte_eth_tx_burst(port_a, 0, &m, 1) != 1) {
		rte_pktmbuf_free(m);
		emu_step_mode(false);
		CHECK(0, "not taken");
	}
	emu.step();	/* the error CQE is written, not yet reaped */
	CHECK(rte_eth_stats_reset(port_a) == 0, "reset");
	rte_eth_tx_done_cleanup(port_a, 0, 0);
	emu_step_mode(false);
	CHECK(rte_eth_stats_get(port_a, &st) == 0, "stats");
	CHECK(st.opackets == 0 && st.obytes == 0 && st.oerrors == 1,
	      "after the reset: opackets %" PRIu64 " obytes %" PRIu64 " oerrors %" PRIu64
	      " (0, 0 and 1 expected)", st.opackets, st.obytes, st.oerrors);
	CASE_END();
}

/* --------------------------------------------------- forged completions */

/*
 * Send @p n frames of @p len A -> B (seed @p seed), all taken; returns how
 * many B received byte-exact, in order; *@p other counts any others.
 */
static unsigned int
exchange_n(unsigned int n, uint32_t len, uint32_t seed, unsigned int *other)
{
	static uint8_t fr[2048], got[2048];
	struct rx_set *rx = calloc(1, sizeof(*rx));
	struct rte_mbuf *b[64];
	unsigned int i, sent, ok = 0, j = 0;
	struct flow f;

	*other = 0;
	if (rx == NULL || n > RTE_DIM(b))
		return 0;
	flow_default(&f, 0, IPPROTO_UDP);
	for (i = 0; i < n; i++) {
		frame_build(fr, len, &mac_a, &mac_b, &f, seed + i);
		b[i] = mbuf_make(fr, len, NULL, 0);
		if (b[i] == NULL) {
			rte_pktmbuf_free_bulk(b, i);
			free(rx);
			return 0;
		}
	}
	sent = tx_all(port_a, 0, b, n);
	if (sent < n)
		rte_pktmbuf_free_bulk(b + sent, n - sent);
	rx_wait(port_b, 1, rx, sent);
	for (i = 0; i < rx->n; i++) {
		uint32_t l = mbuf_flat(rx->m[i], got, sizeof(got)), k;

		/* the next expected frame or a later one (earlier ones may be lost) */
		for (k = j; k < sent; k++) {
			frame_build(fr, len, &mac_a, &mac_b, &f, seed + k);
			if (l == len && memcmp(got, fr, len) == 0)
				break;
		}
		if (k < sent) {
			ok++;
			j = k + 1;
		} else {
			(*other)++;
		}
	}
	rx_set_free(rx);
	free(rx);
	return ok;
}

/* Wait until A's TX mbufs are back (tx_done_cleanup), @p base in use. */
static unsigned int
tx_reclaimed(unsigned int base)
{
	uint64_t deadline = rte_get_timer_cycles() + rte_get_timer_hz();
	unsigned int in_use;

	do {
		rte_eth_tx_done_cleanup(port_a, 0, 0);
		emu_poll();
		in_use = rte_mempool_in_use_count(pool);
	} while (in_use != base && rte_get_timer_cycles() < deadline);
	return in_use;
}

/*
 * D14 and the also-seen owner bits: TX completions lost (40 bursts, more
 * than the 32 that used to fill TX for good), misrouted, with a corrupt
 * offset, with owner bits jumped ahead. Each time: every frame still goes
 * out, TX keeps taking packets, and every TX mbuf comes back before any
 * stop.
 */
static int
test_tx_forged(void)
{
	CASE_BEGIN();
	static const struct {
		unsigned int kind, count;
		const char *what, *xstat;
	} ev[] = {
		{ MANA_EMU_FORGE_LOST, 40, "40 lost TX CQEs", NULL },
		{ MANA_EMU_FORGE_WQ_NUM, 5, "5 misrouted TX CQEs", "tx_q0_unknown_cqes" },
		{ MANA_EMU_FORGE_WQE_OFFSET, 5, "5 TX CQEs with a corrupt offset",
		  "tx_q0_bad_wqe_offsets" },
		{ MANA_EMU_FORGE_OWNER, 3, "3 TX CQEs with owner bits jumped",
		  "tx_q0_cq_resyncs" },
	};
	unsigned int e, r, base, in_use, ok, other;
	uint64_t forged0;

	MTEST_ASSERT_EQ(ports_start(&cfg_default, &cfg_default), 0);
	base = rte_mempool_in_use_count(pool);
	for (e = 0; e < RTE_DIM(ev); e++) {
		forged0 = emu_forged(0);
		CHECK(emu_forge(0, MANA_EMU_FORGE_SQ, ev[e].kind, ev[e].count) == 0, "forge");
		for (r = 0; r < ev[e].count + 8; r++) {
			ok = exchange_n(8, 100, 1000 * e + 8 * r, &other);
			CHECK(ok == 8 && other == 0, "%s, burst %u: %u of 8 frames arrived, %u others",
			      ev[e].what, r, ok, other);
		}
		CHECK(emu_forged(0) - forged0 == ev[e].count, "%s: %" PRIu64 " forged", ev[e].what,
		      emu_forged(0) - forged0);
		in_use = tx_reclaimed(base);
		CHECK(in_use == base, "%s: %u mbufs in use, %u expected (TX stranded)", ev[e].what,
		      in_use, base);
		CHECK(ev[e].xstat == NULL || xstat(port_a, ev[e].xstat) >= 1,
		      "%s: %s not counted", ev[e].what, ev[e].xstat);
	}
	CASE_END();
}

/*
 * D15 and the also-seen owner bits on RX: a CQE with a corrupt queue id,
 * a lost CQE, a corrupt rx_wqe_offset, owner bits jumped ahead. The frame
 * of the forged CQE may be lost (counted); every later frame arrives
 * byte-exact in its own buffer, and no buffer is lost or delivered twice.
 */
static int
test_rx_forged(void)
{
	CASE_BEGIN();
	static const struct {
		unsigned int kind;
		const char *what, *xstat;
	} ev[] = {
		{ MANA_EMU_FORGE_WQ_NUM, "an RX CQE with a corrupt queue id", "rx_q0_resync_drops" },
		{ MANA_EMU_FORGE_LOST, "a lost RX CQE", "rx_q0_resync_drops" },
		{ MANA_EMU_FORGE_WQE_OFFSET, "an RX CQE with a corrupt offset",
		  "rx_q0_bad_wqe_offsets" },
		{ MANA_EMU_FORGE_OWNER, "an RX CQE with owner bits jumped", "rx_q0_cq_resyncs" },
	};
	unsigned int e, r, ok, other;

	MTEST_ASSERT_EQ(ports_start(&cfg_default, &cfg_default), 0);
	for (e = 0; e < RTE_DIM(ev); e++) {
		CHECK(emu_forge(0, MANA_EMU_FORGE_RQ, ev[e].kind, 1) == 0, "forge");
		/* the forged CQE's frames: lost at most, never out of place */
		ok = exchange_n(1, 100, 1000 * e, &other);
		CHECK(other == 0, "%s: %u frames not sent received", ev[e].what, other);
		for (r = 0; r < 4; r++) {
			ok = exchange_n(32, 60 + 100 * r, 1000 * e + 100 + 32 * r, &other);
			CHECK(ok == 32 && other == 0, "%s, then round %u: %u of 32 arrived exact, "
			      "%u others", ev[e].what, r, ok, other);
		}
		CHECK(xstat(port_b, ev[e].xstat) >= 1, "%s: %s not counted", ev[e].what,
		      ev[e].xstat);
	}
	CASE_END();
}

/*
 * D15: a CQE over-counting its packets. The ring finds out at the next
 * CQE (behind the device), counts it (rx_q0_restarts) and RX is rebuilt
 * by itself; then every frame arrives byte-exact again, with no violation
 * (the device never saw its ring overrun) and no leak.
 */
static int
test_rx_overcount(void)
{
	CASE_BEGIN();
	unsigned int round, ok = 0, other;
	uint64_t deadline;

	MTEST_ASSERT_EQ(ports_start(&cfg_default, &cfg_default), 0);
	CHECK(emu_forge(0, MANA_EMU_FORGE_RQ, MANA_EMU_FORGE_OVERCOUNT, 1) == 0, "forge");
	/* odd counts: a CQE with room for one more packet */
	exchange_n(13, 100, 1, &other);
	exchange_n(7, 100, 100, &other);
	deadline = rte_get_timer_cycles() + rte_get_timer_hz() * 5;
	for (round = 0; rte_get_timer_cycles() < deadline; round++) {
		ok = exchange_n(32, 200, 1000 + 32 * round, &other);
		if (ok == 32 && other == 0 && xstat(port_b, "rx_q0_restarts") >= 1)
			break;
	}
	CHECK(emu_forged(0) == 1, "%" PRIu64 " CQEs forged", emu_forged(0));
	CHECK(xstat(port_b, "rx_q0_restarts") >= 1, "rx_q0_restarts %" PRIu64,
	      xstat(port_b, "rx_q0_restarts"));
	CHECK(ok == 32 && other == 0, "RX did not come back: %u of 32 frames exact, %u others",
	      ok, other);
	for (round = 0; round < 4; round++) {
		ok = exchange_n(64, 300, 5000 + 64 * round, &other);
		CHECK(ok == 64 && other == 0, "after the rebuild, round %u: %u of 64", round, ok);
	}
	CASE_END();
}

/* ---------------------------------------------------------------- RETA */

static int
reta_set(uint16_t port, const uint16_t *t)
{
	struct rte_eth_rss_reta_entry64 c[MANA_INDIRECT_TABLE_SIZE / RTE_ETH_RETA_GROUP_SIZE];
	unsigned int i;

	memset(c, 0, sizeof(c));
	for (i = 0; i < MANA_INDIRECT_TABLE_SIZE; i++) {
		c[i / RTE_ETH_RETA_GROUP_SIZE].mask |= RTE_BIT64(i % RTE_ETH_RETA_GROUP_SIZE);
		c[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] = t[i];
	}
	return rte_eth_dev_rss_reta_update(port, c, MANA_INDIRECT_TABLE_SIZE);
}

static int
reta_get(uint16_t port, uint16_t *t)
{
	struct rte_eth_rss_reta_entry64 c[MANA_INDIRECT_TABLE_SIZE / RTE_ETH_RETA_GROUP_SIZE];
	unsigned int i;
	int ret;

	memset(c, 0, sizeof(c));
	for (i = 0; i < RTE_DIM(c); i++)
		c[i].mask = UINT64_MAX;
	ret = rte_eth_dev_rss_reta_query(port, c, MANA_INDIRECT_TABLE_SIZE);
	for (i = 0; ret == 0 && i < MANA_INDIRECT_TABLE_SIZE; i++)
		t[i] = c[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE];
	return ret;
}

/*
 * D17: reta_update refuses (-EINVAL) a table the RX queues cannot carry,
 * started or not, and the table in force stays the one before; a table
 * they can carry is taken and reported.
 */
static int
test_reta_refused(void)
{
	CASE_BEGIN();
	struct port_cfg c = { .nb_rxq = 4, .nb_txq = 1, .rx_offloads = RTE_ETH_RX_OFFLOAD_RSS_HASH };
	uint16_t want[MANA_INDIRECT_TABLE_SIZE], before[MANA_INDIRECT_TABLE_SIZE];
	uint16_t now[MANA_INDIRECT_TABLE_SIZE];
	unsigned int i, pass;
	int ret;

	for (pass = 0; pass < 2; pass++) {
		/* 4 queues of 256 descriptors: at most 4 hardware RQs each (16 in all) */
		CHECK(port_start(port_b, &c) == 0, "start 4 queues");
		if (pass == 1)
			rte_eth_dev_stop(port_b);
		CHECK(reta_get(port_b, before) == 0, "reta_query");
		for (i = 0; i < MANA_INDIRECT_TABLE_SIZE; i++)
			want[i] = (uint16_t)((i * 7 + i / 5) % 4);	/* period 64 */
		ret = reta_set(port_b, want);
		CHECK(ret == -EINVAL, "%s port: a 64-RQ table over 4 x 256 descriptors: "
		      "reta_update returned %d, -EINVAL expected",
		      pass ? "stopped" : "started", ret);
		CHECK(reta_get(port_b, now) == 0 && memcmp(now, before, sizeof(now)) == 0,
		      "a refused table changed the one in force");
		for (i = 0; i < MANA_INDIRECT_TABLE_SIZE; i++)
			want[i] = (uint16_t)((i % 16) * 3 % 4);	/* period 16: 4 RQs each */
		ret = reta_set(port_b, want);
		CHECK(ret == 0, "a 16-RQ table refused: %d", ret);
		if (pass == 1)
			CHECK(rte_eth_dev_start(port_b) == 0, "start");
		CHECK(reta_get(port_b, now) == 0 && memcmp(now, want, sizeof(now)) == 0,
		      "the 16-RQ table is not the one in force");
		ports_stop();
	}
	CASE_END();
}

/* ---------------------------------------------------------- fuzz */

#define FUZZ_MAX_BURST	8

/* A random good packet: its frame in @p fr; offloads only if @p prepared. */
static struct rte_mbuf *
fuzz_good(uint8_t *fr, uint32_t *len, bool prepared, uint32_t seed)
{
	static const uint64_t offl[] = { 0, F4 | FIP, F4 | FIP | FUDP, F4 | FTCP, F6 | FUDP,
					 F6 | FTCP };
	uint16_t seg[4] = { 0 };	/* seg[0] is looked at even with one segment */
	unsigned int nseg = 1 + rnd() % 4, k, o = prepared ? rnd() % RTE_DIM(offl) : 0;
	struct rte_mbuf *m;
	struct flow f;
	uint32_t hl;

	flow_default(&f, (offl[o] & F6) != 0,
		     (offl[o] & RTE_MBUF_F_TX_L4_MASK) == FTCP ? IPPROTO_TCP :
		     (offl[o] & RTE_MBUF_F_TX_L4_MASK) == FUDP ? IPPROTO_UDP :
		     (rnd() & 1) ? IPPROTO_TCP : IPPROTO_UDP);
	if (!prepared && (rnd() & 1))
		o = 1;	/* an IP checksum needs no pseudo-header */
	if ((offl[o] & (FTCP | FUDP)) && !prepared)
		o = 0;
	*len = 80 + rnd() % 1435;	/* IPv6 + TCP headers at least */
	hl = frame_build(fr, *len, &mac_a, &mac_b, &f, seed);
	if (o == 1 && f.ipv6)
		o = 0;
	for (k = 0; k + 1 < nseg; k++)
		seg[k] = (uint16_t)(1 + rnd() % 400);
	if (offl[o] != 0 && seg[0] < hl)
		seg[0] = (uint16_t)hl;	/* headers in the first segment */
	m = mbuf_make(fr, *len, nseg > 1 ? seg : NULL, nseg);
	if (m == NULL)
		return NULL;
	m->ol_flags = offl[o];
	m->l2_len = 14;
	m->l3_len = f.ipv6 ? 40 : 20;
	m->l4_len = hl - 14 - m->l3_len;
	return m;
}

/* A random packet no WQE may describe (mana_tx_check refuses it). */
static struct rte_mbuf *
fuzz_bad(uint8_t *fr, uint32_t seed)
{
	unsigned int kind = rnd() % 12;
	struct variant v = { "fuzz", 0, U, 0, 60 + rnd() % 1400, 0, 0, -1, -1, -1, 0, 0 };
	struct rte_mbuf *m;

	switch (kind) {
	case 0: v.len = 1 + rnd() % 13; break;				/* runt */
	case 1: v.ol = F4 | FIP | FUDP; v.l2 = rnd() % 14; break;	/* bad l2_len */
	case 2: v.ol = F4 | FUDP; v.l3 = rnd() % 20; break;		/* bad l3_len */
	case 3: v.ol = FIP; break;					/* no IPV4 */
	case 4: v.ol = F4 | F6 | FUDP; break;
	case 5: v.ol = F4 | FTCP; v.l4 = 20; break;			/* TCP on UDP */
	case 6: v.ol = F4 | RTE_MBUF_F_TX_SCTP_CKSUM; break;
	case 7: v.proto = T; v.len += 200; v.ol = F4 | FIP | FTSO;	/* MSS */
		v.mss = (rnd() & 1) ? 0 : (uint16_t)(16384 + rnd() % 1000); break;
	case 8: v.proto = T; v.len += 200; v.ol = F4 | FIP | FTSO; v.mss = 500;
		v.l4 = (rnd() & 1) ? 0 : 4 * (rnd() % 5); break;	/* l4_len < 20 */
	case 9: v.proto = T; v.len = 54; v.ol = F4 | FIP | FTSO; v.mss = 500; break;
	case 10: v.ol = F4 | FIP | FTSO; v.mss = 500; v.l4 = 8; v.len += 200; break;
	default: v.proto = T; v.ol = F4 | FTCP; v.seg0 = 34; v.l4 = 0; break;	/* D2 */
	}
	m = variant_mbuf(&v, fr, seed);
	if (m != NULL && kind == 11 && (rnd() & 1))
		m->pkt_len += 1 + rnd() % 100;	/* and a chain that lies */
	return m;
}

/* Step the device and take what B received until nothing more comes. */
static void
fuzz_rx(struct rx_set *rx, unsigned int want)
{
	unsigned int idle = 0, rounds = 0;

	while (idle < 2 && rounds++ < 1000) {
		emu.step();
		if (rx_poll(port_b, 1, rx) == 0 && rx->n >= want)
			idle++;
		else
			idle = 0;
	}
}

/* After a forged event: exchange until 16 frames all arrive exact; attempts or -1. */
static int
fuzz_recovered(struct rx_set *rx, uint32_t seed)
{
	static uint8_t fr[256], got[256];
	unsigned int attempt, i, ok;
	struct flow f;

	uint64_t deadline = rte_get_timer_cycles() + rte_get_timer_hz() * 5;

	flow_default(&f, 0, IPPROTO_UDP);
	/* up to 5 s: an RX rebuild runs on the interrupt thread, which may wait for a CPU */
	for (attempt = 0; rte_get_timer_cycles() < deadline; attempt++) {
		struct rte_mbuf *b[16];
		unsigned int sent = 0;

		for (i = 0; i < 16; i++) {
			frame_build(fr, 128, &mac_a, &mac_b, &f, seed + i);
			b[i] = mbuf_make(fr, 128, NULL, 0);
			if (b[i] == NULL) {
				rte_pktmbuf_free_bulk(b, i);
				return -1;
			}
		}
		for (i = 0; i < 100 && sent < 16; i++) {
			sent += rte_eth_tx_burst(port_a, 0, b + sent, 16 - sent);
			emu.step();
		}
		if (sent < 16)
			rte_pktmbuf_free_bulk(b + sent, 16 - sent);
		fuzz_rx(rx, sent);
		ok = 0;
		for (i = 0; i < rx->n && i < 16; i++) {
			frame_build(fr, 128, &mac_a, &mac_b, &f, seed + i);
			if (mbuf_flat(rx->m[i], got, sizeof(got)) == 128 && memcmp(got, fr, 128) == 0)
				ok++;
		}
		i = rx->n;
		rx_set_free(rx);
		if (sent == 16 && ok == 16 && i == 16)
			return (int)attempt;
		rte_delay_us_sleep(1000);
	}
	return -1;
}

/*
 * Seeded randomized run (MANA_TEST_SEED, MANA_TEST_FUZZ_ITERS): bursts of
 * good and bad packets (random chains, flags, lengths), half of them
 * through tx_prepare, and forged completions (lost, misrouted, corrupt
 * offset, owner bits jumped, over-counted) every 64 iterations or so.
 * Checks: tx_prepare takes every good packet and refuses every bad one;
 * tx_burst takes everything it is given (room permitting), drops and
 * counts exactly the bad ones; the good ones arrive byte-exact and in
 * order (outside forged events); the queues work again after each forged
 * event; no violation (strict); the mempool back at its count.
 */
static int
test_fuzz(void)
{
	CASE_BEGIN();
	static uint8_t fr[FUZZ_MAX_BURST][2048], got[2048];
	unsigned int iters = env_count("MANA_TEST_FUZZ_ITERS", 10000);
	unsigned int seed = env_count("MANA_TEST_SEED", 1), it, i, k;
	struct rx_set *rx = calloc(1, sizeof(*rx));
	struct port_cfg c = cfg_default;
	uint64_t t0 = rte_get_timer_cycles(), drops0, drops;
	uint64_t n_good = 0, n_bad = 0, n_forged = 0, n_slow = 0;
	unsigned int relaxed = 0, base, last_kind = 0, last_types = 0;

	MTEST_ASSERT(rx != NULL, "calloc");
	rng_state = seed ? seed : 1;
	c.tx_offloads = OFFL_ALL;
	MTEST_ASSERT_EQ(ports_start(&c, &cfg_default), 0);
	emu_step_mode(true);
	base = rte_mempool_in_use_count(pool);
	for (it = 0; it < iters; it++) {
		struct rte_mbuf *pk[FUZZ_MAX_BURST];
		uint32_t len[FUZZ_MAX_BURST];
		bool good[FUZZ_MAX_BURST], prepared = rnd() & 1;
		unsigned int n = 1 + rnd() % FUZZ_MAX_BURST, ng = 0, nb = 0, sent, want = 0;

		if (it % 64 == 63 && relaxed == 0) {
			/* a forged completion on TX or RX */
			unsigned int kind = 1 + rnd() % 5;
			unsigned int types = kind == MANA_EMU_FORGE_OVERCOUNT || (rnd() & 1) ?
					     MANA_EMU_FORGE_RQ : MANA_EMU_FORGE_SQ;

			last_kind = kind;
			last_types = types;
			if (emu_forge(0, types, kind, 1) != 0) {
				emu_step_mode(false);
				CHECK(0, "forge");
			}
			relaxed = 2;
			n_forged++;
		}
		for (i = 0, k = 0; i < n; i++) {
			struct rte_mbuf *m;

			good[k] = rnd() % 10 < 7;
			m = good[k] ? fuzz_good(fr[k], &len[k], prepared, it * 8 + i) :
				fuzz_bad(fr[k], it * 8 + i);
			if (m == NULL) {
				rte_pktmbuf_free_bulk(pk, k);
				emu_step_mode(false);
				CHECK(0, "alloc");
			}
			if (prepared) {
				uint16_t r;

				int err;

				rte_errno = 0;
				r = rte_eth_tx_prepare(port_a, 0, &m, 1);
				err = rte_errno;
				if (r != (good[k] ? 1 : 0) ||
				    (!good[k] && err != EINVAL && err != ENOTSUP)) {
					uint64_t ol = m->ol_flags;
					unsigned int pl = m->pkt_len, ns = m->nb_segs;

					rte_pktmbuf_free(m);
					rte_pktmbuf_free_bulk(pk, k);
					emu_step_mode(false);
					CHECK(0, "seed %u iteration %u: tx_prepare %s a %s packet "
					      "(flags %#" PRIx64 ", %u bytes, %u segments), rte_errno %d",
					      seed, it, r ? "took" : "refused", good[k] ? "good" : "bad",
					      ol, pl, ns, err);
				}
				if (!good[k]) {
					rte_pktmbuf_free(m);
					nb++;
					continue;
				}
			}
			pk[k++] = m;
		}
		n = k;
		for (i = 0; i < n; i++) {
			if (good[i])
				ng++;
			else if (!prepared)
				nb++;
		}
		drops0 = xstat(port_a, "tx_q0_bad_pkt_drops");
		sent = 0;
		for (i = 0; i < 50 && sent < n; i++) {
			sent += rte_eth_tx_burst(port_a, 0, pk + sent, n - sent);
			if (sent < n) {
				emu.step();
				n_slow++;
			}
		}
		if (sent < n) {
			rte_pktmbuf_free_bulk(pk + sent, n - sent);
			emu_step_mode(false);
			CHECK(0, "seed %u iteration %u: tx_burst took %u of %u", seed, it, sent, n);
		}
		drops = xstat(port_a, "tx_q0_bad_pkt_drops");
		if (drops - drops0 != (prepared ? 0 : nb)) {
			emu_step_mode(false);
			CHECK(0, "seed %u iteration %u: %" PRIu64 " bad packets dropped, %u sent",
			      seed, it, drops - drops0, prepared ? 0 : nb);
		}
		n_good += ng;
		n_bad += nb;
		for (i = 0; i < n; i++)
			want += good[i];
		fuzz_rx(rx, want);
		if (relaxed == 0) {
			unsigned int j = 0;

			for (i = 0; i < n && j <= rx->n; i++) {
				if (!good[i])
					continue;
				if (j == rx->n || mbuf_flat(rx->m[j], got, sizeof(got)) != len[i] ||
				    memcmp(got, fr[i], len[i]) != 0)
					break;
				j++;
			}
			if (i < n || j != rx->n) {
				unsigned int rn = rx->n;

				rx_set_free(rx);
				emu_step_mode(false);
				CHECK(0, "seed %u iteration %u: %u good packets sent, %u frames received, "
				      "frame %u not the one sent", seed, it, want, rn, j);
			}
		}
		rx_set_free(rx);
		/* exact again one iteration after the forged CQE was written */
		if (relaxed != 0 && emu_forged(0) >= n_forged && --relaxed == 0) {
			int a = fuzz_recovered(rx, 0x40000000u + it * 16);

			if (a < 0) {
				emu_step_mode(false);
				CHECK(0, "seed %u iteration %u: no traffic after a forged event (kind %u on %s)"
				      "; TX restarts %" PRIu64 " RX restarts %" PRIu64 " resyncs %" PRIu64,
				      seed, it, last_kind, last_types == MANA_EMU_FORGE_SQ ? "SQ" : "RQ",
				      xstat(port_a, "tx_q0_restarts"), xstat(port_b, "rx_q0_restarts"),
				      xstat(port_b, "rx_q0_cq_resyncs"));
			}
			if (tx_reclaimed(base) != base) {
				unsigned int now = rte_mempool_in_use_count(pool);

				rte_delay_us_sleep(2000000);
				emu_step_mode(false);
				CHECK(0, "seed %u iteration %u: %u mbufs in use after a forged event, "
				      "%u expected (%u 2 s later; restarts A %" PRIu64 " B %" PRIu64
				      ", TX restarts %" PRIu64 ")", seed, it, now, base,
				      rte_mempool_in_use_count(pool), xstat(port_a, "rx_q0_restarts"),
				      xstat(port_b, "rx_q0_restarts"), xstat(port_a, "tx_q0_restarts"));
			}
		}
	}
	emu_step_mode(false);
	free(rx);
	printf("  seed %u: %u iterations, %" PRIu64 " good and %" PRIu64 " bad packets, %" PRIu64
	       " forged completions (%" PRIu64 " CQEs), %.1f s\n", seed, iters, n_good, n_bad,
	       n_forged, emu_forged(0), (double)(rte_get_timer_cycles() - t0) / rte_get_timer_hz());
	printf("  A: bad_pkt_drops %" PRIu64 " bad_wqe_offsets %" PRIu64 " cq_resyncs %" PRIu64
	       "; B: resync_drops %" PRIu64 " restarts %" PRIu64 " bad_wqe_offsets %" PRIu64 "\n",
	       xstat(port_a, "tx_q0_bad_pkt_drops"), xstat(port_a, "tx_q0_bad_wqe_offsets"),
	       xstat(port_a, "tx_q0_cq_resyncs"), xstat(port_b, "rx_q0_resync_drops"),
	       xstat(port_b, "rx_q0_restarts"), xstat(port_b, "rx_q0_bad_wqe_offsets"));
	(void)n_slow;
	CASE_END();
}

static const struct mtest_case cases[] = {
	{ "devargs", test_devargs },
	{ "prepare", test_prepare },
	{ "prepare_queue", test_prepare_queue },
	{ "burst_bad", test_burst_bad },
	{ "stats_reset", test_stats_reset },
	{ "tx_forged", test_tx_forged },
	{ "rx_forged", test_rx_forged },
	{ "rx_overcount", test_rx_overcount },
	{ "reta_refused", test_reta_refused },
	{ "fuzz", test_fuzz },
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
	if (emu_bind() != 0 || forge_bind() != 0 || find_ports() != 0)
		return 1;
	rte_eth_macaddr_get(port_a, &mac_a);
	rte_eth_macaddr_get(port_b, &mac_b);
	if (rte_eth_dev_info_get(port_a, &info_a) != 0)
		return 1;
	pool = rte_pktmbuf_pool_create("test_hardening", NB_MBUF, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (pool == NULL) {
		fprintf(stderr, "mbuf pool: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	ret = mtest_run("hardening", cases, MTEST_N(cases), nargs, args);
	rte_eal_cleanup();
	return ret;
}
