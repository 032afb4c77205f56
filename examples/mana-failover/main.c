/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * mana-failover: an NFV forwarder over a MANA VF (net_mana) and the vNIC's
 * synthetic path, that moves TX to the synthetic port when the VF goes away
 * and back when it returns, re-attaching the VF by its MAC.
 */

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_pci.h>
#include <rte_string_fns.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#define FO_BURST	32
#define FO_NB_MBUF	8191
#define FO_MBUF_CACHE	128
#define FO_RX_DESC	256
#define FO_TX_DESC	256
#define FO_NO_PORT	RTE_MAX_ETHPORTS

/* Where the VF is, as seen by the forwarding loop. */
enum fo_vf_state {
	FO_VF_ABSENT,		/* no port: look for the function in the PCI tree */
	FO_VF_ACTIVE,		/* started: RX on it, TX on it unless tx_syn */
	FO_VF_RECOVERING,	/* the PMD recovers from a reset: RX only */
	FO_VF_GONE,		/* removed: stop, close and detach it */
};

static const char *const fo_state_names[] = {
	[FO_VF_ABSENT] = "absent",
	[FO_VF_ACTIVE] = "active",
	[FO_VF_RECOVERING] = "recovering",
	[FO_VF_GONE] = "gone",
};

struct fo_path_stats {
	uint64_t rx;
	uint64_t tx;
};

static struct {
	/* options */
	struct rte_ether_addr vf_mac;
	bool vf_mac_set;
	char vf_pci[64];		/* from --vf, may be empty */
	char vf_devargs[256];		/* devargs other than mac=, for re-attach */
	char syn_arg[256];
	unsigned int stats_ms;
	unsigned int poll_ms;
	unsigned int seconds;
	char pci_root[512];

	/* run state */
	struct rte_mempool *pool;
	uint16_t syn_port;
	char syn_vdev[256];		/* the vdev we attached, if any */
	uint16_t vf_port;		/* read by the event callback */
	bool vf_started;
	bool syn_started;
	struct rte_device *vf_dev;
	enum fo_vf_state vf_state;	/* written by the callback and the loop */
	bool tx_syn;			/* TX on the synthetic path */

	/* forwarding lcore */
	bool worker_running;
	bool stop_worker;
	uint64_t rounds;		/* forwarding rounds done */
	bool last_tx_syn;

	/* counters (each written by one thread) */
	struct fo_path_stats vf, syn;
	uint64_t switch_to_syn, switch_to_vf, reattach, attach_fail;
	uint64_t ev_rmv, ev_recovering, ev_recovered, ev_recovery_failed;
	uint64_t tx_spill, drop_tx, drop_not_ours, drop_parse;
} fo = {
	.stats_ms = 1000,
	.poll_ms = 200,
	.syn_port = FO_NO_PORT,
	.vf_port = FO_NO_PORT,
	.vf_state = FO_VF_ABSENT,
	.tx_syn = true,
};

static volatile sig_atomic_t fo_quit;

static uint64_t fo_t0;

static double
fo_now_s(void)
{
	return (double)(rte_get_timer_cycles() - fo_t0) / rte_get_timer_hz();
}

#define FO_LOG(fmt, ...) \
	do { \
		printf("[%9.3f] " fmt "\n", fo_now_s(), ##__VA_ARGS__); \
		fflush(stdout); \
	} while (0)

static void
fo_signal(int sig __rte_unused)
{
	fo_quit = 1;
}

static void
fo_usage(const char *prog)
{
	printf("Usage: %s [EAL options] -- --vf <pci>[,mac=<mac>][,<devargs>] | --vf <mac>\n"
	       "          --synthetic <port name | vdev name,args>\n"
	       "          [--stats-ms N] [--poll-ms N] [--seconds N]\n"
	       "  --vf         the MANA VF: PCI address and/or vPort MAC (re-attached by MAC)\n"
	       "  --synthetic  fallback port: an existing port's name, or a vdev to attach\n"
	       "               (e.g. net_af_packet0,iface=eth1, net_tap0,iface=eth1)\n"
	       "  --stats-ms   counters every N ms (0: only at exit; default 1000)\n"
	       "  --poll-ms    PCI tree scan period while the VF is away (default 200)\n"
	       "  --seconds    run time (0: until SIGINT/SIGTERM; default 0)\n"
	       "The PCI tree is $SYSFS_PCI_DEVICES, else /sys/bus/pci/devices.\n", prog);
}

static int
fo_parse_uint(const char *s, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > UINT32_MAX)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

/* --vf: "<mac>" or "<pci>[,k=v...]" with an optional mac=. */
static int
fo_parse_vf(const char *arg)
{
	char buf[512], *tok, *save = NULL;
	size_t len;

	if (rte_ether_unformat_addr(arg, &fo.vf_mac) == 0) {
		fo.vf_mac_set = true;
		return 0;
	}
	if (strlen(arg) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, arg);
	tok = strtok_r(buf, ",", &save);
	if (tok == NULL || strlen(tok) >= sizeof(fo.vf_pci))
		return -EINVAL;
	strcpy(fo.vf_pci, tok);
	while ((tok = strtok_r(NULL, ",", &save)) != NULL) {
		if (strncmp(tok, "mac=", 4) == 0) {
			if (rte_ether_unformat_addr(tok + 4, &fo.vf_mac) != 0) {
				fprintf(stderr, "--vf: mac=%s is not a MAC address\n", tok + 4);
				return -EINVAL;
			}
			fo.vf_mac_set = true;
			continue;
		}
		len = strlen(fo.vf_devargs);
		if (len + strlen(tok) + 2 > sizeof(fo.vf_devargs))
			return -EINVAL;
		snprintf(fo.vf_devargs + len, sizeof(fo.vf_devargs) - len, "%s%s",
			 len ? "," : "", tok);
	}
	return 0;
}

static int
fo_parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "vf", required_argument, NULL, 'v' },
		{ "synthetic", required_argument, NULL, 's' },
		{ "stats-ms", required_argument, NULL, 'S' },
		{ "poll-ms", required_argument, NULL, 'P' },
		{ "seconds", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'v':
			if (fo_parse_vf(optarg) != 0) {
				fprintf(stderr, "--vf %s: expected <pci>[,mac=<mac>] or <mac>\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 's':
			if (strlen(optarg) >= sizeof(fo.syn_arg))
				return -EINVAL;
			strcpy(fo.syn_arg, optarg);
			break;
		case 'S':
			if (fo_parse_uint(optarg, &fo.stats_ms) != 0)
				goto bad_num;
			break;
		case 'P':
			if (fo_parse_uint(optarg, &fo.poll_ms) != 0 || fo.poll_ms == 0)
				goto bad_num;
			break;
		case 'T':
			if (fo_parse_uint(optarg, &fo.seconds) != 0)
				goto bad_num;
			break;
		case 'h':
			fo_usage(argv[0]);
			exit(0);
		default:
			fo_usage(argv[0]);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "unexpected argument %s\n", argv[optind]);
		return -EINVAL;
	}
	if (fo.vf_pci[0] == '\0' && !fo.vf_mac_set) {
		fprintf(stderr, "--vf is required (PCI address and/or MAC of the VF)\n");
		return -EINVAL;
	}
	if (fo.syn_arg[0] == '\0') {
		fprintf(stderr, "--synthetic is required (port name or vdev)\n");
		return -EINVAL;
	}
	return 0;
bad_num:
	fprintf(stderr, "%s is not a valid number of milliseconds or seconds\n", optarg);
	return -EINVAL;
}

/* ------------------------------------------------------------ events -- */

static void
fo_set_state(enum fo_vf_state st)
{
	__atomic_store_n(&fo.vf_state, st, __ATOMIC_RELEASE);
}

static enum fo_vf_state
fo_get_state(void)
{
	return __atomic_load_n(&fo.vf_state, __ATOMIC_ACQUIRE);
}

static bool
fo_cas_state(enum fo_vf_state from, enum fo_vf_state to)
{
	return __atomic_compare_exchange_n(&fo.vf_state, &from, to, false,
					   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

static void
fo_set_tx_syn(bool syn)
{
	__atomic_store_n(&fo.tx_syn, syn, __ATOMIC_RELEASE);
}

/*
 * Runs in EAL's interrupt thread (or an alarm): only flags and counters
 * here. The forwarding loop reads the TX flag before each burst; the main
 * lcore's control loop does stop, close and detach.
 */
static int
fo_event_cb(uint16_t port, enum rte_eth_event_type ev, void *arg __rte_unused,
	    void *ret_param __rte_unused)
{
	if (port != __atomic_load_n(&fo.vf_port, __ATOMIC_ACQUIRE))
		return 0;
	switch (ev) {
	case RTE_ETH_EVENT_INTR_RMV:
		fo_set_tx_syn(true);
		fo_set_state(FO_VF_GONE);
		__atomic_fetch_add(&fo.ev_rmv, 1, __ATOMIC_RELAXED);
		FO_LOG("event: port %u removal (RMV): TX to synthetic", port);
		break;
	case RTE_ETH_EVENT_ERR_RECOVERING:
		fo_set_tx_syn(true);
		fo_cas_state(FO_VF_ACTIVE, FO_VF_RECOVERING);
		__atomic_fetch_add(&fo.ev_recovering, 1, __ATOMIC_RELAXED);
		FO_LOG("event: port %u reset (ERR_RECOVERING): TX to synthetic", port);
		break;
	case RTE_ETH_EVENT_RECOVERY_SUCCESS:
		__atomic_fetch_add(&fo.ev_recovered, 1, __ATOMIC_RELAXED);
		if (fo_cas_state(FO_VF_RECOVERING, FO_VF_ACTIVE)) {
			fo_set_tx_syn(false);
			FO_LOG("event: port %u recovered (RECOVERY_SUCCESS): TX to VF", port);
		} else {
			FO_LOG("event: port %u recovered (RECOVERY_SUCCESS) while %s: ignored",
			       port, fo_state_names[fo_get_state()]);
		}
		break;
	case RTE_ETH_EVENT_RECOVERY_FAILED:
		fo_set_tx_syn(true);
		fo_set_state(FO_VF_GONE);
		__atomic_fetch_add(&fo.ev_recovery_failed, 1, __ATOMIC_RELAXED);
		FO_LOG("event: port %u recovery failed (RECOVERY_FAILED): detaching it", port);
		break;
	default:
		break;
	}
	return 0;
}

/* ------------------------------------------------------------- ports -- */

static int
fo_port_start(uint16_t port, bool vf)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t nb_rxd = FO_RX_DESC, nb_txd = FO_TX_DESC;
	int ret;

	ret = rte_eth_dev_info_get(port, &info);
	if (ret != 0)
		return ret;
	memset(&conf, 0, sizeof(conf));
	if (vf && (*info.dev_flags & RTE_ETH_DEV_INTR_RMV))
		conf.intr_conf.rmv = 1;
	ret = rte_eth_dev_configure(port, 1, 1, &conf);
	if (ret != 0)
		return ret;
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
	if (ret != 0)
		return ret;
	ret = rte_eth_rx_queue_setup(port, 0, nb_rxd, rte_eth_dev_socket_id(port), NULL,
				     fo.pool);
	if (ret != 0)
		return ret;
	ret = rte_eth_tx_queue_setup(port, 0, nb_txd, rte_eth_dev_socket_id(port), NULL);
	if (ret != 0)
		return ret;
	return rte_eth_dev_start(port);
}

static void
fo_port_close(uint16_t port, bool started)
{
	int ret;

	ret = started ? rte_eth_dev_stop(port) : 0;
	if (ret != 0)
		FO_LOG("port %u: stop: %s", port, rte_strerror(-ret));
	ret = rte_eth_dev_close(port);
	if (ret != 0)
		FO_LOG("port %u: close: %s", port, rte_strerror(-ret));
}

/* The port, other than the synthetic one, whose MAC is the VF's. */
static uint16_t
fo_find_vf_port(void)
{
	struct rte_ether_addr mac;
	uint16_t p;

	RTE_ETH_FOREACH_DEV(p) {
		if (p == fo.syn_port)
			continue;
		if (rte_eth_macaddr_get(p, &mac) == 0 &&
		    rte_is_same_ether_addr(&mac, &fo.vf_mac))
			return p;
	}
	return FO_NO_PORT;
}

/* Keep the devargs the VF was first probed with (other than mac=). */
static void
fo_cache_devargs(const struct rte_device *dev)
{
	const struct rte_devargs *da = rte_dev_devargs(dev);
	char buf[256], *tok, *save = NULL;
	size_t len;

	if (fo.vf_devargs[0] != '\0' || da == NULL || da->args == NULL ||
	    strlen(da->args) >= sizeof(buf))
		return;
	strcpy(buf, da->args);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (strncmp(tok, "mac=", 4) == 0)
			continue;
		len = strlen(fo.vf_devargs);
		snprintf(fo.vf_devargs + len, sizeof(fo.vf_devargs) - len, "%s%s",
			 len ? "," : "", tok);
	}
}

/* Configure and start the VF port; TX moves to it. 0 or a negative errno. */
static int
fo_vf_bring_up(uint16_t port, bool reattached)
{
	static int last_err;
	struct rte_eth_dev_info info;
	int ret;

	ret = rte_eth_dev_info_get(port, &info);
	if (ret != 0)
		return ret;
	fo.vf_dev = info.device;
	fo_cache_devargs(info.device);
	__atomic_store_n(&fo.vf_port, port, __ATOMIC_RELEASE);
	ret = fo_port_start(port, true);
	if (ret != 0) {
		/* detached and retried at the next poll: say it once per cause */
		fo.attach_fail++;
		if (ret != last_err)
			FO_LOG("VF port %u (%s): start failed: %s; retrying", port,
			       rte_dev_name(info.device), rte_strerror(-ret));
		last_err = ret;
		fo_set_state(FO_VF_GONE);
		return ret;
	}
	last_err = 0;
	fo.vf_started = true;
	/* a removal during start already marked it gone: leave it so */
	if (!fo_cas_state(FO_VF_ABSENT, FO_VF_ACTIVE))
		return -ENODEV;
	fo_set_tx_syn(false);
	if (reattached)
		fo.reattach++;
	FO_LOG("VF port %u (%s, %s) started%s: TX to VF", port, rte_dev_name(info.device),
	       info.driver_name, reattached ? " after re-attach" : "");
	return 0;
}

/* Stop, close and detach a VF that is gone (removed or unrecoverable). */
static void
fo_vf_teardown(void)
{
	uint16_t port = fo.vf_port;
	struct rte_device *dev = fo.vf_dev;
	char name[RTE_DEV_NAME_MAX_LEN] = "";
	int ret;

	fo_set_tx_syn(true);
	if (port != FO_NO_PORT) {
		if (dev != NULL)
			snprintf(name, sizeof(name), "%s", rte_dev_name(dev));
		fo_port_close(port, fo.vf_started);
		fo.vf_started = false;
		__atomic_store_n(&fo.vf_port, FO_NO_PORT, __ATOMIC_RELEASE);
	}
	if (dev != NULL) {
		ret = rte_dev_remove(dev);
		if (ret != 0)
			FO_LOG("VF %s: rte_dev_remove: %s", name, rte_strerror(-ret));
	}
	fo.vf_dev = NULL;
	fo_set_state(FO_VF_ABSENT);
	FO_LOG("VF port %u (%s) closed and detached; %u mbufs in use; looking for MAC "
	       RTE_ETHER_ADDR_PRT_FMT, port, name, rte_mempool_in_use_count(fo.pool),
	       RTE_ETHER_ADDR_BYTES(&fo.vf_mac));
}

static int
fo_read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return -errno;
	if (fgets(buf, (int)len, f) == NULL) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	n = strlen(buf);
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
	return 0;
}

/* Is <root>/<fn> a MANA function with a netdev of the VF's MAC? */
static bool
fo_pci_fn_matches(const char *fn)
{
	char path[sizeof(fo.pci_root) + 2 * 256 + 32], val[64];
	struct rte_ether_addr mac;
	struct dirent *de;
	bool found = false;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s/vendor", fo.pci_root, fn);
	if (fo_read_line(path, val, sizeof(val)) != 0 || strtoul(val, NULL, 16) != 0x1414)
		return false;
	snprintf(path, sizeof(path), "%s/%s/device", fo.pci_root, fn);
	if (fo_read_line(path, val, sizeof(val)) != 0)
		return false;
	if (strtoul(val, NULL, 16) != 0x00ba && strtoul(val, NULL, 16) != 0x00b9)
		return false;
	snprintf(path, sizeof(path), "%s/%s/net", fo.pci_root, fn);
	d = opendir(path);
	if (d == NULL)
		return false;
	while (!found && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/net/%s/address", fo.pci_root, fn,
			 de->d_name);
		if (fo_read_line(path, val, sizeof(val)) == 0 &&
		    rte_ether_unformat_addr(val, &mac) == 0 &&
		    rte_is_same_ether_addr(&mac, &fo.vf_mac))
			found = true;
	}
	closedir(d);
	return found;
}

/* The PCI address of the MANA function carrying the VF's MAC, or -ENOENT. */
static int
fo_pci_find(char *addr, size_t len)
{
	struct rte_pci_addr pa;
	struct dirent *de;
	int ret = -ENOENT;
	DIR *d;

	d = opendir(fo.pci_root);
	if (d == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		if (rte_pci_addr_parse(de->d_name, &pa) != 0)
			continue;
		if (fo_pci_fn_matches(de->d_name)) {
			ret = rte_strscpy(addr, de->d_name, len) < 0 ? -ENAMETOOLONG : 0;
			break;
		}
	}
	closedir(d);
	return ret;
}

/* While the VF is absent: find it by MAC, attach, start. */
static void
fo_vf_try_attach(bool initial)
{
	static char last_err[128];
	char addr[64], args[320], err[128];
	uint64_t t0;
	uint16_t port;
	double ms;
	int ret;

	port = fo_find_vf_port();
	if (port == FO_NO_PORT) {
		ret = fo_pci_find(addr, sizeof(addr));
		if (ret != 0)
			return;	/* not back yet */
		snprintf(args, sizeof(args), "mac=" RTE_ETHER_ADDR_PRT_FMT "%s%s",
			 RTE_ETHER_ADDR_BYTES(&fo.vf_mac), fo.vf_devargs[0] ? "," : "",
			 fo.vf_devargs);
		t0 = rte_get_timer_cycles();
		ret = rte_eal_hotplug_add("pci", addr, args);
		ms = (double)(rte_get_timer_cycles() - t0) * 1000 / rte_get_timer_hz();
		if (ret != 0) {
			fo.attach_fail++;
			/* the IB device may lag the PCI function: retry quietly */
			snprintf(err, sizeof(err), "%s: %s", addr, rte_strerror(-ret));
			if (strcmp(err, last_err) != 0)
				FO_LOG("VF at %s (devargs %s): attach failed: %s; retrying",
				       addr, args, rte_strerror(-ret));
			snprintf(last_err, sizeof(last_err), "%s", err);
			return;
		}
		last_err[0] = '\0';
		port = fo_find_vf_port();
		if (port == FO_NO_PORT) {
			FO_LOG("VF at %s attached but no port has MAC " RTE_ETHER_ADDR_PRT_FMT,
			       addr, RTE_ETHER_ADDR_BYTES(&fo.vf_mac));
			fo.attach_fail++;
			return;
		}
		FO_LOG("VF found at %s (devargs %s): port %u, attached in %.1f ms", addr, args,
		       port, ms);
	}
	fo_vf_bring_up(port, !initial);
}

/* The first port of PCI function <pci>, or FO_NO_PORT. */
static uint16_t
fo_port_of_pci(const char *pci)
{
	struct rte_eth_dev_info info;
	uint16_t p;

	RTE_ETH_FOREACH_DEV(p) {
		if (rte_eth_dev_info_get(p, &info) == 0 &&
		    strcmp(rte_dev_name(info.device), pci) == 0)
			return p;
	}
	return FO_NO_PORT;
}

/* Without a MAC on the command line: that of the first port of --vf's function. */
static int
fo_vf_learn_mac(void)
{
	uint16_t p = fo_port_of_pci(fo.vf_pci);
	int ret;

	if (p == FO_NO_PORT) {
		ret = rte_eal_hotplug_add("pci", fo.vf_pci, fo.vf_devargs);
		if (ret != 0) {
			fprintf(stderr, "--vf %s: cannot attach it: %s (give its MAC to wait for it)\n",
				fo.vf_pci, rte_strerror(-ret));
			return ret;
		}
		p = fo_port_of_pci(fo.vf_pci);
		if (p == FO_NO_PORT) {
			fprintf(stderr, "--vf %s: attached, but it has no ethdev port\n", fo.vf_pci);
			return -ENODEV;
		}
	}
	ret = rte_eth_macaddr_get(p, &fo.vf_mac);
	if (ret != 0)
		return ret;
	fo.vf_mac_set = true;
	return 0;
}

/* ------------------------------------------------------ forwarding -- */

static void
fo_swap16(uint16_t *a, uint16_t *b)
{
	uint16_t t = *a;

	*a = *b;
	*b = t;
}

/*
 * Reflect a frame to where it came from: Ethernet, IPv4/IPv6 addresses and
 * UDP/TCP ports swapped, so the checksums stay valid. Only unicast to the
 * vNIC MAC is reflected (the source MAC sent must be the vNIC's). false: drop.
 */
static bool
fo_reflect(struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth;
	uint16_t type, l3 = sizeof(*eth);
	uint8_t proto, *l4 = NULL;
	uint32_t len = rte_pktmbuf_data_len(m);

	if (len < sizeof(*eth)) {
		fo.drop_parse++;
		return false;
	}
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	if (!rte_is_same_ether_addr(&eth->dst_addr, &fo.vf_mac)) {
		fo.drop_not_ours++;
		return false;
	}
	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(&fo.vf_mac, &eth->src_addr);
	type = rte_be_to_cpu_16(eth->ether_type);
	if (type == RTE_ETHER_TYPE_VLAN && len >= l3 + sizeof(struct rte_vlan_hdr)) {
		struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(eth + 1);

		type = rte_be_to_cpu_16(vh->eth_proto);
		l3 += sizeof(*vh);
	}
	if (type == RTE_ETHER_TYPE_IPV4 && len >= l3 + sizeof(struct rte_ipv4_hdr)) {
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, l3);
		uint32_t t = ip->src_addr, ihl = (ip->version_ihl & 0xf) * 4u;

		ip->src_addr = ip->dst_addr;
		ip->dst_addr = t;
		proto = ip->next_proto_id;
		/* first fragment or none: the L4 header is here */
		if ((rte_be_to_cpu_16(ip->fragment_offset) & RTE_IPV4_HDR_OFFSET_MASK) == 0 &&
		    ihl >= sizeof(*ip))
			l4 = (uint8_t *)ip + ihl;
	} else if (type == RTE_ETHER_TYPE_IPV6 && len >= l3 + sizeof(struct rte_ipv6_hdr)) {
		struct rte_ipv6_hdr *ip6 = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, l3);
		uint8_t t[16];

		memcpy(t, &ip6->src_addr, 16);
		memcpy(&ip6->src_addr, &ip6->dst_addr, 16);
		memcpy(&ip6->dst_addr, t, 16);
		proto = ip6->proto;
		l4 = (uint8_t *)(ip6 + 1);
	} else {
		return true;
	}
	if (l4 == NULL)
		return true;
	if (proto == IPPROTO_UDP &&
	    (uint32_t)(l4 - rte_pktmbuf_mtod(m, uint8_t *)) + sizeof(struct rte_udp_hdr) <= len) {
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)l4;

		fo_swap16(&u->src_port, &u->dst_port);
	} else if (proto == IPPROTO_TCP &&
		   (uint32_t)(l4 - rte_pktmbuf_mtod(m, uint8_t *)) + 4 <= len) {
		struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)l4;

		fo_swap16(&t->src_port, &t->dst_port);
	}
	return true;
}

/*
 * TX on the path the flags choose, read right before the burst. What the VF
 * does not take (ring full twice, or removed before its event arrived) goes
 * out on the synthetic path rather than being dropped.
 */
static void
fo_tx(struct rte_mbuf **pkts, uint16_t n, bool vf_usable)
{
	uint16_t sent = 0, k, port = __atomic_load_n(&fo.vf_port, __ATOMIC_RELAXED);

	if (n == 0)
		return;
	if (vf_usable && !__atomic_load_n(&fo.tx_syn, __ATOMIC_ACQUIRE) &&
	    port != FO_NO_PORT) {
		sent = rte_eth_tx_burst(port, 0, pkts, n);
		if (sent < n)
			sent += rte_eth_tx_burst(port, 0, pkts + sent, n - sent);
		fo.vf.tx += sent;
		if (sent < n)
			fo.tx_spill += n - sent;
	}
	if (sent < n) {
		k = rte_eth_tx_burst(fo.syn_port, 0, pkts + sent, n - sent);
		fo.syn.tx += k;
		sent += k;
	}
	if (sent < n) {
		fo.drop_tx += n - sent;
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	}
}

static void
fo_rx_path(uint16_t port, struct fo_path_stats *st, bool vf_usable)
{
	struct rte_mbuf *pkts[FO_BURST], *out[FO_BURST];
	uint16_t n, i, k = 0;

	n = rte_eth_rx_burst(port, 0, pkts, FO_BURST);
	if (n == 0)
		return;
	st->rx += n;
	for (i = 0; i < n; i++) {
		if (fo_reflect(pkts[i]))
			out[k++] = pkts[i];
		else
			rte_pktmbuf_free(pkts[i]);
	}
	fo_tx(out, k, vf_usable);
}

static void
fo_print_stats(const char *tag)
{
	enum fo_vf_state st = fo_get_state();

	FO_LOG("%s vf_state=%s vf_port=%d vf_rx=%" PRIu64 " vf_tx=%" PRIu64
	       " syn_rx=%" PRIu64 " syn_tx=%" PRIu64 " tx_path=%s"
	       " switch_to_syn=%" PRIu64 " switch_to_vf=%" PRIu64
	       " reattach=%" PRIu64 " attach_fail=%" PRIu64
	       " ev_rmv=%" PRIu64 " ev_recovering=%" PRIu64 " ev_recovered=%" PRIu64
	       " ev_recovery_failed=%" PRIu64
	       " tx_spill=%" PRIu64 " drop_tx=%" PRIu64 " drop_not_ours=%" PRIu64 " drop_parse=%" PRIu64
	       " mbuf_in_use=%u",
	       tag, fo_state_names[st],
	       fo.vf_port == FO_NO_PORT ? -1 : (int)fo.vf_port,
	       fo.vf.rx, fo.vf.tx, fo.syn.rx, fo.syn.tx,
	       __atomic_load_n(&fo.tx_syn, __ATOMIC_ACQUIRE) ? "syn" : "vf",
	       fo.switch_to_syn, fo.switch_to_vf, fo.reattach, fo.attach_fail,
	       __atomic_load_n(&fo.ev_rmv, __ATOMIC_RELAXED),
	       __atomic_load_n(&fo.ev_recovering, __ATOMIC_RELAXED),
	       __atomic_load_n(&fo.ev_recovered, __ATOMIC_RELAXED),
	       __atomic_load_n(&fo.ev_recovery_failed, __ATOMIC_RELAXED),
	       fo.tx_spill, fo.drop_tx, fo.drop_not_ours, fo.drop_parse,
	       rte_mempool_in_use_count(fo.pool));
}

/*
 * One forwarding round: RX on the VF (while the loop may use it) and on the
 * synthetic port, reflect, TX. The round counter lets the control side know
 * when no round that could still use a departing VF is in progress.
 */
static void
fo_forward_round(void)
{
	enum fo_vf_state st = fo_get_state();
	bool vf = st == FO_VF_ACTIVE || st == FO_VF_RECOVERING, syn;

	if (vf)
		fo_rx_path(__atomic_load_n(&fo.vf_port, __ATOMIC_RELAXED), &fo.vf, true);
	fo_rx_path(fo.syn_port, &fo.syn, vf);
	syn = __atomic_load_n(&fo.tx_syn, __ATOMIC_ACQUIRE);
	if (syn != fo.last_tx_syn) {
		if (syn)
			fo.switch_to_syn++;
		else
			fo.switch_to_vf++;
		fo.last_tx_syn = syn;
	}
	__atomic_fetch_add(&fo.rounds, 1, __ATOMIC_SEQ_CST);
}

static int
fo_worker(void *arg __rte_unused)
{
	FO_LOG("forwarding on lcore %u", rte_lcore_id());
	while (!__atomic_load_n(&fo.stop_worker, __ATOMIC_ACQUIRE))
		fo_forward_round();
	return 0;
}

/*
 * Before stopping a gone VF: wait until the forwarding lcore finished the
 * round it was in (later rounds see the state and leave the VF alone).
 */
static void
fo_quiesce_worker(void)
{
	uint64_t r0;

	if (!fo.worker_running)
		return;	/* forwarding runs on this lcore, between our calls */
	r0 = __atomic_load_n(&fo.rounds, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&fo.rounds, __ATOMIC_SEQ_CST) <= r0 &&
	       !__atomic_load_n(&fo.stop_worker, __ATOMIC_ACQUIRE))
		rte_pause();
}

/* Control on the main lcore: teardown, re-attach polling, counters, time. */
static void
fo_loop(void)
{
	uint64_t hz = rte_get_timer_hz(), now, next_poll = 0, next_stats, end = 0;
	uint64_t poll_cycles = hz * fo.poll_ms / 1000, stats_cycles = hz * fo.stats_ms / 1000;
	enum fo_vf_state st;

	now = rte_get_timer_cycles();
	next_stats = now + stats_cycles;
	if (fo.seconds)
		end = now + hz * fo.seconds;
	while (!fo_quit) {
		if (fo.worker_running)
			rte_delay_us_sleep(1000);
		else
			fo_forward_round();
		st = fo_get_state();
		if (st == FO_VF_GONE) {
			fo_quiesce_worker();
			fo_vf_teardown();
			next_poll = rte_get_timer_cycles() + poll_cycles;
			continue;
		}
		now = rte_get_timer_cycles();
		if (st == FO_VF_ABSENT && now >= next_poll) {
			fo_vf_try_attach(false);
			next_poll = rte_get_timer_cycles() + poll_cycles;
		}
		if (stats_cycles != 0 && now >= next_stats) {
			fo_print_stats("stats");
			next_stats = now + stats_cycles;
		}
		if (end != 0 && now >= end)
			break;
	}
	if (fo.worker_running) {
		__atomic_store_n(&fo.stop_worker, true, __ATOMIC_RELEASE);
		rte_eal_mp_wait_lcore();
		fo.worker_running = false;
	}
}

/* The synthetic port: an existing port's name, or a vdev we attach. */
static int
fo_syn_open(void)
{
	char name[sizeof(fo.syn_arg)], *comma;
	const char *args = "";
	int ret;

	if (rte_eth_dev_get_port_by_name(fo.syn_arg, &fo.syn_port) == 0)
		return 0;
	snprintf(name, sizeof(name), "%s", fo.syn_arg);
	comma = strchr(name, ',');
	if (comma != NULL) {
		*comma = '\0';
		args = fo.syn_arg + (comma - name) + 1;
	}
	if (rte_eth_dev_get_port_by_name(name, &fo.syn_port) == 0)
		return 0;
	ret = rte_eal_hotplug_add("vdev", name, args);
	if (ret != 0) {
		fprintf(stderr, "--synthetic %s: no such port, and attaching it as a vdev failed: %s\n",
			fo.syn_arg, rte_strerror(-ret));
		return ret;
	}
	snprintf(fo.syn_vdev, sizeof(fo.syn_vdev), "%s", name);
	if (rte_eth_dev_get_port_by_name(name, &fo.syn_port) != 0) {
		fprintf(stderr, "--synthetic %s: attached, but no port is named %s\n",
			fo.syn_arg, name);
		return -ENODEV;
	}
	return 0;
}

static const enum rte_eth_event_type fo_events[] = {
	RTE_ETH_EVENT_INTR_RMV,
	RTE_ETH_EVENT_ERR_RECOVERING,
	RTE_ETH_EVENT_RECOVERY_SUCCESS,
	RTE_ETH_EVENT_RECOVERY_FAILED,
};

int
main(int argc, char **argv)
{
	static char prog[] = "mana-failover";
	const char *root = getenv("SYSFS_PCI_DEVICES");
	unsigned int in_use, i, worker;
	uint16_t p, vf;
	int ret, status = 0;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "mana-failover: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	fo_t0 = rte_get_timer_cycles();
	argc -= ret;
	argv += ret;
	argv[0] = prog;
	if (fo_parse_args(argc, argv) != 0) {
		fo_usage("mana-failover");
		rte_eal_cleanup();
		return 2;
	}
	snprintf(fo.pci_root, sizeof(fo.pci_root), "%s",
		 root != NULL && root[0] != '\0' ? root : "/sys/bus/pci/devices");
	signal(SIGINT, fo_signal);
	signal(SIGTERM, fo_signal);

	fo.pool = rte_pktmbuf_pool_create("mana_failover", FO_NB_MBUF, FO_MBUF_CACHE, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (fo.pool == NULL) {
		fprintf(stderr, "mbuf pool: %s\n", rte_strerror(rte_errno));
		status = 1;
		goto out;
	}
	for (i = 0; i < RTE_DIM(fo_events); i++) {
		ret = rte_eth_dev_callback_register(RTE_ETH_ALL, fo_events[i], fo_event_cb,
						    NULL);
		if (ret != 0) {
			fprintf(stderr, "event callback: %s\n", rte_strerror(-ret));
			status = 1;
			goto out;
		}
	}
	if (fo_syn_open() != 0) {
		status = 1;
		goto out;
	}
	if (!fo.vf_mac_set && fo_vf_learn_mac() != 0) {
		status = 1;
		goto out;
	}
	ret = fo_port_start(fo.syn_port, false);
	if (ret != 0) {
		fprintf(stderr, "synthetic port %u: start failed: %s\n", fo.syn_port,
			rte_strerror(-ret));
		status = 1;
		goto out;
	}
	fo.syn_started = true;
	FO_LOG("synthetic port %u (%s) started; VF MAC " RTE_ETHER_ADDR_PRT_FMT
	       ", PCI tree %s", fo.syn_port, fo.syn_arg, RTE_ETHER_ADDR_BYTES(&fo.vf_mac),
	       fo.pci_root);
	fo_vf_try_attach(true);
	if (fo_get_state() == FO_VF_ABSENT)
		FO_LOG("VF not present yet: forwarding on the synthetic path");
	fo.last_tx_syn = __atomic_load_n(&fo.tx_syn, __ATOMIC_ACQUIRE);
	/* a second lcore forwards; the main one then only does control */
	worker = rte_get_next_lcore(-1, 1, 0);
	if (worker < RTE_MAX_LCORE) {
		ret = rte_eal_remote_launch(fo_worker, NULL, worker);
		if (ret != 0)
			FO_LOG("lcore %u: launch failed (%s): forwarding on the main lcore",
			       worker, rte_strerror(-ret));
		else
			fo.worker_running = true;
	}
	if (!fo.worker_running)
		FO_LOG("forwarding and control on the main lcore %u", rte_lcore_id());
	fo_loop();
	FO_LOG("shutting down%s", fo_quit ? " (signal)" : "");
	fo_print_stats("final");

out:
	for (i = 0; i < RTE_DIM(fo_events); i++)
		rte_eth_dev_callback_unregister(RTE_ETH_ALL, fo_events[i], fo_event_cb, NULL);
	vf = __atomic_exchange_n(&fo.vf_port, FO_NO_PORT, __ATOMIC_ACQ_REL);
	RTE_ETH_FOREACH_DEV(p)
		fo_port_close(p, p == vf ? fo.vf_started :
			      p == fo.syn_port ? fo.syn_started : true);
	if (fo.syn_vdev[0] != '\0') {
		ret = rte_eal_hotplug_remove("vdev", fo.syn_vdev);
		if (ret != 0)
			fprintf(stderr, "%s: detach: %s\n", fo.syn_vdev, rte_strerror(-ret));
	}
	if (fo.pool != NULL) {
		in_use = rte_mempool_in_use_count(fo.pool);
		printf("mempool: %u mbufs in use after closing every port (baseline 0)\n",
		       in_use);
		if (in_use != 0) {
			fprintf(stderr, "mana-failover: %u mbufs leaked\n", in_use);
			status = 1;
		}
		rte_mempool_free(fo.pool);
	}
	rte_eal_cleanup();
	return status;
}
