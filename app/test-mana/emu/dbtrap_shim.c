/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * A preloadable stand-in for the emulator's shim: emu_dbtrap linked into a
 * shared object, one doorbell page offered through dbtrap_shim_map().
 */

#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "emu_dbtrap.h"

#define SHIM_EXPORT	__attribute__((visibility("default")))

static _Atomic uint64_t shim_last;

static void
shim_db(void *arg, uint32_t off, uint64_t value, unsigned int width)
{
	(void)arg;
	atomic_store(&shim_last, value ^ off ^ ((uint64_t)width << 56));
}

/* A trapped page; dbtrap_shim_last() returns value ^ offset ^ width << 56 of the last store. */
SHIM_EXPORT void *dbtrap_shim_map(void);
SHIM_EXPORT uint64_t dbtrap_shim_last(void);

void *
dbtrap_shim_map(void)
{
	int fd = memfd_create("dbtrap-shim", 0);

	if (fd < 0 || ftruncate(fd, 4096) != 0)
		return MAP_FAILED;
	return emu_dbtrap_map(NULL, 4096, fd, 0, MAP_SHARED, shim_db, NULL);
}

uint64_t
dbtrap_shim_last(void)
{
	return atomic_load(&shim_last);
}
