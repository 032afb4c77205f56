/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * mana-ports: lists the ethdev ports of a DPDK application with the facts a
 * MANA user needs to pick one: vPort name, MAC, driver (and the shared
 * object it came from, since a distribution's net_mana and dpdk-mana's have
 * the same name), limits and offloads.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* dladdr */
#endif
#include <dlfcn.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

/* The shared object (or program) holding @p dev's driver: who owns the port. */
static const char *
driver_object(const struct rte_device *dev)
{
	const struct rte_driver *drv = dev != NULL ? rte_dev_driver(dev) : NULL;
	Dl_info dl;

	if (drv == NULL)
		return "(no driver)";
	if (dladdr(drv, &dl) == 0 || dl.dli_fname == NULL)
		return "(unknown)";
	return dl.dli_fname;
}

static void
print_port(uint16_t port)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	struct rte_eth_dev_info info;
	struct rte_ether_addr mac;
	int ret;

	if (rte_eth_dev_get_name_by_port(port, name) != 0)
		return;
	ret = rte_eth_dev_info_get(port, &info);
	if (ret != 0) {
		printf("port %u %s: no device info: %s\n", port, name, rte_strerror(-ret));
		return;
	}
	if (rte_eth_macaddr_get(port, &mac) != 0)
		memset(&mac, 0, sizeof(mac));
	printf("port %u %s\n", port, name);
	printf("  driver %s, MAC " RTE_ETHER_ADDR_PRT_FMT "\n", info.driver_name,
	       RTE_ETHER_ADDR_BYTES(&mac));
	printf("  driver object %s\n", driver_object(info.device));
	printf("  queues rx %u tx %u, descriptors %u..%u, MTU %u..%u\n",
	       info.max_rx_queues, info.max_tx_queues, info.rx_desc_lim.nb_min,
	       info.rx_desc_lim.nb_max, info.min_mtu, info.max_mtu);
	printf("  RSS key %u bytes, RETA %u entries, segments tx %u rx %u\n",
	       info.hash_key_size, info.reta_size, info.tx_desc_lim.nb_seg_max,
	       info.rx_desc_lim.nb_seg_max);
	printf("  rx offloads %#" PRIx64 ", tx offloads %#" PRIx64 "%s\n",
	       info.rx_offload_capa, info.tx_offload_capa,
	       (*info.dev_flags & RTE_ETH_DEV_INTR_RMV) ? ", removal events" : "");
}

int
main(int argc, char **argv)
{
	uint16_t port, n = 0;
	int ret;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "mana-ports: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	RTE_ETH_FOREACH_DEV(port) {
		print_port(port);
		n++;
	}
	printf("%u port(s)\n", n);
	RTE_ETH_FOREACH_DEV(port)
		rte_eth_dev_close(port);
	rte_eal_cleanup();
	return n > 0 ? 0 : 2;
}
