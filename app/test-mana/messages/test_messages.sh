#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# Messages a user acts on, through Debian's dpdk-testpmd on mana-emu:
#   mtu   an MTU the started port's buffers cannot take: the one line says
#         to stop the port and to enable scatter or use larger mbufs, and
#         doing just that (scatter, stop, MTU, start) works;
#   desc  rdma-core 44's 256-descriptor queues: the probe says in one line
#         what OVS-DPDK needs (n_rxq_desc/n_txq_desc) and why, also on a
#         kernel that allows 2048 (libmana 44 caps queues itself); on rdma-core
#         56.1 (built from source) with that kernel there is no such line and
#         2048-descriptor queues start.
#
#   test_messages.sh <build dir> mtu|desc
set -u
build=$(cd "${1:?build dir}" && pwd)
case_name=${2:?mtu|desc}
work=$build/app/test-mana/messages/run-$case_name
source "$(dirname "$0")/../common/emu-run.sh"
emu_run_setup "$build" "$work" testpmd
fails=0
pass() { echo "PASS: $*"; }
failed() { echo "FAIL: $*"; fails=$((fails + 1)); }

testpmd() {	# log, emu options..., -- testpmd options; commands on stdin
	local log=$1
	shift
	local emu_opts=()
	while [ "$1" != -- ]; do emu_opts+=("$1"); shift; done
	shift
	timeout 60 "$emu" --ports 2 --strict "${emu_opts[@]}" -- dpdk-testpmd -l 0-1 \
		-d librte_net_mana.so -a 7870:00:00.0 --no-huge -m 512 --file-prefix "msg-$case_name" \
		--log-level 'pmd.net.mana.*:notice' -- -i --total-num-mbufs=8192 "$@" >"$log" 2>&1
}

case $case_name in
mtu)
	testpmd "$work/mtu.log" -- <<'CMDS'
port config mtu 0 9000
port stop 0
port config mtu 0 9000
port start 0
port stop 0
port config 0 rx_offload scatter on
port start 0
show port info 0
quit
CMDS
	line=$(grep 'MTU 9000 (9018-byte frames) does not fit rxq 0' "$work/mtu.log")
	echo "  $line"
	[ "$(grep -c 'does not fit rxq 0' "$work/mtu.log")" -eq 1 ] ||
		failed "the refusal is not one line"
	grep -q 'stop the port, set the MTU, and before starting it enable RTE_ETH_RX_OFFLOAD_SCATTER on the queue or set it up with mbufs of at least 9018 bytes after the headroom' <<<"$line" &&
		pass "the refusal names both fixes and the restart" || failed "refusal: '$line'"
	# start without scatter fails (as the first line said), with it succeeds
	grep -q 'enable the scatter offload or use larger mbufs' "$work/mtu.log" &&
		pass "a start without either fails with the same advice" ||
		failed "no start failure without scatter"
	grep -q 'MTU: 9000' "$work/mtu.log" && pass "MTU 9000 with scatter after a restart" ||
		{ grep -i 'mtu\|fail' "$work/mtu.log"; failed "MTU 9000 not in force after scatter and restart"; }
	;;
desc)
	testpmd "$work/v44.log" -- --rxd=256 --txd=256 <<<"quit"
	line=$(grep -m1 'options:n_rxq_desc=256 options:n_txq_desc=256' "$work/v44.log")
	echo "  $line"
	# one line per vPort
	[ "$(grep -c 'n_rxq_desc=' "$work/v44.log")" -eq 2 ] &&
		grep -q 'queues of at most 256 descriptors (libmana of rdma-core 44 to 48' <<<"$line" &&
		pass "rdma-core 44: one line with the OVS options and the reason" ||
		failed "rdma-core 44: no descriptor advice"
	# Debian 12's libmana on a kernel that allows 2048: still 256, said once per vPort
	testpmd "$work/v44k.log" --max-wr 2048 -- --rxd=256 --txd=256 <<<"quit"
	[ "$(grep -c 'n_rxq_desc=256' "$work/v44k.log")" -eq 2 ] &&
		[ "$(grep -c '^Port [01]: 00:' "$work/v44k.log")" -eq 2 ] &&
		pass "rdma-core 44 on a 2048 kernel: 256 and the advice, ports start" ||
		failed "rdma-core 44 on a 2048 kernel: $(grep -iE 'desc|fail' "$work/v44k.log" | head -3)"
	# rdma-core 56.1 on that kernel: 2048 and no advice
	rc_sh=$(cd "$(dirname "$0")/../../.." && pwd)/scripts/rdma-core.sh
	DPDK_MANA_NO_APT=1 "$rc_sh" build 56.1 >/dev/null 2>&1 || { failed "rdma-core 56.1 build"; exit 1; }
	eval "$("$rc_sh" env 56.1)"
	testpmd "$work/head.log" --max-wr 2048 -- --rxd=2048 --txd=2048 <<<"quit"
	grep -q 'n_rxq_desc=' "$work/head.log" && failed "advice printed with 2048-entry queues"
	grep -qE 'Fail|Invalid value' "$work/head.log" &&
		{ grep -E 'Fail|Invalid' "$work/head.log"; failed "2048 descriptors refused"; }
	[ "$(grep -c '^Port [01]: 00:' "$work/head.log")" -eq 2 ] &&
		pass "newer kernel and rdma-core: both ports start with 2048 descriptors" ||
		failed "ports did not start with 2048 descriptors"
	;;
*) echo "FAIL: unknown case $case_name"; exit 2 ;;
esac
[ $fails -eq 0 ] || exit 1
cd / && rm -rf "$work"
