/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * The emulated mana_ib kernel driver behind /dev/infiniband/uverbsN: the
 * uverbs write() commands (legacy and extended) as the kernel decodes them,
 * the uverbs objects of each ucontext, mana_ib's rules and errors, and the
 * hardware commands it issues to the device core (spec §6.6, §7, §9).
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rdma/ib_user_ioctl_verbs.h>
#include <rdma/ib_user_verbs.h>
#include <rdma/rdma_user_ioctl_cmds.h>

#include "emu_mana_abi.h"
#include "emu_verbs_priv.h"

#define EMU_MAX_TX_SGE		30u	/* MAX_TX_WQE_SGL_ENTRIES */
#define EMU_MAX_RX_SGE		15u	/* MAX_RX_WQE_SGL_ENTRIES */
#define EMU_COMP_VECTORS	16u
#define EMU_PAGE		4096u

/* ib_verbs.h values the uAPI does not spell */
#define EMU_IB_QPT_RAW_PACKET	8u
#define EMU_IB_WQT_RQ		0u
#define EMU_IB_EVENT_DEVICE_FATAL 8u
#define EMU_IB_NODE_CA		1u
#define EMU_VALID_MR_ACCESS	(IB_UVERBS_ACCESS_LOCAL_WRITE | \
				 IB_UVERBS_ACCESS_REMOTE_WRITE | \
				 IB_UVERBS_ACCESS_REMOTE_READ)

/** One decoded write(): where the core and driver parts of each side are. */
struct emu_cmd {
	struct emu_uctx *ctx;
	const uint8_t *in;		/* core command */
	size_t in_len;
	const uint8_t *udata;		/* driver data in */
	size_t udata_len;
	uint8_t *out;			/* core response (user memory) */
	size_t out_len;
	uint8_t *uout;			/* driver response (user memory) */
	size_t uout_len;
	bool ex;
};

/* ------------------------------------------------------------ objects -- */

static void
obj_link(struct emu_uctx *ctx, struct emu_obj *o, enum emu_obj_type type,
	 uint64_t user_handle)
{
	o->type = type;
	o->ctx = ctx;
	o->handle = ctx->next_handle++;
	o->user_handle = user_handle;
	TAILQ_INSERT_TAIL(&ctx->objs, o, next);
}

static void
obj_free(struct emu_obj *o)
{
	TAILQ_REMOVE(&o->ctx->objs, o, next);
	free(o);
}

static void *
obj_get(struct emu_uctx *ctx, uint32_t handle, enum emu_obj_type type)
{
	struct emu_obj *o;

	TAILQ_FOREACH(o, &ctx->objs, next)
		if (o->handle == handle && o->type == type)
			return o;
	return NULL;
}

/* -------------------------------------------------- command plumbing -- */

/* Copy the core response: as much as the user gave room for. */
static void
put_out(struct emu_cmd *c, const void *resp, size_t len)
{
	if (c->out != NULL)
		memcpy(c->out, resp, len < c->out_len ? len : c->out_len);
}

static void
put_uout(struct emu_cmd *c, const void *resp, size_t len)
{
	if (c->uout != NULL)
		memcpy(c->uout, resp, len < c->uout_len ? len : c->uout_len);
}

/* Driver data in, zero-extended to @p size (the kernel copies min(inlen, size)). */
static void
get_udata(const struct emu_cmd *c, void *dst, size_t size)
{
	memset(dst, 0, size);
	memcpy(dst, c->udata, c->udata_len < size ? c->udata_len : size);
}

/* ----------------------------------------------------------- context -- */

static struct emu_uctx *ctx_new(struct emu_ibdev *ib);

int
emu_uverbs_open(unsigned int index, int flags)
{
	struct emu_ibdev *ib;
	struct emu_uctx *ctx;
	char name[32];
	int fd, ret;

	ret = emu_rt_ensure();
	if (ret != 0)
		return -ENODEV;
	pthread_mutex_lock(&emu_rt_lock);
	ib = emu_rt_uverbs(index);
	if (ib == NULL) {
		pthread_mutex_unlock(&emu_rt_lock);
		return -ENXIO;	/* no device behind this minor any more */
	}
	snprintf(name, sizeof(name), "mana-emu-uverbs%u", index);
	fd = memfd_create(name, (flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);
	if (fd < 0) {
		ret = -errno;
		pthread_mutex_unlock(&emu_rt_lock);
		return ret;
	}
	ctx = ctx_new(ib);
	if (ctx == NULL || emu_fd_set(fd, EMU_FD_CMD, ctx) != 0) {
		free(ctx);
		emu_real_close(fd);
		pthread_mutex_unlock(&emu_rt_lock);
		return -ENOMEM;
	}
	ctx->cmd_fd = fd;
	TAILQ_INSERT_TAIL(&emu_rt.ctxs, ctx, next);
	pthread_mutex_unlock(&emu_rt_lock);
	return fd;
}

static struct emu_uctx *
ctx_new(struct emu_ibdev *ib)
{
	struct emu_uctx *ctx = calloc(1, sizeof(*ctx));

	if (ctx == NULL)
		return NULL;
	ctx->fn = ib->fn;
	ctx->ib = ib;
	TAILQ_INIT(&ctx->objs);
	return ctx;
}

static int
cmd_get_context(struct emu_cmd *c)
{
	struct ib_uverbs_get_context_resp resp;
	struct emu_uctx *ctx = c->ctx;
	int ret;

	if (ctx->have_ctx)
		return -EINVAL;
	if (c->out_len < sizeof(resp))
		return -ENOSPC;
	/* mana_ib_alloc_ucontext: one doorbell page per ucontext (§6.6) */
	ret = emu_db_page_alloc(ctx->fn->hw, &ctx->db);
	if (ret != 0)
		return ret;
	ctx->db_live = true;
	ctx->async = emu_evq_create(false);
	if (ctx->async == NULL) {
		emu_db_page_free(ctx->fn->hw, ctx->db.id);
		ctx->db_live = false;
		return -ENOMEM;
	}
	emu_fd_set(ctx->async->fd, EMU_FD_EVENT, ctx->async);
	/* the ucontext holds the async file too */
	ctx->async->cq_refs = 1;
	ctx->have_ctx = true;
	emu_uctx_publish(ctx, true);
	memset(&resp, 0, sizeof(resp));
	resp.async_fd = (uint32_t)ctx->async->fd;
	resp.num_comp_vectors = EMU_COMP_VECTORS;
	put_out(c, &resp, sizeof(resp));
	return 0;
}

/* -------------------------------------------------------------- query -- */

static void
fill_device(const struct emu_uctx *ctx, struct ib_uverbs_query_device_resp *a)
{
	const struct emu_cfg *cfg = &emu_rt.cfg;

	memset(a, 0, sizeof(*a));
	a->fw_ver = 0x0000000100000000ull;
	a->node_guid = htobe64(0x00155dfffe000000ull | ctx->ib->index);
	a->sys_image_guid = a->node_guid;
	a->max_mr_size = UINT64_MAX;
	a->page_size_cap = 0x1ff000;	/* 4 KiB .. 2 MiB */
	a->vendor_id = 0x1414;
	/* IB-eth kernels report the GDMA device type (2 = MANA) */
	a->vendor_part_id = cfg->ibdev_mana ? 0 : 2;
	a->max_qp = 64;
	a->max_qp_wr = cfg->max_wr;
	/* uverbs: the legacy max_sge is min(max_send_sge, max_recv_sge) */
	a->max_sge = EMU_MAX_RX_SGE;
	a->max_cq = 128;
	a->max_cqe = cfg->max_wr;
	a->max_mr = 0xffffff;
	a->max_pd = 0x6000;
	a->max_pkeys = 1;
	a->phys_port_cnt = (uint8_t)ctx->fn->n_ports;
}

static int
cmd_query_device(struct emu_cmd *c)
{
	struct ib_uverbs_query_device_resp resp;

	if (c->out_len < sizeof(resp))
		return -ENOSPC;
	fill_device(c->ctx, &resp);
	put_out(c, &resp, sizeof(resp));
	return 0;
}

static int
cmd_ex_query_device(struct emu_cmd *c)
{
	struct ib_uverbs_ex_query_device_resp resp;
	struct ib_uverbs_ex_query_device cmd;

	memset(&cmd, 0, sizeof(cmd));
	memcpy(&cmd, c->in, c->in_len < sizeof(cmd) ? c->in_len : sizeof(cmd));
	if (cmd.comp_mask != 0 || cmd.reserved != 0)
		return -EINVAL;
	if (c->out_len < offsetof(struct ib_uverbs_ex_query_device_resp, odp_caps))
		return -ENOSPC;
	memset(&resp, 0, sizeof(resp));
	fill_device(c->ctx, &resp.base);
	resp.raw_packet_caps = emu_rt.cfg.ibdev_mana ? 0 : IB_UVERBS_RAW_PACKET_CAP_IP_CSUM;
	resp.max_wq_type_rq = 64;
	resp.rss_caps.supported_qpts = 1u << EMU_IB_QPT_RAW_PACKET;
	resp.rss_caps.max_rwq_indirection_tables = 64;
	resp.rss_caps.max_rwq_indirection_table_size = EMU_MANA_IND_TABLE_SIZE;
	resp.response_length = (uint32_t)(c->out_len < sizeof(resp) ?
					  c->out_len : sizeof(resp));
	put_out(c, &resp, sizeof(resp));
	return 0;
}

static uint8_t
ib_mtu(unsigned int mtu)
{
	if (mtu >= 4096)
		return 5;
	if (mtu >= 2048)
		return 4;
	if (mtu >= 1024)
		return 3;
	if (mtu >= 512)
		return 2;
	return 1;
}

static int
cmd_query_port(struct emu_cmd *c)
{
	const struct ib_uverbs_query_port *cmd = (const void *)c->in;
	struct ib_uverbs_query_port_resp resp;
	struct emu_fn *fn = c->ctx->fn;
	int up;

	if (c->out_len < sizeof(resp))
		return -ENOSPC;
	if (cmd->port_num < 1 || cmd->port_num > fn->n_ports)
		return -EINVAL;
	emu_rt_sync_netdevs_now();
	/* mana_ib: ACTIVE iff the netdev has carrier and is running */
	up = fn->netdev_up[cmd->port_num - 1];
	memset(&resp, 0, sizeof(resp));
	resp.state = up ? 4 : 1;		/* IB_PORT_ACTIVE : IB_PORT_DOWN */
	resp.max_mtu = 5;			/* IB_MTU_4096 */
	resp.active_mtu = ib_mtu(fn->mtu[cmd->port_num - 1]);
	resp.max_msg_sz = 0x40000000;
	resp.pkey_tbl_len = 1;
	resp.active_width = 2;			/* 4X */
	resp.active_speed = 32;			/* EDR */
	resp.phys_state = up ? 5 : 3;		/* LinkUp : Disabled */
	resp.link_layer = 2 /* IB_LINK_LAYER_ETHERNET */;
	put_out(c, &resp, sizeof(resp));
	return 0;
}

/* ---------------------------------------------------------------- PDs -- */

static int
cmd_alloc_pd(struct emu_cmd *c)
{
	struct ib_uverbs_alloc_pd_resp resp;
	struct emu_upd *pd;
	int ret;

	if (c->out_len < sizeof(resp))
		return -ENOSPC;
	pd = calloc(1, sizeof(*pd));
	if (pd == NULL)
		return -ENOMEM;
	ret = emu_pd_create(c->ctx->fn->hw, &pd->pdid);
	if (ret != 0) {
		free(pd);
		return ret;
	}
	obj_link(c->ctx, &pd->obj, EMU_OBJ_PD, 0);
	memset(&resp, 0, sizeof(resp));
	resp.pd_handle = pd->obj.handle;
	put_out(c, &resp, sizeof(resp));
	return 0;
}

static void
pd_free(struct emu_uctx *ctx, struct emu_upd *pd)
{
	emu_pd_destroy(ctx->fn->hw, pd->pdid);
	obj_free(&pd->obj);
}

static int
cmd_dealloc_pd(struct emu_cmd *c)
{
	const struct ib_uverbs_dealloc_pd *cmd = (const void *)c->in;
	struct emu_upd *pd = obj_get(c->ctx, cmd->pd_handle, EMU_OBJ_PD);

	if (pd == NULL)
		return -EINVAL;
	if (pd->obj.usecnt != 0)
		return -EBUSY;
	pd_free(c->ctx, pd);
	return 0;
}

/* ---------------------------------------------------------------- MRs -- */

static int
cmd_reg_mr(struct emu_cmd *c)
{
	const struct ib_uverbs_reg_mr *cmd = (const void *)c->in;
	struct ib_uverbs_reg_mr_resp resp;
	uint32_t access = cmd->access_flags & ~(uint32_t)IB_UVERBS_ACCESS_OPTIONAL_RANGE;
	struct emu_upd *pd;
	struct emu_umr *mr;
	int ret;

	if (c->out_len < sizeof(resp))
		return -ENOSPC;
	/* uverbs core: same offset in the page; REMOTE_WRITE needs LOCAL_WRITE */
	if ((cmd->start & (EMU_PAGE - 1)) != (cmd->hca_va & (EMU_PAGE - 1)))
		return -EINVAL;
	if ((access & (IB_UVERBS_ACCESS_REMOTE_WRITE | IB_UVERBS_ACCESS_REMOTE_ATOMIC)) &&
	    !(access & IB_UVERBS_ACCESS_LOCAL_WRITE))
		return -EINVAL;
	pd = obj_get(c->ctx, cmd->pd_handle, EMU_OBJ_PD);
	if (pd == NULL)
		return -EINVAL;
	/* mana_ib_reg_user_mr: VALID_MR_FLAGS */
	if (access & ~(uint32_t)EMU_VALID_MR_ACCESS)
		return -EINVAL;
	if (cmd->length == 0 || cmd->start + cmd->length < cmd->start)
		return -EINVAL;
	/*
	 * The device translates SGE addresses as the MR's virtual addresses;
	 * this model addresses host memory directly, so it registers only MRs
	 * whose IOVA is their address (what ibv_reg_mr does). Documented.
	 */
	if (cmd->hca_va != cmd->start)
		return -EOPNOTSUPP;
	mr = calloc(1, sizeof(*mr));
	if (mr == NULL)
		return -ENOMEM;
	ret = emu_mr_create(c->ctx->fn->hw, pd->pdid, cmd->hca_va, cmd->length,
			    access, &mr->lkey);
	if (ret != 0) {
		free(mr);
		return ret;
	}
	mr->pd = pd;
	pd->obj.usecnt++;
	obj_link(c->ctx, &mr->obj, EMU_OBJ_MR, 0);
	memset(&resp, 0, sizeof(resp));
	resp.mr_handle = mr->obj.handle;
	resp.lkey = mr->lkey;
	resp.rkey = mr->lkey;
	put_out(c, &resp, sizeof(resp));
	return 0;
}

static void
mr_free(struct emu_uctx *ctx, struct emu_umr *mr)
{
	emu_mr_destroy(ctx->fn->hw, mr->lkey);
	mr->pd->obj.usecnt--;
	obj_free(&mr->obj);
}

static int
cmd_dereg_mr(struct emu_cmd *c)
{
	const struct ib_uverbs_dereg_mr *cmd = (const void *)c->in;
	struct emu_umr *mr = obj_get(c->ctx, cmd->mr_handle, EMU_OBJ_MR);

	if (mr == NULL)
		return -EINVAL;
	mr_free(c->ctx, mr);
	return 0;
}

/* ---------------------------------------------------------------- CQs -- */

static int
cmd_create_comp_channel(struct emu_cmd *c)
{
	struct ib_uverbs_create_comp_channel_resp resp;
	struct emu_evq *q;

	if (c->out_len < sizeof(resp))
		return -ENOSPC;
	q = emu_evq_create(true);
	if (q == NULL)
		return -ENOMEM;
	emu_fd_set(q->fd, EMU_FD_EVENT, q);
	resp.fd = (uint32_t)q->fd;
	put_out(c, &resp, sizeof(resp));
	return 0;
}

/* device thread (core lock held): one completion event per arm */
static void
cq_event_cb(void *arg, uint32_t cq_id)
{
	struct emu_ucq *cq = arg;
	uint64_t w[2] = { cq->obj.user_handle, 0 };

	(void)cq_id;
	if (cq->chan != NULL)
		emu_evq_push(cq->chan, w, 8, cq);
}

static int
create_cq(struct emu_cmd *c, uint64_t user_handle, uint32_t cqe,
	  uint32_t comp_vector, int32_t channel, uint32_t *handle)
{
	struct emu_mana_create_cq ucmd;
	struct emu_mana_create_cq_resp uresp;
	struct emu_evq *chan = NULL;
	struct emu_ucq *cq;

	if (comp_vector >= EMU_COMP_VECTORS)
		return -EINVAL;
	if (channel >= 0) {
		chan = emu_shim_event_file(channel);
		if (chan == NULL || !chan->comp)
			return -EINVAL;
	}
	if (c->udata_len < EMU_MANA_CREATE_CQ_MIN)
		return -EINVAL;
	get_udata(c, &ucmd, sizeof(ucmd));
	/* mana_ib_create_cq */
	if (cqe < 1 || cqe > emu_rt.cfg.max_wr || cqe > UINT32_MAX / 64)
		return -EINVAL;
	if (ucmd.flags & EMU_MANA_CQ_RNIC)
		return -EOPNOTSUPP;	/* no RNIC on this device */
	if (ucmd.buf_addr == 0 || (ucmd.buf_addr & 63))
		return -EFAULT;
	cq = calloc(1, sizeof(*cq));
	if (cq == NULL)
		return -ENOMEM;
	cq->buf = ucmd.buf_addr;
	cq->cqe = cqe;
	cq->chan = chan;
	if (chan != NULL) {
		pthread_mutex_lock(&chan->lock);
		chan->cq_refs++;
		pthread_mutex_unlock(&chan->lock);
	}
	obj_link(c->ctx, &cq->obj, EMU_OBJ_CQ, user_handle);
	/* a raw CQ gets its hardware id with its WQ object */
	memset(&uresp, 0, sizeof(uresp));
	uresp.cqid = UINT32_MAX;
	put_uout(c, &uresp, sizeof(uresp));
	*handle = cq->obj.handle;
	return 0;
}

static int
cmd_create_cq(struct emu_cmd *c)
{
	const struct ib_uverbs_create_cq *cmd = (const void *)c->in;
	struct ib_uverbs_create_cq_resp resp;
	int ret;

	if (c->out_len < sizeof(resp))
		return -ENOSPC;
	memset(&resp, 0, sizeof(resp));
	ret = create_cq(c, cmd->user_handle, cmd->cqe, cmd->comp_vector,
			cmd->comp_channel, &resp.cq_handle);
	if (ret != 0)
		return ret;
	resp.cqe = cmd->cqe;
	put_out(c, &resp, sizeof(resp));
	return 0;
}

static int
cmd_ex_create_cq(struct emu_cmd *c)
{
	struct ib_uverbs_ex_create_cq cmd;
	struct ib_uverbs_ex_create_cq_resp resp;
	int ret;

	if (c->in_len < sizeof(cmd))
		return -EINVAL;
	memcpy(&cmd, c->in, sizeof(cmd));
	if (cmd.comp_mask != 0 || cmd.reserved != 0)
		return -EINVAL;
	if (c->out_len < sizeof(resp.base))
		return -ENOSPC;
	memset(&resp, 0, sizeof(resp));
	ret = create_cq(c, cmd.user_handle, cmd.cqe, cmd.comp_vector,
			cmd.comp_channel, &resp.base.cq_handle);
	if (ret != 0)
		return ret;
	resp.base.cqe = cmd.cqe;
	resp.response_length = (uint32_t)(c->out_len < sizeof(resp) ?
					  c->out_len : sizeof(resp));
	put_out(c, &resp, sizeof(resp));
	return 0;
}

static void
cq_free(struct emu_uctx *ctx, struct emu_ucq *cq)
{
	(void)ctx;
	if (cq->chan != NULL) {
		emu_evq_forget_cq(cq->chan, cq);
		emu_evq_put(cq->chan, false);
	}
	obj_free(&cq->obj);
}

static int
cmd_destroy_cq(struct emu_cmd *c)
{
	const struct ib_uverbs_destroy_cq *cmd = (const void *)c->in;
	struct ib_uverbs_destroy_cq_resp resp;
	struct emu_ucq *cq = obj_get(c->ctx, cmd->cq_handle, EMU_OBJ_CQ);

	if (c->out_len < sizeof(resp))
		return -ENOSPC;
	if (cq == NULL)
		return -EINVAL;
	if (cq->obj.usecnt != 0)
		return -EBUSY;
	memset(&resp, 0, sizeof(resp));
	if (cq->chan != NULL) {
		/* events not read yet are dropped, not reported */
		emu_evq_forget_cq(cq->chan, cq);
		pthread_mutex_lock(&cq->chan->lock);
		resp.comp_events_reported = cq->comp_events_reported;
		pthread_mutex_unlock(&cq->chan->lock);
	}
	cq_free(c->ctx, cq);
	put_out(c, &resp, sizeof(resp));
	return 0;
}

/* ---------------------------------------------------------------- WQs -- */

static int
cmd_ex_create_wq(struct emu_cmd *c)
{
	struct ib_uverbs_ex_create_wq cmd;
	struct ib_uverbs_ex_create_wq_resp resp;
	struct emu_mana_create_wq ucmd;
	struct emu_upd *pd;
	struct emu_ucq *cq;
	struct emu_uwq *wq;

	if (c->in_len < offsetof(struct ib_uverbs_ex_create_wq, create_flags))
		return -EINVAL;
	memset(&cmd, 0, sizeof(cmd));
	memcpy(&cmd, c->in, c->in_len < sizeof(cmd) ? c->in_len : sizeof(cmd));
	if (cmd.comp_mask != 0)
		return -EOPNOTSUPP;
	if (c->out_len < offsetof(struct ib_uverbs_ex_create_wq_resp, wqn) + 4)
		return -ENOSPC;
	pd = obj_get(c->ctx, cmd.pd_handle, EMU_OBJ_PD);
	cq = obj_get(c->ctx, cmd.cq_handle, EMU_OBJ_CQ);
	if (pd == NULL || cq == NULL)
		return -EINVAL;
	if (cmd.wq_type != EMU_IB_WQT_RQ)
		return -EINVAL;
	if (c->udata_len < sizeof(ucmd))
		return -EINVAL;
	get_udata(c, &ucmd, sizeof(ucmd));
	/* mana_ib_create_wq */
	if (cmd.max_wr > emu_rt.cfg.max_wr || cmd.max_sge > EMU_MAX_RX_SGE)
		return -EINVAL;
	if (ucmd.wq_buf_addr == 0 || ucmd.wq_buf_size == 0)
		return -EFAULT;
	wq = calloc(1, sizeof(*wq));
	if (wq == NULL)
		return -ENOMEM;
	wq->pd = pd;
	wq->cq = cq;
	wq->buf = ucmd.wq_buf_addr;
	wq->size = ucmd.wq_buf_size;
	wq->max_wr = cmd.max_wr;
	wq->max_sge = cmd.max_sge;
	pd->obj.usecnt++;
	cq->obj.usecnt++;
	obj_link(c->ctx, &wq->obj, EMU_OBJ_WQ, cmd.user_handle);
	memset(&resp, 0, sizeof(resp));
	resp.wq_handle = wq->obj.handle;
	resp.max_wr = cmd.max_wr;
	resp.max_sge = cmd.max_sge;
	resp.wqn = 0;	/* the RQ id comes with the RSS QP */
	resp.response_length = (uint32_t)(c->out_len < sizeof(resp) ?
					  c->out_len : sizeof(resp));
	put_out(c, &resp, sizeof(resp));
	return 0;
}

static void
wq_free(struct emu_uctx *ctx, struct emu_uwq *wq)
{
	(void)ctx;
	wq->pd->obj.usecnt--;
	wq->cq->obj.usecnt--;
	obj_free(&wq->obj);
}

static int
cmd_ex_destroy_wq(struct emu_cmd *c)
{
	struct ib_uverbs_ex_destroy_wq cmd;
	struct ib_uverbs_ex_destroy_wq_resp resp;
	struct emu_uwq *wq;

	if (c->in_len < sizeof(cmd))
		return -EINVAL;
	memcpy(&cmd, c->in, sizeof(cmd));
	if (cmd.comp_mask != 0)
		return -EINVAL;
	wq = obj_get(c->ctx, cmd.wq_handle, EMU_OBJ_WQ);
	if (wq == NULL)
		return -EINVAL;
	if (wq->obj.usecnt != 0)
		return -EBUSY;
	wq_free(c->ctx, wq);
	memset(&resp, 0, sizeof(resp));
	resp.response_length = (uint32_t)(c->out_len < sizeof(resp) ?
					  c->out_len : sizeof(resp));
	put_out(c, &resp, sizeof(resp));
	return 0;
}

static int
cmd_ex_create_ind(struct emu_cmd *c)
{
	const struct ib_uverbs_ex_create_rwq_ind_table *cmd = (const void *)c->in;
	struct ib_uverbs_ex_create_rwq_ind_table_resp resp;
	struct emu_uind *t;
	uint32_t n, i;

	if (c->in_len < sizeof(*cmd))
		return -EINVAL;
	if (cmd->comp_mask != 0)
		return -EOPNOTSUPP;
	if (cmd->log_ind_tbl_size > IB_USER_VERBS_MAX_LOG_IND_TBL_SIZE)
		return -EINVAL;
	n = 1u << cmd->log_ind_tbl_size;
	/* the handles, padded to 8 bytes, are part of the core command */
	if (c->in_len < sizeof(*cmd) + (size_t)n * 4)
		return -EINVAL;
	if (c->out_len < offsetof(struct ib_uverbs_ex_create_rwq_ind_table_resp,
				  ind_tbl_num) + 4)
		return -ENOSPC;
	t = calloc(1, sizeof(*t));
	if (t != NULL)
		t->wqs = calloc(n, sizeof(*t->wqs));
	if (t == NULL || t->wqs == NULL) {
		free(t);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		t->wqs[i] = obj_get(c->ctx, cmd->wq_handles[i], EMU_OBJ_WQ);
		if (t->wqs[i] == NULL) {
			free(t->wqs);
			free(t);
			return -EINVAL;
		}
	}
	for (i = 0; i < n; i++)
		t->wqs[i]->obj.usecnt++;
	t->n = n;
	t->log_size = cmd->log_ind_tbl_size;
	obj_link(c->ctx, &t->obj, EMU_OBJ_IND, 0);
	memset(&resp, 0, sizeof(resp));
	resp.ind_tbl_handle = t->obj.handle;
	resp.ind_tbl_num = t->obj.handle;
	resp.response_length = (uint32_t)(c->out_len < sizeof(resp) ?
					  c->out_len : sizeof(resp));
	put_out(c, &resp, sizeof(resp));
	return 0;
}

static void
ind_free(struct emu_uctx *ctx, struct emu_uind *t)
{
	uint32_t i;

	(void)ctx;
	for (i = 0; i < t->n; i++)
		t->wqs[i]->obj.usecnt--;
	free(t->wqs);
	obj_free(&t->obj);
}

static int
cmd_ex_destroy_ind(struct emu_cmd *c)
{
	struct ib_uverbs_ex_destroy_rwq_ind_table cmd;
	struct emu_uind *t;

	if (c->in_len < sizeof(cmd))
		return -EINVAL;
	memcpy(&cmd, c->in, sizeof(cmd));
	if (cmd.comp_mask != 0)
		return -EINVAL;
	t = obj_get(c->ctx, cmd.ind_tbl_handle, EMU_OBJ_IND);
	if (t == NULL)
		return -EINVAL;
	if (t->obj.usecnt != 0)
		return -EBUSY;
	ind_free(c->ctx, t);
	return 0;
}

/* ---------------------------------------------------------------- QPs -- */

static int
busy_errno(int ret)
{
	return ret == -EBUSY ? -emu_rt.cfg.busy_errno : ret;
}

/* The fields of both CREATE_QP forms. */
struct qp_req {
	uint64_t user_handle;
	uint32_t pd_handle, send_cq_handle, recv_cq_handle;
	uint32_t max_send_wr, max_recv_wr, max_send_sge, max_recv_sge;
	uint32_t max_inline_data;
	uint8_t qp_type, is_srq;
	uint32_t srq_handle;
	uint32_t ind_handle;
	bool has_ind;
};

static int
create_qp_raw(struct emu_cmd *c, const struct qp_req *r, struct emu_upd *pd,
	      struct emu_uqp **out)
{
	const struct emu_cfg *cfg = &emu_rt.cfg;
	struct emu_uctx *ctx = c->ctx;
	struct emu_mana_create_qp ucmd;
	struct emu_mana_create_qp_resp uresp;
	struct emu_wq_obj_attr wa;
	struct emu_wq_obj_info info;
	struct emu_ucq *scq, *rcq;
	struct emu_uqp *qp;
	uint32_t port;
	int ret;

	scq = obj_get(ctx, r->send_cq_handle, EMU_OBJ_CQ);
	rcq = obj_get(ctx, r->recv_cq_handle, EMU_OBJ_CQ);
	if (scq == NULL || rcq == NULL)
		return -EINVAL;
	if (c->udata_len < sizeof(ucmd))
		return -EINVAL;
	get_udata(c, &ucmd, sizeof(ucmd));
	/* mana_ib_create_qp_raw */
	if (r->max_send_wr > cfg->max_wr || r->max_send_sge > EMU_MAX_TX_SGE)
		return -EINVAL;
	port = ucmd.port;
	if (port < 1 || port > ctx->fn->n_ports)
		return -EINVAL;
	if (cfg->kernel2026 && pd->bound_port != 0 && pd->bound_port != port)
		return -EINVAL;	/* a PD serves one port */
	/* the send CQ's DMA region goes to the SQ's WQ object */
	if (scq->user != NULL)
		return -EINVAL;
	if (ucmd.sq_buf_addr == 0 || ucmd.sq_buf_size == 0)
		return -EFAULT;
	qp = calloc(1, sizeof(*qp));
	if (qp == NULL)
		return -ENOMEM;
	emu_rt_sync_netdevs_now();	/* the vPort is configured with them */
	ret = emu_vport_config_tx(ctx->fn->hw, port - 1, pd->pdid, ctx->db.id,
				  &qp->tx_vp_offset);
	if (ret != 0) {
		free(qp);
		return busy_errno(ret);
	}
	qp->vport_cfg = true;
	memset(&wa, 0, sizeof(wa));
	wa.type = EMU_WQ_SQ;
	wa.pdid = pd->pdid;
	wa.db_page_id = ctx->db.id;
	wa.wq_buf = (void *)(uintptr_t)ucmd.sq_buf_addr;
	wa.wq_size = ucmd.sq_buf_size;
	wa.cq_buf = (void *)(uintptr_t)scq->buf;
	wa.cq_depth = scq->cqe;
	ret = emu_wq_obj_create(ctx->fn->hw, port - 1, &wa, &info);
	if (ret != 0) {
		emu_vport_unconfig_tx(ctx->fn->hw, port - 1, pd->pdid);
		free(qp);
		return ret;
	}
	qp->hw_live = true;
	qp->sq_id = info.wq_id;
	qp->handle = info.handle;
	scq->cq_id = info.cq_id;
	scq->user = qp;
	if (scq->chan != NULL)
		emu_cq_set_event(ctx->fn->hw, scq->cq_id, cq_event_cb, scq, -1);
	qp->cq = scq;
	qp->pd = pd;
	qp->port = port;
	pd->bound_port = port;
	pd->n_raw_qps++;
	pd->obj.usecnt++;
	scq->obj.usecnt++;
	if (rcq != scq)
		rcq->obj.usecnt++;
	obj_link(ctx, &qp->obj, EMU_OBJ_QP, r->user_handle);
	memset(&uresp, 0, sizeof(uresp));
	uresp.sqid = qp->sq_id;
	uresp.cqid = scq->cq_id;
	uresp.tx_vp_offset = qp->tx_vp_offset;
	put_uout(c, &uresp, sizeof(uresp));
	/* recv_cq is kept only for its reference: the raw QP has no RQ */
	qp->rcq = rcq;
	*out = qp;
	return 0;
}

static void
rss_unwind(struct emu_uctx *ctx, struct emu_uind *t, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		struct emu_uwq *wq = t->wqs[i];

		if (!wq->hw_live)
			continue;
		emu_cq_set_event(ctx->fn->hw, wq->cq->cq_id, NULL, NULL, -1);
		emu_wq_obj_destroy(ctx->fn->hw, wq->handle);
		wq->hw_live = false;
		wq->rss_qp = NULL;
		wq->cq->user = NULL;
		wq->cq->cq_id = 0;
	}
}

static int
create_qp_rss(struct emu_cmd *c, const struct qp_req *r, struct emu_upd *pd,
	      struct emu_uqp **out)
{
	const struct emu_cfg *cfg = &emu_rt.cfg;
	struct emu_uctx *ctx = c->ctx;
	struct emu_mana_create_qp_rss ucmd;
	struct emu_mana_create_qp_rss_resp uresp;
	struct emu_vport_rx_config rx;
	struct emu_uind *t;
	struct emu_uqp *qp;
	uint32_t port, i, j;
	int ret;

	t = obj_get(ctx, r->ind_handle, EMU_OBJ_IND);
	if (t == NULL)
		return -EINVAL;
	/* uverbs core: no receive attributes beside an indirection table */
	if (r->max_recv_wr || r->max_recv_sge || r->is_srq || r->srq_handle)
		return -EINVAL;
	if (c->udata_len < sizeof(ucmd))
		return -EINVAL;
	get_udata(c, &ucmd, sizeof(ucmd));
	/* mana_ib_create_qp_rss */
	if (ucmd.rx_hash_function != EMU_MANA_RX_HASH_FUNC_TOEPLITZ)
		return -EINVAL;
	if (ucmd.rx_hash_key_len != EMU_MANA_RSS_KEY_LEN)
		return -EINVAL;
	if (t->n > EMU_MANA_IND_TABLE_SIZE)
		return -EINVAL;
	port = ucmd.port;
	if (port < 1 || port > ctx->fn->n_ports)
		return -EINVAL;
	if (cfg->kernel2026 && (pd->n_raw_qps == 0 || pd->bound_port != port))
		return -EINVAL;	/* the vPort is configured by a raw QP first */
	for (i = 0; i < t->n; i++) {
		struct emu_uwq *wq = t->wqs[i];

		if (wq->rss_qp != NULL || wq->cq->user != NULL || wq->pd != pd)
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (t->wqs[j] == wq)
				return -EINVAL;
	}
	qp = calloc(1, sizeof(*qp));
	if (qp == NULL)
		return -ENOMEM;
	memset(&uresp, 0, sizeof(uresp));
	for (i = 0; i < t->n; i++) {
		struct emu_uwq *wq = t->wqs[i];
		struct emu_wq_obj_attr wa;
		struct emu_wq_obj_info info;

		memset(&wa, 0, sizeof(wa));
		wa.type = EMU_WQ_RQ;
		wa.pdid = pd->pdid;
		wa.db_page_id = ctx->db.id;
		wa.wq_buf = (void *)(uintptr_t)wq->buf;
		wa.wq_size = wq->size;
		wa.cq_buf = (void *)(uintptr_t)wq->cq->buf;
		wa.cq_depth = wq->cq->cqe;
		ret = emu_wq_obj_create(ctx->fn->hw, port - 1, &wa, &info);
		if (ret != 0) {
			rss_unwind(ctx, t, i);
			free(qp);
			return ret;
		}
		wq->hw_live = true;
		wq->wq_id = info.wq_id;
		wq->handle = info.handle;
		wq->rss_qp = qp;
		wq->cq->cq_id = info.cq_id;
		wq->cq->user = wq;
		if (wq->cq->chan != NULL)
			emu_cq_set_event(ctx->fn->hw, info.cq_id, cq_event_cb,
					 wq->cq, -1);
		uresp.entries[i].cqid = info.cq_id;
		uresp.entries[i].wqid = info.wq_id;
	}
	uresp.num_entries = t->n;
	/* mana_ib_cfg_vport_steering: 64 entries, the verbs table replicated */
	memset(&rx, 0, sizeof(rx));
	memcpy(rx.hash_key, ucmd.rx_hash_key, EMU_RSS_KEY_SIZE);
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
		return ret;
	}
	qp->rss = true;
	qp->ind = t;
	qp->pd = pd;
	qp->port = port;
	qp->hw_live = true;
	t->obj.usecnt++;
	pd->obj.usecnt++;
	obj_link(ctx, &qp->obj, EMU_OBJ_QP, r->user_handle);
	put_uout(c, &uresp, sizeof(uresp));
	*out = qp;
	return 0;
}

static int
create_qp(struct emu_cmd *c, const struct qp_req *r,
	  struct ib_uverbs_create_qp_resp *resp)
{
	struct emu_upd *pd;
	struct emu_uqp *qp = NULL;
	int ret;

	/* the raw packet QP type needs CAP_NET_RAW: we run privileged */
	if (r->qp_type != EMU_IB_QPT_RAW_PACKET)
		return -EOPNOTSUPP;	/* mana_ib: raw packet QPs only */
	pd = obj_get(c->ctx, r->pd_handle, EMU_OBJ_PD);
	if (pd == NULL)
		return -EINVAL;
	ret = r->has_ind ? create_qp_rss(c, r, pd, &qp) :
			   create_qp_raw(c, r, pd, &qp);
	if (ret != 0)
		return ret;
	memset(resp, 0, sizeof(*resp));
	resp->qp_handle = qp->obj.handle;
	resp->qpn = qp->rss ? (qp->ind->wqs[0]->wq_id | 0x800000) : qp->sq_id;
	resp->max_send_wr = r->max_send_wr;
	resp->max_send_sge = r->max_send_sge;
	resp->max_inline_data = r->max_inline_data;
	return 0;
}

static int
cmd_create_qp(struct emu_cmd *c)
{
	const struct ib_uverbs_create_qp *cmd = (const void *)c->in;
	struct ib_uverbs_create_qp_resp resp;
	struct qp_req r;
	int ret;

	if (c->out_len < sizeof(resp))
		return -ENOSPC;
	memset(&r, 0, sizeof(r));
	r.user_handle = cmd->user_handle;
	r.pd_handle = cmd->pd_handle;
	r.send_cq_handle = cmd->send_cq_handle;
	r.recv_cq_handle = cmd->recv_cq_handle;
	r.srq_handle = cmd->srq_handle;
	r.max_send_wr = cmd->max_send_wr;
	r.max_recv_wr = cmd->max_recv_wr;
	r.max_send_sge = cmd->max_send_sge;
	r.max_recv_sge = cmd->max_recv_sge;
	r.max_inline_data = cmd->max_inline_data;
	r.qp_type = cmd->qp_type;
	r.is_srq = cmd->is_srq;
	ret = create_qp(c, &r, &resp);
	if (ret == 0)
		put_out(c, &resp, sizeof(resp));
	return ret;
}

static int
cmd_ex_create_qp(struct emu_cmd *c)
{
	struct ib_uverbs_ex_create_qp cmd;
	struct ib_uverbs_ex_create_qp_resp resp;
	struct qp_req r;
	int ret;

	if (c->in_len < offsetof(struct ib_uverbs_ex_create_qp, create_flags))
		return -EINVAL;
	memset(&cmd, 0, sizeof(cmd));
	memcpy(&cmd, c->in, c->in_len < sizeof(cmd) ? c->in_len : sizeof(cmd));
	if (cmd.comp_mask & ~(uint32_t)IB_UVERBS_CREATE_QP_SUP_COMP_MASK)
		return -EINVAL;
	if (cmd.create_flags != 0)
		return -EINVAL;
	if (c->out_len < sizeof(resp.base))
		return -ENOSPC;
	memset(&r, 0, sizeof(r));
	r.user_handle = cmd.user_handle;
	r.pd_handle = cmd.pd_handle;
	r.send_cq_handle = cmd.send_cq_handle;
	r.recv_cq_handle = cmd.recv_cq_handle;
	r.srq_handle = cmd.srq_handle;
	r.max_send_wr = cmd.max_send_wr;
	r.max_recv_wr = cmd.max_recv_wr;
	r.max_send_sge = cmd.max_send_sge;
	r.max_recv_sge = cmd.max_recv_sge;
	r.max_inline_data = cmd.max_inline_data;
	r.qp_type = cmd.qp_type;
	r.is_srq = cmd.is_srq;
	r.has_ind = (cmd.comp_mask & IB_UVERBS_CREATE_QP_MASK_IND_TABLE) != 0;
	r.ind_handle = cmd.rwq_ind_tbl_handle;
	memset(&resp, 0, sizeof(resp));
	ret = create_qp(c, &r, &resp.base);
	if (ret != 0)
		return ret;
	resp.response_length = (uint32_t)(c->out_len < sizeof(resp) ?
					  c->out_len : sizeof(resp));
	put_out(c, &resp, sizeof(resp));
	return 0;
}

static void
qp_free(struct emu_uctx *ctx, struct emu_uqp *qp)
{
	struct emu_dev *hw = ctx->fn->hw;

	if (qp->rss) {
		if (qp->hw_live) {
			/* recent kernels disable steering before the RQs go */
			emu_vport_disable_rx(hw, qp->port - 1);
			rss_unwind(ctx, qp->ind, qp->ind->n);
		}
		qp->ind->obj.usecnt--;
	} else {
		struct emu_ucq *rcq = qp->rcq;

		if (qp->hw_live) {
			emu_cq_set_event(hw, qp->cq->cq_id, NULL, NULL, -1);
			emu_wq_obj_destroy(hw, qp->handle);
		}
		if (qp->vport_cfg)
			emu_vport_unconfig_tx(hw, qp->port - 1, qp->pd->pdid);
		qp->cq->user = NULL;
		qp->cq->cq_id = 0;
		qp->cq->obj.usecnt--;
		if (rcq != qp->cq)
			rcq->obj.usecnt--;
		if (--qp->pd->n_raw_qps == 0)
			qp->pd->bound_port = 0;
	}
	qp->pd->obj.usecnt--;
	obj_free(&qp->obj);
}

static int
cmd_destroy_qp(struct emu_cmd *c)
{
	const struct ib_uverbs_destroy_qp *cmd = (const void *)c->in;
	struct ib_uverbs_destroy_qp_resp resp;
	struct emu_uqp *qp = obj_get(c->ctx, cmd->qp_handle, EMU_OBJ_QP);

	if (c->out_len < sizeof(resp))
		return -ENOSPC;
	if (qp == NULL)
		return -EINVAL;
	qp_free(c->ctx, qp);
	memset(&resp, 0, sizeof(resp));
	put_out(c, &resp, sizeof(resp));
	return 0;
}

static int
cmd_modify(struct emu_cmd *c)
{
	(void)c;
	/* mana_ib_modify_qp / mana_ib_modify_wq: not for raw packet objects */
	return -EOPNOTSUPP;
}

/* ---------------------------------------------------------- dispatch -- */

struct emu_method {
	int (*fn)(struct emu_cmd *c);
	uint16_t req_size;		/* core command bytes (legacy: incl. response) */
	uint16_t resp_size;		/* core response bytes; 0: none */
	bool destroy;
};

#define M(f, req, resp) { f, sizeof(req), resp, false }
#define D(f, req, resp) { f, sizeof(req), resp, true }

static const struct emu_method legacy[] = {
	[IB_USER_VERBS_CMD_GET_CONTEXT] = M(cmd_get_context, struct ib_uverbs_get_context,
					    sizeof(struct ib_uverbs_get_context_resp)),
	[IB_USER_VERBS_CMD_QUERY_DEVICE] = M(cmd_query_device, struct ib_uverbs_query_device,
					     sizeof(struct ib_uverbs_query_device_resp)),
	[IB_USER_VERBS_CMD_QUERY_PORT] = M(cmd_query_port, struct ib_uverbs_query_port,
					   sizeof(struct ib_uverbs_query_port_resp)),
	[IB_USER_VERBS_CMD_ALLOC_PD] = M(cmd_alloc_pd, struct ib_uverbs_alloc_pd,
					 sizeof(struct ib_uverbs_alloc_pd_resp)),
	[IB_USER_VERBS_CMD_DEALLOC_PD] = D(cmd_dealloc_pd, struct ib_uverbs_dealloc_pd, 0),
	[IB_USER_VERBS_CMD_REG_MR] = M(cmd_reg_mr, struct ib_uverbs_reg_mr,
				       sizeof(struct ib_uverbs_reg_mr_resp)),
	[IB_USER_VERBS_CMD_DEREG_MR] = D(cmd_dereg_mr, struct ib_uverbs_dereg_mr, 0),
	[IB_USER_VERBS_CMD_CREATE_COMP_CHANNEL] =
		M(cmd_create_comp_channel, struct ib_uverbs_create_comp_channel,
		  sizeof(struct ib_uverbs_create_comp_channel_resp)),
	[IB_USER_VERBS_CMD_CREATE_CQ] = M(cmd_create_cq, struct ib_uverbs_create_cq,
					  sizeof(struct ib_uverbs_create_cq_resp)),
	[IB_USER_VERBS_CMD_DESTROY_CQ] = D(cmd_destroy_cq, struct ib_uverbs_destroy_cq,
					   sizeof(struct ib_uverbs_destroy_cq_resp)),
	[IB_USER_VERBS_CMD_CREATE_QP] = M(cmd_create_qp, struct ib_uverbs_create_qp,
					  sizeof(struct ib_uverbs_create_qp_resp)),
	[IB_USER_VERBS_CMD_MODIFY_QP] = M(cmd_modify, struct ib_uverbs_modify_qp, 0),
	[IB_USER_VERBS_CMD_DESTROY_QP] = D(cmd_destroy_qp, struct ib_uverbs_destroy_qp,
					   sizeof(struct ib_uverbs_destroy_qp_resp)),
};

static const struct emu_method extended[] = {
	[IB_USER_VERBS_EX_CMD_QUERY_DEVICE] = M(cmd_ex_query_device,
						struct ib_uverbs_ex_query_device, 1),
	[IB_USER_VERBS_EX_CMD_CREATE_CQ] = M(cmd_ex_create_cq, struct ib_uverbs_ex_create_cq, 1),
	[IB_USER_VERBS_EX_CMD_CREATE_QP] = M(cmd_ex_create_qp, struct ib_uverbs_ex_create_qp, 1),
	[IB_USER_VERBS_EX_CMD_MODIFY_QP] = M(cmd_modify, struct ib_uverbs_ex_modify_qp, 1),
	[IB_USER_VERBS_EX_CMD_CREATE_WQ] = M(cmd_ex_create_wq, struct ib_uverbs_ex_create_wq, 1),
	[IB_USER_VERBS_EX_CMD_MODIFY_WQ] = M(cmd_modify, struct ib_uverbs_ex_modify_wq, 0),
	[IB_USER_VERBS_EX_CMD_DESTROY_WQ] = D(cmd_ex_destroy_wq, struct ib_uverbs_ex_destroy_wq, 1),
	[IB_USER_VERBS_EX_CMD_CREATE_RWQ_IND_TBL] =
		M(cmd_ex_create_ind, struct ib_uverbs_ex_create_rwq_ind_table, 1),
	[IB_USER_VERBS_EX_CMD_DESTROY_RWQ_IND_TBL] =
		D(cmd_ex_destroy_ind, struct ib_uverbs_ex_destroy_rwq_ind_table, 0),
};

#undef M
#undef D

/* Decode the headers as ib_uverbs_write() does. */
static int
decode(struct emu_uctx *ctx, const uint8_t *buf, size_t len, struct emu_cmd *c,
       const struct emu_method **mp)
{
	struct ib_uverbs_cmd_hdr hdr;
	const struct emu_method *m;
	uint32_t idx;

	if (len < sizeof(hdr))
		return -EINVAL;
	memcpy(&hdr, buf, sizeof(hdr));
	if (hdr.command & ~(uint32_t)(IB_USER_VERBS_CMD_FLAG_EXTENDED |
				      IB_USER_VERBS_CMD_COMMAND_MASK))
		return -EINVAL;
	idx = hdr.command & IB_USER_VERBS_CMD_COMMAND_MASK;
	memset(c, 0, sizeof(*c));
	c->ctx = ctx;
	if (hdr.command & IB_USER_VERBS_CMD_FLAG_EXTENDED) {
		struct ib_uverbs_ex_cmd_hdr ex;

		if (idx >= sizeof(extended) / sizeof(extended[0]) ||
		    extended[idx].fn == NULL)
			return -EOPNOTSUPP;
		m = &extended[idx];
		if (len < sizeof(hdr) + sizeof(ex))
			return -EINVAL;
		memcpy(&ex, buf + sizeof(hdr), sizeof(ex));
		if (len != sizeof(hdr) + sizeof(ex) +
			   ((size_t)hdr.in_words + ex.provider_in_words) * 8)
			return -EINVAL;
		if (ex.cmd_hdr_reserved != 0)
			return -EINVAL;
		if (ex.response == 0 && (hdr.out_words || ex.provider_out_words))
			return -EINVAL;
		if (ex.response != 0 && !hdr.out_words && !ex.provider_out_words)
			return -EINVAL;
		c->ex = true;
		c->in = buf + sizeof(hdr) + sizeof(ex);
		c->in_len = (size_t)hdr.in_words * 8;
		c->udata = c->in + c->in_len;
		c->udata_len = (size_t)ex.provider_in_words * 8;
		if (ex.response != 0) {
			c->out = (uint8_t *)(uintptr_t)ex.response;
			c->out_len = (size_t)hdr.out_words * 8;
			c->uout = c->out + c->out_len;
			c->uout_len = (size_t)ex.provider_out_words * 8;
		}
	} else {
		if (idx >= sizeof(legacy) / sizeof(legacy[0]) || legacy[idx].fn == NULL)
			return -EOPNOTSUPP;
		m = &legacy[idx];
		if ((size_t)hdr.in_words * 4 != len)
			return -EINVAL;
		if (len < sizeof(hdr) + m->req_size)
			return -ENOSPC;
		c->in = buf + sizeof(hdr);
		c->in_len = m->req_size;
		c->udata = c->in + m->req_size;
		c->udata_len = len - sizeof(hdr) - m->req_size;
		if (m->resp_size != 0) {
			uint64_t resp;

			memcpy(&resp, c->in, sizeof(resp));
			if ((size_t)hdr.out_words * 4 < m->resp_size)
				return -ENOSPC;
			c->out = (uint8_t *)(uintptr_t)resp;
			c->out_len = m->resp_size;
			c->uout = c->out + m->resp_size;
			c->uout_len = (size_t)hdr.out_words * 4 - m->resp_size;
			if (resp == 0)
				return -EFAULT;
		}
	}
	*mp = m;
	return 0;
}

ssize_t
emu_uverbs_write(struct emu_uctx *ctx, const void *buf, size_t len)
{
	const struct emu_method *m;
	struct emu_cmd c;
	int ret;

	pthread_mutex_lock(&emu_rt_lock);
	ret = decode(ctx, buf, len, &c, &m);
	if (ret == 0 && ctx->dead) {
		ret = -EIO;	/* disassociated: every command, destroys too */
		ctx->fn->dead_commands++;
	}
	else if (ret == 0 && !ctx->have_ctx && m->fn != cmd_get_context)
		ret = -EINVAL;	/* no ucontext yet */
	else if (ret == 0)
		ret = m->fn(&c);
	pthread_mutex_unlock(&emu_rt_lock);
	return ret != 0 ? ret : (ssize_t)len;
}

int
emu_uverbs_ioctl(struct emu_uctx *ctx, unsigned long req, void *arg)
{
	struct ib_uverbs_ioctl_hdr hdr;

	(void)ctx;
	if (req != RDMA_VERBS_IOCTL)
		return -ENOTTY;
	/*
	 * The ioctl framework is there; the methods are not: every method is
	 * answered as by a kernel that lacks it, so libibverbs uses the write()
	 * commands, which exist for everything mana_ib serves (documented).
	 */
	if (arg == NULL)
		return -EFAULT;
	memcpy(&hdr, arg, sizeof(hdr));
	if (hdr.length < sizeof(hdr) || hdr.reserved1 != 0 || hdr.reserved2 != 0)
		return -EINVAL;
	return -EPROTONOSUPPORT;
}

void *
emu_uverbs_mmap(struct emu_uctx *ctx, void *addr, size_t len, int prot,
		int flags, off_t off)
{
	void *p;

	(void)prot;
	pthread_mutex_lock(&emu_rt_lock);
	/* mana_ib_mmap: page offset 0 only, one page, shared */
	if (!ctx->have_ctx || off != 0 || len != EMU_PAGE || !(flags & MAP_SHARED)) {
		pthread_mutex_unlock(&emu_rt_lock);
		errno = EINVAL;
		return MAP_FAILED;
	}
	if (ctx->dead) {
		pthread_mutex_unlock(&emu_rt_lock);
		errno = EIO;
		return MAP_FAILED;
	}
	p = emu_db_map(ctx->fn->hw, &ctx->db, addr, flags);
	pthread_mutex_unlock(&emu_rt_lock);
	return p;
}

/* ------------------------------------------------ release and removal -- */

/* Destroy every object of @p ctx, users first (as uverbs_destroy_ufile_hw). */
static void
ctx_destroy_objects(struct emu_uctx *ctx)
{
	static const enum emu_obj_type order[] = {
		EMU_OBJ_QP, EMU_OBJ_IND, EMU_OBJ_WQ, EMU_OBJ_CQ, EMU_OBJ_MR, EMU_OBJ_PD,
	};
	struct emu_obj *o, *tmp;
	size_t k;

	for (k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		for (o = TAILQ_FIRST(&ctx->objs); o != NULL; o = tmp) {
			tmp = TAILQ_NEXT(o, next);
			if (o->type != order[k])
				continue;
			switch (o->type) {
			case EMU_OBJ_QP:
				qp_free(ctx, (struct emu_uqp *)o);
				break;
			case EMU_OBJ_IND:
				ind_free(ctx, (struct emu_uind *)o);
				break;
			case EMU_OBJ_WQ:
				wq_free(ctx, (struct emu_uwq *)o);
				break;
			case EMU_OBJ_CQ:
				cq_free(ctx, (struct emu_ucq *)o);
				break;
			case EMU_OBJ_MR:
				mr_free(ctx, (struct emu_umr *)o);
				break;
			case EMU_OBJ_PD:
				pd_free(ctx, (struct emu_upd *)o);
				break;
			}
		}
	}
}

static void
ctx_release_hw(struct emu_uctx *ctx)
{
	ctx_destroy_objects(ctx);
	if (ctx->db_live) {
		emu_uctx_publish(ctx, false);
		/* user mappings stay valid; stores to them reach nothing */
		emu_db_page_free(ctx->fn->hw, ctx->db.id);
		ctx->db_live = false;
	}
}

void
emu_uverbs_release(struct emu_uctx *ctx)
{
	pthread_mutex_lock(&emu_rt_lock);
	ctx_release_hw(ctx);
	if (ctx->async != NULL) {
		/* the async file lives on while the user holds its fd */
		emu_evq_put(ctx->async, false);
		ctx->async = NULL;
	}
	TAILQ_REMOVE(&emu_rt.ctxs, ctx, next);
	pthread_mutex_unlock(&emu_rt_lock);
	free(ctx);
}

void
emu_uctx_publish(struct emu_uctx *ctx, bool on)
{
	char path[EMU_CFG_PATH_LEN + 64], tmp[EMU_CFG_PATH_LEN + 80];
	FILE *f;

	if (!on) {
		if (ctx->ino != 0) {
			snprintf(path, sizeof(path), "%s/uctx/%llu", emu_rt.dir,
				 (unsigned long long)ctx->ino);
			unlink(path);
		}
		ctx->ino = 0;
		return;
	}
	if (emu_db_fifo_fd(ctx->fn->hw) < 0)
		return;		/* doorbell=sample: no FIFO to share */
	ctx->ino = emu_fd_ino(ctx->cmd_fd);
	snprintf(path, sizeof(path), "%s/uctx", emu_rt.dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/uctx/%llu", emu_rt.dir,
		 (unsigned long long)ctx->ino);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL)
		return;
	/* pid, fd of the device's doorbell FIFO, fd and id of the page */
	fprintf(f, "%d %d %d %u\n", (int)getpid(), emu_db_fifo_fd(ctx->fn->hw),
		ctx->db.fd, ctx->db.id);
	if (fclose(f) == 0)
		rename(tmp, path);
}

void
emu_uverbs_disassociate(struct emu_fn *fn)
{
	struct emu_uctx *ctx;

	TAILQ_FOREACH(ctx, &emu_rt.ctxs, next) {
		uint64_t w[2] = { 0, EMU_IB_EVENT_DEVICE_FATAL };

		if (ctx->fn != fn || ctx->dead)
			continue;
		ctx->dead = true;
		/* mana_ib_disassociate_ucontext + uverbs: every object goes */
		ctx_release_hw(ctx);
		if (ctx->async != NULL)
			emu_evq_push(ctx->async, w, 16, NULL);
	}
}

void
emu_uverbs_count(const struct emu_fn *fn, uint64_t *n_ctx, uint64_t *n_obj)
{
	const struct emu_uctx *ctx;
	const struct emu_obj *o;

	*n_ctx = *n_obj = 0;
	TAILQ_FOREACH(ctx, &emu_rt.ctxs, next) {
		if (ctx->fn != fn)
			continue;
		(*n_ctx)++;
		TAILQ_FOREACH(o, &ctx->objs, next)
			(*n_obj)++;
	}
}

unsigned int
emu_uverbs_sq_ids(const struct emu_fn *fn, unsigned int port, uint32_t *ids,
		  unsigned int max)
{
	const struct emu_uctx *ctx;
	const struct emu_obj *o;
	unsigned int n = 0;

	TAILQ_FOREACH(ctx, &emu_rt.ctxs, next) {
		if (ctx->fn != fn || ctx->dead)
			continue;
		TAILQ_FOREACH(o, &ctx->objs, next) {
			const struct emu_uqp *qp = (const void *)o;

			if (o->type != EMU_OBJ_QP || qp->rss || !qp->hw_live ||
			    qp->port != port + 1)
				continue;
			if (n < max)
				ids[n] = qp->sq_id;
			n++;
		}
	}
	return n;
}
