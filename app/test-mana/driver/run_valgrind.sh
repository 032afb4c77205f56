#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# Runs cases of a driver test program under valgrind's memcheck, itself under
# mana-emu (two paired vPorts, strict): any invalid read or write, use of
# uninitialised memory or leak of definitely lost blocks fails the run.
#
#   run_valgrind.sh <build dir> <test program> <case>...
set -u
build=$(cd "${1:?build dir}" && pwd)
prog=${2:?test program}
supp=$(cd "$(dirname "$0")" && pwd)/valgrind.supp
shift 2
[ $# -gt 0 ] || { echo "FAIL: no case given"; exit 1; }
command -v valgrind >/dev/null || { echo "SKIP: valgrind is not installed"; exit 77; }

work=$build/app/test-mana/driver/run-valgrind-$1
source "$(dirname "$0")/../common/emu-run.sh"
emu_run_setup "$build" "$work"

"$emu" --ports 2 --strict -- valgrind --tool=memcheck --error-exitcode=99 \
	--errors-for-leak-kinds=definite --leak-check=full --show-leak-kinds=definite \
	--track-origins=yes --num-callers=30 ${MANA_VG_EXTRA:-} --suppressions="$supp" \
	"$prog" -l 0 -d librte_net_mana.so -a 7870:00:00.0 \
	--no-huge -m 512 --file-prefix "vg-$1" --log-level 'pmd.net.mana.*:notice' \
	-- "$@"
rc=$?
rm -rf "$work"
exit $rc
