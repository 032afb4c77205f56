#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# Coexistence with another net_mana (a distribution's own, auto-loaded from
# the same PMD directory; here Microsoft's net/mana, the witness): Debian's
# dpdk-testpmd loads both plugins, in either order, and ours owns the MANA
# function each time (its "driven by dpdk-mana's net_mana" line, two ports,
# none of the witness's probe lines). DPDK_MANA_DRIVER=other hands the
# function to the other driver in either order (our "leaving the device to"
# line naming the witness's file, the witness's own probe line, two ports);
# a bad value is refused in one line and ours keeps the function. The
# mana-ports example names the shared object that drives each port.
#
#   test_coexist.sh <build dir> <sdk dir> <python3> <cc>
set -u
source "$(dirname "$0")/witness-setup.sh"
witness_dir=$build/app/test-mana/witness
work=$witness_dir/run-coexist
source "$here/../common/emu-run.sh"
emu_run_setup "$build" "$work" testpmd
export LD_LIBRARY_PATH=$witness_dir:$LD_LIBRARY_PATH
ours=librte_net_mana.so
theirs=librte_net_mana_witness.so

fail=0
failed() { echo "FAIL: $*"; fail=1; }

# run NAME DRIVER_ENV FIRST SECOND: testpmd with both plugins, quits at once
run() {
	local name=$1 env=$2 first=$3 second=$4 log=$work/$1.log
	echo "quit" | env ${env:+DPDK_MANA_DRIVER=$env} timeout -s INT 60 \
		"$build/emu/cli/mana-emu" --ports 2 -- \
		dpdk-testpmd -l 0-1 -d "$first" -d "$second" -a 7870:00:00.0 --no-huge -m 512 \
		--log-level=pmd.net.mana.init:info --file-prefix "c-$name" -- -i \
		--total-num-mbufs=2048 >"$log" 2>&1
	echo "== $name (DPDK_MANA_DRIVER=${env:-unset}, -d $first -d $second): exit $?"
	grep -E "driven by|leaving the device|DPDK_MANA_DRIVER|mana_init_once|^Port [01]: " "$log"
	grep -q '^Port 1: ' "$log" || failed "$name: two ports were not probed"
}
ours_owns() {
	local log=$work/$1.log
	grep -q "2 port(s) driven by dpdk-mana's net_mana .*$ours" "$log" ||
		failed "$1: no line saying our net_mana drives the ports"
	grep -q 'mana_init_once' "$log" && failed "$1: the other net_mana probed the function"
}
theirs_owns() {
	local log=$work/$1.log
	grep -q "DPDK_MANA_DRIVER=other: leaving the device to net_mana of .*$theirs" "$log" ||
		failed "$1: no line saying ours leaves the device to the other driver"
	grep -q 'mana_init_once' "$log" || failed "$1: the other net_mana did not probe"
	grep -q 'driven by dpdk-mana' "$log" && failed "$1: ours still drives ports"
}

run ours-first "" $ours $theirs;		ours_owns ours-first
run theirs-first "" $theirs $ours;		ours_owns theirs-first
run other-ours-first other $ours $theirs;	theirs_owns other-ours-first
run other-theirs-first other $theirs $ours;	theirs_owns other-theirs-first
run bad-value bogus $theirs $ours;		ours_owns bad-value
grep -q 'DPDK_MANA_DRIVER=bogus: unknown value' "$work/bad-value.log" ||
	failed "bad-value: DPDK_MANA_DRIVER=bogus was not refused by name"

# ports ENV WANT: mana-ports with the witness loaded first; both ports' owner is WANT
ports() {
	local log=$work/ports-${1:-default}.log n
	env ${1:+DPDK_MANA_DRIVER=$1} timeout 60 "$build/emu/cli/mana-emu" --ports 2 -- \
		"$build/examples/mana-ports/mana-ports" -d $theirs -d $ours -a 7870:00:00.0 \
		--no-huge -m 512 --file-prefix "c-ports" >"$log" 2>&1
	grep -E '^port|driver object' "$log"
	n=$(grep -c "^  driver object .*/$2\$" "$log")
	[ "$n" -eq 2 ] || failed "mana-ports (DPDK_MANA_DRIVER=${1:-unset}): $n of 2 ports owned by $2"
}
ports "" $ours
ports other $theirs

[ $fail -eq 0 ] && { rm -rf "$work"; echo "witness coexist: PASS"; }
exit $fail
