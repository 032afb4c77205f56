/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Doorbell-trap benchmark: nanoseconds per trapped 64-bit doorbell store, one
 * and two threads, beside a bare SIGSEGV round trip (the kernel's share).
 * Each figure is the best and the median of 7 runs, in wall-clock time per
 * store and in CPU time (user + system, all threads) per store.
 *
 *     bench-dbtrap [stores per thread and run, default 100000]
 */

#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "emu_dbtrap.h"

#define PG	4096u

struct slot {
	_Alignas(64) uint64_t last;
	uint64_t n;
};

static struct slot slots[2];
static uint64_t iters = 100000;

#define RUNS	7

/* The device side: what an MPSC-ring push would cost, roughly. */
static void
bench_db(void *arg, uint32_t off, uint64_t value, unsigned int width)
{
	struct slot *s = &slots[value >> 63];

	(void)arg; (void)width;
	s->last = value + off;
	s->n++;
}

/* A bare handler: step over "mov %rax, (%rdi)" (48 89 07), nothing else. */
static void
bare_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)sig; (void)si;
	uc->uc_mcontext.gregs[REG_RIP] += 3;
}

static void
store_loop(volatile uint8_t *p, uint64_t tag, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		uint64_t v = tag | i;

		asm volatile("mov %0, (%1)" : : "a"(v), "D"(p) : "memory");
	}
}

struct thr {
	volatile uint8_t *p;
	uint64_t tag;
	pthread_barrier_t *bar;
};

static void *
thr_main(void *arg)
{
	struct thr *t = arg;

	pthread_barrier_wait(t->bar);
	store_loop(t->p, t->tag, iters);
	return NULL;
}

struct fig {
	double wall;	/* ns per store */
	double cpu;	/* CPU ns per store */
};

static double
now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One run: @p nthreads threads storing @p iters each. */
static struct fig
run1(volatile uint8_t *p, unsigned int nthreads)
{
	struct thr t[2];
	pthread_t th[2];
	pthread_barrier_t bar;
	unsigned int i;
	double t0, c0;
	struct fig f;

	pthread_barrier_init(&bar, NULL, nthreads + 1);
	for (i = 0; i < nthreads; i++) {
		t[i] = (struct thr){ p, (uint64_t)i << 63, &bar };
		pthread_create(&th[i], NULL, thr_main, &t[i]);
	}
	c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	t0 = now_ns(CLOCK_MONOTONIC);
	pthread_barrier_wait(&bar);
	for (i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	f.wall = (now_ns(CLOCK_MONOTONIC) - t0) / (double)(iters * nthreads);
	f.cpu = (now_ns(CLOCK_PROCESS_CPUTIME_ID) - c0) / (double)(iters * nthreads);
	pthread_barrier_destroy(&bar);
	return f;
}

/* RUNS runs; print best and median of both figures. */
static void
run(const char *what, volatile uint8_t *p, unsigned int nthreads)
{
	double wall[RUNS], cpu[RUNS];
	unsigned int i;

	for (i = 0; i < RUNS; i++) {
		struct fig f = run1(p, nthreads);

		wall[i] = f.wall;
		cpu[i] = f.cpu;
	}
	qsort(wall, RUNS, sizeof(wall[0]), cmp_double);
	qsort(cpu, RUNS, sizeof(cpu[0]), cmp_double);
	printf("%-40s %u thread%s  wall ns/store best %6.0f median %6.0f   "
	       "CPU ns/store best %6.0f median %6.0f\n", what, nthreads, nthreads > 1 ? "s" : " ",
	       wall[0], wall[RUNS / 2], cpu[0], cpu[RUNS / 2]);
	fflush(stdout);
}

static void
run_bare(const char *what, int flags, unsigned int nthreads)
{
	struct sigaction sa, old;
	volatile uint8_t *p = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = bare_handler;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old);
	run(what, p, nthreads);
	sigaction(SIGSEGV, &old, NULL);
	munmap((void *)(uintptr_t)p, PG);
}

int
main(int argc, char **argv)
{
	volatile uint8_t *db;
	uint64_t before;
	int fd;

	if (argc > 1)
		iters = strtoull(argv[1], NULL, 0);
	/* The bare round trips run before the trap installs its handler. */
	run_bare("bare SIGSEGV handler, SIGSEGV masked", 0, 1);
	run_bare("bare SIGSEGV handler, SA_NODEFER", SA_NODEFER, 1);
	run_bare("bare SIGSEGV handler, SIGSEGV masked", 0, 2);
	run_bare("bare SIGSEGV handler, SA_NODEFER", SA_NODEFER, 2);

	fd = memfd_create("bench-dbtrap", 0);
	if (fd < 0 || ftruncate(fd, PG) != 0) {
		perror("memfd");
		return 1;
	}
	db = emu_dbtrap_map(NULL, PG, fd, 0, MAP_SHARED, bench_db, NULL);
	if (db == MAP_FAILED) {
		fprintf(stderr, "%s\n", emu_dbtrap_last_error());
		return 1;
	}
	before = emu_dbtrap_count();
	run("emu_dbtrap doorbell", db, 1);
	run("emu_dbtrap doorbell", db, 2);
	if (emu_dbtrap_count() - before != 3 * RUNS * iters ||
	    slots[0].n != 2 * RUNS * iters || slots[1].n != RUNS * iters) {
		fprintf(stderr, "bench-dbtrap: %llu stores delivered, expected %llu\n",
			(unsigned long long)(emu_dbtrap_count() - before),
			(unsigned long long)(3 * RUNS * iters));
		return 1;
	}
	printf("%llu doorbells delivered, %llu stores per run and thread\n",
	       (unsigned long long)(3 * RUNS * iters), (unsigned long long)iters);
	return 0;
}
