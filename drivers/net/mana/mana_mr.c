/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Memory registration: mempool chunks and external memory as verbs MRs, and
 * the lock-free lkey lookup the bursts use.
 */

#include <errno.h>
#include <stdlib.h>

#include <rte_mbuf.h>
#include <rte_memory.h>
#include <rte_memzone.h>
#include <rte_mempool.h>

#include "mana.h"

/*
 * The control path keeps the ibv_mr array under a spinlock. Every change
 * builds a new sorted table and publishes it with a release store; bursts
 * read the pointer with an acquire load and never write. A replaced table
 * goes on a retired list that is freed only when no burst can run (port
 * stopped or closed), so a reader never sees freed memory.
 *
 * Nothing here allocates from, or waits on, DPDK's heap: EAL calls the
 * memory-event callback with its heap lock held (and the memory hotplug
 * lock taken for writing), so an rte_malloc() there spins for good. The
 * array and the tables are libc memory; only this process reads them.
 */

static struct mana_mr_table *
mr_table_build(struct mana_mr_ctl *ctl)
{
	struct mana_mr_table *t;
	uint32_t i, j;

	t = calloc(1, sizeof(*t) + ctl->n_mrs * sizeof(struct mana_mr_entry));
	if (t == NULL)
		return NULL;
	for (i = 0; i < ctl->n_mrs; i++) {
		struct mana_mr_entry e = {
			.start = (uintptr_t)ctl->mrs[i]->addr,
			.end = (uintptr_t)ctl->mrs[i]->addr + ctl->mrs[i]->length,
			.lkey = ctl->mrs[i]->lkey,
		};

		/* insertion sort: tables are small and built rarely */
		for (j = i; j > 0 && t->e[j - 1].start > e.start; j--)
			t->e[j] = t->e[j - 1];
		t->e[j] = e;
	}
	t->n = ctl->n_mrs;
	return t;
}

static int
mr_publish(struct mana_mr_ctl *ctl)
{
	struct mana_mr_table *t = mr_table_build(ctl);
	struct mana_mr_table *old;

	if (t == NULL)
		return -ENOMEM;
	old = ctl->table;
	__atomic_store_n(&ctl->table, t, __ATOMIC_RELEASE);
	if (old != NULL) {
		old->retired_next = ctl->retired;
		ctl->retired = old;
	}
	return 0;
}

static bool
mr_covered(struct mana_mr_ctl *ctl, uintptr_t start, uintptr_t end)
{
	uint32_t i;

	for (i = 0; i < ctl->n_mrs; i++) {
		uintptr_t s = (uintptr_t)ctl->mrs[i]->addr;

		if (start >= s && end <= s + ctl->mrs[i]->length)
			return true;
	}
	return false;
}

int
mana_mr_register(struct mana_priv *priv, void *addr, size_t len)
{
	struct mana_mr_ctl *ctl = &priv->mr;
	struct ibv_mr *mr;
	int ret = 0;

	if (len == 0)
		return 0;
	rte_spinlock_lock(&ctl->lock);
	if (mr_covered(ctl, (uintptr_t)addr, (uintptr_t)addr + len))
		goto out;
	if (ctl->n_mrs == ctl->cap_mrs) {
		uint32_t cap = ctl->cap_mrs ? ctl->cap_mrs * 2 : 16;
		struct ibv_mr **mrs = realloc(ctl->mrs, cap * sizeof(*mrs));

		if (mrs == NULL) {
			ret = -ENOMEM;
			goto out;
		}
		ctl->mrs = mrs;
		ctl->cap_mrs = cap;
	}
	mr = ibv_reg_mr(priv->pd, addr, len, IBV_ACCESS_LOCAL_WRITE);
	if (mr == NULL) {
		ret = -(errno ? errno : ENOMEM);
		DRV_LOG(ERR, "port %u: ibv_reg_mr(%p, %zu) failed: %s",
			priv->dev_data->port_id, addr, len, strerror(-ret));
		goto out;
	}
	ctl->mrs[ctl->n_mrs++] = mr;
	ret = mr_publish(ctl);
	if (ret != 0) {
		ctl->n_mrs--;
		ibv_dereg_mr(mr);
		goto out;
	}
	DRV_LOG(DEBUG, "port %u: MR %p+%zu lkey %#x", priv->dev_data->port_id,
		addr, len, mr->lkey);
out:
	rte_spinlock_unlock(&ctl->lock);
	return ret;
}

int
mana_mr_unregister(struct mana_priv *priv, void *addr, size_t len)
{
	struct mana_mr_ctl *ctl = &priv->mr;
	uint32_t i;
	int ret = -ENOENT;

	rte_spinlock_lock(&ctl->lock);
	for (i = 0; i < ctl->n_mrs; i++) {
		struct ibv_mr *mr = ctl->mrs[i];

		if (mr->addr != addr || mr->length != len)
			continue;
		ctl->mrs[i] = ctl->mrs[--ctl->n_mrs];
		ret = mr_publish(ctl);
		if (ret != 0) {
			/* keep the MR rather than leave a stale lkey */
			ctl->mrs[ctl->n_mrs++] = mr;
			break;
		}
		ibv_dereg_mr(mr);
		break;
	}
	rte_spinlock_unlock(&ctl->lock);
	return ret;
}

/* An entry of @p t covering [addr, addr + len), or NULL. */
static const struct mana_mr_entry *
mr_table_find(const struct mana_mr_table *t, uintptr_t addr, size_t len)
{
	uint32_t lo = 0, hi = t->n;

	/* last entry whose start <= addr */
	while (lo < hi) {
		uint32_t mid = (lo + hi) >> 1;

		if (t->e[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo > 0) {
		const struct mana_mr_entry *e = &t->e[--lo];

		if (addr + len <= e->end)
			return e;
	}
	return NULL;
}

bool
mana_mr_lookup_slow(struct mana_mr_table **tp, struct mana_mr_cache *c,
		    uintptr_t addr, uint32_t len)
{
	const struct mana_mr_table *t = __atomic_load_n(tp, __ATOMIC_ACQUIRE);
	const struct mana_mr_entry *e;

	if (t == NULL)
		return false;
	e = mr_table_find(t, addr, len);
	if (e == NULL)
		return false;
	c->start = e->start;
	c->end = e->end;
	c->lkey = e->lkey;
	c->table = t;
	return true;
}

bool
mana_mr_pool_lookup(struct mana_mr_table **tp, struct mana_mr_cache *c,
		    const struct rte_mempool *mp)
{
	const struct mana_mr_table *t = __atomic_load_n(tp, __ATOMIC_ACQUIRE);
	const struct rte_mempool_memhdr *hdr;
	const struct mana_mr_entry *e;
	uint32_t lkey = 0;
	bool found = false;

	if (t == NULL || mp == NULL)
		return false;
	/* pinned external buffers are outside the pool's own memory */
	if (mp->private_data_size >= sizeof(struct rte_pktmbuf_pool_private) &&
	    (rte_pktmbuf_priv_flags((struct rte_mempool *)(uintptr_t)mp) &
	     RTE_PKTMBUF_POOL_F_PINNED_EXT_BUF))
		return false;
	STAILQ_FOREACH(hdr, &mp->mem_list, next) {
		e = mr_table_find(t, (uintptr_t)hdr->addr, hdr->len);
		if (e == NULL || (found && e->lkey != lkey))
			return false;
		lkey = e->lkey;
		found = true;
	}
	if (!found)
		return false;
	c->pool = mp;
	c->pool_lkey = lkey;
	c->pool_table = t;
	return true;
}

struct mr_walk_arg {
	struct mana_priv *priv;
	int ret;
};

static void
mr_chunk_cb(struct rte_mempool *mp __rte_unused, void *opaque,
	    struct rte_mempool_memhdr *memhdr, unsigned int idx __rte_unused)
{
	struct mr_walk_arg *a = opaque;
	int ret;

	ret = mana_mr_register(a->priv, memhdr->addr, memhdr->len);
	if (ret != 0 && a->ret == 0)
		a->ret = ret;
}

static void
mr_mempool_cb(struct rte_mempool *mp, void *opaque)
{
	struct mr_walk_arg *a = opaque;

	rte_mempool_mem_iter(mp, mr_chunk_cb, a);
}

static void
mr_unreg_chunk_cb(struct rte_mempool *mp __rte_unused, void *opaque,
		  struct rte_mempool_memhdr *memhdr, unsigned int idx __rte_unused)
{
	mana_mr_unregister(opaque, memhdr->addr, memhdr->len);
}

static void
mr_mempool_event_cb(enum rte_mempool_event event, struct rte_mempool *mp,
		    void *arg)
{
	struct mana_priv *priv = arg;
	struct mr_walk_arg a = { .priv = priv, .ret = 0 };

	if (event == RTE_MEMPOOL_EVENT_READY) {
		rte_mempool_mem_iter(mp, mr_chunk_cb, &a);
		if (a.ret != 0)
			DRV_LOG(WARNING, "port %u: mempool %s not fully registered: %s",
				priv->dev_data->port_id, mp->name, strerror(-a.ret));
	} else if (event == RTE_MEMPOOL_EVENT_DESTROY) {
		rte_mempool_mem_iter(mp, mr_unreg_chunk_cb, priv);
	}
}

/*
 * DPDK's own memory (hugepages or the --no-huge heap), one MR per
 * contiguous range, so that external-buffer mbufs in rte_malloc() memory
 * work as well as mempool mbufs. External memory (rte_extmem_register)
 * is left to rte_dev_dma_map(), as DPDK's API intends.
 */
static int
mr_memseg_cb(const struct rte_memseg_list *msl, const struct rte_memseg *ms,
	     size_t len, void *arg)
{
	struct mr_walk_arg *a = arg;

	if (msl->external)
		return 0;
	a->ret = mana_mr_register(a->priv, ms->addr, len);
	return a->ret != 0 ? -1 : 0;
}

/* Memory added to DPDK's heap while the port runs (dynamic memory mode). */
static void
mr_mem_event_cb(enum rte_mem_event type, const void *addr, size_t len,
		void *arg)
{
	struct mana_priv *priv = arg;
	int ret;

	if (type == RTE_MEM_EVENT_ALLOC) {
		ret = mana_mr_register(priv, (void *)(uintptr_t)addr, len);
		if (ret != 0)
			DRV_LOG(WARNING, "port %u: new heap memory %p+%zu not registered: %s",
				priv->dev_data->port_id, addr, len, strerror(-ret));
	} else {
		/*
		 * Only a range registered on its own goes away here; memory
		 * freed from the middle of a larger MR stays pinned until the
		 * port is closed.
		 */
		mana_mr_unregister(priv, (void *)(uintptr_t)addr, len);
	}
}

int
mana_mr_start(struct mana_priv *priv)
{
	struct mr_walk_arg a = { .priv = priv, .ret = 0 };
	char name[RTE_MEMZONE_NAMESIZE];
	int ret;

	if (rte_memseg_contig_walk(mr_memseg_cb, &a) != 0 || a.ret != 0) {
		DRV_LOG(ERR, "port %u: registering DPDK memory failed: %s",
			priv->dev_data->port_id, strerror(-a.ret));
		return a.ret != 0 ? a.ret : -ENOMEM;
	}
	if (!priv->mr.mem_cb_registered) {
		snprintf(name, sizeof(name), "mana_mr_%u", priv->dev_data->port_id);
		ret = rte_mem_event_callback_register(name, mr_mem_event_cb, priv);
		/* ENOTSUP: legacy or --no-huge memory, which never grows */
		if (ret != 0 && rte_errno != ENOTSUP && rte_errno != EEXIST) {
			DRV_LOG(ERR, "port %u: memory event callback: %s",
				priv->dev_data->port_id, rte_strerror(rte_errno));
			return -rte_errno;
		}
		priv->mr.mem_cb_registered = ret == 0;
		if (ret == 0)
			snprintf(priv->mr.mem_cb_name, sizeof(priv->mr.mem_cb_name),
				 "%s", name);
	}
	rte_mempool_walk(mr_mempool_cb, &a);
	if (a.ret != 0) {
		DRV_LOG(ERR, "port %u: registering mempool memory failed: %s",
			priv->dev_data->port_id, strerror(-a.ret));
		return a.ret;
	}
	if (!priv->mr.mp_cb_registered) {
		ret = rte_mempool_event_callback_register(mr_mempool_event_cb, priv);
		if (ret != 0 && rte_errno != EEXIST) {
			DRV_LOG(ERR, "port %u: mempool event callback: %s",
				priv->dev_data->port_id, rte_strerror(rte_errno));
			return -rte_errno;
		}
		priv->mr.mp_cb_registered = true;
	}
	return 0;
}

void
mana_mr_gc(struct mana_priv *priv)
{
	struct mana_mr_ctl *ctl = &priv->mr;
	struct mana_mr_table *t;

	rte_spinlock_lock(&ctl->lock);
	while (ctl->retired != NULL) {
		t = ctl->retired;
		ctl->retired = t->retired_next;
		free(t);
	}
	rte_spinlock_unlock(&ctl->lock);
}

void
mana_mr_release(struct mana_priv *priv)
{
	struct mana_mr_ctl *ctl = &priv->mr;
	struct mana_mr_table *t;
	uint32_t i;

	if (ctl->mp_cb_registered) {
		rte_mempool_event_callback_unregister(mr_mempool_event_cb, priv);
		ctl->mp_cb_registered = false;
	}
	if (ctl->mem_cb_registered) {
		rte_mem_event_callback_unregister(ctl->mem_cb_name, priv);
		ctl->mem_cb_registered = false;
	}
	rte_spinlock_lock(&ctl->lock);
	for (i = 0; i < ctl->n_mrs; i++) {
		int ret = ibv_dereg_mr(ctl->mrs[i]);

		if (ret != 0)
			DRV_LOG(DEBUG, "ibv_dereg_mr: %s", strerror(ret));
	}
	free(ctl->mrs);
	ctl->mrs = NULL;
	ctl->n_mrs = 0;
	ctl->cap_mrs = 0;
	t = ctl->table;
	__atomic_store_n(&ctl->table, NULL, __ATOMIC_RELEASE);
	free(t);
	while (ctl->retired != NULL) {
		t = ctl->retired;
		ctl->retired = t->retired_next;
		free(t);
	}
	rte_spinlock_unlock(&ctl->lock);
}
