#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# The built plugin links only DPDK, libibverbs, libmana and libc, carries
# its PMD info, and Debian's dpdk-testpmd loads it with -d: the net_mana log
# types are registered.
set -u
plugin=$1
source "$(dirname "$0")/../common/short-dir.sh"
short_dir runtime "$2/plugin-test"
fail=0

needed=$(objdump -p "$plugin" | awk '/NEEDED/ { print $2 }')
for lib in $needed; do
	case $lib in
	librte_*|libibverbs.so.1|libmana.so.1|libc.so.6|ld-linux-*.so.*) ;;
	*) echo "FAIL: unexpected NEEDED library $lib"; fail=1 ;;
	esac
done
for lib in libibverbs.so.1 libmana.so.1 librte_bus_pci.so.23 librte_ethdev.so.23; do
	printf '%s\n' "$needed" | grep -qx "$lib" || { echo "FAIL: $lib not linked"; fail=1; }
done
# every undefined symbol resolves against those libraries (ld's view)
if ! ldd -r "$plugin" 2>&1 | grep -q 'undefined symbol'; then
	echo "PASS: no undefined symbols"
else
	ldd -r "$plugin" 2>&1 | grep 'undefined symbol'; fail=1
fi
if strings "$plugin" | grep -q 'PMD_INFO_STRING= {"name": "net_mana".*"pci_ids": \[\[5140, 185'; then
	echo "PASS: PMD info names net_mana and 1414:00b9/00ba"
else
	echo "FAIL: PMD info string missing"; fail=1
fi

out=$(cd "$runtime" && printf 'dump_log_types\nquit\n' |
	LD_LIBRARY_PATH=$(dirname "$plugin") RUNTIME_DIRECTORY=$runtime \
	timeout 60 dpdk-testpmd -d "$(basename "$plugin")" --no-pci --no-huge -m 256 \
		--file-prefix plugin-test -l 0-1 --vdev net_null0 -- -i --total-num-mbufs=2048 2>&1)
for t in pmd.net.mana.init pmd.net.mana.driver; do
	if printf '%s\n' "$out" | grep -q "id [0-9]*: $t,"; then
		echo "PASS: testpmd registered log type $t"
	else
		echo "FAIL: log type $t not registered"; fail=1
	fi
done
[ $fail -eq 0 ] || printf '%s\n' "$out" | tail -20
rm -rf "$2/plugin-test"
exit $fail
