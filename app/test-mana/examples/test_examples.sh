#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# DPDK's own examples (dpdk-doc's sources, built here with make and
# pkg-config) forwarding kernel traffic between two net_mana ports of
# mana-emu. Each vPort's tap wire has its kernel end in a network namespace
# of its own; the kernel sends sequenced UDP both ways through the example
# and the test counts what arrives, byte-checked (traffic.py of the ovs
# suite), and the example's own counters where it prints them.
#
#   test_examples.sh <build dir> skeleton|l2fwd|l3fwd|l3fwd-power
#
# The device drops frames whose source MAC is not the sending vPort's (as
# Azure does), so skeleton (frames unchanged) gets kernel ends that carry
# the other vPort's MAC; l2fwd and l3fwd write the TX port's MAC
# themselves. l3fwd-power --interrupt-only must sleep without traffic (its
# log, and its worker thread's CPU time) and wake on traffic.
set -u
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
here=$(dirname "$self")
build=$(cd "${1:?build dir}" && pwd)
ex=${2:?example}
src=/usr/share/dpdk/examples
exdir=$build/app/test-mana/examples
work=$exdir/run-$ex
traffic=$here/../ovs/traffic.py
source "$here/../common/emu-run.sh"
source "$here/../common/mem-mode.sh"

case $ex in
skeleton) bin=basicfwd ;;
l2fwd|l3fwd|l3fwd-power) bin=$ex ;;
*) echo "FAIL: unknown example $ex"; exit 2 ;;
esac

if [ -z "${MANA_EX_INNER:-}" ]; then
	[ -d "$src/$ex" ] || { echo "SKIP: $src/$ex missing (dpdk-doc, scripts/setup.sh installs it)"; exit 77; }
	command -v make >/dev/null || { echo "SKIP: make not installed"; exit 77; }
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces, taps)"; exit 77; }
	# build the example from the installed sources, in the build tree
	mkdir -p "$exdir/src"
	for d in common "$ex"; do
		[ -d "$exdir/src/$d" ] || cp -r "$src/$d" "$exdir/src/$d" || exit 1
	done
	make -s -C "$exdir/src/$ex" >"$exdir/src/$ex.make.log" 2>&1 ||
		{ tail -20 "$exdir/src/$ex.make.log"; echo "FAIL: make of $ex"; exit 1; }
	emu_run_setup "$build" "$work"
	mem_mode_setup 512 "$work"
	MANA_EX_INNER=1 mem_run unshare -n "$self" "$build" "$ex"
	rc=$?
	echo "$ex: $([ $rc -eq 0 ] && echo PASS || echo FAIL)"
	[ $rc -eq 0 ] && { cd / && rm -rf "$work"; }
	exit $rc
fi

# ---- inside a private network namespace (and mount namespace in hugepage mode)
emu=$build/emu/cli/mana-emu
mem_mode_setup 512 "$work"
cd "$work" || exit 1
m0=00:0d:3a:1e:00:01	# vPort MACs
m1=00:0d:3a:1e:00:02
fails=0
pids=()
pass() { echo "PASS: $*"; }
failed() { echo "FAIL: $*"; fails=$((fails + 1)); }
die() { echo "FAIL: $*"; tail -n 30 "$work/app.log"; exit 1; }
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null' EXIT
ns() { nsenter -t "$1" -n -- "${@:2}"; }

eal=(-d librte_net_mana.so -a 7870:00:00.0 "${mem_args[@]}" --file-prefix "ex-$ex"
     --log-level 'pmd.net.mana.*:notice')
# kernel ends: MAC, address, the peer's address and the MAC to send it to.
# l3fwd's routes: 198.18.0.0/24 out of port 0, 198.18.1.0/24 out of port 1;
# l3fwd-power's: 1.1.1.0/24 and 2.1.1.0/24, to 02:00:00:00:00:<port>
case $ex in
skeleton)
	k0=$m1 k1=$m0 a0=10.71.0.1 a1=10.71.0.2 via0=$m0 via1=$m1
	app=("$exdir/src/$ex/build/$bin" -l 0 "${eal[@]}") ;;
l2fwd)
	# l2fwd sends to 02:00:00:00:00:<TX port>
	k0=02:00:00:00:00:00 k1=02:00:00:00:00:01 a0=10.71.0.1 a1=10.71.0.2 via0=$m0 via1=$m1
	app=("$exdir/src/$ex/build/$bin" -l 0-1 "${eal[@]}" -- -p 0x3 -q 2 -T 1) ;;
l3fwd)
	k0=02:00:00:1e:00:01 k1=02:00:00:1e:00:02 a0=198.18.0.1 a1=198.18.1.2 via0=$m0 via1=$m1
	n0=198.18.0 n1=198.18.1
	app=("$exdir/src/$ex/build/$bin" -l 0-1 "${eal[@]}" -- -p 0x3
	     --config='(0,0,1),(1,0,1)' --parse-ptype --lookup=lpm --eth-dest=0,$k0
	     --eth-dest=1,$k1) ;;
l3fwd-power)
	k0=02:00:00:00:00:00 k1=02:00:00:00:00:01 a0=1.1.1.1 a1=2.1.1.2 via0=$m0 via1=$m1
	n0=1.1.1 n1=2.1.1
	app=("$exdir/src/$ex/build/$bin" -l 0-1 "${eal[@]}" -- -p 0x3
	     --config='(0,0,1),(1,0,1)' --parse-ptype --interrupt-only) ;;
esac

"$emu" --ports 2 --strict --mac $m0 --mac $m1 --dir "$work/emu" \
	--opt wire0=tap:ext0 --opt wire1=tap:ext1 -- "${app[@]}" >"$work/app.log" 2>&1 &
app_pid=$!
pids+=($app_pid)
for ((i = 0; i < 300; i++)); do
	ip link show ext1 >/dev/null 2>&1 && break
	kill -0 $app_pid 2>/dev/null || die "$ex exited"
	sleep 0.1
done
ip link show ext1 >/dev/null 2>&1 || die "the emulator's taps did not appear"
unshare -n sleep 100000 & ns0=$!
unshare -n sleep 100000 & ns1=$!
pids+=($ns0 $ns1)
sleep 0.2
ip link set ext0 netns $ns0 && ip link set ext1 netns $ns1 || die "taps into namespaces"
ns $ns0 ip link set ext0 address $k0 up
ns $ns1 ip link set ext1 address $k1 up
case $ex in
l3fwd|l3fwd-power)
	ns $ns0 ip addr add $a0/24 dev ext0
	ns $ns1 ip addr add $a1/24 dev ext1
	ns $ns0 ip neigh add $n0.254 lladdr $via0 dev ext0
	ns $ns1 ip neigh add $n1.254 lladdr $via1 dev ext1
	ns $ns0 ip route add $n1.0/24 via $n0.254
	ns $ns1 ip route add $n0.0/24 via $n1.254 ;;
*)
	ns $ns0 ip addr add $a0/24 dev ext0
	ns $ns1 ip addr add $a1/24 dev ext1
	ns $ns0 ip neigh add $a1 lladdr $via0 dev ext0
	ns $ns1 ip neigh add $a0 lladdr $via1 dev ext1 ;;
esac
# l3fwd-power: its forwarding lcore's thread, for CPU time
worker_cpu() {
	local t
	for t in /proc/$(pgrep -P $app_pid | head -1)/task/*; do
		[ "$(cat "$t/comm" 2>/dev/null)" = rte-worker-1 ] &&
			awk '{ print $14 + $15 }' "$t/stat" && return
	done
	echo -1
}
sleep 2	# ports up, link checks done

# wait (up to 10 s) for a sink writing to $1 to be bound
sink_ready() {
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q '^ready' "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "  sink not ready after 10 s"
}
# Drops the device counted at vPort $1's RX: no posted buffer (the example
# descheduled) or the port not accepting.
counted_drops() {
	"$emu" ctl --dir "$work/emu" stats | awk -v p="dev0.port$1." '$1 == p "rx_discards_nowqe" ||
		$1 == p "rx_drop_disabled" { s += $2 } END { print s + 0 }'
}
udp() {	# from-ns to-ns to-addr count port ingress-vport -> "received counted-drops"
	local d0 d1 got
	d0=$(counted_drops $6)
	rm -f "$work/udp.out"	# sink_ready must not see the last run's file
	ns $2 "$traffic" udp-sink $5 2 >"$work/udp.out" &
	local sink=$!
	sink_ready "$work/udp.out"
	ns $1 "$traffic" udp-send $3 $5 $4 600
	wait $sink
	got=$(awk '$1 == "udp-sink" { print $2 }' "$work/udp.out")
	d1=$(counted_drops $6)
	echo "${got:-0} $((d1 - d0))"
	# where datagrams were lost, should a check fail
	{
		echo "udp to $3:"
		ns $2 awk '/^Udp:/' /proc/net/snmp
		"$emu" ctl --dir "$work/emu" stats
	} >>"$work/udp-counters.log" 2>&1
}
# At least 95 % arrive, or every missing datagram is a drop the device
# counted (the 2 cores are shared: a descheduled example loses frames).
udp_check() {	# description count "received counted"
	local got counted
	read -r got counted <<<"$3"
	if [ "$got" -ge $(($2 * 95 / 100)) ]; then
		pass "$1: $got of $2 datagrams ($counted drops counted)"
	elif [ $((got + counted)) -ge "$2" ]; then
		pass "$1: $got of $2 datagrams, the other $(($2 - got)) among $counted drops the device counted (CPU starvation)"
	else
		failed "$1: $got of $2 datagrams, only $counted drops counted"
	fi
}
if [ $ex = l3fwd-power ]; then
	c0=$(worker_cpu)
	sleep 2
	c1=$(worker_cpu)
	hz=$(getconf CLK_TCK)
	echo "  idle: lcore 1 used $((c1 - c0)) ticks of CPU in 2 s ($hz a second)"
	[ "$c0" -ge 0 ] && [ $((c1 - c0)) -lt $((hz / 5)) ] &&
		pass "idle: the forwarding lcore sleeps ($((c1 - c0)) ticks in 2 s)" ||
		failed "idle: the forwarding lcore used $((c1 - c0)) ticks in 2 s"
	grep -q 'lcore 1 sleeps until interrupt triggers' "$work/app.log" &&
		pass "its log says it sleeps" || failed "no 'sleeps until interrupt' in its log"
fi
res01=$(udp $ns0 $ns1 $a1 1000 5010 0)
udp_check "$ex, port 0 -> 1" 1000 "$res01"
res10=$(udp $ns1 $ns0 $a0 1000 5011 1)
udp_check "$ex, port 1 -> 0" 1000 "$res10"
if [ $ex = l3fwd-power ]; then
	grep -q 'lcore 1 is waked up from rx interrupt' "$work/app.log" &&
		pass "woken by RX interrupts" || failed "no wake-up from an RX interrupt in its log"
fi
kill -INT $(pgrep -P $app_pid -f "$bin") 2>/dev/null
for ((i = 0; i < 150; i++)); do
	kill -0 $app_pid 2>/dev/null || break
	sleep 0.1
done
kill -0 $app_pid 2>/dev/null && { kill -9 $app_pid; failed "$ex did not exit within 15 s of SIGINT"; }
wait $app_pid
rc=$?
if [ $ex = l2fwd ]; then
	# its last statistics: every port received and sent what the kernel did
	for p in 0 1; do
		r=$(awk -v p="Statistics for port $p" '$0 ~ p { f = 1 } f && /Packets received:/ { v = $3; f = 0 } END { print v }' "$work/app.log")
		want=${res01%% *}
		[ $p = 1 ] && want=${res10%% *}
		echo "  l2fwd port $p: received ${r:-0}, the kernel behind it got $want"
		[ "${r:-0}" -ge "$want" ] || failed "l2fwd port $p counted ${r:-0} received, fewer than $want forwarded"
	done
fi
grep 'violation' "$work/app.log" && failed "emulator violations"
# basicfwd has no signal handler: SIGINT ends it (130); the others exit 0
want=0
[ $ex = skeleton ] && want=130
[ $rc -eq $want ] && pass "$ex under mana-emu --strict ended with $rc, no violation" ||
	{ tail -n 15 "$work/app.log"; failed "exit status $rc"; }
if [ $fails -ne 0 ]; then
	echo "---- UDP counters (receiving kernel, emulator) ----"
	cat "$work/udp-counters.log"
	die "$fails checks failed"
fi
exit 0
