#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# The main job: sets everything up, builds net_mana, and runs Debian's own
# dpdk-testpmd forwarding through it, bounded in time, printing Mpps.
#
#   scripts/run.sh                              # on mana-emu (two emulated vPorts, paired)
#   scripts/run.sh --pci 7870:00:00.0 --mac 00:0d:3a:..  # on a real Azure MANA VF
#
# Options: --seconds N (default 10), --queues N (default 1), --mode io|txonly|...,
# --emu-opt KEY=VALUE (a mana-emu setting, e.g. doorbell=sample; repeatable)

set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$top/build}
pci= mac= seconds=10 queues=1 mode=
emu_opts=()

while [ $# -gt 0 ]; do
	case $1 in
	--pci) pci=$2; shift 2 ;;
	--mac) mac=$2; shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	--queues) queues=$2; shift 2 ;;
	--mode) mode=$2; shift 2 ;;
	--emu-opt) emu_opts+=(--opt "$2"); shift 2 ;;
	-h|--help) sed -n '2,15p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
done

"$top/scripts/setup.sh"
if [ -f "$build/build.ninja" ]; then
	meson setup --reconfigure "$build" "$top" >/dev/null
else
	meson setup "$build" "$top" >/dev/null
fi
ninja -C "$build" >/dev/null

# EAL's unix sockets live in the runtime directory: keep its path short.
source "$top/app/test-mana/common/short-dir.sh"
short_dir runtime "$build/runtime/run"
log=$build/runtime/run/testpmd.log
export LD_LIBRARY_PATH=$build/drivers/net/mana${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export RUNTIME_DIRECTORY=$runtime

eal=(-l 0-1 -d librte_net_mana.so --file-prefix mana-run --log-level 'pmd.net.mana.*:notice')
tpmd=(--stats-period 1 --nb-cores=1 --rxq="$queues" --txq="$queues"
      --txd=256 --rxd=256 --auto-start)

if [ -n "$pci" ]; then
	# Real hardware: the Azure guide's command line.
	[ -n "$mac" ] || { echo "run.sh: --pci needs --mac (the VF's MAC)" >&2; exit 2; }
	mode=${mode:-txonly}
	hp=--no-huge
	[ "$(cat /proc/sys/vm/nr_hugepages)" -gt 0 ] && hp=
	cmd=(dpdk-testpmd "${eal[@]}" $hp ${hp:+-m 1024} -a "$pci,mac=$mac" --
	     "${tpmd[@]}" --forward-mode="$mode")
	echo "run.sh: ${cmd[*]}"
	(cd "$runtime" && timeout --preserve-status -s INT "$seconds" "${cmd[@]}") >"$log" 2>&1 || true
else
	# Like Azure's vSwitch, the emulated device delivers unicast only to the
	# vPort's own MAC: forward in "mac" mode, each port addressing the other.
	mode=${mode:-mac}
	mac0=00:0d:3a:e0:00:01 mac1=00:0d:3a:e0:00:02
	emu=$build/emu/cli/mana-emu
	[ -x "$emu" ] || { echo "run.sh: $emu was not built" >&2; exit 1; }
	cmd=("$emu" --ports 2 --mac "$mac0" --mac "$mac1" --strict "${emu_opts[@]}" --
	     dpdk-testpmd "${eal[@]}" --no-huge -m 1024 -a 7870:00:00.0 --
	     "${tpmd[@]}" --forward-mode="$mode" --eth-peer=0,"$mac1" --eth-peer=1,"$mac0"
	     --tx-first)
	echo "run.sh: ${cmd[*]}"
	(cd "$runtime" && timeout --preserve-status -s INT "$seconds" "${cmd[@]}") >"$log" 2>&1 || true
fi

ports=$(grep -c 'Port [0-9]*: [0-9A-F:]\{17\}' "$log" || true)
# Sum the RX packet rate of all ports over the last stats period.
mpps=$(awk '/Rx-pps:/ { last[port] = $2 } /NIC statistics for port/ { port = $6 }
	END { s = 0; for (p in last) s += last[p]; printf "%.3f", s / 1e6 }' "$log")
fwd=$(awk '/Forward statistics for port/ { p = 1 } /Accumulated forward statistics/ { p = 0 }
	/RX-packets:/ && p { s += $2 } END { print s + 0 }' "$log")
echo "run.sh: ports=$ports forwarded-packets=$fwd rate=$mpps Mpps (log: $log)"
[ "${ports:-0}" -ge 1 ] && [ "${fwd:-0}" -gt 0 ]
