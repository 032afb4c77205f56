/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Public control API of libmana-emu.so for tests, benchmarks and the CLI.
 */

#ifndef MANA_EMU_H
#define MANA_EMU_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Control socket, in the instance directory (MANA_EMU_DIR). */
#define MANA_EMU_CTL_SOCKET "ctl.sock"
/** File the library keeps up to date with "violations N" and one line each. */
#define MANA_EMU_VIOLATIONS_FILE "violations"

/** Execution modes of the emulated devices. */
enum mana_emu_mode {
	MANA_EMU_MODE_THREAD = 0,	/**< a device thread runs the queues */
	MANA_EMU_MODE_STEP = 1,		/**< only mana_emu_step() runs them */
};

/**
 * (Re)initialise the emulator from an option string ("key=value,...", the
 * keys of MANA_EMU_OPTS; NULL = environment only). Settings from
 * MANA_EMU_CONFIG and MANA_EMU_OPTS are applied first, then @p opts.
 * Without this call the library initialises itself from the environment:
 * the PCI tree when loaded (if MANA_EMU_DIR is set and has no tree yet),
 * the devices at the first verbs or mana_emu_* call. Calling this replaces
 * that state, so call it before opening any device.
 * Builds the PCI tree in the instance directory and, when
 * SYSFS_PCI_DEVICES is unset, points it there (call before rte_eal_init()).
 * @return 0 on success, a negative errno value otherwise (-EBUSY while a
 * device context is open).
 */
int mana_emu_init(const char *opts);

/** Tear everything down (devices, tree, threads). */
void mana_emu_fini(void);

/** Last configuration error text, or "" (after a failed init). */
const char *mana_emu_last_error(void);

/**
 * Switch between thread and step mode.
 * @return 0 on success, a negative errno value otherwise.
 */
int mana_emu_set_mode(enum mana_emu_mode mode);

/**
 * Step mode: process every pending doorbell, wire input and coalescing
 * flush of every device once.
 * @return amount of work done (0 = idle).
 */
unsigned int mana_emu_step(void);

/** Number of emulated PCI functions. */
unsigned int mana_emu_dev_count(void);

/** PCI address of function @p dev (current one after a re-add), or NULL. */
const char *mana_emu_pci_addr(unsigned int dev);

/** Instance directory (MANA_EMU_DIR). */
const char *mana_emu_dir(void);

/** PCI tree root, the value for SYSFS_PCI_DEVICES. */
const char *mana_emu_pci_tree(void);

/** Name of the current IB device of function @p dev, or NULL if none. */
const char *mana_emu_ibdev_name(unsigned int dev);

/**
 * MAC of vPort @p port of function @p dev.
 * @return 0 on success, a negative errno value otherwise.
 */
int mana_emu_mac(unsigned int dev, unsigned int port, uint8_t mac[6]);

/**
 * Deliver @p frame as if it arrived from the wire of vPort @p port (on a
 * vswitch wire: from the uplink, so the host switch decides its path).
 * @return 0 on success, a negative errno value otherwise.
 */
int mana_emu_inject_rx(unsigned int dev, unsigned int port,
		       const void *frame, size_t len);

/**
 * Keep a copy of the last @p n_frames frames vPort @p port transmits
 * (0 disables; the config key capture=N enables it on every vPort).
 * @return 0 on success, a negative errno value otherwise.
 */
int mana_emu_capture_enable(unsigned int dev, unsigned int port,
			    unsigned int n_frames);

/**
 * Take the oldest frame vPort @p port transmitted (after
 * mana_emu_capture_enable; the wire also carries the frame).
 * @return the frame length, -EAGAIN if none, another negative errno value
 * on error. A frame longer than @p len is truncated to @p len.
 */
ssize_t mana_emu_capture_read(unsigned int dev, unsigned int port,
			      void *buf, size_t len);

/** Total number of rule violations recorded by every device. */
uint64_t mana_emu_violation_count(void);

/**
 * Write the violations, one per line, into @p buf.
 * @return the length the full text needs (like snprintf).
 */
size_t mana_emu_violations_text(char *buf, size_t len);

/**
 * Write the counters of every device, one "name value" per line.
 * @return the length the full text needs (like snprintf).
 */
size_t mana_emu_stats_text(char *buf, size_t len);

/**
 * Read one counter of function @p dev by name (as printed by
 * mana_emu_stats_text without the device prefix). Leak checks: also
 * "live_contexts" and "live_objects" (open contexts of the function and
 * the verbs objects they hold, zombies included) and "live_channels"
 * (completion channels of every context).
 * @return 0 on success, -ENOENT if there is no such counter.
 */
int mana_emu_counter(unsigned int dev, const char *name, uint64_t *value);

/** Strict mode on/off (violations also counted as fatal by the CLI). */
void mana_emu_set_strict(int on);

/**
 * Hot-remove function @p dev: the device stops, every open context gets
 * IBV_EVENT_DEVICE_FATAL, verbs fail with EIO, the PCI directory and the
 * IB device disappear.
 * @return 0 on success, a negative errno value otherwise.
 */
int mana_emu_remove(unsigned int dev);

/**
 * Re-add a removed function at its old address (@p pci NULL) or at
 * @p pci, same MACs, new IB device.
 * @return 0 on success, a negative errno value otherwise.
 */
int mana_emu_readd(unsigned int dev, const char *pci);

/**
 * Service reset of function @p dev: like a removal for verbs users, but
 * the PCI directory stays and a new IB device (new name) appears after
 * @p delay_ms (0: at once; the re-appearance happens in the service
 * thread or at the next mana_emu_step()).
 * @return 0 on success, a negative errno value otherwise.
 */
int mana_emu_reset(unsigned int dev, unsigned int delay_ms);

/**
 * Make the next @p count TX completions of each SQ of vPort @p port
 * carry error CQE type @p cqe_type (e.g. 33 CQE_TX_SA_DROP).
 * @return 0 on success, -ENOENT if the vPort has no SQ yet, another
 * negative errno value otherwise.
 */
int mana_emu_inject_tx_error(unsigned int dev, unsigned int port,
			     unsigned int count, unsigned int cqe_type);

/**
 * Garbage-CQE mode: CQE fields other than the owner bits get random
 * values (driver hardening).
 * @return 0 on success, a negative errno value otherwise.
 */
int mana_emu_set_garbage_cqe(unsigned int dev, int on);

/* mana_emu_forge_cqe(): which completion queues, and what lie. */
#define MANA_EMU_FORGE_SQ	1u	/**< CQs of send queues */
#define MANA_EMU_FORGE_RQ	2u	/**< CQs of receive queues */
enum mana_emu_forge {
	MANA_EMU_FORGE_NONE = 0,	/**< cancel */
	MANA_EMU_FORGE_WQ_NUM,		/**< wq_num names another queue */
	MANA_EMU_FORGE_WQE_OFFSET,	/**< rx/tx_wqe_offset far from the WQE's */
	MANA_EMU_FORGE_OVERCOUNT,	/**< RX: one packet more than the WQEs consumed */
	MANA_EMU_FORGE_OWNER,		/**< owner bits two laps ahead */
	MANA_EMU_FORGE_LOST,		/**< the CQE is not written */
};

/**
 * Forge the next @p count completions of function @p dev's queues of the
 * types in @p wq_types (MANA_EMU_FORGE_SQ, MANA_EMU_FORGE_RQ) with @p kind
 * (a device that lies; the WQEs themselves are processed as usual).
 * @return 0 on success, a negative errno value otherwise.
 */
int mana_emu_forge_cqe(unsigned int dev, unsigned int wq_types, unsigned int kind,
		       unsigned int count);

/** Completions forged so far on function @p dev (0 if unknown). */
uint64_t mana_emu_forged_cqes(unsigned int dev);

/**
 * Set the "kernel netdev up" state of a vPort (up: raw QP creation fails
 * with EBUSY or ENODEV per config); updates the tree's flags/operstate.
 * @return 0 on success, a negative errno value otherwise.
 */
int mana_emu_set_netdev_up(unsigned int dev, unsigned int port, int up);

#ifdef __cplusplus
}
#endif

#endif /* MANA_EMU_H */
