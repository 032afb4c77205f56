/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * The DPDK API changes between 22.11 and 25.11 that our sources meet, each
 * behind one version check, so that one tree builds against all four LTS.
 */

#ifndef MANA_COMPAT_H
#define MANA_COMPAT_H

#include <stddef.h>
#include <stdint.h>

#include <rte_bitops.h>		/* rte_is_power_of_2 (rte_common.h until 24.11) */
#include <rte_version.h>

/*
 * 24.03: dev_supported_ptypes_get returns the list's length through a new
 * argument, and the list needs no RTE_PTYPE_UNKNOWN terminator any more.
 * Declare the op with MANA_PTYPES_GET_PARAMS(dev) and return through
 * MANA_PTYPES_RETURN(list, n_before_terminator).
 */
#if RTE_VERSION >= RTE_VERSION_NUM(24, 3, 0, 0)
#define MANA_PTYPES_GET_PARAMS(dev) struct rte_eth_dev *dev, size_t *mana_n_ptypes
#define MANA_PTYPES_RETURN(list, n) do { *mana_n_ptypes = (n); return (list); } while (0)
#else
#define MANA_PTYPES_GET_PARAMS(dev) struct rte_eth_dev *dev
#define MANA_PTYPES_RETURN(list, n) do { RTE_SET_USED(n); return (list); } while (0)
#endif

/*
 * 25.11: the per-queue counters left struct rte_eth_stats for struct
 * eth_queue_stats, which stats_get receives as a third argument (NULL when
 * the caller wants no per-queue figures).
 */
#if RTE_VERSION >= RTE_VERSION_NUM(25, 11, 0, 0)
#define MANA_HAVE_QSTATS 1
#define MANA_STATS_GET_PARAMS(dev, st) \
	struct rte_eth_dev *dev, struct rte_eth_stats *st, struct eth_queue_stats *mana_qst
#define MANA_QSTATS(st) (mana_qst)
#define MANA_QSTATS_STRUCT struct eth_queue_stats
#else
#define MANA_STATS_GET_PARAMS(dev, st) struct rte_eth_dev *dev, struct rte_eth_stats *st
#define MANA_QSTATS(st) (st)
#define MANA_QSTATS_STRUCT struct rte_eth_stats
#endif

#endif /* MANA_COMPAT_H */
