#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# mana-failover without an emulator: command-line errors, and a bounded run
# with the VF absent (forwarding on a net_null synthetic port) while a PCI
# tree holds a MANA function with the VF's MAC but no IB device: the
# re-attach poll finds it by MAC, its attach fails and is retried, the
# run ends cleanly with every mbuf back.
#   test_mana_failover.sh <build dir> <mana-failover>
set -u
build=$(cd "$1" && pwd)
prog=$2
source "$(dirname "$0")/../../app/test-mana/common/short-dir.sh"
short_dir work "$build/examples/mana-failover/run"
export LD_LIBRARY_PATH=$build/drivers/net/mana RUNTIME_DIRECTORY=$work
cd "$work" || exit 1
fail=0
mac=00:0d:3a:77:00:01
eal=(-l 0 -d librte_net_mana.so --no-huge -m 128 --file-prefix fo-args
     -a 7870:00:0f.0 --vdev net_null0)

# A PCI tree of one MANA function (no resource file: EAL cannot probe it)
tree=$work/pci
rm -rf "$tree"
mkdir -p "$tree/7870:00:0f.0/net/enP30832s15"
echo 0x1414 >"$tree/7870:00:0f.0/vendor"
echo 0x00ba >"$tree/7870:00:0f.0/device"
echo "$mac" >"$tree/7870:00:0f.0/net/enP30832s15/address"
export SYSFS_PCI_DEVICES=$tree

expect() {	# expect <status> <regex> <args...>
	local want=$1 re=$2 out rc
	shift 2
	out=$("$prog" "${eal[@]}" -- "$@" 2>&1)
	rc=$?
	if [ "$rc" -eq "$want" ] && printf '%s\n' "$out" | grep -qE -- "$re"; then
		echo "PASS: $* -> $rc, '$re'"
	else
		echo "FAIL: $* -> $rc (expected $want and a line matching '$re')"
		printf '%s\n' "$out" | tail -20
		fail=1
	fi
	last_out=$out
}

expect 2 'expected <pci>\[,mac=<mac>\] or <mac>' --vf 7870:00:0f.0,mac=zz --synthetic net_null0
expect 2 '--vf is required' --synthetic net_null0
expect 2 '--synthetic is required' --vf "$mac"
expect 2 'not a valid number' --vf "$mac" --synthetic net_null0 --stats-ms x
expect 2 'unexpected argument' --vf "$mac" --synthetic net_null0 extra
expect 1 'no such port, and attaching it as a vdev failed' --vf "$mac" --synthetic net_nonexistent0

expect 0 'mempool: 0 mbufs in use after closing every port' \
	--vf "$mac" --synthetic net_null0 --seconds 2 --stats-ms 0 --poll-ms 200
for re in 'VF not present yet: forwarding on the synthetic path' \
	  "VF at 7870:00:0f.0 \(devargs mac=00:0D:3A:77:00:01\): attach failed" \
	  '^\[ *[0-9.]+\] final vf_state=absent vf_port=-1 vf_rx=0 vf_tx=0 syn_rx=[1-9][0-9]* syn_tx=0 .*attach_fail=([2-9]|[1-9][0-9]+) .*drop_not_ours=[1-9]'; do
	if printf '%s\n' "$last_out" | grep -qE -- "$re"; then
		echo "PASS: VF absent run: $re"
	else
		echo "FAIL: VF absent run: no line matching $re"
		fail=1
	fi
done
# the failed attach is reported once, not at every poll
n=$(printf '%s\n' "$last_out" | grep -c 'attach failed')
[ "$n" -eq 1 ] && echo "PASS: one attach failure message" ||
	{ echo "FAIL: $n attach failure messages"; fail=1; }
[ $fail -eq 0 ] || printf '%s\n' "$last_out" | tail -30
exit $fail
