#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# Runs one case of test-mana-contract under mana-emu in strict mode: one
# function with three vPorts (0 and 1 wired back to back, 2 unwired), the
# devargs naming vPorts 0 and 1 only.
#
#   run_contract.sh <build dir> <test program> <case> [VAR=value]
#
# EAL files stay in the build tree.
set -u
build=$(cd "${1:?build dir}" && pwd)
prog=${2:?test program}
case=${3:?case name}
extra_env=${4:-}

work=$build/app/test-mana/contract/run-$case${extra_env:+-env}
source "$(dirname "$0")/../common/emu-run.sh"
emu_run_setup "$build" "$work"
[ -n "$extra_env" ] && export "${extra_env?}"

# the emulator's default MACs: 00:0d:3a:e0:<function>:<vPort + 1>
devargs="mac=00:0d:3a:e0:00:01,mac=00:0d:3a:e0:00:02"
case $case in
recovery_failed) devargs+=",recovery_timeout_ms=300" ;;
netvsc) devargs+=",recovery_timeout_ms=2000" ;;
esac
"$emu" --ports 3 --opt wire0=pair --opt wire1=pair --opt wire2=none --strict -- "$prog" -l 0,1 -d librte_net_mana.so \
	-a "7870:00:00.0,$devargs" --no-huge -m 512 --file-prefix "c-$case" \
	--log-level 'pmd.net.mana.*:notice' -- "$case"
rc=$?
rm -rf "$work"
exit $rc
