/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Configuration of libmana-emu: option strings, config files, defaults.
 */

#ifndef EMU_CONFIG_H
#define EMU_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#define EMU_CFG_MAX_DEVS 4
#define EMU_CFG_MAX_PORTS 8
#define EMU_CFG_PCI_LEN 32
#define EMU_CFG_WIRE_LEN 128
#define EMU_CFG_PATH_LEN 200

/** Default PCI address of the first emulated function. */
#define EMU_CFG_DEFAULT_PCI "7870:00:00.0"

enum emu_cfg_mode {
	EMU_CFG_MODE_THREAD = 0,
	EMU_CFG_MODE_STEP = 1,
};

/** Everything the option string / config file can set. */
struct emu_cfg {
	unsigned int n_devs;
	char pci[EMU_CFG_MAX_DEVS][EMU_CFG_PCI_LEN];
	unsigned int n_ports;
	uint8_t mac[EMU_CFG_MAX_DEVS][EMU_CFG_MAX_PORTS][6];
	unsigned int mac_set[EMU_CFG_MAX_DEVS][EMU_CFG_MAX_PORTS];
	unsigned int mtu;
	unsigned int max_wr;		/* 256 (IB-2022) or 2048 (IB-eth) */
	int coalescing;
	int cqe8;			/* CQE_RX_COALESCED_8 (2026 kernels) */
	int ibdev_mana;			/* 1: name mana_N, 0: manae_N */
	int ibdev_none;			/* 1: no IB device (mana_ib not loaded) */
	int no_libmana;			/* 1: rdma-core without libmana: no device listed */
	int busy_errno;			/* EBUSY or ENODEV */
	int netdev_up[EMU_CFG_MAX_PORTS];
	char wire[EMU_CFG_MAX_PORTS][EMU_CFG_WIRE_LEN];
	int strict;
	enum emu_cfg_mode mode;
	int trace;
	int kernel2026;			/* RSS QP after a raw QP; one port per PD */
	int doorbell_sample;		/* 1: doorbell pages writable and sampled (fast);
					 * 0: every store trapped and queued (faithful) */
	unsigned int capture;		/* frames kept per vPort for capture reads */
	unsigned int vswitch_flows;	/* vSwitch flow table per vPort (1024) */
	int numa_node;
	int pf;				/* PCI device id 0x00b9 (PF) instead of 0x00ba */
	char dir[EMU_CFG_PATH_LEN];
	int ctl;			/* serve the control socket */
	/* fault schedule, milliseconds after init; -1 = never */
	long remove_at_ms;
	long reset_at_ms;
	long readd_after_ms;		/* after a removal */
	long reset_delay_ms;		/* service reset: new IB device after this */
	char readd_pci[EMU_CFG_PCI_LEN];
};

/** Fill @p cfg with the defaults. */
void emu_cfg_defaults(struct emu_cfg *cfg);

/**
 * Apply one "key=value" setting.
 * @return 0 on success, a negative errno value otherwise (message in @p err).
 */
int emu_cfg_set(struct emu_cfg *cfg, const char *key, const char *value,
		char *err, size_t err_len);

/**
 * Apply a comma-separated "key=value,key=value" option string.
 * @return 0 on success, a negative errno value otherwise (message in @p err).
 */
int emu_cfg_parse_opts(struct emu_cfg *cfg, const char *opts,
		       char *err, size_t err_len);

/**
 * Apply a config file: one "key=value" per line, '#' comments.
 * @return 0 on success, a negative errno value otherwise (message in @p err).
 */
int emu_cfg_parse_file(struct emu_cfg *cfg, const char *path,
		       char *err, size_t err_len);

/** Finish: default MACs, default wires. Call after all settings. */
void emu_cfg_finish(struct emu_cfg *cfg);

/** Parse "aa:bb:cc:dd:ee:ff". @return 0 on success, -EINVAL otherwise. */
int emu_cfg_parse_mac(const char *s, uint8_t mac[6]);

/** Validate a PCI address "dddd:bb:dd.f". @return 0 if valid, -EINVAL. */
int emu_cfg_check_pci(const char *s);

/** Print the effective configuration as "key=value" lines. */
void emu_cfg_dump(const struct emu_cfg *cfg, FILE *f);

#endif /* EMU_CONFIG_H */
