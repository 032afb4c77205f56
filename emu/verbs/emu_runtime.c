/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Process-wide runtime of libmana-emu: start-up from the environment,
 * emulated functions and their IB devices, removal/reset/re-add, the
 * service thread, and the public mana_emu_* control API.
 */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "emu_tree.h"
#include "emu_verbs_priv.h"
#include "mana_emu.h"

struct emu_rt emu_rt = {
	.ctl_fd = -1,
	.ino_fd = -1,
	.svc_stop_fd = -1,
};
pthread_mutex_t emu_rt_lock = PTHREAD_MUTEX_INITIALIZER;
uint64_t emu_live_channels;
static bool init_failed;

uint64_t
emu_rt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* ------------------------------------------------------------- devices -- */

static void
add_watches(struct emu_fn *fn)
{
	char ifname[EMU_TREE_IFNAME_LEN], path[512];
	unsigned int p;

	for (p = 0; p < fn->n_ports; p++) {
		fn->watch[p] = -1;
		if (emu_rt.ino_fd < 0)
			continue;
		emu_tree_ifname(ifname, fn->pci, p);
		snprintf(path, sizeof(path), "%s/pci/%s/net/%s", emu_rt.dir,
			 fn->pci, ifname);
		fn->watch[p] = inotify_add_watch(emu_rt.ino_fd, path,
						 IN_CLOSE_WRITE | IN_MOVED_TO);
	}
}

static void
del_watches(struct emu_fn *fn)
{
	unsigned int p;

	for (p = 0; p < fn->n_ports; p++) {
		if (fn->watch[p] >= 0 && emu_rt.ino_fd >= 0)
			inotify_rm_watch(emu_rt.ino_fd, fn->watch[p]);
		fn->watch[p] = -1;
	}
}

/* Lowest number no registered IB device uses (the kernel's names and minors). */
static unsigned int
lowest_free(bool minor)
{
	const struct emu_ibdev *d;
	unsigned int n;

	for (n = 0;; n++) {
		bool used = false;

		TAILQ_FOREACH(d, &emu_rt.ibdevs, next)
			if (!d->gone && (minor ? d->uverbs : d->name_idx) == n)
				used = true;
		if (!used)
			return n;
	}
}

static int
new_ibdev(struct emu_fn *fn, bool make_tree)
{
	struct emu_ibdev *d;
	int ret;

	if (emu_rt.cfg.ibdev_none)
		return 0;	/* mana_ib not loaded: the function has no IB device */
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	d->fn = fn;
	/* the netlink index only grows; names and uverbs minors are reused */
	d->index = emu_rt.next_ib_index++;
	d->name_idx = lowest_free(false);
	d->uverbs = lowest_free(true);
	emu_tree_ibname(d->name, sizeof(d->name), &emu_rt.cfg, d->name_idx);
	if (make_tree) {
		ret = emu_tree_ib_create(emu_rt.dir, d->name, d->uverbs, fn->pci,
					 fn->n_ports);
		if (ret != 0) {
			free(d);
			return ret;
		}
	}
	TAILQ_INSERT_TAIL(&emu_rt.ibdevs, d, next);
	fn->ib = d;
	return 0;
}

static void
ibdev_gone(struct emu_fn *fn)
{
	if (fn->ib == NULL)
		return;
	fn->ib->gone = true;
	emu_tree_ib_remove(emu_rt.dir, fn->ib->name, fn->ib->uverbs, fn->pci);
	fn->ib = NULL;
}

struct emu_ibdev *
emu_rt_ibdev(unsigned int index)
{
	struct emu_ibdev *d;

	if (!emu_rt.ready)
		return NULL;
	TAILQ_FOREACH(d, &emu_rt.ibdevs, next)
		if (d->index == index && !d->gone && d->fn != NULL &&
		    d->fn->ib == d)
			return d;
	return NULL;
}

struct emu_ibdev *
emu_rt_uverbs(unsigned int n)
{
	struct emu_ibdev *d;

	if (!emu_rt.ready)
		return NULL;
	TAILQ_FOREACH(d, &emu_rt.ibdevs, next)
		if (d->uverbs == n && !d->gone && d->fn != NULL && d->fn->ib == d)
			return d;
	return NULL;
}

static int
wire_port(struct emu_fn *fn, unsigned int p)
{
	const char *w = emu_rt.cfg.wire[p];
	char local[EMU_CFG_WIRE_LEN + 8], peer[EMU_CFG_WIRE_LEN + 8];
	unsigned int d, q;

	if (!strcmp(w, "loopback"))
		return emu_port_wire_loopback(fn->hw, p);
	if (!strcmp(w, "none"))
		return emu_port_wire_none(fn->hw, p);
	if (!strcmp(w, "pair")) {
		/* vPort 0 <-> 1, 2 <-> 3, ...; an odd last one loops, and so
		 * does one whose partner has another wire (e.g. a vswitch)
		 */
		if ((p ^ 1) >= fn->n_ports || strcmp(emu_rt.cfg.wire[p ^ 1], "pair") != 0)
			return emu_port_wire_loopback(fn->hw, p);
		if (p & 1)
			return 0;
		return emu_port_wire_pair(fn->hw, p, fn->hw, p ^ 1);
	}
	if (sscanf(w, "pair:%u.%u", &d, &q) == 2) {
		if (d >= emu_rt.n_fns || q >= emu_rt.fns[d].n_ports)
			return -EINVAL;
		/* the lower end makes the connection; a wire key naming the
		 * port itself is the far end of a pair made by its peer
		 */
		if (d < fn->idx || (d == fn->idx && q <= p))
			return 0;
		return emu_port_wire_pair(fn->hw, p, emu_rt.fns[d].hw, q);
	}
	if (!strncmp(w, "tap:", 4))
		return emu_port_wire_tap(fn->hw, p, w + 4);
	if (!strncmp(w, "vswitch:", 8)) {
		/* vswitch:<synthetic>:<uplink>, checked by the config parser */
		const char *up = strchr(w + 8, ':');

		if (up == NULL || (size_t)(up - (w + 8)) >= sizeof(local))
			return -EINVAL;
		memcpy(local, w + 8, (size_t)(up - (w + 8)));
		local[up - (w + 8)] = '\0';
		return emu_port_wire_vswitch(fn->hw, p, local, up + 1);
	}
	if (!strncmp(w, "socket:", 7)) {
		struct sockaddr_un sa;
		int fd, taken;

		/* two processes share PATH: the first takes PATH.0 */
		snprintf(local, sizeof(local), "%s.0", w + 7);
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		memset(&sa, 0, sizeof(sa));
		sa.sun_family = AF_UNIX;
		if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", local) >=
		    (int)sizeof(sa.sun_path)) {
			if (fd >= 0)
				close(fd);
			return -ENAMETOOLONG;
		}
		taken = fd >= 0 &&
			connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		if (fd >= 0)
			close(fd);
		if (taken) {
			snprintf(local, sizeof(local), "%s.1", w + 7);
			snprintf(peer, sizeof(peer), "%s.0", w + 7);
		} else {
			snprintf(peer, sizeof(peer), "%s.1", w + 7);
		}
		return emu_port_wire_socket(fn->hw, p, local, peer);
	}
	return -EINVAL;
}

static int
fn_create(unsigned int idx)
{
	struct emu_fn *fn = &emu_rt.fns[idx];
	const struct emu_cfg *cfg = &emu_rt.cfg;
	struct emu_dev_config dc;
	unsigned int p;
	int ret;

	memset(fn, 0, sizeof(*fn));
	fn->idx = idx;
	snprintf(fn->pci, sizeof(fn->pci), "%s", cfg->pci[idx]);
	fn->n_ports = cfg->n_ports;
	emu_dev_config_init(&dc);
	snprintf(dc.pci, sizeof(dc.pci), "%s", fn->pci);
	dc.n_vports = cfg->n_ports;
	for (p = 0; p < cfg->n_ports; p++) {
		memcpy(dc.vport[p].mac, cfg->mac[idx][p], 6);
		dc.vport[p].mtu = cfg->mtu;
		dc.vport[p].tx_vp_offset = p;
		dc.vport[p].netdev_up = cfg->netdev_up[p] != 0;
		fn->mtu[p] = cfg->mtu;
		fn->netdev_up[p] = cfg->netdev_up[p];
		fn->watch[p] = -1;
	}
	dc.max_wr = cfg->max_wr;
	dc.cqe_coalescing = cfg->coalescing != 0;
	dc.cqe8_coalescing = cfg->cqe8 != 0;
	dc.vsw_flows = cfg->vswitch_flows;
	dc.strict = cfg->strict != 0;
	dc.trace = cfg->trace != 0;
	dc.db_mode = cfg->doorbell_sample ? EMU_DB_SAMPLE : EMU_DB_FIFO;
	ret = emu_dev_create(&dc, &fn->hw);
	if (ret != 0)
		return ret;
	ret = new_ibdev(fn, false);
	if (ret != 0)
		return ret;
	if (cfg->capture)
		for (p = 0; p < cfg->n_ports; p++)
			emu_port_capture_enable(fn->hw, p, cfg->capture);
	return 0;
}

static int
set_err(int ret, const char *what, const char *arg)
{
	snprintf(emu_rt.err, sizeof(emu_rt.err), "%s%s: %s", what, arg,
		 strerror(-ret));
	return ret;
}

/* A wire that cannot be made: the cause, and for taps the usual fix. */
static int
wire_err(int ret, const char *wire)
{
	size_t n;

	set_err(ret, "cannot wire ", wire);
	if (strncmp(wire, "tap:", 4) != 0 && strncmp(wire, "vswitch:", 8) != 0)
		return ret;
	n = strlen(emu_rt.err);
	if (ret == -EPERM)
		snprintf(emu_rt.err + n, sizeof(emu_rt.err) - n,
			 " (taps need CAP_NET_ADMIN: run as root, e.g. in unshare -n)");
	else if (ret == -EBUSY)
		snprintf(emu_rt.err + n, sizeof(emu_rt.err) - n,
			 " (a tap of that name is open elsewhere: give each wire its own)");
	return ret;
}

static void *svc_main(void *arg);

static int
ctl_listen(void)
{
	struct sockaddr_un sa;
	char path[64];
	int dfd, fd;

	dfd = open(emu_rt.dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dfd,
		 MANA_EMU_CTL_SOCKET);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		close(dfd);
		return -errno;
	}
	/* a live instance already serves this directory: leave it alone */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		close(dfd);
		return -EADDRINUSE;
	}
	close(fd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	unlinkat(dfd, MANA_EMU_CTL_SOCKET, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, 8) != 0) {
		int ret = -errno;

		if (fd >= 0)
			close(fd);
		close(dfd);
		return ret;
	}
	close(dfd);
	return fd;
}

static void
rt_stop_threads(void)
{
	if (emu_rt.svc_running) {
		uint64_t one = 1;
		ssize_t n = write(emu_rt.svc_stop_fd, &one, sizeof(one));

		(void)n;
		pthread_join(emu_rt.svc, NULL);
		emu_rt.svc_running = false;
	}
	emu_dev_thread_stop();
}

/* Lock held. */
static void
rt_teardown(void)
{
	struct emu_ibdev *d;
	struct emu_uctx *ctx;
	unsigned int i;

	emu_rt_write_violations(true);
	TAILQ_FOREACH(ctx, &emu_rt.ctxs, next) {
		/* contexts left open: their objects die with the devices */
		ctx->dead = true;
	}
	for (i = 0; i < emu_rt.n_fns; i++) {
		del_watches(&emu_rt.fns[i]);
		if (emu_rt.fns[i].hw != NULL)
			emu_dev_destroy(emu_rt.fns[i].hw);
		emu_rt.fns[i].hw = NULL;
	}
	TAILQ_FOREACH(d, &emu_rt.ibdevs, next) {
		d->gone = true;
		d->fn = NULL;	/* handed out: never freed */
	}
	if (emu_rt.ctl_fd >= 0)
		close(emu_rt.ctl_fd);
	if (emu_rt.ino_fd >= 0)
		close(emu_rt.ino_fd);
	if (emu_rt.svc_stop_fd >= 0)
		close(emu_rt.svc_stop_fd);
	emu_rt.ctl_fd = emu_rt.ino_fd = emu_rt.svc_stop_fd = -1;
	if (emu_rt.own_dir)
		nftw(emu_rt.dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	emu_rt.ready = false;
}

/* Lock held. */
static int
rt_start(const char *opts)
{
	struct emu_cfg *cfg = &emu_rt.cfg;
	const char *env;
	unsigned int i;
	int ret;

	emu_rt.err[0] = '\0';
	emu_cfg_defaults(cfg);
	env = getenv("MANA_EMU_CONFIG");
	if (env != NULL && env[0] != '\0') {
		ret = emu_cfg_parse_file(cfg, env, emu_rt.err, sizeof(emu_rt.err));
		if (ret != 0)
			return ret;
	}
	ret = emu_cfg_parse_opts(cfg, getenv("MANA_EMU_OPTS"), emu_rt.err,
				 sizeof(emu_rt.err));
	if (ret == 0)
		ret = emu_cfg_parse_opts(cfg, opts, emu_rt.err,
					 sizeof(emu_rt.err));
	if (ret != 0)
		return ret;
	emu_cfg_finish(cfg);

	emu_rt.own_dir = false;
	/* the CLI's directory (MANA_EMU_DIR) wins over a dir= setting */
	env = getenv("MANA_EMU_DIR");
	if (env != NULL && env[0] != '\0') {
		if (strlen(env) >= sizeof(emu_rt.dir))
			return set_err(-ENAMETOOLONG, "MANA_EMU_DIR ", env);
		snprintf(emu_rt.dir, sizeof(emu_rt.dir), "%s", env);
	} else if (cfg->dir[0] != '\0') {
		snprintf(emu_rt.dir, sizeof(emu_rt.dir), "%s", cfg->dir);
	} else {
		const char *tmp = getenv("TMPDIR");

		snprintf(emu_rt.dir, sizeof(emu_rt.dir), "%s/mana-emu.XXXXXX",
			 tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
		if (mkdtemp(emu_rt.dir) == NULL)
			return set_err(-errno, "cannot create ", emu_rt.dir);
		chmod(emu_rt.dir, 0755);
		emu_rt.own_dir = true;
	}
	if (mkdir(emu_rt.dir, 0755) != 0 && errno != EEXIST)
		return set_err(-errno, "cannot create ", emu_rt.dir);
	snprintf(emu_rt.pci_tree, sizeof(emu_rt.pci_tree), "%s/pci",
		 emu_rt.dir);
	ret = emu_tree_build(cfg, emu_rt.dir);
	if (ret != 0)
		return set_err(ret, "cannot build the device tree in ", emu_rt.dir);

	TAILQ_INIT(&emu_rt.ibdevs);
	if (emu_rt.ctxs.tqh_last == NULL)
		TAILQ_INIT(&emu_rt.ctxs);
	emu_rt.next_ib_index = 0;
	emu_rt.n_fns = 0;
	for (i = 0; i < cfg->n_devs; i++) {
		ret = fn_create(i);
		if (ret != 0)
			return set_err(ret, "cannot create device ", cfg->pci[i]);
		emu_rt.n_fns++;
	}
	for (i = 0; i < emu_rt.n_fns; i++) {
		unsigned int p;

		for (p = 0; p < emu_rt.fns[i].n_ports; p++) {
			ret = wire_port(&emu_rt.fns[i], p);
			if (ret != 0)
				return wire_err(ret, cfg->wire[p]);
		}
	}
	emu_rt.ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	for (i = 0; i < emu_rt.n_fns; i++)
		add_watches(&emu_rt.fns[i]);
	emu_rt.ctl_fd = cfg->ctl ? ctl_listen() : -1;
	if (emu_rt.ctl_fd < 0)
		emu_rt.ctl_fd = -1;
	emu_rt.svc_stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	emu_rt.start_ns = emu_rt_now_ns();
	emu_rt.remove_done = emu_rt.reset_done = false;
	emu_rt.viol_written = 0;
	if (cfg->mode == EMU_CFG_MODE_THREAD) {
		ret = emu_dev_thread_start(-1);
		if (ret != 0 && ret != -EALREADY)
			return set_err(ret, "cannot start the device thread", "");
	}
	if (pthread_create(&emu_rt.svc, NULL, svc_main, NULL) == 0)
		emu_rt.svc_running = true;
	snprintf(emu_rt.sys_tree, sizeof(emu_rt.sys_tree), "%s/sys", emu_rt.dir);
	__atomic_store_n(&emu_rt.ready, true, __ATOMIC_RELEASE);
	return 0;
}

int
emu_rt_ensure(void)
{
	int ret = 0;

	if (__atomic_load_n(&emu_rt.ready, __ATOMIC_ACQUIRE))
		return 0;
	/* a joined process (mana-emu --join) has no device of its own */
	if (getenv("MANA_EMU_JOIN") != NULL)
		return -ENODEV;
	pthread_mutex_lock(&emu_rt_lock);
	if (!emu_rt.ready) {
		if (init_failed) {
			ret = -EINVAL;
		} else {
			ret = rt_start(NULL);
			if (ret != 0) {
				fprintf(stderr, "mana-emu: %s\n", emu_rt.err);
				init_failed = true;
				rt_teardown();
			}
		}
	}
	pthread_mutex_unlock(&emu_rt_lock);
	return ret;
}

/* ------------------------------------------------- removal and re-add -- */

/* Lock held. */
static int
rt_remove(struct emu_fn *fn, bool reset, unsigned int delay_ms)
{
	int ret;

	if (fn->state != EMU_FN_PRESENT)
		return -EALREADY;
	ret = reset ? emu_dev_service_reset(fn->hw) : emu_dev_remove(fn->hw);
	if (ret != 0)
		return ret;
	emu_uverbs_disassociate(fn);
	ibdev_gone(fn);
	if (reset) {
		fn->state = EMU_FN_RESETTING;
		fn->reappear_ns = emu_rt_now_ns() + (uint64_t)delay_ms * 1000000ull;
	} else {
		del_watches(fn);
		emu_tree_pci_remove(emu_rt.dir, fn->pci);
		fn->state = EMU_FN_REMOVED;
		fn->reappear_ns = 0;
	}
	return 0;
}

static int
pci_in_use(const char *pci, const struct emu_fn *self)
{
	unsigned int i;

	for (i = 0; i < emu_rt.n_fns; i++)
		if (&emu_rt.fns[i] != self && !strcmp(emu_rt.fns[i].pci, pci))
			return 1;
	return 0;
}

/* Lock held. */
static int
rt_readd(struct emu_fn *fn, const char *pci)
{
	const struct emu_cfg *cfg = &emu_rt.cfg;
	int ret;

	if (fn->state == EMU_FN_PRESENT)
		return -EALREADY;
	if (pci != NULL && pci[0] != '\0') {
		if (emu_cfg_check_pci(pci) != 0 || pci_in_use(pci, fn))
			return -EINVAL;
		if (fn->state == EMU_FN_REMOVED)
			snprintf(fn->pci, sizeof(fn->pci), "%s", pci);
	}
	ret = emu_dev_readd_at(fn->hw, fn->pci);
	if (ret != 0)
		return ret;
	if (fn->state == EMU_FN_REMOVED) {
		ret = emu_tree_pci_create(emu_rt.dir, fn->pci,
					  cfg->pf ? 0x00b9 : 0x00ba, cfg->numa_node,
					  fn->n_ports,
					  (const uint8_t (*)[6])cfg->mac[fn->idx],
					  fn->mtu[0], fn->netdev_up,
					  100 + fn->idx * EMU_CFG_MAX_PORTS);
		if (ret != 0)
			return ret;
		add_watches(fn);
	}
	ret = new_ibdev(fn, true);
	if (ret != 0)
		return ret;
	fn->state = EMU_FN_PRESENT;
	fn->reappear_ns = 0;
	return 0;
}

void
emu_rt_run_schedule(void)
{
	const struct emu_cfg *cfg = &emu_rt.cfg;
	uint64_t now = emu_rt_now_ns();
	uint64_t since_ms = (now - emu_rt.start_ns) / 1000000ull;
	unsigned int i;

	if (!emu_rt.ready)
		return;
	if (cfg->remove_at_ms >= 0 && !emu_rt.remove_done &&
	    since_ms >= (uint64_t)cfg->remove_at_ms) {
		emu_rt.remove_done = true;
		if (rt_remove(&emu_rt.fns[0], false, 0) == 0 &&
		    cfg->readd_after_ms >= 0)
			emu_rt.fns[0].reappear_ns = now +
				(uint64_t)cfg->readd_after_ms * 1000000ull;
	}
	if (cfg->reset_at_ms >= 0 && !emu_rt.reset_done &&
	    since_ms >= (uint64_t)cfg->reset_at_ms) {
		emu_rt.reset_done = true;
		rt_remove(&emu_rt.fns[0], true, (unsigned int)cfg->reset_delay_ms);
	}
	for (i = 0; i < emu_rt.n_fns; i++) {
		struct emu_fn *fn = &emu_rt.fns[i];

		if (fn->state == EMU_FN_PRESENT || fn->reappear_ns == 0 ||
		    now < fn->reappear_ns)
			continue;
		rt_readd(fn, fn->state == EMU_FN_REMOVED && i == 0 ?
			 cfg->readd_pci : NULL);
	}
}

/* ------------------------------------------------------------ netdevs -- */

static void
sync_netdevs(void)
{
	unsigned int i, p;
	long v;

	for (i = 0; i < emu_rt.n_fns; i++) {
		struct emu_fn *fn = &emu_rt.fns[i];

		if (fn->state == EMU_FN_REMOVED)
			continue;
		for (p = 0; p < fn->n_ports; p++) {
			if (emu_tree_netdev_read(emu_rt.dir, fn->pci, p, "mtu",
						 &v) == 0 &&
			    v >= 68 && v <= EMU_MAX_MTU &&
			    (unsigned int)v != fn->mtu[p]) {
				fn->mtu[p] = (unsigned int)v;
				emu_vport_set_mtu(fn->hw, p, (uint32_t)v);
			}
			if (emu_tree_netdev_read(emu_rt.dir, fn->pci, p,
						 "flags", &v) == 0 &&
			    (int)(v & 1) != fn->netdev_up[p]) {
				fn->netdev_up[p] = (int)(v & 1);
				emu_vport_set_netdev_up(fn->hw, p, v & 1);
			}
		}
	}
}

/*
 * The kernel applies a netdev write (mtu, flags) before write() returns;
 * inotify tells the service thread only later. Verbs calls whose outcome
 * depends on the netdev read the files again, so that a change written just
 * before them is in force, as with the kernel.
 */
void
emu_rt_sync_netdevs_now(void)
{
	char buf[4096];

	if (emu_rt.ino_fd >= 0)
		while (read(emu_rt.ino_fd, buf, sizeof(buf)) > 0)
			;
	sync_netdevs();
}

void
emu_rt_sync_netdevs(void)
{
	char buf[4096];
	bool any = false;

	if (emu_rt.ino_fd < 0) {
		sync_netdevs();
		return;
	}
	while (read(emu_rt.ino_fd, buf, sizeof(buf)) > 0)
		any = true;
	if (any)
		sync_netdevs();
}

static int
set_netdev_up(struct emu_fn *fn, unsigned int port, int up)
{
	int ret;

	ret = emu_tree_netdev_write(emu_rt.dir, fn->pci, port, "operstate",
				    up ? "up\n" : "down\n");
	ret = ret ? ret : emu_tree_netdev_write(emu_rt.dir, fn->pci, port,
				"carrier", up ? "1\n" : "0\n");
	ret = ret ? ret : emu_tree_netdev_write(emu_rt.dir, fn->pci, port,
				"flags", up ? "0x1043\n" : "0x1002\n");
	if (ret != 0)
		return ret;
	fn->netdev_up[port] = up;
	return emu_vport_set_netdev_up(fn->hw, port, up != 0);
}

/* --------------------------------------------------------- violations -- */

static uint64_t
violation_total(void)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < emu_rt.n_fns; i++)
		if (emu_rt.fns[i].hw != NULL)
			n += emu_violation_count(emu_rt.fns[i].hw, EMU_VIOL_NONE);
	return n;
}

static size_t
violations_text(char *buf, size_t len)
{
	struct emu_violation_record *v;
	size_t off = 0, n, k;
	unsigned int i;

	if (len > 0)
		buf[0] = '\0';
	v = calloc(256, sizeof(*v));
	if (v == NULL)
		return 0;
	for (i = 0; i < emu_rt.n_fns; i++) {
		if (emu_rt.fns[i].hw == NULL)
			continue;
		n = emu_violations_get(emu_rt.fns[i].hw, v, 256);
		for (k = 0; k < n; k++) {
			int w = snprintf(off < len ? buf + off : NULL,
					 off < len ? len - off : 0,
					 "%s %s queue=0x%x offset=0x%x %s\n",
					 emu_rt.fns[i].pci,
					 emu_violation_name(v[k].kind),
					 v[k].queue_id, v[k].offset,
					 v[k].detail);
			if (w > 0)
				off += (size_t)w;
		}
	}
	free(v);
	return off;
}

void
emu_rt_write_violations(bool force)
{
	char path[EMU_CFG_PATH_LEN + 32], tmp[EMU_CFG_PATH_LEN + 40];
	uint64_t n;
	size_t len;
	char *text;
	FILE *f;

	if (!emu_rt.ready)
		return;
	n = violation_total();
	if (!force && n == emu_rt.viol_written)
		return;
	if (n == 0 && force && emu_rt.viol_written == 0)
		return;
	len = violations_text(NULL, 0) + 1;
	text = malloc(len);
	if (text == NULL)
		return;
	violations_text(text, len);
	snprintf(path, sizeof(path), "%s/%s", emu_rt.dir,
		 MANA_EMU_VIOLATIONS_FILE);
	snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	f = fopen(tmp, "w");
	if (f != NULL) {
		fprintf(f, "violations %llu\n%s", (unsigned long long)n, text);
		if (fclose(f) == 0)
			rename(tmp, path);
		else
			unlink(tmp);
	}
	free(text);
	emu_rt.viol_written = n;
}

/* ----------------------------------------------------- service thread -- */

static void
serve_ctl(void)
{
	char req[4096], *out;
	size_t got = 0;
	struct pollfd pfd;
	ssize_t n;
	int fd;

	fd = accept4(emu_rt.ctl_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (got < sizeof(req) - 1 && poll(&pfd, 1, 1000) > 0) {
		n = read(fd, req + got, sizeof(req) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (memchr(req, '\n', got) != NULL)
			break;
	}
	req[got] = '\0';
	out = malloc(65536);
	if (out != NULL) {
		size_t off = 0, len;

		emu_ctl_handle(req, out, 65536);
		len = strlen(out);
		while (off < len) {
			n = write(fd, out + off, len - off);
			if (n <= 0)
				break;
			off += (size_t)n;
		}
		free(out);
	}
	close(fd);
}

static void *
svc_main(void *arg)
{
	struct pollfd pfd[3];
	bool stop = false;

	(void)arg;
	while (!stop) {
		pfd[0].fd = emu_rt.svc_stop_fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = emu_rt.ctl_fd;
		pfd[1].events = POLLIN;
		pfd[2].fd = emu_rt.ino_fd;
		pfd[2].events = POLLIN;
		pfd[0].revents = pfd[1].revents = pfd[2].revents = 0;
		if (poll(pfd, 3, 20) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents & POLLIN)
			stop = true;
		if (pfd[1].revents & POLLIN)
			serve_ctl();
		pthread_mutex_lock(&emu_rt_lock);
		if (emu_rt.ready) {
			emu_rt_sync_netdevs();
			emu_rt_run_schedule();
			emu_rt_write_violations(false);
		}
		pthread_mutex_unlock(&emu_rt_lock);
	}
	return NULL;
}

/* --------------------------------------------------- constructor/exit -- */

__attribute__((constructor)) static void
emu_ctor(void)
{
	const char *dir = getenv("MANA_EMU_DIR");
	struct emu_cfg cfg;
	struct stat st;
	char err[256], path[EMU_CFG_PATH_LEN + 8];
	const char *env;

	/*
	 * Cheap and silent: every process of a command run under mana-emu
	 * loads us. Only make the PCI tree appear (DPDK scans it before any
	 * verbs call) when nobody did; the device itself starts lazily.
	 */
	if (dir == NULL || dir[0] == '\0' || strlen(dir) >= EMU_CFG_PATH_LEN)
		return;
	snprintf(path, sizeof(path), "%s/pci", dir);
	if (stat(path, &st) == 0)
		return;
	emu_cfg_defaults(&cfg);
	env = getenv("MANA_EMU_CONFIG");
	if (env != NULL && env[0] != '\0' &&
	    emu_cfg_parse_file(&cfg, env, err, sizeof(err)) != 0)
		return;
	if (emu_cfg_parse_opts(&cfg, getenv("MANA_EMU_OPTS"), err,
			       sizeof(err)) != 0)
		return;
	emu_cfg_finish(&cfg);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return;
	emu_tree_build(&cfg, dir);
}

__attribute__((destructor)) static void
emu_dtor(void)
{
	if (!emu_rt.ready)
		return;
	rt_stop_threads();
	pthread_mutex_lock(&emu_rt_lock);
	emu_rt_write_violations(false);
	/* a private directory of our own (no MANA_EMU_DIR) goes with us */
	if (emu_rt.own_dir)
		nftw(emu_rt.dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	pthread_mutex_unlock(&emu_rt_lock);
}

/* --------------------------------------------------------- public API -- */

EMU_EXPORT int
mana_emu_init(const char *opts)
{
	int ret;

	rt_stop_threads();
	pthread_mutex_lock(&emu_rt_lock);
	if (emu_rt.ready && !TAILQ_EMPTY(&emu_rt.ctxs)) {
		pthread_mutex_unlock(&emu_rt_lock);
		return -EBUSY;
	}
	rt_teardown();
	init_failed = false;
	ret = rt_start(opts);
	/* a DPDK program initialising us before rte_eal_init(): its PCI bus
	 * must scan our tree, never the machine's
	 */
	if (ret == 0 && getenv("SYSFS_PCI_DEVICES") == NULL)
		setenv("SYSFS_PCI_DEVICES", emu_rt.pci_tree, 1);
	/* and libibverbs reads the emulated sysfs */
	if (ret == 0 && getenv("SYSFS_PATH") == NULL)
		setenv("SYSFS_PATH", emu_rt.sys_tree, 1);
	if (ret != 0) {
		char err[sizeof(emu_rt.err)];

		memcpy(err, emu_rt.err, sizeof(err));
		pthread_mutex_unlock(&emu_rt_lock);
		rt_stop_threads();
		pthread_mutex_lock(&emu_rt_lock);
		rt_teardown();
		memcpy(emu_rt.err, err, sizeof(err));
		init_failed = true;
	}
	pthread_mutex_unlock(&emu_rt_lock);
	return ret;
}

EMU_EXPORT void
mana_emu_fini(void)
{
	rt_stop_threads();
	pthread_mutex_lock(&emu_rt_lock);
	rt_teardown();
	pthread_mutex_unlock(&emu_rt_lock);
}

EMU_EXPORT const char *
mana_emu_last_error(void)
{
	return emu_rt.err;
}

EMU_EXPORT int
mana_emu_set_mode(enum mana_emu_mode mode)
{
	int ret = emu_rt_ensure();

	if (ret != 0)
		return ret;
	if (mode == MANA_EMU_MODE_STEP) {
		emu_dev_thread_stop();
		emu_rt.cfg.mode = EMU_CFG_MODE_STEP;
		return 0;
	}
	if (mode != MANA_EMU_MODE_THREAD)
		return -EINVAL;
	ret = emu_dev_thread_start(-1);
	if (ret == -EALREADY)
		ret = 0;
	if (ret == 0)
		emu_rt.cfg.mode = EMU_CFG_MODE_THREAD;
	return ret;
}

EMU_EXPORT unsigned int
mana_emu_step(void)
{
	int work;

	if (emu_rt_ensure() != 0)
		return 0;
	pthread_mutex_lock(&emu_rt_lock);
	emu_rt_sync_netdevs();
	emu_rt_run_schedule();
	pthread_mutex_unlock(&emu_rt_lock);
	work = emu_step_all();
	return work > 0 ? (unsigned int)work : 0;
}

EMU_EXPORT unsigned int
mana_emu_dev_count(void)
{
	return emu_rt_ensure() == 0 ? emu_rt.n_fns : 0;
}

static struct emu_fn *
fn_get(unsigned int dev)
{
	if (emu_rt_ensure() != 0 || dev >= emu_rt.n_fns)
		return NULL;
	return &emu_rt.fns[dev];
}

EMU_EXPORT const char *
mana_emu_pci_addr(unsigned int dev)
{
	struct emu_fn *fn = fn_get(dev);

	return fn != NULL ? fn->pci : NULL;
}

EMU_EXPORT const char *
mana_emu_dir(void)
{
	return emu_rt_ensure() == 0 ? emu_rt.dir : NULL;
}

EMU_EXPORT const char *
mana_emu_pci_tree(void)
{
	return emu_rt_ensure() == 0 ? emu_rt.pci_tree : NULL;
}

EMU_EXPORT const char *
mana_emu_ibdev_name(unsigned int dev)
{
	struct emu_fn *fn = fn_get(dev);
	const char *name = NULL;

	if (fn == NULL)
		return NULL;
	pthread_mutex_lock(&emu_rt_lock);
	if (fn->ib != NULL)
		name = fn->ib->name;
	pthread_mutex_unlock(&emu_rt_lock);
	return name;
}

EMU_EXPORT int
mana_emu_mac(unsigned int dev, unsigned int port, uint8_t mac[6])
{
	struct emu_fn *fn = fn_get(dev);

	if (fn == NULL || port >= fn->n_ports)
		return -EINVAL;
	memcpy(mac, emu_rt.cfg.mac[dev][port], 6);
	return 0;
}

EMU_EXPORT int
mana_emu_inject_rx(unsigned int dev, unsigned int port, const void *frame,
		   size_t len)
{
	struct emu_fn *fn = fn_get(dev);

	if (fn == NULL || port >= fn->n_ports || len > UINT32_MAX)
		return -EINVAL;
	return emu_port_inject_rx(fn->hw, port, frame, (uint32_t)len);
}

EMU_EXPORT int
mana_emu_capture_enable(unsigned int dev, unsigned int port,
			unsigned int n_frames)
{
	struct emu_fn *fn = fn_get(dev);

	if (fn == NULL || port >= fn->n_ports)
		return -EINVAL;
	return emu_port_capture_enable(fn->hw, port, n_frames);
}

EMU_EXPORT ssize_t
mana_emu_capture_read(unsigned int dev, unsigned int port, void *buf,
		      size_t len)
{
	struct emu_fn *fn = fn_get(dev);

	if (fn == NULL || port >= fn->n_ports)
		return -EINVAL;
	return emu_port_capture_read(fn->hw, port, buf, len);
}

EMU_EXPORT uint64_t
mana_emu_violation_count(void)
{
	uint64_t n;

	if (emu_rt_ensure() != 0)
		return 0;
	pthread_mutex_lock(&emu_rt_lock);
	n = violation_total();
	pthread_mutex_unlock(&emu_rt_lock);
	return n;
}

EMU_EXPORT size_t
mana_emu_violations_text(char *buf, size_t len)
{
	size_t n;

	if (emu_rt_ensure() != 0) {
		if (len > 0)
			buf[0] = '\0';
		return 0;
	}
	pthread_mutex_lock(&emu_rt_lock);
	n = violations_text(buf, len);
	pthread_mutex_unlock(&emu_rt_lock);
	return n;
}

#define VPORT_FIELD(f) { #f, offsetof(struct emu_vport_stats, f) }
static const struct {
	const char *name;
	size_t off;
} vport_fields[] = {
	VPORT_FIELD(tx_frames),
	VPORT_FIELD(tx_bytes),
	VPORT_FIELD(rx_frames),
	VPORT_FIELD(rx_bytes),
	VPORT_FIELD(rx_wire_frames),
	VPORT_FIELD(rx_discards_nowqe),
	VPORT_FIELD(rx_drop_filter),
	VPORT_FIELD(rx_drop_disabled),
	VPORT_FIELD(rx_drop_mtu),
	VPORT_FIELD(rx_drop_runt),
	VPORT_FIELD(rx_drop_ring_full),
	VPORT_FIELD(rx_truncated),
	VPORT_FIELD(tx_drop_sa),
	VPORT_FIELD(tx_drop_mtu),
	VPORT_FIELD(tx_drop_invalid_oob),
	VPORT_FIELD(tx_drop_vport),
	VPORT_FIELD(tx_drop_hdr),
	VPORT_FIELD(tx_drop_injected),
	VPORT_FIELD(tx_drop_wire),
	VPORT_FIELD(rx_coalesced_cqes),
	VPORT_FIELD(vsw_uplink_in),
	VPORT_FIELD(vsw_to_vf),
	VPORT_FIELD(vsw_to_syn),
	VPORT_FIELD(vsw_first_of_flow),
	VPORT_FIELD(vsw_flow_full),
	VPORT_FIELD(vsw_from_vf),
	VPORT_FIELD(vsw_from_syn),
	VPORT_FIELD(vsw_dropped),
};
#define N_VPORT_FIELDS (sizeof(vport_fields) / sizeof(vport_fields[0]))

EMU_EXPORT int
mana_emu_counter(unsigned int dev, const char *name, uint64_t *value)
{
	struct emu_fn *fn = fn_get(dev);
	struct emu_vport_stats st;
	unsigned int port;
	size_t i;
	int pos = 0;

	if (fn == NULL)
		return -EINVAL;
	if (!strcmp(name, "violations")) {
		*value = emu_violation_count(fn->hw, EMU_VIOL_NONE);
		return 0;
	}
	if (!strcmp(name, "live_contexts") || !strcmp(name, "live_objects")) {
		uint64_t n_ctx, n_obj;

		pthread_mutex_lock(&emu_rt_lock);
		emu_uverbs_count(fn, &n_ctx, &n_obj);
		pthread_mutex_unlock(&emu_rt_lock);
		*value = name[5] == 'c' ? n_ctx : n_obj;
		return 0;
	}
	if (!strcmp(name, "dead_commands")) {
		pthread_mutex_lock(&emu_rt_lock);
		*value = fn->dead_commands;
		pthread_mutex_unlock(&emu_rt_lock);
		return 0;
	}
	if (!strcmp(name, "db_fifo_lost")) {
		*value = emu_db_lost(fn->hw);
		return 0;
	}
	if (!strcmp(name, "live_channels")) {
		*value = __atomic_load_n(&emu_live_channels, __ATOMIC_RELAXED);
		return 0;
	}
	if (sscanf(name, "port%u.%n", &port, &pos) != 1 || pos == 0 ||
	    port >= fn->n_ports)
		return -ENOENT;
	for (i = 0; i < N_VPORT_FIELDS; i++) {
		if (strcmp(name + pos, vport_fields[i].name) != 0)
			continue;
		if (emu_vport_stats_get(fn->hw, port, &st) != 0)
			return -EIO;
		memcpy(value, (const char *)&st + vport_fields[i].off,
		       sizeof(*value));
		return 0;
	}
	return -ENOENT;
}

EMU_EXPORT size_t
mana_emu_stats_text(char *buf, size_t len)
{
	size_t off = 0, i;
	unsigned int d, p;

#define OUT(...) do { \
	int w_ = snprintf(off < len ? buf + off : NULL, \
			  off < len ? len - off : 0, __VA_ARGS__); \
	if (w_ > 0) \
		off += (size_t)w_; \
} while (0)

	if (len > 0)
		buf[0] = '\0';
	if (emu_rt_ensure() != 0)
		return 0;
	pthread_mutex_lock(&emu_rt_lock);
	for (d = 0; d < emu_rt.n_fns; d++) {
		struct emu_fn *fn = &emu_rt.fns[d];

		OUT("dev%u.pci %s\n", d, fn->pci);
		OUT("dev%u.state %s\n", d, fn->state == EMU_FN_PRESENT ?
		    "present" : fn->state == EMU_FN_REMOVED ? "removed" :
		    "resetting");
		OUT("dev%u.violations %llu\n", d, (unsigned long long)
		    emu_violation_count(fn->hw, EMU_VIOL_NONE));
		for (p = 0; p < fn->n_ports; p++) {
			struct emu_vport_stats st;

			if (emu_vport_stats_get(fn->hw, p, &st) != 0)
				continue;
			for (i = 0; i < N_VPORT_FIELDS; i++) {
				uint64_t v;

				memcpy(&v, (const char *)&st + vport_fields[i].off,
				       sizeof(v));
				OUT("dev%u.port%u.%s %llu\n", d, p,
				    vport_fields[i].name, (unsigned long long)v);
			}
		}
	}
	pthread_mutex_unlock(&emu_rt_lock);
#undef OUT
	return off;
}

EMU_EXPORT void
mana_emu_set_strict(int on)
{
	if (emu_rt_ensure() != 0)
		return;
	emu_rt.cfg.strict = on != 0;
}

EMU_EXPORT int
mana_emu_remove(unsigned int dev)
{
	struct emu_fn *fn = fn_get(dev);
	int ret;

	if (fn == NULL)
		return -EINVAL;
	pthread_mutex_lock(&emu_rt_lock);
	ret = rt_remove(fn, false, 0);
	pthread_mutex_unlock(&emu_rt_lock);
	return ret;
}

EMU_EXPORT int
mana_emu_readd(unsigned int dev, const char *pci)
{
	struct emu_fn *fn = fn_get(dev);
	int ret;

	if (fn == NULL)
		return -EINVAL;
	pthread_mutex_lock(&emu_rt_lock);
	ret = rt_readd(fn, pci);
	pthread_mutex_unlock(&emu_rt_lock);
	return ret;
}

EMU_EXPORT int
mana_emu_reset(unsigned int dev, unsigned int delay_ms)
{
	struct emu_fn *fn = fn_get(dev);
	int ret;

	if (fn == NULL)
		return -EINVAL;
	pthread_mutex_lock(&emu_rt_lock);
	ret = rt_remove(fn, true, delay_ms);
	if (ret == 0 && delay_ms == 0)
		ret = rt_readd(fn, NULL);
	pthread_mutex_unlock(&emu_rt_lock);
	return ret;
}

EMU_EXPORT int
mana_emu_inject_tx_error(unsigned int dev, unsigned int port,
			 unsigned int count, unsigned int cqe_type)
{
	struct emu_fn *fn = fn_get(dev);
	uint32_t ids[64];
	unsigned int n, i;
	int ret = 0;

	if (fn == NULL || port >= fn->n_ports)
		return -EINVAL;
	pthread_mutex_lock(&emu_rt_lock);
	/* the SQs of that vPort */
	n = emu_uverbs_sq_ids(fn, port, ids, 64);
	for (i = 0; i < n && i < 64; i++)
		ret = emu_fault_tx_error(fn->hw, ids[i], count, cqe_type, 0);
	pthread_mutex_unlock(&emu_rt_lock);
	if (ret == 0 && n == 0)
		ret = -ENOENT;
	return ret;
}

EMU_EXPORT int
mana_emu_set_garbage_cqe(unsigned int dev, int on)
{
	struct emu_fn *fn = fn_get(dev);

	if (fn == NULL)
		return -EINVAL;
	return emu_fault_garbage_cqe(fn->hw, 0, on != 0);
}

EMU_EXPORT int
mana_emu_forge_cqe(unsigned int dev, unsigned int wq_types, unsigned int kind,
		   unsigned int count)
{
	struct emu_fn *fn = fn_get(dev);

	if (fn == NULL)
		return -EINVAL;
	return emu_fault_forge_cqe(fn->hw, wq_types, (enum emu_forge)kind, count);
}

EMU_EXPORT uint64_t
mana_emu_forged_cqes(unsigned int dev)
{
	struct emu_fn *fn = fn_get(dev);

	return fn == NULL ? 0 : emu_forged_cqes(fn->hw);
}

EMU_EXPORT int
mana_emu_set_netdev_up(unsigned int dev, unsigned int port, int up)
{
	struct emu_fn *fn = fn_get(dev);
	int ret;

	if (fn == NULL || port >= fn->n_ports)
		return -EINVAL;
	pthread_mutex_lock(&emu_rt_lock);
	ret = fn->state == EMU_FN_REMOVED ? -ENODEV :
	      set_netdev_up(fn, port, up);
	emu_rt_sync_netdevs();	/* drain our own inotify events */
	pthread_mutex_unlock(&emu_rt_lock);
	return ret;
}

void
emu_rt_dump_config(FILE *f)
{
	emu_cfg_dump(&emu_rt.cfg, f);
}
