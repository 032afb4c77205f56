/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * mana-emu vSwitch wire: a vNIC's VF and synthetic attachments behind a
 * model of Azure's host switch, its flow table and its uplink.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu_priv.h"

/* Flow key kinds (0 marks a free slot). */
enum {
	EMU_VSW_KEY_MAC = 1,	/* src/dst MAC + ethertype */
	EMU_VSW_KEY_IP4,	/* IPv4 addresses */
	EMU_VSW_KEY_IP4_L4,	/* IPv4 TCP/UDP 5-tuple */
	EMU_VSW_KEY_IP6,	/* IPv6 addresses */
	EMU_VSW_KEY_IP6_L4,	/* IPv6 TCP/UDP 5-tuple */
};

#define EMU_VSW_POLL_BUDGET	32u

/* ------------------------------------------------------------------------ */
/* Flow table                                                               */
/* ------------------------------------------------------------------------ */

/* The flow of a frame of at least 14 bytes as the host switch sees it. */
static void
emu_vsw_flow_key(const uint8_t *f, uint32_t len, struct emu_vsw_key *k)
{
	uint32_t off = 14, ihl;
	uint16_t type = emu_rd16(f + 12);
	uint8_t proto;

	memset(k, 0, sizeof(*k));
	/* VLAN tags: the flow is that of the inner frame */
	while ((type == 0x8100 || type == 0x88a8) && len >= off + 4) {
		type = emu_rd16(f + off + 2);
		off += 4;
	}
	k->ethertype = type;
	if (type == 0x0800 && len >= off + 20 && (f[off] >> 4) == 4 &&
	    (ihl = (f[off] & 0xFu) * 4u) >= 20 && len >= off + ihl) {
		k->kind = EMU_VSW_KEY_IP4;
		memcpy(k->src, f + off + 12, 4);
		memcpy(k->dst, f + off + 16, 4);
		proto = f[off + 9];
		/* fragments: addresses only (later fragments carry no ports) */
		if ((proto == IPPROTO_TCP || proto == IPPROTO_UDP) &&
		    (emu_rd16(f + off + 6) & 0x3FFF) == 0 && len >= off + ihl + 4) {
			k->kind = EMU_VSW_KEY_IP4_L4;
			k->proto = proto;
			k->sport = emu_rd16(f + off + ihl);
			k->dport = emu_rd16(f + off + ihl + 2);
		}
		return;
	}
	if (type == 0x86DD && len >= off + 40 && (f[off] >> 4) == 6) {
		k->kind = EMU_VSW_KEY_IP6;
		memcpy(k->src, f + off + 8, 16);
		memcpy(k->dst, f + off + 24, 16);
		proto = f[off + 6];	/* no extension headers are followed */
		if ((proto == IPPROTO_TCP || proto == IPPROTO_UDP) && len >= off + 44) {
			k->kind = EMU_VSW_KEY_IP6_L4;
			k->proto = proto;
			k->sport = emu_rd16(f + off + 40);
			k->dport = emu_rd16(f + off + 42);
		}
		return;
	}
	/* not IP (or not parseable as IP): MACs + ethertype */
	k->kind = EMU_VSW_KEY_MAC;
	memcpy(k->src, f + 6, 6);
	memcpy(k->dst, f, 6);
}

static uint32_t
emu_vsw_hash(const struct emu_vsw_key *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint32_t h = 2166136261u, i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 16777619u;
	return h ^ (h >> 15);
}

enum emu_vsw_lookup {
	EMU_VSW_KNOWN,		/* seen before */
	EMU_VSW_NEW,		/* first frame, now recorded */
	EMU_VSW_FULL,		/* first frame, table full: not recorded */
};

static enum emu_vsw_lookup
emu_vsw_flow_lookup(struct emu_vsw *s, const struct emu_vsw_key *k)
{
	uint32_t i = emu_vsw_hash(k) & s->mask;

	/* linear probing; slots >= 2 x cap, so a free slot always exists */
	for (;;) {
		struct emu_vsw_key *e = &s->slot[i];

		if (e->kind == 0)
			break;
		if (memcmp(e, k, sizeof(*k)) == 0)
			return EMU_VSW_KNOWN;
		i = (i + 1) & s->mask;
	}
	if (s->n >= s->cap)
		return EMU_VSW_FULL;
	s->slot[i] = *k;
	s->n++;
	return EMU_VSW_NEW;
}

static void
emu_vsw_flows_clear(struct emu_vsw *s)
{
	if (s->n == 0)
		return;
	memset(s->slot, 0, sizeof(*s->slot) * (s->mask + 1));
	s->n = 0;
}

/*
 * The VF is present while the function is (not removed, not in a service
 * reset) and the vPort has RX configured with an RQ and enabled. When it
 * goes away the flow table is forgotten, so that the first frame of each
 * flow takes the synthetic path again after it returns.
 */
static bool
emu_vsw_vf_check(struct emu_dev *dev, struct emu_vport *vp)
{
	bool present = !atomic_load(&dev->removed) && vp->rx_configured &&
		       vp->rx_enable && vp->default_rq != NULL;

	if (!present && vp->vsw->vf_present)
		emu_vsw_flows_clear(vp->vsw);
	vp->vsw->vf_present = present;
	return present;
}

/*
 * The VF's state may have changed (RX configured or disabled, RQ destroyed,
 * removal, reset): look now, so that a VF going away and coming back
 * between two polls still forgets the flows. Lock held.
 */
void
emu_vsw_rx_changed(struct emu_dev *dev, uint32_t vport)
{
	struct emu_vport *vp = &dev->vport[vport];

	if (vp->wire == EMU_WIRE_VSWITCH && vp->vsw != NULL)
		emu_vsw_vf_check(dev, vp);
}

/* ------------------------------------------------------------------------ */
/* Switching                                                                */
/* ------------------------------------------------------------------------ */

/* One frame to a tap or a socket: never blocks, never raises SIGPIPE. */
static bool
emu_vsw_write(int fd, bool sock, const uint8_t *f, uint32_t len)
{
	ssize_t r = sock ? send(fd, f, len, MSG_DONTWAIT | MSG_NOSIGNAL) : write(fd, f, len);

	return r == (ssize_t)len;
}

static ssize_t
emu_vsw_read(int fd, bool sock, uint8_t *buf)
{
	return sock ? recv(fd, buf, EMU_MAX_FRAME, MSG_DONTWAIT) : read(fd, buf, EMU_MAX_FRAME);
}

static bool
emu_vsw_to_syn(struct emu_vport *vp, const uint8_t *f, uint32_t len)
{
	if (emu_vsw_write(vp->vsw->syn_fd, vp->vsw->syn_sock, f, len)) {
		vp->st.vsw_to_syn++;
		return true;
	}
	vp->st.vsw_dropped++;
	return false;
}

static bool
emu_vsw_to_uplink(struct emu_vport *vp, const uint8_t *f, uint32_t len)
{
	return emu_vsw_write(vp->fd, vp->vsw->up_sock, f, len);
}

/* One frame from the network beyond the switch to the vNIC. Lock held. */
void
emu_vsw_uplink_input(struct emu_dev *dev, uint32_t vport, uint8_t *f, uint32_t len)
{
	struct emu_vport *vp = &dev->vport[vport];
	struct emu_vsw_key k;

	vp->st.vsw_uplink_in++;
	if (len < 14) {
		vp->st.vsw_dropped++;
		return;
	}
	if (f[0] & 1) {				/* broadcast, multicast */
		emu_vsw_to_syn(vp, f, len);
		return;
	}
	if (memcmp(f, vp->cfg.mac, 6) != 0) {	/* not for this vNIC */
		vp->st.vsw_dropped++;
		return;
	}
	if (!emu_vsw_vf_check(dev, vp)) {
		emu_vsw_to_syn(vp, f, len);
		return;
	}
	emu_vsw_flow_key(f, len, &k);
	switch (emu_vsw_flow_lookup(vp->vsw, &k)) {
	case EMU_VSW_KNOWN:
		vp->st.vsw_to_vf++;
		emu_rx_frame(dev, vport, f, len);
		return;
	case EMU_VSW_NEW:
		if (emu_vsw_to_syn(vp, f, len))
			vp->st.vsw_first_of_flow++;
		return;
	case EMU_VSW_FULL:
	default:
		if (emu_vsw_to_syn(vp, f, len))
			vp->st.vsw_flow_full++;
		return;
	}
}

/* TX of the VF (the vPort's SQs). Lock held. */
void
emu_vsw_transmit(struct emu_dev *dev, uint32_t vport, const uint8_t *f, uint32_t len)
{
	struct emu_vport *vp = &dev->vport[vport];

	if (emu_vsw_to_uplink(vp, f, len))
		vp->st.vsw_from_vf++;
	else
		vp->st.tx_drop_wire++;
}

/* Uplink input and synthetic TX of one vPort. Lock held. */
int
emu_vsw_poll(struct emu_dev *dev, uint32_t vport)
{
	struct emu_vport *vp = &dev->vport[vport];
	uint32_t n;
	int work = 0;

	if (vp->vsw == NULL)
		return 0;
	emu_vsw_vf_check(dev, vp);
	for (n = 0; n < EMU_VSW_POLL_BUDGET; n++) {
		ssize_t r = emu_vsw_read(vp->fd, vp->vsw->up_sock, dev->seg);

		if (r <= 0)
			break;
		emu_vsw_uplink_input(dev, vport, dev->seg, (uint32_t)r);
		work++;
	}
	for (n = 0; n < EMU_VSW_POLL_BUDGET; n++) {
		ssize_t r = emu_vsw_read(vp->vsw->syn_fd, vp->vsw->syn_sock, dev->seg);

		if (r <= 0)
			break;
		if (emu_vsw_to_uplink(vp, dev->seg, (uint32_t)r))
			vp->st.vsw_from_syn++;
		else
			vp->st.vsw_dropped++;
		work++;
	}
	return work;
}

/* ------------------------------------------------------------------------ */
/* Wiring                                                                   */
/* ------------------------------------------------------------------------ */

void
emu_vsw_free(struct emu_vport *vp)
{
	if (vp->vsw == NULL)
		return;
	if (vp->vsw->syn_fd >= 0)
		close(vp->vsw->syn_fd);
	free(vp->vsw->slot);
	free(vp->vsw);
	vp->vsw = NULL;
}

/* Set the MAC of (if @p mac) and bring up interface @p ifname. */
static int
emu_netif_setup(const char *ifname, const uint8_t *mac)
{
	struct ifreq ifr;
	int s, rc = 0;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (mac != NULL) {
		ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
		memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
		if (ioctl(s, SIOCSIFHWADDR, &ifr) < 0) {
			rc = -errno;
			goto out;
		}
	}
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		rc = -errno;
		goto out;
	}
	if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
			rc = -errno;
	}
out:
	close(s);
	return rc;
}

/* O_NONBLOCK on @p fd; @return 1 if it is a socket, 0 if not, < 0 on error. */
static int
emu_vsw_fd_prepare(int fd)
{
	struct stat st;
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || fstat(fd, &st) < 0)
		return -EINVAL;
	return S_ISSOCK(st.st_mode) ? 1 : 0;
}

int
emu_port_wire_vswitch_fd(struct emu_dev *dev, uint32_t vport, int syn_fd, int uplink_fd)
{
	uint32_t flows = dev->cfg.vsw_flows, slots = 1;
	int rc, syn_sock, up_sock;
	struct emu_vsw *s;

	if (vport >= dev->cfg.n_vports || syn_fd < 0 || uplink_fd < 0 ||
	    syn_fd == uplink_fd) {
		rc = -EINVAL;
		goto fail;
	}
	syn_sock = emu_vsw_fd_prepare(syn_fd);
	up_sock = emu_vsw_fd_prepare(uplink_fd);
	if (syn_sock < 0 || up_sock < 0) {
		rc = -EINVAL;
		goto fail;
	}
	while (slots < 2 * flows)
		slots <<= 1;
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	s->slot = calloc(slots, sizeof(*s->slot));
	if (s->slot == NULL) {
		free(s);
		rc = -ENOMEM;
		goto fail;
	}
	s->syn_fd = syn_fd;
	s->syn_sock = syn_sock == 1;
	s->up_sock = up_sock == 1;
	s->cap = flows;
	s->mask = slots - 1;
	emu_port_wire_none(dev, vport);
	pthread_mutex_lock(&dev->lock);
	dev->vport[vport].wire = EMU_WIRE_VSWITCH;
	dev->vport[vport].fd = uplink_fd;
	dev->vport[vport].vsw = s;
	emu_vsw_vf_check(dev, &dev->vport[vport]);
	pthread_mutex_unlock(&dev->lock);
	return 0;
fail:
	if (syn_fd >= 0)
		close(syn_fd);
	if (uplink_fd >= 0 && uplink_fd != syn_fd)
		close(uplink_fd);
	return rc;
}

int
emu_port_wire_vswitch(struct emu_dev *dev, uint32_t vport, const char *syn_ifname,
		      const char *uplink_ifname)
{
	int syn_fd, up_fd, rc;
	uint8_t mac[6];

	if (vport >= dev->cfg.n_vports || syn_ifname == NULL || uplink_ifname == NULL ||
	    syn_ifname[0] == '\0' || uplink_ifname[0] == '\0' ||
	    strlen(syn_ifname) >= IFNAMSIZ || strlen(uplink_ifname) >= IFNAMSIZ ||
	    strcmp(syn_ifname, uplink_ifname) == 0)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	memcpy(mac, dev->vport[vport].cfg.mac, 6);
	pthread_mutex_unlock(&dev->lock);
	syn_fd = emu_tap_open(syn_ifname);
	if (syn_fd < 0)
		return syn_fd;
	up_fd = emu_tap_open(uplink_ifname);
	if (up_fd < 0) {
		close(syn_fd);
		return up_fd;
	}
	/* as on Azure, the synthetic NIC has the VF's MAC */
	rc = emu_netif_setup(syn_ifname, mac);
	if (rc == 0)
		rc = emu_netif_setup(uplink_ifname, NULL);
	if (rc < 0) {
		close(syn_fd);
		close(up_fd);
		return rc;
	}
	rc = emu_port_wire_vswitch_fd(dev, vport, syn_fd, up_fd);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&dev->lock);
	if (dev->vport[vport].vsw != NULL) {
		snprintf(dev->vport[vport].vsw->syn_if, sizeof(dev->vport[vport].vsw->syn_if),
			 "%s", syn_ifname);
		snprintf(dev->vport[vport].vsw->up_if, sizeof(dev->vport[vport].vsw->up_if),
			 "%s", uplink_ifname);
	}
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

/* The vPort MAC changed: the synthetic tap follows. Lock held. */
void
emu_vsw_set_mac(struct emu_dev *dev, uint32_t vport)
{
	struct emu_vport *vp = &dev->vport[vport];

	if (vp->wire != EMU_WIRE_VSWITCH || vp->vsw == NULL || vp->vsw->syn_if[0] == '\0')
		return;
	emu_netif_setup(vp->vsw->syn_if, vp->cfg.mac);
}
