/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * emu_dbtrap inside a preloaded shared object, under an application that
 * knows nothing of it and installs its own SIGSEGV handler (as OVS or
 * testpmd do): doorbells reach the device, other faults the application.
 */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "mtest.h"

static sigjmp_buf jb;
static void *fault_addr;

static void
app_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig; (void)uc;
	fault_addr = si->si_addr;
	siglongjmp(jb, 1);
}

static int
test_preloaded_trap_chains(void)
{
	void *(*shim_map)(void) = (void *(*)(void))dlsym(RTLD_DEFAULT, "dbtrap_shim_map");
	uint64_t (*shim_last)(void) = (uint64_t (*)(void))dlsym(RTLD_DEFAULT, "dbtrap_shim_last");
	volatile uint8_t *db, *ro;
	struct sigaction sa, cur;

	MTEST_ASSERT(shim_map != NULL && shim_last != NULL, "run with LD_PRELOAD=libdbtrap-shim.so");
	db = shim_map();
	MTEST_ASSERT(db != MAP_FAILED, "shim map");
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = app_segv;
	sa.sa_flags = SA_SIGINFO;
	MTEST_ASSERT_EQ(sigaction(SIGSEGV, &sa, NULL), 0);
	MTEST_ASSERT_EQ(sigaction(SIGSEGV, NULL, &cur), 0);
	MTEST_ASSERT(cur.sa_sigaction == app_segv, "the application sees its own handler");
	*(volatile uint64_t *)(db + 0x400) = 0x1234;
	asm volatile("" : : : "memory");
	MTEST_ASSERT_EQ(shim_last(), 0x1234 ^ 0x400 ^ (8ull << 56));
	*(volatile uint32_t *)(db + 0x810) = 0x77;
	asm volatile("" : : : "memory");
	MTEST_ASSERT_EQ(shim_last(), 0x77 ^ 0x810 ^ (4ull << 56));
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	MTEST_ASSERT(ro != MAP_FAILED, "mmap");
	if (sigsetjmp(jb, 1) == 0) {
		*(volatile uint64_t *)(ro + 8) = 1;
		MTEST_FAIL("the write to a read-only page did not fault");
	}
	MTEST_ASSERT((uintptr_t)fault_addr == (uintptr_t)(ro + 8), "si_addr %p", fault_addr);
	return MTEST_SUCCESS;
}

static const struct mtest_case cases[] = {
	{ "preloaded_trap_chains", test_preloaded_trap_chains },
};

int
main(int argc, char **argv)
{
	return mtest_run("emu-dbtrap-preload", cases, MTEST_N(cases), argc, argv);
}
