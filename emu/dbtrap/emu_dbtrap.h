/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Doorbell capture by write-fault trapping: a page mapped read-only whose
 * every store is decoded in the SIGSEGV handler and handed to a callback.
 */

#ifndef EMU_DBTRAP_H
#define EMU_DBTRAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Most mappings registered at once. */
#define EMU_DBTRAP_MAX_MAPS	64

/**
 * Called in the faulting thread, inside its SIGSEGV handler, once per store:
 * @p offset is the store's offset in the mapping, @p value the stored bytes
 * (zero-extended), @p width their count (1, 2, 4 or 8). It must be
 * async-signal-safe and lock-free (the interrupted code may hold any lock):
 * e.g. push (offset, value) into an MPSC ring the device drains.
 */
typedef void (*emu_dbtrap_fn)(void *arg, uint32_t offset, uint64_t value, unsigned int width);

/**
 * Map @p len (a multiple of 4096) bytes of @p fd at file offset @p off,
 * MAP_SHARED and PROT_READ only, at @p hint (MAP_FIXED and
 * MAP_FIXED_NOREPLACE in @p flags are honoured; MAP_PRIVATE is not allowed),
 * and register it: every store of any thread into it calls @p fn
 * synchronously, in program order per thread, then execution resumes after
 * the store. The first call installs the SIGSEGV handler.
 *
 * @return the address, or MAP_FAILED with errno set (ENOTSUP off x86-64,
 *   ENOSPC when EMU_DBTRAP_MAX_MAPS are registered, EBUSY on overlap).
 */
void *emu_dbtrap_map(void *hint, size_t len, int fd, off_t off, int flags,
		     emu_dbtrap_fn fn, void *arg);

/** Unregister and munmap a whole mapping. 0 on success, -1 with errno otherwise. */
int emu_dbtrap_unmap(void *addr, size_t len);

/** Whether @p addr lies inside a registered mapping. */
bool emu_dbtrap_owns(const void *addr);

/** Stores delivered to callbacks so far, all mappings and threads. */
uint64_t emu_dbtrap_count(void);

/** The last error of a map/unmap call, or of a store that could not be decoded. */
const char *emu_dbtrap_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* EMU_DBTRAP_H */
