#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# Sets everything up on a Debian 12 machine, builds, and runs every test
# suite (all but `perf`). Ends with the line "N passed, N failed".
#
#   scripts/test.sh                  # everything: this machine's suite, then every leg
#   scripts/test.sh --suite unit     # extra arguments go to `meson test` (no legs)
#   scripts/test.sh --leg NAME       # set up, then run only the leg scripts/legs/NAME.sh
#
# Legs are the runs on other bases (another Debian release in a root, DPDK
# built from source, packages, another CPU). Each is a script
# scripts/legs/NAME.sh called as `NAME.sh LOG`: it appends one JSON object per
# test case to LOG ({"name": ..., "result": "OK" | "FAIL" | "SKIP"}, the
# shape of meson's testlog.json; copying meson's lines is fine) and exits
# non-zero if any failed. A leg that fails without logging counts as one
# failed case "leg:NAME". MANA_TEST_LEGS="a b" picks legs ("none": no legs).
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
only_leg=
if [ "${1:-}" = --leg ]; then
	[ -n "${2:-}" ] && [ -f "$top/scripts/legs/$2.sh" ] ||
		{ echo "test.sh: no leg '${2:-}' (the legs are scripts/legs/*.sh)" >&2; exit 2; }
	only_leg=$2
	args=()
fi
with_legs=
[ ${#args[@]} -gt 0 ] || { args=(--no-suite perf); with_legs=1; }

rc=0
logs=()
if [ -z "$only_leg" ]; then
	meson test -C "$build" --print-errorlogs "${args[@]}" || rc=$?
	logs+=("$build/meson-logs/testlog.json")
fi

# The legs, in name order, each timed.
legs=()
if [ -n "$only_leg" ]; then
	legs=("$only_leg")
elif [ -n "$with_legs" ] && [ "${MANA_TEST_LEGS:-}" != none ]; then
	if [ -n "${MANA_TEST_LEGS:-}" ]; then
		read -r -a legs <<<"$MANA_TEST_LEGS"
	else
		for f in "$top"/scripts/legs/*.sh; do
			[ -f "$f" ] && legs+=("$(basename "$f" .sh)")
		done
	fi
fi
legdir=$build/meson-logs/legs
mkdir -p "$legdir"
for leg in "${legs[@]}"; do
	log=$legdir/$leg.json
	: >"$log"
	echo "=== leg $leg: start $(date -u +%H:%M:%S)"
	t0=$(date +%s)
	lrc=0
	bash "$top/scripts/legs/$leg.sh" "$log" || lrc=$?
	echo "=== leg $leg: exit $lrc after $(($(date +%s) - t0)) s"
	if [ "$lrc" != 0 ]; then
		rc=1
		[ -s "$log" ] || echo "{\"name\": \"leg:$leg\", \"result\": \"FAIL\"}" >"$log"
	fi
	logs+=("$log")
done

# Count test cases from the logs (one JSON object per line).
/usr/bin/python3 - "${logs[@]}" <<'PY'
import json, sys
counts = {"passed": 0, "failed": 0, "skipped": 0}
lines = []
for path in sys.argv[1:]:
    lines += open(path).read().splitlines()
for line in lines:
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
