/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * mana-emu doorbells: the FIFO of trapped stores, page sampling, dispatch to
 * the queues, and one pass of the device (doorbells, then wire input).
 */

#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "emu_priv.h"

static pthread_mutex_t emu_global = PTHREAD_MUTEX_INITIALIZER;
static struct emu_dev *emu_devs;

void
emu_global_lock(void)
{
	pthread_mutex_lock(&emu_global);
}

void
emu_global_unlock(void)
{
	pthread_mutex_unlock(&emu_global);
}

struct emu_dev **
emu_global_head(void)
{
	return &emu_devs;
}

uint64_t
emu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------------------ */
/* Doorbells                                                                */
/* ------------------------------------------------------------------------ */

/* The queue with id @p id (its CQ when @p cq) if it is rung on @p pg. */
static struct emu_wq *
emu_page_queue(struct emu_dev *dev, struct emu_page *pg, uint32_t id, bool cq)
{
	struct emu_wq *wq = emu_wq_by_id(dev, id);

	if (wq == NULL || wq->page != pg || (cq ? wq->cq.id : wq->id) != id)
		return NULL;
	return wq;
}

static int
emu_wq_doorbell(struct emu_dev *dev, struct emu_page *pg, uint32_t slot, uint64_t v)
{
	enum emu_wq_type type = slot == DOORBELL_OFFSET_SQ ? EMU_WQ_SQ : EMU_WQ_RQ;
	uint32_t id = (uint32_t)v & GDMA_QUEUE_ID_MASK;
	uint32_t tail = (uint32_t)(v >> 32);
	struct emu_wq *wq = emu_page_queue(dev, pg, id, false);

	if (wq == NULL || wq->type != type) {
		emu_violation(dev, EMU_VIOL_DB_UNKNOWN_QUEUE, id, slot,
			      "%s doorbell %#" PRIx64 " on page %u: no such %s on this page",
			      type == EMU_WQ_SQ ? "SQ" : "RQ", v, pg->id,
			      type == EMU_WQ_SQ ? "SQ" : "RQ");
		return 1;
	}
	wq->st.doorbells++;
	if (dev->trace)
		emu_trace(dev, "%s doorbell id %#x tail %#x (consumer %#x)",
			  type == EMU_WQ_SQ ? "SQ" : "RQ", id, tail, wq->consumer);
	if (wq->error)
		return 1;
	if (type == EMU_WQ_RQ && ((v >> 24) & 0xFF) != 0)
		emu_violation(dev, EMU_VIOL_RQ_WQE_CNT, id, tail,
			      "RQ doorbell with wqe_cnt %u (must be 0)",
			      (uint32_t)((v >> 24) & 0xFF));
	if (tail & (GDMA_WQE_BU_SIZE - 1)) {
		emu_violation(dev, EMU_VIOL_DB_BAD_TAIL, id, tail,
			      "doorbell tail %#x is not a multiple of 32", tail);
		return 1;
	}
	if (tail - wq->consumer > wq->size) {
		emu_violation(dev, EMU_VIOL_RING_OVERRUN, id, tail,
			      "doorbell tail %#x is %u bytes ahead of the device consumer %#x, ring is %u",
			      tail, tail - wq->consumer, wq->consumer, wq->size);
		wq->error = true;
		return 1;
	}
	wq->tail = tail;
	if (type == EMU_WQ_SQ)
		return 1 + emu_sq_process(dev, wq);
	return 1;
}

static int
emu_cq_doorbell_at(struct emu_dev *dev, struct emu_page *pg, uint64_t v)
{
	uint32_t id = (uint32_t)v & GDMA_QUEUE_ID_MASK;
	struct emu_wq *wq = emu_page_queue(dev, pg, id, true);

	if (wq == NULL)
		emu_violation(dev, EMU_VIOL_DB_UNKNOWN_QUEUE, id, DOORBELL_OFFSET_CQ,
			      "CQ doorbell %#" PRIx64 " on page %u: no such CQ on this page",
			      v, pg->id);
	else
		emu_cq_doorbell(dev, wq, v);
	return 1;
}

/* One store to a doorbell page, as the device receives it. */
static int
emu_page_store(struct emu_dev *dev, struct emu_page *pg, uint32_t offset,
	       uint64_t v, unsigned int width)
{
	if (width == 8) {
		switch (offset) {
		case DOORBELL_OFFSET_SQ:
		case DOORBELL_OFFSET_RQ:
			return emu_wq_doorbell(dev, pg, offset, v);
		case DOORBELL_OFFSET_CQ:
			return emu_cq_doorbell_at(dev, pg, v);
		default:
			break;
		}
	}
	emu_violation(dev, EMU_VIOL_DB_SHORT, (uint32_t)v, offset,
		      "%u-byte write %#" PRIx64 " to doorbell page offset %#x (doorbells are single 64-bit stores to 0x000, 0x400, 0x800; the 32-bit short and RNIC client slots are not used by Ethernet queues on 64-bit hosts); ignored",
		      width, v, offset);
	return 1;
}

static int
emu_page_sample(struct emu_dev *dev, struct emu_page *pg)
{
	static const uint32_t slots[] = {
		DOORBELL_OFFSET_SQ, DOORBELL_OFFSET_RQ, DOORBELL_OFFSET_CQ,
		DOORBELL_OFFSET_SQ_SHORT, DOORBELL_OFFSET_RQ_CLIENT,
		DOORBELL_OFFSET_RQ_SHORT, DOORBELL_OFFSET_CQ_SHORT,
	};
	volatile uint64_t *w = pg->words;
	uint64_t v;
	uint32_t i;
	int work = 0;

	for (i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		if (__atomic_load_n(&w[slots[i] / 8], __ATOMIC_RELAXED) == 0)
			continue;
		v = __atomic_exchange_n(&w[slots[i] / 8], 0, __ATOMIC_ACQUIRE);
		if (v)
			work += emu_page_store(dev, pg, slots[i], v,
					       i < 3 ? 8 : 4);
	}
	return work;
}

/* Take a pending RQ doorbell of @p pg, if any. */
static int
emu_page_sample_rq(struct emu_dev *dev, struct emu_page *pg)
{
	volatile uint64_t *w = pg->words;
	uint64_t v;

	if (__atomic_load_n(&w[DOORBELL_OFFSET_RQ / 8], __ATOMIC_RELAXED) == 0)
		return 0;
	v = __atomic_exchange_n(&w[DOORBELL_OFFSET_RQ / 8], 0, __ATOMIC_ACQUIRE);
	return v ? emu_wq_doorbell(dev, pg, DOORBELL_OFFSET_RQ, v) : 0;
}

/* ------------------------------------------------------------------------ */
/* Doorbell FIFO (EMU_DB_FIFO): a bounded MPSC queue of stores              */
/* ------------------------------------------------------------------------ */

int
emu_db_fifo_create(struct emu_dev *dev)
{
	struct emu_db_fifo *f;
	uint64_t i;
	int fd;

	fd = memfd_create("mana-emu-db-fifo", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, sizeof(*f)) != 0) {
		close(fd);
		return -errno;
	}
	f = mmap(NULL, sizeof(*f), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (f == MAP_FAILED) {
		close(fd);
		return -errno;
	}
	for (i = 0; i < EMU_DB_FIFO_CELLS; i++)
		atomic_init(&f->cells[i].seq, i);
	dev->db_fifo = f;
	dev->db_fifo_fd = fd;
	return 0;
}

void
emu_db_fifo_free(struct emu_dev *dev)
{
	if (dev->db_fifo != NULL)
		munmap(dev->db_fifo, sizeof(*dev->db_fifo));
	if (dev->db_fifo_fd >= 0)
		close(dev->db_fifo_fd);
	dev->db_fifo = NULL;
	dev->db_fifo_fd = -1;
}

int
emu_db_fifo_fd(const struct emu_dev *dev)
{
	return dev->db_fifo_fd;
}

struct emu_db_fifo *
emu_db_fifo_attach(int fd)
{
	struct stat st;
	void *f;

	if (fstat(fd, &st) != 0)
		return NULL;
	if ((size_t)st.st_size != sizeof(struct emu_db_fifo)) {
		errno = EINVAL;
		return NULL;
	}
	f = mmap(NULL, sizeof(struct emu_db_fifo), PROT_READ | PROT_WRITE,
		 MAP_SHARED, fd, 0);
	return f == MAP_FAILED ? NULL : f;
}

void
emu_db_fifo_detach(struct emu_db_fifo *f)
{
	if (f != NULL)
		munmap(f, sizeof(*f));
}

int
emu_db_fifo_push(struct emu_db_fifo *f, uint32_t page_id, uint32_t offset,
		 uint64_t value, unsigned int width)
{
	const uint64_t mask = EMU_DB_FIFO_CELLS - 1;
	struct emu_db_cell *c;
	uint64_t pos, seq;

	pos = atomic_load_explicit(&f->head, memory_order_relaxed);
	for (;;) {
		c = &f->cells[pos & mask];
		seq = atomic_load_explicit(&c->seq, memory_order_acquire);
		if (seq == pos) {
			if (atomic_compare_exchange_weak_explicit(&f->head,
					&pos, pos + 1, memory_order_relaxed,
					memory_order_relaxed))
				break;
		} else if ((int64_t)(seq - pos) < 0) {
			atomic_fetch_add_explicit(&f->lost, 1, memory_order_relaxed);
			return -ENOBUFS;
		} else {
			pos = atomic_load_explicit(&f->head, memory_order_relaxed);
		}
	}
	c->page = page_id;
	c->offset = (uint16_t)offset;
	c->width = (uint16_t)width;
	c->value = value;
	atomic_store_explicit(&c->seq, pos + 1, memory_order_release);
	return 0;
}

int
emu_db_store(struct emu_dev *dev, uint32_t page_id, uint32_t offset,
	     uint64_t value, unsigned int width)
{
	if (dev->db_fifo == NULL)
		return -ENOTSUP;
	return emu_db_fifo_push(dev->db_fifo, page_id, offset, value, width);
}

uint64_t
emu_db_lost(const struct emu_dev *dev)
{
	return dev->db_fifo == NULL ? 0 :
	       atomic_load_explicit(&dev->db_fifo->lost, memory_order_relaxed);
}

/* Device lock held: take every store queued so far, in order. */
int
emu_db_drain(struct emu_dev *dev, bool removed)
{
	const uint64_t mask = EMU_DB_FIFO_CELLS - 1;
	struct emu_page *pg = NULL;
	int work = 0;

	for (;;) {
		struct emu_db_cell *c = &dev->db_fifo->cells[dev->db_tail & mask];
		uint32_t page, offset, width;
		uint64_t value;

		if (atomic_load_explicit(&c->seq, memory_order_acquire) !=
		    dev->db_tail + 1)
			break;
		page = c->page;
		offset = c->offset;
		width = c->width;
		value = c->value;
		atomic_store_explicit(&c->seq, dev->db_tail + EMU_DB_FIFO_CELLS,
				      memory_order_release);
		dev->db_tail++;
		/* a removed device takes no doorbells (spec §9.3) */
		if (removed)
			continue;
		if (pg == NULL || pg->id != page)
			pg = emu_page_find(dev, page);
		/* a page freed meanwhile: the store went nowhere */
		if (pg == NULL || pg->zombie)
			continue;
		work += emu_page_store(dev, pg, offset, value, width);
	}
	return work;
}

void
emu_dev_lock_cmd(struct emu_dev *dev)
{
	struct emu_page *pg;

	pthread_mutex_lock(&dev->lock);
	/*
	 * A command comes after every doorbell store made before it, and
	 * after the frames that reached the vPorts before it (the model's
	 * wire input rings stand for frames the hardware has already
	 * taken in).
	 */
	if (dev->db_fifo != NULL)
		emu_db_drain(dev, atomic_load(&dev->removed));
	if (atomic_load(&dev->removed))
		return;
	/* sampled pages too: what was written before the command is taken */
	for (pg = dev->pages; pg != NULL; pg = pg->next)
		if (!pg->zombie && !pg->fifo)
			emu_page_sample(dev, pg);
	emu_wire_poll(dev);
}

int
emu_dev_pass(struct emu_dev *dev)
{
	struct emu_page *pg;
	int work = 0;

	if (dev->db_fifo != NULL)
		work += emu_db_drain(dev, atomic_load(&dev->removed));
	if (!atomic_load(&dev->removed)) {
		for (pg = dev->pages; pg != NULL; pg = pg->next)
			if (!pg->zombie && !pg->fifo)
				work += emu_page_sample(dev, pg);
		/*
		 * A driver that posts RX WQEs and then transmits writes the RQ
		 * doorbell before the SQ doorbell. The page walk above may have
		 * passed that RQ slot before the write and then taken the SQ
		 * doorbell, whose frame may come back to that RQ through a
		 * wire. Look at every RQ slot again before delivering, so that
		 * no frame is dropped for want of a WQE whose doorbell was
		 * written before the frame was sent.
		 */
		for (pg = dev->pages; pg != NULL; pg = pg->next)
			if (!pg->zombie && !pg->fifo)
				work += emu_page_sample_rq(dev, pg);
	}
	work += emu_wire_poll(dev);
	if (dev->thread_mode)
		work += emu_rx_flush(dev, false);
	return work;
}

