/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Benchmark of net_mana's rx_burst and tx_burst alone, on mana-emu in step mode.
 */

/*
 * Runs under the emulator CLI (two vPorts wired back to back):
 *   mana-emu --ports 2 -- bench-mana <EAL args, -d librte_net_mana.so> [-- packets]
 * The emulator runs in step mode: the device moves only when this program
 * calls mana_emu_step(), always outside the measured calls. Measured: each
 * rte_eth_tx_burst() / rte_eth_rx_burst() call, which includes the driver's
 * completion polling, mbuf free (TX) and refill (RX). Not measured: building
 * the packets, freeing received ones, the device. Reports TSC cycles and, if
 * the CPU exposes them (perf_event_open), user-space instructions per packet.
 */

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "mana_emu.h"

#define NB_MBUF		16383
#define NB_DESC		256
#define MAX_BURST	64
#define WARMUP_BURSTS	500

static struct {
	__typeof__(mana_emu_set_mode) *set_mode;
	__typeof__(mana_emu_step) *step;
	__typeof__(mana_emu_violation_count) *violation_count;
} emu;

static struct rte_mempool *pool;
static uint16_t port_a, port_b;
static struct rte_ether_addr mac_a, mac_b;
static int perf_fd = -1;
static uint64_t tsc_overhead, instr_overhead;

/* ------------------------------------------------------------ counters */

static void
perf_open(void)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_HARDWARE;
	a.size = sizeof(a);
	a.config = PERF_COUNT_HW_INSTRUCTIONS;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	perf_fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
}

static inline uint64_t
instr_read(void)
{
	uint64_t v = 0;

	if (perf_fd < 0 || read(perf_fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

#define MAX_SAMPLES	(1u << 20)

struct meter {
	uint64_t cycles;
	uint64_t instr;
	uint64_t pkts;
	uint64_t calls;
	float *per_pkt;		/* cycles per packet of each call */
};

static float samples[MAX_SAMPLES];

static void
meter_reset(struct meter *mt)
{
	memset(mt, 0, sizeof(*mt));
	mt->per_pkt = samples;
}

static void
meter_add(struct meter *mt, uint64_t cycles, uint64_t instr, unsigned int pkts)
{
	if (pkts == 0)
		return;
	mt->cycles += cycles;
	mt->instr += instr;
	mt->pkts += pkts;
	if (mt->calls < MAX_SAMPLES)
		mt->per_pkt[mt->calls] = (float)cycles / pkts;
	mt->calls++;
}

static int
float_cmp(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return x < y ? -1 : x > y;
}

/* Median over calls of the per-packet cycles (robust to preemption). */
static double
meter_median(struct meter *mt)
{
	size_t n = RTE_MIN(mt->calls, (uint64_t)MAX_SAMPLES);

	if (n == 0)
		return 0;
	qsort(mt->per_pkt, n, sizeof(float), float_cmp);
	return mt->per_pkt[n / 2];
}

/* Calibrate what an empty measured region costs. */
static void
calibrate(void)
{
	uint64_t best_c = UINT64_MAX, best_i = UINT64_MAX;
	int i;

	for (i = 0; i < 1000; i++) {
		uint64_t i0 = instr_read();
		uint64_t c0 = rte_rdtsc_precise();
		uint64_t c1 = rte_rdtsc_precise();
		uint64_t i1 = instr_read();

		if (c1 - c0 < best_c)
			best_c = c1 - c0;
		if (i1 - i0 < best_i)
			best_i = i1 - i0;
	}
	tsc_overhead = best_c;
	instr_overhead = perf_fd >= 0 ? best_i : 0;
}

/* ------------------------------------------------------------ packets */

static uint8_t tmpl[2048];

static void
template_build(uint16_t len, const struct rte_ether_addr *src, const struct rte_ether_addr *dst)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)tmpl;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint32_t i;

	for (i = 0; i < sizeof(tmpl); i++)
		tmpl[i] = (uint8_t)i;
	rte_ether_addr_copy(dst, &eth->dst_addr);
	rte_ether_addr_copy(src, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(len - sizeof(*eth));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(RTE_IPV4(10, 0, 0, 1));
	ip->dst_addr = rte_cpu_to_be_32(RTE_IPV4(10, 0, 0, 2));
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(1024);
	udp->dst_port = rte_cpu_to_be_16(5001);
	udp->dgram_len = rte_cpu_to_be_16(len - sizeof(*eth) - sizeof(*ip));
	udp->dgram_cksum = 0;
}

/*
 * @p n packets of @p len bytes from the template: with @p segs > 1 the
 * headers (42 bytes) alone in the first segment; segments hold <= 2 KB.
 */
static int
packets_make(struct rte_mbuf **p, unsigned int n, uint16_t len, unsigned int segs)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = NULL, *last = NULL;
		uint16_t off = 0;

		while (off < len) {
			struct rte_mbuf *s = rte_pktmbuf_alloc(pool);
			uint16_t chunk = RTE_MIN((uint16_t)(len - off), (uint16_t)2048);

			if (s == NULL) {
				rte_pktmbuf_free(m);
				goto fail;
			}
			if (off == 0 && segs > 1)
				chunk = 42;
			/* the headers matter (MAC policing); the payload is what it is */
			if (off == 0)
				memcpy(rte_pktmbuf_mtod(s, void *), tmpl, RTE_MIN(chunk, 64));
			s->data_len = chunk;
			if (m == NULL) {
				m = s;
			} else {
				last->next = s;
				m->nb_segs++;
			}
			last = s;
			off += chunk;
		}
		m->pkt_len = len;
		p[i] = m;
	}
	return 0;
fail:
	rte_pktmbuf_free_bulk(p, i);
	return -ENOMEM;
}

static void
emu_settle(void)
{
	int i;

	for (i = 0; i < 64 && emu.step() != 0; i++)
		;
}

/* ------------------------------------------------------------ runs */

static void
bench_tx(struct meter *mt, uint16_t len, unsigned int segs, unsigned int burst,
	 unsigned int bursts)
{
	struct rte_mbuf *p[MAX_BURST];
	unsigned int b, k;

	meter_reset(mt);
	template_build(len, &mac_a, &mac_b);
	for (b = 0; b < WARMUP_BURSTS + bursts; b++) {
		uint64_t c0, c1, i0, i1;

		if (packets_make(p, burst, len, segs) != 0)
			break;
		i0 = instr_read();
		c0 = rte_rdtsc_precise();
		k = rte_eth_tx_burst(port_a, 0, p, burst);
		c1 = rte_rdtsc_precise();
		i1 = instr_read();
		if (k < burst)
			rte_pktmbuf_free_bulk(p + k, burst - k);
		if (b >= WARMUP_BURSTS)
			meter_add(mt, c1 - c0 - tsc_overhead, i1 - i0 - instr_overhead, k);
		/* the device sends and completes; B's RX ring is drained untimed */
		emu_settle();
		while ((k = rte_eth_rx_burst(port_b, 0, p, MAX_BURST)) != 0)
			rte_pktmbuf_free_bulk(p, k);
	}
}

static void
bench_rx(struct meter *mt, uint16_t len, unsigned int burst, unsigned int bursts)
{
	struct rte_mbuf *p[MAX_BURST];
	unsigned int b, k, got;

	meter_reset(mt);
	template_build(len, &mac_a, &mac_b);
	for (b = 0; b < WARMUP_BURSTS + bursts; b++) {
		if (packets_make(p, burst, len, 1) != 0)
			break;
		k = rte_eth_tx_burst(port_a, 0, p, burst);
		if (k < burst)
			rte_pktmbuf_free_bulk(p + k, burst - k);
		emu_settle();
		for (got = 0; got < k; ) {
			uint64_t c0, c1, i0, i1;
			unsigned int n;

			i0 = instr_read();
			c0 = rte_rdtsc_precise();
			n = rte_eth_rx_burst(port_b, 0, p, burst);
			c1 = rte_rdtsc_precise();
			i1 = instr_read();
			if (n == 0)
				break;	/* lost on the way: counted by fewer packets */
			if (b >= WARMUP_BURSTS)
				meter_add(mt, c1 - c0 - tsc_overhead, i1 - i0 - instr_overhead, n);
			got += n;
			rte_pktmbuf_free_bulk(p, n);
		}
		/* RX refill doorbells reach the device */
		emu_settle();
	}
}

static void
print_row(const char *dir, uint16_t len, unsigned int segs, unsigned int burst,
	  struct meter *mt)
{
	char instr[32];

	if (mt->pkts == 0) {
		printf("%-3s %6u %5u %6u %14s %12s %12s %10s\n", dir, len, segs, burst,
		       "-", "-", "-", "0");
		return;
	}
	if (perf_fd >= 0)
		snprintf(instr, sizeof(instr), "%.1f", (double)mt->instr / mt->pkts);
	else
		snprintf(instr, sizeof(instr), "n/a");
	printf("%-3s %6u %5u %6u %14.1f %12.1f %12s %10" PRIu64 "\n", dir, len, segs, burst,
	       meter_median(mt), (double)mt->cycles / mt->pkts, instr, mt->pkts);
	fflush(stdout);
}

/* Touch every mbuf once so page faults stay out of the measurements. */
static void
pool_touch(struct rte_mempool *mp __rte_unused, void *arg __rte_unused, void *obj,
	   unsigned int idx __rte_unused)
{
	struct rte_mbuf *m = obj;

	memset(m->buf_addr, 0, m->buf_len);
}

static int
port_setup(uint16_t port, uint64_t rx_offloads, uint64_t tx_offloads, uint16_t mtu)
{
	struct rte_eth_conf conf;
	struct rte_eth_rxconf rxc;
	struct rte_eth_txconf txc;
	struct rte_eth_dev_info info;
	int ret;

	memset(&conf, 0, sizeof(conf));
	conf.rxmode.offloads = rx_offloads;
	conf.rxmode.mtu = mtu;
	conf.txmode.offloads = tx_offloads;
	ret = rte_eth_dev_info_get(port, &info);
	if (ret == 0)
		ret = rte_eth_dev_configure(port, 1, 1, &conf);
	rxc = info.default_rxconf;
	rxc.offloads = rx_offloads;
	txc = info.default_txconf;
	txc.offloads = tx_offloads;
	if (ret == 0)
		ret = rte_eth_rx_queue_setup(port, 0, NB_DESC, rte_eth_dev_socket_id(port),
					     &rxc, pool);
	if (ret == 0)
		ret = rte_eth_tx_queue_setup(port, 0, NB_DESC, rte_eth_dev_socket_id(port), &txc);
	if (ret == 0)
		ret = rte_eth_dev_start(port);
	if (ret != 0)
		fprintf(stderr, "port %u set-up: %s\n", port, strerror(-ret));
	return ret;
}

static int
ports_setup(bool jumbo)
{
	uint64_t rx = jumbo ? RTE_ETH_RX_OFFLOAD_SCATTER : 0;
	uint64_t tx = RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	uint16_t mtu = jumbo ? 9000 : 1500;

	emu.set_mode(MANA_EMU_MODE_THREAD);
	rte_eth_dev_stop(port_a);
	rte_eth_dev_stop(port_b);
	if (port_setup(port_a, rx, tx, mtu) != 0 || port_setup(port_b, rx, tx, mtu) != 0)
		return -1;
	/* from here on the device moves only when stepped */
	return emu.set_mode(MANA_EMU_MODE_STEP);
}

/*
 * BENCH_ONLY="dir,bytes,segs,burst" (e.g. "tx,64,1,32") runs one row, so that
 * an instruction counter such as callgrind can attribute its whole count to
 * that row. A burst of 0 in the call matches any burst.
 */
static bool
row_selected(const char *dir, unsigned int len, unsigned int segs, unsigned int burst)
{
	const char *only = getenv("BENCH_ONLY");
	char d[8];
	unsigned int l, s, b;

	if (only == NULL || only[0] == '\0')
		return true;
	if (sscanf(only, "%7[a-z],%u,%u,%u", d, &l, &s, &b) != 4)
		return true;
	return strcmp(d, dir) == 0 && l == len && s == segs && (burst == 0 || b == burst);
}

int
main(int argc, char **argv)
{
	static const unsigned int bursts[] = { 1, 8, 32, 64 };
	static const struct {
		uint16_t len;
		unsigned int segs;
	} tx_shapes[] = { { 64, 1 }, { 64, 2 }, { 1500, 1 }, { 1500, 2 } };
	unsigned int packets = 100000, i, j;
	struct meter mt;
	char name[RTE_ETH_NAME_MAX_LEN];
	uint16_t p;
	int ret;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= ret;
	argv += ret;
	if (argc > 1 && atoi(argv[argc - 1]) > 0)
		packets = (unsigned int)atoi(argv[argc - 1]);
	*(void **)&emu.set_mode = dlsym(RTLD_DEFAULT, "mana_emu_set_mode");
	*(void **)&emu.step = dlsym(RTLD_DEFAULT, "mana_emu_step");
	*(void **)&emu.violation_count = dlsym(RTLD_DEFAULT, "mana_emu_violation_count");
	if (emu.set_mode == NULL || emu.step == NULL || emu.violation_count == NULL) {
		fprintf(stderr, "mana-emu's control API not found: run under mana-emu\n");
		return 1;
	}
	ret = 0;
	RTE_ETH_FOREACH_DEV(p) {
		rte_eth_dev_get_name_by_port(p, name);
		if (strstr(name, "_port1") != NULL) {
			port_a = p;
			ret |= 1;
		} else if (strstr(name, "_port2") != NULL) {
			port_b = p;
			ret |= 2;
		}
	}
	if (ret != 3) {
		fprintf(stderr, "need the two vPorts of mana-emu --ports 2\n");
		return 1;
	}
	rte_eth_macaddr_get(port_a, &mac_a);
	rte_eth_macaddr_get(port_b, &mac_b);
	pool = rte_pktmbuf_pool_create("bench", NB_MBUF, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       rte_socket_id());
	if (pool == NULL)
		return 1;
	rte_mempool_obj_iter(pool, pool_touch, NULL);
	if (ports_setup(false) != 0)
		return 1;
	perf_open();
	calibrate();

	printf("net_mana burst costs, driver only (mana-emu stepped outside the measured calls)\n");
	printf("%u packets per row; TSC %.2f GHz; measurement overhead subtracted: %" PRIu64
	       " cycles%s\n", packets, rte_get_tsc_hz() / 1e9, tsc_overhead,
	       perf_fd >= 0 ? "" : "; instructions n/a (no perf_event_open hardware counter)");
	printf("%-3s %6s %5s %6s %14s %12s %12s %10s\n", "dir", "bytes", "segs", "burst",
	       "cycles/pkt", "(mean)", "instr/pkt", "packets");
	printf("%-3s %6s %5s %6s %14s\n", "", "", "", "", "(median call)");
	for (i = 0; i < RTE_DIM(tx_shapes); i++)
		for (j = 0; j < RTE_DIM(bursts); j++) {
			if (!row_selected("tx", tx_shapes[i].len, tx_shapes[i].segs, bursts[j]))
				continue;
			bench_tx(&mt, tx_shapes[i].len, tx_shapes[i].segs, bursts[j],
				 packets / bursts[j]);
			print_row("tx", tx_shapes[i].len, tx_shapes[i].segs, bursts[j], &mt);
		}
	for (i = 0; i < RTE_DIM(tx_shapes); i += 2)
		for (j = 0; j < RTE_DIM(bursts); j++) {
			if (!row_selected("rx", tx_shapes[i].len, 1, bursts[j]))
				continue;
			bench_rx(&mt, tx_shapes[i].len, bursts[j], packets / bursts[j]);
			print_row("rx", tx_shapes[i].len, 1, bursts[j], &mt);
		}
	/* RX scatter: 4000-byte frames into 2 KB mbufs (MTU 9000) */
	if (row_selected("rx", 4000, 2, 0) && ports_setup(true) == 0) {
		for (j = 0; j < RTE_DIM(bursts); j++) {
			if (!row_selected("rx", 4000, 2, bursts[j]))
				continue;
			bench_rx(&mt, 4000, bursts[j], packets / bursts[j] / 4);
			print_row("rx", 4000, 2, bursts[j], &mt);
		}
	}
	emu.set_mode(MANA_EMU_MODE_THREAD);
	printf("emulator violations: %" PRIu64 "\n", emu.violation_count());
	rte_eth_dev_stop(port_a);
	rte_eth_dev_stop(port_b);
	rte_eth_dev_close(port_a);
	rte_eth_dev_close(port_b);
	rte_eal_cleanup();
	return 0;
}
