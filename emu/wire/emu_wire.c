/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * mana-emu wires: loopback, vPort pairs, tap and socket fds, the wire input
 * ring of each vPort, programmatic injection and TX capture.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "emu_priv.h"

/* ------------------------------------------------------------------------ */
/* Frame ring: records [u32 len][u32 pad][bytes], 8-byte aligned           */
/* ------------------------------------------------------------------------ */

#define EMU_FRING_WRAP	UINT32_MAX

int
emu_fring_init(struct emu_fring *r, uint32_t size)
{
	r->buf = malloc(size);
	if (r->buf == NULL)
		return -ENOMEM;
	r->size = size;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	atomic_flag_clear(&r->lock);
	return 0;
}

void
emu_fring_fini(struct emu_fring *r)
{
	free(r->buf);
	r->buf = NULL;
}

static inline uint32_t
emu_fring_rec(uint32_t len)
{
	return 8 + ((len + 7) & ~7u);
}

int
emu_fring_push(struct emu_fring *r, const void *a, uint32_t alen,
	       const void *b, uint32_t blen)
{
	uint32_t len = alen + blen, rec = emu_fring_rec(len), pos, to_end;
	uint64_t h, t, need;
	int rc = 0;

	if (r->buf == NULL)
		return -ENODEV;
	while (atomic_flag_test_and_set_explicit(&r->lock, memory_order_acquire))
		;
	h = atomic_load_explicit(&r->head, memory_order_relaxed);
	t = atomic_load_explicit(&r->tail, memory_order_acquire);
	pos = (uint32_t)(h & (r->size - 1));
	to_end = r->size - pos;
	need = to_end < rec ? to_end + rec : rec;
	if (h - t + need > r->size) {
		rc = -ENOBUFS;
		goto out;
	}
	if (to_end < rec) {
		*(uint32_t *)(r->buf + pos) = EMU_FRING_WRAP;
		h += to_end;
		pos = 0;
	}
	*(uint32_t *)(r->buf + pos) = len;
	memcpy(r->buf + pos + 8, a, alen);
	if (blen)
		memcpy(r->buf + pos + 8 + alen, b, blen);
	atomic_store_explicit(&r->head, h + rec, memory_order_release);
out:
	atomic_flag_clear_explicit(&r->lock, memory_order_release);
	return rc;
}

/* Peek the oldest record; returns its data or NULL when empty. */
static uint8_t *
emu_fring_peek(struct emu_fring *r, uint32_t *len)
{
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint64_t h = atomic_load_explicit(&r->head, memory_order_acquire);
	uint32_t pos, l;

	if (t == h)
		return NULL;
	pos = (uint32_t)(t & (r->size - 1));
	l = *(uint32_t *)(r->buf + pos);
	if (l == EMU_FRING_WRAP) {
		t += r->size - pos;
		atomic_store_explicit(&r->tail, t, memory_order_release);
		if (t == h)
			return NULL;
		pos = 0;
		l = *(uint32_t *)(r->buf + pos);
	}
	*len = l;
	return r->buf + pos + 8;
}

static void
emu_fring_pop(struct emu_fring *r, uint32_t len)
{
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);

	atomic_store_explicit(&r->tail, t + emu_fring_rec(len), memory_order_release);
}

/* ------------------------------------------------------------------------ */
/* Capture                                                                  */
/* ------------------------------------------------------------------------ */

void
emu_capture_free(struct emu_capture *c)
{
	uint32_t i;

	for (i = 0; i < c->n; i++)
		free(c->data[i]);
	free(c->data);
	free(c->len);
	free(c->cap);
	memset(c, 0, sizeof(*c));
}

static void
emu_capture_push(struct emu_capture *c, const uint8_t *f, uint32_t len)
{
	uint32_t slot;

	if (c->wr - c->rd == c->n)
		c->rd++;		/* overwrite the oldest */
	slot = c->wr % c->n;
	if (c->cap[slot] < len) {
		uint8_t *p = realloc(c->data[slot], len);

		if (p == NULL)
			return;
		c->data[slot] = p;
		c->cap[slot] = len;
	}
	memcpy(c->data[slot], f, len);
	c->len[slot] = len;
	c->wr++;
}

int
emu_port_capture_enable(struct emu_dev *dev, uint32_t vport, uint32_t n_frames)
{
	struct emu_capture *c;
	int rc = 0;

	if (vport >= dev->cfg.n_vports)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	c = &dev->vport[vport].cap;
	emu_capture_free(c);
	if (n_frames) {
		c->data = calloc(n_frames, sizeof(*c->data));
		c->len = calloc(n_frames, sizeof(*c->len));
		c->cap = calloc(n_frames, sizeof(*c->cap));
		if (c->data == NULL || c->len == NULL || c->cap == NULL) {
			free(c->data);
			free(c->len);
			free(c->cap);
			memset(c, 0, sizeof(*c));
			rc = -ENOMEM;
		} else {
			c->n = n_frames;
		}
	}
	pthread_mutex_unlock(&dev->lock);
	return rc;
}

int
emu_port_capture_read(struct emu_dev *dev, uint32_t vport, void *buf, size_t len)
{
	struct emu_capture *c;
	uint32_t slot;
	int rc;

	if (vport >= dev->cfg.n_vports)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	c = &dev->vport[vport].cap;
	if (c->n == 0 || c->rd == c->wr) {
		rc = -EAGAIN;
	} else {
		slot = c->rd % c->n;
		memcpy(buf, c->data[slot], c->len[slot] < len ? c->len[slot] : len);
		rc = (int)c->len[slot];
		c->rd++;
	}
	pthread_mutex_unlock(&dev->lock);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Transmit and receive                                                     */
/* ------------------------------------------------------------------------ */

void
emu_port_transmit(struct emu_dev *dev, uint32_t vport, const uint8_t *frame, uint32_t len)
{
	struct emu_vport *vp = &dev->vport[vport];
	struct emu_fring *in = NULL;

	vp->st.tx_frames++;
	vp->st.tx_bytes += len;
	if (vp->cap.n)
		emu_capture_push(&vp->cap, frame, len);
	switch (vp->wire) {
	case EMU_WIRE_LOOPBACK:
		in = &vp->in;
		break;
	case EMU_WIRE_PAIR:
		in = &vp->peer_dev->vport[vp->peer_vport].in;
		break;
	case EMU_WIRE_TAP:
		if (write(vp->fd, frame, len) != (ssize_t)len)
			vp->st.tx_drop_wire++;
		return;
	case EMU_WIRE_SOCKET:
		if (vp->sock_peer[0] != '\0') {
			struct sockaddr_un pa;

			memset(&pa, 0, sizeof(pa));
			pa.sun_family = AF_UNIX;
			memcpy(pa.sun_path, vp->sock_peer, sizeof(pa.sun_path) - 1);
			if (sendto(vp->fd, frame, len, MSG_DONTWAIT, (struct sockaddr *)&pa,
				   sizeof(pa)) != (ssize_t)len)
				vp->st.tx_drop_wire++;
		} else if (send(vp->fd, frame, len, MSG_DONTWAIT) != (ssize_t)len) {
			vp->st.tx_drop_wire++;
		}
		return;
	case EMU_WIRE_VSWITCH:
		emu_vsw_transmit(dev, vport, frame, len);
		return;
	case EMU_WIRE_NONE:
	default:
		return;
	}
	if (emu_fring_push(in, frame, len, NULL, 0) < 0)
		vp->st.tx_drop_wire++;
}

#define EMU_WIRE_BUDGET	1024

int
emu_wire_poll(struct emu_dev *dev)
{
	bool removed = atomic_load(&dev->removed);
	uint32_t v, n, len;
	int work = 0;

	for (v = 0; v < dev->cfg.n_vports; v++) {
		struct emu_vport *vp = &dev->vport[v];
		bool vsw = vp->wire == EMU_WIRE_VSWITCH;
		uint8_t *f;

		for (n = 0; n < EMU_WIRE_BUDGET; n++) {
			f = emu_fring_peek(&vp->in, &len);
			if (f == NULL)
				break;
			if (vsw)
				emu_vsw_uplink_input(dev, v, f, len);
			else if (!removed)
				emu_rx_frame(dev, v, f, len);
			emu_fring_pop(&vp->in, len);
			work++;
		}
		if (vsw) {
			work += emu_vsw_poll(dev, v);
			continue;
		}
		if (vp->fd >= 0 && (vp->wire == EMU_WIRE_TAP || vp->wire == EMU_WIRE_SOCKET)) {
			for (n = 0; n < 32; n++) {
				ssize_t r = recv(vp->fd, dev->seg, EMU_MAX_FRAME, MSG_DONTWAIT);

				if (r < 0 && errno == ENOTSOCK)
					r = read(vp->fd, dev->seg, EMU_MAX_FRAME);
				if (r <= 0)
					break;
				if (!removed)
					emu_rx_frame(dev, v, dev->seg, (uint32_t)r);
				work++;
			}
		}
	}
	return work;
}

int
emu_port_inject_rx(struct emu_dev *dev, uint32_t vport, const void *frame, uint32_t len)
{
	int rc;

	if (vport >= dev->cfg.n_vports || len == 0 || len > EMU_MAX_FRAME)
		return -EINVAL;
	rc = emu_fring_push(&dev->vport[vport].in, frame, len, NULL, 0);
	if (rc == -ENOBUFS) {
		pthread_mutex_lock(&dev->lock);
		dev->vport[vport].st.rx_drop_ring_full++;
		pthread_mutex_unlock(&dev->lock);
	}
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Wiring                                                                   */
/* ------------------------------------------------------------------------ */

void
emu_wire_unwire_locked(struct emu_dev *dev, uint32_t vport)
{
	struct emu_vport *vp = &dev->vport[vport];

	if (vp->fd >= 0)
		close(vp->fd);
	vp->fd = -1;
	emu_vsw_free(vp);
	vp->sock_peer[0] = '\0';
	vp->wire = EMU_WIRE_NONE;
	vp->peer_dev = NULL;
}

int
emu_port_wire_none(struct emu_dev *dev, uint32_t vport)
{
	struct emu_dev *pd = NULL;
	uint32_t pv = 0;

	if (vport >= dev->cfg.n_vports)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	if (dev->vport[vport].wire == EMU_WIRE_PAIR) {
		pd = dev->vport[vport].peer_dev;
		pv = dev->vport[vport].peer_vport;
	}
	emu_wire_unwire_locked(dev, vport);
	pthread_mutex_unlock(&dev->lock);
	if (pd != NULL) {
		pthread_mutex_lock(&pd->lock);
		if (pd->vport[pv].wire == EMU_WIRE_PAIR && pd->vport[pv].peer_dev == dev &&
		    pd->vport[pv].peer_vport == vport)
			emu_wire_unwire_locked(pd, pv);
		pthread_mutex_unlock(&pd->lock);
	}
	return 0;
}

int
emu_port_wire_loopback(struct emu_dev *dev, uint32_t vport)
{
	int rc = emu_port_wire_none(dev, vport);

	if (rc < 0)
		return rc;
	pthread_mutex_lock(&dev->lock);
	dev->vport[vport].wire = EMU_WIRE_LOOPBACK;
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

int
emu_port_wire_pair(struct emu_dev *a, uint32_t vport_a, struct emu_dev *b, uint32_t vport_b)
{
	struct emu_dev *first = a < b ? a : b, *second = a < b ? b : a;

	if (vport_a >= a->cfg.n_vports || vport_b >= b->cfg.n_vports ||
	    (a == b && vport_a == vport_b))
		return -EINVAL;
	emu_port_wire_none(a, vport_a);
	emu_port_wire_none(b, vport_b);
	pthread_mutex_lock(&first->lock);
	if (second != first)
		pthread_mutex_lock(&second->lock);
	a->vport[vport_a].wire = EMU_WIRE_PAIR;
	a->vport[vport_a].peer_dev = b;
	a->vport[vport_a].peer_vport = vport_b;
	b->vport[vport_b].wire = EMU_WIRE_PAIR;
	b->vport[vport_b].peer_dev = a;
	b->vport[vport_b].peer_vport = vport_a;
	if (second != first)
		pthread_mutex_unlock(&second->lock);
	pthread_mutex_unlock(&first->lock);
	return 0;
}

int
emu_port_wire_fd(struct emu_dev *dev, uint32_t vport, enum emu_wire_type type, int fd)
{
	int fl;

	if (vport >= dev->cfg.n_vports || fd < 0 ||
	    (type != EMU_WIRE_TAP && type != EMU_WIRE_SOCKET))
		return -EINVAL;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	emu_port_wire_none(dev, vport);
	pthread_mutex_lock(&dev->lock);
	dev->vport[vport].wire = type;
	dev->vport[vport].fd = fd;
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

int
emu_tap_open(const char *ifname)
{
	struct ifreq ifr;
	int fd, rc;

	if (ifname == NULL || ifname[0] == '\0' || strlen(ifname) >= IFNAMSIZ)
		return -EINVAL;
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

int
emu_port_wire_tap(struct emu_dev *dev, uint32_t vport, const char *ifname)
{
	int fd, rc;

	if (vport >= dev->cfg.n_vports)
		return -EINVAL;
	fd = emu_tap_open(ifname);
	if (fd < 0)
		return fd;
	rc = emu_port_wire_fd(dev, vport, EMU_WIRE_TAP, fd);
	if (rc < 0)
		close(fd);
	return rc;
}

int
emu_port_wire_socket(struct emu_dev *dev, uint32_t vport, const char *local_path,
		     const char *peer_path)
{
	struct sockaddr_un la, pa;
	int fd, rc;

	if (vport >= dev->cfg.n_vports || local_path == NULL || peer_path == NULL ||
	    strlen(local_path) >= sizeof(la.sun_path) ||
	    strlen(peer_path) >= sizeof(pa.sun_path))
		return -EINVAL;
	memset(&la, 0, sizeof(la));
	memset(&pa, 0, sizeof(pa));
	la.sun_family = AF_UNIX;
	pa.sun_family = AF_UNIX;
	memcpy(la.sun_path, local_path, strlen(local_path));
	memcpy(pa.sun_path, peer_path, strlen(peer_path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(local_path);
	if (bind(fd, (struct sockaddr *)&la, sizeof(la)) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	/* not connected: the peer may bind later; every frame goes by sendto() */
	rc = emu_port_wire_fd(dev, vport, EMU_WIRE_SOCKET, fd);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	pthread_mutex_lock(&dev->lock);
	snprintf(dev->vport[vport].sock_peer, sizeof(dev->vport[vport].sock_peer), "%s",
		 peer_path);
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

enum emu_wire_type
emu_port_wire_type(const struct emu_dev *dev, uint32_t vport)
{
	if (vport >= dev->cfg.n_vports)
		return EMU_WIRE_NONE;
	return dev->vport[vport].wire;
}
