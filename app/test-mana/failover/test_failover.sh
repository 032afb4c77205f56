#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# Failover end to end: examples/mana-failover on mana-emu's vSwitch wire,
# kernel UDP traffic on the uplink tap, 20 VF removals / re-adds (some at a
# new PCI address) and 5 service resets under traffic (failover_e2e.py).
#
#   test_failover.sh <build dir> <run name> [failover_e2e.py options]
#
# Runs in a private network namespace (unshare -n): the taps and addresses
# never reach the machine's own network.

set -u

build=$(cd "${1:?usage: test_failover.sh <build dir> <run name> [options]}" && pwd)
name=${2:?usage: test_failover.sh <build dir> <run name> [options]}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
emu=$build/emu/cli/mana-emu
prog=$build/examples/mana-failover/mana-failover
plugin_dir=$build/drivers/net/mana
py=/usr/bin/python3

[ -x "$emu" ] || { echo "FAIL: $emu was not built"; exit 1; }
[ -x "$prog" ] || { echo "FAIL: $prog was not built"; exit 1; }
[ -f "$plugin_dir/librte_net_mana.so" ] || { echo "FAIL: plugin not built"; exit 1; }
[ -x "$py" ] || { echo "SKIP: $py not found"; exit 77; }
command -v unshare >/dev/null && command -v ip >/dev/null ||
	{ echo "SKIP: unshare or ip missing"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespace, taps)"; exit 77; }

run=$build/app/test-mana/failover/run-$name
rm -rf "$run"
mkdir -p "$run"
source "$here/../common/short-dir.sh"
# EAL's sockets and the emulator's control socket: short paths
short_dir work "$run"
mkdir -p "$work/emu"
# EAL refuses -d paths below world-writable directories: bare name +
# LD_LIBRARY_PATH, from a working directory without the plugin.
export LD_LIBRARY_PATH=$plugin_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export RUNTIME_DIRECTORY=$work
cd "$work"
source "$here/../common/mem-mode.sh"
mem_mode_setup 256 "$run"
export MANA_TEST_MEM_ARGS="${mem_args[*]}"
mem_run unshare -n "$py" "$here/failover_e2e.py" --emu "$emu" --prog "$prog" \
	--emu-dir "$work/emu" --log "$run/forwarder.log" "$@"
rc=$?
if [ $rc -ne 0 ]; then
	echo "---- last lines of $run/forwarder.log ----"
	tail -30 "$run/forwarder.log"
fi
echo "failover: $([ $rc -eq 0 ] && echo PASS || echo FAIL)"
exit $rc
