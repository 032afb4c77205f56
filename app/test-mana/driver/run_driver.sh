#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# Runs one case of test-mana-driver under mana-emu (two paired vPorts).
#
#   run_driver.sh <build dir> <test program> strict|lax <case>
#
# strict: any emulator violation fails the run. EAL files stay in the build tree.
# MANA_TEST_EMU_ARGS adds mana-emu options (another device configuration);
# MANA_TEST_MEM picks the EAL memory mode (../common/mem-mode.sh).
set -u
build=$(cd "${1:?build dir}" && pwd)
prog=${2:?test program}
mode=${3:?strict|lax}
case=${4:?case name}

work=$build/app/test-mana/driver/run-$case
source "$(dirname "$0")/../common/emu-run.sh"
source "$(dirname "$0")/../common/mem-mode.sh"
emu_run_setup "$build" "$work"
mem_mode_setup 512 "$work"

emu_args=(--ports 2)
[ "$mode" = strict ] && emu_args+=(--strict)
# extra emulator options, e.g. MANA_TEST_EMU_ARGS="--max-wr 2048 --no-coalescing"
read -r -a extra <<<"${MANA_TEST_EMU_ARGS:-}"
emu_args+=("${extra[@]}")
mem_run "$emu" "${emu_args[@]}" -- "$prog" -l 0 -d librte_net_mana.so -a 7870:00:00.0 \
	"${mem_args[@]}" --file-prefix "d-$case" --log-level 'pmd.net.mana.*:notice' \
	-- "$case"
rc=$?
cd / && rm -rf "$work"
exit $rc
