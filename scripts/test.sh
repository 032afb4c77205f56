#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# Sets everything up on a Debian 12 machine, builds, and runs every test
# suite (all but `perf`). Ends with the line "N passed, N failed".
#
#   scripts/test.sh                  # everything
#   scripts/test.sh --suite unit     # extra arguments go to `meson test`
#
# BUILD_DIR overrides the build directory (default: build/ in the checkout).
#
# Hugepage mode: as root, reserves MANA_TEST_HUGEPAGES (default 768) 2 MiB
# hugepages on top of what the machine has (/proc/sys/vm/nr_hugepages) and
# puts the previous count back at exit. The tests mount hugetlbfs only in
# private mount namespaces (app/test-mana/common/mem-mode.sh). Not root, or
# no memory for them: the hugepage variants (*-huge, memory-*-huge and
# -legacy) SKIP.

set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$top/build}

"$top/scripts/setup.sh"

if [ -f "$build/build.ninja" ]; then
	meson setup --reconfigure "$build" "$top" >/dev/null
else
	meson setup "$build" "$top" >/dev/null
fi
ninja -C "$build"

# Hugepages for the *-huge tests, given back at exit.
hp_sys=/proc/sys/vm/nr_hugepages
hp_want=${MANA_TEST_HUGEPAGES:-768}
hp_prev=
hp_restore() {
	[ -n "$hp_prev" ] || return 0
	echo "$hp_prev" >"$hp_sys" 2>/dev/null ||
		echo "WARNING: could not restore $hp_sys to $hp_prev"
}
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: hugepage-mode tests: not root, cannot reserve hugepages"
elif [ "$(awk '/^Hugepagesize:/ { print $2 }' /proc/meminfo)" != 2048 ]; then
	echo "SKIP: hugepage-mode tests: the default hugepage size is not 2 MiB"
else
	hp_prev=$(cat "$hp_sys")
	trap hp_restore EXIT
	echo $((hp_prev + hp_want)) >"$hp_sys" 2>/dev/null || true
	hp_free=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
	if [ "${hp_free:-0}" -lt "$hp_want" ]; then
		echo "SKIP: hugepage-mode tests: only ${hp_free:-0} of $hp_want hugepages could be reserved"
		hp_restore
		hp_prev=
	else
		echo "hugepage-mode tests: $hp_want hugepages of 2 MiB reserved ($hp_sys: $hp_prev -> $(cat "$hp_sys"))"
	fi
fi

args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--no-suite perf)

rc=0
meson test -C "$build" --print-errorlogs "${args[@]}" || rc=$?

# Count test cases from the log meson writes (one JSON object per line).
/usr/bin/python3 - "$build/meson-logs/testlog.json" <<'PY'
import json, sys
counts = {"passed": 0, "failed": 0, "skipped": 0}
for line in open(sys.argv[1]):
    line = line.strip()
    if not line:
        continue
    r = json.loads(line).get("result", "")
    if r in ("OK", "EXPECTEDFAIL"):
        counts["passed"] += 1
    elif r == "SKIP":
        counts["skipped"] += 1
    else:
        counts["failed"] += 1
print("%d passed, %d failed, %d skipped" % (counts["passed"], counts["failed"], counts["skipped"]))
PY
exit $rc
