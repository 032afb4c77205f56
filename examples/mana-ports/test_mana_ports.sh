#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# mana-ports under mana-emu (two vPorts) lists both net_mana ports with
# their vPort names, MACs, limits and the removal-event flag.
#   test_mana_ports.sh <build dir> <mana-ports>
set -u
build=$(cd "$1" && pwd)
prog=$2
source "$(dirname "$0")/../../app/test-mana/common/short-dir.sh"
short_dir work "$build/examples/mana-ports/run"
export LD_LIBRARY_PATH=$build/drivers/net/mana RUNTIME_DIRECTORY=$work
out=$(cd "$work" && "$build/emu/cli/mana-emu" --ports 2 --strict \
	--mac 00:0d:3a:12:34:01 --mac 00:0d:3a:12:34:02 -- "$prog" -l 0 \
	-d librte_net_mana.so -a 7870:00:00.0 --no-huge -m 256 --file-prefix ports 2>&1)
rc=$?
fail=0
check() {
	if printf '%s\n' "$out" | grep -qE -- "$1"; then
		echo "PASS: $1"
	else
		echo "FAIL: no line matching: $1"; fail=1
	fi
}
[ $rc -eq 0 ] || { echo "FAIL: exit status $rc"; fail=1; }
check '^port 0 7870:00:00.0_port1$'
check '^port 1 7870:00:00.0_port2$'
check '^  driver net_mana, MAC 00:0D:3A:12:34:01$'
check '^  driver net_mana, MAC 00:0D:3A:12:34:02$'
check 'MTU 68\.\.9000$'
check 'RSS key 40 bytes, RETA 64 entries'
check 'removal events$'
check '^2 port\(s\)$'
[ $fail -eq 0 ] || printf '%s\n' "$out"
exit $fail
