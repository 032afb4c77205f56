#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# Runs one case of test-mana-heap under mana-emu --strict (two paired
# vPorts, two lcores) in the memory mode MANA_TEST_MEM names (mem-mode.sh).
#
#   run_heap.sh <build dir> <test program> <case>
set -u
build=$(cd "${1:?build dir}" && pwd)
prog=${2:?test program}
case=${3:?case name}

common=$(dirname "$0")/../common
work=$build/app/test-mana/memory/run-$case-${MANA_TEST_MEM:-nohuge}
source "$common/emu-run.sh"
source "$common/mem-mode.sh"
emu_run_setup "$build" "$work"
# the pools reach 800 MiB at their peak
MANA_TEST_HUGE_MB=1024 mem_mode_setup 1280 "$work"

mem_run "$emu" --ports 2 --strict -- "$prog" -l 0-1 -d librte_net_mana.so \
	-a 7870:00:00.0 "${mem_args[@]}" --file-prefix "heap-$case" \
	--log-level 'pmd.net.mana.*:notice' -- "$case"
rc=$?
cd / && rm -rf "$work"
exit $rc
