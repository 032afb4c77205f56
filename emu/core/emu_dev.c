/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * mana-emu core control plane: devices, PDs, MRs, doorbell pages, vPorts,
 * WQ objects, faults, counters and violation records.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "emu_priv.h"

static const char *const emu_viol_names[EMU_VIOL__MAX] = {
	[EMU_VIOL_NONE] = "none",
	[EMU_VIOL_UNKNOWN_LKEY] = "unknown_lkey",
	[EMU_VIOL_LKEY_OTHER_PD] = "lkey_other_pd",
	[EMU_VIOL_SGE_OUTSIDE_MR] = "sge_outside_mr",
	[EMU_VIOL_ACCESS] = "access_violation",
	[EMU_VIOL_WQE_BAD_HEADER] = "wqe_bad_header",
	[EMU_VIOL_WQE_BEYOND_TAIL] = "wqe_beyond_tail",
	[EMU_VIOL_RING_OVERRUN] = "ring_overrun",
	[EMU_VIOL_DB_BAD_TAIL] = "db_bad_tail",
	[EMU_VIOL_DB_UNKNOWN_QUEUE] = "db_unknown_queue",
	[EMU_VIOL_DB_SHORT] = "db_short_or_client",
	[EMU_VIOL_TX_VCQ_NUM] = "tx_vcq_num",
	[EMU_VIOL_TX_VSQ_FRAME] = "tx_vsq_frame",
	[EMU_VIOL_TX_PKT_FMT] = "tx_pkt_fmt",
	[EMU_VIOL_TX_VP_OFFSET] = "tx_vp_offset",
	[EMU_VIOL_TX_TSO] = "tx_tso",
	[EMU_VIOL_TX_OFFLOAD] = "tx_offload",
	[EMU_VIOL_SGE_COUNT] = "sge_count",
	[EMU_VIOL_RQ_WQE_CNT] = "rq_wqe_cnt",
	[EMU_VIOL_RQ_WQE_FORMAT] = "rq_wqe_format",
	[EMU_VIOL_CQ_DB_MISSED] = "cq_db_missed",
	[EMU_VIOL_CQ_OVERFLOW] = "cq_overflow",
	[EMU_VIOL_CQ_DB_BAD_TAIL] = "cq_db_bad_tail",
	[EMU_VIOL_TX_RUNT] = "tx_runt",
};

const char *
emu_violation_name(enum emu_violation kind)
{
	if ((unsigned int)kind >= EMU_VIOL__MAX)
		return "?";
	return emu_viol_names[kind];
}

void
emu_violation(struct emu_dev *dev, enum emu_violation kind, uint32_t queue_id,
	      uint32_t offset, const char *fmt, ...)
{
	struct emu_violation_record rec;
	va_list ap;

	memset(&rec, 0, sizeof(rec));
	rec.kind = kind;
	rec.queue_id = queue_id;
	rec.offset = offset;
	va_start(ap, fmt);
	vsnprintf(rec.detail, sizeof(rec.detail), fmt, ap);
	va_end(ap);
	atomic_fetch_add(&dev->viol_count[kind], 1);
	atomic_fetch_add(&dev->viol_count[EMU_VIOL_NONE], 1);
	if (dev->n_viol < EMU_VIOL_KEEP)
		dev->viol[dev->n_viol++] = rec;
	if (dev->cfg.strict || dev->trace)
		fprintf(dev->trace_out ? dev->trace_out : stderr,
			"mana-emu %s: violation %s queue %#x offset %#x: %s\n",
			dev->cfg.pci, emu_violation_name(kind), queue_id, offset,
			rec.detail);
	if (dev->viol_cb != NULL)
		dev->viol_cb(dev->viol_arg, &rec);
}

void
emu_trace(struct emu_dev *dev, const char *fmt, ...)
{
	FILE *out = dev->trace_out ? dev->trace_out : stderr;
	va_list ap;

	fprintf(out, "mana-emu %s: ", dev->cfg.pci);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
}

uint64_t
emu_rand(struct emu_dev *dev)
{
	/* xorshift64* */
	uint64_t x = dev->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	dev->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* ------------------------------------------------------------------------ */

void
emu_dev_config_init(struct emu_dev_config *cfg)
{
	const char *t = getenv("MANA_EMU_TRACE");
	uint32_t i;

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->pci, sizeof(cfg->pci), "%s", EMU_DEFAULT_PCI);
	cfg->n_vports = 1;
	for (i = 0; i < EMU_MAX_VPORTS; i++) {
		static const uint8_t base[6] = { 0x00, 0x15, 0x5d, 0x00, 0x00, 0x00 };

		memcpy(cfg->vport[i].mac, base, 6);
		cfg->vport[i].mac[5] = (uint8_t)(i + 1);
		cfg->vport[i].mtu = EMU_DEFAULT_MTU;
		cfg->vport[i].tx_vp_offset = i;
	}
	cfg->max_wr = EMU_DEFAULT_MAX_WR;
	cfg->max_sge_tx = EMU_DEFAULT_MAX_SGE_TX;
	cfg->max_sge_rx = EMU_DEFAULT_MAX_SGE_RX;
	cfg->max_queues = EMU_DEFAULT_MAX_QUEUES;
	cfg->cqe_coalescing = true;
	cfg->trace = t != NULL && strcmp(t, "0") != 0 && t[0] != '\0';
	cfg->first_queue_id = EMU_DEFAULT_FIRST_ID;
	cfg->coalesce_ns = 2048;
	cfg->wire_ring_frames = 1024;
	cfg->vsw_flows = EMU_VSW_DEFAULT_FLOWS;
	cfg->seed = 0x6d616e61;
}

static uint32_t
emu_pow2_ge(uint32_t v)
{
	uint32_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

int
emu_dev_create(const struct emu_dev_config *cfg_in, struct emu_dev **devp)
{
	struct emu_dev_config cfg = *cfg_in;
	struct emu_dev *dev;
	uint32_t i, ring;
	int rc;

	if (cfg.n_vports < 1 || cfg.n_vports > EMU_MAX_VPORTS)
		return -EINVAL;
	if (cfg.max_sge_tx == 0)
		cfg.max_sge_tx = EMU_DEFAULT_MAX_SGE_TX;
	if (cfg.max_sge_rx == 0)
		cfg.max_sge_rx = EMU_DEFAULT_MAX_SGE_RX;
	if (cfg.max_sge_tx > MAX_TX_WQE_SGL_ENTRIES || cfg.max_sge_rx > MAX_RX_WQE_SGL_ENTRIES)
		return -EINVAL;
	if (cfg.max_wr == 0)
		cfg.max_wr = EMU_DEFAULT_MAX_WR;
	if (cfg.max_queues == 0)
		cfg.max_queues = EMU_DEFAULT_MAX_QUEUES;
	if (cfg.first_queue_id == 0 || cfg.first_queue_id > GDMA_QUEUE_ID_MASK / 2)
		cfg.first_queue_id = EMU_DEFAULT_FIRST_ID;
	if (cfg.coalesce_ns == 0)
		cfg.coalesce_ns = 2048;
	if (cfg.wire_ring_frames == 0)
		cfg.wire_ring_frames = 1024;
	if (cfg.vsw_flows == 0)
		cfg.vsw_flows = EMU_VSW_DEFAULT_FLOWS;
	if (cfg.vsw_flows > EMU_VSW_MAX_FLOWS)
		return -EINVAL;
	for (i = 0; i < cfg.n_vports; i++) {
		if (cfg.vport[i].mtu == 0)
			cfg.vport[i].mtu = EMU_DEFAULT_MTU;
		if (cfg.vport[i].mtu < 68 || cfg.vport[i].mtu > EMU_MAX_MTU)
			return -EINVAL;
		if (cfg.vport[i].tx_vp_offset > 0xFFF)
			return -EINVAL;
		if (cfg.vport[i].mac[0] & 1)
			return -EINVAL;
	}

	dev = calloc(1, sizeof(*dev));
	if (dev == NULL)
		return -ENOMEM;
	dev->cfg = cfg;
	pthread_mutex_init(&dev->lock, NULL);
	dev->trace = cfg.trace;
	dev->trace_out = cfg.trace_out;
	dev->rng = ((uint64_t)cfg.seed << 1) | 1;
	dev->next_pdid = 1;
	dev->next_page_id = 1;
	dev->next_qid = cfg.first_queue_id;
	dev->mr_gen = 1;
	dev->db_fifo_fd = -1;
	if (cfg.db_mode == EMU_DB_FIFO) {
		rc = emu_db_fifo_create(dev);
		if (rc != 0)
			goto fail;
	}
	dev->scratch = malloc(EMU_TSO_MAX + 1024);
	dev->seg = malloc(EMU_MAX_FRAME + 64);
	dev->vbuf = malloc(EMU_MAX_FRAME + 64);
	if (dev->scratch == NULL || dev->seg == NULL || dev->vbuf == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	ring = emu_pow2_ge(cfg.wire_ring_frames * 2048u);
	for (i = 0; i < cfg.n_vports; i++) {
		struct emu_vport *vp = &dev->vport[i];

		vp->cfg = cfg.vport[i];
		vp->fd = -1;
		vp->tt = malloc(sizeof(uint32_t[2 * EMU_RSS_MAX_INPUT][16]));
		if (vp->tt == NULL) {
			rc = -ENOMEM;
			goto fail;
		}
		rc = emu_fring_init(&vp->in, ring);
		if (rc < 0)
			goto fail;
	}
	emu_global_lock();
	dev->next = *emu_global_head();
	*emu_global_head() = dev;
	emu_global_unlock();
	*devp = dev;
	return 0;
fail:
	for (i = 0; i < EMU_MAX_VPORTS; i++) {
		free(dev->vport[i].tt);
		emu_fring_fini(&dev->vport[i].in);
	}
	free(dev->scratch);
	free(dev->seg);
	free(dev->vbuf);
	emu_db_fifo_free(dev);
	pthread_mutex_destroy(&dev->lock);
	free(dev);
	return rc;
}

static void
emu_wq_free(struct emu_wq *wq)
{
	free(wq);
}

/* Drop every object (removal / destroy). Pages are kept (mappings stay valid). */
static void
emu_dev_clear_objects(struct emu_dev *dev)
{
	struct emu_page *pg;
	uint32_t i;

	for (i = 0; i < dev->n_wqs; i++)
		emu_wq_free(dev->wqs[i]);
	dev->n_wqs = 0;
	dev->n_pds = 0;
	memset(dev->mrs, 0, sizeof(*dev->mrs) * dev->cap_mrs);
	dev->n_mrs = 0;
	dev->mr_gen++;
	for (pg = dev->pages; pg != NULL; pg = pg->next) {
		pg->zombie = true;
		pg->n_wqs = 0;
	}
	for (i = 0; i < dev->cfg.n_vports; i++) {
		struct emu_vport *vp = &dev->vport[i];

		vp->tx_pdid = 0;
		vp->tx_refs = 0;
		vp->tx_page = 0;
		vp->n_queues = 0;
		vp->rx_configured = false;
		vp->rx_enable = false;
		vp->rss_enable = false;
		memset(vp->table, 0, sizeof(vp->table));
		vp->default_rq = NULL;
	}
}

void
emu_dev_destroy(struct emu_dev *dev)
{
	struct emu_dev **pp;
	struct emu_page *pg, *next;
	uint32_t i;

	if (dev == NULL)
		return;
	emu_global_lock();
	for (pp = emu_global_head(); *pp != NULL; pp = &(*pp)->next) {
		if (*pp == dev) {
			*pp = dev->next;
			break;
		}
	}
	emu_global_unlock();

	/* unwire (peers in other devices point at us) */
	for (i = 0; i < dev->cfg.n_vports; i++)
		emu_port_wire_none(dev, i);

	pthread_mutex_lock(&dev->lock);
	emu_dev_clear_objects(dev);
	for (pg = dev->pages; pg != NULL; pg = next) {
		next = pg->next;
		munmap((void *)(uintptr_t)pg->words, EMU_DB_PAGE_SIZE);
		close(pg->fd);
		free(pg);
	}
	dev->pages = NULL;
	for (i = 0; i < EMU_MAX_VPORTS; i++) {
		free(dev->vport[i].tt);
		emu_fring_fini(&dev->vport[i].in);
		emu_capture_free(&dev->vport[i].cap);
	}
	free(dev->wqs);
	free(dev->pds);
	free(dev->mrs);
	free(dev->scratch);
	free(dev->seg);
	free(dev->vbuf);
	emu_db_fifo_free(dev);
	pthread_mutex_unlock(&dev->lock);
	pthread_mutex_destroy(&dev->lock);
	free(dev);
}

const struct emu_dev_config *
emu_dev_get_config(const struct emu_dev *dev)
{
	return &dev->cfg;
}

struct emu_dev *
emu_dev_lookup(const char *pci)
{
	struct emu_dev *d;

	emu_global_lock();
	for (d = *emu_global_head(); d != NULL; d = d->next)
		if (strcmp(d->cfg.pci, pci) == 0)
			break;
	emu_global_unlock();
	return d;
}

/* ------------------------------------------------------------------------ */
/* PD, MR                                                                   */
/* ------------------------------------------------------------------------ */

static struct emu_pd *
emu_pd_find(struct emu_dev *dev, uint32_t pdid)
{
	uint32_t i;

	for (i = 0; i < dev->n_pds; i++)
		if (dev->pds[i].id == pdid)
			return &dev->pds[i];
	return NULL;
}

int
emu_pd_create(struct emu_dev *dev, uint32_t *pdid)
{
	int rc = 0;

	pthread_mutex_lock(&dev->lock);
	if (dev->removed) {
		rc = -EIO;
		goto out;
	}
	if (dev->n_pds == dev->cap_pds) {
		uint32_t cap = dev->cap_pds ? dev->cap_pds * 2 : 16;
		struct emu_pd *p = realloc(dev->pds, cap * sizeof(*p));

		if (p == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		dev->pds = p;
		dev->cap_pds = cap;
	}
	dev->pds[dev->n_pds].id = dev->next_pdid++;
	dev->pds[dev->n_pds].refs = 0;
	*pdid = dev->pds[dev->n_pds].id;
	dev->n_pds++;
out:
	pthread_mutex_unlock(&dev->lock);
	return rc;
}

int
emu_pd_destroy(struct emu_dev *dev, uint32_t pdid)
{
	struct emu_pd *pd;
	int rc = 0;

	pthread_mutex_lock(&dev->lock);
	pd = emu_pd_find(dev, pdid);
	if (pd == NULL) {
		rc = dev->removed ? 0 : -ENOENT;
		goto out;
	}
	if (pd->refs) {
		rc = -EBUSY;
		goto out;
	}
	*pd = dev->pds[--dev->n_pds];
out:
	pthread_mutex_unlock(&dev->lock);
	return rc;
}

int
emu_mr_create(struct emu_dev *dev, uint32_t pdid, uint64_t va, uint64_t len,
	      uint32_t access, uint32_t *lkey)
{
	const uint32_t valid = EMU_ACCESS_LOCAL_WRITE | EMU_ACCESS_REMOTE_WRITE |
			       EMU_ACCESS_REMOTE_READ | EMU_ACCESS_REMOTE_ATOMIC |
			       EMU_ACCESS_MW_BIND | EMU_ACCESS_ZERO_BASED;
	struct emu_pd *pd;
	uint32_t idx;
	int rc = 0;

	if (len == 0 || va + len < va || (access & ~valid))
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	if (dev->removed) {
		rc = -EIO;
		goto out;
	}
	pd = emu_pd_find(dev, pdid);
	if (pd == NULL) {
		rc = -ENOENT;
		goto out;
	}
	for (idx = 0; idx < dev->n_mrs; idx++)
		if (dev->mrs[idx].lkey == 0)
			break;
	if (idx == dev->n_mrs) {
		if (idx >= EMU_LKEY_IDX_MASK) {
			rc = -ENOSPC;
			goto out;
		}
		if (idx == dev->cap_mrs) {
			uint32_t cap = dev->cap_mrs ? dev->cap_mrs * 2 : 64;
			struct emu_mr *m = realloc(dev->mrs, cap * sizeof(*m));

			if (m == NULL) {
				rc = -ENOMEM;
				goto out;
			}
			memset(m + dev->cap_mrs, 0, (cap - dev->cap_mrs) * sizeof(*m));
			dev->mrs = m;
			dev->cap_mrs = cap;
		}
		dev->n_mrs++;
	}
	dev->mr_gen = (dev->mr_gen + 1) & 0xFFF;
	if (dev->mr_gen == 0)
		dev->mr_gen = 1;
	dev->mrs[idx].lkey = (dev->mr_gen << EMU_LKEY_IDX_BITS) | (idx + 1);
	dev->mrs[idx].pdid = pdid;
	dev->mrs[idx].va = va;
	dev->mrs[idx].len = len;
	dev->mrs[idx].access = access;
	pd->refs++;
	*lkey = dev->mrs[idx].lkey;
out:
	pthread_mutex_unlock(&dev->lock);
	return rc;
}

static struct emu_mr *
emu_mr_lookup(struct emu_dev *dev, uint32_t lkey)
{
	uint32_t idx = (lkey & EMU_LKEY_IDX_MASK) - 1;

	if (idx >= dev->n_mrs || dev->mrs[idx].lkey != lkey || lkey == 0)
		return NULL;
	return &dev->mrs[idx];
}

int
emu_mr_destroy(struct emu_dev *dev, uint32_t lkey)
{
	struct emu_mr *mr;
	struct emu_pd *pd;
	int rc = 0;

	emu_dev_lock_cmd(dev);
	mr = emu_mr_lookup(dev, lkey);
	if (mr == NULL) {
		rc = dev->removed ? 0 : -ENOENT;
		goto out;
	}
	pd = emu_pd_find(dev, mr->pdid);
	if (pd != NULL && pd->refs)
		pd->refs--;
	memset(mr, 0, sizeof(*mr));
out:
	pthread_mutex_unlock(&dev->lock);
	return rc;
}

const struct emu_mr *
emu_mr_translate(struct emu_dev *dev, const struct emu_wq *wq,
		 const struct gdma_sge *sge, uint32_t need_access, uint32_t wqe_off)
{
	const struct emu_mr *mr = emu_mr_lookup(dev, sge->mem_key);

	if (mr == NULL) {
		emu_violation(dev, EMU_VIOL_UNKNOWN_LKEY, wq->id, wqe_off,
			      "SGE lkey %#x is not a registered MR", sge->mem_key);
		return NULL;
	}
	if (mr->pdid != wq->pdid) {
		emu_violation(dev, EMU_VIOL_LKEY_OTHER_PD, wq->id, wqe_off,
			      "SGE lkey %#x is on PD %u, queue on PD %u",
			      sge->mem_key, mr->pdid, wq->pdid);
		return NULL;
	}
	if (sge->address < mr->va || sge->address + sge->size < sge->address ||
	    sge->address + sge->size > mr->va + mr->len) {
		emu_violation(dev, EMU_VIOL_SGE_OUTSIDE_MR, wq->id, wqe_off,
			      "SGE [%#" PRIx64 ", +%u) outside MR %#x [%#" PRIx64
			      ", +%" PRIu64 ")", sge->address, sge->size,
			      sge->mem_key, mr->va, mr->len);
		return NULL;
	}
	if ((mr->access & need_access) != need_access) {
		emu_violation(dev, EMU_VIOL_ACCESS, wq->id, wqe_off,
			      "MR %#x lacks access %#x (has %#x)", sge->mem_key,
			      need_access, mr->access);
		return NULL;
	}
	return mr;
}

/* ------------------------------------------------------------------------ */
/* Doorbell pages                                                           */
/* ------------------------------------------------------------------------ */

struct emu_page *
emu_page_find(struct emu_dev *dev, uint32_t id)
{
	struct emu_page *pg;

	for (pg = dev->pages; pg != NULL; pg = pg->next)
		if (pg->id == id)
			return pg;
	return NULL;
}

int
emu_db_page_alloc(struct emu_dev *dev, struct emu_db_page *page)
{
	struct emu_page *pg;
	void *addr;
	int fd, rc = 0;

	pthread_mutex_lock(&dev->lock);
	if (dev->removed) {
		rc = -EIO;
		goto out;
	}
	pg = calloc(1, sizeof(*pg));
	if (pg == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	fd = memfd_create("mana-emu-db", MFD_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		free(pg);
		goto out;
	}
	if (ftruncate(fd, EMU_DB_PAGE_SIZE) != 0) {
		rc = -errno;
		close(fd);
		free(pg);
		goto out;
	}
	addr = mmap(NULL, EMU_DB_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (addr == MAP_FAILED) {
		rc = -errno;
		close(fd);
		free(pg);
		goto out;
	}
	pg->id = dev->next_page_id++;
	pg->fifo = dev->cfg.db_mode == EMU_DB_FIFO;
	pg->fd = fd;
	pg->words = addr;
	pg->next = dev->pages;
	dev->pages = pg;
	page->id = pg->id;
	page->fd = fd;
	page->addr = addr;
out:
	pthread_mutex_unlock(&dev->lock);
	return rc;
}

int
emu_db_page_sampled(struct emu_dev *dev, uint32_t id)
{
	struct emu_page *pg;
	int rc = -ENOENT;

	pthread_mutex_lock(&dev->lock);
	pg = emu_page_find(dev, id);
	if (pg != NULL) {
		pg->fifo = false;
		rc = 0;
	}
	pthread_mutex_unlock(&dev->lock);
	return rc;
}

int
emu_db_page_free(struct emu_dev *dev, uint32_t id)
{
	struct emu_page **pp, *pg;
	int rc = -ENOENT;

	emu_dev_lock_cmd(dev);
	for (pp = &dev->pages; (pg = *pp) != NULL; pp = &pg->next) {
		if (pg->id != id)
			continue;
		if (pg->n_wqs) {
			rc = -EBUSY;
			break;
		}
		*pp = pg->next;
		munmap((void *)(uintptr_t)pg->words, EMU_DB_PAGE_SIZE);
		close(pg->fd);
		free(pg);
		rc = 0;
		break;
	}
	pthread_mutex_unlock(&dev->lock);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* vPorts                                                                   */
/* ------------------------------------------------------------------------ */

int
emu_vport_config_tx(struct emu_dev *dev, uint32_t vport, uint32_t pdid,
		    uint32_t db_page_id, uint32_t *tx_vp_offset)
{
	struct emu_vport *vp;
	struct emu_page *pg;
	struct emu_pd *pd;
	int rc = 0;

	if (vport >= dev->cfg.n_vports)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	vp = &dev->vport[vport];
	if (dev->removed) {
		rc = -EIO;
		goto out;
	}
	pd = emu_pd_find(dev, pdid);
	if (pd == NULL) {
		rc = -ENOENT;
		goto out;
	}
	pg = emu_page_find(dev, db_page_id);
	if (pg == NULL || pg->zombie) {
		rc = -EINVAL;
		goto out;
	}
	if (vp->cfg.netdev_up || (vp->tx_refs && vp->tx_pdid != pdid)) {
		rc = -EBUSY;
		goto out;
	}
	if (vp->tx_refs == 0) {
		vp->tx_pdid = pdid;
		vp->tx_page = db_page_id;
	}
	vp->tx_refs++;
	pd->refs++;
	*tx_vp_offset = vp->cfg.tx_vp_offset;
out:
	pthread_mutex_unlock(&dev->lock);
	return rc;
}

int
emu_vport_unconfig_tx(struct emu_dev *dev, uint32_t vport, uint32_t pdid)
{
	struct emu_vport *vp;
	struct emu_pd *pd;
	int rc = 0;

	if (vport >= dev->cfg.n_vports)
		return -EINVAL;
	emu_dev_lock_cmd(dev);
	vp = &dev->vport[vport];
	if (vp->tx_refs == 0 || vp->tx_pdid != pdid) {
		rc = dev->removed ? 0 : -ENOENT;
		goto out;
	}
	vp->tx_refs--;
	pd = emu_pd_find(dev, pdid);
	if (pd != NULL && pd->refs)
		pd->refs--;
	if (vp->tx_refs == 0) {
		vp->tx_pdid = 0;
		vp->tx_page = 0;
	}
out:
	pthread_mutex_unlock(&dev->lock);
	return rc;
}

int
emu_vport_set_netdev_up(struct emu_dev *dev, uint32_t vport, bool up)
{
	if (vport >= dev->cfg.n_vports)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	dev->vport[vport].cfg.netdev_up = up;
	dev->cfg.vport[vport].netdev_up = up;
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

int
emu_vport_set_mtu(struct emu_dev *dev, uint32_t vport, uint32_t mtu)
{
	if (vport >= dev->cfg.n_vports || mtu < 68 || mtu > EMU_MAX_MTU)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	dev->vport[vport].cfg.mtu = mtu;
	dev->cfg.vport[vport].mtu = mtu;
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

int
emu_vport_set_mac(struct emu_dev *dev, uint32_t vport, const uint8_t mac[6])
{
	if (vport >= dev->cfg.n_vports || (mac[0] & 1))
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	memcpy(dev->vport[vport].cfg.mac, mac, 6);
	memcpy(dev->cfg.vport[vport].mac, mac, 6);
	emu_vsw_set_mac(dev, vport);
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* WQ objects                                                               */
/* ------------------------------------------------------------------------ */

struct emu_wq *
emu_wq_by_id(struct emu_dev *dev, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < dev->n_wqs; i++)
		if (dev->wqs[i]->id == id || dev->wqs[i]->cq.id == id)
			return dev->wqs[i];
	return NULL;
}

static struct emu_wq *
emu_wq_by_handle(struct emu_dev *dev, uint64_t handle, uint32_t *pos)
{
	uint32_t i;

	for (i = 0; i < dev->n_wqs; i++) {
		if (dev->wqs[i]->handle == handle) {
			if (pos != NULL)
				*pos = i;
			return dev->wqs[i];
		}
	}
	return NULL;
}

#define EMU_HANDLE_TAG	0xE3A0000000000000ULL

int
emu_wq_obj_create(struct emu_dev *dev, uint32_t vport,
		  const struct emu_wq_obj_attr *attr, struct emu_wq_obj_info *info)
{
	struct emu_vport *vp;
	struct emu_page *pg;
	struct emu_pd *pd;
	struct emu_wq *wq;
	int rc = 0;

	if (vport >= dev->cfg.n_vports || attr == NULL || info == NULL)
		return -EINVAL;
	if (attr->type != EMU_WQ_SQ && attr->type != EMU_WQ_RQ)
		return -EINVAL;
	if (attr->wq_buf == NULL || attr->wq_size < MANA_MIN_QSIZE ||
	    (attr->wq_size & (attr->wq_size - 1)) ||
	    ((uintptr_t)attr->wq_buf & (MANA_MIN_QSIZE - 1)))
		return -EINVAL;
	if (attr->cq_buf == NULL || attr->cq_depth == 0 ||
	    attr->cq_depth > (1u << 24) || ((uintptr_t)attr->cq_buf & 63))
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	vp = &dev->vport[vport];
	if (dev->removed) {
		rc = -EIO;
		goto out;
	}
	pd = emu_pd_find(dev, attr->pdid);
	pg = emu_page_find(dev, attr->db_page_id);
	if (pd == NULL || pg == NULL || pg->zombie) {
		rc = -EINVAL;
		goto out;
	}
	if (attr->type == EMU_WQ_SQ && (vp->tx_refs == 0 || vp->tx_pdid != attr->pdid)) {
		rc = -EINVAL;
		goto out;
	}
	if (vp->n_queues >= dev->cfg.max_queues * 2) {
		rc = -ENOSPC;
		goto out;
	}
	if (dev->next_qid + 2 > GDMA_QUEUE_ID_MASK) {
		rc = -ENOSPC;
		goto out;
	}
	if (dev->n_wqs == dev->cap_wqs) {
		uint32_t cap = dev->cap_wqs ? dev->cap_wqs * 2 : 16;
		struct emu_wq **w = realloc(dev->wqs, cap * sizeof(*w));

		if (w == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		dev->wqs = w;
		dev->cap_wqs = cap;
	}
	wq = calloc(1, sizeof(*wq));
	if (wq == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	wq->id = dev->next_qid++;
	wq->cq.id = dev->next_qid++;
	wq->type = attr->type;
	wq->vport = vport;
	wq->pdid = attr->pdid;
	wq->handle = EMU_HANDLE_TAG | wq->id;
	wq->page = pg;
	wq->buf = attr->wq_buf;
	wq->size = attr->wq_size;
	wq->mask = attr->wq_size - 1;
	wq->cq.buf = attr->cq_buf;
	wq->cq.depth = attr->cq_depth;
	wq->cq.ev_fd = -1;
	wq->cq.garbage = dev->garbage_all;
	pg->n_wqs++;
	dev->wqs[dev->n_wqs++] = wq;
	vp->n_queues++;
	pd->refs++;
	info->wq_id = wq->id;
	info->cq_id = wq->cq.id;
	info->handle = wq->handle;
	if (dev->trace)
		emu_trace(dev, "create %s id %#x cq %#x vport %u pd %u ring %u cq_depth %u page %u",
			  wq->type == EMU_WQ_SQ ? "SQ" : "RQ", wq->id, wq->cq.id,
			  vport, wq->pdid, wq->size, wq->cq.depth, pg->id);
out:
	pthread_mutex_unlock(&dev->lock);
	return rc;
}

int
emu_wq_obj_destroy(struct emu_dev *dev, uint64_t handle)
{
	struct emu_vport *vp;
	struct emu_page *pg;
	struct emu_pd *pd;
	struct emu_wq *wq;
	uint32_t pos, i;
	int rc = 0;

	emu_dev_lock_cmd(dev);
	wq = emu_wq_by_handle(dev, handle, &pos);
	if (wq == NULL) {
		rc = dev->removed ? 0 : -ENOENT;
		goto out;
	}
	vp = &dev->vport[wq->vport];
	for (i = 0; i < EMU_RSS_TABLE_SIZE; i++)
		if (vp->table[i] == wq)
			vp->table[i] = NULL;
	if (vp->default_rq == wq)
		vp->default_rq = NULL;
	emu_vsw_rx_changed(dev, wq->vport);
	pg = wq->page;
	if (pg->n_wqs)
		pg->n_wqs--;
	pd = emu_pd_find(dev, wq->pdid);
	if (pd != NULL && pd->refs)
		pd->refs--;
	if (vp->n_queues)
		vp->n_queues--;
	dev->wqs[pos] = dev->wqs[--dev->n_wqs];
	emu_wq_free(wq);
out:
	pthread_mutex_unlock(&dev->lock);
	return rc;
}

int
emu_vport_config_rx(struct emu_dev *dev, uint32_t vport,
		    const struct emu_vport_rx_config *rx)
{
	struct emu_wq *table[EMU_RSS_TABLE_SIZE];
	struct emu_wq *def = NULL;
	struct emu_vport *vp;
	uint32_t i;
	int rc = 0;

	if (vport >= dev->cfg.n_vports || rx == NULL)
		return -EINVAL;
	emu_dev_lock_cmd(dev);
	vp = &dev->vport[vport];
	if (dev->removed) {
		rc = -EIO;
		goto out;
	}
	for (i = 0; i < EMU_RSS_TABLE_SIZE; i++) {
		table[i] = NULL;
		if (!rx->rss_enable && rx->table[i] == 0)
			continue;
		table[i] = emu_wq_by_handle(dev, rx->table[i], NULL);
		if (table[i] == NULL || table[i]->type != EMU_WQ_RQ ||
		    table[i]->vport != vport) {
			rc = -EINVAL;
			goto out;
		}
	}
	if (rx->default_rxobj != 0 || rx->rx_enable) {
		def = emu_wq_by_handle(dev, rx->default_rxobj, NULL);
		if (def == NULL || def->type != EMU_WQ_RQ || def->vport != vport) {
			rc = -EINVAL;
			goto out;
		}
	}
	/* flush what is pending on the old RQs before switching */
	emu_rx_flush(dev, true);
	memcpy(vp->table, table, sizeof(table));
	vp->default_rq = def;
	vp->rx_enable = rx->rx_enable;
	vp->rss_enable = rx->rss_enable;
	vp->coalesce = rx->cqe_coalescing && dev->cfg.cqe_coalescing;
	vp->rx_configured = true;
	memcpy(vp->key, rx->hash_key, EMU_RSS_KEY_SIZE);
	emu_rss_table_build(vp->tt, vp->key);
	emu_vsw_rx_changed(dev, vport);
	if (dev->trace)
		emu_trace(dev, "config_vport_rx vport %u rx_enable %d rss_enable %d "
			  "coalescing %d default %#x", vport, vp->rx_enable, vp->rss_enable, vp->coalesce,
			  def != NULL ? def->id : 0);
out:
	pthread_mutex_unlock(&dev->lock);
	return rc;
}

int
emu_vport_disable_rx(struct emu_dev *dev, uint32_t vport)
{
	if (vport >= dev->cfg.n_vports)
		return -EINVAL;
	emu_dev_lock_cmd(dev);
	emu_rx_flush(dev, true);
	dev->vport[vport].rx_enable = false;
	emu_vsw_rx_changed(dev, vport);
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

int
emu_cq_set_event(struct emu_dev *dev, uint32_t cq_id,
		 void (*cb)(void *arg, uint32_t cq_id), void *arg, int efd)
{
	struct emu_wq *wq;
	int rc = 0;

	emu_dev_lock_cmd(dev);
	wq = emu_wq_by_id(dev, cq_id);
	if (wq == NULL || wq->cq.id != cq_id) {
		rc = dev->removed ? -EIO : -ENOENT;
		goto out;
	}
	wq->cq.ev_cb = cb;
	wq->cq.ev_arg = arg;
	wq->cq.ev_fd = efd;
out:
	pthread_mutex_unlock(&dev->lock);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Faults                                                                   */
/* ------------------------------------------------------------------------ */

void
emu_dev_set_fatal_cb(struct emu_dev *dev,
		     void (*cb)(void *arg, struct emu_dev *dev, enum emu_fatal_reason r),
		     void *arg)
{
	pthread_mutex_lock(&dev->lock);
	dev->fatal_cb = cb;
	dev->fatal_arg = arg;
	pthread_mutex_unlock(&dev->lock);
}

static int
emu_dev_fatal(struct emu_dev *dev, enum emu_fatal_reason reason)
{
	void (*cb)(void *, struct emu_dev *, enum emu_fatal_reason);
	uint32_t i;
	void *arg;

	pthread_mutex_lock(&dev->lock);
	if (dev->removed) {
		pthread_mutex_unlock(&dev->lock);
		return -EALREADY;
	}
	atomic_store(&dev->removed, true);
	emu_dev_clear_objects(dev);
	for (i = 0; i < dev->cfg.n_vports; i++)
		emu_vsw_rx_changed(dev, i);
	cb = dev->fatal_cb;
	arg = dev->fatal_arg;
	if (dev->trace)
		emu_trace(dev, "%s", reason == EMU_FATAL_REMOVED ? "removed" : "service reset");
	pthread_mutex_unlock(&dev->lock);
	if (cb != NULL)
		cb(arg, dev, reason);
	return 0;
}

int
emu_dev_remove(struct emu_dev *dev)
{
	return emu_dev_fatal(dev, EMU_FATAL_REMOVED);
}

int
emu_dev_service_reset(struct emu_dev *dev)
{
	return emu_dev_fatal(dev, EMU_FATAL_RESET);
}

int
emu_dev_readd_at(struct emu_dev *dev, const char *pci)
{
	int rc = 0;

	if (pci != NULL && strlen(pci) >= sizeof(dev->cfg.pci))
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	if (!dev->removed) {
		rc = -EINVAL;
	} else {
		if (pci != NULL && pci[0] != '\0')
			snprintf(dev->cfg.pci, sizeof(dev->cfg.pci), "%s", pci);
		atomic_store(&dev->removed, false);
	}
	pthread_mutex_unlock(&dev->lock);
	return rc;
}

int
emu_dev_readd(struct emu_dev *dev)
{
	return emu_dev_readd_at(dev, NULL);
}

bool
emu_dev_is_removed(const struct emu_dev *dev)
{
	return atomic_load(&dev->removed);
}

int
emu_fault_tx_error(struct emu_dev *dev, uint32_t sq_id, uint32_t count,
		   uint32_t cqe_type, uint32_t vendor_err)
{
	struct emu_wq *wq;
	int rc = 0;

	if (cqe_type > 63 || vendor_err > 0xFFFFFF)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	if (sq_id == 0) {
		dev->tx_fault_any_count = count;
		dev->tx_fault_any_type = cqe_type;
		dev->tx_fault_any_vendor = vendor_err;
	} else {
		wq = emu_wq_by_id(dev, sq_id);
		if (wq == NULL || wq->id != sq_id || wq->type != EMU_WQ_SQ) {
			rc = -ENOENT;
		} else {
			wq->fault_count = count;
			wq->fault_type = cqe_type;
			wq->fault_vendor = vendor_err;
		}
	}
	pthread_mutex_unlock(&dev->lock);
	return rc;
}

int
emu_fault_rx(struct emu_dev *dev, uint32_t vport, enum emu_rx_fault fault,
	     uint32_t count)
{
	if (vport >= dev->cfg.n_vports || fault > EMU_RX_FAULT_CORRUPT)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	dev->vport[vport].rx_fault = fault;
	dev->vport[vport].rx_fault_count = count;
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

int
emu_fault_forge_cqe(struct emu_dev *dev, uint32_t wq_types, enum emu_forge kind,
		    uint32_t count)
{
	if ((unsigned int)kind >= EMU_FORGE__MAX ||
	    (kind != EMU_FORGE_NONE && (wq_types & (EMU_FORGE_SQ | EMU_FORGE_RQ)) == 0))
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	dev->forge_kind = kind;
	dev->forge_types = wq_types;
	dev->forge_count = kind == EMU_FORGE_NONE ? 0 : count;
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

uint64_t
emu_forged_cqes(struct emu_dev *dev)
{
	uint64_t n;

	pthread_mutex_lock(&dev->lock);
	n = dev->forged;
	pthread_mutex_unlock(&dev->lock);
	return n;
}

int
emu_fault_garbage_cqe(struct emu_dev *dev, uint32_t cq_id, bool on)
{
	struct emu_wq *wq;
	uint32_t i;
	int rc = 0;

	pthread_mutex_lock(&dev->lock);
	if (cq_id == 0) {
		dev->garbage_all = on;
		for (i = 0; i < dev->n_wqs; i++)
			dev->wqs[i]->cq.garbage = on;
	} else {
		wq = emu_wq_by_id(dev, cq_id);
		if (wq == NULL || wq->cq.id != cq_id)
			rc = -ENOENT;
		else
			wq->cq.garbage = on;
	}
	pthread_mutex_unlock(&dev->lock);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Observability                                                            */
/* ------------------------------------------------------------------------ */

int
emu_queue_stats_get(struct emu_dev *dev, uint32_t wq_id, struct emu_queue_stats *st)
{
	struct emu_wq *wq;
	int rc = 0;

	pthread_mutex_lock(&dev->lock);
	wq = emu_wq_by_id(dev, wq_id);
	if (wq == NULL) {
		rc = -ENOENT;
	} else {
		*st = wq->st;
		st->cq_producer = (uint32_t)wq->cq.k;
		st->wq_consumer = wq->consumer;
		st->wq_tail = wq->tail;
		st->error_state = wq->error;
	}
	pthread_mutex_unlock(&dev->lock);
	return rc;
}

int
emu_vport_stats_get(struct emu_dev *dev, uint32_t vport, struct emu_vport_stats *st)
{
	if (vport >= dev->cfg.n_vports)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	*st = dev->vport[vport].st;
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

uint64_t
emu_violation_count(const struct emu_dev *dev, enum emu_violation kind)
{
	if ((unsigned int)kind >= EMU_VIOL__MAX)
		return 0;
	return atomic_load(&((struct emu_dev *)(uintptr_t)dev)->viol_count[kind]);
}

size_t
emu_violations_get(struct emu_dev *dev, struct emu_violation_record *out, size_t max)
{
	size_t n;

	pthread_mutex_lock(&dev->lock);
	n = dev->n_viol < max ? dev->n_viol : max;
	memcpy(out, dev->viol, n * sizeof(*out));
	pthread_mutex_unlock(&dev->lock);
	return n;
}

void
emu_violations_clear(struct emu_dev *dev)
{
	uint32_t i;

	pthread_mutex_lock(&dev->lock);
	dev->n_viol = 0;
	for (i = 0; i < EMU_VIOL__MAX; i++)
		atomic_store(&dev->viol_count[i], 0);
	pthread_mutex_unlock(&dev->lock);
}

int
emu_dev_check(struct emu_dev *dev)
{
	if (dev->cfg.strict && emu_violation_count(dev, EMU_VIOL_NONE) != 0)
		return -EPROTO;
	return 0;
}

void
emu_dev_set_violation_cb(struct emu_dev *dev,
			 void (*cb)(void *arg, const struct emu_violation_record *v),
			 void *arg)
{
	pthread_mutex_lock(&dev->lock);
	dev->viol_cb = cb;
	dev->viol_arg = arg;
	pthread_mutex_unlock(&dev->lock);
}

void
emu_dev_set_trace(struct emu_dev *dev, bool on, FILE *out)
{
	pthread_mutex_lock(&dev->lock);
	dev->trace = on;
	dev->trace_out = out;
	pthread_mutex_unlock(&dev->lock);
}

void
emu_dev_dump(struct emu_dev *dev, FILE *out)
{
	uint32_t i;

	pthread_mutex_lock(&dev->lock);
	fprintf(out, "device %s%s: %u vPorts, %u queues, %u PDs\n", dev->cfg.pci,
		dev->removed ? " (removed)" : "", dev->cfg.n_vports, dev->n_wqs,
		dev->n_pds);
	for (i = 0; i < dev->cfg.n_vports; i++) {
		const struct emu_vport_stats *s = &dev->vport[i].st;

		fprintf(out, "  vport %u: tx %" PRIu64 " frames %" PRIu64 " bytes, rx %" PRIu64
			" frames %" PRIu64 " bytes (wire %" PRIu64 ")\n", i, s->tx_frames,
			s->tx_bytes, s->rx_frames, s->rx_bytes, s->rx_wire_frames);
		fprintf(out, "    rx drops: nowqe %" PRIu64 " filter %" PRIu64 " disabled %" PRIu64
			" mtu %" PRIu64 " runt %" PRIu64 " ring_full %" PRIu64 " truncated %" PRIu64
			" coalesced_cqes %" PRIu64 "\n",
			s->rx_discards_nowqe, s->rx_drop_filter, s->rx_drop_disabled,
			s->rx_drop_mtu, s->rx_drop_runt, s->rx_drop_ring_full,
			s->rx_truncated, s->rx_coalesced_cqes);
		fprintf(out, "    tx drops: sa %" PRIu64 " mtu %" PRIu64 " invalid_oob %" PRIu64
			" vport %" PRIu64 " hdr %" PRIu64 " injected %" PRIu64 " wire %" PRIu64 "\n",
			s->tx_drop_sa, s->tx_drop_mtu, s->tx_drop_invalid_oob,
			s->tx_drop_vport, s->tx_drop_hdr, s->tx_drop_injected,
			s->tx_drop_wire);
		if (dev->vport[i].wire == EMU_WIRE_VSWITCH)
			fprintf(out, "    vswitch: uplink_in %" PRIu64 " to_vf %" PRIu64
				" to_syn %" PRIu64 " (first_of_flow %" PRIu64 " flow_full %" PRIu64
				") from_vf %" PRIu64 " from_syn %" PRIu64 " dropped %" PRIu64 "\n",
				s->vsw_uplink_in, s->vsw_to_vf, s->vsw_to_syn,
				s->vsw_first_of_flow, s->vsw_flow_full, s->vsw_from_vf,
				s->vsw_from_syn, s->vsw_dropped);
	}
	for (i = 0; i < dev->n_wqs; i++) {
		const struct emu_wq *wq = dev->wqs[i];
		const struct emu_queue_stats *s = &wq->st;

		fprintf(out, "  %s %#x (cq %#x, vport %u)%s: doorbells %" PRIu64 " wqes %" PRIu64
			" cqes %" PRIu64 " frames %" PRIu64 " bytes %" PRIu64 " errors %" PRIu64
			" suppressed %" PRIu64 " cq_doorbells %" PRIu64 " arms %" PRIu64
			" events %" PRIu64 " overflows %" PRIu64 "\n",
			wq->type == EMU_WQ_SQ ? "SQ" : "RQ", wq->id, wq->cq.id, wq->vport,
			wq->error ? " ERROR" : "", s->doorbells, s->wqes, s->cqes,
			s->frames, s->bytes, s->errors, s->suppressed, s->cq_doorbells,
			s->cq_arms, s->events, s->cq_overflows);
	}
	fprintf(out, "  violations: %" PRIu64 "\n",
		(uint64_t)atomic_load(&dev->viol_count[EMU_VIOL_NONE]));
	for (i = 0; i < dev->n_viol; i++)
		fprintf(out, "    %s queue %#x offset %#x: %s\n",
			emu_violation_name(dev->viol[i].kind), dev->viol[i].queue_id,
			dev->viol[i].offset, dev->viol[i].detail);
	pthread_mutex_unlock(&dev->lock);
}
