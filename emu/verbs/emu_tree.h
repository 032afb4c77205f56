/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * The sysfs-like tree of an emulated MANA PCI function and its IB device.
 */

#ifndef EMU_TREE_H
#define EMU_TREE_H

#include <stddef.h>
#include <stdint.h>

#define EMU_TREE_IFNAME_LEN 24

/**
 * Create <dir>/pci/<pci>/ with vendor, device (@p device_id: 0x00ba VF,
 * 0x00b9 PF), subsystem ids, class,
 * numa_node, resource, config, uevent, a `driver` link named mana, and
 * net/<ifname>/ per vPort (address, dev_port, mtu, operstate, flags,
 * ifindex). Existing netdev files are kept (service reset).
 * @return 0 on success, a negative errno value otherwise.
 */
int emu_tree_pci_create(const char *dir, const char *pci,
			unsigned int device_id, int numa_node,
			unsigned int n_ports, const uint8_t (*macs)[6],
			unsigned int mtu, const int *netdev_up,
			unsigned int ifindex_base);

/** Remove <dir>/pci/<pci> (hot removal). */
void emu_tree_pci_remove(const char *dir, const char *pci);

/**
 * Register IB device @p ibname (index @p index) of function @p pci in the
 * sysfs view under <dir>/sys: class/infiniband/<ibname>/ (node_type,
 * node_guid, ports/1..n, `device` -> the PCI directory) and
 * class/infiniband_verbs/uverbs<index>/ (ibdev, abi_version, dev = 231:192+index,
 * `device`), plus class/infiniband_verbs/abi_version, and both class devices
 * listed under <dir>/pci/<pci>/ as sysfs does.
 * @return 0 on success, a negative errno value otherwise.
 */
int emu_tree_ib_create(const char *dir, const char *ibname, unsigned int index,
		       const char *pci, unsigned int n_ports);

/** Unregister IB device @p ibname / uverbs<@p index> of @p pci from the tree. */
void emu_tree_ib_remove(const char *dir, const char *ibname, unsigned int index,
			const char *pci);

/** Name of the netdev of vPort @p port of function @p pci. */
void emu_tree_ifname(char *buf, const char *pci, unsigned int port);

/**
 * Read an integer attribute of a vPort netdev (e.g. "mtu", "flags").
 * @return 0 on success, a negative errno value otherwise.
 */
int emu_tree_netdev_read(const char *dir, const char *pci, unsigned int port,
			 const char *attr, long *value);

/** Write an attribute of a vPort netdev. */
int emu_tree_netdev_write(const char *dir, const char *pci,
			  unsigned int port, const char *attr,
			  const char *value);

struct emu_cfg;

/** Name of the @p index-th IB device ("manae_N" or "mana_N" per config). */
void emu_tree_ibname(char *buf, size_t len, const struct emu_cfg *cfg,
		     unsigned int index);

/**
 * Build the initial tree of every configured function (fresh netdev files,
 * IB devices numbered from 0), as the library does at start-up.
 * @return 0 on success, a negative errno value otherwise.
 */
int emu_tree_build(const struct emu_cfg *cfg, const char *dir);

/** Remove the whole tree under @p dir that this module created. */
void emu_tree_remove_all(const char *dir);

#endif /* EMU_TREE_H */
