#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# Probe scenarios: Debian's unmodified dpdk-testpmd probes net_mana on mana-emu
# functions of various shapes, and every failure prints the one-line error
# that names its cause and its fix.
#
#   test_probe.sh <build dir> <case>
#
# Cases:
#   ports        one ethdev per vPort, named <pci>_port<N>, MAC of dev_port N-1
#   select       mac= repeated selects ports (and 8 times selects all 8)
#   vdev-pf      Azure's --vdev="<pci>,mac=<mac>" form, PF device id 00b9
#   ibdev-mana   older kernels: IB device mana_N, vendor_part_id 0, accepted
#   bad-devargs  too many mac=, a bad MAC, an unknown key: clear error, no port
#   mac-unknown  mac= matching no vPort: the error lists the function's ports
#   no-ibdev     mana_ib not loaded: no IB device for the function
#   no-libmana   rdma-core without libmana: the IB device is not listed
#   busy         the vPort's kernel interface is up: EBUSY and ENODEV kernels
# Each asserts the port count, port names and MACs from testpmd's
# `show port summary all`, and the exact driver message.

set -u

build=${1:?usage: test_probe.sh <build dir> <case>}
case_name=${2:?usage: test_probe.sh <build dir> <case>}
build=$(cd "$build" && pwd)

pci=7870:00:00.0
work=$build/app/test-mana/probe/run-$case_name
log=$work/testpmd.log

fail=0
pass() { echo "PASS: $*"; }
failed() { echo "FAIL: $*"; fail=1; }

source "$(dirname "$0")/../common/emu-run.sh"
emu_run_setup "$build" "$work" testpmd

mac() { printf '00:0d:3a:e0:00:%02x' "$1"; }
MAC() { printf '00:0D:3A:E0:00:%02X' "$1"; }

# probe <emu options...> -- <device arguments for EAL...>
# Runs testpmd interactively: `show port summary all`, then quit. Output in $log.
probe() {
	local emu_args=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		emu_args+=("$1")
		shift
	done
	shift
	printf 'show port summary all\nquit\n' |
		timeout -s KILL 60 "$emu" --strict "${emu_args[@]}" -- \
			dpdk-testpmd -l 0-1 -d librte_net_mana.so --no-huge -m 512 \
			--file-prefix "probe-$case_name" "$@" -- -i \
			--total-num-mbufs=8192 >"$log" 2>&1
	rc=$?
}

# Number of ports testpmd reports.
nports() {
	sed -n 's/^Number of available ports: \([0-9]*\)$/\1/p' "$log" | tail -n 1
}

expect_ports() {
	local want=$1 got
	got=$(nports)
	if [ "$got" = "$want" ]; then
		pass "$what: $want port(s)"
	else
		failed "$what: ${got:-no} port(s), expected $want"
		sed 's/^/    /' "$log" | tail -n 30
	fi
}

# expect_port <port id> <MAC> <name>: a row of `show port summary all`
expect_port() {
	if grep -Eq "^$1 +$2 +$3 +net_mana " "$log"; then
		pass "$what: port $1 is $3 with MAC $2"
	else
		failed "$what: no summary row '$1 $2 $3 net_mana'"
		grep -E '^[0-9]+ +[0-9A-F:]{17} ' "$log" | sed 's/^/    /'
	fi
}

# expect_msg <fixed string>: the driver printed it, on one line
expect_msg() {
	if grep -Fq -- "$1" "$log"; then
		pass "$what: message \"$1\""
	else
		failed "$what: no message \"$1\""
		grep -i 'mana' "$log" | sed 's/^/    /' | head -n 20
	fi
}

expect_status0() {
	if [ "$rc" = 0 ]; then
		pass "$what: clean exit"
	else
		failed "$what: exit status $rc"
		tail -n 20 "$log" | sed 's/^/    /'
	fi
}

case $case_name in
ports)
	what="3 vPorts, no devargs"
	probe --ports 3 -- -a "$pci"
	expect_status0
	expect_ports 3
	for p in 1 2 3; do
		expect_port $((p - 1)) "$(MAC $p)" "${pci}_port$p"
	done
	what="1 vPort"
	probe --ports 1 -- -a "$pci"
	expect_ports 1
	expect_port 0 "$(MAC 1)" "${pci}_port1"
	;;
select)
	what="mac= twice of 3"
	probe --ports 3 -- -a "$pci,mac=$(mac 1),mac=$(mac 3)"
	expect_status0
	expect_ports 2
	expect_port 0 "$(MAC 1)" "${pci}_port1"
	expect_port 1 "$(MAC 3)" "${pci}_port3"
	what="mac= in upper case, second vPort"
	probe --ports 2 -- -a "$pci,mac=$(MAC 2)"
	expect_ports 1
	expect_port 0 "$(MAC 2)" "${pci}_port2"
	what="mac= 8 times"
	args=$pci
	for p in 8 7 6 5 4 3 2 1; do
		args+=",mac=$(mac $p)"
	done
	probe --ports 8 -- -a "$args"
	expect_status0
	expect_ports 8
	for p in 1 2 3 4 5 6 7 8; do
		expect_port $((p - 1)) "$(MAC $p)" "${pci}_port$p"
	done
	;;
vdev-pf)
	what="--vdev=<pci>,mac= on a PF (00b9)"
	probe --ports 2 --opt pf=on -- --vdev="$pci,mac=$(mac 2)"
	expect_status0
	expect_ports 1
	expect_port 0 "$(MAC 2)" "${pci}_port2"
	expect_msg "Probe PCI driver: net_mana (1414:00b9) device: $pci"
	what="--vdev=<pci>,mac= on a VF (00ba)"
	probe --ports 2 -- --vdev="$pci,mac=$(mac 1)"
	expect_ports 1
	expect_port 0 "$(MAC 1)" "${pci}_port1"
	expect_msg "Probe PCI driver: net_mana (1414:00ba) device: $pci"
	;;
ibdev-mana)
	what="IB device mana_0 (vendor_part_id 0)"
	probe --ports 2 --opt ibdev=mana -- -a "$pci" --log-level 'pmd.net.mana.*:info'
	expect_status0
	expect_ports 2
	expect_port 1 "$(MAC 2)" "${pci}_port2"
	expect_msg "mana_0 port 2"
	;;
bad-devargs)
	what="9 times mac="
	args=$pci
	for p in 1 2 3 4 5 6 7 8 8; do
		args+=",mac=$(mac $p)"
	done
	probe --ports 8 -- -a "$args"
	expect_ports 0
	expect_msg "more than 8 mac= arguments"
	what="mac=zz"
	probe --ports 2 -- -a "$pci,mac=zz"
	expect_ports 0
	expect_msg "mac=zz is not a MAC address (expected xx:xx:xx:xx:xx:xx)"
	what="unknown key"
	probe --ports 2 -- -a "$pci,foo=1"
	expect_ports 0
	expect_msg "cannot parse devargs \"foo=1\" (accepted: mac=<address>"
	;;
mac-unknown)
	what="mac= of no vPort"
	probe --ports 2 -- -a "$pci,mac=00:11:22:33:44:55"
	expect_status0
	expect_ports 0
	expect_msg "$pci: mac=00:11:22:33:44:55 matches no port; ports of manae_0: $(MAC 1) (enP30832s0), $(MAC 2) (enP30832s0d1)"
	what="one known and one unknown mac="
	probe --ports 2 -- -a "$pci,mac=$(mac 1),mac=00:11:22:33:44:55"
	expect_ports 0
	expect_msg "mac=00:11:22:33:44:55 matches no port"
	;;
no-ibdev)
	what="no IB device (mana_ib not loaded)"
	probe --ports 2 --opt ibdev=none -- -a "$pci"
	expect_status0
	expect_ports 0
	expect_msg "$pci: no IB device for this PCI function (mana_ib not loaded? run 'modprobe mana_ib')"
	;;
no-libmana)
	what="rdma-core without libmana"
	probe --ports 2 --opt libmana=off -- -a "$pci"
	expect_status0
	expect_ports 0
	expect_msg "$pci: the kernel has an IB device for this function but rdma-core does not list it: install rdma-core >= 44 with libmana (ibverbs-providers)"
	;;
busy)
	for e in EBUSY ENODEV; do
		what="kernel interface of vPort 2 up ($e kernel)"
		probe --ports 2 --opt netdev_up1=on --opt busy_errno=$e -- -a "$pci"
		expect_status0
		expect_ports 2
		expect_msg "port 1: vPort of enP30832s0d1 is in use by the kernel: run 'ip link set enP30832s0d1 down'"
		expect_msg "Fail to start port 1"
		if grep -q "Fail to start port 0" "$log"; then
			failed "$what: port 0 (interface down) did not start"
		else
			pass "$what: port 0 started"
		fi
	done
	;;
*)
	echo "FAIL: unknown case $case_name"
	exit 2
	;;
esac

[ $fail = 0 ] && rm -rf "$work"
exit $fail
