#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# Runs bench-mana under mana-emu (two paired vPorts) and prints its table.
#
#   run_bench.sh <build dir> <bench program> [packets per row]
set -u
build=$(cd "${1:?build dir}" && pwd)
prog=${2:?bench program}
packets=${3:-${BENCH_PACKETS:-100000}}

emu=$build/emu/cli/mana-emu
[ -x "$emu" ] || { echo "FAIL: $emu was not built"; exit 1; }
work=$build/app/test-mana/bench/run
rm -rf "$work"
mkdir -p "$work"
# EAL's unix sockets live in the runtime directory: keep its path short
source "$(dirname "$0")/../common/short-dir.sh"
short_dir runtime "$work/runtime"
export LD_LIBRARY_PATH=$build/drivers/net/mana${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export RUNTIME_DIRECTORY=$runtime
cd "$work" || exit 1
"$emu" --ports 2 --strict -- "$prog" -l 0 -d librte_net_mana.so -a 7870:00:00.0 \
	--no-huge -m 512 --file-prefix bench --log-level 'pmd.net.mana.*:notice' -- "$packets"
rc=$?
rm -rf "$work"
exit $rc
