/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Suite `memory`: DPDK's heap growing and shrinking under net_mana while a
 * second lcore forwards traffic, in any EAL memory mode.
 */

/*
 * Runs under the emulator CLI (two vPorts wired back to back):
 *   mana-emu --ports 2 --strict -- test-mana-heap -l 0-1 <EAL args> -- [case...]
 * Lcore 1 sends sequenced frames A -> B and checks each one received, with
 * no pause, while the main lcore creates mempools of 256 MiB and 512 MiB,
 * sends B -> A from mbufs spread over all of their memory, switches the
 * traffic onto them, changes the MTU to 9000 with a new jumbo pool and
 * back, and frees the pools. With hugepages and dynamic memory each pool
 * grows the heap, so EAL calls the driver's memory-event callback with its
 * heap lock held; a driver that allocates from the heap there hangs, which
 * the watchdog turns into a failure naming the step.
 */

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memory.h>
#include <rte_mempool.h>

#include "emu_bind.h"
#include "mtest.h"

#define PCI_ADDR	"7870:00:00.0"
#define NB_DESC		256
#define BURST		32
#define ETHERTYPE_TEST	0x88b5		/* IEEE local experimental */
#define JUMBO_ROOM	(9216 + RTE_PKTMBUF_HEADROOM)
#define MIB		(1024u * 1024u)
#define WATCHDOG_S	60
#define POLL_MS		3000

static struct rte_mempool *base_pool;
static uint16_t port_a, port_b;
static struct rte_ether_addr mac_a, mac_b;

/* ------------------------------------------------------------ watchdog */

static const char *volatile step = "EAL init";

static void
watchdog(int sig __rte_unused)
{
	static const char msg[] = "FAIL: no progress for " RTE_STR(WATCHDOG_S)
		" s: a hang in the driver's memory path? step: ";

	if (write(2, msg, sizeof(msg) - 1) < 0 ||
	    write(2, step, strlen(step)) < 0 || write(2, "\n", 1) < 0)
		_exit(2);
	_exit(2);
}

static void
step_begin(const char *what)
{
	step = what;
	alarm(WATCHDOG_S);
	printf("  %s\n", what);
	fflush(stdout);
}

/* ---------------------------------------------------------- mem events */

static unsigned int heap_allocs, heap_frees;

static void
mem_event(enum rte_mem_event type, const void *addr __rte_unused,
	  size_t len __rte_unused, void *arg __rte_unused)
{
	if (type == RTE_MEM_EVENT_ALLOC)
		__atomic_fetch_add(&heap_allocs, 1, __ATOMIC_RELAXED);
	else
		__atomic_fetch_add(&heap_frees, 1, __ATOMIC_RELAXED);
}

static size_t
heap_size(void)
{
	struct rte_malloc_socket_stats s;

	if (rte_malloc_get_socket_stats((int)rte_socket_id(), &s) != 0)
		return 0;
	return s.heap_totalsz_bytes;
}

/* --------------------------------------------------------------- frames */

static uint8_t
pattern(uint32_t seq, uint32_t i)
{
	return (uint8_t)(seq * 131u + i * 7u + (i >> 8));
}

/* Fill @p m with a @p len-byte frame @p src -> @p dst numbered @p seq. */
static int
frame_fill(struct rte_mbuf *m, uint32_t len, const struct rte_ether_addr *src,
	   const struct rte_ether_addr *dst, uint32_t seq)
{
	struct rte_ether_hdr *eth;
	uint8_t *p;
	uint32_t i;

	if (len > rte_pktmbuf_tailroom(m))
		return -1;
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	eth = (struct rte_ether_hdr *)p;
	rte_ether_addr_copy(dst, &eth->dst_addr);
	rte_ether_addr_copy(src, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(ETHERTYPE_TEST);
	memcpy(p + sizeof(*eth), &seq, sizeof(seq));
	for (i = sizeof(*eth) + sizeof(seq); i < len; i++)
		p[i] = pattern(seq, i);
	return 0;
}

/* 0 when @p m is the frame numbered *@p seq of @p len bytes. */
static int
frame_check(const struct rte_mbuf *m, uint32_t len, const struct rte_ether_addr *src,
	    uint32_t *seq)
{
	static __thread uint8_t b[9216];
	const uint8_t *p;
	uint32_t i;

	if (m->pkt_len != len || len > sizeof(b))
		return -1;
	p = rte_pktmbuf_read(m, 0, len, b);
	if (p == NULL || memcmp(p + RTE_ETHER_ADDR_LEN, src, RTE_ETHER_ADDR_LEN) != 0)
		return -1;
	memcpy(seq, p + sizeof(struct rte_ether_hdr), sizeof(*seq));
	for (i = sizeof(struct rte_ether_hdr) + sizeof(*seq); i < len; i++)
		if (p[i] != pattern(*seq, i))
			return -1;
	return 0;
}

/* ---------------------------------------------------------------- ports */

static int
port_setup(uint16_t port, struct rte_mempool *mp, uint16_t mtu, uint64_t rx_offloads)
{
	struct rte_eth_conf conf = { .rxmode = { .offloads = rx_offloads } };
	struct rte_eth_dev_info info;
	struct rte_eth_rxconf rxc;
	uint16_t nd;
	int ret;

	ret = rte_eth_dev_info_get(port, &info);
	if (ret != 0)
		return ret;
	conf.rxmode.mtu = mtu;
	conf.txmode.offloads = info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	ret = rte_eth_dev_configure(port, 1, 1, &conf);
	if (ret != 0)
		return ret;
	nd = RTE_MIN(NB_DESC, info.rx_desc_lim.nb_max);
	rxc = info.default_rxconf;
	rxc.offloads = rx_offloads;
	ret = rte_eth_rx_queue_setup(port, 0, nd, rte_eth_dev_socket_id(port), &rxc, mp);
	if (ret != 0) {
		fprintf(stderr, "  port %u rxq setup: %s\n", port, strerror(-ret));
		return ret;
	}
	nd = RTE_MIN(NB_DESC, info.tx_desc_lim.nb_max);
	ret = rte_eth_tx_queue_setup(port, 0, nd, rte_eth_dev_socket_id(port), NULL);
	if (ret != 0)
		return ret;
	ret = rte_eth_dev_start(port);
	if (ret != 0)
		fprintf(stderr, "  port %u start: %s\n", port, strerror(-ret));
	return ret;
}

/* ----------------------------------------------------- the traffic lcore */

struct traffic {
	struct rte_mempool *tx_pool;	/* written by main while paused */
	uint32_t len;			/* frame length, likewise */
	uint32_t pause;			/* main asks */
	uint32_t paused;		/* lcore acknowledges */
	uint32_t stop;
	uint64_t sent, received, bad, lost, no_mbuf;
	uint32_t seq;
};

static struct traffic tr;

/* One burst A -> B and all of it back on B; counts what went wrong. */
static void
traffic_burst(void)
{
	struct rte_mbuf *tx[BURST], *rx[BURST];
	uint64_t deadline;
	unsigned int n, sent = 0, got = 0, i;
	uint32_t seq;

	if (rte_pktmbuf_alloc_bulk(tr.tx_pool, tx, BURST) != 0) {
		tr.no_mbuf++;
		return;
	}
	for (i = 0; i < BURST; i++)
		frame_fill(tx[i], tr.len, &mac_a, &mac_b, tr.seq + i);
	deadline = rte_get_timer_cycles() + rte_get_timer_hz() * POLL_MS / 1000;
	while (sent < BURST && rte_get_timer_cycles() < deadline)
		sent += rte_eth_tx_burst(port_a, 0, tx + sent, BURST - sent);
	if (sent < BURST)
		rte_pktmbuf_free_bulk(tx + sent, BURST - sent);
	while (got < sent && rte_get_timer_cycles() < deadline) {
		n = rte_eth_rx_burst(port_b, 0, rx, BURST);
		for (i = 0; i < n; i++) {
			if (frame_check(rx[i], tr.len, &mac_a, &seq) != 0 ||
			    seq != tr.seq + got + i)
				tr.bad++;
		}
		rte_pktmbuf_free_bulk(rx, n);
		got += n;
		if (n == 0)
			rte_delay_us_sleep(10);
	}
	tr.sent += sent;
	tr.received += got;
	if (got < sent)
		tr.lost += sent - got;
	tr.seq += BURST;
}

static int
traffic_main(void *arg __rte_unused)
{
	while (!__atomic_load_n(&tr.stop, __ATOMIC_ACQUIRE)) {
		if (__atomic_load_n(&tr.pause, __ATOMIC_ACQUIRE)) {
			__atomic_store_n(&tr.paused, 1, __ATOMIC_RELEASE);
			rte_delay_us_sleep(100);
			continue;
		}
		__atomic_store_n(&tr.paused, 0, __ATOMIC_RELEASE);
		traffic_burst();
	}
	return 0;
}

static void
traffic_pause(bool on)
{
	__atomic_store_n(&tr.pause, on, __ATOMIC_RELEASE);
	while (on && !__atomic_load_n(&tr.paused, __ATOMIC_ACQUIRE))
		rte_delay_us_sleep(100);
}

/* Let the traffic run until it has received @p frames more (or a time-out). */
static uint64_t
traffic_wait(uint64_t frames)
{
	uint64_t start = __atomic_load_n(&tr.received, __ATOMIC_RELAXED);
	uint64_t deadline = rte_get_timer_cycles() + rte_get_timer_hz() * 10;
	uint64_t now;

	do {
		rte_delay_us_sleep(1000);
		now = __atomic_load_n(&tr.received, __ATOMIC_RELAXED);
	} while (now - start < frames && rte_get_timer_cycles() < deadline);
	return now - start;
}

/* Switch the traffic onto @p mp with @p len-byte frames. */
static void
traffic_use(struct rte_mempool *mp, uint32_t len)
{
	traffic_pause(true);
	tr.tx_pool = mp;
	tr.len = len;
	traffic_pause(false);
}

/* ----------------------------------------------------------- main lcore */

/*
 * Send @p nsend frames B -> A from mbufs spread evenly over all of @p mp's
 * memory (all of its mbufs taken, every k-th sent) and check them on A.
 */
static int
sweep_pool(struct rte_mempool *mp, unsigned int nsend, uint32_t len)
{
	unsigned int busy = rte_mempool_in_use_count(mp);	/* RX rings, caches */
	unsigned int total = mp->size - busy, taken = 0, k, i, sent = 0, got = 0, n;
	struct rte_mbuf **all, *rx[BURST];
	uint64_t deadline;
	int rc = MTEST_SUCCESS;
	uint32_t seq;

	all = calloc(total, sizeof(*all));
	MTEST_ASSERT(all != NULL, "calloc");
	while (taken < total && rte_pktmbuf_alloc_bulk(mp, all + taken,
				RTE_MIN(512u, total - taken)) == 0)
		taken += RTE_MIN(512u, total - taken);
	while (taken < total && (all[taken] = rte_pktmbuf_alloc(mp)) != NULL)
		taken++;
	k = RTE_MAX(taken / nsend, 1u);
	for (i = 0; i < taken && rc == MTEST_SUCCESS; i += k) {
		struct rte_mbuf *m = all[i];

		all[i] = NULL;
		frame_fill(m, len, &mac_b, &mac_a, i);
		deadline = rte_get_timer_cycles() + rte_get_timer_hz() * POLL_MS / 1000;
		while (rte_eth_tx_burst(port_b, 0, &m, 1) == 0) {
			if (rte_get_timer_cycles() > deadline) {
				rte_pktmbuf_free(m);
				fprintf(stderr, "  %s: TX from mbuf %u of %u refused\n",
					mp->name, i, taken);
				rc = MTEST_FAILED;
				break;
			}
			rte_delay_us_sleep(10);
		}
		if (rc != MTEST_SUCCESS)
			break;
		sent++;
		deadline = rte_get_timer_cycles() + rte_get_timer_hz() * POLL_MS / 1000;
		n = 0;
		while (n == 0 && rte_get_timer_cycles() < deadline)
			n = rte_eth_rx_burst(port_a, 0, rx, 1);
		if (n == 0 || frame_check(rx[0], len, &mac_b, &seq) != 0 || seq != i) {
			fprintf(stderr, "  %s: frame from mbuf %u of %u %s\n", mp->name, i,
				taken, n == 0 ? "not received" : "received wrong");
			rc = MTEST_FAILED;
		} else {
			got++;
		}
		rte_pktmbuf_free_bulk(rx, n);
	}
	for (i = 0; i < taken; i++)
		if (all[i] != NULL)
			rte_pktmbuf_free(all[i]);
	free(all);
	/* the TX completions give the sent mbufs back */
	deadline = rte_get_timer_cycles() + rte_get_timer_hz() * POLL_MS / 1000;
	while (rte_mempool_in_use_count(mp) > busy && rte_get_timer_cycles() < deadline) {
		rte_eth_tx_done_cleanup(port_b, 0, 0);
		rte_delay_us_sleep(100);
	}
	printf("  %s: %u of %u free mbufs taken, %u sent over all of them, %u received\n",
	       mp->name, taken, total, sent, got);
	MTEST_ASSERT(rc == MTEST_SUCCESS, "%s: TX/RX over the pool's memory", mp->name);
	MTEST_ASSERT(taken == total && got == sent && sent >= nsend / 2,
		     "%s: %u of %u taken, %u of %u received", mp->name, taken, total, got, sent);
	MTEST_ASSERT(rte_mempool_in_use_count(mp) <= busy, "%s: %u mbufs in use, %u before",
		     mp->name, rte_mempool_in_use_count(mp), busy);
	return MTEST_SUCCESS;
}

static struct rte_mempool *
pool_of(const char *name, size_t bytes, uint16_t room)
{
	size_t elt = sizeof(struct rte_mbuf) + room + 64;	/* + header, rounded */
	struct rte_mempool *mp;

	mp = rte_pktmbuf_pool_create(name, (unsigned int)(bytes / elt), 256, 0, room,
				     (int)rte_socket_id());
	if (mp == NULL)
		fprintf(stderr, "  pool %s (%zu MiB): %s\n", name, bytes / MIB,
			rte_strerror(rte_errno));
	return mp;
}

/* Change both ports' MTU as OVS does: stop, new RX pool on B, start. */
static int
mtu_change(uint16_t mtu, struct rte_mempool *rx_pool_b)
{
	uint64_t t0;
	int ret;

	traffic_pause(true);
	t0 = rte_get_timer_cycles();
	rte_eth_dev_stop(port_a);
	rte_eth_dev_stop(port_b);
	ret = port_setup(port_a, base_pool, mtu, RTE_ETH_RX_OFFLOAD_SCATTER);
	if (ret == 0)
		ret = port_setup(port_b, rx_pool_b, mtu, 0);
	/* printed, not asserted: what the driver adds to an application's MTU change */
	printf("  MTU %u: both ports stopped, set up and started in %.1f ms\n", mtu,
	       (double)(rte_get_timer_cycles() - t0) * 1000 / rte_get_timer_hz());
	return ret;
}

/* The steps, traffic running; the caller stops it, even on failure. */
static int
heap_growth_steps(struct rte_mempool **big, struct rte_mempool **jumbo, size_t *heap1)
{
	uint64_t got, t0;

	step_begin("traffic on the first pool");
	got = traffic_wait(2000);
	MTEST_ASSERT(got >= 2000, "traffic: %" PRIu64 " frames received in 10 s", got);

	step_begin("create a 256 MiB pool while traffic flows");
	*big = pool_of("big256", 256 * MIB, RTE_MBUF_DEFAULT_BUF_SIZE);
	MTEST_ASSERT(*big != NULL, "256 MiB pool");
	step_begin("send from all over the 256 MiB pool");
	MTEST_ASSERT_EQ(sweep_pool(*big, 512, 1000), MTEST_SUCCESS);
	step_begin("traffic from the 256 MiB pool");
	traffic_use(*big, 1514);
	got = traffic_wait(2000);
	MTEST_ASSERT(got >= 2000, "traffic from big256: %" PRIu64 " frames", got);

	step_begin("create a 512 MiB jumbo pool while traffic flows");
	t0 = rte_get_timer_cycles();
	*jumbo = pool_of("jumbo512", 512 * MIB, JUMBO_ROOM);
	printf("  jumbo512 created in %.1f ms\n",
	       (double)(rte_get_timer_cycles() - t0) * 1000 / rte_get_timer_hz());
	MTEST_ASSERT(*jumbo != NULL, "512 MiB pool");
	*heap1 = heap_size();
	step_begin("send from all over the jumbo pool");
	MTEST_ASSERT_EQ(sweep_pool(*jumbo, 256, 1500), MTEST_SUCCESS);
	step_begin("MTU 9000 with the jumbo pool");
	MTEST_ASSERT_EQ(mtu_change(9000, *jumbo), 0);
	tr.tx_pool = *jumbo;
	tr.len = 9014;
	traffic_pause(false);
	got = traffic_wait(1000);
	MTEST_ASSERT(got >= 1000, "9014-byte traffic: %" PRIu64 " frames", got);

	step_begin("MTU 1500 with the first pool");
	MTEST_ASSERT_EQ(mtu_change(RTE_ETHER_MTU, base_pool), 0);
	tr.tx_pool = *big;
	tr.len = 1514;
	traffic_pause(false);
	got = traffic_wait(1000);
	MTEST_ASSERT(got >= 1000, "traffic after MTU 1500: %" PRIu64 " frames", got);
	step_begin("free the jumbo pool while traffic flows");
	MTEST_ASSERT(rte_mempool_in_use_count(*jumbo) == 0, "jumbo512: %u in use",
		     rte_mempool_in_use_count(*jumbo));
	rte_mempool_free(*jumbo);
	*jumbo = NULL;
	step_begin("a third pool where the jumbo pool was");
	*jumbo = pool_of("again256", 256 * MIB, RTE_MBUF_DEFAULT_BUF_SIZE);
	MTEST_ASSERT(*jumbo != NULL, "256 MiB pool");
	MTEST_ASSERT_EQ(sweep_pool(*jumbo, 256, 600), MTEST_SUCCESS);
	traffic_use(*jumbo, 1514);
	got = traffic_wait(1000);
	MTEST_ASSERT(got >= 1000, "traffic from again256: %" PRIu64 " frames", got);
	return MTEST_SUCCESS;
}

static int
test_heap_growth(void)
{
	struct rte_mempool *big = NULL, *jumbo = NULL;
	unsigned int base_in_use, allocs0;
	size_t heap0, heap1 = 0;
	int ret, rc;

	step_begin("start the ports");
	ret = rte_mem_event_callback_register("test_heap", mem_event, NULL);
	MTEST_ASSERT(ret == 0 || rte_errno == ENOTSUP, "mem event callback: %s",
		     rte_strerror(rte_errno));
	base_in_use = rte_mempool_in_use_count(base_pool);
	MTEST_ASSERT_EQ(port_setup(port_a, base_pool, RTE_ETHER_MTU,
				   RTE_ETH_RX_OFFLOAD_SCATTER), 0);
	MTEST_ASSERT_EQ(port_setup(port_b, base_pool, RTE_ETHER_MTU, 0), 0);
	heap0 = heap_size();
	allocs0 = heap_allocs;

	tr.tx_pool = base_pool;
	tr.len = 1514;
	MTEST_ASSERT_EQ(rte_eal_remote_launch(traffic_main, NULL,
					      rte_get_next_lcore(-1, 1, 0)), 0);
	rc = heap_growth_steps(&big, &jumbo, &heap1);

	step_begin("stop the traffic");
	traffic_use(base_pool, 1514);
	__atomic_store_n(&tr.stop, 1, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
	rte_eth_dev_stop(port_a);
	rte_eth_dev_stop(port_b);
	alarm(0);
	printf("  traffic: %" PRIu64 " sent, %" PRIu64 " received, %" PRIu64 " wrong, %"
	       PRIu64 " lost, %" PRIu64 " bursts without mbufs\n",
	       tr.sent, tr.received, tr.bad, tr.lost, tr.no_mbuf);
	printf("  heap: %zu MiB at start, %zu MiB with the pools; %u memory allocation "
	       "events, %u free events\n", heap0 / MIB, heap1 / MIB,
	       heap_allocs - allocs0, heap_frees);
	MTEST_ASSERT(emu.violation_count() == 0, "emulator violations");
	if (rc != MTEST_SUCCESS)
		return rc;
	MTEST_ASSERT(tr.bad == 0 && tr.lost == 0 && tr.no_mbuf == 0,
		     "%" PRIu64 " wrong, %" PRIu64 " lost, %" PRIu64 " bursts without mbufs",
		     tr.bad, tr.lost, tr.no_mbuf);
	MTEST_ASSERT(rte_mempool_in_use_count(big) == 0 && rte_mempool_in_use_count(jumbo) == 0,
		     "mbufs of the new pools not given back");
	rte_mempool_free(big);
	rte_mempool_free(jumbo);
	MTEST_ASSERT(rte_mempool_in_use_count(base_pool) == base_in_use,
		     "base pool: %u in use, %u at start", rte_mempool_in_use_count(base_pool),
		     base_in_use);
	/* with dynamic memory the heap must really have grown, or this proved nothing */
	if (strcmp(getenv("MANA_TEST_MEM") ?: "", "huge") == 0)
		MTEST_ASSERT(heap_allocs - allocs0 >= 2 && heap1 >= heap0 + 700 * MIB,
			     "the heap did not grow (%u events, %zu -> %zu MiB)",
			     heap_allocs - allocs0, heap0 / MIB, heap1 / MIB);
	else
		MTEST_ASSERT(heap_allocs == allocs0, "memory events without dynamic memory");
	return MTEST_SUCCESS;
}

static const struct mtest_case cases[] = {
	{ "heap_growth", test_heap_growth },
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
		}
	}
	if (found != 3) {
		fprintf(stderr, "ports %s_port1 and _port2 not both found\n", PCI_ADDR);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	int ret, nargs;
	char **args;

	signal(SIGALRM, watchdog);
	alarm(WATCHDOG_S);
	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	args = mtest_case_args(argc, argv, ret, &nargs);
	if (emu_bind() != 0 || find_ports() != 0)
		return 1;
	if (rte_lcore_count() < 2) {
		fprintf(stderr, "give two lcores (-l 0-1)\n");
		return 1;
	}
	rte_eth_macaddr_get(port_a, &mac_a);
	rte_eth_macaddr_get(port_b, &mac_b);
	step_begin("create the first pool");
	base_pool = rte_pktmbuf_pool_create("base", 8191, 256, 0,
					    RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (base_pool == NULL) {
		fprintf(stderr, "mbuf pool: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	ret = mtest_run("memory", cases, MTEST_N(cases), nargs, args);
	rte_eal_cleanup();
	return ret;
}
