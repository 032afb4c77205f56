/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * The libibverbs and libmana entry points of libmana-emu: verbs objects,
 * the checks libmana v44 and mana_ib apply, and the hardware commands
 * they issue to the emulated device.
 */

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "emu_verbs_priv.h"

/* libmana v44 / mana_ib constants (spec §7.3, §7.5, §8) */
#define EMU_V44_MAX_WR		256u	/* MAX_SEND_BUFFERS_PER_QUEUE */
#define EMU_MAX_RQE_SIZE	256u
#define EMU_MAX_SQE_SIZE	512u
#define EMU_MAX_TX_SGE		30u
#define EMU_MAX_RX_SGE		15u
#define EMU_MAX_LOG_IND_TBL	13u	/* IB_USER_VERBS_MAX_LOG_IND_TBL_SIZE */
#define EMU_IND_TBL_MAX		64u
#define EMU_PAGE		4096u
#define EMU_COMP_VECTORS	16

#define VALID_MR_ACCESS (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
			 IBV_ACCESS_REMOTE_READ)

#define container_of(p, type, member) \
	((type *)(void *)((char *)(p) - offsetof(type, member)))

static uint32_t
get_wqe_size(uint32_t sge)
{
	uint32_t s = 16 * sge + 8 + 8;

	return (s + 31) & ~31u;
}

static size_t
roundup_pow2(size_t x)
{
	size_t p = 1;

	while (p < x)
		p <<= 1;
	return p;
}

static size_t
align_hw_size(size_t x)
{
	x = roundup_pow2(x);
	return x < EMU_PAGE ? EMU_PAGE : x;
}

static void *
fail_ptr(int err)
{
	errno = err;
	return NULL;
}

static struct emu_ctx *
ctx_of(struct ibv_context *c)
{
	struct verbs_context *v = container_of(c, struct verbs_context, context);

	return container_of(v, struct emu_ctx, vctx);
}

static bool
allow_disassoc_destroy(void)
{
	return getenv("RDMAV_ALLOW_DISASSOC_DESTROY") != NULL;
}

static void
obj_link(struct emu_ctx *ctx, struct emu_obj *o, enum emu_obj_type type)
{
	o->type = type;
	o->ctx = ctx;
	TAILQ_INSERT_TAIL(&ctx->objs, o, next);
}

static void
obj_unlink(struct emu_obj *o)
{
	TAILQ_REMOVE(&o->ctx->objs, o, next);
}

static void
init_sync(pthread_mutex_t *m, pthread_cond_t *c)
{
	pthread_mutex_init(m, NULL);
	pthread_cond_init(c, NULL);
}

/*
 * Common prologue of every verbs call on a context: take the runtime lock,
 * or return EIO once the context was disassociated by a removal/reset.
 */
static int
enter(struct emu_ctx *ctx)
{
	pthread_mutex_lock(&emu_rt_lock);
	if (ctx->dead) {
		pthread_mutex_unlock(&emu_rt_lock);
		return EIO;
	}
	return 0;
}

static void
leave(void)
{
	pthread_mutex_unlock(&emu_rt_lock);
}

/* ------------------------------------------------------------- devices -- */

EMU_EXPORT struct ibv_device **
ibv_get_device_list(int *num_devices)
{
	struct ibv_device **list;
	struct emu_ibdev *d;
	int n = 0, ret;

	ret = emu_rt_ensure();
	if (ret != 0) {
		if (num_devices != NULL)
			*num_devices = 0;
		return fail_ptr(-ret);
	}
	pthread_mutex_lock(&emu_rt_lock);
	emu_rt_run_schedule();
	/*
	 * libmana=off: libibverbs finds the uverbs devices but no provider
	 * claims them, so it lists none (a warning on stderr, as it prints).
	 */
	if (emu_rt.cfg.no_libmana && !TAILQ_EMPTY(&emu_rt.ibdevs))
		fprintf(stderr, "libibverbs: Warning: couldn't load driver 'libmana-rdmav34.so'\n");
	TAILQ_FOREACH(d, &emu_rt.ibdevs, next)
		if (!d->gone && !emu_rt.cfg.no_libmana)
			n++;
	list = calloc((size_t)n + 1, sizeof(*list));
	if (list == NULL) {
		pthread_mutex_unlock(&emu_rt_lock);
		return fail_ptr(ENOMEM);
	}
	n = 0;
	TAILQ_FOREACH(d, &emu_rt.ibdevs, next)
		if (!d->gone && !emu_rt.cfg.no_libmana)
			list[n++] = &d->ibdev;
	pthread_mutex_unlock(&emu_rt_lock);
	if (num_devices != NULL)
		*num_devices = n;
	return list;
}

EMU_EXPORT void
ibv_free_device_list(struct ibv_device **list)
{
	free(list);
}

EMU_EXPORT const char *
ibv_get_device_name(struct ibv_device *device)
{
	return device->name;
}

EMU_EXPORT __be64
ibv_get_device_guid(struct ibv_device *device)
{
	struct emu_ibdev *d = container_of(device, struct emu_ibdev, ibdev);

	return htobe64(0x00155dfffe000000ull | d->index);
}

EMU_EXPORT int
ibv_get_device_index(struct ibv_device *device)
{
	struct emu_ibdev *d = container_of(device, struct emu_ibdev, ibdev);

	return (int)d->index;
}

EMU_EXPORT int
ibv_fork_init(void)
{
	return 0;
}

/* ------------------------------------------------------------ contexts -- */

static int
emu_query_port_op(struct ibv_context *context, uint8_t port_num,
		  struct ibv_port_attr *attr, size_t attr_len);
static int
emu_query_device_ex_op(struct ibv_context *context,
		       const struct ibv_query_device_ex_input *input,
		       struct ibv_device_attr_ex *attr, size_t attr_size);
static struct ibv_pd *
emu_alloc_parent_domain(struct ibv_context *context,
			struct ibv_parent_domain_init_attr *attr);
static struct ibv_wq *
emu_create_wq(struct ibv_context *context, struct ibv_wq_init_attr *attr);
static int emu_destroy_wq(struct ibv_wq *wq);
static int emu_modify_wq(struct ibv_wq *wq, struct ibv_wq_attr *attr);
static struct ibv_rwq_ind_table *
emu_create_rwq_ind_table(struct ibv_context *context,
			 struct ibv_rwq_ind_table_init_attr *attr);
static int emu_destroy_rwq_ind_table(struct ibv_rwq_ind_table *t);
static struct ibv_qp *
emu_create_qp_ex(struct ibv_context *context, struct ibv_qp_init_attr_ex *attr);

static int
emu_poll_cq_op(struct ibv_cq *cq, int n, struct ibv_wc *wc)
{
	(void)cq;
	(void)n;
	(void)wc;
	/* libmana v44: raw queues are polled by the user, not through verbs */
	return -EOPNOTSUPP;
}

static int
emu_req_notify_cq_op(struct ibv_cq *cq, int solicited)
{
	(void)cq;
	(void)solicited;
	return EOPNOTSUPP;
}

static int
emu_post_send_op(struct ibv_qp *qp, struct ibv_send_wr *wr,
		 struct ibv_send_wr **bad)
{
	(void)qp;
	if (bad != NULL)
		*bad = wr;
	return EOPNOTSUPP;
}

static int
emu_post_recv_op(struct ibv_qp *qp, struct ibv_recv_wr *wr,
		 struct ibv_recv_wr **bad)
{
	(void)qp;
	if (bad != NULL)
		*bad = wr;
	return EOPNOTSUPP;
}

EMU_EXPORT struct ibv_context *
ibv_open_device(struct ibv_device *device)
{
	struct emu_ibdev *d;
	struct emu_ctx *ctx;
	int fds[2];

	if (device == NULL)
		return fail_ptr(EINVAL);
	if (emu_rt_ensure() != 0)
		return fail_ptr(ENODEV);
	d = container_of(device, struct emu_ibdev, ibdev);
	pthread_mutex_lock(&emu_rt_lock);
	if (d->gone || d->fn == NULL || d->fn->ib != d) {
		pthread_mutex_unlock(&emu_rt_lock);
		return fail_ptr(ENODEV);
	}
	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL) {
		pthread_mutex_unlock(&emu_rt_lock);
		return fail_ptr(ENOMEM);
	}
	if (pipe2(fds, O_CLOEXEC) != 0) {
		int err = errno;

		free(ctx);
		pthread_mutex_unlock(&emu_rt_lock);
		return fail_ptr(err);
	}
	/* the device side never blocks; the user's end stays blocking */
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
	ctx->fn = d->fn;
	ctx->ib = d;
	ctx->async_wr = fds[1];
	TAILQ_INIT(&ctx->objs);
	ctx->vctx.sz = sizeof(struct verbs_context);
	ctx->vctx.query_port = emu_query_port_op;
	ctx->vctx.query_device_ex = emu_query_device_ex_op;
	ctx->vctx.alloc_parent_domain = emu_alloc_parent_domain;
	ctx->vctx.create_wq = emu_create_wq;
	ctx->vctx.destroy_wq = emu_destroy_wq;
	ctx->vctx.modify_wq = emu_modify_wq;
	ctx->vctx.create_rwq_ind_table = emu_create_rwq_ind_table;
	ctx->vctx.destroy_rwq_ind_table = emu_destroy_rwq_ind_table;
	ctx->vctx.create_qp_ex = emu_create_qp_ex;
	ctx->vctx.context.device = device;
	ctx->vctx.context.ops.poll_cq = emu_poll_cq_op;
	ctx->vctx.context.ops.req_notify_cq = emu_req_notify_cq_op;
	ctx->vctx.context.ops.post_send = emu_post_send_op;
	ctx->vctx.context.ops.post_recv = emu_post_recv_op;
	ctx->vctx.context.cmd_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ctx->vctx.context.async_fd = fds[0];
	ctx->vctx.context.num_comp_vectors = EMU_COMP_VECTORS;
	pthread_mutex_init(&ctx->vctx.context.mutex, NULL);
	ctx->vctx.context.abi_compat = __VERBS_ABI_IS_EXTENDED;
	TAILQ_INSERT_TAIL(&emu_rt.ctxs, ctx, next);
	pthread_mutex_unlock(&emu_rt_lock);
	return &ctx->vctx.context;
}

EMU_EXPORT int
ibv_close_device(struct ibv_context *context)
{
	struct emu_ctx *ctx = ctx_of(context);

	pthread_mutex_lock(&emu_rt_lock);
	emu_verbs_ctx_cleanup(ctx);
	TAILQ_REMOVE(&emu_rt.ctxs, ctx, next);
	pthread_mutex_unlock(&emu_rt_lock);
	close(ctx->async_wr);
	close(context->async_fd);
	if (context->cmd_fd >= 0)
		close(context->cmd_fd);
	pthread_mutex_destroy(&context->mutex);
	free(ctx);
	return 0;
}

static void
fill_device_attr(const struct emu_ctx *ctx, struct ibv_device_attr *a)
{
	const struct emu_cfg *cfg = &emu_rt.cfg;
	const struct emu_fn *fn = ctx->fn;

	memset(a, 0, sizeof(*a));
	snprintf(a->fw_ver, sizeof(a->fw_ver), "emu-0.1.0");
	a->node_guid = htobe64(0x00155dfffe000000ull | ctx->ib->index);
	a->sys_image_guid = a->node_guid;
	a->max_mr_size = UINT64_MAX;
	a->page_size_cap = 0x1ff000;	/* 4 KiB .. 2 MiB */
	a->vendor_id = 0x1414;
	/* IB-eth kernels report the GDMA device type (2 = MANA) */
	a->vendor_part_id = cfg->ibdev_mana ? 0 : 2;
	a->hw_ver = 0;
	a->max_qp = 64;
	a->max_qp_wr = (int)cfg->max_wr;
	a->max_sge = EMU_MAX_RX_SGE;
	a->max_cq = 128;
	a->max_cqe = (int)cfg->max_wr;
	a->max_mr = 0xffffff;
	a->max_pd = 0x6000;
	a->phys_port_cnt = (uint8_t)fn->n_ports;
}

EMU_EXPORT int
ibv_query_device(struct ibv_context *context, struct ibv_device_attr *attr)
{
	struct emu_ctx *ctx = ctx_of(context);
	int ret = enter(ctx);

	if (ret != 0)
		return ret;
	fill_device_attr(ctx, attr);
	leave();
	return 0;
}

static int
emu_query_device_ex_op(struct ibv_context *context,
		       const struct ibv_query_device_ex_input *input,
		       struct ibv_device_attr_ex *attr, size_t attr_size)
{
	struct emu_ctx *ctx = ctx_of(context);
	struct ibv_device_attr_ex a;
	int ret;

	if (input != NULL && input->comp_mask != 0)
		return EINVAL;
	if (attr_size < sizeof(attr->orig_attr))
		return EINVAL;
	ret = enter(ctx);
	if (ret != 0)
		return ret;
	memset(&a, 0, sizeof(a));
	fill_device_attr(ctx, &a.orig_attr);
	a.raw_packet_caps = emu_rt.cfg.ibdev_mana ? 0 : IBV_RAW_PACKET_CAP_IP_CSUM;
	a.max_wq_type_rq = 64;
	a.rss_caps.supported_qpts = 1u << IBV_QPT_RAW_PACKET;
	a.rss_caps.max_rwq_indirection_tables = 64;
	a.rss_caps.max_rwq_indirection_table_size = EMU_IND_TBL_MAX;
	a.rss_caps.rx_hash_function = IBV_RX_HASH_FUNC_TOEPLITZ;
	a.rss_caps.rx_hash_fields_mask = IBV_RX_HASH_SRC_IPV4 |
		IBV_RX_HASH_DST_IPV4 | IBV_RX_HASH_SRC_IPV6 |
		IBV_RX_HASH_DST_IPV6 | IBV_RX_HASH_SRC_PORT_TCP |
		IBV_RX_HASH_DST_PORT_TCP | IBV_RX_HASH_SRC_PORT_UDP |
		IBV_RX_HASH_DST_PORT_UDP;
	leave();
	memcpy(attr, &a, attr_size < sizeof(a) ? attr_size : sizeof(a));
	return 0;
}

static enum ibv_mtu
ib_mtu(unsigned int mtu)
{
	if (mtu >= 4096)
		return IBV_MTU_4096;
	if (mtu >= 2048)
		return IBV_MTU_2048;
	if (mtu >= 1024)
		return IBV_MTU_1024;
	if (mtu >= 512)
		return IBV_MTU_512;
	return IBV_MTU_256;
}

static int
query_port(struct emu_ctx *ctx, uint8_t port_num, struct ibv_port_attr *a)
{
	struct emu_fn *fn = ctx->fn;
	int ret = enter(ctx);
	int up;

	if (ret != 0)
		return ret;
	if (port_num < 1 || port_num > fn->n_ports) {
		leave();
		return EINVAL;
	}
	emu_rt_sync_netdevs_now();
	/* mana_ib: ACTIVE iff the netdev has carrier and is running */
	up = fn->netdev_up[port_num - 1];
	memset(a, 0, sizeof(*a));
	a->state = up ? IBV_PORT_ACTIVE : IBV_PORT_DOWN;
	a->max_mtu = IBV_MTU_4096;
	a->active_mtu = ib_mtu(fn->mtu[port_num - 1]);
	a->gid_tbl_len = 0;
	a->max_msg_sz = 0x40000000;
	a->pkey_tbl_len = 1;
	a->active_width = 2;	/* 4X */
	a->active_speed = 32;	/* EDR */
	a->phys_state = up ? 5 : 3;
	a->link_layer = IBV_LINK_LAYER_ETHERNET;
	leave();
	return 0;
}

static int
emu_query_port_op(struct ibv_context *context, uint8_t port_num,
		  struct ibv_port_attr *attr, size_t attr_len)
{
	struct ibv_port_attr a;
	int ret;

	ret = query_port(ctx_of(context), port_num, &a);
	if (ret == 0)
		memcpy(attr, &a, attr_len < sizeof(a) ? attr_len : sizeof(a));
	return ret;
}

/* The exported symbol, for callers compiled without the inline wrapper. */
#undef ibv_query_port
EMU_EXPORT int
ibv_query_port(struct ibv_context *context, uint8_t port_num,
	       struct _compat_ibv_port_attr *port_attr)
{
	struct ibv_port_attr a;
	int ret;

	ret = query_port(ctx_of(context), port_num, &a);
	if (ret == 0)
		memcpy(port_attr, &a, offsetof(struct ibv_port_attr, flags));
	return ret;
}

EMU_EXPORT int
ibv_query_gid(struct ibv_context *context, uint8_t port_num, int index,
	      union ibv_gid *gid)
{
	struct emu_ctx *ctx = ctx_of(context);
	int ret = enter(ctx);

	if (ret != 0)
		return ret;
	leave();
	(void)index;
	memset(gid, 0, sizeof(*gid));
	return port_num >= 1 && port_num <= ctx->fn->n_ports ? 0 : EINVAL;
}

EMU_EXPORT int
ibv_query_pkey(struct ibv_context *context, uint8_t port_num, int index,
	       __be16 *pkey)
{
	(void)context;
	(void)port_num;
	if (index != 0)
		return EINVAL;
	*pkey = htobe16(0xffff);
	return 0;
}

/* ----------------------------------------------------------- async fd -- */

static void
queue_async(struct emu_ctx *ctx, enum ibv_event_type type)
{
	struct ibv_async_event ev;
	ssize_t n;

	memset(&ev, 0, sizeof(ev));
	ev.event_type = type;
	ev.element.port_num = 0;
	n = write(ctx->async_wr, &ev, sizeof(ev));
	(void)n;
}

void
emu_verbs_disassociate(struct emu_fn *fn)
{
	struct emu_ctx *ctx;

	TAILQ_FOREACH(ctx, &emu_rt.ctxs, next) {
		if (ctx->fn != fn || ctx->dead)
			continue;
		ctx->dead = true;
		queue_async(ctx, IBV_EVENT_DEVICE_FATAL);
	}
}

EMU_EXPORT int
ibv_get_async_event(struct ibv_context *context, struct ibv_async_event *event)
{
	struct ibv_async_event ev;
	ssize_t n;

	n = read(context->async_fd, &ev, sizeof(ev));
	if (n != (ssize_t)sizeof(ev)) {
		if (n >= 0)
			errno = EIO;
		return -1;
	}
	*event = ev;
	return 0;
}

EMU_EXPORT void
ibv_ack_async_event(struct ibv_async_event *event)
{
	(void)event;
}

/* ----------------------------------------------------------- channels -- */

EMU_EXPORT struct ibv_comp_channel *
ibv_create_comp_channel(struct ibv_context *context)
{
	struct emu_ctx *ctx = ctx_of(context);
	struct ibv_comp_channel *ch;
	int fds[2];
	int ret = enter(ctx);

	if (ret != 0)
		return fail_ptr(ret);
	leave();
	/* two ints after the public struct: the pipe's write end */
	ch = calloc(1, sizeof(*ch) + 2 * sizeof(int));
	if (ch == NULL)
		return fail_ptr(ENOMEM);
	if (pipe2(fds, O_CLOEXEC) != 0) {
		ret = errno;
		free(ch);
		return fail_ptr(ret);
	}
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
	ch->context = context;
	ch->fd = fds[0];
	ch->refcnt = 0;
	((int *)(ch + 1))[0] = fds[1];
	__atomic_fetch_add(&emu_live_channels, 1, __ATOMIC_RELAXED);
	return ch;
}

EMU_EXPORT int
ibv_destroy_comp_channel(struct ibv_comp_channel *channel)
{
	if (channel->refcnt != 0)
		return EBUSY;
	close(channel->fd);
	close(((int *)(channel + 1))[0]);
	free(channel);
	__atomic_fetch_sub(&emu_live_channels, 1, __ATOMIC_RELAXED);
	return 0;
}

/* device thread (core lock held): one event per arm */
static void
cq_event_cb(void *arg, uint32_t cq_id)
{
	struct emu_cq *cq = arg;
	struct ibv_comp_channel *ch = cq->cq.channel;
	void *p = &cq->cq;
	ssize_t n;

	(void)cq_id;
	if (ch == NULL)
		return;
	n = write(((int *)(ch + 1))[0], &p, sizeof(p));
	(void)n;
}

EMU_EXPORT int
ibv_get_cq_event(struct ibv_comp_channel *channel, struct ibv_cq **cq,
		 void **cq_context)
{
	struct ibv_cq *c;
	ssize_t n;

	n = read(channel->fd, &c, sizeof(c));
	if (n != (ssize_t)sizeof(c)) {
		if (n >= 0)
			errno = EIO;
		return -1;
	}
	*cq = c;
	*cq_context = c->cq_context;
	return 0;
}

EMU_EXPORT void
ibv_ack_cq_events(struct ibv_cq *cq, unsigned int nevents)
{
	pthread_mutex_lock(&cq->mutex);
	cq->comp_events_completed += nevents;
	pthread_cond_signal(&cq->cond);
	pthread_mutex_unlock(&cq->mutex);
}

/* ---------------------------------------------------------------- PDs -- */

EMU_EXPORT struct ibv_pd *
ibv_alloc_pd(struct ibv_context *context)
{
	struct emu_ctx *ctx = ctx_of(context);
	struct emu_pd *pd;
	int ret = enter(ctx);

	if (ret != 0)
		return fail_ptr(ret);
	pd = calloc(1, sizeof(*pd));
	if (pd == NULL) {
		leave();
		return fail_ptr(ENOMEM);
	}
	ret = emu_pd_create(ctx->fn->hw, &pd->pdid);
	if (ret != 0) {
		free(pd);
		leave();
		return fail_ptr(-ret);
	}
	pd->pd.context = context;
	pd->pd.handle = pd->pdid;
	pd->base = pd;
	obj_link(ctx, &pd->obj, EMU_OBJ_PD);
	leave();
	return &pd->pd;
}

static struct ibv_pd *
emu_alloc_parent_domain(struct ibv_context *context,
			struct ibv_parent_domain_init_attr *attr)
{
	struct emu_ctx *ctx = ctx_of(context);
	struct emu_pd *pd, *base;
	int ret = enter(ctx);

	if (ret != 0)
		return fail_ptr(ret);
	/* libmana v44 accepts only PD_CONTEXT (HEAD: EOPNOTSUPP) */
	if (attr == NULL || attr->pd == NULL || attr->td != NULL ||
	    (attr->comp_mask & ~(uint32_t)IBV_PARENT_DOMAIN_INIT_ATTR_PD_CONTEXT)) {
		leave();
		return fail_ptr(emu_rt.cfg.rdma_core_head ? EOPNOTSUPP : EINVAL);
	}
	base = container_of(attr->pd, struct emu_pd, pd);
	if (base->parent || attr->pd->context != context) {
		leave();
		return fail_ptr(EINVAL);
	}
	pd = calloc(1, sizeof(*pd));
	if (pd == NULL) {
		leave();
		return fail_ptr(ENOMEM);
	}
	pd->pd.context = context;
	pd->pd.handle = base->pd.handle;
	pd->parent = true;
	pd->base = base;
	pd->pdid = base->pdid;
	if (attr->comp_mask & IBV_PARENT_DOMAIN_INIT_ATTR_PD_CONTEXT)
		pd->port = (uint32_t)(uintptr_t)attr->pd_context;
	base->refs++;
	obj_link(ctx, &pd->obj, EMU_OBJ_PD);
	leave();
	return &pd->pd;
}

static void
pd_free(struct emu_pd *pd)
{
	if (pd->parent)
		pd->base->refs--;
	else if (!pd->obj.ctx->dead)
		emu_pd_destroy(pd->obj.ctx->fn->hw, pd->pdid);
	obj_unlink(&pd->obj);
	free(pd);
}

EMU_EXPORT int
ibv_dealloc_pd(struct ibv_pd *ibpd)
{
	struct emu_pd *pd = container_of(ibpd, struct emu_pd, pd);
	struct emu_ctx *ctx = pd->obj.ctx;

	pthread_mutex_lock(&emu_rt_lock);
	if (ctx->dead) {
		if (!allow_disassoc_destroy()) {
			leave();
			return EIO;
		}
		if (pd->refs != 0) {
			/* objects still point at it: free at close */
			pd->obj.zombie = true;
			leave();
			return 0;
		}
	} else if (pd->refs != 0) {
		leave();
		return EBUSY;
	}
	pd_free(pd);
	leave();
	return 0;
}

/* ---------------------------------------------------------------- MRs -- */

static struct ibv_mr *
reg_mr(struct ibv_pd *ibpd, void *addr, size_t length, unsigned int access)
{
	struct emu_pd *pd = container_of(ibpd, struct emu_pd, pd);
	struct emu_ctx *ctx = pd->obj.ctx;
	struct emu_mr *mr;
	uint32_t lkey = 0, a = 0;
	int ret = enter(ctx);

	if (ret != 0)
		return fail_ptr(ret);
	if ((access & ~(unsigned int)VALID_MR_ACCESS) != 0 || length == 0 ||
	    (uintptr_t)addr + length < (uintptr_t)addr) {
		leave();
		return fail_ptr(EINVAL);
	}
	/* REMOTE_WRITE requires LOCAL_WRITE (uverbs core) */
	if ((access & IBV_ACCESS_REMOTE_WRITE) &&
	    !(access & IBV_ACCESS_LOCAL_WRITE)) {
		leave();
		return fail_ptr(EINVAL);
	}
	mr = calloc(1, sizeof(*mr));
	if (mr == NULL) {
		leave();
		return fail_ptr(ENOMEM);
	}
	if (access & IBV_ACCESS_LOCAL_WRITE)
		a |= EMU_ACCESS_LOCAL_WRITE;
	if (access & IBV_ACCESS_REMOTE_WRITE)
		a |= EMU_ACCESS_REMOTE_WRITE;
	if (access & IBV_ACCESS_REMOTE_READ)
		a |= EMU_ACCESS_REMOTE_READ;
	ret = emu_mr_create(ctx->fn->hw, pd->base->pdid, (uintptr_t)addr,
			    length, a, &lkey);
	if (ret != 0) {
		free(mr);
		leave();
		return fail_ptr(-ret);
	}
	mr->mr.context = ibpd->context;
	mr->mr.pd = ibpd;
	mr->mr.addr = addr;
	mr->mr.length = length;
	mr->mr.handle = lkey;
	mr->mr.lkey = lkey;
	mr->mr.rkey = lkey;
	mr->hw_live = true;
	mr->base = pd->base;
	pd->base->refs++;
	obj_link(ctx, &mr->obj, EMU_OBJ_MR);
	leave();
	return &mr->mr;
}

#undef ibv_reg_mr
EMU_EXPORT struct ibv_mr *
ibv_reg_mr(struct ibv_pd *pd, void *addr, size_t length, int access)
{
	return reg_mr(pd, addr, length, (unsigned int)access);
}

EMU_EXPORT struct ibv_mr *
ibv_reg_mr_iova2(struct ibv_pd *pd, void *addr, size_t length, uint64_t iova,
		 unsigned int access)
{
	/* the optional range is masked when the kernel lacks it */
	access &= ~(unsigned int)IBV_ACCESS_OPTIONAL_RANGE;
	if (iova != (uintptr_t)addr)
		return fail_ptr(EOPNOTSUPP);
	return reg_mr(pd, addr, length, access);
}

#undef ibv_reg_mr_iova
EMU_EXPORT struct ibv_mr *
ibv_reg_mr_iova(struct ibv_pd *pd, void *addr, size_t length, uint64_t iova,
		int access)
{
	return ibv_reg_mr_iova2(pd, addr, length, iova, (unsigned int)access);
}

static void
mr_free(struct emu_mr *mr)
{
	struct emu_pd *pd = mr->base;

	if (mr->hw_live && !mr->obj.ctx->dead)
		emu_mr_destroy(mr->obj.ctx->fn->hw, mr->mr.lkey);
	pd->base->refs--;
	obj_unlink(&mr->obj);
	free(mr);
}

EMU_EXPORT int
ibv_dereg_mr(struct ibv_mr *ibmr)
{
	struct emu_mr *mr = container_of(ibmr, struct emu_mr, mr);
	struct emu_ctx *ctx = mr->obj.ctx;

	pthread_mutex_lock(&emu_rt_lock);
	if (ctx->dead && !allow_disassoc_destroy()) {
		leave();
		return EIO;
	}
	mr_free(mr);
	leave();
	return 0;
}

/* ---------------------------------------------------------------- CQs -- */

EMU_EXPORT struct ibv_cq *
ibv_create_cq(struct ibv_context *context, int cqe, void *cq_context,
	      struct ibv_comp_channel *channel, int comp_vector)
{
	struct emu_ctx *ctx = ctx_of(context);
	struct emu_cq *cq;
	size_t size;
	int ret = enter(ctx);

	if (ret != 0)
		return fail_ptr(ret);
	ret = EINVAL;
	/* libmana v44: allocators are required, at most 256 entries */
	if (!ctx->has_alloc && !emu_rt.cfg.rdma_core_head)
		goto err;
	if (cqe < 1)
		goto err;
	if (!emu_rt.cfg.rdma_core_head && (uint32_t)cqe > EMU_V44_MAX_WR)
		goto err;
	/* mana_ib: cqe > max_cqe, cqe > U32_MAX / 64 */
	if ((uint32_t)cqe > emu_rt.cfg.max_wr || (uint32_t)cqe > UINT32_MAX / 64)
		goto err;
	if (comp_vector < 0 || comp_vector >= context->num_comp_vectors)
		goto err;
	if (!ctx->has_alloc) {
		/* HEAD without allocators makes an RNIC CQ: useless for raw */
		ret = EOPNOTSUPP;
		goto err;
	}
	cq = calloc(1, sizeof(*cq));
	if (cq == NULL) {
		ret = ENOMEM;
		goto err;
	}
	size = align_hw_size((size_t)cqe * 64);
	cq->alloc = ctx->alloc;
	cq->buf = ctx->alloc.alloc(size, ctx->alloc.data);
	if (cq->buf == NULL) {
		free(cq);
		ret = ENOMEM;
		goto err;
	}
	cq->buf_size = size;
	cq->depth = (uint32_t)cqe;
	cq->cq.context = context;
	cq->cq.channel = channel;
	cq->cq.cq_context = cq_context;
	cq->cq.cqe = cqe;
	init_sync(&cq->cq.mutex, &cq->cq.cond);
	if (channel != NULL)
		channel->refcnt++;
	obj_link(ctx, &cq->obj, EMU_OBJ_CQ);
	leave();
	return &cq->cq;
err:
	leave();
	return fail_ptr(ret);
}

static void
cq_free(struct emu_cq *cq, bool free_buf)
{
	if (cq->cq.channel != NULL)
		cq->cq.channel->refcnt--;
	if (free_buf && cq->alloc.free != NULL)
		cq->alloc.free(cq->buf, cq->alloc.data);
	obj_unlink(&cq->obj);
	free(cq);
}

EMU_EXPORT int
ibv_destroy_cq(struct ibv_cq *ibcq)
{
	struct emu_cq *cq = container_of(ibcq, struct emu_cq, cq);
	struct emu_ctx *ctx = cq->obj.ctx;

	pthread_mutex_lock(&emu_rt_lock);
	if (ctx->dead) {
		if (!allow_disassoc_destroy()) {
			leave();
			return EIO;
		}
		if (cq->user != NULL) {
			/* its queue still points at it: memory back now,
			 * the object at close
			 */
			cq->alloc.free(cq->buf, cq->alloc.data);
			cq->buf = NULL;
			cq->obj.zombie = true;
			leave();
			return 0;
		}
	} else if (cq->user != NULL) {
		leave();
		return EBUSY;
	}
	cq_free(cq, true);
	leave();
	return 0;
}

EMU_EXPORT int
ibv_resize_cq(struct ibv_cq *cq, int cqe)
{
	(void)cq;
	(void)cqe;
	return EOPNOTSUPP;
}

/* ----------------------------------------------------- doorbell pages -- */

static int
db_get(struct emu_ctx *ctx, struct emu_db_page *db, void **map)
{
	void *m;
	int ret;

	ret = emu_db_page_alloc(ctx->fn->hw, db);
	if (ret != 0)
		return ret;
	/* our own mapping, as libmana mmaps the uverbs fd */
	m = mmap(NULL, EMU_DB_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 db->fd, 0);
	if (m == MAP_FAILED) {
		ret = -errno;
		emu_db_page_free(ctx->fn->hw, db->id);
		return ret;
	}
	*map = m;
	return 0;
}

static void
db_put(struct emu_ctx *ctx, struct emu_db_page *db, void *map)
{
	/* after a removal the page is gone with the device; keep our
	 * mapping: doorbell writes stay harmless, as on the zapped VMA
	 */
	if (ctx->dead)
		return;
	emu_db_page_free(ctx->fn->hw, db->id);
	munmap(map, EMU_DB_PAGE_SIZE);
}

/*
 * Drop doorbell values the device has not sampled yet, before the queue
 * they name is destroyed: hardware would process or ignore them, it would
 * not see a doorbell for a queue that no longer exists.
 */
static void
db_discard(void *map, uint32_t off)
{
	__atomic_exchange_n((uint64_t *)(void *)((char *)map + off), 0,
			    __ATOMIC_ACQ_REL);
}

/* ---------------------------------------------------------------- WQs -- */

static struct ibv_wq *
emu_create_wq(struct ibv_context *context, struct ibv_wq_init_attr *attr)
{
	struct emu_ctx *ctx = ctx_of(context);
	const struct emu_cfg *cfg = &emu_rt.cfg;
	struct emu_wq *wq;
	struct emu_pd *pd;
	size_t size;
	int ret = enter(ctx);

	if (ret != 0)
		return fail_ptr(ret);
	ret = EINVAL;
	if (!ctx->has_alloc)
		goto err;
	if (attr->wq_type != IBV_WQT_RQ || attr->pd == NULL ||
	    attr->cq == NULL || attr->max_wr < 1)
		goto err;
	if (!cfg->rdma_core_head && (attr->max_wr > EMU_V44_MAX_WR ||
				     get_wqe_size(attr->max_sge) > EMU_MAX_RQE_SIZE))
		goto err;
	if (attr->max_wr > cfg->max_wr || attr->max_sge > EMU_MAX_RX_SGE)
		goto err;
	if (attr->pd->context != context || attr->cq->context != context)
		goto err;
	pd = container_of(attr->pd, struct emu_pd, pd);
	wq = calloc(1, sizeof(*wq));
	if (wq == NULL) {
		ret = ENOMEM;
		goto err;
	}
	size = align_hw_size((size_t)attr->max_wr * get_wqe_size(attr->max_sge));
	wq->alloc = ctx->alloc;
	wq->buf = ctx->alloc.alloc(size, ctx->alloc.data);
	if (wq->buf == NULL) {
		free(wq);
		ret = ENOMEM;
		goto err;
	}
	ret = db_get(ctx, &wq->db, &wq->db_map);
	if (ret != 0) {
		wq->alloc.free(wq->buf, wq->alloc.data);
		free(wq);
		ret = -ret;
		goto err;
	}
	wq->db_live = true;
	wq->size = (uint32_t)size;
	wq->max_wr = attr->max_wr;
	wq->max_sge = attr->max_sge;
	wq->pd = pd->base;	/* the parent domain may go first */
	wq->cq = container_of(attr->cq, struct emu_cq, cq);
	wq->wq.context = context;
	wq->wq.pd = attr->pd;
	wq->wq.cq = attr->cq;
	wq->wq.wq_type = IBV_WQT_RQ;
	wq->wq.state = IBV_WQS_RDY;
	wq->wq.wq_num = wq->db.id;
	pd->base->refs++;
	obj_link(ctx, &wq->obj, EMU_OBJ_WQ);
	leave();
	return &wq->wq;
err:
	leave();
	return fail_ptr(ret);
}

static void
wq_free(struct emu_wq *wq, bool free_buf)
{
	struct emu_ctx *ctx = wq->obj.ctx;

	if (wq->db_live)
		db_put(ctx, &wq->db, wq->db_map);
	if (free_buf)
		wq->alloc.free(wq->buf, wq->alloc.data);
	wq->pd->base->refs--;
	obj_unlink(&wq->obj);
	free(wq);
}

static int
emu_destroy_wq(struct ibv_wq *ibwq)
{
	struct emu_wq *wq = container_of(ibwq, struct emu_wq, wq);
	struct emu_ctx *ctx = wq->obj.ctx;

	pthread_mutex_lock(&emu_rt_lock);
	if (ctx->dead) {
		if (!allow_disassoc_destroy()) {
			leave();
			return EIO;
		}
		if (wq->rss_qp != NULL) {
			wq->alloc.free(wq->buf, wq->alloc.data);
			wq->buf = NULL;
			wq->obj.zombie = true;
			leave();
			return 0;
		}
	} else if (wq->rss_qp != NULL) {
		leave();
		return EBUSY;
	}
	wq_free(wq, true);
	leave();
	return 0;
}

static int
emu_modify_wq(struct ibv_wq *wq, struct ibv_wq_attr *attr)
{
	struct emu_ctx *ctx = ctx_of(wq->context);
	int ret = enter(ctx);

	(void)attr;
	if (ret != 0)
		return ret;
	leave();
	return EOPNOTSUPP;
}

/* ---------------------------------------------------- indirection tables -- */

static struct ibv_rwq_ind_table *
emu_create_rwq_ind_table(struct ibv_context *context,
			 struct ibv_rwq_ind_table_init_attr *attr)
{
	struct emu_ctx *ctx = ctx_of(context);
	struct emu_ind *t;
	uint32_t n, i;
	int ret = enter(ctx);

	if (ret != 0)
		return fail_ptr(ret);
	if (attr->log_ind_tbl_size > EMU_MAX_LOG_IND_TBL || attr->comp_mask) {
		leave();
		return fail_ptr(EINVAL);
	}
	n = 1u << attr->log_ind_tbl_size;
	for (i = 0; i < n; i++) {
		if (attr->ind_tbl[i] == NULL ||
		    attr->ind_tbl[i]->context != context) {
			leave();
			return fail_ptr(EINVAL);
		}
	}
	t = calloc(1, sizeof(*t));
	if (t != NULL)
		t->wqs = calloc(n, sizeof(*t->wqs));
	if (t == NULL || t->wqs == NULL) {
		free(t);
		leave();
		return fail_ptr(ENOMEM);
	}
	for (i = 0; i < n; i++)
		t->wqs[i] = container_of(attr->ind_tbl[i], struct emu_wq, wq);
	t->n = n;
	t->log_size = attr->log_ind_tbl_size;
	t->t.context = context;
	t->t.ind_tbl_handle = (int)(uintptr_t)t & 0x7fffffff;
	t->t.ind_tbl_num = t->t.ind_tbl_handle;
	obj_link(ctx, &t->obj, EMU_OBJ_IND);
	leave();
	return &t->t;
}

static void
ind_free(struct emu_ind *t)
{
	obj_unlink(&t->obj);
	free(t->wqs);
	free(t);
}

static int
emu_destroy_rwq_ind_table(struct ibv_rwq_ind_table *it)
{
	struct emu_ind *t = container_of(it, struct emu_ind, t);
	struct emu_ctx *ctx = t->obj.ctx;

	pthread_mutex_lock(&emu_rt_lock);
	if (ctx->dead) {
		if (!allow_disassoc_destroy()) {
			leave();
			return EIO;
		}
		if (t->refs != 0) {
			t->obj.zombie = true;
			leave();
			return 0;
		}
	} else if (t->refs != 0) {
		leave();
		return EBUSY;
	}
	ind_free(t);
	leave();
	return 0;
}

/* ---------------------------------------------------------------- QPs -- */

static int
busy_errno(int ret)
{
	return ret == -EBUSY ? emu_rt.cfg.busy_errno : -ret;
}

static struct ibv_qp *
create_qp_raw(struct emu_ctx *ctx, struct ibv_pd *ibpd,
	      struct ibv_qp_init_attr *attr)
{
	const struct emu_cfg *cfg = &emu_rt.cfg;
	struct emu_wq_obj_attr wa;
	struct emu_wq_obj_info info;
	struct emu_pd *pd, *base;
	struct emu_cq *cq;
	struct emu_qp *qp;
	uint32_t port;
	size_t size;
	int ret;

	if (!ctx->has_alloc)
		return fail_ptr(EINVAL);
	pd = container_of(ibpd, struct emu_pd, pd);
	if (!pd->parent)
		return fail_ptr(EINVAL);	/* "without attaching to a domain" */
	base = pd->base;
	if (!cfg->rdma_core_head &&
	    (attr->cap.max_send_wr > EMU_V44_MAX_WR ||
	     get_wqe_size(attr->cap.max_send_sge) > EMU_MAX_SQE_SIZE))
		return fail_ptr(EINVAL);
	if (attr->cap.max_send_wr < 1 || attr->cap.max_send_wr > cfg->max_wr ||
	    attr->cap.max_send_sge > EMU_MAX_TX_SGE)
		return fail_ptr(EINVAL);
	port = pd->port;
	if (port < 1 || port > ctx->fn->n_ports)
		return fail_ptr(EINVAL);
	if (attr->send_cq == NULL || attr->send_cq->context != &ctx->vctx.context)
		return fail_ptr(EINVAL);
	cq = container_of(attr->send_cq, struct emu_cq, cq);
	if (cq->user != NULL)
		return fail_ptr(EINVAL);	/* its DMA region is taken */
	if (cfg->kernel2026 && base->bound_port != 0 && base->bound_port != port)
		return fail_ptr(EINVAL);

	qp = calloc(1, sizeof(*qp));
	if (qp == NULL)
		return fail_ptr(ENOMEM);
	size = align_hw_size((size_t)attr->cap.max_send_wr *
			     get_wqe_size(attr->cap.max_send_sge));
	qp->alloc = ctx->alloc;
	qp->buf = ctx->alloc.alloc(size, ctx->alloc.data);
	if (qp->buf == NULL) {
		ret = -ENOMEM;
		goto err_free;
	}
	qp->size = (uint32_t)size;
	qp->count = attr->cap.max_send_wr;
	ret = db_get(ctx, &qp->db, &qp->db_map);
	if (ret != 0)
		goto err_buf;
	qp->db_live = true;
	ret = emu_vport_config_tx(ctx->fn->hw, port - 1, base->pdid, qp->db.id,
				  &qp->tx_vp_offset);
	if (ret != 0) {
		ret = -busy_errno(ret);
		goto err_db;
	}
	qp->vport_cfg = true;
	memset(&wa, 0, sizeof(wa));
	wa.type = EMU_WQ_SQ;
	wa.pdid = base->pdid;
	wa.db_page_id = qp->db.id;
	wa.wq_buf = qp->buf;
	wa.wq_size = qp->size;
	wa.cq_buf = cq->buf;
	wa.cq_depth = cq->depth;
	ret = emu_wq_obj_create(ctx->fn->hw, port - 1, &wa, &info);
	if (ret != 0)
		goto err_vport;
	qp->hw_live = true;
	qp->sq_id = info.wq_id;
	qp->handle = info.handle;
	cq->cq_id = info.cq_id;
	cq->user = qp;
	if (cq->cq.channel != NULL)
		emu_cq_set_event(ctx->fn->hw, cq->cq_id, cq_event_cb, cq, -1);
	qp->cq = cq;
	qp->pd = pd->base;	/* the parent domain may go first */
	qp->port = port;
	base->bound_port = port;
	base->n_raw_qps++;
	base->refs++;
	qp->qp.context = &ctx->vctx.context;
	qp->qp.qp_context = attr->qp_context;
	qp->qp.pd = ibpd;
	qp->qp.send_cq = attr->send_cq;
	qp->qp.recv_cq = attr->recv_cq;
	qp->qp.qp_num = qp->sq_id;
	qp->qp.handle = qp->sq_id;
	qp->qp.state = IBV_QPS_RTS;
	qp->qp.qp_type = IBV_QPT_RAW_PACKET;
	init_sync(&qp->qp.mutex, &qp->qp.cond);
	obj_link(ctx, &qp->obj, EMU_OBJ_QP);
	return &qp->qp;

err_vport:
	emu_vport_unconfig_tx(ctx->fn->hw, port - 1, base->pdid);
err_db:
	db_put(ctx, &qp->db, qp->db_map);
err_buf:
	qp->alloc.free(qp->buf, qp->alloc.data);
err_free:
	free(qp);
	return fail_ptr(-ret);
}

EMU_EXPORT struct ibv_qp *
ibv_create_qp(struct ibv_pd *pd, struct ibv_qp_init_attr *attr)
{
	struct emu_ctx *ctx = ctx_of(pd->context);
	struct ibv_qp *qp;
	int ret = enter(ctx);

	if (ret != 0)
		return fail_ptr(ret);
	emu_rt_sync_netdevs_now();	/* the vPort is configured with them */
	if (attr->qp_type != IBV_QPT_RAW_PACKET || attr->srq != NULL) {
		leave();
		return fail_ptr(EOPNOTSUPP);
	}
	qp = create_qp_raw(ctx, pd, attr);
	leave();
	return qp;
}

static void
rss_unwind(struct emu_ctx *ctx, struct emu_ind *t, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		struct emu_wq *wq = t->wqs[i];

		emu_cq_set_event(ctx->fn->hw, wq->cq->cq_id, NULL, NULL, -1);
		db_discard(wq->db_map, 0x400);
		db_discard(wq->db_map, 0x800);
		emu_wq_obj_destroy(ctx->fn->hw, wq->handle);
		wq->hw_live = false;
		wq->rss_qp = NULL;
		wq->cq->user = NULL;
		wq->cq->cq_id = 0;
		wq->wq_id = 0;
	}
}

static struct ibv_qp *
create_qp_rss(struct emu_ctx *ctx, struct ibv_qp_init_attr_ex *attr)
{
	const struct emu_cfg *cfg = &emu_rt.cfg;
	struct emu_vport_rx_config rx;
	struct emu_pd *pd;
	struct emu_ind *t;
	struct emu_qp *qp;
	uint32_t port, i, j;
	int ret;

	if (!(attr->comp_mask & IBV_QP_INIT_ATTR_PD) || attr->pd == NULL ||
	    !(attr->comp_mask & IBV_QP_INIT_ATTR_IND_TABLE) ||
	    attr->rwq_ind_tbl == NULL)
		return fail_ptr(EINVAL);
	pd = container_of(attr->pd, struct emu_pd, pd);
	if (!pd->parent)
		return fail_ptr(EINVAL);
	if (attr->rx_hash_conf.rx_hash_key_len != EMU_RSS_KEY_SIZE ||
	    attr->rx_hash_conf.rx_hash_key == NULL)
		return fail_ptr(EINVAL);
	if (attr->rx_hash_conf.rx_hash_function != IBV_RX_HASH_FUNC_TOEPLITZ)
		return fail_ptr(EINVAL);
	t = container_of(attr->rwq_ind_tbl, struct emu_ind, t);
	if (t->n > EMU_IND_TBL_MAX)
		return fail_ptr(EINVAL);
	if (attr->cap.max_recv_wr > cfg->max_wr ||
	    attr->cap.max_recv_sge > EMU_MAX_RX_SGE)
		return fail_ptr(EINVAL);
	port = pd->port;
	if (port < 1 || port > ctx->fn->n_ports)
		return fail_ptr(EINVAL);
	if (cfg->kernel2026 &&
	    (pd->base->n_raw_qps == 0 || pd->base->bound_port != port))
		return fail_ptr(EINVAL);	/* vPort not configured by a raw QP */
	for (i = 0; i < t->n; i++) {
		struct emu_wq *wq = t->wqs[i];

		if (wq->rss_qp != NULL || wq->cq->user != NULL)
			return fail_ptr(EINVAL);
		for (j = 0; j < i; j++)
			if (t->wqs[j] == wq)
				return fail_ptr(EINVAL);
	}
	qp = calloc(1, sizeof(*qp));
	if (qp == NULL)
		return fail_ptr(ENOMEM);
	for (i = 0; i < t->n; i++) {
		struct emu_wq *wq = t->wqs[i];
		struct emu_wq_obj_attr wa;
		struct emu_wq_obj_info info;

		memset(&wa, 0, sizeof(wa));
		wa.type = EMU_WQ_RQ;
		wa.pdid = pd->base->pdid;
		wa.db_page_id = wq->db.id;
		wa.wq_buf = wq->buf;
		wa.wq_size = wq->size;
		wa.cq_buf = wq->cq->buf;
		wa.cq_depth = wq->cq->depth;
		ret = emu_wq_obj_create(ctx->fn->hw, port - 1, &wa, &info);
		if (ret != 0) {
			rss_unwind(ctx, t, i);
			free(qp);
			return fail_ptr(-ret);
		}
		wq->hw_live = true;
		wq->wq_id = info.wq_id;
		wq->handle = info.handle;
		wq->rss_qp = qp;
		wq->cq->cq_id = info.cq_id;
		wq->cq->user = wq;
		if (wq->cq->cq.channel != NULL)
			emu_cq_set_event(ctx->fn->hw, info.cq_id, cq_event_cb,
					 wq->cq, -1);
	}
	/* mana_ib_cfg_vport_steering: 64 entries, the verbs table replicated */
	memset(&rx, 0, sizeof(rx));
	memcpy(rx.hash_key, attr->rx_hash_conf.rx_hash_key, EMU_RSS_KEY_SIZE);
	for (i = 0; i < EMU_RSS_TABLE_SIZE; i++)
		rx.table[i] = t->wqs[i % t->n]->handle;
	rx.default_rxobj = t->wqs[t->n - 1]->handle;
	rx.rx_enable = true;
	rx.rss_enable = t->log_size > 0;
	rx.cqe_coalescing = cfg->coalescing != 0;
	ret = emu_vport_config_rx(ctx->fn->hw, port - 1, &rx);
	if (ret != 0) {
		rss_unwind(ctx, t, t->n);
		free(qp);
		return fail_ptr(-ret);
	}
	qp->rss = true;
	qp->ind = t;
	qp->pd = pd->base;	/* the parent domain may go first */
	qp->port = port;
	qp->hw_live = true;
	t->refs++;
	pd->base->refs++;
	qp->qp.context = &ctx->vctx.context;
	qp->qp.qp_context = attr->qp_context;
	qp->qp.pd = attr->pd;
	qp->qp.qp_num = t->wqs[0]->wq_id | 0x800000;
	qp->qp.handle = qp->qp.qp_num;
	qp->qp.state = IBV_QPS_RTS;
	qp->qp.qp_type = IBV_QPT_RAW_PACKET;
	init_sync(&qp->qp.mutex, &qp->qp.cond);
	obj_link(ctx, &qp->obj, EMU_OBJ_QP);
	return &qp->qp;
}

static struct ibv_qp *
emu_create_qp_ex(struct ibv_context *context, struct ibv_qp_init_attr_ex *attr)
{
	struct emu_ctx *ctx = ctx_of(context);
	struct ibv_qp *qp;
	int ret = enter(ctx);

	if (ret != 0)
		return fail_ptr(ret);
	emu_rt_sync_netdevs_now();	/* the vPort is configured with them */
	if (attr->qp_type != IBV_QPT_RAW_PACKET) {
		leave();
		return fail_ptr(EOPNOTSUPP);
	}
	if (attr->comp_mask & (IBV_QP_INIT_ATTR_RX_HASH |
			       IBV_QP_INIT_ATTR_IND_TABLE)) {
		if (!(attr->comp_mask & IBV_QP_INIT_ATTR_RX_HASH)) {
			leave();
			return fail_ptr(EINVAL);
		}
		qp = create_qp_rss(ctx, attr);
	} else if (attr->pd == NULL) {
		qp = fail_ptr(EINVAL);
	} else {
		qp = create_qp_raw(ctx, attr->pd,
				   (struct ibv_qp_init_attr *)attr);
	}
	leave();
	return qp;
}

static void
qp_free(struct emu_qp *qp, bool free_buf)
{
	struct emu_ctx *ctx = qp->obj.ctx;
	struct emu_dev *hw = ctx->fn->hw;

	if (ctx->dead) {
		qp->hw_live = false;
		qp->vport_cfg = false;
	}
	if (qp->rss) {
		if (qp->hw_live) {
			emu_vport_disable_rx(hw, qp->port - 1);
			rss_unwind(ctx, qp->ind, qp->ind->n);
		} else {
			uint32_t i;

			for (i = 0; i < qp->ind->n; i++) {
				qp->ind->wqs[i]->rss_qp = NULL;
				qp->ind->wqs[i]->cq->user = NULL;
			}
		}
		qp->ind->refs--;
	} else {
		if (qp->hw_live) {
			emu_cq_set_event(hw, qp->cq->cq_id, NULL, NULL, -1);
			db_discard(qp->db_map, 0x000);
			db_discard(qp->db_map, 0x800);
			emu_wq_obj_destroy(hw, qp->handle);
		}
		if (qp->vport_cfg)
			emu_vport_unconfig_tx(hw, qp->port - 1, qp->pd->base->pdid);
		qp->cq->user = NULL;
		qp->cq->cq_id = 0;
		if (qp->db_live)
			db_put(ctx, &qp->db, qp->db_map);
		if (free_buf)
			qp->alloc.free(qp->buf, qp->alloc.data);
		if (--qp->pd->base->n_raw_qps == 0)
			qp->pd->base->bound_port = 0;
	}
	qp->pd->base->refs--;
	obj_unlink(&qp->obj);
	free(qp);
}

EMU_EXPORT int
ibv_destroy_qp(struct ibv_qp *ibqp)
{
	struct emu_qp *qp = container_of(ibqp, struct emu_qp, qp);
	struct emu_ctx *ctx = qp->obj.ctx;

	pthread_mutex_lock(&emu_rt_lock);
	if (ctx->dead && !allow_disassoc_destroy()) {
		leave();
		return EIO;
	}
	qp_free(qp, true);
	leave();
	return 0;
}

EMU_EXPORT int
ibv_modify_qp(struct ibv_qp *qp, struct ibv_qp_attr *attr, int attr_mask)
{
	struct emu_ctx *ctx = ctx_of(qp->context);
	int ret = enter(ctx);

	(void)attr;
	(void)attr_mask;
	if (ret != 0)
		return ret;
	leave();
	return EOPNOTSUPP;
}

EMU_EXPORT int
ibv_query_qp(struct ibv_qp *qp, struct ibv_qp_attr *attr, int attr_mask,
	     struct ibv_qp_init_attr *init_attr)
{
	struct emu_ctx *ctx = ctx_of(qp->context);
	int ret = enter(ctx);

	(void)attr;
	(void)attr_mask;
	(void)init_attr;
	if (ret != 0)
		return ret;
	leave();
	return EOPNOTSUPP;
}

/* ------------------------------------------------------------- manadv -- */

EMU_EXPORT int
manadv_set_context_attr(struct ibv_context *context,
			enum manadv_set_ctx_attr_type type, void *attr)
{
	struct emu_ctx *ctx = ctx_of(context);
	const struct manadv_ctx_allocators *a = attr;

	if (type != MANADV_CTX_ATTR_BUF_ALLOCATORS)
		return EOPNOTSUPP;
	pthread_mutex_lock(&emu_rt_lock);
	ctx->alloc = *a;
	ctx->has_alloc = a->alloc != NULL && a->free != NULL;
	pthread_mutex_unlock(&emu_rt_lock);
	return 0;
}

EMU_EXPORT int
manadv_init_obj(struct manadv_obj *obj, uint64_t obj_type)
{
	if (obj_type & ~(uint64_t)(MANADV_OBJ_QP | MANADV_OBJ_CQ |
				   MANADV_OBJ_RWQ))
		return EINVAL;
	pthread_mutex_lock(&emu_rt_lock);
	if (obj_type & MANADV_OBJ_QP) {
		struct emu_qp *qp = container_of(obj->qp.in, struct emu_qp, qp);
		struct manadv_qp *o = obj->qp.out;

		o->sq_buf = qp->buf;
		o->sq_count = qp->count;
		o->sq_size = qp->size;
		o->sq_id = qp->sq_id;
		o->tx_vp_offset = qp->tx_vp_offset;
		o->db_page = qp->db_map;
	}
	if (obj_type & MANADV_OBJ_CQ) {
		struct emu_cq *cq = container_of(obj->cq.in, struct emu_cq, cq);
		struct manadv_cq *o = obj->cq.out;

		o->buf = cq->buf;
		o->count = cq->depth;
		o->cq_id = cq->cq_id;
	}
	if (obj_type & MANADV_OBJ_RWQ) {
		struct emu_wq *wq = container_of(obj->rwq.in, struct emu_wq, wq);
		struct manadv_rwq *o = obj->rwq.out;

		o->buf = wq->buf;
		o->count = wq->max_wr;
		o->size = wq->size;
		o->wq_id = wq->wq_id;
		o->db_page = wq->db_map;
	}
	pthread_mutex_unlock(&emu_rt_lock);
	return 0;
}

/* ------------------------------------------------------------ cleanup -- */

void
emu_verbs_ctx_cleanup(struct emu_ctx *ctx)
{
	static const enum emu_obj_type order[] = {
		EMU_OBJ_QP, EMU_OBJ_IND, EMU_OBJ_WQ, EMU_OBJ_CQ, EMU_OBJ_MR,
		EMU_OBJ_PD,
	};
	struct emu_obj *o, *tmp;
	unsigned int i, pass;

	/* as the kernel on close: destroy what the user left, RSS QPs first;
	 * user memory is not the kernel's to free.
	 */
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		for (pass = 0; pass < 2; pass++) {
			for (o = TAILQ_FIRST(&ctx->objs); o != NULL; o = tmp) {
				tmp = TAILQ_NEXT(o, next);
				if (o->type != order[i])
					continue;
				switch (o->type) {
				case EMU_OBJ_QP: {
					struct emu_qp *qp =
						container_of(o, struct emu_qp, obj);

					if (qp->rss == (pass == 0))
						qp_free(qp, false);
					break;
				}
				case EMU_OBJ_IND:
					ind_free(container_of(o, struct emu_ind, obj));
					break;
				case EMU_OBJ_WQ:
					wq_free(container_of(o, struct emu_wq, obj),
						false);
					break;
				case EMU_OBJ_CQ:
					cq_free(container_of(o, struct emu_cq, obj),
						false);
					break;
				case EMU_OBJ_MR:
					mr_free(container_of(o, struct emu_mr, obj));
					break;
				case EMU_OBJ_PD: {
					struct emu_pd *pd =
						container_of(o, struct emu_pd, obj);

					if (pd->parent == (pass == 0))
						pd_free(pd);
					break;
				}
				}
			}
		}
	}
}
