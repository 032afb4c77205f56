#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# Smoke scenarios: Debian's unmodified dpdk-testpmd drives net_mana on mana-emu.
#
#   test_smoke.sh <build dir> <scenario>
#
# Scenarios: <mode>-<queues>q with mode io, mac, macswap, txonly, rxonly, csum,
# flowgen and queues 1 or 8 (8 queues: RSS over multi-flow traffic; flowgen:
# every frame is a source-MAC drop, see check_flowgen), and
# azure-1q / azure-8q (the Azure guide's command lines, --vdev form), and
# select-1q / select-8q (-a <pci>,mac=<vPort 1's MAC>: only that port), and
# unequal-3q (mac forwarding over 3 RX and 5 TX queues of 2048 descriptors,
# so that the 64-entry table j -> j % 3 is exact: every RX queue must carry
# traffic, reta and per-queue xstats are checked).
# Two emulated vPorts wired back to back (pair wire), strict mode. Asserts: the
# port count, packet counts in the right direction (a port never receives more
# than its peer sent), byte counts matching the frame size, RSS spreading over
# several queues, no error in the log, exit status 0 and zero emulator
# violations. SMOKE_SECONDS sets the forwarding time (default 3).

set -u

build=${1:?usage: test_smoke.sh <build dir> <scenario>}
scenario=${2:?usage: test_smoke.sh <build dir> <scenario>}
build=$(cd "$build" && pwd)
seconds=${SMOKE_SECONDS:-3}

pci=7870:00:00.0
work=$build/app/test-mana/smoke/run-$scenario
log=$work/testpmd.log

fail=0
pass() { echo "PASS: $*"; }
failed() { echo "FAIL: $*"; fail=1; }

source "$(dirname "$0")/../common/emu-run.sh"
# 2048-entry queues need a later rdma-core than Debian 12's (libmana v44: 256)
case $scenario in unequal*) export MANA_TEST_RDMA_CORE=56.1 ;; esac
source "$(dirname "$0")/../common/mem-mode.sh"
emu_run_setup "$build" "$work" testpmd
mem_mode_setup 1024 "$work"

mode=${scenario%-*}
queues=${scenario##*-}
queues=${queues%q}
case $mode in
io|mac|macswap|txonly|rxonly|csum|flowgen|azure|select|unequal) ;;
*) echo "FAIL: unknown scenario $scenario"; exit 2 ;;
esac
case $mode-$queues in
unequal-3) ;;
unequal-*) echo "FAIL: unknown queue count in $scenario"; exit 2 ;;
*-1|*-8) ;;
*) echo "FAIL: unknown queue count in $scenario"; exit 2 ;;
esac

eal=(-l 0-1 -d librte_net_mana.so "${mem_args[@]}" --file-prefix "smoke-$scenario"
     --log-level 'pmd.net.mana.*:info')

# MACs of the two vPorts, pinned so the test knows them before testpmd runs.
mac0=00:0d:3a:5e:00:01
mac1=00:0d:3a:5e:00:02
emu_args=(--ports 2 --strict --mac "$mac0" --mac "$mac1")
# extra emulator options, e.g. MANA_TEST_EMU_ARGS="--opt cqe8=on"
read -r -a extra <<<"${MANA_TEST_EMU_ARGS:-}"
emu_args+=("${extra[@]}")
testpmd=(dpdk-testpmd)
# 3 queues x 22 hardware RQs x 64 descriptors need 2048-entry queues; the
# commands' outputs are read back one by one: line-buffered stdout
[ "$mode" = unequal ] && emu_args+=(--max-wr 2048) &&
	testpmd=(stdbuf -oL dpdk-testpmd)

# Run the emulator + testpmd in the background with a fifo as testpmd's stdin.
# $1.. = testpmd arguments after the EAL ones.
start_testpmd() {
	mkfifo "$work/stdin"
	exec 3<>"$work/stdin"
	"${mem_prefix[@]}" "$emu" "${emu_args[@]}" -- "${testpmd[@]}" "$@" <"$work/stdin" >"$log" 2>&1 &
	emu_pid=$!
}

# Wait until $1 (extended regex) shows up in the log; 1 when the run ended or
# $2 seconds passed first.
wait_log() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		grep -qE "$1" "$log" 2>/dev/null && return 0
		kill -0 "$emu_pid" 2>/dev/null || { grep -qE "$1" "$log"; return; }
		sleep 0.1
	done
	return 1
}

# Send testpmd command $1, then wait up to 10 s until regex $2 has $3 more
# matches in the log.
send_wait() {
	local n i
	n=$(($(grep -cE "$2" "$log") + $3))
	echo "$1" >&3
	for ((i = 0; i < 100; i++)); do
		[ "$(grep -cE "$2" "$log")" -ge "$n" ] && return 0
		sleep 0.1
	done
	failed "no output of '$1' within 10 s"
	return 1
}

# Wait up to $1 seconds for the run to end; then interrupt, then kill it.
finish() {
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		kill -0 "$emu_pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$emu_pid" 2>/dev/null; then
		failed "testpmd did not exit within $1 s; interrupting it"
		kill -INT "$emu_pid" 2>/dev/null
		sleep 3
		kill -KILL "$emu_pid" 2>/dev/null
	fi
	wait "$emu_pid"
	status=$?
	exec 3>&-
}

# The PID of testpmd (the emulator's child), or the emulator's own.
testpmd_pid() {
	local c
	c=$(cat "/proc/$emu_pid/task/$emu_pid/children" 2>/dev/null | awk '{ print $1 }')
	echo "${c:-$emu_pid}"
}

# Value of field $2 ("RX-packets", ...) in section $1 ("NIC statistics for port 0",
# "Forward statistics for port 0", ...): the last occurrence in the log.
stat() {
	awk -v sec="$1" -v key="$2:" '
		index($0, sec) { insec = 1; v = ""; next }
		insec && /^ *[#+-]+ *$/ { insec = 0 }
		insec { for (i = 1; i < NF; i++) if ($i == key) v = $(i + 1) }
		END { print v + 0 }' "$log"
}

check_log_clean() {
	local bad ok='(RX|TX)-errors: +0( |$)'
	# flowgen's TX errors are expected and checked by check_flowgen
	[ "$mode" = flowgen ] && ok='RX-errors: +0( |$)|TX-errors: +[0-9]+( |$)'
	bad=$(grep -inE 'error|fail|warn|violation|abort|panic|segmentation|cause:|invalid' "$log" |
		grep -vE "$ok|Bad-(outer-)?(ip|l4)csum|RX-nombuf:|dropped|port-topology=paired and odd forward ports number|^[0-9]+:[a-z0-9_]+: 0$" || true)
	if [ -z "$bad" ]; then
		pass "no error or warning in the log"
	else
		failed "errors in the log:"
		printf '%s\n' "$bad" | head -20
	fi
}

check_exit() {
	if [ "$status" -eq 0 ]; then
		pass "testpmd under mana-emu --strict exited with 0"
	else
		failed "exit status $status (testpmd or emulator violations)"
	fi
	if grep -iE 'violation' "$log" | grep -qvE '^[a-z0-9_]+: 0$'; then
		failed "emulator reported violations:"
		grep -iE -A5 'violation' "$log" | head -20
	fi
}

# Ports testpmd configured, from its "Port N: MAC" lines.
check_ports() {
	local want=$1 first=${2:-$mac0} n
	n=$(grep -cE '^Port [0-9]+: ([0-9A-F]{2}:){5}[0-9A-F]{2}$' "$log")
	if [ "$n" -eq "$want" ]; then
		pass "$n port(s) found"
	else
		failed "$n port(s) found, expected $want"
	fi
	grep -qiE "^Port 0: $first\$" "$log" && pass "port 0 has the MAC $first" ||
		failed "port 0 does not have the MAC $first"
	if [ "$want" -ge 2 ]; then
		grep -qiE "^Port 1: $mac1\$" "$log" && pass "port 1 has vPort 1's MAC $mac1" ||
			failed "port 1 does not have vPort 1's MAC $mac1"
	fi
}

# NIC counters: direction and frame size. $1 = 1 if RX must be non-zero.
check_nic_stats() {
	local want_rx=$1 p q rx tx rxb txb err peer_tx
	for p in 0 1; do
		q=$((1 - p))
		rx=$(stat "NIC statistics for port $p" RX-packets)
		tx=$(stat "NIC statistics for port $p" TX-packets)
		rxb=$(stat "NIC statistics for port $p" RX-bytes)
		txb=$(stat "NIC statistics for port $p" TX-bytes)
		peer_tx=$(stat "NIC statistics for port $q" TX-packets)
		echo "port $p: rx $rx pkts $rxb bytes, tx $tx pkts $txb bytes"
		[ "$tx" -gt 0 ] && pass "port $p transmitted $tx packets" ||
			failed "port $p transmitted nothing"
		if [ "$want_rx" = 1 ]; then
			[ "$rx" -gt 0 ] && pass "port $p received $rx packets" ||
				failed "port $p received nothing"
		fi
		[ "$rx" -le "$peer_tx" ] && pass "port $p received no more than port $q sent" ||
			failed "port $p received $rx packets, port $q sent only $peer_tx"
		# testpmd's generated frames are 64 bytes with FCS, 60 without
		if [ "$tx" -gt 0 ]; then
			[ "$txb" -ge $((tx * 60)) ] && [ "$txb" -le $((tx * 64)) ] &&
				pass "port $p TX bytes match 60..64-byte frames" ||
				failed "port $p TX bytes $txb for $tx packets"
		fi
		if [ "$rx" -gt 0 ]; then
			[ "$rxb" -ge $((rx * 60)) ] && [ "$rxb" -le $((rx * 64)) ] &&
				pass "port $p RX bytes match 60..64-byte frames" ||
				failed "port $p RX bytes $rxb for $rx packets"
		fi
		for err in RX-errors TX-errors RX-nombuf; do
			[ "$(stat "NIC statistics for port $p" $err)" -eq 0 ] ||
				failed "port $p $err = $(stat "NIC statistics for port $p" $err)"
		done
	done
}

# flowgen sends from a fixed source MAC (00:01:02:03:04:05 in testpmd 22.11)
# to 00:01:02:03:04:06: the device's source-MAC enforcement drops every frame
# with a TX error completion, as Azure does. Expect TX errors; TX-packets
# (frames sent, less those whose error completion was reaped) can only be the
# frames still in flight, at most a ring's worth per queue; nothing received.
check_flowgen() {
	local p tx err rx
	for p in 0 1; do
		tx=$(stat "NIC statistics for port $p" TX-packets)
		err=$(stat "NIC statistics for port $p" TX-errors)
		rx=$(stat "NIC statistics for port $p" RX-packets)
		echo "port $p: tx $tx, tx errors $err, rx $rx"
		[ "$err" -gt 0 ] && pass "port $p counted $err source-MAC drops as TX errors" ||
			failed "port $p: no TX error for frames with a foreign source MAC"
		[ "$tx" -le $((256 * queues)) ] &&
			pass "port $p: $tx TX packets, at most the frames in flight" ||
			failed "port $p: $tx TX packets counted as sent, all were dropped"
		[ "$rx" -eq 0 ] && pass "port $p received nothing" ||
			failed "port $p received $rx frames that the device should have dropped"
	done
}

# RSS: port $1 received on at least $2 (default 2) of $3 (default 8) queues
# (per-stream forward statistics, printed by testpmd when streams outnumber ports).
check_rss_spread() {
	local p=$1 need=${2:-2} of=${3:-8} n
	n=$(awk -v p="$p" '
		/Forward Stats for RX Port=/ { split($0, a, "RX Port="); split(a[2], b, "/Queue=");
			port = b[1] + 0; split(b[2], c, " "); queue = c[1] + 0; next }
		/RX-packets:/ && port != "" { if (port == p && $2 > 0) seen[queue] = 1; port = "" }
		END { n = 0; for (q in seen) n++; print n }' "$log")
	[ "$n" -ge "$need" ] && pass "port $p received on $n of $of queues (RSS)" ||
		failed "port $p received on $n queue(s) only, expected RSS to spread over >= $need"
}

# Per-queue xstat $2 ("rx_q0_packets") of port $1 from "show port xstats",
# empty when the port has no such counter.
xstat() {
	awk -v sec="NIC extended statistics for port $1" -v key="$2:" '
		index($0, sec) { insec = 1; next }
		insec && /^#+/ { insec = 0 }
		insec && $1 == key { v = $2 }
		END { print v }' "$log"
}

# unequal-3q: every RX queue of both ports took packets (xstats), the 5 TX
# queues exist, and the table in force is entry j -> queue j % 3.
check_unequal() {
	local p q v bad
	for p in 0 1; do
		for q in 0 1 2; do
			v=$(xstat "$p" "rx_q${q}_packets")
			[ -n "$v" ] && [ "$v" -gt 0 ] && pass "port $p RX queue $q received $v packets" ||
				failed "port $p RX queue $q: rx_q${q}_packets = '${v}'"
		done
		[ -z "$(xstat "$p" rx_q3_packets)" ] && pass "port $p has no 4th RX queue" ||
			failed "port $p reports an RX queue 3"
		[ -n "$(xstat "$p" tx_q4_packets)" ] && pass "port $p has 5 TX queues" ||
			failed "port $p reports no TX queue 4"
		# port 0's 64 entries are printed first, then port 1's
		bad=$(awk -v p="$p" '
			/RSS RETA configuration: hash index=/ { k++; if (int((k - 1) / 64) != p) next;
				split($0, a, "hash index="); split(a[2], b, ",");
				split($0, c, "queue="); n++; if ((b[1] + 0) % 3 != c[2] + 0) bad++ }
			END { print n + 0, bad + 0 }' "$log")
		[ "$bad" = "64 0" ] && pass "port $p RETA in force: 64 entries, j -> j % 3" ||
			failed "port $p RETA: entries / mismatches = $bad"
	done
}

status=1
case $mode in
azure|select)
	# shared/spec/vf-hotplug.md §2, adapted: the emulated function, vPort 0's MAC;
	# select: the allow-list form picking the second vPort by its MAC.
	want_mac=$mac0
	if [ "$mode" = azure ]; then
		dev=(--vdev="$pci,mac=$mac0")
	else
		dev=(-a "$pci,mac=$mac1")
		want_mac=$mac1
	fi
	args=(-l 0-1 -d librte_net_mana.so "${mem_args[@]}" --file-prefix "smoke-$scenario"
	      "${dev[@]}" -- --forward-mode=txonly --auto-start --txd=128 --rxd=128
	      --stats 2)
	[ "$queues" = 8 ] && args+=(--nb-cores=1 --txq=8 --rxq=8)
	start_testpmd "${args[@]}"
	wait_log 'NIC statistics for port 0' 30 ||
		failed "no statistics printed within 30 s"
	# on a loaded machine the first statistics can precede the first
	# burst: wait for a period that counted some TX (checked again below)
	wait_log 'TX-packets: +[1-9]' 30 ||
		failed "no statistics period with TX within 30 s"
	sleep "$seconds"
	wait_log 'Tx-pps' 5
	kill -INT "$(testpmd_pid)" 2>/dev/null
	finish 20
	check_ports 1 "$want_mac"
	tx=$(stat "NIC statistics for port 0" TX-packets)
	[ "$tx" -gt 0 ] && pass "port 0 transmitted $tx packets" || failed "port 0 transmitted nothing"
	ftx=$(stat "Forward statistics for port 0" TX-packets)
	[ "$ftx" -gt 0 ] && pass "txonly forwarded $ftx packets" || failed "txonly sent nothing"
	[ "$(stat "NIC statistics for port 0" TX-errors)" -eq 0 ] || failed "TX-errors on port 0"
	;;
*)
	args=("${eal[@]}" -a "$pci" -- -i --forward-mode="$mode" --nb-cores=1
	      --rxq="$queues" --txq="$queues" --txd=256 --rxd=256
	      --eth-peer=0,"$mac1" --eth-peer=1,"$mac0")
	[ "$mode" = unequal ] && args=("${eal[@]}" -a "$pci" -- -i --forward-mode=mac
		--nb-cores=1 --rxq=3 --txq=5 --txd=256 --rxd=2048 --txonly-multi-flow
		--eth-peer=0,"$mac1" --eth-peer=1,"$mac0")
	[ "$queues" = 8 ] && args+=(--txonly-multi-flow)
	[ "$mode" = csum ] && args+=(--enable-rx-cksum)
	# The device drops frames whose source MAC is not the sending vPort's
	# (Azure's SA enforcement): macswap must send back out of the receiving port.
	[ "$mode" = macswap ] && args+=(--port-topology=loop)
	start_testpmd "${args[@]}"
	if wait_log 'testpmd> ' 30; then
		# flowgen generates its own traffic (a tx_first burst would carry
		# valid MACs and blur its check)
		[ "$mode" = flowgen ] && echo "start" >&3 || echo "start tx_first" >&3
		sleep "$seconds"
		echo "stop" >&3
		sleep 1
		if [ "$mode" = unequal ]; then
			# one command at a time, each after the previous one's output:
			# testpmd echoes its input into the log
			send_wait "show port stats all" 'Tx-pps' 2
			sleep 0.2
			for p in 0 1; do
				send_wait "show port xstats $p" 'tx_q4_ring_full' 1
				send_wait "show port $p rss reta 64 (0xffffffffffffffff)" \
					'hash index=63,' 1
			done
		else
			echo "show port stats all" >&3
		fi
		echo "quit" >&3
	else
		failed "testpmd did not reach its prompt within 30 s"
	fi
	finish 20
	check_ports 2
	case $mode in
	txonly) check_nic_stats 0 ;;
	flowgen) check_flowgen ;;
	*) check_nic_stats 1 ;;
	esac
	for p in 0 1; do
		frx=$(stat "Forward statistics for port $p" RX-packets)
		ftx=$(stat "Forward statistics for port $p" TX-packets)
		case $mode in
		txonly)
			[ "$ftx" -gt 0 ] && pass "txonly: port $p sent $ftx" || failed "txonly: port $p sent nothing" ;;
		rxonly)
			# only the tx_first burst travels: everything sent arrives
			peer=$(stat "NIC statistics for port $((1 - p))" TX-packets)
			rx=$(stat "NIC statistics for port $p" RX-packets)
			[ "$rx" -eq "$peer" ] && pass "rxonly: port $p received all $peer packets its peer sent" ||
				failed "rxonly: port $p received $rx of $peer"
			[ "$frx" -gt 0 ] && pass "rxonly: port $p forwarded-rx $frx" || failed "rxonly: port $p rx 0" ;;
		flowgen) ;;
		*)
			[ "$frx" -gt 0 ] && [ "$ftx" -gt 0 ] && pass "$mode: port $p rx $frx tx $ftx" ||
				failed "$mode: port $p rx $frx tx $ftx" ;;
		esac
	done
	if [ "$mode" = csum ]; then
		bad=$(grep -E 'Bad-ipcsum: *[1-9]|Bad-l4csum: *[1-9]' "$log" || true)
		[ -z "$bad" ] && pass "csum: no bad checksum reported" || failed "csum: $bad"
	fi
	if [ "$queues" = 8 ] && [ "$mode" != txonly ] && [ "$mode" != flowgen ]; then
		check_rss_spread 0
		check_rss_spread 1
	fi
	if [ "$mode" = unequal ]; then
		check_rss_spread 0 3 3
		check_rss_spread 1 3 3
		check_unequal
	fi
	;;
esac

check_exit
check_log_clean
if [ $fail -ne 0 ]; then
	echo "---- last lines of $log ----"
	tail -40 "$log"
fi
echo "smoke $scenario: $([ $fail -eq 0 ] && echo PASS || echo FAIL)"
exit $fail
