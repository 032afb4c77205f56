/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * The system-call boundary of the emulated kernel: libc's open, stat,
 * close, read, write, ioctl, mmap/munmap and the socket calls, interposed
 * (LD_PRELOAD) for the emulated descriptors only — /dev/infiniband/uverbsN,
 * its event files and NETLINK_RDMA sockets — and passed straight through
 * for every other descriptor and path. Also the user mappings of doorbell
 * pages.
 */

/* the libc symbols by their own names: no large-file redirection here */
#undef _FILE_OFFSET_BITS

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <linux/netlink.h>

#include "emu_dbtrap.h"
#include "emu_verbs_priv.h"

#define CDEV_PREFIX	"/dev/infiniband/uverbs"
#define EMU_MAX_FDS	65536

/* ------------------------------------------------------ real functions -- */

int (*emu_real_close)(int fd);
ssize_t (*emu_real_read)(int fd, void *buf, size_t n);
ssize_t (*emu_real_write)(int fd, const void *buf, size_t n);
void *(*emu_real_mmap)(void *addr, size_t len, int prot, int flags, int fd,
		       off_t off);
int (*emu_real_munmap)(void *addr, size_t len);
int (*emu_real_socket)(int domain, int type, int protocol);

/* glibc's fortified and compatibility entry points, not in its headers */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);
int __xstat(int ver, const char *path, struct stat *st);
int __lxstat(int ver, const char *path, struct stat *st);
int __fxstat(int ver, int fd, struct stat *st);

static int (*real_open)(const char *path, int flags, ...);
static int (*real_openat)(int dirfd, const char *path, int flags, ...);
static int (*real_ioctl)(int fd, unsigned long req, ...);
static int (*real_stat)(const char *path, struct stat *st);
static int (*real_lstat)(const char *path, struct stat *st);
static int (*real_fstat)(int fd, struct stat *st);
static int (*real_fstatat)(int dirfd, const char *path, struct stat *st, int flags);
static int (*real_xstat)(int ver, const char *path, struct stat *st);
static int (*real_lxstat)(int ver, const char *path, struct stat *st);
static int (*real_fxstat)(int ver, int fd, struct stat *st);
static int (*real_fxstatat)(int ver, int dirfd, const char *path, struct stat *st, int flags);
static int (*real_bind)(int fd, const struct sockaddr *a, socklen_t len);
static int (*real_getsockname)(int fd, struct sockaddr *a, socklen_t *len);
static int (*real_setsockopt)(int fd, int level, int name, const void *v, socklen_t len);
static int (*real_getsockopt)(int fd, int level, int name, void *v, socklen_t *len);
static ssize_t (*real_sendmsg)(int fd, const struct msghdr *m, int flags);
static ssize_t (*real_sendto)(int fd, const void *buf, size_t n, int flags,
			      const struct sockaddr *a, socklen_t len);
static ssize_t (*real_send)(int fd, const void *buf, size_t n, int flags);
static ssize_t (*real_recvmsg)(int fd, struct msghdr *m, int flags);
static ssize_t (*real_recvfrom)(int fd, void *buf, size_t n, int flags,
				struct sockaddr *a, socklen_t *len);
static ssize_t (*real_recv)(int fd, void *buf, size_t n, int flags);

#define RESOLVE(var, name) do { \
	if ((var) == NULL) \
		*(void **)&(var) = dlsym(RTLD_NEXT, name); \
} while (0)

void
emu_shim_init(void)
{
	RESOLVE(emu_real_close, "close");
	RESOLVE(emu_real_read, "read");
	RESOLVE(emu_real_write, "write");
	RESOLVE(emu_real_mmap, "mmap");
	RESOLVE(emu_real_munmap, "munmap");
	RESOLVE(emu_real_socket, "socket");
	RESOLVE(real_open, "open");
	RESOLVE(real_openat, "openat");
	RESOLVE(real_ioctl, "ioctl");
	RESOLVE(real_stat, "stat");
	RESOLVE(real_lstat, "lstat");
	RESOLVE(real_fstat, "fstat");
	RESOLVE(real_fstatat, "fstatat");
	RESOLVE(real_xstat, "__xstat");
	RESOLVE(real_lxstat, "__lxstat");
	RESOLVE(real_fxstat, "__fxstat");
	RESOLVE(real_fxstatat, "__fxstatat");
	RESOLVE(real_bind, "bind");
	RESOLVE(real_getsockname, "getsockname");
	RESOLVE(real_setsockopt, "setsockopt");
	RESOLVE(real_getsockopt, "getsockopt");
	RESOLVE(real_sendmsg, "sendmsg");
	RESOLVE(real_sendto, "sendto");
	RESOLVE(real_send, "send");
	RESOLVE(real_recvmsg, "recvmsg");
	RESOLVE(real_recvfrom, "recvfrom");
	RESOLVE(real_recv, "recv");
}

__attribute__((constructor(101))) static void
shim_ctor(void)
{
	emu_shim_init();
}

/* ---------------------------------------------------------- fd table -- */

static uint8_t fd_kind[EMU_MAX_FDS];
static void *fd_obj[EMU_MAX_FDS];

int
emu_fd_set(int fd, enum emu_fd_kind kind, void *obj)
{
	if (fd < 0 || fd >= EMU_MAX_FDS)
		return -EMFILE;
	__atomic_store_n(&fd_obj[fd], obj, __ATOMIC_RELAXED);
	__atomic_store_n(&fd_kind[fd], (uint8_t)kind, __ATOMIC_RELEASE);
	return 0;
}

void
emu_fd_clear(int fd)
{
	if (fd >= 0 && fd < EMU_MAX_FDS)
		__atomic_store_n(&fd_kind[fd], EMU_FD_NONE, __ATOMIC_RELEASE);
}

static inline enum emu_fd_kind
fd_get(int fd, void **obj)
{
	enum emu_fd_kind k;

	if ((unsigned int)fd >= EMU_MAX_FDS)
		return EMU_FD_NONE;
	k = (enum emu_fd_kind)__atomic_load_n(&fd_kind[fd], __ATOMIC_ACQUIRE);
	if (k != EMU_FD_NONE)
		*obj = __atomic_load_n(&fd_obj[fd], __ATOMIC_RELAXED);
	return k;
}

struct emu_evq *
emu_shim_event_file(int fd)
{
	void *obj = NULL;

	return fd_get(fd, &obj) == EMU_FD_EVENT ? obj : NULL;
}

static long
fail(int err)
{
	errno = err;
	return -1;
}

/* ------------------------------------------------- the character device -- */

/* N of "/dev/infiniband/uverbsN", or -1 for any other path. */
static int
cdev_index(const char *path)
{
	unsigned long n;
	char *end;

	if (path == NULL || strncmp(path, CDEV_PREFIX, sizeof(CDEV_PREFIX) - 1) != 0)
		return -1;
	path += sizeof(CDEV_PREFIX) - 1;
	if (*path < '0' || *path > '9')
		return -1;
	n = strtoul(path, &end, 10);
	if (*end != '\0' || n > 63)
		return -1;
	return (int)n;
}

static void
cdev_stat(unsigned int index, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = makedev(0, 5);		/* devtmpfs */
	st->st_ino = 1000 + index;
	st->st_mode = S_IFCHR | 0666;
	st->st_nlink = 1;
	st->st_rdev = makedev(EMU_UVERBS_MAJOR, EMU_UVERBS_MINOR_BASE + index);
	st->st_blksize = 4096;
	clock_gettime(CLOCK_REALTIME, &st->st_mtim);
	st->st_atim = st->st_ctim = st->st_mtim;
}

/* stat() of the device node: it exists while its IB device is registered. */
static int
cdev_path_stat(int index, struct stat *st)
{
	bool present;

	if (emu_rt_ensure() != 0)
		return (int)fail(ENOENT);
	pthread_mutex_lock(&emu_rt_lock);
	present = emu_rt_uverbs((unsigned int)index) != NULL;
	pthread_mutex_unlock(&emu_rt_lock);
	if (!present)
		return (int)fail(ENOENT);
	cdev_stat((unsigned int)index, st);
	return 0;
}

static int
fd_stat(int fd, struct stat *st, bool *done)
{
	void *obj = NULL;
	struct emu_uctx *ctx;

	*done = false;
	if (fd_get(fd, &obj) != EMU_FD_CMD)
		return 0;
	ctx = obj;
	*done = true;
	cdev_stat(ctx->ib->uverbs, st);
	return 0;
}

static int
cdev_open(int index, int flags)
{
	int fd = emu_uverbs_open((unsigned int)index, flags);

	return fd >= 0 ? fd : (int)fail(-fd);
}

#define OPEN_MODE(flags, mode) do { \
	if ((flags) & (O_CREAT | O_TMPFILE)) { \
		va_list ap_; \
		va_start(ap_, flags); \
		mode = va_arg(ap_, mode_t); \
		va_end(ap_); \
	} \
} while (0)

EMU_EXPORT int
open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	int idx = cdev_index(path);

	OPEN_MODE(flags, mode);
	if (idx >= 0)
		return cdev_open(idx, flags);
	emu_shim_init();
	return real_open(path, flags, mode);
}

EMU_EXPORT int
open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	int idx = cdev_index(path);

	OPEN_MODE(flags, mode);
	if (idx >= 0)
		return cdev_open(idx, flags);
	emu_shim_init();
	return real_open(path, flags | O_LARGEFILE, mode);
}

EMU_EXPORT int
__open_2(const char *path, int flags)
{
	return open(path, flags);
}

EMU_EXPORT int
__open64_2(const char *path, int flags)
{
	return open64(path, flags);
}

EMU_EXPORT int
openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	int idx = cdev_index(path);

	OPEN_MODE(flags, mode);
	if (idx >= 0)
		return cdev_open(idx, flags);
	emu_shim_init();
	return real_openat(dirfd, path, flags, mode);
}

EMU_EXPORT int
openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	int idx = cdev_index(path);

	OPEN_MODE(flags, mode);
	if (idx >= 0)
		return cdev_open(idx, flags);
	emu_shim_init();
	return real_openat(dirfd, path, flags | O_LARGEFILE, mode);
}

EMU_EXPORT int
__openat_2(int dirfd, const char *path, int flags)
{
	return openat(dirfd, path, flags);
}

EMU_EXPORT int
__openat64_2(int dirfd, const char *path, int flags)
{
	return openat64(dirfd, path, flags);
}

/* ----------------------------------------------------------- stat family -- */

EMU_EXPORT int
stat(const char *path, struct stat *st)
{
	int idx = cdev_index(path);

	if (idx >= 0)
		return cdev_path_stat(idx, st);
	emu_shim_init();
	return real_stat != NULL ? real_stat(path, st) : real_xstat(1, path, st);
}

EMU_EXPORT int stat64_impl(const char *path, struct stat64 *st) __asm__("stat64");
int
stat64_impl(const char *path, struct stat64 *st)
{
	return stat(path, (struct stat *)st);
}

EMU_EXPORT int
lstat(const char *path, struct stat *st)
{
	int idx = cdev_index(path);

	if (idx >= 0)
		return cdev_path_stat(idx, st);
	emu_shim_init();
	return real_lstat != NULL ? real_lstat(path, st) : real_lxstat(1, path, st);
}

EMU_EXPORT int lstat64_impl(const char *path, struct stat64 *st) __asm__("lstat64");
int
lstat64_impl(const char *path, struct stat64 *st)
{
	return lstat(path, (struct stat *)st);
}

EMU_EXPORT int
fstat(int fd, struct stat *st)
{
	bool done;
	int ret = fd_stat(fd, st, &done);

	if (done)
		return ret;
	emu_shim_init();
	return real_fstat != NULL ? real_fstat(fd, st) : real_fxstat(1, fd, st);
}

EMU_EXPORT int fstat64_impl(int fd, struct stat64 *st) __asm__("fstat64");
int
fstat64_impl(int fd, struct stat64 *st)
{
	return fstat(fd, (struct stat *)st);
}

EMU_EXPORT int
fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	int idx = cdev_index(path);
	bool done;
	int ret;

	if (idx >= 0)
		return cdev_path_stat(idx, st);
	if ((flags & AT_EMPTY_PATH) && path[0] == '\0') {
		ret = fd_stat(dirfd, st, &done);
		if (done)
			return ret;
	}
	emu_shim_init();
	return real_fstatat != NULL ? real_fstatat(dirfd, path, st, flags) :
	       real_fxstatat(1, dirfd, path, st, flags);
}

EMU_EXPORT int fstatat64_impl(int dirfd, const char *path, struct stat64 *st, int flags)
	__asm__("fstatat64");
int
fstatat64_impl(int dirfd, const char *path, struct stat64 *st, int flags)
{
	return fstatat(dirfd, path, (struct stat *)st, flags);
}

EMU_EXPORT int
__xstat(int ver, const char *path, struct stat *st)
{
	int idx = cdev_index(path);

	if (idx >= 0)
		return cdev_path_stat(idx, st);
	emu_shim_init();
	return real_xstat(ver, path, st);
}

EMU_EXPORT int xstat64_impl(int ver, const char *path, struct stat64 *st) __asm__("__xstat64");
int
xstat64_impl(int ver, const char *path, struct stat64 *st)
{
	return __xstat(ver, path, (struct stat *)st);
}

EMU_EXPORT int
__lxstat(int ver, const char *path, struct stat *st)
{
	int idx = cdev_index(path);

	if (idx >= 0)
		return cdev_path_stat(idx, st);
	emu_shim_init();
	return real_lxstat(ver, path, st);
}

EMU_EXPORT int lxstat64_impl(int ver, const char *path, struct stat64 *st) __asm__("__lxstat64");
int
lxstat64_impl(int ver, const char *path, struct stat64 *st)
{
	return __lxstat(ver, path, (struct stat *)st);
}

EMU_EXPORT int
__fxstat(int ver, int fd, struct stat *st)
{
	bool done;
	int ret = fd_stat(fd, st, &done);

	if (done)
		return ret;
	emu_shim_init();
	return real_fxstat(ver, fd, st);
}

EMU_EXPORT int fxstat64_impl(int ver, int fd, struct stat64 *st) __asm__("__fxstat64");
int
fxstat64_impl(int ver, int fd, struct stat64 *st)
{
	return __fxstat(ver, fd, (struct stat *)st);
}

/* ------------------------------------------------------ fd operations -- */

EMU_EXPORT int
close(int fd)
{
	void *obj = NULL;
	enum emu_fd_kind k = fd_get(fd, &obj);
	int ret;

	emu_shim_init();
	if (k == EMU_FD_NONE)
		return emu_real_close(fd);
	emu_fd_clear(fd);
	switch (k) {
	case EMU_FD_CMD:
		ret = emu_real_close(fd);
		emu_uverbs_release(obj);
		return ret;
	case EMU_FD_EVENT:
		ret = emu_real_close(fd);
		emu_evq_put(obj, true);
		return ret;
	case EMU_FD_NETLINK:
		emu_nl_close(obj);
		return 0;
	default:
		return emu_real_close(fd);
	}
}

EMU_EXPORT ssize_t
read(int fd, void *buf, size_t n)
{
	void *obj = NULL;
	ssize_t r;

	switch (fd_get(fd, &obj)) {
	case EMU_FD_EVENT:
		r = emu_evq_read(obj, buf, n);
		return r >= 0 ? r : fail((int)-r);
	case EMU_FD_CMD:
		return fail(EINVAL);	/* the uverbs file has no read */
	default:
		emu_shim_init();
		return emu_real_read(fd, buf, n);
	}
}

EMU_EXPORT ssize_t
write(int fd, const void *buf, size_t n)
{
	void *obj = NULL;
	ssize_t r;

	switch (fd_get(fd, &obj)) {
	case EMU_FD_CMD:
		r = emu_uverbs_write(obj, buf, n);
		return r >= 0 ? r : fail((int)-r);
	case EMU_FD_EVENT:
		return fail(EINVAL);
	default:
		emu_shim_init();
		return emu_real_write(fd, buf, n);
	}
}

EMU_EXPORT int
ioctl(int fd, unsigned long req, ...)
{
	void *obj = NULL, *arg;
	enum emu_fd_kind k;
	va_list ap;
	int r;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	k = fd_get(fd, &obj);
	if (k == EMU_FD_CMD) {
		r = emu_uverbs_ioctl(obj, req, arg);
		return r == 0 ? 0 : (int)fail(-r);
	}
	if (k == EMU_FD_EVENT)
		return (int)fail(ENOTTY);
	emu_shim_init();
	return real_ioctl(fd, req, arg);
}

uint64_t
emu_fd_ino(int fd)
{
	struct stat st;

	emu_shim_init();
	if (real_fstat != NULL ? real_fstat(fd, &st) : real_fxstat(1, fd, &st))
		return 0;
	return (uint64_t)st.st_ino;
}

static void *foreign_db_map(int fd, void *addr, int flags);

EMU_EXPORT void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *obj = NULL, *p;

	if (fd_get(fd, &obj) == EMU_FD_CMD)
		return emu_uverbs_mmap(obj, addr, len, prot, flags, off);
	emu_shim_init();
	/* another process's uverbs fd, passed to us: its doorbell page */
	if (fd >= 0 && off == 0 && len == EMU_DB_PAGE_SIZE && (flags & MAP_SHARED)) {
		p = foreign_db_map(fd, addr, flags);
		if (p != NULL)
			return p;
	}
	return emu_real_mmap(addr, len, prot, flags, fd, off);
}

EMU_EXPORT void *
mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
	__attribute__((alias("mmap")));

EMU_EXPORT int
munmap(void *addr, size_t len)
{
	emu_shim_init();
	if (emu_db_unmap(addr, len))
		return 0;
	return emu_real_munmap(addr, len);
}

/* ------------------------------------------------------------ sockets -- */

EMU_EXPORT int
socket(int domain, int type, int protocol)
{
	emu_shim_init();
	/*
	 * NETLINK_RDMA is the emulated kernel's: libmana matches its device
	 * only by the driver id netlink reports. The machine's own RDMA
	 * devices, if any, stay hidden from this process.
	 */
	if (domain == AF_NETLINK && protocol == NETLINK_RDMA) {
		int fd = emu_nl_socket(type);

		return fd >= 0 ? fd : (int)fail(-fd);
	}
	return emu_real_socket(domain, type, protocol);
}

EMU_EXPORT int
bind(int fd, const struct sockaddr *a, socklen_t len)
{
	void *obj = NULL;
	int r;

	if (fd_get(fd, &obj) == EMU_FD_NETLINK) {
		r = emu_nl_bind(obj, a, len);
		return r == 0 ? 0 : (int)fail(-r);
	}
	emu_shim_init();
	return real_bind(fd, a, len);
}

EMU_EXPORT int
getsockname(int fd, struct sockaddr *a, socklen_t *len)
{
	void *obj = NULL;
	int r;

	if (fd_get(fd, &obj) == EMU_FD_NETLINK) {
		r = emu_nl_getsockname(obj, a, len);
		return r == 0 ? 0 : (int)fail(-r);
	}
	emu_shim_init();
	return real_getsockname(fd, a, len);
}

EMU_EXPORT int
setsockopt(int fd, int level, int name, const void *v, socklen_t len)
{
	void *obj = NULL;

	emu_shim_init();
	if (fd_get(fd, &obj) == EMU_FD_NETLINK) {
		/* netlink-level options (ext ack, strict checking) are taken */
		if (level == SOL_NETLINK)
			return 0;
		return real_setsockopt(emu_nl_real_fd(obj), level, name, v, len);
	}
	return real_setsockopt(fd, level, name, v, len);
}

EMU_EXPORT int
getsockopt(int fd, int level, int name, void *v, socklen_t *len)
{
	void *obj = NULL;

	emu_shim_init();
	if (fd_get(fd, &obj) == EMU_FD_NETLINK) {
		if (level == SOL_NETLINK) {
			if (len != NULL && *len >= sizeof(int))
				memset(v, 0, sizeof(int));
			return 0;
		}
		return real_getsockopt(emu_nl_real_fd(obj), level, name, v, len);
	}
	return real_getsockopt(fd, level, name, v, len);
}

/* Gather an iovec into one buffer and hand it to the emulated kernel. */
static ssize_t
nl_sendv(struct emu_nl *nl, const struct iovec *iov, size_t n)
{
	size_t total = 0, off = 0, i;
	ssize_t r;
	char *buf;

	for (i = 0; i < n; i++)
		total += iov[i].iov_len;
	buf = malloc(total ? total : 1);
	if (buf == NULL)
		return fail(ENOMEM);
	for (i = 0; i < n; i++) {
		memcpy(buf + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	r = emu_nl_send(nl, buf, total);
	free(buf);
	return r >= 0 ? r : fail((int)-r);
}

EMU_EXPORT ssize_t
sendmsg(int fd, const struct msghdr *m, int flags)
{
	void *obj = NULL;

	if (fd_get(fd, &obj) == EMU_FD_NETLINK)
		return nl_sendv(obj, m->msg_iov, m->msg_iovlen);
	emu_shim_init();
	return real_sendmsg(fd, m, flags);
}

EMU_EXPORT ssize_t
sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *a,
       socklen_t len)
{
	struct iovec iov = { (void *)(uintptr_t)buf, n };
	void *obj = NULL;

	if (fd_get(fd, &obj) == EMU_FD_NETLINK)
		return nl_sendv(obj, &iov, 1);
	emu_shim_init();
	return real_sendto(fd, buf, n, flags, a, len);
}

EMU_EXPORT ssize_t
send(int fd, const void *buf, size_t n, int flags)
{
	struct iovec iov = { (void *)(uintptr_t)buf, n };
	void *obj = NULL;

	if (fd_get(fd, &obj) == EMU_FD_NETLINK)
		return nl_sendv(obj, &iov, 1);
	emu_shim_init();
	return real_send(fd, buf, n, flags);
}

/* The kernel is the sender of every netlink reply. */
static void
nl_peer(struct sockaddr *a, socklen_t *len)
{
	struct sockaddr_nl nla;

	if (a == NULL || len == NULL)
		return;
	memset(&nla, 0, sizeof(nla));
	nla.nl_family = AF_NETLINK;
	memcpy(a, &nla, *len < sizeof(nla) ? *len : sizeof(nla));
	*len = sizeof(nla);
}

EMU_EXPORT ssize_t
recvmsg(int fd, struct msghdr *m, int flags)
{
	void *obj = NULL;
	struct msghdr mm;
	ssize_t r;

	emu_shim_init();
	if (fd_get(fd, &obj) != EMU_FD_NETLINK)
		return real_recvmsg(fd, m, flags);
	mm = *m;
	mm.msg_name = NULL;
	mm.msg_namelen = 0;
	r = real_recvmsg(emu_nl_real_fd(obj), &mm, flags);
	if (r < 0)
		return r;
	m->msg_flags = mm.msg_flags;
	m->msg_controllen = mm.msg_controllen;
	if (m->msg_name != NULL) {
		socklen_t l = m->msg_namelen;

		nl_peer(m->msg_name, &l);
		m->msg_namelen = l;
	}
	return r;
}

EMU_EXPORT ssize_t
recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *a,
	 socklen_t *len)
{
	void *obj = NULL;
	ssize_t r;

	emu_shim_init();
	if (fd_get(fd, &obj) != EMU_FD_NETLINK)
		return real_recvfrom(fd, buf, n, flags, a, len);
	r = real_recv(emu_nl_real_fd(obj), buf, n, flags);
	if (r >= 0)
		nl_peer(a, len);
	return r;
}

EMU_EXPORT ssize_t
recv(int fd, void *buf, size_t n, int flags)
{
	void *obj = NULL;

	emu_shim_init();
	if (fd_get(fd, &obj) == EMU_FD_NETLINK)
		return real_recv(emu_nl_real_fd(obj), buf, n, flags);
	return real_recv(fd, buf, n, flags);
}

/* ------------------------------------------------- doorbell mappings -- */

#define EMU_DB_MAPS 256

/* One user mapping of a doorbell page; never freed (a trap handler may read it). */
static struct emu_db_sink {
	void *addr;
	bool used;
	bool trapped;
	struct emu_dev *dev;		/* this process's device, or ... */
	struct emu_db_fifo *fifo;	/* ... another process's FIFO */
	uint32_t page_id;
} db_maps[EMU_DB_MAPS];
static pthread_mutex_t db_maps_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * A sink is reserved and released under the lock, never held across a
 * map or an unmap: those call mmap/munmap, which come back to this shim.
 */
static struct emu_db_sink *
sink_reserve(void)
{
	struct emu_db_sink *s = NULL;
	int i;

	pthread_mutex_lock(&db_maps_lock);
	for (i = 0; i < EMU_DB_MAPS && s == NULL; i++)
		if (!db_maps[i].used)
			s = &db_maps[i];
	if (s != NULL) {
		s->used = true;
		s->addr = NULL;
	}
	pthread_mutex_unlock(&db_maps_lock);
	if (s == NULL)
		errno = ENOMEM;
	return s;
}

static void
sink_commit(struct emu_db_sink *s, void *p, bool trapped)
{
	pthread_mutex_lock(&db_maps_lock);
	if (p == MAP_FAILED) {
		s->used = false;
		s->fifo = NULL;
	} else {
		s->trapped = trapped;
		s->addr = p;
	}
	pthread_mutex_unlock(&db_maps_lock);
}

/* SIGSEGV handler context: every store goes to the device's FIFO. */
static void
db_store_cb(void *arg, uint32_t offset, uint64_t value, unsigned int width)
{
	struct emu_db_sink *s = arg;

	if (s->dev != NULL)
		emu_db_store(s->dev, s->page_id, offset, value, width);
	else
		emu_db_fifo_push(s->fifo, s->page_id, offset, value, width);
}

void *
emu_db_map(struct emu_dev *dev, const struct emu_db_page *db, void *addr,
	   int flags)
{
	bool trap = emu_dev_get_config(dev)->db_mode == EMU_DB_FIFO;
	struct emu_db_sink *s;
	void *p = MAP_FAILED;

	emu_shim_init();
	s = sink_reserve();
	if (s == NULL)
		return MAP_FAILED;
	s->dev = dev;
	s->fifo = NULL;
	s->page_id = db->id;
	if (trap) {
		/* doorbell=trap: read-only; each store is decoded and queued */
		p = emu_dbtrap_map(addr, EMU_DB_PAGE_SIZE, db->fd, 0, flags,
				   db_store_cb, s);
		if (p == MAP_FAILED) {
			fprintf(stderr, "mana-emu: cannot trap doorbell stores (%s): page %u is sampled instead (faithful only with one writer per slot)\n",
				emu_dbtrap_last_error(), db->id);
			emu_db_page_sampled(dev, db->id);
			trap = false;
		}
	}
	if (!trap)
		/* doorbell=sample: writable, the device samples the slots */
		p = emu_real_mmap(addr, EMU_DB_PAGE_SIZE, PROT_READ | PROT_WRITE,
				  flags, db->fd, 0);
	sink_commit(s, p, trap);
	return p;
}

/*
 * A cmd fd that another process (the one whose emulated kernel owns it)
 * passed to this one, as a DPDK primary hands its uverbs fd to a
 * secondary: map that ucontext's doorbell page, every store going into the
 * owner's device FIFO. NULL when @p fd is no such fd; MAP_FAILED on error.
 */
static void *
foreign_db_map(int fd, void *addr, int flags)
{
	char link[128], path[EMU_CFG_PATH_LEN + 64], proc[64];
	const char *dir = getenv("MANA_EMU_DIR");
	struct emu_db_sink *s;
	struct emu_db_fifo *fifo;
	int pid, fifo_fd, page_fd, ffd, pfd;
	unsigned int page_id;
	ssize_t n;
	void *p;
	FILE *f;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, link, sizeof(link) - 1);
	if (n <= 0 || dir == NULL)
		return NULL;
	link[n] = '\0';
	if (strncmp(link, "/memfd:mana-emu-uverbs", 22) != 0)
		return NULL;
	snprintf(path, sizeof(path), "%s/uctx/%llu", dir,
		 (unsigned long long)emu_fd_ino(fd));
	f = fopen(path, "r");
	if (f == NULL) {
		errno = EIO;	/* its ucontext is gone (closed, or disassociated) */
		return MAP_FAILED;
	}
	n = fscanf(f, "%d %d %d %u", &pid, &fifo_fd, &page_fd, &page_id);
	fclose(f);
	if (n != 4) {
		errno = EIO;
		return MAP_FAILED;
	}
	snprintf(proc, sizeof(proc), "/proc/%d/fd/%d", pid, fifo_fd);
	ffd = real_open(proc, O_RDWR | O_CLOEXEC);
	snprintf(proc, sizeof(proc), "/proc/%d/fd/%d", pid, page_fd);
	pfd = real_open(proc, O_RDWR | O_CLOEXEC);
	fifo = ffd >= 0 ? emu_db_fifo_attach(ffd) : NULL;
	if (ffd >= 0)
		emu_real_close(ffd);
	if (fifo == NULL || pfd < 0) {
		if (pfd >= 0)
			emu_real_close(pfd);
		errno = EIO;
		return MAP_FAILED;
	}
	s = sink_reserve();
	if (s == NULL) {
		emu_real_close(pfd);
		emu_db_fifo_detach(fifo);
		return MAP_FAILED;
	}
	s->dev = NULL;
	s->fifo = fifo;
	s->page_id = page_id;
	p = emu_dbtrap_map(addr, EMU_DB_PAGE_SIZE, pfd, 0, flags, db_store_cb, s);
	if (p == MAP_FAILED)
		emu_db_fifo_detach(fifo);
	sink_commit(s, p, true);
	emu_real_close(pfd);
	return p;
}

int
emu_db_unmap(void *addr, size_t len)
{
	struct emu_db_fifo *fifo = NULL;
	struct emu_db_sink *s = NULL;
	bool trapped = false;
	int i;

	if (addr == NULL)
		return 0;
	pthread_mutex_lock(&db_maps_lock);
	for (i = 0; i < EMU_DB_MAPS && s == NULL; i++) {
		if (db_maps[i].used && db_maps[i].addr == addr) {
			s = &db_maps[i];
			trapped = s->trapped;
			fifo = s->fifo;
			s->addr = NULL;	/* still reserved: not reused yet */
		}
	}
	pthread_mutex_unlock(&db_maps_lock);
	if (s == NULL)
		return 0;
	if (trapped)
		emu_dbtrap_unmap(addr, len);
	else
		emu_real_munmap(addr, len);
	emu_db_fifo_detach(fifo);
	sink_commit(s, MAP_FAILED, false);	/* free the slot */
	return 1;
}
