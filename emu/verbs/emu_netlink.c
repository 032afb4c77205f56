/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * The kernel's RDMA netlink (NETLINK_RDMA, RDMA_NL_NLDEV) as libibverbs
 * uses it to enumerate devices: the device dump, the uverbs character
 * device of each device (with the driver id libmana matches on) and the
 * system attributes. A NETLINK_RDMA socket is one end of a datagram
 * socketpair; replies are written to the other end, one message each.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <rdma/rdma_netlink.h>
#include <infiniband/ib_user_ioctl_verbs.h>

#include "emu_verbs_priv.h"

struct emu_nl {
	int fd;			/* the user's end */
	int peer;		/* the kernel's end */
	uint32_t port_id;	/* bound netlink port id */
};

struct nl_buf {
	uint8_t b[1024];
	size_t len;
};

int
emu_nl_socket(int type)
{
	struct emu_nl *nl;
	int sv[2], flags = type & (SOCK_CLOEXEC | SOCK_NONBLOCK);

	if ((type & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) != SOCK_RAW &&
	    (type & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) != SOCK_DGRAM)
		return -ESOCKTNOSUPPORT;
	nl = calloc(1, sizeof(*nl));
	if (nl == NULL)
		return -ENOMEM;
	if (socketpair(AF_UNIX, SOCK_DGRAM | flags, 0, sv) != 0) {
		int err = errno;

		free(nl);
		return -err;
	}
	nl->fd = sv[0];
	nl->peer = sv[1];
	if (emu_fd_set(nl->fd, EMU_FD_NETLINK, nl) != 0) {
		emu_real_close(sv[0]);
		emu_real_close(sv[1]);
		free(nl);
		return -EMFILE;
	}
	return nl->fd;
}

int
emu_nl_real_fd(const struct emu_nl *nl)
{
	return nl->fd;
}

int
emu_nl_bind(struct emu_nl *nl, const void *addr, unsigned int len)
{
	struct sockaddr_nl a;

	if (len < sizeof(a))
		return -EINVAL;
	memcpy(&a, addr, sizeof(a));
	if (a.nl_family != AF_NETLINK)
		return -EINVAL;
	nl->port_id = a.nl_pid != 0 ? a.nl_pid : (uint32_t)getpid();
	return 0;
}

int
emu_nl_getsockname(struct emu_nl *nl, void *addr, unsigned int *len)
{
	struct sockaddr_nl a;

	memset(&a, 0, sizeof(a));
	a.nl_family = AF_NETLINK;
	a.nl_pid = nl->port_id;
	memcpy(addr, &a, *len < sizeof(a) ? *len : sizeof(a));
	*len = sizeof(a);
	return 0;
}

void
emu_nl_close(struct emu_nl *nl)
{
	emu_fd_clear(nl->fd);
	emu_real_close(nl->fd);
	emu_real_close(nl->peer);
	free(nl);
}

/* ------------------------------------------------------------ replies -- */

static void
put_hdr(struct nl_buf *m, uint16_t type, uint16_t flags, const struct nlmsghdr *req)
{
	struct nlmsghdr h;

	memset(&h, 0, sizeof(h));
	h.nlmsg_type = type;
	h.nlmsg_flags = flags;
	h.nlmsg_seq = req->nlmsg_seq;
	h.nlmsg_pid = req->nlmsg_pid;
	memcpy(m->b, &h, sizeof(h));
	m->len = NLMSG_HDRLEN;
}

static void
put_attr(struct nl_buf *m, uint16_t type, const void *data, size_t len)
{
	struct nlattr a;

	if (m->len + NLA_ALIGN(NLA_HDRLEN + len) > sizeof(m->b))
		return;
	a.nla_len = (uint16_t)(NLA_HDRLEN + len);
	a.nla_type = type;
	memcpy(m->b + m->len, &a, sizeof(a));
	memcpy(m->b + m->len + NLA_HDRLEN, data, len);
	memset(m->b + m->len + NLA_HDRLEN + len, 0,
	       NLA_ALIGN(NLA_HDRLEN + len) - NLA_HDRLEN - len);
	m->len += NLA_ALIGN(NLA_HDRLEN + len);
}

static void
put_u8(struct nl_buf *m, uint16_t type, uint8_t v)
{
	put_attr(m, type, &v, sizeof(v));
}

static void
put_u32(struct nl_buf *m, uint16_t type, uint32_t v)
{
	put_attr(m, type, &v, sizeof(v));
}

static void
put_u64(struct nl_buf *m, uint16_t type, uint64_t v)
{
	put_attr(m, type, &v, sizeof(v));
}

static void
put_str(struct nl_buf *m, uint16_t type, const char *s)
{
	put_attr(m, type, s, strlen(s) + 1);
}

static void
emit(struct emu_nl *nl, struct nl_buf *m)
{
	uint32_t len = (uint32_t)m->len;
	ssize_t n;

	memcpy(m->b, &len, sizeof(len));	/* nlmsg_len */
	n = send(nl->peer, m->b, m->len, MSG_DONTWAIT);
	(void)n;
}

static void
reply_error(struct emu_nl *nl, const struct nlmsghdr *req, int err)
{
	struct nl_buf m;
	struct nlmsgerr e;

	put_hdr(&m, NLMSG_ERROR, 0, req);
	memset(&e, 0, sizeof(e));
	e.error = err;
	e.msg = *req;
	memcpy(m.b + m.len, &e, sizeof(e));
	m.len += NLMSG_ALIGN(sizeof(e));
	emit(nl, &m);
}

static void
reply_done(struct emu_nl *nl, const struct nlmsghdr *req)
{
	struct nl_buf m;
	int32_t zero = 0;

	put_hdr(&m, NLMSG_DONE, NLM_F_MULTI, req);
	memcpy(m.b + m.len, &zero, sizeof(zero));
	m.len += NLMSG_ALIGN(sizeof(zero));
	emit(nl, &m);
}

/* huge_encode_dev() of the kernel */
static uint64_t
huge_dev(unsigned int major, unsigned int minor)
{
	return (minor & 0xffu) | ((uint64_t)major << 8) |
	       ((uint64_t)(minor & ~0xffu) << 12);
}

static void
dev_attrs(struct nl_buf *m, const struct emu_ibdev *ib)
{
	put_u32(m, RDMA_NLDEV_ATTR_DEV_INDEX, ib->index);
	put_str(m, RDMA_NLDEV_ATTR_DEV_NAME, ib->name);
	put_u32(m, RDMA_NLDEV_ATTR_PORT_INDEX, ib->fn->n_ports);
	put_u64(m, RDMA_NLDEV_ATTR_CAP_FLAGS, 0);
	put_str(m, RDMA_NLDEV_ATTR_FW_VERSION, "1.0.0");
	put_u64(m, RDMA_NLDEV_ATTR_NODE_GUID, htobe64(0x00155dfffe000000ull | ib->index));
	put_u64(m, RDMA_NLDEV_ATTR_SYS_IMAGE_GUID,
		htobe64(0x00155dfffe000000ull | ib->index));
	put_u8(m, RDMA_NLDEV_ATTR_DEV_NODE_TYPE, 1);	/* RDMA_NODE_IB_CA */
	put_str(m, RDMA_NLDEV_ATTR_DEV_PROTOCOL, "roce");
}

/* An attribute of a request, or NULL. */
static const struct nlattr *
req_attr(const struct nlmsghdr *h, uint16_t type)
{
	const uint8_t *p = (const uint8_t *)h + NLMSG_HDRLEN;
	const uint8_t *end = (const uint8_t *)h + h->nlmsg_len;

	while (p + NLA_HDRLEN <= end) {
		const struct nlattr *a = (const void *)p;

		if (a->nla_len < NLA_HDRLEN || p + a->nla_len > end)
			return NULL;
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
		p += NLA_ALIGN(a->nla_len);
	}
	return NULL;
}

static void
nldev_get(struct emu_nl *nl, const struct nlmsghdr *h)
{
	const struct nlattr *ia = req_attr(h, RDMA_NLDEV_ATTR_DEV_INDEX);
	struct emu_ibdev *ib;
	struct nl_buf m;
	uint16_t type = RDMA_NL_GET_TYPE(RDMA_NL_NLDEV, RDMA_NLDEV_CMD_GET);

	if (!(h->nlmsg_flags & NLM_F_DUMP)) {
		uint32_t idx;

		if (ia == NULL || ia->nla_len < NLA_HDRLEN + 4) {
			reply_error(nl, h, -EINVAL);
			return;
		}
		memcpy(&idx, (const uint8_t *)ia + NLA_HDRLEN, 4);
		ib = emu_rt_ibdev(idx);
		if (ib == NULL) {
			reply_error(nl, h, -EINVAL);
			return;
		}
		put_hdr(&m, type, 0, h);
		dev_attrs(&m, ib);
		emit(nl, &m);
		return;
	}
	TAILQ_FOREACH(ib, &emu_rt.ibdevs, next) {
		if (ib->gone || ib->fn == NULL)
			continue;
		put_hdr(&m, type, NLM_F_MULTI, h);
		dev_attrs(&m, ib);
		emit(nl, &m);
	}
	reply_done(nl, h);
}

static void
nldev_get_chardev(struct emu_nl *nl, const struct nlmsghdr *h)
{
	const struct nlattr *ia = req_attr(h, RDMA_NLDEV_ATTR_DEV_INDEX);
	const struct nlattr *ta = req_attr(h, RDMA_NLDEV_ATTR_CHARDEV_TYPE);
	struct emu_ibdev *ib;
	struct nl_buf m;
	char name[32];
	uint32_t idx;

	if (ta == NULL || ia == NULL || ia->nla_len < NLA_HDRLEN + 4) {
		reply_error(nl, h, -EINVAL);
		return;
	}
	if (strncmp((const char *)ta + NLA_HDRLEN, "uverbs",
		    ta->nla_len - NLA_HDRLEN) != 0) {
		reply_error(nl, h, -EOPNOTSUPP);
		return;
	}
	memcpy(&idx, (const uint8_t *)ia + NLA_HDRLEN, 4);
	ib = emu_rt_ibdev(idx);
	if (ib == NULL) {
		reply_error(nl, h, -EINVAL);
		return;
	}
	snprintf(name, sizeof(name), "uverbs%u", ib->uverbs);
	put_hdr(&m, RDMA_NL_GET_TYPE(RDMA_NL_NLDEV, RDMA_NLDEV_CMD_GET_CHARDEV), 0, h);
	put_u64(&m, RDMA_NLDEV_ATTR_CHARDEV,
		huge_dev(EMU_UVERBS_MAJOR, EMU_UVERBS_MINOR_BASE + ib->uverbs));
	put_u64(&m, RDMA_NLDEV_ATTR_CHARDEV_ABI, EMU_MANA_ABI_VERSION);
	put_str(&m, RDMA_NLDEV_ATTR_CHARDEV_NAME, name);
	/* rdma-core without libmana finds no provider for an unknown driver */
	put_u32(&m, RDMA_NLDEV_ATTR_UVERBS_DRIVER_ID,
		emu_rt.cfg.no_libmana ? RDMA_DRIVER_UNKNOWN : RDMA_DRIVER_MANA);
	emit(nl, &m);
}

static void
nldev_sys_get(struct emu_nl *nl, const struct nlmsghdr *h)
{
	struct nl_buf m;

	put_hdr(&m, RDMA_NL_GET_TYPE(RDMA_NL_NLDEV, RDMA_NLDEV_CMD_SYS_GET), 0, h);
	put_u8(&m, RDMA_NLDEV_SYS_ATTR_NETNS_MODE, 1);	/* shared */
	put_u8(&m, RDMA_NLDEV_SYS_ATTR_COPY_ON_FORK, 1);
	emit(nl, &m);
}

ssize_t
emu_nl_send(struct emu_nl *nl, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t off = 0;

	if (emu_rt_ensure() != 0)
		return -ECONNREFUSED;
	pthread_mutex_lock(&emu_rt_lock);
	while (off + NLMSG_HDRLEN <= len) {
		struct nlmsghdr h;
		uint8_t *copy;

		memcpy(&h, p + off, sizeof(h));
		if (h.nlmsg_len < NLMSG_HDRLEN || off + h.nlmsg_len > len)
			break;
		copy = malloc(h.nlmsg_len);
		if (copy == NULL)
			break;
		memcpy(copy, p + off, h.nlmsg_len);
		if (RDMA_NL_GET_CLIENT(h.nlmsg_type) != RDMA_NL_NLDEV)
			reply_error(nl, (void *)copy, -EOPNOTSUPP);
		else if (RDMA_NL_GET_OP(h.nlmsg_type) == RDMA_NLDEV_CMD_GET)
			nldev_get(nl, (void *)copy);
		else if (RDMA_NL_GET_OP(h.nlmsg_type) == RDMA_NLDEV_CMD_GET_CHARDEV)
			nldev_get_chardev(nl, (void *)copy);
		else if (RDMA_NL_GET_OP(h.nlmsg_type) == RDMA_NLDEV_CMD_SYS_GET)
			nldev_sys_get(nl, (void *)copy);
		else
			reply_error(nl, (void *)copy, -EOPNOTSUPP);
		free(copy);
		off += NLMSG_ALIGN(h.nlmsg_len);
	}
	pthread_mutex_unlock(&emu_rt_lock);
	return (ssize_t)len;
}
