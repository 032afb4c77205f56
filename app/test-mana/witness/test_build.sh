#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# witness-build: the witness driver builds (or is up to date), carries the PMD
# information DPDK's own build gives net/mana (name net_mana, PCI ID
# 1414:00ba) and links libibverbs and libmana. Skips like build_witness.sh.
#
#   test_build.sh <build dir> <sdk dir> <python3> <cc>
set -u
here=$(cd "$(dirname "$0")" && pwd)
"$here/build_witness.sh" "$@" || exit $?
so=$(cd "$1" && pwd)/app/test-mana/witness/librte_net_mana_witness.so

fail=0
info=$(strings "$so" | grep -o 'PMD_INFO_STRING=.*')
echo "$info"
echo "$info" | grep -q '"name": "net_mana"' || { echo "FAIL: no net_mana PMD information"; fail=1; }
echo "$info" | grep -q '\[5140, 186, 65535, 65535\]' ||
	{ echo "FAIL: PCI ID 1414:00ba missing from the PMD information"; fail=1; }
needed=$(readelf -d "$so" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | tr '\n' ' ')
echo "NEEDED: $needed"
for lib in libibverbs.so.1 libmana.so.1 librte_bus_pci.so; do
	[[ " $needed" == *" $lib"* ]] || { echo "FAIL: $lib not linked"; fail=1; }
done
[ $fail -eq 0 ] && echo "witness-build: PASS"
exit $fail
