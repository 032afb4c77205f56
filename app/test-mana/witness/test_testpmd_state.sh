#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# Known defect of net/mana 22.11, shown with Debian's dpdk-testpmd: the driver
# never sets ethdev's RX/TX queue state, so after `start tx_first` testpmd
# (stream_init) disables every stream and forwards nothing. Passes when the
# defect shows: both ports probed and started, every queue reported
# "stopped", zero packets both ways in testpmd's counters and the device's
# (no frame ever reached the emulated vPorts). Fixed upstream in 23.11.
#
#   test_testpmd_state.sh <build dir> <sdk dir> <python3> <cc>
set -u
source "$(dirname "$0")/witness-setup.sh"
version=$(cut -d' ' -f1 "$sdk/witness/SOURCE")
[[ $version == 22.11.* ]] || {
	echo "SKIP: the queue-state defect is net/mana 22.11's, the witness is $version"
	exit 77
}
witness_dir=$build/app/test-mana/witness
work=$witness_dir/run-testpmd-state
source "$here/../common/emu-run.sh"
emu_run_setup "$build" "$work" testpmd
export LD_LIBRARY_PATH=$witness_dir:$LD_LIBRARY_PATH
log=$work/testpmd.log
emu_dir=$runtime/emu

{
	echo "start tx_first"
	sleep 3
	for p in 0 1; do
		echo "show rxq info $p 0"
		echo "show txq info $p 0"
	done
	"$build/emu/cli/mana-emu" ctl --dir "$emu_dir" stats >"$work/emu-stats" 2>&1
	echo "stop"
	echo "show port stats all"
	echo "quit"
} | timeout -s INT 60 "$build/emu/cli/mana-emu" --ports 2 --strict --no-coalescing \
	--dir "$emu_dir" -- \
	dpdk-testpmd -l 0-1 -d librte_net_mana_witness.so -a 7870:00:00.0 --no-huge -m 1024 \
	--file-prefix w-testpmd -- -i --forward-mode=io --total-num-mbufs=8192 >"$log" 2>&1
rc=$?
cat "$log"

fail=0
failed() { echo "FAIL: $*"; fail=1; }
[ "$rc" -eq 0 ] || failed "mana-emu / testpmd exit status $rc"
grep -q 'Number of available ports: 2\|^Port 1: ' "$log" || failed "two ports were not probed"
n=$(grep -c 'Rx queue state: stopped' "$log")
[ "$n" -eq 2 ] || failed "$n of 2 RX queues reported stopped (the defect did not show?)"
n=$(grep -c 'Tx queue state: stopped' "$log")
[ "$n" -eq 2 ] || failed "$n of 2 TX queues reported stopped (the defect did not show?)"
grep -q 'queue state: started' "$log" && failed "a queue is reported started: fixed?"
stats=$(sed -n '/NIC statistics for port/,$p' "$log" | grep -E 'RX-packets|TX-packets')
echo "$stats" | grep -qE 'packets: *[1-9]' && failed "packets moved: $stats"
[ "$(echo "$stats" | grep -c 'RX-packets: *0 .*')" -eq 2 ] || failed "port statistics missing"
echo "device counters:"; grep -E 'port[01]\.(tx|rx)_frames' "$work/emu-stats"
[ "$(grep -cE 'port[01]\.(tx|rx)_frames 0$' "$work/emu-stats")" -eq 4 ] ||
	failed "the emulated vPorts saw frames, or no counters (mana-emu ctl stats)"
rm -rf "$work"
[ $fail -eq 0 ] && echo "witness testpmd-queue-state (known defect shown): PASS"
exit $fail
