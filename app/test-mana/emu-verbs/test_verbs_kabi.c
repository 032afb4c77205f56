/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * The emulated kernel interface below rdma-core, used directly: the uverbs
 * character device (fstat, write() headers, ioctl, mmap), the event files
 * (poll, epoll, one event per read, sizes, non-blocking) and NETLINK_RDMA,
 * checked against the kernel's uAPI (rdma/ib_user_verbs.h, rdma_netlink.h).
 */

#include <fcntl.h>
#include <limits.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/netlink.h>
#include <rdma/ib_user_verbs.h>
#include <rdma/rdma_netlink.h>
#include <rdma/rdma_user_ioctl_cmds.h>

#include "ev_common.h"

#define KABI_OPTS "mode=step,ports=2,wire=loopback,ctl=off"

/* One raw write() of a command; returns 0 or errno. */
static int
cmd_write(int fd, const void *buf, size_t len)
{
	return write(fd, buf, len) == (ssize_t)len ? 0 : errno;
}

static int
test_cmd_fd_abi(void)
{
	struct ibv_context *ctx;
	char path[PATH_MAX], dev[32];
	unsigned int maj = 0, min = 0;
	struct ib_uverbs_ioctl_hdr ih;
	struct stat st;
	uint32_t words[16];
	volatile uint64_t *db;
	void *p;

	MTEST_ASSERT_EQ(ev.init(KABI_OPTS), 0);
	ctx = ev_open(0);
	MTEST_ASSERT(ctx != NULL, "errno %d", errno);

	/* a character device whose number sysfs and the device node agree on */
	MTEST_ASSERT_EQ(fstat(ctx->cmd_fd, &st), 0);
	MTEST_ASSERT(S_ISCHR(st.st_mode), "mode %o", st.st_mode);
	snprintf(path, sizeof(path), "%s/dev", ctx->device->dev_path);
	MTEST_ASSERT(ev_read_file(path, dev, sizeof(dev)) > 0, "%s", path);
	MTEST_ASSERT_EQ(sscanf(dev, "%u:%u", &maj, &min), 2);
	MTEST_ASSERT(st.st_rdev == makedev(maj, min), "rdev %u:%u, sysfs %s",
		     major(st.st_rdev), minor(st.st_rdev), dev);
	MTEST_ASSERT_EQ(maj, 231);
	snprintf(path, sizeof(path), "/dev/infiniband/%s", ctx->device->dev_name);
	MTEST_ASSERT_EQ(stat(path, &st), 0);
	MTEST_ASSERT(S_ISCHR(st.st_mode) && st.st_rdev == makedev(maj, min), "%s", path);

	/* the uverbs file has no read(); write() wants well-formed headers */
	MTEST_ASSERT(read(ctx->cmd_fd, words, sizeof(words)) < 0 && errno == EINVAL,
		     "read: errno %d", errno);
	MTEST_ASSERT_EQ(cmd_write(ctx->cmd_fd, words, 4), EINVAL);
	memset(words, 0, sizeof(words));
	words[0] = IB_USER_VERBS_CMD_QUERY_DEVICE;
	words[1] = 3;			/* in_words: not the 16 bytes written */
	MTEST_ASSERT_EQ(cmd_write(ctx->cmd_fd, words, 16), EINVAL);
	words[0] = IB_USER_VERBS_CMD_CREATE_AH;	/* mana_ib has none */
	words[1] = 4;
	MTEST_ASSERT_EQ(cmd_write(ctx->cmd_fd, words, 16), EOPNOTSUPP);
	words[0] = IB_USER_VERBS_CMD_QUERY_DEVICE | 0x100;	/* reserved bits */
	MTEST_ASSERT_EQ(cmd_write(ctx->cmd_fd, words, 16), EINVAL);
	words[0] = IB_USER_VERBS_CMD_GET_CONTEXT;	/* one ucontext per file */
	words[1] = 4;
	words[2] = (uint32_t)(uintptr_t)&words[8];
	words[3] = (uint32_t)((uintptr_t)&words[8] >> 32);
	words[1] |= 2u << 16;		/* out_words */
	MTEST_ASSERT_EQ(cmd_write(ctx->cmd_fd, words, 16), EINVAL);

	/* ioctl: the framework answers, no method exists; other requests: ENOTTY */
	memset(&ih, 0, sizeof(ih));
	ih.length = sizeof(ih);
	ih.object_id = 0;
	MTEST_ASSERT(ioctl(ctx->cmd_fd, RDMA_VERBS_IOCTL, &ih) < 0 &&
		     errno == EPROTONOSUPPORT, "errno %d", errno);
	MTEST_ASSERT(ioctl(ctx->cmd_fd, 0x5401, &ih) < 0 && errno == ENOTTY,
		     "errno %d", errno);

	/* mmap: page offset 0, one page, shared */
	p = mmap(NULL, 4096, PROT_WRITE, MAP_SHARED, ctx->cmd_fd, 4096);
	MTEST_ASSERT(p == MAP_FAILED && errno == EINVAL, "offset 4096 mapped");
	p = mmap(NULL, 8192, PROT_WRITE, MAP_SHARED, ctx->cmd_fd, 0);
	MTEST_ASSERT(p == MAP_FAILED && errno == EINVAL, "two pages mapped");
	p = mmap(NULL, 4096, PROT_WRITE, MAP_SHARED, ctx->cmd_fd, 0);
	MTEST_ASSERT(p != MAP_FAILED, "errno %d", errno);
	/* the device sees every store: a queue that is not on the page, a
	 * 32-bit store to a short slot
	 */
	db = p;
	db[0] = 0x12345ull | (32ull << 32);
	*(volatile uint32_t *)((char *)p + 0x10) = 0x10000020;
	ev.step();
	MTEST_ASSERT_EQ(ev.violation_count(), 2);
	{
		char text[2048];

		ev.violations_text(text, sizeof(text));
		MTEST_ASSERT(strstr(text, "db_unknown_queue") != NULL &&
			     strstr(text, "db_short_or_client") != NULL, "%s", text);
	}
	MTEST_ASSERT_EQ(munmap(p, 4096), 0);
	MTEST_ASSERT_EQ(ibv_close_device(ctx), 0);
	ev.init(KABI_OPTS);	/* forget the violations */
	return MTEST_SUCCESS;
}

static int
test_event_files(void)
{
	struct epoll_event ee = { .events = EPOLLIN }, got;
	struct ib_uverbs_comp_event_desc ce;
	struct ibv_context *ctx;
	struct ibv_comp_channel *ch;
	struct ibv_cq *cq;
	uint8_t frame[128], mac[6], small[4];
	struct ev_port p;
	unsigned int i;
	int ep, fl;

	MTEST_ASSERT_EQ(ev.init(KABI_OPTS), 0);
	ctx = ev_open(0);
	MTEST_ASSERT(ctx != NULL, "errno %d", errno);

	/* the async file: nothing yet */
	fl = fcntl(ctx->async_fd, F_GETFL);
	MTEST_ASSERT_EQ(fcntl(ctx->async_fd, F_SETFL, fl | O_NONBLOCK), 0);
	MTEST_ASSERT(read(ctx->async_fd, frame, sizeof(frame)) < 0 && errno == EAGAIN,
		     "errno %d", errno);

	MTEST_ASSERT_EQ(ev_port_setup(&p, ctx, 1, 64, true), 0);
	ch = p.chan;
	cq = p.rx_cq;
	ep = epoll_create1(EPOLL_CLOEXEC);
	MTEST_ASSERT(ep >= 0, "epoll");
	MTEST_ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, ch->fd, &ee), 0);
	MTEST_ASSERT_EQ(epoll_wait(ep, &got, 1, 0), 0);
	MTEST_ASSERT_EQ(ev.mac(0, 0, mac), 0);
	ev_post_rx(&p, 8);
	gdma_ring_doorbell(p.drwq.db_page, 0x800,
			   gdma_db_cq_value(p.drx.cq_id, p.rx_cq_head, p.drx.count, 1));
	ev_frame(frame, sizeof(frame), mac, mac, 3);
	MTEST_ASSERT_EQ(ev.inject_rx(0, 0, frame, sizeof(frame)), 0);
	for (i = 0; i < 10; i++)
		ev.step();
	/* readable for epoll; a buffer smaller than an event: EINVAL, kept */
	MTEST_ASSERT_EQ(epoll_wait(ep, &got, 1, 0), 1);
	MTEST_ASSERT(read(ch->fd, small, sizeof(small)) < 0 && errno == EINVAL,
		     "errno %d", errno);
	MTEST_ASSERT_EQ(epoll_wait(ep, &got, 1, 0), 1);
	/* one event per read, carrying the CQ's user handle */
	MTEST_ASSERT_EQ(read(ch->fd, frame, 64), (ssize_t)sizeof(ce));
	memcpy(&ce, frame, sizeof(ce));
	MTEST_ASSERT(ce.cq_handle == (uintptr_t)cq, "cq_handle %#llx",
		     (unsigned long long)ce.cq_handle);
	MTEST_ASSERT_EQ(epoll_wait(ep, &got, 1, 0), 0);
	fl = fcntl(ch->fd, F_GETFL);
	MTEST_ASSERT_EQ(fcntl(ch->fd, F_SETFL, fl | O_NONBLOCK), 0);
	MTEST_ASSERT(read(ch->fd, &ce, sizeof(ce)) < 0 && errno == EAGAIN, "errno %d", errno);
	/* read past libibverbs: acknowledge it, as after ibv_get_cq_event */
	ibv_ack_cq_events(cq, 1);

	/* an event left unread when its CQ goes is dropped, not waited for */
	gdma_ring_doorbell(p.drwq.db_page, 0x800,
			   gdma_db_cq_value(p.drx.cq_id, p.rx_cq_head, p.drx.count, 1));
	MTEST_ASSERT_EQ(ev.inject_rx(0, 0, frame, sizeof(frame)), 0);
	for (i = 0; i < 10; i++)
		ev.step();
	MTEST_ASSERT_EQ(epoll_wait(ep, &got, 1, 0), 1);
	close(ep);
	MTEST_ASSERT_EQ(ev_port_teardown(&p), 0);
	MTEST_ASSERT_EQ(ibv_close_device(ctx), 0);
	return MTEST_SUCCESS;
}

/* Send one NETLINK_RDMA request, return the first reply's length. */
static int
nl_ask(int fd, uint16_t op, uint16_t flags, const void *attrs, size_t alen,
       uint8_t *reply, size_t rlen)
{
	struct {
		struct nlmsghdr h;
		uint8_t a[64];
	} req;
	ssize_t n;

	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = (uint32_t)(NLMSG_HDRLEN + alen);
	req.h.nlmsg_type = RDMA_NL_GET_TYPE(RDMA_NL_NLDEV, op);
	req.h.nlmsg_flags = NLM_F_REQUEST | flags;
	req.h.nlmsg_seq = 7;
	memcpy(req.a, attrs, alen);
	if (send(fd, &req, req.h.nlmsg_len, 0) != (ssize_t)req.h.nlmsg_len)
		return -1;
	n = recv(fd, reply, rlen, 0);
	return (int)n;
}

/* The u32/string attribute @p type of one reply message. */
static const struct nlattr *
nl_attr(const uint8_t *msg, int len, uint16_t type)
{
	int off = NLMSG_HDRLEN;

	while (off + NLA_HDRLEN <= len) {
		const struct nlattr *a = (const void *)(msg + off);

		if (a->nla_len < NLA_HDRLEN)
			return NULL;
		if (a->nla_type == type)
			return a;
		off += NLA_ALIGN(a->nla_len);
	}
	return NULL;
}

static int
test_netlink_rdma(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	const struct nlattr *a;
	uint8_t reply[4096];
	struct {
		struct nlattr a1;
		uint32_t idx;
		struct nlattr a2;
		char type[8];
	} chr;
	socklen_t sl = sizeof(sa);
	uint32_t idx = 0, drv = 0;
	int fd, n;

	MTEST_ASSERT_EQ(ev.init(KABI_OPTS), 0);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_RDMA);
	MTEST_ASSERT(fd >= 0, "socket: errno %d", errno);
	MTEST_ASSERT_EQ(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	MTEST_ASSERT_EQ(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	MTEST_ASSERT(sl == sizeof(sa) && sa.nl_family == AF_NETLINK && sa.nl_pid != 0,
		     "sockname");

	/* the device dump: one message per device, then DONE */
	n = nl_ask(fd, RDMA_NLDEV_CMD_GET, NLM_F_DUMP, NULL, 0, reply, sizeof(reply));
	MTEST_ASSERT(n > NLMSG_HDRLEN, "dump: %d", n);
	MTEST_ASSERT(((struct nlmsghdr *)reply)->nlmsg_flags & NLM_F_MULTI, "not multi");
	MTEST_ASSERT_EQ(((struct nlmsghdr *)reply)->nlmsg_seq, 7);
	a = nl_attr(reply, n, RDMA_NLDEV_ATTR_DEV_NAME);
	MTEST_ASSERT(a != NULL && !strcmp((const char *)a + NLA_HDRLEN, ev.ibdev_name(0)),
		     "name");
	a = nl_attr(reply, n, RDMA_NLDEV_ATTR_DEV_INDEX);
	MTEST_ASSERT(a != NULL, "index");
	memcpy(&idx, (const uint8_t *)a + NLA_HDRLEN, 4);
	a = nl_attr(reply, n, RDMA_NLDEV_ATTR_PORT_INDEX);
	MTEST_ASSERT(a != NULL && *(const uint32_t *)((const uint8_t *)a + NLA_HDRLEN) == 2,
		     "ports");
	n = (int)recv(fd, reply, sizeof(reply), 0);
	MTEST_ASSERT(n >= NLMSG_HDRLEN && ((struct nlmsghdr *)reply)->nlmsg_type == NLMSG_DONE,
		     "no DONE");

	/* the uverbs character device, with mana_ib's driver id */
	memset(&chr, 0, sizeof(chr));
	chr.a1.nla_len = NLA_HDRLEN + 4;
	chr.a1.nla_type = RDMA_NLDEV_ATTR_DEV_INDEX;
	chr.idx = idx;
	chr.a2.nla_len = NLA_HDRLEN + 7;
	chr.a2.nla_type = RDMA_NLDEV_ATTR_CHARDEV_TYPE;
	memcpy(chr.type, "uverbs", 7);
	n = nl_ask(fd, RDMA_NLDEV_CMD_GET_CHARDEV, 0, &chr, sizeof(chr), reply, sizeof(reply));
	MTEST_ASSERT(n > NLMSG_HDRLEN, "chardev: %d", n);
	a = nl_attr(reply, n, RDMA_NLDEV_ATTR_UVERBS_DRIVER_ID);
	MTEST_ASSERT(a != NULL, "no driver id");
	memcpy(&drv, (const uint8_t *)a + NLA_HDRLEN, 4);
	MTEST_ASSERT_EQ(drv, RDMA_DRIVER_MANA);
	a = nl_attr(reply, n, RDMA_NLDEV_ATTR_CHARDEV_NAME);
	MTEST_ASSERT(a != NULL && !strncmp((const char *)a + NLA_HDRLEN, "uverbs", 6), "name");

	/* an unknown device, an unknown command: errors */
	chr.idx = idx + 1000;
	n = nl_ask(fd, RDMA_NLDEV_CMD_GET_CHARDEV, 0, &chr, sizeof(chr), reply, sizeof(reply));
	MTEST_ASSERT(n > 0 && ((struct nlmsghdr *)reply)->nlmsg_type == NLMSG_ERROR &&
		     ((struct nlmsgerr *)NLMSG_DATA(reply))->error == -EINVAL, "unknown index");
	n = nl_ask(fd, RDMA_NLDEV_CMD_RES_GET, 0, NULL, 0, reply, sizeof(reply));
	MTEST_ASSERT(n > 0 && ((struct nlmsghdr *)reply)->nlmsg_type == NLMSG_ERROR &&
		     ((struct nlmsgerr *)NLMSG_DATA(reply))->error == -EOPNOTSUPP, "res_get");
	MTEST_ASSERT_EQ(close(fd), 0);
	return MTEST_SUCCESS;
}

static const struct mtest_case cases[] = {
	{ "cmd_fd_abi", test_cmd_fd_abi },
	{ "event_files", test_event_files },
	{ "netlink_rdma", test_netlink_rdma },
};

int
main(int argc, char **argv)
{
	int ret;

	if (ev_load_api() != 0)
		return 1;
	ret = mtest_run("emu-verbs-kabi", cases, MTEST_N(cases), argc, argv);
	ev.fini();
	return ret;
}
