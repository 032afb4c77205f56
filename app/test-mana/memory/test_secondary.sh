#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# A secondary process attaching to a forwarding net_mana primary, in
# hugepage mode: Debian's dpdk-testpmd forwards on two emulated vPorts and
# secondaries attach: Debian's dpdk-proc-info with --no-pci and with the
# plugin and the emulated function, and a secondary dpdk-testpmd --no-pci,
# whose port array makes the primary grow its heap. None may wait for
# EAL's 5 s IPC time-out
# ("Request timed out"): that was the primary's memory-event callback
# spinning on the heap lock while serving the secondary's allocation. The
# plugin still refuses secondaries, in one line (multi-process support is
# separate work). Afterwards the primary must still allocate, forward and
# quit.
#
#   test_secondary.sh <build dir>
set -u
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
build=$(cd "${1:?build dir}" && pwd)
common=$(dirname "$self")/../common
work=$build/app/test-mana/memory/run-secondary
source "$common/emu-run.sh"
source "$common/mem-mode.sh"
if [ -z "${MANA_SEC_INNER:-}" ]; then
	emu_run_setup "$build" "$work" testpmd
	command -v dpdk-proc-info >/dev/null ||
		{ echo "SKIP: dpdk-proc-info not installed"; exit 77; }
	MANA_TEST_MEM=huge mem_mode_setup 512 "$work"
	MANA_SEC_INNER=$runtime mem_run "$self" "$build"
	rc=$?
	cd / && rm -rf "$work"
	exit $rc
fi

# Inside the private mount namespace, hugetlbfs mounted; environment from above.
emu=$build/emu/cli/mana-emu
MANA_TEST_MEM=huge mem_mode_setup 512 "$work"
cd "$work" || exit 1
fail() { echo "FAIL: $*"; grep -v "^EAL: " "$work/primary.log" | tail -n 40; exit 1; }
prefix=sec
mkfifo "$work/cmd"
stdbuf -oL "$emu" --ports 2 --strict --dir "$work/emu" -- dpdk-testpmd -l 0-1 -d librte_net_mana.so \
	-a 7870:00:00.0 "${mem_args[@]}" --file-prefix $prefix \
	--log-level 'pmd.net.mana.*:notice' -- -i --forward-mode=mac --total-num-mbufs=8192 \
	--eth-peer=0,00:0d:3a:e0:00:02 --eth-peer=1,00:0d:3a:e0:00:01 \
	<"$work/cmd" >"$work/primary.log" 2>&1 &
primary=$!
trap 'kill -9 $primary 2>/dev/null' EXIT
exec 3>"$work/cmd"
say() { echo "$*" >&3; }
wait_log() {	# pattern, seconds
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		grep -q -- "$1" "$work/primary.log" && return 0
		kill -0 $primary 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
mkdir -p "$work/emu"
wait_log 'testpmd> ' 30 || fail "testpmd did not start"
say "start tx_first"
sleep 1

# A secondary attaches, prints what it sees and detaches. Timed (printed,
# not asserted); the assertion is on EAL's time-out message.
secondary() {	# name, program, EAL args... -- program args
	local name=$1 prog=$2 t0 t1 rc
	shift 2
	t0=$(date +%s%N)
	echo quit | timeout 30 "$prog" --proc-type=secondary --file-prefix $prefix \
		"${mem_args[@]}" --log-level 'pmd.net.mana.*:notice' "$@" >"$work/$name.log" 2>&1
	rc=$?
	t1=$(date +%s%N)
	echo "  secondary $name: exit $rc after $(((t1 - t0) / 1000000)) ms"
	[ $rc -ne 124 ] || fail "$name: dpdk-proc-info still attached after 30 s"
	if grep -E 'Request timed out|rte_.*alloc.* failed' "$work/$name.log"; then
		fail "$name: the secondary waited for the primary (EAL IPC time-out)"
	fi
	sec_rc=$rc
}

# attached, and sees no port: proc-info says so and exits 1
secondary proc-info dpdk-proc-info --no-pci -- --stats
grep -q 'No Ethernet ports' "$work/proc-info.log" ||
	{ cat "$work/proc-info.log"; fail "proc-info: exit $sec_rc"; }

SYSFS_PCI_DEVICES=$work/emu/pci secondary proc-info-plugin dpdk-proc-info \
	-d librte_net_mana.so -a 7870:00:00.0 -- --stats
grep -q '7870:00:00.0: secondary processes are not supported' "$work/proc-info-plugin.log" ||
	{ cat "$work/proc-info-plugin.log"; fail "proc-info-plugin: no one-line refusal"; }

# testpmd's port array is megabytes: the primary grows its heap for it
secondary testpmd dpdk-testpmd --no-pci -- -i
[ $sec_rc -eq 0 ] && grep -q 'Bye' "$work/testpmd.log" ||
	{ cat "$work/testpmd.log"; fail "secondary testpmd: exit $sec_rc"; }

# the primary still forwards, allocates and quits
say "show port stats all"
sleep 1
say "stop"
wait_log 'Done\.' 10 || fail "the primary did not stop forwarding"
say "quit"
exec 3>&-
for ((i = 0; i < 150; i++)); do
	kill -0 $primary 2>/dev/null || break
	sleep 0.1
done
kill -0 $primary 2>/dev/null && { kill -9 $primary; fail "the primary did not quit within 15 s"; }
wait $primary
rc=$?
[ $rc -eq 0 ] || fail "mana-emu/testpmd exit $rc"
fwd=$(awk '/Forward statistics for port 0/ { f = 1 } f && /RX-packets:/ { print $2; exit }' \
	"$work/primary.log")
[ "${fwd:-0}" -gt 1000 ] || fail "port 0 forwarded ${fwd:-0} packets"
echo "  primary: port 0 received $fwd packets while forwarding"
echo "PASS"
