/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Suite `driver`, contract-*: the netvsc master's use of its VF replayed
 * against net_mana on mana-emu (vf-hotplug.md sections 3 and 5).
 */

/*
 * Runs under the emulator CLI with three vPorts on one function (0 and 1
 * wired back to back, 2 unwired and left out by the devargs), see
 * run_contract.sh:
 *   mana-emu --ports 3 --opt wire0=pair --opt wire1=pair --opt wire2=none \
 *       --strict -- test-mana-contract -l 0,1 \
 *       -a 7870:00:00.0,mac=<vPort 0>,mac=<vPort 1> ... -- <case>
 * Only the public ethdev/EAL API touches the PMD; faults come from the
 * emulator's control API (emu/verbs/mana_emu.h), found with dlsym().
 *
 * Two "masters" each own one VF port (vPort 0 and vPort 1 of the same PCI
 * function, the "several netdevs under one MANA device" arrangement) and
 * behave as the netvsc PMD does: they find their VF by MAC among unowned
 * ports, take ownership, configure it with rmv interrupts, switch TX to it,
 * and on the VF's events switch TX away, tear down and re-attach, or wait
 * for the PMD's own recovery. A traffic lcore runs both data paths the whole
 * time, taking each master's VF lock for reading around the VF bursts as
 * netvsc does; events arrive while it is inside the bursts.
 *
 * Environment: MANA_CONTRACT_CYCLES (netvsc case, default 126: 101
 * removals, 21 resets, 4 failed resets).
 */

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_alarm.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_rwlock.h>
#include <rte_string_fns.h>
#include <rte_udp.h>

#include "emu_bind.h"
#include "mana_rss.h"
#include "mtest.h"
#include "mtest_eth.h"

#define PCI_HOME	"7870:00:00.0"
#define PCI_AWAY	"7870:00:01.0"
#define NB_MBUF		8191
#define NB_DESC		256
#define NB_RXQ		2
#define FRAME_LEN	96
#define WAIT_S		10	/* bound of every wait: a hang, not a speed check */

/* ---------------------------------------------------------------- emulator */

static uint64_t
emu_count(const char *name)
{
	uint64_t v = UINT64_MAX;

	emu.counter(0, name, &v);
	return v;
}

static const char *
violations(void)
{
	static char buf[4096];

	buf[0] = '\0';
	emu.violations_text(buf, sizeof(buf));
	return buf;
}

/* Failure diagnostics: the emulator's non-zero counters. */
static void
emu_stats_dump(void)
{
	__typeof__(mana_emu_stats_text) *text;
	static char buf[16384];
	char *line, *save = NULL;

	*(void **)&text = dlsym(RTLD_DEFAULT, "mana_emu_stats_text");
	if (text == NULL)
		return;
	text(buf, sizeof(buf));
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strlen(line) < 2 || strcmp(line + strlen(line) - 2, " 0") != 0)
			fprintf(stderr, "    emu %s\n", line);
}

static uint64_t
now_ms(void)
{
	return rte_get_timer_cycles() * 1000 / rte_get_timer_hz();
}

/* ------------------------------------------------------------ allocations */

/* What must come back once no port of the function exists. */
struct usage {
	uint64_t heap_bytes;
	uint64_t heap_allocs;
	unsigned int mbufs;
	uint64_t emu_ctx, emu_obj, emu_chan;
};

static struct rte_mempool *pool;

static void
usage_get(struct usage *u)
{
	struct rte_malloc_socket_stats st;
	int s;

	memset(u, 0, sizeof(*u));
	for (s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		if (rte_malloc_get_socket_stats(s, &st) != 0)
			continue;
		u->heap_bytes += st.heap_allocsz_bytes;
		u->heap_allocs += st.alloc_count;
	}
	u->mbufs = rte_mempool_in_use_count(pool);
	u->emu_ctx = emu_count("live_contexts");
	u->emu_obj = emu_count("live_objects");
	u->emu_chan = emu_count("live_channels");
}

static int
usage_check(const struct usage *base, const char *when)
{
	struct usage u;

	usage_get(&u);
	MTEST_ASSERT(u.mbufs == base->mbufs && u.heap_allocs == base->heap_allocs &&
		     u.heap_bytes == base->heap_bytes && u.emu_ctx == base->emu_ctx &&
		     u.emu_obj == base->emu_obj && u.emu_chan == base->emu_chan,
		     "%s: mbufs %u (baseline %u), rte_malloc %" PRIu64 " allocations / %"
		     PRIu64 " bytes (baseline %" PRIu64 " / %" PRIu64 "), emulator contexts %"
		     PRIu64 " objects %" PRIu64 " channels %" PRIu64 " (baseline %" PRIu64
		     " %" PRIu64 " %" PRIu64 ")", when, u.mbufs, base->mbufs,
		     u.heap_allocs, u.heap_bytes, base->heap_allocs, base->heap_bytes,
		     u.emu_ctx, u.emu_obj, u.emu_chan, base->emu_ctx, base->emu_obj,
		     base->emu_chan);
	return MTEST_SUCCESS;
}

/* ----------------------------------------------------------------- frames */

static void
frame_fill(uint8_t *fr, uint32_t len, const struct rte_ether_addr *src,
	   const struct rte_ether_addr *dst, uint16_t sport, uint16_t dport)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)fr;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint32_t i;

	memset(fr, 0, len);
	rte_ether_addr_copy(dst, &eth->dst_addr);
	rte_ether_addr_copy(src, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(len - sizeof(*eth));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(RTE_IPV4(10, 0, 0, 1) + sport);
	ip->dst_addr = rte_cpu_to_be_32(RTE_IPV4(10, 0, 1, 1));
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(sport);
	udp->dst_port = rte_cpu_to_be_16(dport);
	udp->dgram_len = rte_cpu_to_be_16(len - sizeof(*eth) - sizeof(*ip));
	for (i = sizeof(*eth) + sizeof(*ip) + sizeof(*udp); i < len; i++)
		fr[i] = (uint8_t)(i * 7 + sport);
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
}

static struct rte_mbuf *
mbuf_from(const uint8_t *fr, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	if (m == NULL)
		return NULL;
	if (rte_pktmbuf_append(m, len) == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memcpy(rte_pktmbuf_mtod(m, void *), fr, len);
	return m;
}

/* ---------------------------------------------------------------- masters */

/* VF state as the data path sees it, one word: (generation << 1) | gated. */
#define GATE_BIT	1u

struct master {
	const char *name;
	struct rte_ether_addr mac;	/* synthetic NIC's = the VF's MAC */
	struct rte_ether_addr peer;	/* where this master's traffic goes */
	uint64_t owner_id;
	rte_rwlock_t vf_lock;		/* data path: read; attach/detach: write */
	uint16_t port;			/* VF port while attached */
	bool attached;			/* data path may use port */
	volatile uint8_t tx_on_vf;	/* data path switched to the VF */
	uint32_t vf_state;		/* written by the event callback */
	struct rte_device *rdev;
	/* events from the interrupt thread, handled in the main loop */
	uint32_t ev_rmv, ev_recovering, ev_success, ev_failed;
	uint32_t seen_rmv, seen_recovering, seen_success, seen_failed;
	/* data path counters (traffic lcore) */
	uint64_t vf_tx, vf_rx, syn_tx, rx_foreign, gated_violations;
};

static struct master masters[2];
static uint16_t owner_of_port[RTE_MAX_ETHPORTS];	/* master index + 1 */
static struct rte_ether_addr mac_c;	/* vPort 2: not in the devargs */
static char cached_devargs[256];
static char cur_pci[RTE_DEV_NAME_MAX_LEN] = PCI_HOME;
static volatile bool traffic_run;

static int
event_cb(uint16_t port, enum rte_eth_event_type ev, void *arg __rte_unused,
	 void *ret __rte_unused)
{
	uint16_t o = port < RTE_MAX_ETHPORTS ?
		__atomic_load_n(&owner_of_port[port], __ATOMIC_ACQUIRE) : 0;
	struct master *m;

	if (o == 0)
		return 0;
	m = &masters[o - 1];
	switch (ev) {
	case RTE_ETH_EVENT_INTR_RMV:
		__atomic_store_n(&m->vf_state, ((m->vf_state >> 1) + 1) << 1 | GATE_BIT,
				 __ATOMIC_RELEASE);
		__atomic_fetch_add(&m->ev_rmv, 1, __ATOMIC_RELEASE);
		break;
	case RTE_ETH_EVENT_ERR_RECOVERING:
		__atomic_store_n(&m->vf_state, ((m->vf_state >> 1) + 1) << 1 | GATE_BIT,
				 __ATOMIC_RELEASE);
		__atomic_fetch_add(&m->ev_recovering, 1, __ATOMIC_RELEASE);
		break;
	case RTE_ETH_EVENT_RECOVERY_SUCCESS:
		__atomic_store_n(&m->vf_state, ((m->vf_state >> 1) + 1) << 1,
				 __ATOMIC_RELEASE);
		__atomic_fetch_add(&m->ev_success, 1, __ATOMIC_RELEASE);
		break;
	case RTE_ETH_EVENT_RECOVERY_FAILED:
		__atomic_fetch_add(&m->ev_failed, 1, __ATOMIC_RELEASE);
		break;
	default:
		break;
	}
	return 0;
}

static int
events_register(void)
{
	static const enum rte_eth_event_type evs[] = {
		RTE_ETH_EVENT_INTR_RMV, RTE_ETH_EVENT_ERR_RECOVERING,
		RTE_ETH_EVENT_RECOVERY_SUCCESS, RTE_ETH_EVENT_RECOVERY_FAILED,
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(evs); i++)
		if (rte_eth_dev_callback_register(RTE_ETH_ALL, evs[i], event_cb, NULL) != 0)
			return -1;
	return 0;
}

/* ------------------------------------------------------- traffic lcore -- */

static void
traffic_master(struct master *m, unsigned int round)
{
	struct rte_mbuf *b[16];
	uint32_t st0, st1;
	uint16_t q, n, i, k;

	rte_rwlock_read_lock(&m->vf_lock);
	if (!m->attached) {
		/* synthetic path only: nothing of the VF is touched */
		m->syn_tx += 8;
		rte_rwlock_read_unlock(&m->vf_lock);
		return;
	}
	for (q = 0; q < NB_RXQ; q++) {
		st0 = __atomic_load_n(&m->vf_state, __ATOMIC_ACQUIRE);
		n = rte_eth_rx_burst(m->port, q, b, RTE_DIM(b));
		st1 = __atomic_load_n(&m->vf_state, __ATOMIC_ACQUIRE);
		if (n != 0 && st0 == st1 && (st0 & GATE_BIT))
			m->gated_violations++;
		for (i = 0; i < n; i++) {
			struct rte_ether_hdr *e = rte_pktmbuf_mtod(b[i], struct rte_ether_hdr *);

			if (rte_is_same_ether_addr(&e->dst_addr, &m->mac))
				m->vf_rx++;
			else
				m->rx_foreign++;
		}
		rte_pktmbuf_free_bulk(b, n);
	}
	if (!m->tx_on_vf) {
		m->syn_tx += 8;
	} else {
		static __thread uint8_t fr[FRAME_LEN];

		for (k = 0; k < 8; k++) {
			frame_fill(fr, FRAME_LEN, &m->mac, &m->peer,
				   (uint16_t)(1000 + ((round * 8 + k) & 255)), 5001);
			b[k] = mbuf_from(fr, FRAME_LEN);
			if (b[k] == NULL)
				break;
		}
		st0 = __atomic_load_n(&m->vf_state, __ATOMIC_ACQUIRE);
		n = rte_eth_tx_burst(m->port, 0, b, k);
		st1 = __atomic_load_n(&m->vf_state, __ATOMIC_ACQUIRE);
		if (n != 0 && st0 == st1 && (st0 & GATE_BIT))
			m->gated_violations++;
		m->vf_tx += n;
		/* not accepted: the master sends these synthetically */
		m->syn_tx += k - n;
		rte_pktmbuf_free_bulk(b + n, k - n);
	}
	rte_rwlock_read_unlock(&m->vf_lock);
}

static int
traffic_lcore(void *arg __rte_unused)
{
	unsigned int round = 0;

	while (__atomic_load_n(&traffic_run, __ATOMIC_ACQUIRE)) {
		traffic_master(&masters[0], round);
		traffic_master(&masters[1], round);
		round++;
		rte_delay_us_sleep(200);
	}
	return 0;
}

/* ------------------------------------------------- the master's control -- */

static const uint8_t master_key[MANA_HASH_KEY_SIZE] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
	0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
	0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
	0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

/* Among the unowned ports, the one with @p mac (netvsc's VF match). */
static int
find_unowned_by_mac(const struct rte_ether_addr *mac, uint16_t *port)
{
	struct rte_ether_addr a;
	uint16_t p;
	int found = 0;

	RTE_ETH_FOREACH_DEV(p) {
		if (rte_eth_macaddr_get(p, &a) == 0 && rte_is_same_ether_addr(&a, mac)) {
			*port = p;
			found++;
		}
	}
	return found == 1 ? 0 : -ENODEV;
}

/*
 * netvsc's VF attach: ownership, configure (rmv=1, lsc=0), queues with the
 * master's descriptors and mempool, MTU, start, RSS, modes, stats; then the
 * data path switches to the VF.
 */
static int
master_attach(struct master *m)
{
	struct rte_eth_rss_reta_entry64 reta[MANA_INDIRECT_TABLE_SIZE / RTE_ETH_RETA_GROUP_SIZE];
	struct rte_eth_dev_owner owner = { .id = m->owner_id };
	struct rte_eth_rss_conf rss;
	struct rte_eth_dev_info info;
	struct rte_eth_stats stats;
	struct rte_eth_conf conf;
	struct rte_eth_xstat xs[256];
	uint16_t port, q, i;
	int ret;

	ret = find_unowned_by_mac(&m->mac, &port);
	MTEST_ASSERT(ret == 0, "%s: no unowned port with its MAC", m->name);
	snprintf(owner.name, sizeof(owner.name), "%s", m->name);
	MTEST_ASSERT_EQ(rte_eth_dev_owner_set(port, &owner), 0);
	MTEST_ASSERT_EQ(rte_eth_dev_info_get(port, &info), 0);
	MTEST_ASSERT(info.dev_flags != NULL && (*info.dev_flags & RTE_ETH_DEV_INTR_RMV),
		     "%s: port %u without RTE_ETH_DEV_INTR_RMV", m->name, port);
	MTEST_ASSERT(info.err_handle_mode == RTE_ETH_ERROR_HANDLE_MODE_PROACTIVE,
		     "%s: err_handle_mode %d", m->name, info.err_handle_mode);
	memset(&conf, 0, sizeof(conf));
	conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads &
		(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP);
	conf.intr_conf.lsc = 0;
	conf.intr_conf.rmv = 1;
	MTEST_ASSERT_EQ(rte_eth_dev_configure(port, NB_RXQ, 1, &conf), 0);
	for (q = 0; q < NB_RXQ; q++)
		MTEST_ASSERT_EQ(rte_eth_rx_queue_setup(port, q, NB_DESC, rte_socket_id(),
						       NULL, pool), 0);
	MTEST_ASSERT_EQ(rte_eth_tx_queue_setup(port, 0, NB_DESC, rte_socket_id(), NULL), 0);
	MTEST_ASSERT_EQ(rte_eth_dev_set_mtu(port, RTE_ETHER_MTU), 0);
	__atomic_store_n(&owner_of_port[port], (uint16_t)(m - masters + 1), __ATOMIC_RELEASE);
	MTEST_ASSERT_EQ(rte_eth_dev_start(port), 0);
	memset(&rss, 0, sizeof(rss));
	rss.rss_key = (uint8_t *)(uintptr_t)master_key;
	rss.rss_key_len = MANA_HASH_KEY_SIZE;
	rss.rss_hf = conf.rx_adv_conf.rss_conf.rss_hf;
	MTEST_ASSERT_EQ(rte_eth_dev_rss_hash_update(port, &rss), 0);
	memset(reta, 0, sizeof(reta));
	for (i = 0; i < MANA_INDIRECT_TABLE_SIZE; i++) {
		reta[i / RTE_ETH_RETA_GROUP_SIZE].mask |= RTE_BIT64(i % RTE_ETH_RETA_GROUP_SIZE);
		/* not the default, and one 2 queues of 256 descriptors carry exactly */
		reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] =
			(i / 2) % NB_RXQ;
	}
	MTEST_ASSERT_EQ(rte_eth_dev_rss_reta_update(port, reta, MANA_INDIRECT_TABLE_SIZE), 0);
	MTEST_ASSERT_EQ(rte_eth_promiscuous_enable(port), 0);
	MTEST_ASSERT_EQ(rte_eth_allmulticast_enable(port), 0);
	MTEST_ASSERT_EQ(rte_eth_stats_get(port, &stats), 0);
	ret = rte_eth_xstats_get(port, xs, RTE_DIM(xs));
	MTEST_ASSERT(ret > 0 && ret <= (int)RTE_DIM(xs), "xstats_get: %d", ret);
	MTEST_ASSERT(rte_eth_dev_get_supported_ptypes(port, RTE_PTYPE_ALL_MASK, NULL, 0) > 0,
		     "no ptypes");
	m->rdev = info.device;
	m->port = port;
	/* switch the data path */
	rte_rwlock_write_lock(&m->vf_lock);
	__atomic_store_n(&m->vf_state, ((m->vf_state >> 1) + 1) << 1, __ATOMIC_RELEASE);
	m->attached = true;
	m->tx_on_vf = 1;
	rte_rwlock_write_unlock(&m->vf_lock);
	return MTEST_SUCCESS;
}

/* Ports of @p rdev still present. */
static unsigned int
device_ports(const struct rte_device *rdev)
{
	unsigned int n = 0;
	uint16_t p;

	RTE_ETH_FOREACH_DEV_OF(p, rdev)
		n++;
	return n;
}

/*
 * netvsc's RMV handling, in its own context: switch TX to synthetic,
 * stop the data path using the VF, release ownership, stop and close the
 * VF; the rte_device goes only once none of its ports is in use.
 * *removed tells whether this call removed the device.
 */
static int
master_detach(struct master *m, bool *removed)
{
	struct rte_device *rdev = m->rdev;
	struct rte_eth_stats st;
	uint16_t port = m->port;
	int ret;

	*removed = false;
	m->tx_on_vf = 0;
	rte_rwlock_write_lock(&m->vf_lock);
	m->attached = false;
	rte_rwlock_write_unlock(&m->vf_lock);
	MTEST_ASSERT_EQ(rte_eth_stats_get(port, &st), 0);
	MTEST_ASSERT_EQ(rte_eth_dev_owner_unset(port, m->owner_id), 0);
	MTEST_ASSERT_EQ(rte_eth_dev_stop(port), 0);
	__atomic_store_n(&owner_of_port[port], 0, __ATOMIC_RELEASE);
	MTEST_ASSERT_EQ(rte_eth_dev_close(port), 0);
	MTEST_ASSERT(!rte_eth_dev_is_valid_port(port), "%s: port %u still valid after close",
		     m->name, port);
	if (device_ports(rdev) == 0) {
		ret = rte_dev_remove(rdev);
		MTEST_ASSERT(ret == 0, "rte_dev_remove: %s", strerror(-ret));
		*removed = true;
	}
	return MTEST_SUCCESS;
}

/* The other master's VF, of the same rte_device, while this one is gone. */
static int
other_port_sane(struct master *o)
{
	struct rte_eth_stats st;
	struct rte_mbuf *b[4];
	uint16_t n;

	MTEST_ASSERT(rte_eth_dev_is_valid_port(o->port), "%s: port %u gone with the other port",
		     o->name, o->port);
	MTEST_ASSERT_EQ(rte_eth_stats_get(o->port, &st), 0);
	MTEST_ASSERT(device_ports(o->rdev) == 1, "%u ports on the device", device_ports(o->rdev));
	/* its bursts are gated (the function is gone), and do not crash */
	rte_rwlock_read_lock(&o->vf_lock);
	n = o->attached ? rte_eth_rx_burst(o->port, 0, b, 4) : 0;
	rte_rwlock_read_unlock(&o->vf_lock);
	rte_pktmbuf_free_bulk(b, n);
	MTEST_ASSERT(n == 0, "rx on a removed VF returned %u packets", n);
	return MTEST_SUCCESS;
}

/* Find the function with @p mac in the (emulated) PCI tree. */
static int
scan_pci_for_mac(const struct rte_ether_addr *mac, char *bdf, size_t len)
{
	const char *root = getenv("SYSFS_PCI_DEVICES");
	struct dirent *fe, *ne;
	DIR *fd, *nd;
	int ret = -ENOENT;

	if (root == NULL)
		root = emu.pci_tree();
	fd = opendir(root);
	if (fd == NULL)
		return -errno;
	while (ret != 0 && (fe = readdir(fd)) != NULL) {
		char path[PATH_MAX];

		if (fe->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/net", root, fe->d_name);
		nd = opendir(path);
		if (nd == NULL)
			continue;
		while ((ne = readdir(nd)) != NULL) {
			char f[PATH_MAX + 300], line[64] = "";
			struct rte_ether_addr a;
			FILE *fp;

			if (ne->d_name[0] == '.')
				continue;
			snprintf(f, sizeof(f), "%s/%s/address", path, ne->d_name);
			fp = fopen(f, "r");
			if (fp == NULL)
				continue;
			if (fgets(line, sizeof(line), fp) != NULL) {
				line[strcspn(line, "\n")] = '\0';
				if (rte_ether_unformat_addr(line, &a) == 0 &&
				    rte_is_same_ether_addr(&a, mac)) {
					rte_strscpy(bdf, fe->d_name, len);
					ret = 0;
				}
			}
			fclose(fp);
			if (ret == 0)
				break;
		}
		closedir(nd);
	}
	closedir(fd);
	return ret;
}

/*
 * netvsc's hot-add: retry until the function with the MAC shows up, then
 * rte_eal_hotplug_add with the devargs cached from the original probe,
 * and check that the devargs were honoured (vPort 2 not probed).
 */
static int
hot_add(void)
{
	uint64_t t0 = now_ms();
	char bdf[RTE_DEV_NAME_MAX_LEN];
	uint16_t p;
	int ret;

	while (scan_pci_for_mac(&masters[0].mac, bdf, sizeof(bdf)) != 0) {
		MTEST_ASSERT(now_ms() - t0 < WAIT_S * 1000, "the VF's MAC never showed up");
		rte_delay_us_sleep(1000);
	}
	ret = rte_eal_hotplug_add("pci", bdf, cached_devargs);
	MTEST_ASSERT(ret == 0, "rte_eal_hotplug_add(pci, %s, %s): %s", bdf, cached_devargs,
		     strerror(-ret));
	snprintf(cur_pci, sizeof(cur_pci), "%s", bdf);
	RTE_ETH_FOREACH_DEV(p) {
		struct rte_ether_addr a;

		MTEST_ASSERT_EQ(rte_eth_macaddr_get(p, &a), 0);
		MTEST_ASSERT(!rte_is_same_ether_addr(&a, &mac_c),
			     "vPort 2 probed: the devargs \"%s\" were not applied", cached_devargs);
	}
	return MTEST_SUCCESS;
}

/* Wait until both masters received @p n more packets through their VF. */
static int
wait_flow(unsigned int n, const char *when)
{
	uint64_t a0 = __atomic_load_n(&masters[0].vf_rx, __ATOMIC_RELAXED);
	uint64_t b0 = __atomic_load_n(&masters[1].vf_rx, __ATOMIC_RELAXED);
	uint64_t t0 = now_ms();

	while (__atomic_load_n(&masters[0].vf_rx, __ATOMIC_RELAXED) < a0 + n ||
	       __atomic_load_n(&masters[1].vf_rx, __ATOMIC_RELAXED) < b0 + n) {
		MTEST_ASSERT(now_ms() - t0 < WAIT_S * 1000,
			     "%s: no traffic through the VFs (%" PRIu64 " and %" PRIu64
			     " more packets in %u s)", when,
			     masters[0].vf_rx - a0, masters[1].vf_rx - b0, WAIT_S);
		rte_delay_us_sleep(1000);
	}
	return MTEST_SUCCESS;
}

#define EVLOAD(m, f) __atomic_load_n(&(m)->f, __ATOMIC_ACQUIRE)

/* Wait for event counter @p f of both masters to pass its seen_ value. */
#define WAIT_EVENT(f, when) do { \
	uint64_t t0__ = now_ms(); \
	while (EVLOAD(&masters[0], ev_ ## f) == masters[0].seen_ ## f || \
	       EVLOAD(&masters[1], ev_ ## f) == masters[1].seen_ ## f) { \
		MTEST_ASSERT(now_ms() - t0__ < WAIT_S * 1000, \
			     "%s: no " #f " event within %u s (%u, %u)", when, WAIT_S, \
			     EVLOAD(&masters[0], ev_ ## f), EVLOAD(&masters[1], ev_ ## f)); \
		rte_delay_us_sleep(500); \
	} \
} while (0)

/* One event each, nothing else since the last check. */
static int
events_expect(unsigned int rmv, unsigned int rec, unsigned int ok, unsigned int fail,
	      const char *when)
{
	unsigned int i;

	for (i = 0; i < 2; i++) {
		struct master *m = &masters[i];
		unsigned int d_rmv = EVLOAD(m, ev_rmv) - m->seen_rmv;
		unsigned int d_rec = EVLOAD(m, ev_recovering) - m->seen_recovering;
		unsigned int d_ok = EVLOAD(m, ev_success) - m->seen_success;
		unsigned int d_fail = EVLOAD(m, ev_failed) - m->seen_failed;

		/* a removal may first look like a reset: ERR_RECOVERING, then RMV */
		MTEST_ASSERT(d_rmv == rmv && (d_rec == rec || (rmv == 1 && d_rec <= 1)) &&
			     d_ok == ok && d_fail == fail,
			     "%s, %s: events RMV %u, ERR_RECOVERING %u, RECOVERY_SUCCESS %u, RECOVERY_FAILED %u;"
			     " expected %u %u %u %u", when, m->name, d_rmv, d_rec, d_ok, d_fail,
			     rmv, rec, ok, fail);
		m->seen_rmv += d_rmv;
		m->seen_recovering += d_rec;
		m->seen_success += d_ok;
		m->seen_failed += d_fail;
	}
	return MTEST_SUCCESS;
}

static struct usage base_detached;
static unsigned int n_reset, n_remove, n_moved, n_rmv_via_recovering;

/* Figures (printed, never asserted): event latencies and outage lengths, ms. */
struct lat {
	uint64_t sum, max;
	unsigned int n;
};
static struct lat lat_rmv, lat_recovered, lat_readd_flow, lat_reset_flow;

static void
lat_add(struct lat *l, uint64_t ms)
{
	l->sum += ms;
	l->n++;
	if (ms > l->max)
		l->max = ms;
}

static void
lat_print(const char *what, const struct lat *l)
{
	if (l->n != 0)
		printf("  %s: mean %.1f ms, max %" PRIu64 " ms over %u\n", what,
		       (double)l->sum / l->n, l->max, l->n);
}

/* Statistics as a master merges them: totals are the sums of the queues. */
static int
stats_check(void)
{
	unsigned int i;

	for (i = 0; i < 2; i++) {
		uint16_t port = masters[i].port;
		struct rte_eth_stats st;
		uint64_t lo[4], hi[4], got[4];
		unsigned int k;

		/*
		 * Traffic runs: the queues' xstats read before and after the
		 * totals bracket them (counters only grow).
		 */
		lo[0] = mtest_qstat(port, "rx", -1, "packets");
		lo[1] = mtest_qstat(port, "rx", -1, "bytes");
		lo[2] = mtest_qstat(port, "tx", 0, "packets");
		lo[3] = mtest_qstat(port, "tx", 0, "bytes");
		MTEST_ASSERT_EQ(rte_eth_stats_get(port, &st), 0);
		hi[0] = mtest_qstat(port, "rx", -1, "packets");
		hi[1] = mtest_qstat(port, "rx", -1, "bytes");
		hi[2] = mtest_qstat(port, "tx", 0, "packets");
		hi[3] = mtest_qstat(port, "tx", 0, "bytes");
		got[0] = st.ipackets;
		got[1] = st.ibytes;
		got[2] = st.opackets;
		got[3] = st.obytes;
		for (k = 0; k < 4; k++)
			MTEST_ASSERT(got[k] > 0 && lo[k] != UINT64_MAX && hi[k] != UINT64_MAX &&
				     lo[k] <= got[k] && got[k] <= hi[k],
				     "%s: stats %s %" PRIu64 " outside its queues' xstats [%" PRIu64
				     ", %" PRIu64 "]", masters[i].name,
				     (const char *[]){ "ipackets", "ibytes", "opackets", "obytes" }[k],
				     got[k], lo[k], hi[k]);
#ifdef MTEST_HAVE_QSTATS
		{	/* one snapshot: the totals are the sums of the queues */
			uint64_t rx = 0, rxb = 0;
			unsigned int q;

			for (q = 0; q < NB_RXQ; q++) {
				rx += st.q_ipackets[q];
				rxb += st.q_ibytes[q];
			}
			MTEST_ASSERT(st.ipackets == rx && st.ibytes == rxb &&
				     st.opackets == st.q_opackets[0] && st.obytes == st.q_obytes[0],
				     "%s: stats rx %" PRIu64 "/%" PRIu64 " (queues %" PRIu64 "/%"
				     PRIu64 "), tx %" PRIu64 "/%" PRIu64 " (queue %" PRIu64 "/%"
				     PRIu64 ")", masters[i].name, st.ipackets, st.ibytes, rx, rxb,
				     st.opackets, st.obytes, st.q_opackets[0], st.q_obytes[0]);
		}
#endif
	}
	return MTEST_SUCCESS;
}

static int
cycle_removal(unsigned int cycle, bool move)
{
	unsigned int first = cycle & 1;		/* which master handles RMV first */
	uint64_t t0;
	bool removed;
	int ret;

	ret = stats_check();
	if (ret != MTEST_SUCCESS)
		return ret;
	t0 = now_ms();
	MTEST_ASSERT_EQ(emu.remove(0), 0);
	WAIT_EVENT(rmv, "removal");
	lat_add(&lat_rmv, now_ms() - t0);
	if (EVLOAD(&masters[0], ev_recovering) != masters[0].seen_recovering)
		n_rmv_via_recovering++;
	ret = events_expect(1, 0, 0, 0, "removal");
	if (ret != MTEST_SUCCESS)
		return ret;
	/* the first master tears its VF down while the other's is in use */
	ret = master_detach(&masters[first], &removed);
	if (ret != MTEST_SUCCESS)
		return ret;
	MTEST_ASSERT(!removed, "rte_dev_remove while another port was in use");
	ret = other_port_sane(&masters[!first]);
	if (ret != MTEST_SUCCESS)
		return ret;
	ret = master_detach(&masters[!first], &removed);
	if (ret != MTEST_SUCCESS)
		return ret;
	MTEST_ASSERT(removed, "the device was not removed with its last port");
	ret = usage_check(&base_detached, "after rte_dev_remove");
	if (ret != MTEST_SUCCESS)
		return ret;
	if (move) {
		ret = emu.readd(0, strcmp(cur_pci, PCI_HOME) == 0 ? PCI_AWAY : PCI_HOME);
		n_moved++;
	} else {
		ret = emu.readd(0, NULL);
	}
	MTEST_ASSERT(ret == 0, "mana_emu_readd: %s", strerror(-ret));
	t0 = now_ms();
	ret = hot_add();
	if (ret == MTEST_SUCCESS)
		ret = master_attach(&masters[0]);
	if (ret == MTEST_SUCCESS)
		ret = master_attach(&masters[1]);
	if (ret != MTEST_SUCCESS)
		return ret;
	MTEST_ASSERT(strcmp(emu.pci_addr(0), cur_pci) == 0, "re-probed at %s, function at %s",
		     cur_pci, emu.pci_addr(0));
	n_remove++;
	ret = wait_flow(16, "after re-add");
	lat_add(&lat_readd_flow, now_ms() - t0);
	return ret;
}

static struct usage base_attached;

static int
cycle_reset(void)
{
	struct usage u;
	unsigned int i;
	uint64_t t0;
	int ret;

	t0 = now_ms();
	MTEST_ASSERT_EQ(emu.reset(0, 20), 0);
	WAIT_EVENT(recovering, "reset");
	/* master: switch TX away, keep the VF attached (RX still polled) */
	masters[0].tx_on_vf = 0;
	masters[1].tx_on_vf = 0;
	WAIT_EVENT(success, "reset");
	lat_add(&lat_recovered, now_ms() - t0);
	ret = events_expect(0, 1, 1, 0, "reset");
	if (ret != MTEST_SUCCESS)
		return ret;
	for (i = 0; i < 2; i++)
		masters[i].tx_on_vf = 1;
	n_reset++;
	ret = wait_flow(16, "after recovery");
	if (ret != MTEST_SUCCESS)
		return ret;
	lat_add(&lat_reset_flow, now_ms() - t0);
	/*
	 * The old device's objects are gone, the new ones are as many. Their
	 * bytes match up to placement: DPDK's allocated-bytes figure is the
	 * heap less its free elements, so where a re-created object lands
	 * (alignment pads, fragments too small to be free elements) moves it
	 * by less than a cache line per allocation. The exact byte check
	 * comes with every removal, once the port's objects are all freed.
	 */
	usage_get(&u);
	MTEST_ASSERT(u.heap_allocs == base_attached.heap_allocs &&
		     u.heap_bytes + u.heap_allocs * RTE_CACHE_LINE_SIZE >
		     base_attached.heap_bytes &&
		     u.heap_bytes < base_attached.heap_bytes +
		     u.heap_allocs * RTE_CACHE_LINE_SIZE,
		     "rte_malloc after recovery: %" PRIu64 " allocations / %" PRIu64
		     " bytes, %" PRIu64 " / %" PRIu64 " before", u.heap_allocs, u.heap_bytes,
		     base_attached.heap_allocs, base_attached.heap_bytes);
	MTEST_ASSERT(emu_count("live_contexts") == base_attached.emu_ctx &&
		     emu_count("live_objects") == base_attached.emu_obj &&
		     emu_count("live_channels") == base_attached.emu_chan,
		     "emulator objects after recovery: contexts %" PRIu64 " objects %" PRIu64
		     " channels %" PRIu64 ", %" PRIu64 " %" PRIu64 " %" PRIu64 " before",
		     emu_count("live_contexts"), emu_count("live_objects"),
		     emu_count("live_channels"), base_attached.emu_ctx,
		     base_attached.emu_obj, base_attached.emu_chan);
	return MTEST_SUCCESS;
}

/*
 * A reset the device does not come back from within recovery_timeout_ms
 * (2000 ms in the devargs of this run, which must survive every re-add):
 * ERR_RECOVERING, RECOVERY_FAILED, then netvsc's full removal and, once the
 * function has an IB device again, the re-add.
 */
static unsigned int n_failed;

static int
cycle_failed_reset(unsigned int cycle)
{
	unsigned int first = cycle & 1;
	bool removed;
	int ret;

	MTEST_ASSERT_EQ(emu.reset(0, 60000), 0);
	WAIT_EVENT(recovering, "reset that fails");
	masters[0].tx_on_vf = 0;
	masters[1].tx_on_vf = 0;
	WAIT_EVENT(failed, "reset that fails");
	ret = events_expect(0, 1, 0, 1, "failed recovery");
	if (ret != MTEST_SUCCESS)
		return ret;
	ret = master_detach(&masters[first], &removed);
	if (ret == MTEST_SUCCESS)
		ret = master_detach(&masters[!first], &removed);
	if (ret != MTEST_SUCCESS)
		return ret;
	MTEST_ASSERT(removed, "the device was not removed with its last port");
	ret = usage_check(&base_detached, "after a failed recovery and rte_dev_remove");
	if (ret != MTEST_SUCCESS)
		return ret;
	/* the function's IB device returns (end of the reset) */
	MTEST_ASSERT_EQ(emu.readd(0, NULL), 0);
	ret = hot_add();
	if (ret == MTEST_SUCCESS)
		ret = master_attach(&masters[0]);
	if (ret == MTEST_SUCCESS)
		ret = master_attach(&masters[1]);
	if (ret != MTEST_SUCCESS)
		return ret;
	n_failed++;
	return wait_flow(16, "after re-add following a failed recovery");
}

/* Stop the traffic lcore and take both VFs down; device removed. */
static int
all_down(void)
{
	bool removed = false;
	unsigned int i;
	int ret;

	__atomic_store_n(&traffic_run, false, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
	for (i = 0; i < 2; i++) {
		if (!masters[i].attached)
			continue;
		ret = master_detach(&masters[i], &removed);
		if (ret != MTEST_SUCCESS)
			return ret;
	}
	MTEST_ASSERT(removed, "device not removed");
	return MTEST_SUCCESS;
}

/* Initial state: take the EAL-probed ports down, measure the baseline. */
static int
initial_detach(void)
{
	const struct rte_devargs *da;
	struct rte_device *rdev = NULL;
	uint16_t p;
	int ret;

	RTE_ETH_FOREACH_DEV(p) {
		struct rte_eth_dev_info info;

		MTEST_ASSERT_EQ(rte_eth_dev_info_get(p, &info), 0);
		rdev = info.device;
	}
	MTEST_ASSERT(rdev != NULL, "no port probed");
	MTEST_ASSERT_EQ(device_ports(rdev), 2);
	da = rte_dev_devargs(rdev);
	MTEST_ASSERT(da != NULL && da->args != NULL && da->args[0] != '\0',
		     "no devargs on the probed device");
	snprintf(cached_devargs, sizeof(cached_devargs), "%s", da->args);
	RTE_ETH_FOREACH_DEV_OF(p, rdev)
		MTEST_ASSERT_EQ(rte_eth_dev_close(p), 0);
	ret = rte_dev_remove(rdev);
	MTEST_ASSERT(ret == 0, "rte_dev_remove: %s", strerror(-ret));
	usage_get(&base_detached);
	MTEST_ASSERT(base_detached.emu_ctx == 0 && base_detached.emu_obj == 0 &&
		     base_detached.emu_chan == 0 && base_detached.mbufs == 0,
		     "left after the first removal: contexts %" PRIu64 " objects %" PRIu64
		     " channels %" PRIu64 " mbufs %u", base_detached.emu_ctx,
		     base_detached.emu_obj, base_detached.emu_chan, base_detached.mbufs);
	return MTEST_SUCCESS;
}

static int
bring_up(bool with_traffic)
{
	int ret = hot_add();

	if (ret == MTEST_SUCCESS)
		ret = master_attach(&masters[0]);
	if (ret == MTEST_SUCCESS)
		ret = master_attach(&masters[1]);
	if (ret != MTEST_SUCCESS || !with_traffic)
		return ret;
	__atomic_store_n(&traffic_run, true, __ATOMIC_RELEASE);
	MTEST_ASSERT_EQ(rte_eal_remote_launch(traffic_lcore, NULL, rte_get_next_lcore(-1, 1, 0)), 0);
	return wait_flow(16, "first attach");
}

/* ------------------------------------------------------------------ cases */

/*
 * The netvsc sequence under traffic, 126 times by default: 101 removals
 * (in turn at the same address and at a new one), 21 service resets and 4
 * failed resets, both vPorts of the function owned by two masters.
 */
static int
test_netvsc(void)
{
	const char *env = getenv("MANA_CONTRACT_CYCLES");
	unsigned int cycles = env ? (unsigned int)atoi(env) : 126, c, i;
	unsigned int removals = 0;
	uint64_t t0;
	int ret;

	MTEST_ASSERT(rte_lcore_count() >= 2, "needs two lcores (-l 0,1)");
	ret = initial_detach();
	if (ret == MTEST_SUCCESS)
		ret = bring_up(true);
	if (ret != MTEST_SUCCESS)
		return ret;
	usage_get(&base_attached);
	t0 = now_ms();
	for (c = 0; c < cycles && ret == MTEST_SUCCESS; c++) {
		if (c % 33 == 5) {
			ret = cycle_failed_reset(c);
			goto check;
		}
		if (c % 6 == 0)
			ret = cycle_reset();
		else
			ret = cycle_removal(c, removals++ % 2 == 1);
check:
		if (ret != MTEST_SUCCESS)
			fprintf(stderr, "  cycle %u failed\n", c);
		for (i = 0; i < 2 && ret == MTEST_SUCCESS; i++) {
			struct master *m = &masters[i];

			if (m->gated_violations != 0 || m->rx_foreign != 0) {
				fprintf(stderr, "  cycle %u, %s: %" PRIu64 " bursts moved packets on a gated VF, %"
					PRIu64 " foreign packets\n", c, m->name,
					m->gated_violations, m->rx_foreign);
				ret = MTEST_FAILED;
			}
		}
		if (ret == MTEST_SUCCESS && emu.violation_count() != 0) {
			fprintf(stderr, "  cycle %u: emulator violations: %s\n", c, violations());
			ret = MTEST_FAILED;
		}
	}
	if (ret != MTEST_SUCCESS) {
		__atomic_store_n(&traffic_run, false, __ATOMIC_RELEASE);
		rte_eal_mp_wait_lcore();
		return ret;
	}
	printf("  %u cycles (%u resets, %u failed resets, %u removals of which %u at a new"
	       " address and %u seen first as ERR_RECOVERING) in %.1f s\n", cycles, n_reset,
	       n_failed, n_remove, n_moved, n_rmv_via_recovering, (now_ms() - t0) / 1000.0);
	lat_print("removal to INTR_RMV", &lat_rmv);
	lat_print("re-add to 16 packets each way through the VFs", &lat_readd_flow);
	lat_print("reset (20 ms device outage) to RECOVERY_SUCCESS", &lat_recovered);
	lat_print("reset to 16 packets each way through the VFs", &lat_reset_flow);
	for (i = 0; i < 2; i++)
		printf("  %s: %" PRIu64 " packets sent and %" PRIu64 " received through the VF, %"
		       PRIu64 " sent synthetically\n", masters[i].name, masters[i].vf_tx,
		       masters[i].vf_rx, masters[i].syn_tx);
	ret = all_down();
	if (ret == MTEST_SUCCESS)
		ret = usage_check(&base_detached, "at the end");
	MTEST_ASSERT(emu.violation_count() == 0, "emulator violations: %s", violations());
	return ret;
}

/*
 * One vPort closed (no fault) while the other of the same rte_device
 * carries traffic: the other keeps working; rte_dev_remove only after both.
 */
static int
test_vports(void)
{
	uint64_t tx0, t0;
	bool removed;
	int ret;

	MTEST_ASSERT(rte_lcore_count() >= 2, "needs two lcores (-l 0,1)");
	ret = initial_detach();
	if (ret == MTEST_SUCCESS)
		ret = bring_up(true);
	if (ret != MTEST_SUCCESS)
		return ret;
	ret = master_detach(&masters[0], &removed);
	if (ret != MTEST_SUCCESS)
		return ret;
	MTEST_ASSERT(!removed, "rte_dev_remove with a port in use");
	/* master B's VF still transmits, completions come back */
	tx0 = emu_count("port1.tx_frames");
	t0 = now_ms();
	while (emu_count("port1.tx_frames") < tx0 + 64) {
		MTEST_ASSERT(now_ms() - t0 < WAIT_S * 1000,
			     "vPort 1 stopped transmitting after vPort 0 closed");
		rte_delay_us_sleep(1000);
	}
	ret = all_down();
	if (ret == MTEST_SUCCESS)
		ret = usage_check(&base_detached, "after both vPorts closed");
	MTEST_ASSERT(emu.violation_count() == 0, "emulator violations: %s", violations());
	return ret;
}

/* Every operation a master forwards, on a removed port. */
static int
removed_ops_check(uint16_t port)
{
	struct rte_eth_rss_reta_entry64 reta[MANA_INDIRECT_TABLE_SIZE / RTE_ETH_RETA_GROUP_SIZE];
	struct rte_eth_xstat_name names[256];
	struct rte_eth_xstat xs[256];
	struct rte_eth_rss_conf rss;
	struct rte_eth_dev_info info;
	struct rte_ether_addr mac, mc = {{ 0x01, 0x00, 0x5e, 0, 0, 1 }};
	struct rte_eth_stats st;
	struct rte_eth_link link;
	struct rte_eth_conf conf;
	struct rte_mbuf *b[4];
	uint8_t key[64];
	uint16_t mtu;
	int n;

	/* data path */
	b[0] = rte_pktmbuf_alloc(pool);
	MTEST_ASSERT(b[0] != NULL, "alloc");
	MTEST_ASSERT(rte_eth_tx_burst(port, 0, b, 1) == 0, "tx_burst took a packet");
	rte_pktmbuf_free(b[0]);
	MTEST_ASSERT(rte_eth_rx_burst(port, 0, b, 4) == 0, "rx_burst returned packets");
	n = rte_eth_rx_queue_count(port, 0);
	MTEST_ASSERT(n <= 0, "rx_queue_count %d", n);
	rte_eth_rx_descriptor_status(port, 0, 0);
	rte_eth_tx_descriptor_status(port, 0, 0);
	MTEST_ASSERT_EQ(rte_eth_tx_done_cleanup(port, 0, 0), -EIO);
	/* state changes fail */
	memset(&conf, 0, sizeof(conf));
	conf.intr_conf.rmv = 1;
	MTEST_ASSERT_EQ(rte_eth_dev_set_mtu(port, 1400), -EIO);
	/* ethdev forwards only a change of mode: try the change there is */
	if (rte_eth_promiscuous_get(port) == 1)
		MTEST_ASSERT(rte_eth_promiscuous_disable(port) < 0, "promiscuous_disable");
	else
		MTEST_ASSERT(rte_eth_promiscuous_enable(port) < 0, "promiscuous_enable");
	if (rte_eth_allmulticast_get(port) == 1)
		MTEST_ASSERT(rte_eth_allmulticast_disable(port) < 0, "allmulticast_disable");
	else
		MTEST_ASSERT(rte_eth_allmulticast_enable(port) < 0, "allmulticast_enable");
	MTEST_ASSERT(rte_eth_dev_set_mc_addr_list(port, &mc, 1) < 0, "set_mc_addr_list");
	memset(&rss, 0, sizeof(rss));
	rss.rss_key = (uint8_t *)(uintptr_t)master_key;
	rss.rss_key_len = MANA_HASH_KEY_SIZE;
	rss.rss_hf = RTE_ETH_RSS_IPV4;
	MTEST_ASSERT(rte_eth_dev_rss_hash_update(port, &rss) < 0, "rss_hash_update");
	memset(reta, 0, sizeof(reta));
	reta[0].mask = UINT64_MAX;
	MTEST_ASSERT(rte_eth_dev_rss_reta_update(port, reta, MANA_INDIRECT_TABLE_SIZE) < 0,
		     "reta_update");
	MTEST_ASSERT_EQ(rte_eth_macaddr_get(port, &mac), 0);
	MTEST_ASSERT_EQ(rte_eth_dev_default_mac_addr_set(port, &mac), -EIO);
	MTEST_ASSERT_EQ(rte_eth_dev_set_link_up(port), -EIO);
	MTEST_ASSERT_EQ(rte_eth_dev_set_link_down(port), -EIO);
	/* queries work */
	MTEST_ASSERT_EQ(rte_eth_dev_info_get(port, &info), 0);
	MTEST_ASSERT_EQ(rte_eth_stats_get(port, &st), 0);
	MTEST_ASSERT_EQ(rte_eth_stats_reset(port), 0);
	n = rte_eth_xstats_get_names(port, names, RTE_DIM(names));
	MTEST_ASSERT(n > 0 && n <= (int)RTE_DIM(names), "xstats_get_names %d", n);
	MTEST_ASSERT(rte_eth_xstats_get(port, xs, RTE_DIM(xs)) == n, "xstats_get");
	MTEST_ASSERT_EQ(rte_eth_xstats_reset(port), 0);
	MTEST_ASSERT(rte_eth_dev_get_supported_ptypes(port, RTE_PTYPE_ALL_MASK, NULL, 0) > 0,
		     "supported ptypes");
	MTEST_ASSERT_EQ(rte_eth_link_get_nowait(port, &link), 0);
	MTEST_ASSERT(link.link_status == RTE_ETH_LINK_DOWN, "link up on a removed port");
	memset(&rss, 0, sizeof(rss));
	rss.rss_key = key;
	rss.rss_key_len = sizeof(key);
	MTEST_ASSERT_EQ(rte_eth_dev_rss_hash_conf_get(port, &rss), 0);
	MTEST_ASSERT_EQ(rte_eth_dev_get_mtu(port, &mtu), 0);
	/* reconfiguring a stopped removed port fails */
	MTEST_ASSERT_EQ(rte_eth_dev_stop(port), 0);
	MTEST_ASSERT_EQ(rte_eth_dev_start(port), -EIO);
	MTEST_ASSERT(rte_eth_rx_queue_setup(port, 0, NB_DESC, rte_socket_id(), NULL, pool) < 0,
		     "rx_queue_setup");
	MTEST_ASSERT(rte_eth_tx_queue_setup(port, 0, NB_DESC, rte_socket_id(), NULL) < 0,
		     "tx_queue_setup");
	MTEST_ASSERT_EQ(rte_eth_dev_configure(port, 1, 1, &conf), -EIO);
	return MTEST_SUCCESS;
}

/*
 * Removal with traffic in flight; every forwarded op on the removed ports;
 * stop, close, rte_dev_remove give back every mbuf and allocation, with
 * destroys failing (EIO) or, with RDMAV_ALLOW_DISASSOC_DESTROY, succeeding.
 * Then re-add and traffic again.
 */
static int
test_removed_ops(void)
{
	bool disassoc = getenv("RDMAV_ALLOW_DISASSOC_DESTROY") != NULL;
	uint64_t t0, obj_before, dead_before;
	bool removed;
	unsigned int i;
	int ret;

	MTEST_ASSERT(rte_lcore_count() >= 2, "needs two lcores (-l 0,1)");
	ret = initial_detach();
	if (ret == MTEST_SUCCESS)
		ret = bring_up(true);
	if (ret != MTEST_SUCCESS)
		return ret;
	MTEST_ASSERT_EQ(emu.remove(0), 0);
	WAIT_EVENT(rmv, "removal");
	ret = events_expect(1, 0, 0, 0, "removal");
	if (ret != MTEST_SUCCESS)
		return ret;
	__atomic_store_n(&traffic_run, false, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
	for (i = 0; i < 2; i++) {
		masters[i].tx_on_vf = 0;
		masters[i].attached = false;
	}
	t0 = now_ms();
	obj_before = emu_count("live_objects");
	dead_before = emu_count("dead_commands");
	for (i = 0; i < 2; i++) {
		ret = removed_ops_check(masters[i].port);
		if (ret != MTEST_SUCCESS)
			return ret;
	}
	/*
	 * The kernel destroyed every object at the disassociation; stop ran
	 * in removed_ops_check and sent its destroys, which the kernel
	 * answered EIO in both modes (RDMAV_ALLOW_DISASSOC_DESTROY only
	 * changes what libibverbs makes of that EIO: success, and libmana
	 * freeing its buffers).
	 */
	MTEST_ASSERT_EQ(obj_before, 0);
	MTEST_ASSERT_EQ(emu_count("live_objects"), 0);
	MTEST_ASSERT(emu_count("dead_commands") > dead_before,
		     "the driver sent no destroy to the removed device (%s)",
		     disassoc ? "RDMAV_ALLOW_DISASSOC_DESTROY" : "EIO");
	/* dev_reset cannot bring a removed port back */
	MTEST_ASSERT_EQ(rte_eth_dev_reset(masters[0].port), -ENODEV);
	for (i = 0; i < 2; i++) {
		masters[i].attached = true;
		ret = master_detach(&masters[i], &removed);
		if (ret != MTEST_SUCCESS)
			return ret;
	}
	MTEST_ASSERT(removed, "device not removed");
	MTEST_ASSERT(now_ms() - t0 < WAIT_S * 1000, "the operations took %.1f s",
		     (now_ms() - t0) / 1000.0);
	ret = usage_check(&base_detached, "after stop, close and rte_dev_remove");
	if (ret != MTEST_SUCCESS)
		return ret;
	MTEST_ASSERT_EQ(emu.readd(0, NULL), 0);
	ret = bring_up(true);
	if (ret == MTEST_SUCCESS)
		ret = all_down();
	if (ret == MTEST_SUCCESS)
		ret = usage_check(&base_detached, "after re-add and close");
	MTEST_ASSERT(emu.violation_count() == 0, "emulator violations: %s", violations());
	return ret;
}

static void
pci_remove_event(void *arg __rte_unused)
{
	rte_dev_event_callback_process(cur_pci, RTE_DEV_EVENT_REMOVE);
}

/*
 * PCI removal reported by EAL's device-event monitor (as netvsc runs it)
 * before the verbs context says anything: one RMV per port, from the
 * interrupt thread; the DEVICE_FATAL that follows adds no event.
 */
static int
test_pci_event(void)
{
	bool removed;
	unsigned int i;
	int ret;

	MTEST_ASSERT(rte_lcore_count() >= 2, "needs two lcores (-l 0,1)");
	ret = initial_detach();
	if (ret == MTEST_SUCCESS)
		ret = bring_up(true);
	if (ret != MTEST_SUCCESS)
		return ret;
	/* alarms run on the interrupt thread, where EAL delivers device events */
	MTEST_ASSERT_EQ(rte_eal_alarm_set(1000, pci_remove_event, NULL), 0);
	WAIT_EVENT(rmv, "PCI removal event");
	ret = events_expect(1, 0, 0, 0, "PCI removal event");
	if (ret != MTEST_SUCCESS)
		return ret;
	MTEST_ASSERT_EQ(emu.remove(0), 0);
	rte_delay_us_sleep(200 * 1000);
	ret = events_expect(0, 0, 0, 0, "DEVICE_FATAL after the PCI event");
	if (ret != MTEST_SUCCESS)
		return ret;
	for (i = 0; i < 2; i++) {
		ret = master_detach(&masters[i], &removed);
		if (ret != MTEST_SUCCESS)
			return ret;
	}
	MTEST_ASSERT(removed, "device not removed");
	for (i = 0; i < 2; i++)
		MTEST_ASSERT(masters[i].gated_violations == 0,
			     "%s: bursts moved packets after the removal", masters[i].name);
	ret = usage_check(&base_detached, "after rte_dev_remove");
	if (ret != MTEST_SUCCESS)
		return ret;
	MTEST_ASSERT_EQ(emu.readd(0, NULL), 0);
	__atomic_store_n(&traffic_run, false, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
	ret = bring_up(true);
	if (ret == MTEST_SUCCESS)
		ret = all_down();
	if (ret == MTEST_SUCCESS)
		ret = usage_check(&base_detached, "after re-add and close");
	MTEST_ASSERT(emu.violation_count() == 0, "emulator violations: %s", violations());
	return ret;
}

/* ---------------------------------------------- recovery restores config */

static const uint8_t rec_key[MANA_HASH_KEY_SIZE] = {
	0x2c, 0xc6, 0x81, 0xd1, 0x5b, 0xdb, 0xf4, 0xf7, 0xfc, 0xa2,
	0x83, 0x19, 0xdb, 0x1a, 0x3e, 0x94, 0x6b, 0x9e, 0x38, 0xd9,
	0x2c, 0x9c, 0x03, 0xd1, 0xad, 0x99, 0x44, 0xa7, 0xd9, 0x56,
	0x3d, 0x59, 0x06, 0x3c, 0x25, 0xf3, 0xfc, 0x1f, 0xdc, 0x2a,
};

#define REC_RXQ		4
static uint64_t rec_hf;		/* RSS types configured on the receiver */
#define REC_MTU		3000
#define REC_BIG		2600	/* frame bytes: fits MTU 3000, not 1500 */

/* Configure the sender (A) and the receiver (B) with non-default settings. */
static int
rec_setup(uint16_t pa, uint16_t pb)
{
	struct rte_eth_rss_reta_entry64 reta[MANA_INDIRECT_TABLE_SIZE / RTE_ETH_RETA_GROUP_SIZE];
	struct rte_eth_conf conf;
	struct rte_eth_rxconf rxc;
	struct rte_eth_dev_info info;
	uint16_t q, i;

	MTEST_ASSERT_EQ(rte_eth_dev_info_get(pb, &info), 0);
	memset(&conf, 0, sizeof(conf));
	conf.intr_conf.rmv = 1;
	conf.txmode.offloads = RTE_ETH_TX_OFFLOAD_VLAN_INSERT | RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_SCATTER;
	conf.rxmode.mtu = REC_MTU;
	MTEST_ASSERT_EQ(rte_eth_dev_configure(pa, 1, 1, &conf), 0);
	MTEST_ASSERT_EQ(rte_eth_rx_queue_setup(pa, 0, NB_DESC, rte_socket_id(), NULL, pool), 0);
	MTEST_ASSERT_EQ(rte_eth_tx_queue_setup(pa, 0, NB_DESC, rte_socket_id(), NULL), 0);
	memset(&conf, 0, sizeof(conf));
	conf.intr_conf.rmv = 1;
	conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_VLAN_STRIP | RTE_ETH_RX_OFFLOAD_SCATTER |
		RTE_ETH_RX_OFFLOAD_RSS_HASH | RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
	conf.rxmode.mtu = RTE_ETHER_MTU;
	conf.rx_adv_conf.rss_conf.rss_key = (uint8_t *)(uintptr_t)rec_key;
	conf.rx_adv_conf.rss_conf.rss_key_len = MANA_HASH_KEY_SIZE;
	conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads;
	rec_hf = info.flow_type_rss_offloads;
	MTEST_ASSERT_EQ(rte_eth_dev_configure(pb, REC_RXQ, 1, &conf), 0);
	rxc = info.default_rxconf;
	rxc.offloads = conf.rxmode.offloads;
	for (q = 0; q < REC_RXQ; q++)
		MTEST_ASSERT_EQ(rte_eth_rx_queue_setup(pb, q, NB_DESC, rte_socket_id(), &rxc,
						       pool), 0);
	MTEST_ASSERT_EQ(rte_eth_tx_queue_setup(pb, 0, NB_DESC, rte_socket_id(), NULL), 0);
	MTEST_ASSERT_EQ(rte_eth_dev_set_mtu(pb, REC_MTU), 0);
	MTEST_ASSERT_EQ(rte_eth_dev_start(pa), 0);
	MTEST_ASSERT_EQ(rte_eth_dev_start(pb), 0);
	memset(reta, 0, sizeof(reta));
	for (i = 0; i < MANA_INDIRECT_TABLE_SIZE; i++) {
		reta[i / RTE_ETH_RETA_GROUP_SIZE].mask |= RTE_BIT64(i % RTE_ETH_RETA_GROUP_SIZE);
		reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] =
			(i & 1) ? 3 : 1;
	}
	MTEST_ASSERT_EQ(rte_eth_dev_rss_reta_update(pb, reta, MANA_INDIRECT_TABLE_SIZE), 0);
	return MTEST_SUCCESS;
}

/* Receive @p want packets on every queue of @p port; queue of each in @p q. */
static unsigned int
rec_rx(uint16_t port, struct rte_mbuf **got, uint16_t *qs, unsigned int want)
{
	uint64_t t0 = now_ms();
	unsigned int n = 0;
	uint16_t q, i, k;

	while (n < want && now_ms() - t0 < 3000) {
		for (q = 0; q < REC_RXQ; q++) {
			struct rte_mbuf *b[32];

			k = rte_eth_rx_burst(port, q, b, RTE_DIM(b));
			for (i = 0; i < k; i++) {
				if (n < want) {
					qs[n] = q;
					got[n++] = b[i];
				} else {
					rte_pktmbuf_free(b[i]);
				}
			}
		}
		rte_delay_us_sleep(100);
	}
	return n;
}

/*
 * The receiver's configuration in force, checked on the wire: each flow on
 * reta[hash] under the key, VLAN inserted by A's TX offload and stripped by
 * B's, frames above 1500 bytes pass (MTU 3000), RX checksum flags.
 */
static int
rec_verify(uint16_t pa, uint16_t pb, const char *when)
{
	static uint8_t fr[REC_BIG + 64], flat[REC_BIG + 64];
	struct rte_eth_rss_reta_entry64 reta[MANA_INDIRECT_TABLE_SIZE / RTE_ETH_RETA_GROUP_SIZE];
	struct rte_mbuf *got[64];
	uint16_t qs[64], mtu;
	struct rte_eth_rss_conf rss;
	uint8_t key[64];
	unsigned int i, n, nf = 48;

	/* what the port reports */
	memset(&rss, 0, sizeof(rss));
	rss.rss_key = key;
	rss.rss_key_len = sizeof(key);
	MTEST_ASSERT_EQ(rte_eth_dev_rss_hash_conf_get(pb, &rss), 0);
	MTEST_ASSERT(memcmp(key, rec_key, MANA_HASH_KEY_SIZE) == 0, "%s: RSS key changed", when);
	MTEST_ASSERT(rss.rss_hf == rec_hf, "%s: RSS types %#" PRIx64 ", configured %#" PRIx64,
		     when, rss.rss_hf, rec_hf);
	memset(reta, 0, sizeof(reta));
	for (i = 0; i < RTE_DIM(reta); i++)
		reta[i].mask = UINT64_MAX;
	MTEST_ASSERT_EQ(rte_eth_dev_rss_reta_query(pb, reta, MANA_INDIRECT_TABLE_SIZE), 0);
	for (i = 0; i < MANA_INDIRECT_TABLE_SIZE; i++)
		MTEST_ASSERT(reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] ==
			     ((i & 1) ? 3 : 1), "%s: RETA[%u] changed", when, i);
	MTEST_ASSERT(rte_eth_dev_get_mtu(pb, &mtu) == 0 && mtu == REC_MTU, "%s: MTU %u", when, mtu);
	/* what the device does */
	for (i = 0; i < nf; i++) {
		uint32_t len = i == 0 ? REC_BIG : 200;
		struct rte_mbuf *m;

		frame_fill(fr, len, &masters[0].mac, &masters[1].mac, (uint16_t)(3000 + i * 13),
			   (uint16_t)(7000 + i));
		m = rte_pktmbuf_alloc(pool);
		MTEST_ASSERT(m != NULL, "alloc");
		if (len > rte_pktmbuf_tailroom(m)) {
			struct rte_mbuf *m2 = rte_pktmbuf_alloc(pool);
			uint32_t l1 = rte_pktmbuf_tailroom(m);

			MTEST_ASSERT(m2 != NULL, "alloc");
			memcpy(rte_pktmbuf_append(m, l1), fr, l1);
			memcpy(rte_pktmbuf_append(m2, len - l1), fr + l1, len - l1);
			MTEST_ASSERT_EQ(rte_pktmbuf_chain(m, m2), 0);
		} else {
			memcpy(rte_pktmbuf_append(m, len), fr, len);
		}
		m->ol_flags = RTE_MBUF_F_TX_VLAN;
		m->vlan_tci = 100 + i;
		MTEST_ASSERT(rte_eth_tx_burst(pa, 0, &m, 1) == 1, "%s: tx", when);
	}
	n = rec_rx(pb, got, qs, nf);
	if (n != nf)
		emu_stats_dump();
	MTEST_ASSERT(n == nf, "%s: received %u of %u (the %u-byte frame needs MTU %u)", when, n,
		     nf, REC_BIG, REC_MTU);
	for (i = 0; i < n; i++) {
		struct mana_rss_fields fl;
		struct rte_mbuf *m = got[i];
		uint32_t len = m->pkt_len, h, sport;
		const void *p = rte_pktmbuf_read(m, 0, len, flat);
		int ok;

		if (p != flat)
			memcpy(flat, p, len);
		sport = ((uint32_t)flat[34] << 8) | flat[35];
		if (len != (sport == 3000 ? REC_BIG : 200u)) {
			rte_pktmbuf_free_bulk(got, n);
			MTEST_FAIL("%s: packet %u of %u bytes, %u sent", when, i, len,
				   sport == 3000 ? REC_BIG : 200u);
		}
		ok = (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) &&
		     (m->vlan_tci & 0xfff) == 100 + (sport - 3000) / 13;
		if (!ok) {
			rte_pktmbuf_free_bulk(got, n);
			MTEST_FAIL("%s: packet %u not VLAN-stripped with its tag (ol_flags %#" PRIx64
				   ", tci %u)", when, i, m->ol_flags, m->vlan_tci);
		}
		if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) != RTE_MBUF_F_RX_IP_CKSUM_GOOD) {
			rte_pktmbuf_free_bulk(got, n);
			MTEST_FAIL("%s: packet %u without IP_CKSUM_GOOD", when, i);
		}
		h = mana_rss_parse(flat, len, &fl) ? mana_rss_hash(&fl, rec_key) : 0;
		if (!(m->ol_flags & RTE_MBUF_F_RX_RSS_HASH) || m->hash.rss != h ||
		    qs[i] != ((mana_rss_table_index(h) & 1) ? 3 : 1)) {
			rte_pktmbuf_free_bulk(got, n);
			MTEST_FAIL("%s: packet %u: hash %#x on queue %u, Toeplitz %#x wants queue %u",
				   when, i, m->hash.rss, qs[i], h,
				   (mana_rss_table_index(h) & 1) ? 3 : 1);
		}
	}
	rte_pktmbuf_free_bulk(got, n);
	return MTEST_SUCCESS;
}

/*
 * Service reset: ERR_RECOVERING, bursts gated, RECOVERY_SUCCESS, and the
 * configuration (RSS key and types, RETA, MTU, offloads) in force again.
 */
static int
test_recovery(void)
{
	uint16_t pa, pb, i;
	struct rte_eth_stats st;
	struct rte_mbuf *b[4];
	uint64_t gated_rx = 0;
	int ret;

	MTEST_ASSERT_EQ(find_unowned_by_mac(&masters[0].mac, &pa), 0);
	MTEST_ASSERT_EQ(find_unowned_by_mac(&masters[1].mac, &pb), 0);
	owner_of_port[pa] = 1;
	owner_of_port[pb] = 2;
	masters[0].port = pa;
	masters[1].port = pb;
	ret = rec_setup(pa, pb);
	if (ret == MTEST_SUCCESS)
		ret = rec_verify(pa, pb, "before the reset");
	if (ret != MTEST_SUCCESS)
		return ret;
	MTEST_ASSERT_EQ(emu.reset(0, 300), 0);
	WAIT_EVENT(recovering, "reset");
	/* recovering: bursts gated, control operations refused, stats readable */
	for (i = 0; i < 100 && EVLOAD(&masters[1], ev_success) == 0; i++) {
		gated_rx += rte_eth_rx_burst(pb, 0, b, 4);
		rte_delay_us_sleep(1000);
	}
	MTEST_ASSERT(i > 0 && gated_rx == 0, "rx_burst returned %" PRIu64 " packets while recovering",
		     gated_rx);
	MTEST_ASSERT_EQ(rte_eth_stats_get(pb, &st), 0);
	WAIT_EVENT(success, "reset");
	ret = events_expect(0, 1, 1, 0, "reset");
	if (ret == MTEST_SUCCESS)
		ret = rec_verify(pa, pb, "after recovery");
	if (ret != MTEST_SUCCESS)
		return ret;
	MTEST_ASSERT_EQ(rte_eth_dev_stop(pa), 0);
	MTEST_ASSERT_EQ(rte_eth_dev_stop(pb), 0);
	MTEST_ASSERT(rte_mempool_in_use_count(pool) == 0, "%u mbufs in use after stop",
		     rte_mempool_in_use_count(pool));
	MTEST_ASSERT_EQ(rte_eth_dev_close(pa), 0);
	MTEST_ASSERT_EQ(rte_eth_dev_close(pb), 0);
	MTEST_ASSERT(emu_count("live_contexts") == 0 && emu_count("live_objects") == 0 &&
		     emu_count("live_channels") == 0, "emulator objects left after close");
	MTEST_ASSERT(emu.violation_count() == 0, "emulator violations: %s", violations());
	return MTEST_SUCCESS;
}

/*
 * The application stops a port while the PMD recovers it (the recovery
 * goes on without restarting that port), then starts it again: the
 * configuration is in force on both ports.
 */
static int
test_recovery_stop(void)
{
	struct rte_eth_link link;
	uint16_t pa, pb;
	int ret;

	MTEST_ASSERT_EQ(find_unowned_by_mac(&masters[0].mac, &pa), 0);
	MTEST_ASSERT_EQ(find_unowned_by_mac(&masters[1].mac, &pb), 0);
	owner_of_port[pa] = 1;
	owner_of_port[pb] = 2;
	ret = rec_setup(pa, pb);
	if (ret != MTEST_SUCCESS)
		return ret;
	MTEST_ASSERT_EQ(emu.reset(0, 200), 0);
	WAIT_EVENT(recovering, "reset");
	MTEST_ASSERT_EQ(rte_eth_dev_stop(pb), 0);
	WAIT_EVENT(success, "reset");
	ret = events_expect(0, 1, 1, 0, "reset with a stop");
	if (ret != MTEST_SUCCESS)
		return ret;
	MTEST_ASSERT(rte_eth_link_get_nowait(pb, &link) == 0 &&
		     link.link_status == RTE_ETH_LINK_DOWN, "stopped port restarted by the recovery");
	MTEST_ASSERT_EQ(rte_eth_dev_start(pb), 0);
	ret = rec_verify(pa, pb, "after recovery and restart");
	if (ret != MTEST_SUCCESS)
		return ret;
	MTEST_ASSERT_EQ(rte_eth_dev_stop(pa), 0);
	MTEST_ASSERT_EQ(rte_eth_dev_stop(pb), 0);
	MTEST_ASSERT_EQ(rte_eth_dev_close(pa), 0);
	MTEST_ASSERT_EQ(rte_eth_dev_close(pb), 0);
	MTEST_ASSERT(rte_mempool_in_use_count(pool) == 0, "%u mbufs in use after close",
		     rte_mempool_in_use_count(pool));
	MTEST_ASSERT(emu_count("live_contexts") == 0 && emu_count("live_objects") == 0 &&
		     emu_count("live_channels") == 0, "emulator objects left after close");
	MTEST_ASSERT(emu.violation_count() == 0, "emulator violations: %s", violations());
	return MTEST_SUCCESS;
}

/*
 * Service reset whose IB device does not come back within
 * recovery_timeout_ms (devargs of this run: 300 ms): ERR_RECOVERING, then
 * RECOVERY_FAILED no earlier than the timeout, then removal semantics.
 */
static int
test_recovery_failed(void)
{
	uint64_t t0, dt;
	uint16_t i;
	int ret;

	MTEST_ASSERT_EQ(find_unowned_by_mac(&masters[0].mac, &masters[0].port), 0);
	MTEST_ASSERT_EQ(find_unowned_by_mac(&masters[1].mac, &masters[1].port), 0);
	owner_of_port[masters[0].port] = 1;
	owner_of_port[masters[1].port] = 2;
	ret = rec_setup(masters[0].port, masters[1].port);
	if (ret != MTEST_SUCCESS)
		return ret;
	t0 = now_ms();
	MTEST_ASSERT_EQ(emu.reset(0, 60000), 0);
	WAIT_EVENT(recovering, "reset");
	WAIT_EVENT(failed, "reset");
	dt = now_ms() - t0;
	ret = events_expect(0, 1, 0, 1, "failed recovery");
	if (ret != MTEST_SUCCESS)
		return ret;
	MTEST_ASSERT(dt >= 250, "RECOVERY_FAILED after %" PRIu64 " ms, recovery_timeout_ms=300",
		     dt);
	printf("  RECOVERY_FAILED %" PRIu64 " ms after the reset (recovery_timeout_ms=300)\n", dt);
	for (i = 0; i < 2; i++) {
		ret = removed_ops_check(masters[i].port);
		if (ret != MTEST_SUCCESS)
			return ret;
	}
	for (i = 0; i < 2; i++)
		MTEST_ASSERT_EQ(rte_eth_dev_close(masters[i].port), 0);
	MTEST_ASSERT(rte_mempool_in_use_count(pool) == 0, "%u mbufs in use after close",
		     rte_mempool_in_use_count(pool));
	MTEST_ASSERT(emu_count("live_contexts") == 0 && emu_count("live_objects") == 0 &&
		     emu_count("live_channels") == 0, "emulator objects left after close");
	MTEST_ASSERT(emu.violation_count() == 0, "emulator violations: %s", violations());
	return MTEST_SUCCESS;
}

/* recovery_timeout_ms: bad values refused with one clear line, good ones taken. */
static int
test_devargs(void)
{
	static const char * const bad[] = {
		"recovery_timeout_ms=abc", "recovery_timeout_ms=0",
		"recovery_timeout_ms=3600001", "recovery_timeout_ms=12x",
		"recovery_timeout_ms=-5", "recovery_timeout_ms=",
		"recovery_timeout_ms=100,recovery_timeout_ms=200",
	};
	char *log = NULL, args[320];
	size_t log_len = 0;
	unsigned int i;
	FILE *f;
	int ret;

	ret = initial_detach();
	if (ret != MTEST_SUCCESS)
		return ret;
	for (i = 0; i < RTE_DIM(bad); i++) {
		f = open_memstream(&log, &log_len);
		MTEST_ASSERT(f != NULL, "open_memstream");
		rte_openlog_stream(f);
		ret = rte_eal_hotplug_add("pci", PCI_HOME, bad[i]);
		rte_openlog_stream(NULL);
		fclose(f);
		if (ret == 0 || rte_eth_dev_count_avail() != 0 ||
		    strstr(log, "recovery_timeout_ms") == NULL) {
			fprintf(stderr, "  log: %s\n", log);
			free(log);
			MTEST_FAIL("\"%s\": probe returned %d with %u ports", bad[i], ret,
				   rte_eth_dev_count_avail());
		}
		printf("  %s -> %s", bad[i], strstr(log, "mana:") ? strstr(log, "mana:") : log);
		free(log);
		log = NULL;
		/* a failed probe leaves the function unprobed: nothing to remove */
		rte_eal_hotplug_remove("pci", PCI_HOME);
	}
	snprintf(args, sizeof(args), "%s,recovery_timeout_ms=5000", cached_devargs);
	ret = rte_eal_hotplug_add("pci", PCI_HOME, args);
	MTEST_ASSERT(ret == 0, "\"%s\" refused: %s", args, strerror(-ret));
	MTEST_ASSERT_EQ(rte_eth_dev_count_avail(), 2);
	MTEST_ASSERT_EQ(rte_eal_hotplug_remove("pci", PCI_HOME), 0);
	return usage_check(&base_detached, "after the devargs probes");
}

static const struct mtest_case cases[] = {
	{ "netvsc", test_netvsc },
	{ "vports", test_vports },
	{ "removed_ops", test_removed_ops },
	{ "pci_event", test_pci_event },
	{ "recovery", test_recovery },
	{ "recovery_failed", test_recovery_failed },
	{ "recovery_stop", test_recovery_stop },
	{ "devargs", test_devargs },
};

int
main(int argc, char **argv)
{
	uint8_t mac[6];
	int ret, nargs;
	char **args;
	unsigned int i;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	args = mtest_case_args(argc, argv, ret, &nargs);
	if (emu_bind() != 0)
		return 1;
	for (i = 0; i < 3; i++) {
		if (emu.mac(0, i, mac) != 0) {
			fprintf(stderr, "the emulator needs three vPorts (--ports 3)\n");
			return 1;
		}
		if (i < 2)
			memcpy(masters[i].mac.addr_bytes, mac, 6);
		else
			memcpy(mac_c.addr_bytes, mac, 6);
	}
	for (i = 0; i < 2; i++) {
		masters[i].name = i ? "master-B" : "master-A";
		masters[i].peer = masters[!i].mac;
		rte_rwlock_init(&masters[i].vf_lock);
		if (rte_eth_dev_owner_new(&masters[i].owner_id) != 0)
			return 1;
	}
	pool = rte_pktmbuf_pool_create("contract", NB_MBUF, 256, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (pool == NULL || events_register() != 0) {
		fprintf(stderr, "setup: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	ret = mtest_run("contract", cases, MTEST_N(cases), nargs, args);
	rte_eal_cleanup();
	return ret;
}
