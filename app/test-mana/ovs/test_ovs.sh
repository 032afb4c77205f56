#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# Debian's OVS-DPDK (openvswitch-switch-dpdk) forwarding kernel TCP and UDP
# between two net_mana ports on mana-emu, as an OVS user sets it up: a
# netdev bridge, two dpdk ports selected by MAC, n_rxq_desc/n_txq_desc 256
# (rdma-core 44), and MAC-rewrite flows (the device, like Azure's vSwitch,
# drops frames whose source MAC is not the sending vPort's, so a NORMAL
# bridge forwards nothing). Each vPort's tap wire is in a network namespace
# of its own. With traffic flowing: MTU 1500 -> 9000 -> 1500 (each change
# timed and printed), port del/add, port down/up, n_rxq 4 and 1; then
# statistics and xstats in `ovs-vsctl get Interface`, and the throughput.
#
#   test_ovs.sh <build dir>
#
# Private everything: hugetlbfs in a private mount namespace, all interfaces
# in private network namespaces, ovsdb-server and ovs-vswitchd with
# OVS_RUNDIR, OVS_DBDIR, OVS_LOGDIR and OVS_SYSCONFDIR in the build tree,
# EAL's runtime files there too. OVS_TEST_SECONDS: TCP seconds per step.
set -u
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
here=$(dirname "$self")
build=$(cd "${1:?build dir}" && pwd)
work=$build/app/test-mana/ovs/run
vswitchd=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
source "$here/../common/emu-run.sh"
source "$here/../common/mem-mode.sh"

if [ -z "${MANA_OVS_INNER:-}" ]; then
	[ -x "$vswitchd" ] && command -v ovsdb-server >/dev/null ||
		{ echo "SKIP: openvswitch-switch-dpdk not installed (scripts/setup.sh installs it)"; exit 77; }
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (namespaces, taps, hugetlbfs)"; exit 77; }
	emu_run_setup "$build" "$work"
	MANA_TEST_MEM=huge MANA_TEST_HUGE_MB=640 mem_mode_setup 640 "$work"
	MANA_OVS_INNER=1 mem_run unshare -n "$self" "$build"
	rc=$?
	echo "ovs: $([ $rc -eq 0 ] && echo PASS || echo FAIL)"
	[ $rc -eq 0 ] && [ -z "${OVS_TEST_KEEP:-}" ] && { cd / && rm -rf "$work"; }
	exit $rc
fi

# ---- inside: private mount and network namespaces, hugetlbfs mounted
emu=$build/emu/cli/mana-emu
MANA_TEST_MEM=huge MANA_TEST_HUGE_MB=640 mem_mode_setup 640 "$work"
cd "$work" || exit 1
export OVS_RUNDIR=$work/run OVS_DBDIR=$work/db OVS_LOGDIR=$work/log OVS_SYSCONFDIR=$work/etc
mkdir -p "$OVS_RUNDIR" "$OVS_DBDIR" "$OVS_LOGDIR" "$OVS_SYSCONFDIR/openvswitch"
db=unix:$OVS_RUNDIR/db.sock
secs=${OVS_TEST_SECONDS:-3}
m0=00:0d:3a:0f:00:01	# vPort MACs
m1=00:0d:3a:0f:00:02
k0=02:00:00:0f:00:01	# kernel side of each tap
k1=02:00:00:0f:00:02
pids=()
fails=0
pass() { echo "PASS: $*"; }
failed() { echo "FAIL: $*"; fails=$((fails + 1)); }
die() {
	echo "FAIL: $*"
	echo "---- ovs-vswitchd.log (last lines) ----"
	grep -v '|dpdk|INFO|EAL: ' "$OVS_LOGDIR/ovs-vswitchd.log" 2>/dev/null | tail -n 25
	exit 1
}
cleanup() {
	appctl exit >/dev/null 2>&1
	ovs-appctl -t ovsdb-server exit >/dev/null 2>&1
	kill "${pids[@]}" 2>/dev/null
	wait 2>/dev/null
}
trap cleanup EXIT
vsctl() { timeout 20 ovs-vsctl --timeout=15 "$@"; }
appctl() { timeout 20 ovs-appctl -t "$OVS_RUNDIR/vswitchd.ctl" "$@"; }

ip link set lo up
ovsdb-tool create "$OVS_DBDIR/conf.db" /usr/share/openvswitch/vswitch.ovsschema || die "ovsdb-tool"
ovsdb-server "$OVS_DBDIR/conf.db" --remote="p$db" --pidfile --detach \
	--log-file="$OVS_LOGDIR/ovsdb-server.log" || die "ovsdb-server did not start"
vsctl --no-wait init
vsctl --no-wait set Open_vSwitch . other_config:dpdk-init=true \
	other_config:dpdk-lcore-mask=0x1 other_config:pmd-cpu-mask=0x2 \
	"other_config:dpdk-extra=-d librte_net_mana.so -a 7870:00:00.0 ${mem_args[*]} --file-prefix ovs --log-level=pmd.net.mana.*:info"

# ovs-vswitchd on the emulated function; each vPort wired to a tap
"$emu" --ports 2 --strict --mac "$m0" --mac "$m1" --dir "$work/emu" \
	--opt wire0=tap:ovst0 --opt wire1=tap:ovst1 -- \
	"$vswitchd" "$db" --pidfile="$OVS_RUNDIR/ovs-vswitchd.pid" \
	--unixctl="$OVS_RUNDIR/vswitchd.ctl" --log-file="$OVS_LOGDIR/ovs-vswitchd.log" \
	>"$work/vswitchd.out" 2>&1 &
emu_pid=$!
pids+=($emu_pid)
for ((i = 0; i < 300; i++)); do
	ip link show ovst1 >/dev/null 2>&1 && break
	kill -0 $emu_pid 2>/dev/null || { cat "$work/vswitchd.out"; die "ovs-vswitchd exited"; }
	sleep 0.1
done
ip link show ovst1 >/dev/null 2>&1 || die "the emulator's taps did not appear"

# one network namespace per tap (held by a sleeping process)
ns() { nsenter -t "$1" -n -- "${@:2}"; }
unshare -n sleep 100000 & ns0=$!
unshare -n sleep 100000 & ns1=$!
pids+=($ns0 $ns1)
sleep 0.2
ip link set ovst0 netns $ns0 || die "tap into namespace"
ip link set ovst1 netns $ns1 || die "tap into namespace"
ns $ns0 ip link set ovst0 address $k0 up
ns $ns1 ip link set ovst1 address $k1 up
ns $ns0 ip addr add 10.70.0.1/24 dev ovst0
ns $ns1 ip addr add 10.70.0.2/24 dev ovst1
# the next hop is the vPort, as on Azure: static neighbours
ns $ns0 ip neigh add 10.70.0.2 lladdr $m0 dev ovst0
ns $ns1 ip neigh add 10.70.0.1 lladdr $m1 dev ovst1

vsctl add-br br0 -- set bridge br0 datapath_type=netdev || die "add-br"
add_port() {	# name, MAC
	vsctl add-port br0 "$1" -- set Interface "$1" type=dpdk \
		"options:dpdk-devargs=class=eth,mac=$2" \
		options:n_rxq_desc=256 options:n_txq_desc=256
}
add_port p0 $m0 || die "add-port p0"
add_port p1 $m1 || die "add-port p1"
for p in p0 p1; do
	err=$(vsctl get Interface $p error)
	[ "$err" = '[]' ] || die "port $p: $err"
done
flows() {
	local o0 o1
	o0=$(vsctl get Interface p0 ofport)
	o1=$(vsctl get Interface p1 ofport)
	ovs-ofctl del-flows br0
	ovs-ofctl add-flow br0 "in_port=$o0,actions=mod_dl_src:$m1,mod_dl_dst:$k1,output:$o1"
	ovs-ofctl add-flow br0 "in_port=$o1,actions=mod_dl_src:$m0,mod_dl_dst:$k0,output:$o0"
}
flows || die "flows"

# wait (up to 10 s) for a sink writing to $1 to be bound
sink_ready() {
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q '^ready' "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "  sink not ready after 10 s"
}
tcp() {	# seconds -> bytes received; prints the rate
	local out
	rm -f "$work/tcp.out"	# sink_ready must not see the last run's file
	ns $ns1 "$here/traffic.py" tcp-sink 5001 $(($1 + 10)) >"$work/tcp.out" &
	local sink=$!
	sink_ready "$work/tcp.out"
	ns $ns0 "$here/traffic.py" tcp-send 10.70.0.2 5001 "$1"
	wait $sink
	grep '^tcp-sink' "$work/tcp.out"
}
# Drops counted on the way ns0 -> ns1: the device finding no posted RX
# buffer on p0 (the PMD thread descheduled) or p0 not accepting, OVS finding
# p1's TX ring full.
counted_drops() {
	local emu_n ovs_n
	emu_n=$("$emu" ctl --dir "$work/emu" stats | awk '$1 == "dev0.port0.rx_discards_nowqe" ||
		$1 == "dev0.port0.rx_drop_disabled" { s += $2 } END { print s + 0 }')
	ovs_n=$(vsctl get Interface p1 statistics | sed -n 's/.*ovs_tx_failure_drops=\([0-9]*\).*/\1/p')
	echo $((emu_n + ${ovs_n:-0}))
}
udp() {	# count size -> "received counted-drops"
	local d0 d1 got
	d0=$(counted_drops)
	rm -f "$work/udp.out"	# sink_ready must not see the last run's file
	ns $ns1 "$here/traffic.py" udp-sink 5002 2 >"$work/udp.out" &
	local sink=$!
	sink_ready "$work/udp.out"
	ns $ns0 "$here/traffic.py" udp-send 10.70.0.2 5002 "$1" "$2"
	wait $sink
	got=$(awk '$1 == "udp-sink" { print $2 }' "$work/udp.out")
	d1=$(counted_drops)
	echo "${got:-0} $((d1 - d0))"
	# where datagrams were lost, should a check fail
	{
		echo "udp $1 x $2:"
		ns $ns1 awk '/^Udp:/' /proc/net/snmp
		for p in p0 p1; do echo "$p: $(vsctl get Interface $p statistics)"; done
		"$emu" ctl --dir "$work/emu" stats
	} >>"$work/udp-counters.log" 2>&1
}
# At least 95 % arrive, or every missing datagram is a counted drop (the 2
# cores are shared: a descheduled PMD thread loses frames, and says so).
udp_check() {	# description count "received counted"
	local got counted
	read -r got counted <<<"$3"
	if [ "$got" -ge $(($2 * 95 / 100)) ]; then
		pass "$1: $got of $2 datagrams ($counted drops counted)"
	elif [ $((got + counted)) -ge "$2" ]; then
		pass "$1: $got of $2 datagrams, the other $(($2 - got)) among $counted drops the device and OVS counted (CPU starvation)"
	else
		failed "$1: $got of $2 datagrams, only $counted drops counted"
	fi
}

# ---- kernel traffic across the bridge
read -r _ bytes t <<<"$(tcp "$secs")"
[ "${bytes:-0}" -gt 1000000 ] && pass "TCP: $bytes bytes in $t s ($(awk -v b="$bytes" -v t="$t" 'BEGIN { printf "%.0f", b * 8 / t / 1e6 }') Mbit/s)" ||
	failed "TCP: ${bytes:-0} bytes"
udp_check "UDP" 2000 "$(udp 2000 1000)"

# ---- changes while TCP flows
during() {	# description, command...
	local what=$1 t0 t1
	shift
	rm -f "$work/during.out"	# sink_ready must not see the last run's file
	ns $ns1 "$here/traffic.py" tcp-sink 5003 $((secs * 2 + 15)) >"$work/during.out" &
	local sink=$!
	sink_ready "$work/during.out"
	ns $ns0 "$here/traffic.py" tcp-send 10.70.0.2 5003 $((secs * 2)) &
	local src=$!
	sleep 1
	t0=$(date +%s%N)
	"$@"
	local rc=$?
	t1=$(date +%s%N)
	wait $src
	wait $sink
	read -r _ bytes _ < <(grep '^tcp-sink' "$work/during.out")
	if [ $rc -ne 0 ]; then
		failed "$what: exit $rc"
	elif [ "${bytes:-0}" -gt 100000 ]; then
		pass "$what: returned after $(((t1 - t0) / 1000000)) ms, TCP carried $bytes bytes"
	else
		failed "$what: TCP carried ${bytes:-0} bytes"
	fi
}
mtu() {
	vsctl set Interface p0 mtu_request=$1 -- set Interface p1 mtu_request=$1 || return 1
	for p in p0 p1; do
		[ "$(vsctl get Interface $p mtu)" = "$1" ] ||
			{ echo "  $p: mtu $(vsctl get Interface $p mtu), error $(vsctl get Interface $p error)"; return 1; }
	done
}
during "MTU 1500 -> 9000" mtu 9000
udp_check "UDP at MTU 9000, 8000-byte datagrams" 500 "$(udp 500 8000)"
during "MTU 9000 -> 1500" mtu 1500
port_readd() {
	vsctl del-port br0 p1 && add_port p1 $m1 && flows
}
during "port p1 deleted and added" port_readd
port_downup() {
	ovs-ofctl mod-port br0 p0 down && sleep 0.5 && ovs-ofctl mod-port br0 p0 up
}
during "port p0 down and up" port_downup
rxq() { vsctl set Interface p0 options:n_rxq=$1 -- set Interface p1 options:n_rxq=$1; }
during "n_rxq 4" rxq 4
[ "$(appctl dpif-netdev/pmd-rxq-show | grep -c 'port: p0')" -eq 4 ] &&
	pass "p0 polled on 4 RX queues" || failed "p0 not on 4 RX queues: $(appctl dpif-netdev/pmd-rxq-show)"
during "n_rxq 1" rxq 1
udp_check "UDP after the changes" 2000 "$(udp 2000 1000)"

# ---- statistics and xstats through OVS
st=$(vsctl get Interface p1 statistics)
echo "  p1 statistics: $st"
rxp=$(sed -n 's/.*[{ ]rx_packets=\([0-9]*\).*/\1/p' <<<"$st")
txp=$(sed -n 's/.*[{ ]tx_packets=\([0-9]*\).*/\1/p' <<<"$st")
[ "${rxp:-0}" -gt 1000 ] && [ "${txp:-0}" -gt 1000 ] &&
	pass "p1 statistics: rx_packets $rxp, tx_packets $txp" || failed "p1 statistics: rx $rxp tx $txp"
grep -q 'rx_q0_' <<<"$st" && pass "net_mana xstats shown (rx_q0_*)" || failed "no net_mana xstats in statistics"

# ---- the emulator saw no violation; ovs-vswitchd leaves cleanly
appctl exit || failed "ovs-appctl exit"
for ((i = 0; i < 200; i++)); do
	kill -0 $emu_pid 2>/dev/null || break
	sleep 0.1
done
kill -0 $emu_pid 2>/dev/null && { kill -9 $emu_pid; failed "ovs-vswitchd did not exit within 20 s"; }
wait $emu_pid
rc=$?
[ $rc -eq 0 ] && pass "mana-emu --strict and ovs-vswitchd exited with 0" ||
	{ tail -5 "$work/vswitchd.out"; failed "mana-emu/ovs-vswitchd exit $rc"; }
if [ $fails -ne 0 ]; then
	echo "---- UDP counters (kernel of the receiving namespace, OVS ports) ----"
	cat "$work/udp-counters.log"
	die "$fails checks failed"
fi
exit 0
