/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * mana-emu execution modes beside the device core: the step mode and the
 * device thread that runs emu_dev_pass() over every device.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#include "emu_priv.h"

static pthread_t emu_thread;
static atomic_bool emu_thread_on;
static atomic_bool emu_thread_quit;

int
emu_dev_step(struct emu_dev *dev)
{
	int total = 0, w;

	if (atomic_load(&emu_thread_on))
		return -EBUSY;
	pthread_mutex_lock(&dev->lock);
	dev->thread_mode = false;
	do {
		w = emu_dev_pass(dev);
		total += w;
	} while (w > 0);
	total += emu_rx_flush(dev, true);
	pthread_mutex_unlock(&dev->lock);
	return total;
}

int
emu_step_all(void)
{
	struct emu_dev *d;
	int total = 0, w, r;

	if (atomic_load(&emu_thread_on))
		return -EBUSY;
	do {
		w = 0;
		emu_global_lock();
		for (d = *emu_global_head(); d != NULL; d = d->next) {
			r = emu_dev_step(d);
			if (r > 0)
				w += r;
		}
		emu_global_unlock();
		total += w;
	} while (w > 0);
	return total;
}

/* ------------------------------------------------------------------------ */
/* Device thread                                                            */
/* ------------------------------------------------------------------------ */

/* Idle this long before the device thread starts yielding its core. */
#define EMU_IDLE_SPIN_NS	(10u * 1000u * 1000u)

static void *
emu_thread_main(void *arg)
{
	uint64_t last_work = emu_now_ns();
	uint32_t idle = 0;

	(void)arg;
	while (!atomic_load_explicit(&emu_thread_quit, memory_order_relaxed)) {
		struct emu_dev *d;
		int w = 0;

		emu_global_lock();
		for (d = *emu_global_head(); d != NULL; d = d->next) {
			pthread_mutex_lock(&d->lock);
			d->thread_mode = true;
			w += emu_dev_pass(d);
			pthread_mutex_unlock(&d->lock);
		}
		emu_global_unlock();
		if (w) {
			idle = 0;
			continue;
		}
		/*
		 * A driver whose doorbells are trapped spends microseconds per
		 * store: spin through such gaps (time-based, checked every 1024
		 * idle passes), and yield the core only after a long idle
		 * (2-core machines).
		 */
		if ((++idle & 1023) == 0) {
			uint64_t now = emu_now_ns();

			if (idle == 1024)
				last_work = now;
			if (now - last_work > EMU_IDLE_SPIN_NS) {
				struct timespec ts = { 0, 20000 };

				nanosleep(&ts, NULL);
				continue;
			}
		}
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#else
		sched_yield();
#endif
	}
	return NULL;
}

int
emu_dev_thread_start(int cpu)
{
	int rc;

	if (atomic_exchange(&emu_thread_on, true))
		return -EALREADY;
	atomic_store(&emu_thread_quit, false);
	rc = pthread_create(&emu_thread, NULL, emu_thread_main, NULL);
	if (rc != 0) {
		atomic_store(&emu_thread_on, false);
		return -rc;
	}
	pthread_setname_np(emu_thread, "mana-emu");
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		pthread_setaffinity_np(emu_thread, sizeof(set), &set);
	}
	return 0;
}

void
emu_dev_thread_stop(void)
{
	struct emu_dev *d;

	if (!atomic_load(&emu_thread_on))
		return;
	atomic_store(&emu_thread_quit, true);
	pthread_join(emu_thread, NULL);
	emu_global_lock();
	for (d = *emu_global_head(); d != NULL; d = d->next) {
		pthread_mutex_lock(&d->lock);
		d->thread_mode = false;
		emu_rx_flush(d, true);
		pthread_mutex_unlock(&d->lock);
	}
	emu_global_unlock();
	atomic_store(&emu_thread_on, false);
}

bool
emu_dev_thread_running(void)
{
	return atomic_load(&emu_thread_on);
}
