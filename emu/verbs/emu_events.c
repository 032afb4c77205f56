/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * The kernel's event files as the user sees them: the async-event fd of a
 * ucontext and the completion channels. Each is a real eventfd, readable
 * exactly while events are queued (poll, epoll and select see it), and
 * read() returns one event structure per call, as uverbs does.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "emu_verbs_priv.h"

struct emu_evq *
emu_evq_create(bool comp)
{
	struct emu_evq *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return NULL;
	q->fd = eventfd(0, EFD_CLOEXEC);
	if (q->fd < 0) {
		free(q);
		return NULL;
	}
	q->comp = comp;
	pthread_mutex_init(&q->lock, NULL);
	if (comp)
		__atomic_fetch_add(&emu_live_channels, 1, __ATOMIC_RELAXED);
	return q;
}

/* Lock held: the eventfd's counter is non-zero iff events are queued. */
static void
evq_signal(struct emu_evq *q, bool readable)
{
	uint64_t v = 1;
	ssize_t n;

	if (readable)
		n = emu_real_write(q->fd, &v, sizeof(v));
	else
		n = emu_real_read(q->fd, &v, sizeof(v));
	(void)n;
}

void
emu_evq_push(struct emu_evq *q, const uint64_t words[2], uint32_t len,
	     struct emu_ucq *cq)
{
	struct emu_event *e;

	pthread_mutex_lock(&q->lock);
	if (q->user_closed || q->n == EMU_EVQ_CAP) {
		q->dropped++;
		pthread_mutex_unlock(&q->lock);
		return;
	}
	e = &q->ev[(q->head + q->n) % EMU_EVQ_CAP];
	e->words[0] = words[0];
	e->words[1] = words[1];
	e->len = len;
	e->cq = cq;
	if (q->n++ == 0)
		evq_signal(q, true);
	pthread_mutex_unlock(&q->lock);
}

void
emu_evq_forget_cq(struct emu_evq *q, struct emu_ucq *cq)
{
	uint32_t i, kept = 0;

	/* uverbs drops the unread events of a CQ that is destroyed */
	pthread_mutex_lock(&q->lock);
	for (i = 0; i < q->n; i++) {
		struct emu_event e = q->ev[(q->head + i) % EMU_EVQ_CAP];

		if (e.cq != cq)
			q->ev[(q->head + kept++) % EMU_EVQ_CAP] = e;
	}
	if (q->n != 0 && kept == 0 && !q->user_closed)
		evq_signal(q, false);
	q->n = kept;
	pthread_mutex_unlock(&q->lock);
}

ssize_t
emu_evq_read(struct emu_evq *q, void *buf, size_t len)
{
	uint32_t need = q->comp ? 8 : 16;
	struct emu_event e;

	/* as ib_uverbs_event_read: wait for an event, then check the size */
	for (;;) {
		struct pollfd pfd = { .fd = q->fd, .events = POLLIN };

		pthread_mutex_lock(&q->lock);
		if (q->n != 0)
			break;
		pthread_mutex_unlock(&q->lock);
		if (fcntl(q->fd, F_GETFL) & O_NONBLOCK)
			return -EAGAIN;
		if (poll(&pfd, 1, -1) < 0 && errno == EINTR)
			return -EINTR;
	}
	if (len < need) {
		/* too small for one event: it stays queued */
		pthread_mutex_unlock(&q->lock);
		return -EINVAL;
	}
	e = q->ev[q->head];
	q->head = (q->head + 1) % EMU_EVQ_CAP;
	if (--q->n == 0)
		evq_signal(q, false);
	/* the kernel counts a completion event when the user reads it */
	if (e.cq != NULL)
		e.cq->comp_events_reported++;
	pthread_mutex_unlock(&q->lock);
	memcpy(buf, e.words, need);
	return need;
}

void
emu_evq_put(struct emu_evq *q, bool user_close)
{
	bool last;

	pthread_mutex_lock(&q->lock);
	if (user_close)
		q->user_closed = true;
	else if (q->cq_refs)
		q->cq_refs--;
	last = q->user_closed && q->cq_refs == 0;
	pthread_mutex_unlock(&q->lock);
	if (!last)
		return;
	if (q->comp)
		__atomic_fetch_sub(&emu_live_channels, 1, __ATOMIC_RELAXED);
	pthread_mutex_destroy(&q->lock);
	free(q);
}
