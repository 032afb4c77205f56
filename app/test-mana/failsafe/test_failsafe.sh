#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# Failsafe scenarios: Debian's unmodified dpdk-testpmd runs DPDK's failsafe
# PMD with net_mana (mana-emu) as preferred sub-device and a tap as fallback,
# and the VF comes and goes under traffic.
#
#   test_failsafe.sh <build dir> <case>
#
# Cases:
#   replug      dev(<pci>,mac=<mac>) form. The VF is absent when testpmd
#               starts (workaround for failsafe's bugs: failsafe starts in
#               safe mode), then plugged in; failsafe probes it and replays
#               link (up), MTU, promiscuous, allmulticast and the default
#               MAC; link down/up and MTU through failsafe on the started
#               VF; removed under traffic; re-added at the same address.
#   replug-exec exec(vf_devargs.sh <mac> <gate>) form. The VF is present
#               but held back by the gate until the failsafe port started;
#               removed under traffic; re-added at a new PCI address, which
#               the exec() command finds by MAC.
#   bug-fast-rx control: the VF present and probed at start (failsafe's
#               fast bursts); its removal under traffic must kill testpmd
#               with SIGSEGV (exit status 139).
#   bug-port0   control: the peer is port 0 (no bystander); after the VF's
#               removal and re-add the peer must forward nothing and its
#               bursts be reported "not ready".
#   The controls assert DPDK 22.11's failsafe bugs: if one fails because
#   the failure it expects no longer happens, failsafe was fixed.
#
# Topology (inside `unshare -n`): emulated function 1 (7870:00:01.0, probed
# by EAL) gives ports 0 (vPort 0, unwired, kept as port 0: failsafe's second
# release of a removed sub-device resets the fast-path ops of port 0) and 1
# (vPort 1, "P", the peer). Function 0 vPort 1 is the VF, wired to P.
# net_failsafe0 is port 2 ("F"), its tap sub-device dtap0 has its kernel
# side in the namespace. testpmd forwards in mac mode between P and F.
# Asserts per phase, from testpmd's forward statistics, the kernel's dtap0
# counters and the emulator's per-vPort counters: which path carried the
# frames (VF or tap) and that they arrived; the replayed configuration; exit
# status (0, or 139 for bug-fast-rx), zero emulator violations (--strict)
# and no unexpected error in the log.

set -u

build=${1:?usage: test_failsafe.sh <build dir> <case>}
case_name=${2:?usage: test_failsafe.sh <build dir> <case>}

case $case_name in
replug|replug-exec|bug-port0|bug-fast-rx) ;;
*) echo "FAIL: unknown case $case_name"; exit 2 ;;
esac

# A private network namespace for the tap (re-exec once inside it).
if [ -z "${MANA_FS_NETNS:-}" ]; then
	unshare -n true 2>/dev/null ||
		{ echo "SKIP: cannot create a network namespace (unshare -n, needs root)"; exit 77; }
	if [ "$case_name" = bug-port0 ]; then
		# The control shows failsafe 22.11's bug, whose effects after the
		# removal vary (seen once in seven runs: testpmd's stop never ended
		# with the bursts of port 0 reset): one more attempt, said loudly.
		MANA_FS_NETNS=1 unshare -n "$0" "$@" && exit 0
		echo "RETRY: failsafe bug-port0 control failed once; second attempt"
	fi
	MANA_FS_NETNS=1 exec unshare -n "$0" "$@"
fi

build=$(cd "$build" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
emu=$build/emu/cli/mana-emu
plugin_dir=$build/drivers/net/mana
work=$build/app/test-mana/failsafe/run-$case_name
log=$work/testpmd.log

fail=0
ulimit -c 0   # the bug-fast-rx control crashes testpmd on purpose: no core file
pass() { echo "PASS: $*"; }
failed() { echo "FAIL: $*"; fail=1; }
check() { # check <description> <test args...>
	local what=$1
	shift
	if "$@"; then pass "$what"; else failed "$what"; fi
}
# eventually <command...>: true once the command succeeds, within 5 s
# (testpmd takes the commands piped to it in its own time)
eventually() {
	local i
	for ((i = 0; i < 25; i++)); do
		"$@" && return 0
		sleep 0.2
	done
	return 1
}
is() { [ "$1" = "$2" ]; }

[ -x "$emu" ] || { echo "FAIL: $emu was not built"; exit 1; }
[ -f "$plugin_dir/librte_net_mana.so" ] || { echo "FAIL: plugin not built"; exit 1; }
command -v dpdk-testpmd >/dev/null || { echo "SKIP: dpdk-testpmd not installed"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 (frame injection) missing"; exit 77; }
ip link set lo up 2>/dev/null || { echo "SKIP: no network namespace (needs root)"; exit 77; }
# no IPv6 chatter from the kernel into the tap: the counters stay exact
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 2>/dev/null

rm -rf "$work"
mkdir -p "$work"
source "$here/../common/short-dir.sh"
short_dir runtime "$work/runtime"
short_dir emudir "$work/emu"
export LD_LIBRARY_PATH=$plugin_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export RUNTIME_DIRECTORY=$runtime
cd "$work"

vf_mac=00:0d:3a:5f:00:02        # function 0 vPort 1: the VF
p_mac=00:0d:3a:e0:01:02         # function 1 vPort 1: the peer (default MAC)
peer_pci=7870:00:01.0
tap=dtap0
gate=$work/vf-ready
ctl() { "$emu" ctl --dir "$emudir" "$@"; }
ctl_q() { ctl "$@" >/dev/null; }

# How the VF starts: absent (parked), gated (exec() holds it back) or
# present (control case); whether port 0 is a bystander port.
vf_pci=7870:00:00.0
new_pci=7870:00:02.0
start=absent
bystander=1
vf_dev="dev($vf_pci,mac=$vf_mac)"
case $case_name in
replug-exec)
	start=gated
	vf_dev="exec($here/vf_devargs.sh,$vf_mac,$gate)" ;;
bug-port0)
	bystander=0 ;;
bug-fast-rx)
	start=present ;;
esac
if [ $start = absent ]; then
	# Function 0 is created at a parking address that nothing probes and
	# removed at once; the test plugs it in at $vf_pci once the failsafe
	# port has started.
	fn0_pci=7870:00:0f.0
	sched=(--opt remove_at_ms=0)
else
	fn0_pci=$vf_pci
	sched=()
fi
if [ $bystander = 1 ]; then
	# EAL probes both vPorts of function 1: port 0 (vPort 0) is the
	# bystander, port 1 the peer, failsafe port 2
	pp=1 fp=2
	peer_dev=(-a "$peer_pci")
else
	# only the peer's vPort: the peer is port 0, failsafe port 1
	pp=0 fp=1
	peer_dev=(-a "$peer_pci,mac=$p_mac")
fi

emu_args=(--dir "$emudir" --pci "$fn0_pci" --pci "$peer_pci" --ports 2 --strict
	  --mac 00:0d:3a:5f:00:01 --mac "$vf_mac"
	  # vPort 1 of function 0 <-> vPort 1 of function 1; vPorts 0 unwired
	  --opt wire0=pair:0.0 --opt wire1=pair:1.1 "${sched[@]}")
fs="net_failsafe0,mac=$vf_mac,hotplug_poll=100,$vf_dev,dev(net_tap0,iface=$tap)"
args=(-l 0-1 -d librte_net_mana.so --no-huge -m 1024 --file-prefix "fs-$case_name"
      "${peer_dev[@]}" --vdev "$fs"
      --log-level 'pmd.net.mana.*:info' --log-level 'pmd.net.failsafe:debug'
      -- -i --forward-mode=mac --portlist=$pp,$fp --nb-cores=1 --txd=256 --rxd=256
      --total-num-mbufs=8192
      --eth-peer=$pp,"$vf_mac" --eth-peer=$fp,"$p_mac")

mkfifo "$work/stdin"
exec 3<>"$work/stdin"
# stdbuf: testpmd's answers reach the log when printed, in order with
# the EAL and PMD messages (stderr), so that each phase can be read
# (timeout: a bound even if this script's own waits were to fail)
timeout --preserve-status -s INT -k 5 100 \
	"$emu" "${emu_args[@]}" -- stdbuf -oL dpdk-testpmd "${args[@]}" <"$work/stdin" >"$log" 2>&1 &
emu_pid=$!
cmd() { echo "$*" >&3; }

# wait_log <regex> <seconds> [<from byte>]: 0 once the log (past the offset)
# matches, 1 when the run ended or the time ran out first.
wait_log() {
	local i from=${3:-0}
	for ((i = 0; i < $2 * 10; i++)); do
		tail -c +$((from + 1)) "$log" 2>/dev/null | grep -qE "$1" && return 0
		kill -0 "$emu_pid" 2>/dev/null || break
		sleep 0.1
	done
	tail -c +$((from + 1)) "$log" 2>/dev/null | grep -qE "$1"
}
log_size() { stat -c %s "$log"; }

# Kernel counters of the tap's kernel side: rx = frames failsafe sent
# through the tap, tx = frames the kernel sent to failsafe.
tap_rx() { awk -v i="$tap:" '$1 == i { print $3 }' /proc/net/dev; }
tap_tx() { awk -v i="$tap:" '$1 == i { print $11 }' /proc/net/dev; }
# Emulator counter: emu_stat <dev> <port> <field>
emu_stat() {
	ctl stats | awk -v k="dev$1.port$2.$3" '$1 == k { v = $2 } END { print v + 0 }'
}
# Field of testpmd's forward statistics of port $1 in file $3 (one phase).
fwd_stat() {
	fwd_stat_sec "Forward statistics for port $1 " "$2" "$3"
}
fwd_stat_sec() {
	awk -v sec="$1" -v key="$2:" '
		index($0, sec) { insec = 1; next }
		insec && /^ *[#+-]+ *$/ { insec = 0 }
		insec { for (i = 1; i < NF; i++) if ($i == key) v = $(i + 1) }
		END { print v + 0 }' "$3"
}

# Telemetry of the running testpmd (also sees the ports failsafe owns).
# Helper processes that answer one line per request line, started once
# (Python starts slowly on a loaded machine): helper_start <name> <cmd...>,
# helper_ask <name> <request> prints the answer.
helper_start() {
	local name=$1
	shift
	mkfifo "$work/$name.in"
	"$@" <"$work/$name.in" >"$work/$name.out" 2>"$work/$name.err" &
	eval "exec {${name}_fd}>'$work/$name.in'"
}
helper_ask() {
	local fdv=${1}_fd n i
	n=$(wc -l <"$work/$1.out")
	echo "$2" >&"${!fdv}"
	for ((i = 0; i < 100; i++)); do
		[ "$(wc -l <"$work/$1.out")" -gt "$n" ] && break
		sleep 0.05
	done
	sed -n "$((n + 1))p" "$work/$1.out"
}
telemetry() { helper_ask tele "$1"; }
telemetry_link() {
	telemetry "/ethdev/link_status,$1" | grep -o '"status": "[A-Z]*"'
}
# Port id net_mana gave the VF (its probe message), the last one in the log.
vf_port() {
	sed -nE "s/.*mana_probe_port\(\): $1_port[0-9]+: port ([0-9]+),.*/\1/p" "$log" | tail -1
}
# MTU the device enforces: the VF's kernel interface in the emulated sysfs.
vf_mtu() {
	local a
	for a in "$emudir"/pci/"$1"/net/*/address; do
		grep -qi "^$vf_mac\$" "$a" 2>/dev/null && cat "${a%/address}/mtu"
	done
}

# Field of testpmd's port statistics of port $1 (the last ones printed).
nic_stat() {
	fwd_stat_sec "NIC statistics for port $1 " "$2" "$log"
}

# Injector: sends N frames to failsafe's MAC through the tap (kernel ->
# tap PMD) for each line N it reads.
injector=(python3 -u -c '
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
frame = bytes.fromhex(sys.argv[2].replace(":", "")) + \
	bytes.fromhex("02000000aa01") + b"\x88\xb5" + bytes(46)
for line in sys.stdin:
	for _ in range(int(line)):
		s.send(frame)
	print("sent", line.strip())
' "$tap")
inject_tap() {
	local answer
	answer=$(helper_ask inject "$1")
	check "injected $1 frames into the tap" is "$answer" "sent $1"
}

# run_phase <name> <seconds> [<command run during the phase>]: start with a
# tx_first burst, run, stop; the phase's log goes to $work/<name>.log.
run_phase() {
	local name=$1 secs=$2 off
	off=$(log_size)
	cmd "start tx_first"
	wait_log 'Press enter|testpmd> ' 10 "$off" >/dev/null
	sleep "$secs"
	[ $# -ge 3 ] && eval "$3"
	cmd "stop"
	wait_log 'End of forward statistics|Accumulated forward statistics' 10 "$off" ||
		failed "$name: no forward statistics"
	sleep 0.3
	tail -c +$((off + 1)) "$log" >"$work/$name.log"
}

# VF phase: frames both ways through the VF, none through the tap.
check_vf_phase() {
	local name=$1 f=$work/$1.log frx ftx prx ptx
	frx=$(fwd_stat $fp RX-packets "$f"); ftx=$(fwd_stat $fp TX-packets "$f")
	prx=$(fwd_stat $pp RX-packets "$f"); ptx=$(fwd_stat $pp TX-packets "$f")
	echo "$name: F rx $frx tx $ftx, P rx $prx tx $ptx, tap rx +$2 tx +$3, VF emu tx +$4 rx +$5"
	check "$name: failsafe received $frx frames from the peer" [ "$frx" -gt 100 ]
	check "$name: failsafe sent $ftx frames to the peer" [ "$ftx" -gt 100 ]
	check "$name: the peer received $prx frames" [ "$prx" -gt 100 ]
	check "$name: the peer received no more than the VF sent ($4)" [ "$prx" -le "$4" ]
	check "$name: the VF's vPort sent frames (emulator tx_frames +$4)" [ "$4" -gt 100 ]
	check "$name: the VF's vPort received frames (emulator rx_frames +$5)" [ "$5" -gt 100 ]
	check "$name: failsafe received no more than the VF got ($5)" [ "$frx" -le "$5" ]
	check "$name: nothing went out through the tap (kernel rx +$2)" [ "$2" -eq 0 ]
}

# Tap phase: the VF is gone; failsafe's tx_first burst leaves through the
# tap and every frame the kernel injects into the tap reaches failsafe.
check_tap_phase() {
	local name=$1 f=$work/$1.log frx ftx
	frx=$(fwd_stat $fp RX-packets "$f"); ftx=$(fwd_stat $fp TX-packets "$f")
	echo "$name: F rx $frx tx $ftx, tap kernel rx +$2 tx +$3 (injected $4)"
	check "$name: failsafe sent $ftx frames" [ "$ftx" -gt 0 ]
	check "$name: all $ftx reached the tap's kernel side" [ "$2" -eq "$ftx" ]
	check "$name: the kernel sent the $4 injected frames into the tap" [ "$3" -ge "$4" ]
	check "$name: failsafe received all of them through the tap" [ "$frx" -eq "$3" ]
}

# Snapshot of the counters before a phase.
snap() {
	rx0=$(tap_rx); tx0=$(tap_tx)
	vtx0=$(emu_stat 0 1 tx_frames); vrx0=$(emu_stat 0 1 rx_frames)
}
vf_phase() { # vf_phase <name> [<command during the phase>]
	snap
	run_phase "$1" 1 "${2:-}"
	check_vf_phase "$1" $(($(tap_rx) - rx0)) $(($(tap_tx) - tx0)) \
		$(($(emu_stat 0 1 tx_frames) - vtx0)) $(($(emu_stat 0 1 rx_frames) - vrx0))
}
tap_phase() {
	snap
	run_phase "$1" 0 "inject_tap $pkts; sleep 0.3"
	check_tap_phase "$1" $(($(tap_rx) - rx0)) $(($(tap_tx) - tx0)) $pkts
}
# No replay step failed since log offset $1.
check_no_replay_failure() {
	check "no replay step failed ($2)" bash -c "! tail -c +$(($1 + 1)) '$log' |
		grep -qE 'Failed to apply|Setting default MAC address failed|Could not apply configuration'"
}

pkts=50
want_status=0
if ! wait_log 'testpmd> ' 40; then
	failed "testpmd did not reach its prompt within 40 s"
else
	helper_start inject "${injector[@]}" "$vf_mac"
	helper_start tele python3 -u "$(command -v dpdk-telemetry.py)" -f "fs-$case_name"
	grep -qE "^Port $fp: 00:0D:3A:5F:00:02\$" "$log" &&
		pass "failsafe is port $fp with the VF's MAC" ||
		failed "failsafe is not port $fp with MAC $vf_mac"
	grep -qE "^Port $pp: 00:0D:3A:E0:01:02\$" "$log" && pass "the peer is port $pp" ||
		failed "the peer is not port $pp"

	if [ $start = present ]; then
		# ---- control: the VF is there from the start (fast bursts) ----
		check "failsafe started on the VF" grep -q \
			'Switching tx_dev to preferred sub_device' "$log"
	else
		# ---- start: the failsafe port without the VF (safe mode) ----
		check "failsafe probed without the VF" grep -qE \
			'sub_device 0 probe failed|Reading device info from command line failed' "$log"
		[ $bystander = 1 ] && tap_phase tap-start
		if [ "$case_name" = replug ]; then
			# configuration the VF does not have, to be replayed
			cmd "port config mtu $fp 1400"
			cmd "set allmulti $fp on"
			sleep 0.5
		fi

		# ---- the VF arrives ----
		off=$(log_size)
		if [ $start = absent ]; then
			check "mana-emu plugs the VF in at $vf_pci" ctl_q readd --dev 0 --pci "$vf_pci"
		else
			touch "$gate"
		fi
		check "failsafe switched to the VF" \
			wait_log 'Switching tx_dev to preferred sub_device' 20 "$off"
		sleep 0.3
		check_no_replay_failure "$off" "VF arrival"
	fi
	if [ "$case_name" = replug ]; then
		tail -c +$((off + 1)) "$log" >"$work/replay.log"
		# (the MTU reaches the VF through rte_eth_dev_configure)
		for what in link_status promiscuous all_multicast "default MAC address"; do
			check "failsafe replayed $what on the VF" \
				grep -q "net_failsafe: Configuring $what" "$work/replay.log"
		done
		check "the VF's kernel interface MTU is 1400" [ "$(vf_mtu "$vf_pci")" = 1400 ]
		vf=$(vf_port "$vf_pci")
		info=$(telemetry "/ethdev/info,$vf"; telemetry "/ethdev/link_status,$vf")
		check "the VF (port ${vf:-?}) is promiscuous and allmulticast" \
			bash -c "grep -q '\"promiscuous\": 1' <<<'$info' && grep -q '\"all_multicast\": 1' <<<'$info'"
		# an unstarted sub-device reports its link down: failsafe's
		# replay can only bring it up (set_link_up)
		check "the VF's link is up (replayed)" grep -q '"status": "UP"' <<<"$info"
		cmd "set link-down port $fp"
		check "the VF's link is down after set link-down on failsafe" \
			eventually eval 'telemetry_link $vf | grep -q DOWN'
		cmd "set link-up port $fp"
		check "the VF's link is up after set link-up on failsafe" \
			eventually eval 'telemetry_link $vf | grep -q UP'
		# mtu_set on the started VF, forwarded by failsafe
		vf_phase vf-1 'cmd "port config mtu $fp 1450"; sleep 0.5'
		check "failsafe set MTU 1450 on the started VF" \
			eventually eval 'is "$(vf_mtu "$vf_pci")" 1450'
	else
		vf_phase vf-1
	fi

	# ---- the VF is removed under traffic ----
	off=$(log_size)
	if [ $start = present ]; then
		# failsafe's fast RX burst keeps polling the removed VF (the
		# switch to safe bursts does not reach rte_eth_fp_ops) and
		# crashes once the port is released
		cmd "start tx_first"
		sleep 1
		ctl_q remove --dev 0
		for ((i = 0; i < 100; i++)); do
			kill -0 "$emu_pid" 2>/dev/null || break
			sleep 0.1
		done
		check "the removal reached failsafe" grep -q 'Switching tx_dev to sub_device 1' "$log"
		want_status=139
	else
		# (figure, not asserted: how long failsafe kept sending to the VF)
		run_phase removal 1 "t0=\$(date +%s%N); ctl_q remove --dev 0;
			wait_log 'Switching tx_dev to sub_device 1' 10 $off;
			echo \"removal: failsafe switched to the tap \$(((\$(date +%s%N) - t0) / 1000000)) ms after the VF's removal\";
			sleep 0.5"
		check "failsafe switched to the tap on removal" \
			grep -q 'Switching tx_dev to sub_device 1' "$work/removal.log"
		check "net_mana raised the removal event" grep -q 'device removal event' "$work/removal.log"
		# failsafe closes and detaches the VF at its next hotplug alarm:
		# rte_dev_remove() reaches net_mana's .remove with the VF's port
		# already released by the close
		sleep 0.5
		check "failsafe detached the removed VF (net_mana's .remove succeeded)" bash -c \
			"tail -c +$((off + 1)) '$log' | grep -qE '^Port [0-9]+ is closed' &&
			 ! grep -q 'Bus detach failed' '$log'"
		[ $bystander = 1 ] && tap_phase tap-1

		# ---- the VF comes back ----
		off=$(log_size)
		if [ "$case_name" = replug-exec ]; then
			check "mana-emu re-adds the VF at a new address $new_pci" \
				ctl_q readd --dev 0 --pci "$new_pci"
			back_pci=$new_pci
		else
			check "mana-emu re-adds the VF at $vf_pci" ctl_q readd --dev 0
			back_pci=$vf_pci
		fi
		check "failsafe switched back to the VF" \
			wait_log 'Switching tx_dev to preferred sub_device' 20 "$off"
		ctl stats | grep -q "^dev0.pci $back_pci\$" && pass "the VF is at $back_pci" ||
			failed "the VF is not at $back_pci"
		sleep 0.3
		check "failsafe set the default MAC on the re-added VF" bash -c \
			"tail -c +$((off + 1)) '$log' | grep -q 'net_failsafe: Configuring default MAC address'"
		check_no_replay_failure "$off" "VF re-added"
		if [ "$case_name" = replug ]; then
			check "failsafe replayed MTU 1450 on the re-added VF" [ "$(vf_mtu "$back_pci")" = 1450 ]
		fi
		if [ $bystander = 1 ]; then
			vf_phase vf-2
		else
			# ---- control: failsafe's second release of the removed VF
			# reset the fast-path ops of port 0, the peer here ----
			snap
			run_phase vf-2 1
			f=$work/vf-2.log
			ptx=$(fwd_stat $pp TX-packets "$f"); prx=$(fwd_stat $pp RX-packets "$f")
			vtx=$(($(emu_stat 0 1 tx_frames) - vtx0))
			echo "vf-2: port 0 (peer) rx $prx tx $ptx; VF emu tx +$vtx"
			check "port 0 lost its bursts" grep -qE \
				'called (rx|tx)_pkt_burst for not ready port 0' "$log"
			check "the peer (port 0) received nothing although the VF sent $vtx" \
				[ "$prx" -eq 0 -a "$ptx" -eq 0 -a "$vtx" -gt 0 ]
		fi
		off=$(log_size)
		cmd "show port stats all"
		wait_log "NIC statistics for port $fp" 10 "$off" >/dev/null
		sleep 0.3
		# failsafe's port statistics: its sub-devices' plus the
		# snapshot it took of the removed VF (net_mana's stats_get on a
		# removed port); at least what the phases forwarded
		nic_rx=$(nic_stat $fp RX-packets); nic_tx=$(nic_stat $fp TX-packets)
		sum_rx=0
		for f in "$work"/{tap-start,vf-1,removal,tap-1,vf-2}.log; do
			[ -f "$f" ] && sum_rx=$((sum_rx + $(fwd_stat $fp RX-packets "$f")))
		done
		echo "failsafe port stats: rx $nic_rx tx $nic_tx; the phases forwarded rx $sum_rx"
		check "failsafe's port statistics count all $sum_rx frames received ($nic_rx)" \
			[ "$nic_rx" -ge "$sum_rx" -a "$sum_rx" -gt 0 ]
		check "failsafe's port statistics count transmitted frames ($nic_tx)" [ "$nic_tx" -gt 0 ]
		for k in RX-errors TX-errors RX-nombuf; do
			check "failsafe's $k is 0" [ "$(nic_stat $fp $k)" -eq 0 ]
		done
	fi
	cmd "quit"
fi

# the helpers end at the end of their input
[ -n "${inject_fd:-}" ] && exec {inject_fd}>&-
[ -n "${tele_fd:-}" ] && exec {tele_fd}>&-

# wait for the run to end (then interrupt, then kill)
for ((i = 0; i < 200; i++)); do
	kill -0 "$emu_pid" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$emu_pid" 2>/dev/null; then
	failed "testpmd did not exit within 20 s; interrupting it"
	kill -INT "$emu_pid" 2>/dev/null
	sleep 3
	kill -KILL "$emu_pid" 2>/dev/null
fi
wait "$emu_pid"
status=$?
exec 3>&-

check "testpmd under mana-emu --strict exited with $want_status (status $status)" \
	[ "$status" -eq "$want_status" ]
if grep -qiE 'violation' "$log"; then
	failed "emulator reported violations:"
	grep -iE -A5 'violation' "$log" | head -20
fi
# Expected while the VF is away: failsafe's probe attempts, and net_mana
# taking the DEVICE_FATAL as a reset until it sees the PCI device gone.
expected_msgs='(RX|TX)-errors: +0( |$)|RX-nombuf:|dropped'
expected_msgs+='|sub_device 0 probe failed|EAL: Cannot find device [(]'
expected_msgs+='|EAL: Failed to attach device on primary process'
expected_msgs+='|Reading device info from command line failed|Could not read command output'
# failsafe's hotplug alarm finding its lock taken by a control call retries
expected_msgs+='|Hot-plug mutex lock trying failed[(]Device or resource busy[)], will try again later'
expected_msgs+='|reset [(]IBV_EVENT_DEVICE_FATAL[)]: recovering|Port [0-9]+: error recovering event'
[ "$case_name" = bug-port0 ] && expected_msgs+='|called (rx|tx)_pkt_burst for not ready port 0'
expected_msgs+='|dtap0: failed to create multiq qdisc|^[0-9]+:Warning: NUMA should be configured manually'
# (failsafe's own name does not count as a failure)
bad=$(sed -E 's/net_failsafe|[Ff]ail-?safe//g' "$log" |
	grep -inE 'error|fail|warn|abort|panic|segmentation|cause:|invalid|not ready' |
	grep -vE "$expected_msgs" || true)
if [ -z "$bad" ]; then
	pass "no unexpected error or warning in the log"
else
	failed "unexpected errors in the log:"
	printf '%s\n' "$bad" | head -20
fi
if [ $fail -ne 0 ]; then
	echo "---- last lines of $log ----"
	tail -60 "$log"
fi
echo "failsafe $case_name: $([ $fail -eq 0 ] && echo PASS || echo FAIL)"
exit $fail
