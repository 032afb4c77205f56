/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * The emulator's control API (emu/verbs/mana_emu.h) as a test program finds
 * it at run time in the libmana-emu.so that mana-emu preloads: `emu.<name>`
 * calls mana_emu_<name>(). For single-file test programs.
 */

#ifndef MANA_TEST_EMU_BIND_H
#define MANA_TEST_EMU_BIND_H

#include <dlfcn.h>
#include <stdio.h>

#include "mana_emu.h"

static struct {
	__typeof__(mana_emu_set_mode) *set_mode;
	__typeof__(mana_emu_step) *step;
	__typeof__(mana_emu_mac) *mac;
	__typeof__(mana_emu_capture_read) *capture_read;
	__typeof__(mana_emu_violation_count) *violation_count;
	__typeof__(mana_emu_violations_text) *violations_text;
	__typeof__(mana_emu_set_garbage_cqe) *set_garbage_cqe;
	__typeof__(mana_emu_stats_text) *stats_text;
	__typeof__(mana_emu_counter) *counter;
	__typeof__(mana_emu_remove) *remove;
	__typeof__(mana_emu_readd) *readd;
	__typeof__(mana_emu_reset) *reset;
	__typeof__(mana_emu_pci_addr) *pci_addr;
	__typeof__(mana_emu_pci_tree) *pci_tree;
	__typeof__(mana_emu_inject_tx_error) *inject_tx_error;
} emu;

/* Look every entry up; -1 (with a message) when not run under mana-emu. */
static inline int
emu_bind(void)
{
#define BIND(f) do { \
	*(void **)&emu.f = dlsym(RTLD_DEFAULT, "mana_emu_" #f); \
	if (emu.f == NULL) { \
		fprintf(stderr, "mana_emu_" #f " not found: run under mana-emu\n"); \
		return -1; \
	} \
} while (0)
	BIND(set_mode);
	BIND(step);
	BIND(mac);
	BIND(capture_read);
	BIND(violation_count);
	BIND(violations_text);
	BIND(set_garbage_cqe);
	BIND(stats_text);
	BIND(counter);
	BIND(remove);
	BIND(readd);
	BIND(reset);
	BIND(pci_addr);
	BIND(pci_tree);
	BIND(inject_tx_error);
#undef BIND
	return 0;
}

#endif /* MANA_TEST_EMU_BIND_H */
