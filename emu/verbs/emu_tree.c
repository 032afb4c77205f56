/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Creation and removal of the sysfs-like files DPDK's PCI bus and a
 * verbs user read for an emulated MANA function.
 */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu_config.h"
#include "emu_tree.h"

#define TREE_PATH_MAX 512

static int
write_file(const char *path, const char *content)
{
	char tmp[TREE_PATH_MAX + 8];
	FILE *f;
	int ret = 0;

	/* write then rename, so readers never see a half-written file */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL)
		return -errno;
	if (fputs(content, f) == EOF)
		ret = -EIO;
	if (fclose(f) != 0 && ret == 0)
		ret = -errno;
	if (ret == 0 && rename(tmp, path) != 0)
		ret = -errno;
	if (ret != 0)
		unlink(tmp);
	return ret;
}

static int
write_fmt(const char *dir, const char *name, const char *content)
{
	char path[TREE_PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	return write_file(path, content);
}

static int
mkdir_p(const char *path)
{
	char buf[TREE_PATH_MAX];
	char *p;

	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

void
emu_tree_ifname(char *buf, const char *pci, unsigned int port)
{
	unsigned int domain = 0, bus = 0, dev = 0, fn = 0;

	/* Azure-like VF names: enP<domain>s<slot>, suffixed per vPort */
	if (sscanf(pci, "%x:%x:%x.%x", &domain, &bus, &dev, &fn) != 4)
		domain = 0;
	/* "enP<domain>s<slot>[d<port>]", like Azure VF names */
	if (port == 0)
		snprintf(buf, EMU_TREE_IFNAME_LEN, "enP%us%u", domain & 0xffff,
			 ((bus & 0xff) * 32 + (dev & 0x1f)) * 8 + (fn & 7));
	else
		snprintf(buf, EMU_TREE_IFNAME_LEN, "enP%us%ud%u",
			 domain & 0xffff,
			 ((bus & 0xff) * 32 + (dev & 0x1f)) * 8 + (fn & 7),
			 port & 7);
}

static int
netdev_create(const char *pcidir, const char *pci, unsigned int port,
	      const uint8_t *mac, unsigned int mtu, int up, unsigned int ifindex)
{
	char ifname[EMU_TREE_IFNAME_LEN];
	char dir[TREE_PATH_MAX];
	char v[64];
	struct stat st;
	int ret;

	emu_tree_ifname(ifname, pci, port);
	if (snprintf(dir, sizeof(dir), "%s/net/%s", pcidir, ifname) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	if (stat(dir, &st) == 0)
		return 0;	/* kept across a service reset */
	ret = mkdir_p(dir);
	if (ret != 0)
		return ret;
	snprintf(v, sizeof(v), "%02x:%02x:%02x:%02x:%02x:%02x\n", mac[0],
		 mac[1], mac[2], mac[3], mac[4], mac[5]);
	ret = write_fmt(dir, "address", v);
	snprintf(v, sizeof(v), "%u\n", port);
	ret = ret ? ret : write_fmt(dir, "dev_port", v);
	snprintf(v, sizeof(v), "%u\n", mtu);
	ret = ret ? ret : write_fmt(dir, "mtu", v);
	ret = ret ? ret : write_fmt(dir, "operstate", up ? "up\n" : "down\n");
	/* IFF_UP | IFF_BROADCAST | IFF_RUNNING | IFF_MULTICAST when up */
	ret = ret ? ret : write_fmt(dir, "flags", up ? "0x1043\n" : "0x1002\n");
	snprintf(v, sizeof(v), "%u\n", ifindex);
	ret = ret ? ret : write_fmt(dir, "ifindex", v);
	ret = ret ? ret : write_fmt(dir, "carrier", up ? "1\n" : "0\n");
	return ret;
}

int
emu_tree_pci_create(const char *dir, const char *pci, unsigned int device_id,
		    int numa_node, unsigned int n_ports, const uint8_t (*macs)[6],
		    unsigned int mtu, const int *netdev_up,
		    unsigned int ifindex_base)
{
	char pcidir[TREE_PATH_MAX], drv[TREE_PATH_MAX], link[TREE_PATH_MAX];
	char v[128];
	uint8_t config[256];
	unsigned int p, i;
	int ret, fd;
	ssize_t n;

	if (snprintf(drv, sizeof(drv), "%s/drivers/mana", dir) >= (int)sizeof(drv))
		return -ENAMETOOLONG;
	ret = mkdir_p(drv);
	if (ret != 0)
		return ret;
	if (snprintf(pcidir, sizeof(pcidir), "%s/pci/%s", dir, pci) >= (int)sizeof(pcidir))
		return -ENAMETOOLONG;
	ret = mkdir_p(pcidir);
	if (ret != 0)
		return ret;
	snprintf(v, sizeof(v), "0x%04x\n", device_id & 0xffff);
	ret = write_fmt(pcidir, "vendor", "0x1414\n");
	ret = ret ? ret : write_fmt(pcidir, "device", v);
	ret = ret ? ret : write_fmt(pcidir, "subsystem_vendor", "0x1414\n");
	ret = ret ? ret : write_fmt(pcidir, "subsystem_device", v);
	ret = ret ? ret : write_fmt(pcidir, "class", "0x020000\n");
	snprintf(v, sizeof(v), "%d\n", numa_node);
	ret = ret ? ret : write_fmt(pcidir, "numa_node", v);
	snprintf(v, sizeof(v), "PCI_SLOT_NAME=%s\nPCI_ID=1414:%04X\nDRIVER=mana\n",
		 pci, device_id & 0xffff);
	ret = ret ? ret : write_fmt(pcidir, "uevent", v);
	snprintf(v, sizeof(v), "pci:v00001414d%08Xsv00001414sd%08Xbc02sc00i00\n",
		 device_id & 0xffff, device_id & 0xffff);
	ret = ret ? ret : write_fmt(pcidir, "modalias", v);
	if (ret != 0)
		return ret;
	{
		/* BAR0 (64-bit prefetchable memory, 32 KiB), other slots empty:
		 * 13 lines, as the kernel writes them.
		 */
		char res[13 * 64];
		size_t off = 0;

		off += snprintf(res + off, sizeof(res) - off,
			"0x00000fe000000000 0x00000fe000007fff 0x000000000014220c\n");
		for (i = 1; i < 13; i++)
			off += snprintf(res + off, sizeof(res) - off,
				"0x0000000000000000 0x0000000000000000 0x0000000000000000\n");
		ret = write_fmt(pcidir, "resource", res);
		if (ret != 0)
			return ret;
	}
	/* minimal config space: ids, class, header type 0 */
	memset(config, 0, sizeof(config));
	config[0] = 0x14; config[1] = 0x14;
	config[2] = (uint8_t)device_id; config[3] = (uint8_t)(device_id >> 8);
	config[9] = 0x00; config[10] = 0x00; config[11] = 0x02;
	config[0x2c] = 0x14; config[0x2d] = 0x14;
	config[0x2e] = config[2]; config[0x2f] = config[3];
	if (snprintf(link, sizeof(link), "%s/config", pcidir) >= (int)sizeof(link))
		return -ENAMETOOLONG;
	fd = open(link, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -errno;
	n = write(fd, config, sizeof(config));
	close(fd);
	if (n != (ssize_t)sizeof(config))
		return -EIO;
	if (snprintf(link, sizeof(link), "%s/driver", pcidir) >= (int)sizeof(link))
		return -ENAMETOOLONG;
	unlink(link);
	if (symlink("../../drivers/mana", link) != 0)
		return -errno;
	for (p = 0; p < n_ports; p++) {
		ret = netdev_create(pcidir, pci, p, macs[p], mtu,
				    netdev_up[p], ifindex_base + p);
		if (ret != 0)
			return ret;
	}
	return 0;
}

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) == 0 || errno == ENOENT ? 0 : 0;
}

static void
rm_rf(const char *path)
{
	nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

void
emu_tree_pci_remove(const char *dir, const char *pci)
{
	char pcidir[TREE_PATH_MAX];

	snprintf(pcidir, sizeof(pcidir), "%s/pci/%s", dir, pci);
	rm_rf(pcidir);
}

/* <dir>/sys/class/<cls> */
static int
class_dir(char *buf, size_t len, const char *dir, const char *cls, const char *name)
{
	if ((size_t)snprintf(buf, len, "%s/sys/class/%s/%s", dir, cls, name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int
emu_tree_ib_create(const char *dir, const char *ibname, unsigned int index,
		   const char *pci, unsigned int n_ports)
{
	char ibdir[TREE_PATH_MAX], uvdir[TREE_PATH_MAX], link[TREE_PATH_MAX + 16];
	char tgt[TREE_PATH_MAX + 32], v[96], uv[32];
	unsigned int p;
	int ret;

	snprintf(uv, sizeof(uv), "uverbs%u", index);
	ret = class_dir(ibdir, sizeof(ibdir), dir, "infiniband", ibname);
	ret = ret ? ret : class_dir(uvdir, sizeof(uvdir), dir, "infiniband_verbs", uv);
	ret = ret ? ret : mkdir_p(ibdir);
	ret = ret ? ret : mkdir_p(uvdir);
	if (ret != 0)
		return ret;
	/* class/infiniband/<ibdev>: what libibverbs and a driver read */
	ret = write_fmt(ibdir, "node_type", "1: CA\n");
	snprintf(v, sizeof(v), "0015:5dff:fe00:%04x\n", index & 0xffff);
	ret = ret ? ret : write_fmt(ibdir, "node_guid", v);
	ret = ret ? ret : write_fmt(ibdir, "sys_image_guid", v);
	ret = ret ? ret : write_fmt(ibdir, "fw_ver", "1.0.0\n");
	ret = ret ? ret : write_fmt(ibdir, "hca_type", "\n");
	for (p = 1; ret == 0 && p <= n_ports; p++) {
		char pdir[TREE_PATH_MAX + 24];

		snprintf(pdir, sizeof(pdir), "%s/ports/%u", ibdir, p);
		ret = mkdir_p(pdir);
		ret = ret ? ret : write_fmt(pdir, "link_layer", "Ethernet\n");
		ret = ret ? ret : write_fmt(pdir, "cap_mask", "0x00000000\n");
	}
	if (ret != 0)
		return ret;
	snprintf(link, sizeof(link), "%s/device", ibdir);
	snprintf(tgt, sizeof(tgt), "../../../../pci/%s", pci);
	unlink(link);
	if (symlink(tgt, link) != 0)
		return -errno;
	/* class/infiniband_verbs: the global ABI and the uverbs device */
	snprintf(tgt, sizeof(tgt), "%s/sys/class/infiniband_verbs", dir);
	ret = write_fmt(tgt, "abi_version", "6\n");
	ret = ret ? ret : write_fmt(uvdir, "ibdev", ibname);
	ret = ret ? ret : write_fmt(uvdir, "abi_version", "1\n");
	snprintf(v, sizeof(v), "231:%u\n", 192 + index);
	ret = ret ? ret : write_fmt(uvdir, "dev", v);
	if (ret != 0)
		return ret;
	snprintf(link, sizeof(link), "%s/device", uvdir);
	snprintf(tgt, sizeof(tgt), "../../../../pci/%s", pci);
	unlink(link);
	if (symlink(tgt, link) != 0)
		return -errno;
	/* sysfs also lists both class devices under the PCI function */
	if (snprintf(ibdir, sizeof(ibdir), "%s/pci/%s/infiniband/%s", dir, pci,
		     ibname) >= (int)sizeof(ibdir))
		return -ENAMETOOLONG;
	ret = mkdir_p(ibdir);
	snprintf(uvdir, sizeof(uvdir), "%s/pci/%s/infiniband_verbs/%s", dir, pci, uv);
	return ret ? ret : mkdir_p(uvdir);
}

void
emu_tree_ib_remove(const char *dir, const char *ibname, unsigned int index,
		   const char *pci)
{
	char path[TREE_PATH_MAX];

	snprintf(path, sizeof(path), "%s/sys/class/infiniband/%s", dir, ibname);
	rm_rf(path);
	snprintf(path, sizeof(path), "%s/sys/class/infiniband_verbs/uverbs%u", dir, index);
	rm_rf(path);
	snprintf(path, sizeof(path), "%s/pci/%s/infiniband", dir, pci);
	rm_rf(path);
	snprintf(path, sizeof(path), "%s/pci/%s/infiniband_verbs", dir, pci);
	rm_rf(path);
}

int
emu_tree_netdev_read(const char *dir, const char *pci, unsigned int port,
		     const char *attr, long *value)
{
	char ifname[EMU_TREE_IFNAME_LEN];
	char path[TREE_PATH_MAX], buf[64];
	char *end;
	FILE *f;
	long v;

	emu_tree_ifname(ifname, pci, port);
	snprintf(path, sizeof(path), "%s/pci/%s/net/%s/%s", dir, pci, ifname,
		 attr);
	f = fopen(path, "r");
	if (f == NULL)
		return -errno;
	if (fgets(buf, sizeof(buf), f) == NULL) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	errno = 0;
	v = strtol(buf, &end, 0);
	if (errno != 0 || end == buf)
		return -EINVAL;
	*value = v;
	return 0;
}

int
emu_tree_netdev_write(const char *dir, const char *pci, unsigned int port,
		      const char *attr, const char *value)
{
	char ifname[EMU_TREE_IFNAME_LEN];
	char path[TREE_PATH_MAX];

	emu_tree_ifname(ifname, pci, port);
	snprintf(path, sizeof(path), "%s/pci/%s/net/%s/%s", dir, pci, ifname,
		 attr);
	return write_file(path, value);
}

void
emu_tree_remove_all(const char *dir)
{
	char path[TREE_PATH_MAX];

	snprintf(path, sizeof(path), "%s/pci", dir);
	rm_rf(path);
	snprintf(path, sizeof(path), "%s/sys", dir);
	rm_rf(path);
	snprintf(path, sizeof(path), "%s/drivers", dir);
	rm_rf(path);
}

void
emu_tree_ibname(char *buf, size_t len, const struct emu_cfg *cfg,
		unsigned int index)
{
	snprintf(buf, len, "%s_%u", cfg->ibdev_mana ? "mana" : "manae", index);
}

int
emu_tree_build(const struct emu_cfg *cfg, const char *dir)
{
	char name[64];
	unsigned int d;
	int ret;

	emu_tree_remove_all(dir);
	for (d = 0; d < cfg->n_devs; d++) {
		ret = emu_tree_pci_create(dir, cfg->pci[d],
					  cfg->pf ? 0x00b9 : 0x00ba, cfg->numa_node,
					  cfg->n_ports,
					  (const uint8_t (*)[6])cfg->mac[d],
					  cfg->mtu, cfg->netdev_up,
					  100 + d * EMU_CFG_MAX_PORTS);
		if (ret != 0)
			return ret;
		if (cfg->ibdev_none)
			continue;
		emu_tree_ibname(name, sizeof(name), cfg, d);
		ret = emu_tree_ib_create(dir, name, d, cfg->pci[d], cfg->n_ports);
		if (ret != 0)
			return ret;
	}
	return 0;
}
