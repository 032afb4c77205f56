#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# The mana-emu command: --print-env and the PCI tree, running commands and
# their exit status, strict-mode violations, the ctl socket, and Debian's
# dpdk-testpmd finding the emulated function on its PCI bus.
#
# Usage: test_cli.sh <mana-emu> <ev-tool> <plugin dir> <work dir>

set -u
CLI=$1
TOOL=$2
PLUGIN_DIR=$3
WORK=$4

failures=0
pass() { echo "PASS emu-verbs-cli/$1"; }
fail() { echo "FAIL emu-verbs-cli/$1: $2"; failures=$((failures + 1)); }

rm -rf "$WORK"
mkdir -p "$WORK"
chmod 755 "$WORK"
# unix sockets live below WORK: use a short path to it
source "$(dirname "$0")/../common/short-dir.sh"
short_dir WORK "$WORK"
export TMPDIR=$WORK
unset MANA_EMU_OPTS MANA_EMU_CONFIG MANA_EMU_DIR LD_PRELOAD SYSFS_PCI_DEVICES

# ------------------------------------------------------------ print-env --
case_print_env() {
	local out dir lib pci f
	out=$("$CLI" --ports 2 --mac 00:0d:3a:11:22:33 --print-env) ||
		{ fail print_env "exit status $?"; return; }
	dir=$(sed -n 's/^MANA_EMU_DIR=//p' <<<"$out")
	lib=$(sed -n 's/^LD_PRELOAD=//p' <<<"$out")
	[ -n "$dir" ] && [ -d "$dir" ] || { fail print_env "no directory: $out"; return; }
	grep -qx "SYSFS_PCI_DEVICES=$dir/pci" <<<"$out" ||
		{ fail print_env "SYSFS_PCI_DEVICES: $out"; return; }
	grep -qx "MANA_EMU_OPTS=ports=2,mac=00:0d:3a:11:22:33" <<<"$out" ||
		{ fail print_env "MANA_EMU_OPTS: $out"; return; }
	[[ $lib == /* ]] && [ -f "$lib" ] && [[ $(basename "$lib") == libmana-emu.so ]] ||
		{ fail print_env "LD_PRELOAD: $lib"; return; }
	pass print_env

	pci=$dir/pci/7870:00:00.0
	for f in vendor:0x1414 device:0x00ba subsystem_vendor:0x1414 \
		 class:0x020000 numa_node:0; do
		[ "$(cat "$pci/${f%%:*}")" = "${f#*:}" ] ||
			{ fail pci_tree "$f: $(cat "$pci/${f%%:*}")"; return; }
	done
	[ "$(wc -l < "$pci/resource")" -ge 6 ] || { fail pci_tree "resource lines"; return; }
	[ "$(basename "$(readlink "$pci/driver")")" = mana ] || { fail pci_tree "driver link"; return; }
	[ ! -e "$pci/max_vfs" ] || { fail pci_tree "max_vfs present"; return; }
	grep -qx "PCI_SLOT_NAME=7870:00:00.0" "$pci/uevent" || { fail pci_tree uevent; return; }
	[ "$(readlink -f "$dir/sys/class/infiniband/manae_0/device")" = "$(readlink -f "$pci")" ] ||
		{ fail pci_tree "IB device link"; return; }
	[ "$(readlink -f "$dir/sys/class/infiniband_verbs/uverbs0/device")" = "$(readlink -f "$pci")" ] &&
	[ "$(cat "$dir/sys/class/infiniband_verbs/uverbs0/ibdev")" = manae_0 ] &&
	[ "$(cat "$dir/sys/class/infiniband_verbs/uverbs0/dev")" = 231:192 ] &&
	[ "$(cat "$dir/sys/class/infiniband_verbs/abi_version")" = 6 ] ||
		{ fail pci_tree "uverbs class device"; return; }
	grep -qx "SYSFS_PATH=$dir/sys" <<<"$out" || { fail pci_tree "SYSFS_PATH: $out"; return; }
	[ "$(cat "$pci/net/enP30832s0/dev_port")" = 0 ] &&
	[ "$(cat "$pci/net/enP30832s0d1/dev_port")" = 1 ] &&
	[ "$(cat "$pci/net/enP30832s0/address")" = 00:0d:3a:11:22:33 ] &&
	[ "$(cat "$pci/net/enP30832s0/mtu")" = 1500 ] &&
	[ "$(cat "$pci/net/enP30832s0/operstate")" = down ] ||
		{ fail pci_tree "netdev files"; return; }
	pass pci_tree
	rm -rf "$dir"
}

# ------------------------------------------------------------- commands --
case_run() {
	local rc d
	"$CLI" -- true || { fail run_command "true: $?"; return; }
	"$CLI" -- sh -c 'exit 7'
	rc=$?
	[ $rc = 7 ] || { fail run_command "exit status $rc, expected 7"; return; }
	"$CLI" --ports 2 -- sh -c 'echo "$MANA_EMU_DIR" > "$1" &&
		test "$(cat "$SYSFS_PCI_DEVICES/7870:00:00.0/vendor")" = 0x1414 &&
		case "$LD_PRELOAD" in */libmana-emu.so) ;; *) exit 9;; esac' \
		sh "$WORK/dir.txt" || { fail run_command "environment: $?"; return; }
	d=$(cat "$WORK/dir.txt")
	[ -n "$d" ] && [ ! -e "$d" ] || { fail run_command "private dir $d left"; return; }
	"$CLI" -- "$WORK/does-not-exist" 2>/dev/null
	rc=$?
	[ $rc = 127 ] || { fail run_command "missing program: $rc"; return; }
	pass run_command

	"$CLI" --ports 9 -- true 2>"$WORK/err.txt"
	rc=$?
	[ $rc = 2 ] && grep -q "ports=9" "$WORK/err.txt" ||
		{ fail bad_option "rc $rc: $(cat "$WORK/err.txt")"; return; }
	pass bad_option
}

# --------------------------------------------------------------- config --
case_config() {
	local out
	printf '# a comment\nports=2\nmtu=9000\nibdev=mana\n' > "$WORK/emu.conf"
	out=$("$CLI" --config "$WORK/emu.conf" --print-env) ||
		{ fail config_file "exit status $?"; return; }
	local dir
	dir=$(sed -n 's/^MANA_EMU_DIR=//p' <<<"$out")
	grep -qx "MANA_EMU_CONFIG=$(realpath "$WORK/emu.conf")" <<<"$out" &&
	[ "$(cat "$dir/pci/7870:00:00.0/net/enP30832s0d1/mtu")" = 9000 ] &&
	[ -d "$dir/sys/class/infiniband/mana_0" ] ||
		{ fail config_file "$out"; rm -rf "$dir"; return; }
	rm -rf "$dir"
	out=$("$CLI" --opt pf=on --print-env) || { fail config_file "pf=on: $?"; return; }
	dir=$(sed -n 's/^MANA_EMU_DIR=//p' <<<"$out")
	[ "$(cat "$dir/pci/7870:00:00.0/device")" = 0x00b9 ] ||
		{ fail config_file "pf=on: device $(cat "$dir/pci/7870:00:00.0/device")"; return; }
	rm -rf "$dir"
	printf 'ports=2\nmtu=twelve\n' > "$WORK/bad.conf"
	"$CLI" --config "$WORK/bad.conf" -- true 2>"$WORK/err.txt" &&
		{ fail config_file "bad file accepted"; return; }
	grep -q "mtu=twelve.*line 2" "$WORK/err.txt" ||
		{ fail config_file "message: $(cat "$WORK/err.txt")"; return; }
	pass config_file
}

# ------------------------------------------------------------ violations --
case_strict() {
	local rc
	"$CLI" --strict -- "$TOOL" violate >"$WORK/v.out" 2>"$WORK/v.err"
	rc=$?
	[ $rc != 0 ] && grep -q "db_unknown_queue" "$WORK/v.err" ||
		{ fail strict_violations "rc $rc: $(cat "$WORK/v.out" "$WORK/v.err")"; return; }
	"$CLI" -- "$TOOL" violate >"$WORK/v.out" 2>"$WORK/v.err"
	rc=$?
	[ $rc = 0 ] && grep -q "not fatal" "$WORK/v.err" ||
		{ fail strict_violations "non-strict rc $rc: $(cat "$WORK/v.err")"; return; }
	pass strict_violations
}

# ------------------------------------------------------------------ ctl --
case_ctl() {
	local inst=$WORK/inst pid i rc
	"$CLI" --dir "$inst" -- "$TOOL" serve 20000 >"$WORK/serve.out" 2>&1 &
	pid=$!
	for i in $(seq 400); do
		grep -q ready "$WORK/serve.out" 2>/dev/null && break
		sleep 0.05
	done
	"$CLI" ctl --dir "$inst" stats >"$WORK/stats.out" ||
		{ fail ctl "stats: $(cat "$WORK/stats.out")"; kill $pid; wait $pid; return; }
	grep -qx "dev0.pci 7870:00:00.0" "$WORK/stats.out" &&
	grep -qx "dev0.port0.tx_frames 0" "$WORK/stats.out" ||
		{ fail ctl "stats content: $(cat "$WORK/stats.out")"; kill $pid; wait $pid; return; }
	"$CLI" ctl --dir "$inst" config | grep -qx "ports=1" ||
		{ fail ctl config; kill $pid; wait $pid; return; }
	"$CLI" ctl --dir "$inst" netdev 0 up | grep -qx ok &&
	[ "$(cat "$inst/pci/7870:00:00.0/net/enP30832s0/flags")" = 0x1043 ] &&
	[ "$(cat "$inst/pci/7870:00:00.0/net/enP30832s0/operstate")" = up ] &&
	"$CLI" ctl --dir "$inst" netdev 0 down | grep -qx ok ||
		{ fail ctl netdev; kill $pid; wait $pid; return; }
	# a broadcast frame from the wire: counted on the vPort
	"$CLI" ctl --dir "$inst" inject 0 ffffffffffff020000000001$(printf '88b5%0100d' 0) |
		grep -qx ok || { fail ctl inject; kill $pid; wait $pid; return; }
	for i in $(seq 250); do
		"$CLI" ctl --dir "$inst" stats | grep -qx "dev0.port0.rx_wire_frames 1" && break
		sleep 0.02
	done
	"$CLI" ctl --dir "$inst" stats | grep -qx "dev0.port0.rx_wire_frames 1" ||
		{ fail ctl "inject not seen"; kill $pid; wait $pid; return; }
	"$CLI" ctl --dir "$inst" garbage on | grep -qx ok &&
	"$CLI" ctl --dir "$inst" garbage off | grep -qx ok ||
		{ fail ctl garbage; kill $pid; wait $pid; return; }
	"$CLI" ctl --dir "$inst" frobnicate >/dev/null
	rc=$?
	[ $rc = 1 ] || { fail ctl "unknown command: rc $rc"; kill $pid; wait $pid; return; }
	"$CLI" ctl --dir "$inst" remove | grep -qx ok ||
		{ fail ctl remove; kill $pid; wait $pid; return; }
	wait $pid
	rc=$?
	[ $rc = 0 ] && grep -qx DEVICE_FATAL "$WORK/serve.out" ||
		{ fail ctl "removal not seen: rc $rc: $(cat "$WORK/serve.out")"; return; }
	[ ! -e "$inst/pci/7870:00:00.0" ] || { fail ctl "PCI dir after remove"; return; }
	pass ctl
}

# ------------------------------------------------------------------ tap --
case_tap() {
	if ! unshare -n true 2>/dev/null || [ ! -c /dev/net/tun ]; then
		echo "SKIP emu-verbs-cli/tap_wire: no network namespaces or tun"
		return
	fi
	# a private network namespace: the tap interface dies with it
	unshare -n "$CLI" --wire tap:evtap0 -- "$TOOL" tap evtap0 >"$WORK/tap.out" 2>&1 ||
		{ fail tap_wire "$(cat "$WORK/tap.out")"; return; }
	grep -qx "kernel rx_packets +3" "$WORK/tap.out" &&
	grep -qx "device received the kernel's frame: yes" "$WORK/tap.out" ||
		{ fail tap_wire "$(cat "$WORK/tap.out")"; return; }
	pass tap_wire
}

# -------------------------------------------------------------- vswitch --
case_vswitch() {
	local out
	"$CLI" --wire vswitch:evcs0 -- true 2>"$WORK/err.txt"
	[ $? = 2 ] && grep -q "wire=vswitch:evcs0: want" "$WORK/err.txt" ||
		{ fail vswitch_wire "bad spec: $(cat "$WORK/err.txt")"; return; }
	if ! unshare -n true 2>/dev/null || [ ! -c /dev/net/tun ]; then
		echo "SKIP emu-verbs-cli/vswitch_wire: no network namespaces or tun"
		return
	fi
	# both taps exist and are up while a program has the device open; the
	# synthetic one has the vPort MAC; they go when the program ends
	unshare -n bash -c '
		"$1" --dir "$2" --mac 00:0d:3a:12:34:56 --opt wire0=vswitch:evcs0:evcu0 \
			-- "$3" serve 20000 >"$2.out" 2>&1 &
		pid=$!
		for i in $(seq 400); do
			grep -q ready "$2.out" 2>/dev/null && break
			sleep 0.05
		done
		ip -br link show evcs0
		ip -br link show evcu0
		"$1" ctl --dir "$2" stats | grep "\.vsw_"
		"$1" ctl --dir "$2" remove
		wait $pid
		echo "tool exit $?"
		ip link show evcs0 >/dev/null 2>&1 || echo "evcs0 gone"
	' bash "$CLI" "$WORK/vsw" "$TOOL" >"$WORK/vsw.txt" 2>&1
	out=$(cat "$WORK/vsw.txt")
	grep -Eq "^evcs0 +[A-Z]+ +00:0d:3a:12:34:56 <.*,UP[,>]" <<<"$out" &&
	grep -Eq "^evcu0 +[A-Z]+ +[0-9a-f:]+ <.*,UP[,>]" <<<"$out" &&
	grep -Eq "^dev0\.port0\.vsw_uplink_in [0-9]+$" <<<"$out" &&
	grep -Eq "^dev0\.port0\.vsw_first_of_flow [0-9]+$" <<<"$out" &&
	[ "$(grep -c "^dev0\.port0\.vsw_" <<<"$out")" = 8 ] &&
	grep -qx "tool exit 0" <<<"$out" && grep -qx "evcs0 gone" <<<"$out" ||
		{ fail vswitch_wire "$out"; return; }
	pass vswitch_wire
}

# --------------------------------------------------------------- socket --
case_socket() {
	local pid i rc
	rm -f "$WORK"/wire.sock.*
	"$CLI" --dir "$WORK/sa" --wire "socket:$WORK/wire.sock" -- \
		"$TOOL" recv 5 15000 >"$WORK/recv.out" 2>&1 &
	pid=$!
	for i in $(seq 400); do
		grep -q ready "$WORK/recv.out" 2>/dev/null && break
		sleep 0.05
	done
	"$CLI" --dir "$WORK/sb" --wire "socket:$WORK/wire.sock" -- \
		"$TOOL" send 5 >"$WORK/send.out" 2>&1 ||
		{ fail socket_wire "send: $(cat "$WORK/send.out")"; kill $pid; wait $pid; return; }
	wait $pid
	rc=$?
	[ $rc = 0 ] && grep -qx "received 5" "$WORK/recv.out" ||
		{ fail socket_wire "rc $rc: $(cat "$WORK/recv.out")"; return; }
	pass socket_wire
}

# -------------------------------------------------------------- testpmd --
case_testpmd() {
	local log=$WORK/testpmd.log rc
	if ! command -v dpdk-testpmd >/dev/null; then
		echo "SKIP emu-verbs-cli/testpmd_pci_scan: no dpdk-testpmd"
		return
	fi
	mkdir -p "$WORK/rt"
	# a bare plugin name + LD_LIBRARY_PATH: EAL refuses -d paths below a
	# world-writable directory
	(cd "$WORK" && echo quit | RUNTIME_DIRECTORY=$WORK/rt \
		LD_LIBRARY_PATH=$PLUGIN_DIR timeout -s INT 60 \
		"$CLI" --ports 2 -- dpdk-testpmd -d librte_net_mana.so \
		-a 7870:00:00.0 --no-huge -m 1024 --file-prefix evcli$$ \
		--log-level=lib.eal:debug -- -i) >"$log" 2>&1
	rc=$?
	grep -q "Probe PCI driver: net_mana (1414:00ba) device: 7870:00:00.0" "$log" ||
		{ fail testpmd_pci_scan "rc $rc, no probe: $(tail -20 "$log")"; return; }
	pass testpmd_pci_scan

	# the running DPDK process maps the system's rdma-core, no stand-in
	local maps=$WORK/maps.txt pid= i
	rm -f "$WORK/maps.done"
	(cd "$WORK" && { for i in $(seq 150); do [ -e maps.done ] && break; sleep 0.2; done
			 echo quit; } | RUNTIME_DIRECTORY=$WORK/rt \
		LD_LIBRARY_PATH=$PLUGIN_DIR timeout -s INT 60 \
		"$CLI" --ports 2 -- dpdk-testpmd -d librte_net_mana.so \
		-a 7870:00:00.0 --no-huge -m 1024 --file-prefix evmaps$$ -- -i) \
		>"$log" 2>&1 &
	for i in $(seq 100); do
		grep -q 'testpmd>' "$log" 2>/dev/null && break
		sleep 0.2
	done
	for i in $(pgrep -f -- "--file-prefix evmaps$$"); do
		[ "$(cat "/proc/$i/comm" 2>/dev/null)" = dpdk-testpmd ] && pid=$i
	done
	[ -n "$pid" ] && cat "/proc/$pid/maps" >"$maps"
	touch "$WORK/maps.done"
	wait
	[ -s "$maps" ] || { fail testpmd_maps "no testpmd process: $(tail -5 "$log")"; return; }
	grep -Eq ' /(usr/)?lib/[^ ]*/libibverbs\.so\.1' "$maps" &&
	grep -Eq ' /(usr/)?lib/[^ ]*/libmana\.so\.1' "$maps" &&
	! grep -E 'libibverbs|libmana\.so' "$maps" | grep -Eqv ' /(usr/)?lib/' ||
		{ fail testpmd_maps "$(grep -E 'ibverbs|mana' "$maps" | awk '{print $6}' | sort -u)"; return; }
	pass testpmd_maps
}

case_print_env
case_run
case_config
case_strict
case_ctl
case_tap
case_vswitch
case_socket
case_testpmd
echo "emu-verbs-cli: $failures failed"
[ $failures = 0 ]
