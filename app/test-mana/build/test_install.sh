#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# `meson install` places the plugin in the installed DPDK's PMD auto-load
# directory (RTE_EAL_PMD_PATH), checked with a staging DESTDIR.
set -u
build=$1
dest=$2/install-test
rm -rf "$dest"
pmd_path=$(printf '#include <rte_build_config.h>\nRTE_EAL_PMD_PATH\n' |
	cc -E -P $(pkg-config --cflags libdpdk) - | tail -n 1 | tr -d '"')
meson install -C "$build" --destdir "$dest" --no-rebuild >/dev/null 2>&1 || {
	echo "FAIL: meson install failed"; exit 1; }
if [ -f "$dest$pmd_path/librte_net_mana.so" ]; then
	echo "PASS: installed as $pmd_path/librte_net_mana.so"
	rm -rf "$dest"
	exit 0
fi
echo "FAIL: $pmd_path/librte_net_mana.so not installed; got:"
find "$dest" -name '*.so*'
exit 1
